//! Byzantine behaviour for test clusters (`mosaic run --byzantine`, `mosaic simnet
//! --byzantine`): a node that equivocates as consensus leader and sends corrupt partial
//! signatures. Honest nodes must still complete every duty and count what they reject.

use mosaic_core::unsigned::UnsignedDataSet;
use mosaic_core::DutyType;
use mosaic_qbft::msg::MsgType;
use mosaic_qbft::pb;
use mosaic_qbft::signing::{sign_msg, Secp256k1Signer};
use mosaic_qbft::value::consensus_value_hash;
use mosaic_types::consensus::Minimal;
use prost::Message;

/// If `bytes` is this node's PRE_PREPARE, a conflicting PRE_PREPARE for the same duty and round
/// (an empty value), validly signed: what an equivocating leader sends to some of its peers.
pub(crate) fn conflicting_pre_prepare(bytes: &[u8], signer: &Secp256k1Signer) -> Option<Vec<u8>> {
    let mut envelope = pb::QbftConsensusMsg::decode(bytes).ok()?;
    let msg = envelope.msg.as_mut()?;
    if MsgType::from_wire(msg.r#type) != Some(MsgType::PrePrepare) {
        return None;
    }
    let duty_type = msg
        .duty
        .as_ref()
        .and_then(|duty| DutyType::from_wire(duty.r#type))?;
    let value = UnsignedDataSet::<Minimal>::new(duty_type).to_any();
    let hash = consensus_value_hash(&value).ok()?;
    msg.value_hash = hash.to_vec();
    sign_msg(signer, msg);
    envelope.values = vec![value];
    Some(envelope.encode_to_vec())
}
