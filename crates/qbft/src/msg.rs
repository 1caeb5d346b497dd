//! Verified QBFT messages and their validation (spec: consensus.md "Message
//! Constraints"; Charon `verifyMsg`, `verifyMsgLimits`, `newMsg`).
//!
//! [`verify_consensus_msg`] turns a decoded wire envelope into a [`VerifiedMsg`]
//! or a [`Rejection`], checking, in order: the count limits, the main message's
//! fields and signature, each justification's fields, signature and duty, and
//! finally that every referenced non-zero hash has a value that re-hashes to it.

use std::collections::BTreeMap;
use std::sync::Arc;

use prost::Message as _;

use crate::duty::Duty;
use crate::hashing::{Hash, ZERO_HASH};
use crate::limits::{check_counts, check_wire_size, LimitViolation};
use crate::pb;
use crate::signing::{signing_root, SignatureVerifier, SIGNATURE_LEN};
use crate::value::{consensus_value_hash, ValueError};

/// QBFT message types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MsgType {
    /// Leader proposal.
    PrePrepare = 1,
    /// Vote for a proposal.
    Prepare = 2,
    /// Vote to commit a prepared value.
    Commit = 3,
    /// Request to move to a round.
    RoundChange = 4,
    /// A decision with its quorum of commits (optional catch-up aid).
    Decided = 5,
}

impl MsgType {
    /// Parses the wire number; `None` outside `1..=5`.
    pub fn from_wire(value: i64) -> Option<Self> {
        Some(match value {
            1 => Self::PrePrepare,
            2 => Self::Prepare,
            3 => Self::Commit,
            4 => Self::RoundChange,
            5 => Self::Decided,
            _ => return None,
        })
    }

    /// Whether messages of this type must carry a non-zero `value_hash`.
    pub fn requires_value(self) -> bool {
        self != Self::RoundChange
    }
}

/// A verified QBFT message. Justification members have no justification.
#[derive(Debug, Clone, PartialEq)]
pub struct Msg {
    /// Message type.
    pub msg_type: MsgType,
    /// The consensus instance.
    pub duty: Duty,
    /// Sender's peer index.
    pub source: u64,
    /// Round, at least 1.
    pub round: i64,
    /// Value hash; [`ZERO_HASH`] for none.
    pub value: Hash,
    /// Prepared round; 0 for none.
    pub prepared_round: i64,
    /// Prepared value hash; [`ZERO_HASH`] for none.
    pub prepared_value: Hash,
    /// Flat justification.
    pub justification: Vec<Arc<Msg>>,
    /// The signed wire form, re-sent verbatim when used as a justification.
    pub wire: Arc<pb::QbftMsg>,
}

/// A verified envelope: the message and the values it carried, by consensus hash.
#[derive(Debug, Clone)]
pub struct VerifiedMsg {
    /// The message, with its justification.
    pub msg: Arc<Msg>,
    /// Carried values keyed by consensus hash.
    pub values: BTreeMap<Hash, pb::Any>,
}

/// Why an incoming consensus message was dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// A size or count limit fired.
    #[error(transparent)]
    Limit(#[from] LimitViolation),
    /// The bytes do not decode as a `QBFTConsensusMsg`.
    #[error("consensus message does not decode: {0}")]
    Decode(String),
    /// A field is missing or out of range.
    #[error("invalid {part}: {reason}")]
    Invalid {
        /// `msg` or `justification[i]`.
        part: String,
        /// Which rule failed.
        reason: &'static str,
    },
    /// `peer_idx` is not a cluster member.
    #[error("{part}: peer index {peer_idx} is not a cluster member")]
    UnknownPeer {
        /// `msg` or `justification[i]`.
        part: String,
        /// The claimed index.
        peer_idx: i64,
    },
    /// The signature is absent or does not verify for `peer_idx`.
    #[error("{part}: signature does not verify for peer {peer_idx}")]
    BadSignature {
        /// `msg` or `justification[i]`.
        part: String,
        /// The claimed signer.
        peer_idx: i64,
    },
    /// A justification is for another duty.
    #[error("justification[{index}] duty differs from the message duty")]
    JustificationDuty {
        /// Position in the justification list.
        index: usize,
    },
    /// A value could not be hashed.
    #[error("values[{index}]: {source}")]
    Value {
        /// Position in the values list.
        index: usize,
        /// Why.
        source: ValueError,
    },
    /// A referenced hash has no value.
    #[error("{part}: referenced hash {hash} has no value")]
    MissingValue {
        /// `msg` or `justification[i]`.
        part: String,
        /// The hash, hex.
        hash: String,
    },
}

impl Rejection {
    /// A short slug naming the rule, for counters and logs.
    pub fn slug(&self) -> &'static str {
        match self {
            Self::Limit(l) => l.reason(),
            Self::Decode(_) => "decode",
            Self::Invalid { .. } => "invalid_field",
            Self::UnknownPeer { .. } => "unknown_peer",
            Self::BadSignature { .. } => "bad_signature",
            Self::JustificationDuty { .. } => "justification_duty",
            Self::Value { .. } => "bad_value",
            Self::MissingValue { .. } => "missing_value",
        }
    }
}

fn hash_field(bytes: &[u8]) -> Option<Hash> {
    match bytes.len() {
        0 => Some(ZERO_HASH),
        32 => bytes.try_into().ok(),
        _ => None,
    }
}

/// Checks one wire `QBFTMsg` (fields and signature) and converts it, without
/// justification.
fn verify_single<V: SignatureVerifier + ?Sized>(
    verifier: &V,
    wire: &pb::QbftMsg,
    part: &dyn Fn() -> String,
) -> Result<Msg, Rejection> {
    let invalid = |reason| Rejection::Invalid {
        part: part(),
        reason,
    };
    let duty_pb = wire
        .duty
        .as_ref()
        .ok_or_else(|| invalid("duty is missing"))?;
    let msg_type = MsgType::from_wire(wire.r#type).ok_or_else(|| invalid("type is not 1..=5"))?;
    let duty = Duty::from_pb(duty_pb).ok_or_else(|| invalid("duty type is not valid"))?;
    if wire.round < 1 {
        return Err(invalid("round must be >= 1"));
    }
    if wire.prepared_round < 0 {
        return Err(invalid("prepared_round must be >= 0"));
    }
    if wire.prepared_round > wire.round {
        return Err(invalid("prepared_round must be <= round"));
    }
    let value =
        hash_field(&wire.value_hash).ok_or_else(|| invalid("value_hash must be 32 bytes"))?;
    let prepared_value = hash_field(&wire.prepared_value_hash)
        .ok_or_else(|| invalid("prepared_value_hash must be 32 bytes"))?;
    if (wire.prepared_round == 0) != (prepared_value == ZERO_HASH) {
        return Err(invalid(
            "prepared_value_hash must be zero exactly when prepared_round is 0",
        ));
    }
    if msg_type.requires_value() && value == ZERO_HASH {
        return Err(invalid("value_hash must be non-zero for this type"));
    }
    let source = u64::try_from(wire.peer_idx)
        .ok()
        .filter(|&p| p < verifier.nodes() as u64)
        .ok_or_else(|| Rejection::UnknownPeer {
            part: part(),
            peer_idx: wire.peer_idx,
        })?;
    if wire.signature.len() != SIGNATURE_LEN
        || !verifier.verify(source, &signing_root(wire), &wire.signature)
    {
        return Err(Rejection::BadSignature {
            part: part(),
            peer_idx: wire.peer_idx,
        });
    }
    Ok(Msg {
        msg_type,
        duty,
        source,
        round: wire.round,
        value,
        prepared_round: wire.prepared_round,
        prepared_value,
        justification: Vec::new(),
        wire: Arc::new(wire.clone()),
    })
}

/// Verifies a decoded envelope. See the module docs for the order of checks.
pub fn verify_consensus_msg<V: SignatureVerifier + ?Sized>(
    verifier: &V,
    envelope: &pb::QbftConsensusMsg,
) -> Result<VerifiedMsg, Rejection> {
    check_counts(
        verifier.nodes(),
        envelope.justification.len(),
        envelope.values.len(),
    )?;
    let wire = envelope.msg.as_ref().ok_or_else(|| Rejection::Invalid {
        part: "msg".into(),
        reason: "msg is missing",
    })?;
    let mut msg = verify_single(verifier, wire, &|| "msg".to_owned())?;
    for (index, j) in envelope.justification.iter().enumerate() {
        let just = verify_single(verifier, j, &|| format!("justification[{index}]"))?;
        if just.duty != msg.duty {
            return Err(Rejection::JustificationDuty { index });
        }
        msg.justification.push(Arc::new(just));
    }
    let mut values = BTreeMap::new();
    for (index, any) in envelope.values.iter().enumerate() {
        let hash =
            consensus_value_hash(any).map_err(|source| Rejection::Value { index, source })?;
        values.insert(hash, any.clone());
    }
    let missing = |m: &Msg, part: String| -> Result<(), Rejection> {
        for hash in [m.value, m.prepared_value] {
            if hash != ZERO_HASH && !values.contains_key(&hash) {
                return Err(Rejection::MissingValue {
                    part,
                    hash: hex::encode(hash),
                });
            }
        }
        Ok(())
    };
    missing(&msg, "msg".into())?;
    for (i, j) in msg.justification.iter().enumerate() {
        missing(j, format!("justification[{i}]"))?;
    }
    Ok(VerifiedMsg {
        msg: Arc::new(msg),
        values,
    })
}

/// Bounds the wire size, decodes and verifies an incoming envelope.
pub fn decode_and_verify<V: SignatureVerifier + ?Sized>(
    verifier: &V,
    bytes: &[u8],
) -> Result<VerifiedMsg, Rejection> {
    check_wire_size(bytes.len())?;
    let envelope =
        pb::QbftConsensusMsg::decode(bytes).map_err(|e| Rejection::Decode(e.to_string()))?;
    verify_consensus_msg(verifier, &envelope)
}
