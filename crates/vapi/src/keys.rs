//! The map between each distributed validator's public key and this node's public share of it.
//!
//! A validator client only knows the shares (it holds share secret keys); the beacon node only
//! knows the DV keys. Requests going to the beacon node are rewritten share → DV, answers coming
//! back DV → share. Keys that are not in the map (other validators) pass through unchanged.

use std::collections::HashMap;

use mosaic_crypto::bls::{PublicKey, PUBLIC_KEY_LEN};
use mosaic_types::BlsPubkey;

/// Why a [`KeyMap`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyMapError {
    /// The same DV public key appears twice.
    #[error("distributed validator {dv} appears twice in the key map")]
    DuplicateValidator {
        /// The DV public key (hex).
        dv: String,
    },
    /// The same public share appears twice (for two validators, or twice for one).
    #[error("public share {share} appears twice in the key map")]
    DuplicateShare {
        /// The public share (hex).
        share: String,
    },
}

/// DV public key ↔ this node's public share, both ways.
#[derive(Debug, Clone, Default)]
pub struct KeyMap {
    share_by_dv: HashMap<[u8; PUBLIC_KEY_LEN], PublicKey>,
    dv_by_share: HashMap<[u8; PUBLIC_KEY_LEN], PublicKey>,
}

impl KeyMap {
    /// Builds the map from `(DV public key, this node's public share)` pairs.
    pub fn new(
        pairs: impl IntoIterator<Item = (PublicKey, PublicKey)>,
    ) -> Result<Self, KeyMapError> {
        let mut map = Self::default();
        for (dv, share) in pairs {
            if map.share_by_dv.contains_key(&dv.to_bytes()) {
                return Err(KeyMapError::DuplicateValidator { dv: dv.to_hex() });
            }
            if map.dv_by_share.contains_key(&share.to_bytes()) {
                return Err(KeyMapError::DuplicateShare {
                    share: share.to_hex(),
                });
            }
            map.share_by_dv.insert(dv.to_bytes(), share);
            map.dv_by_share.insert(share.to_bytes(), dv);
        }
        Ok(map)
    }

    /// This node's public share of the distributed validator `dv`.
    pub fn share_of(&self, dv: &PublicKey) -> Option<&PublicKey> {
        self.share_by_dv.get(&dv.to_bytes())
    }

    /// The distributed validator whose share (held by this node) is `share`.
    pub fn dv_of(&self, share: &PublicKey) -> Option<&PublicKey> {
        self.dv_by_share.get(&share.to_bytes())
    }

    /// `key` rewritten DV → share (for answers to the validator client); unknown keys unchanged.
    pub fn to_share(&self, key: BlsPubkey) -> BlsPubkey {
        self.share_by_dv
            .get(&key.0)
            .map_or(key, |share| BlsPubkey(share.to_bytes()))
    }

    /// `key` rewritten share → DV (for requests to the beacon node); unknown keys unchanged.
    pub fn to_dv(&self, key: BlsPubkey) -> BlsPubkey {
        self.dv_by_share
            .get(&key.0)
            .map_or(key, |dv| BlsPubkey(dv.to_bytes()))
    }

    /// A `0x`-hex key rewritten share → DV; anything else (indices, unknown keys) unchanged.
    pub fn hex_to_dv(&self, text: &str) -> String {
        match BlsPubkey::from_hex(text) {
            Ok(key) => match self.dv_by_share.get(&key.0) {
                Some(dv) => dv.to_hex(),
                None => text.to_owned(),
            },
            Err(_) => text.to_owned(),
        }
    }

    /// The number of distributed validators.
    pub fn len(&self) -> usize {
        self.share_by_dv.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.share_by_dv.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use mosaic_crypto::bls::SecretKey;

    use super::*;

    fn key(seed: u8) -> PublicKey {
        SecretKey::from_bytes(&[seed; 32]).unwrap().public_key()
    }

    #[test]
    fn rewrites_both_ways_and_passes_unknown_keys() {
        let (dv, share, other) = (key(1), key(2), key(3));
        let map = KeyMap::new([(dv, share)]).unwrap();
        assert_eq!(map.len(), 1);
        assert_eq!(map.share_of(&dv), Some(&share));
        assert_eq!(map.dv_of(&share), Some(&dv));
        assert_eq!(map.share_of(&share), None);
        let raw = |k: PublicKey| BlsPubkey(k.to_bytes());
        assert_eq!(map.to_share(raw(dv)), raw(share));
        assert_eq!(map.to_dv(raw(share)), raw(dv));
        assert_eq!(map.to_dv(raw(dv)), raw(dv));
        assert_eq!(map.to_share(raw(other)), raw(other));
        assert_eq!(map.hex_to_dv(&share.to_hex()), dv.to_hex());
        assert_eq!(map.hex_to_dv("12"), "12");
        assert_eq!(map.hex_to_dv(&other.to_hex()), other.to_hex());
    }

    #[test]
    fn duplicates_are_rejected() {
        let (a, b, c) = (key(1), key(2), key(3));
        assert!(matches!(
            KeyMap::new([(a, b), (a, c)]),
            Err(KeyMapError::DuplicateValidator { .. })
        ));
        assert!(matches!(
            KeyMap::new([(a, b), (c, b)]),
            Err(KeyMapError::DuplicateShare { .. })
        ));
        assert!(KeyMap::new([(a, b), (c, key(4))]).is_ok());
    }
}
