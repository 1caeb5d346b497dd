//! The fixed-size consensus containers the simulator signs over and serves, with SSZ
//! `hash_tree_root` and beacon-API JSON (quoted integers, `0x` hex), plus hash-tree-root helpers
//! for the variable-size attestation and contribution containers whose bitfields arrive as hex.

use mosaic_types::{BlsPubkey, BlsSignature, Root};
use serde::{Deserialize, Serialize};
use tree_hash::{Hash256, TreeHash};
use tree_hash_derive::TreeHash;

/// `Checkpoint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TreeHash)]
pub struct Checkpoint {
    /// `epoch`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub epoch: u64,
    /// `root`.
    pub root: Root,
}

/// `AttestationData`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TreeHash)]
pub struct AttestationData {
    /// `slot`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub slot: u64,
    /// `index` (committee index; 0 from Electra on).
    #[serde(with = "mosaic_types::quoted_u64")]
    pub index: u64,
    /// `beacon_block_root`: the head vote.
    pub beacon_block_root: Root,
    /// `source`.
    pub source: Checkpoint,
    /// `target`.
    pub target: Checkpoint,
}

/// `BeaconBlockHeader`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TreeHash)]
pub struct BeaconBlockHeader {
    /// `slot`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub slot: u64,
    /// `proposer_index`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub proposer_index: u64,
    /// `parent_root`.
    pub parent_root: Root,
    /// `state_root`.
    pub state_root: Root,
    /// `body_root`.
    pub body_root: Root,
}

impl BeaconBlockHeader {
    /// `hash_tree_root(header)`, equal to the root of the block it summarises.
    pub fn root(&self) -> Root {
        self.tree_hash_root().into()
    }
}

/// `Validator` (the registry entry hashed into the genesis validators root).
#[derive(Debug, Clone, Copy, PartialEq, Eq, TreeHash)]
pub struct Validator {
    /// `pubkey`.
    pub pubkey: BlsPubkey,
    /// `withdrawal_credentials`.
    pub withdrawal_credentials: Root,
    /// `effective_balance` in gwei.
    pub effective_balance: u64,
    /// `slashed`.
    pub slashed: bool,
    /// `activation_eligibility_epoch`.
    pub activation_eligibility_epoch: u64,
    /// `activation_epoch`.
    pub activation_epoch: u64,
    /// `exit_epoch`.
    pub exit_epoch: u64,
    /// `withdrawable_epoch`.
    pub withdrawable_epoch: u64,
}

/// `VoluntaryExit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TreeHash)]
pub struct VoluntaryExit {
    /// `epoch`: the earliest epoch the exit is valid.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub epoch: u64,
    /// `validator_index`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub validator_index: u64,
}

/// `SignedVoluntaryExit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedVoluntaryExit {
    /// `message`.
    pub message: VoluntaryExit,
    /// `signature`.
    pub signature: BlsSignature,
}

/// `SyncCommitteeMessage` (altair).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncCommitteeMessage {
    /// `slot`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub slot: u64,
    /// `beacon_block_root`: the signed head.
    pub beacon_block_root: Root,
    /// `validator_index`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub validator_index: u64,
    /// `signature` over `beacon_block_root` with `DOMAIN_SYNC_COMMITTEE`.
    pub signature: BlsSignature,
}

/// `SingleAttestation` (electra): one attester's vote as `pool/attestations` v2 takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SingleAttestation {
    /// `committee_index`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub committee_index: u64,
    /// `attester_index`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub attester_index: u64,
    /// `data`.
    pub data: AttestationData,
    /// `signature`.
    pub signature: BlsSignature,
}

/// `Attestation` as JSON, phase0 layout (`committee_bits` absent) or Electra layout
/// (`committee_bits` present); bitfields are SSZ bytes in `0x` hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attestation {
    /// `aggregation_bits`: an SSZ `Bitlist` (with its length bit).
    pub aggregation_bits: String,
    /// `data`.
    pub data: AttestationData,
    /// `signature`.
    pub signature: BlsSignature,
    /// `committee_bits` (electra): an SSZ `Bitvector[MAX_COMMITTEES_PER_SLOT]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub committee_bits: Option<String>,
}

/// A bitfield that failed to parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BitsError(pub String);

/// An SSZ `Bitlist`: the bits, without the length bit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bitlist {
    bytes: Vec<u8>,
    len: usize,
}

impl Bitlist {
    /// Parses SSZ bytes in hex, checking the length bit and the limit.
    pub fn from_hex(text: &str, limit: usize) -> Result<Self, BitsError> {
        let bytes = decode_hex(text)?;
        let Some(last) = bytes.last().copied() else {
            return Err(BitsError("empty bitlist (no length bit)".into()));
        };
        if last == 0 {
            return Err(BitsError(
                "bitlist's last byte is zero (no length bit)".into(),
            ));
        }
        let high = 7 - last.leading_zeros() as usize;
        let len = (bytes.len() - 1) * 8 + high;
        if len > limit {
            return Err(BitsError(format!(
                "bitlist of {len} bits exceeds the limit {limit}"
            )));
        }
        let mut bits = bytes;
        if let Some(last) = bits.last_mut() {
            *last &= !(1u8 << high);
        }
        bits.truncate(len.div_ceil(8));
        Ok(Self { bytes: bits, len })
    }

    /// Builds a bitlist of `len` bits with `set` set.
    pub fn with_bits(len: usize, set: &[usize]) -> Self {
        let mut bytes = vec![0u8; len.div_ceil(8)];
        for &i in set {
            if i < len {
                bytes[i / 8] |= 1 << (i % 8);
            }
        }
        Self { bytes, len }
    }

    /// SSZ bytes in `0x` hex (with the length bit).
    pub fn to_hex(&self) -> String {
        let mut bytes = self.bytes.clone();
        bytes.resize(self.len / 8 + 1, 0);
        bytes[self.len / 8] |= 1 << (self.len % 8);
        format!("0x{}", hex::encode(bytes))
    }

    /// Number of bits.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no bits.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Positions of the set bits.
    pub fn set_bits(&self) -> Vec<usize> {
        (0..self.len)
            .filter(|i| self.bytes[i / 8] >> (i % 8) & 1 == 1)
            .collect()
    }

    /// `hash_tree_root` of `Bitlist[limit]`.
    pub fn tree_hash_root(&self, limit: usize) -> Hash256 {
        let root = tree_hash::merkle_root(&self.bytes, limit.div_ceil(256));
        tree_hash::mix_in_length(&root, self.len)
    }
}

/// An SSZ `Bitvector[N]` parsed from hex: the set positions.
pub fn bitvector_from_hex(text: &str, n: usize) -> Result<Vec<usize>, BitsError> {
    let bytes = decode_hex(text)?;
    if bytes.len() != n.div_ceil(8) {
        return Err(BitsError(format!(
            "bitvector of {} bytes, expected {} for {n} bits",
            bytes.len(),
            n.div_ceil(8)
        )));
    }
    let set: Vec<usize> = (0..bytes.len() * 8)
        .filter(|i| bytes[i / 8] >> (i % 8) & 1 == 1)
        .collect();
    if set.iter().any(|&i| i >= n) {
        return Err(BitsError(format!(
            "bitvector has bits set beyond its {n} bits"
        )));
    }
    Ok(set)
}

/// `hash_tree_root` of a `Bitvector[N]` given its SSZ bytes in hex.
pub fn bitvector_root(text: &str, n: usize) -> Result<Hash256, BitsError> {
    let bytes = decode_hex(text)?;
    Ok(tree_hash::merkle_root(&bytes, n.div_ceil(256)))
}

fn decode_hex(text: &str) -> Result<Vec<u8>, BitsError> {
    let digits = text.strip_prefix("0x").unwrap_or(text);
    hex::decode(digits).map_err(|e| BitsError(format!("bad hex {text:?}: {e}")))
}

/// `hash_tree_root` of a container whose field roots are `fields`.
pub fn container_root(fields: &[Hash256]) -> Hash256 {
    let mut bytes = Vec::with_capacity(fields.len() * 32);
    for field in fields {
        bytes.extend_from_slice(field.as_slice());
    }
    tree_hash::merkle_root(&bytes, fields.len())
}

impl Attestation {
    /// `hash_tree_root(attestation)` with `aggregation_bits` limited to `bits_limit` and, for
    /// Electra, `committee_bits` of `committee_bits_len`.
    pub fn tree_hash_root(
        &self,
        bits_limit: usize,
        committee_bits_len: usize,
    ) -> Result<Hash256, BitsError> {
        let bits = Bitlist::from_hex(&self.aggregation_bits, bits_limit)?;
        let mut fields = vec![
            bits.tree_hash_root(bits_limit),
            self.data.tree_hash_root(),
            self.signature.tree_hash_root(),
        ];
        if let Some(committee_bits) = &self.committee_bits {
            fields.push(bitvector_root(committee_bits, committee_bits_len)?);
        }
        Ok(container_root(&fields))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitlist_round_trip_and_length_bit() {
        let bits = Bitlist::from_hex("0x0d", 2048).unwrap(); // 0b1101: len 3, bits 0 and 2
        assert_eq!(bits.len(), 3);
        assert_eq!(bits.set_bits(), vec![0, 2]);
        assert_eq!(bits.to_hex(), "0x0d");
        assert_eq!(Bitlist::with_bits(8, &[7]).to_hex(), "0x8001");
        assert!(Bitlist::from_hex("0x00", 2048).is_err());
        assert!(Bitlist::from_hex("0x", 2048).is_err());
        assert!(Bitlist::from_hex("0x0100", 2048).is_err(), "last byte zero");
        assert_eq!(Bitlist::from_hex("0x0001", 2048).unwrap().len(), 8);
        assert!(
            Bitlist::from_hex("0xff01", 8).is_ok(),
            "8 bits at a limit of 8"
        );
        assert!(
            Bitlist::from_hex("0x0002", 8).is_err(),
            "9 bits over a limit of 8"
        );
    }

    #[test]
    fn empty_bitlist_root_is_zero_tree_mixed_with_zero() {
        // Bitlist[2048] of length 0: merkleize 8 zero chunks, mix in length 0.
        let bits = Bitlist::from_hex("0x01", 2048).unwrap();
        let zero8 = tree_hash::merkle_root(&[], 8);
        assert_eq!(
            bits.tree_hash_root(2048),
            tree_hash::mix_in_length(&zero8, 0)
        );
    }

    #[test]
    fn bitvector_rejects_wrong_size_and_stray_bits() {
        assert_eq!(bitvector_from_hex("0x05", 4).unwrap(), vec![0, 2]);
        assert!(bitvector_from_hex("0x10", 4).is_err());
        assert!(bitvector_from_hex("0x0100", 4).is_err());
    }
}
