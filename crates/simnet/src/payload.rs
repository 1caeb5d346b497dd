//! The synthetic execution chain: deterministic execution payloads (no transactions, no
//! withdrawals) that chain by `parent_hash`, their headers for blinded blocks, and their values.
//!
//! `block_hash` is `sha256` over the payload's fields, not the keccak of an RLP execution
//! header: nothing outside the simulator executes these payloads, they only have to be unique
//! per position, deterministic and checkable when a block comes back.

use mosaic_types::consensus::primitives::Uint256;
use mosaic_types::consensus::{capella, deneb, Preset};
use mosaic_types::{ExecutionAddress, Root};
use ssz_types::{FixedVector, VariableList};
use tree_hash::TreeHash;

use crate::spec::hash;

/// `extra_data` of every synthetic payload.
pub const EXTRA_DATA: &[u8] = b"mosaic-simnet";
/// Gas limit when the proposer registered none.
pub const DEFAULT_GAS_LIMIT: u64 = 30_000_000;
/// `base_fee_per_gas` of every synthetic payload, wei.
pub const BASE_FEE_PER_GAS: u64 = 7;
/// The local payload's value: the fees a block would pay its proposer, wei (0.01 ETH).
pub const LOCAL_PAYLOAD_VALUE_WEI: u128 = 10_000_000_000_000_000;
/// The simulated builder bids this many percent of the local payload's value.
pub const BUILDER_BID_PERCENT: u128 = 110;

/// A synthetic execution payload, fork-independent (blob gas is zero at every fork).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthPayload {
    /// `parent_hash`: the parent beacon block's payload `block_hash`.
    pub parent_hash: Root,
    /// `fee_recipient`.
    pub fee_recipient: ExecutionAddress,
    /// `state_root` (synthetic).
    pub state_root: Root,
    /// `receipts_root` (synthetic).
    pub receipts_root: Root,
    /// `prev_randao`: the simulator's RANDAO mix of the epoch.
    pub prev_randao: Root,
    /// `block_number`: the parent's plus one.
    pub block_number: u64,
    /// `gas_limit`.
    pub gas_limit: u64,
    /// `timestamp`: the slot's start, unix seconds.
    pub timestamp: u64,
    /// Whether a (simulated) builder made it rather than the local execution client.
    pub from_builder: bool,
    /// `block_hash`: [`SynthPayload::compute_block_hash`].
    pub block_hash: Root,
}

/// What a payload is built from.
#[derive(Debug, Clone, Copy)]
pub struct PayloadInputs {
    /// The chain's seed.
    pub seed: u64,
    /// The slot.
    pub slot: u64,
    /// The parent payload's `block_hash`.
    pub parent_hash: Root,
    /// The parent payload's `block_number`.
    pub parent_number: u64,
    /// The fee recipient.
    pub fee_recipient: ExecutionAddress,
    /// The gas limit.
    pub gas_limit: u64,
    /// The slot's start, unix seconds.
    pub timestamp: u64,
    /// The RANDAO mix.
    pub prev_randao: Root,
    /// Whether the builder makes it.
    pub from_builder: bool,
}

impl SynthPayload {
    /// The payload for `inputs`.
    pub fn new(inputs: &PayloadInputs) -> Self {
        let seed = inputs.seed.to_le_bytes();
        let slot = inputs.slot.to_le_bytes();
        let source: &[u8] = if inputs.from_builder {
            b"builder"
        } else {
            b"local"
        };
        let mut payload = Self {
            parent_hash: inputs.parent_hash,
            fee_recipient: inputs.fee_recipient,
            state_root: Root(hash(&[
                b"mosaic-simnet execution state",
                &seed,
                &slot,
                &inputs.parent_hash.0,
            ])),
            receipts_root: Root(hash(&[b"mosaic-simnet receipts", &seed, &slot, source])),
            prev_randao: inputs.prev_randao,
            block_number: inputs.parent_number + 1,
            gas_limit: inputs.gas_limit,
            timestamp: inputs.timestamp,
            from_builder: inputs.from_builder,
            block_hash: Root::ZERO,
        };
        payload.block_hash = payload.compute_block_hash();
        payload
    }

    /// `sha256` over every field but `block_hash`.
    pub fn compute_block_hash(&self) -> Root {
        Root(hash(&[
            b"mosaic-simnet execution block",
            &self.parent_hash.0,
            &self.fee_recipient.0,
            &self.state_root.0,
            &self.receipts_root.0,
            &self.prev_randao.0,
            &self.block_number.to_le_bytes(),
            &self.gas_limit.to_le_bytes(),
            &self.timestamp.to_le_bytes(),
            &[u8::from(self.from_builder)],
        ]))
    }

    /// The payload's value to the proposer, wei.
    pub fn value_wei(&self) -> u128 {
        if self.from_builder {
            LOCAL_PAYLOAD_VALUE_WEI * BUILDER_BID_PERCENT / 100
        } else {
            LOCAL_PAYLOAD_VALUE_WEI
        }
    }

    /// The capella `ExecutionPayload`.
    pub fn capella<P: Preset>(&self) -> capella::ExecutionPayload<P> {
        capella::ExecutionPayload {
            parent_hash: self.parent_hash,
            fee_recipient: self.fee_recipient,
            state_root: self.state_root,
            receipts_root: self.receipts_root,
            logs_bloom: FixedVector::from_elem(0),
            prev_randao: self.prev_randao,
            block_number: self.block_number,
            gas_limit: self.gas_limit,
            gas_used: 0,
            timestamp: self.timestamp,
            extra_data: extra_data::<P>(),
            base_fee_per_gas: Uint256::from(BASE_FEE_PER_GAS),
            block_hash: self.block_hash,
            transactions: VariableList::empty(),
            withdrawals: VariableList::empty(),
        }
    }

    /// The capella `ExecutionPayloadHeader` (its root equals the payload's).
    pub fn capella_header<P: Preset>(&self) -> capella::ExecutionPayloadHeader<P> {
        let payload = self.capella::<P>();
        capella::ExecutionPayloadHeader {
            parent_hash: payload.parent_hash,
            fee_recipient: payload.fee_recipient,
            state_root: payload.state_root,
            receipts_root: payload.receipts_root,
            logs_bloom: payload.logs_bloom,
            prev_randao: payload.prev_randao,
            block_number: payload.block_number,
            gas_limit: payload.gas_limit,
            gas_used: payload.gas_used,
            timestamp: payload.timestamp,
            extra_data: payload.extra_data,
            base_fee_per_gas: payload.base_fee_per_gas,
            block_hash: payload.block_hash,
            transactions_root: payload.transactions.tree_hash_root().into(),
            withdrawals_root: payload.withdrawals.tree_hash_root().into(),
        }
    }

    /// The deneb (also electra and fulu) `ExecutionPayload`.
    pub fn deneb<P: Preset>(&self) -> deneb::ExecutionPayload<P> {
        let c = self.capella::<P>();
        deneb::ExecutionPayload {
            parent_hash: c.parent_hash,
            fee_recipient: c.fee_recipient,
            state_root: c.state_root,
            receipts_root: c.receipts_root,
            logs_bloom: c.logs_bloom,
            prev_randao: c.prev_randao,
            block_number: c.block_number,
            gas_limit: c.gas_limit,
            gas_used: c.gas_used,
            timestamp: c.timestamp,
            extra_data: c.extra_data,
            base_fee_per_gas: c.base_fee_per_gas,
            block_hash: c.block_hash,
            transactions: c.transactions,
            withdrawals: c.withdrawals,
            blob_gas_used: 0,
            excess_blob_gas: 0,
        }
    }

    /// The deneb (also electra and fulu) `ExecutionPayloadHeader`.
    pub fn deneb_header<P: Preset>(&self) -> deneb::ExecutionPayloadHeader<P> {
        let h = self.capella_header::<P>();
        deneb::ExecutionPayloadHeader {
            parent_hash: h.parent_hash,
            fee_recipient: h.fee_recipient,
            state_root: h.state_root,
            receipts_root: h.receipts_root,
            logs_bloom: h.logs_bloom,
            prev_randao: h.prev_randao,
            block_number: h.block_number,
            gas_limit: h.gas_limit,
            gas_used: h.gas_used,
            timestamp: h.timestamp,
            extra_data: h.extra_data,
            base_fee_per_gas: h.base_fee_per_gas,
            block_hash: h.block_hash,
            transactions_root: h.transactions_root,
            withdrawals_root: h.withdrawals_root,
            blob_gas_used: 0,
            excess_blob_gas: 0,
        }
    }
}

fn extra_data<P: Preset>() -> VariableList<u8, P::MaxExtraDataBytes> {
    // 13 bytes always fit the 32-byte limit of every preset.
    VariableList::new(EXTRA_DATA.to_vec()).unwrap_or_else(|_| VariableList::empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mosaic_types::consensus::{Mainnet, Minimal};

    fn inputs() -> PayloadInputs {
        PayloadInputs {
            seed: 5,
            slot: 12,
            parent_hash: Root([3; 32]),
            parent_number: 41,
            fee_recipient: ExecutionAddress([9; 20]),
            gas_limit: DEFAULT_GAS_LIMIT,
            timestamp: 1_700_000_012,
            prev_randao: Root([4; 32]),
            from_builder: false,
        }
    }

    #[test]
    fn payload_chains_and_is_deterministic() {
        let a = SynthPayload::new(&inputs());
        assert_eq!(a, SynthPayload::new(&inputs()));
        assert_eq!(a.block_number, 42);
        assert_eq!(a.parent_hash, Root([3; 32]));
        assert_eq!(a.block_hash, a.compute_block_hash());
        let builder = SynthPayload::new(&PayloadInputs {
            from_builder: true,
            ..inputs()
        });
        assert_ne!(builder.block_hash, a.block_hash);
        assert!(builder.value_wei() > a.value_wei());
        let other_recipient = SynthPayload::new(&PayloadInputs {
            fee_recipient: ExecutionAddress([8; 20]),
            ..inputs()
        });
        assert_ne!(other_recipient.block_hash, a.block_hash);
    }

    #[test]
    fn header_roots_equal_payload_roots() {
        let p = SynthPayload::new(&inputs());
        assert_eq!(
            p.capella::<Minimal>().tree_hash_root(),
            p.capella_header::<Minimal>().tree_hash_root()
        );
        assert_eq!(
            p.deneb::<Mainnet>().tree_hash_root(),
            p.deneb_header::<Mainnet>().tree_hash_root()
        );
        assert_eq!(p.deneb::<Minimal>().extra_data.len(), EXTRA_DATA.len());
        // The capella and deneb payloads differ by the blob gas fields.
        assert_ne!(
            p.capella::<Minimal>().tree_hash_root(),
            p.deneb::<Minimal>().tree_hash_root()
        );
    }
}
