//! Path and query identifiers: `{state_id}`, `{block_id}` and validator ids.

use std::fmt;

use mosaic_types::consensus::primitives::ValidatorIndex;
use mosaic_types::{BlsPubkey, Root, Slot};
use serde::{Serialize, Serializer};

/// `{state_id}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StateId {
    /// `head`.
    Head,
    /// `genesis`.
    Genesis,
    /// `finalized`.
    Finalized,
    /// `justified`.
    Justified,
    /// A slot.
    Slot(Slot),
    /// A state root.
    Root(Root),
}

impl fmt::Display for StateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Head => f.write_str("head"),
            Self::Genesis => f.write_str("genesis"),
            Self::Finalized => f.write_str("finalized"),
            Self::Justified => f.write_str("justified"),
            Self::Slot(slot) => write!(f, "{slot}"),
            Self::Root(root) => f.write_str(&root.to_hex()),
        }
    }
}

/// `{block_id}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockId {
    /// `head`.
    Head,
    /// `genesis`.
    Genesis,
    /// `finalized`.
    Finalized,
    /// A slot.
    Slot(Slot),
    /// A block root.
    Root(Root),
}

impl fmt::Display for BlockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Head => f.write_str("head"),
            Self::Genesis => f.write_str("genesis"),
            Self::Finalized => f.write_str("finalized"),
            Self::Slot(slot) => write!(f, "{slot}"),
            Self::Root(root) => f.write_str(&root.to_hex()),
        }
    }
}

/// A validator by index or public key (`id` of `getStateValidators`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValidatorId {
    /// Validator index.
    Index(ValidatorIndex),
    /// Validator public key.
    Pubkey(BlsPubkey),
}

impl fmt::Display for ValidatorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Index(index) => write!(f, "{index}"),
            Self::Pubkey(pubkey) => f.write_str(&pubkey.to_hex()),
        }
    }
}

impl Serialize for ValidatorId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl From<ValidatorIndex> for ValidatorId {
    fn from(index: ValidatorIndex) -> Self {
        Self::Index(index)
    }
}

impl From<BlsPubkey> for ValidatorId {
    fn from(pubkey: BlsPubkey) -> Self {
        Self::Pubkey(pubkey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_print_as_the_api_expects() {
        assert_eq!(StateId::Head.to_string(), "head");
        assert_eq!(StateId::Justified.to_string(), "justified");
        assert_eq!(StateId::Slot(12).to_string(), "12");
        assert_eq!(
            BlockId::Root(Root([0xab; 32])).to_string(),
            format!("0x{}", "ab".repeat(32))
        );
        assert_eq!(
            serde_json::to_string(&[
                ValidatorId::Index(7),
                ValidatorId::Pubkey(BlsPubkey([1; 48]))
            ])
            .unwrap(),
            format!("[\"7\",\"0x{}\"]", "01".repeat(48))
        );
    }
}
