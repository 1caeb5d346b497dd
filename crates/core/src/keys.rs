//! The public key material the pipeline verifies against: for each distributed validator, its
//! group (DV) public key and the public share of every operator, keyed by 1-based share index.

use std::collections::{BTreeMap, HashMap};

use mosaic_cluster::Lock;
use mosaic_crypto::bls::PublicKey;
use mosaic_crypto::tbls::ShareIndex;

/// Why a validator's key material was rejected.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    /// A share index was 0 (share indices are 1-based).
    #[error("validator {dv_pubkey}: share index 0 is invalid (share indices are 1-based)")]
    ZeroShareIndex {
        /// The DV public key (hex).
        dv_pubkey: String,
    },
    /// A validator has no public shares.
    #[error("validator {dv_pubkey}: no public shares")]
    NoShares {
        /// The DV public key (hex).
        dv_pubkey: String,
    },
    /// A key in the cluster lock did not decode.
    #[error("cluster lock validators[{validator}].{field}: {source}")]
    LockKey {
        /// Position of the validator in the lock.
        validator: usize,
        /// The field, e.g. `public_key` or `public_shares[2]`.
        field: String,
        /// The decoding error.
        source: mosaic_crypto::Error,
    },
}

/// Public keys this node already holds in checked form (the cluster's DV keys), by compressed
/// bytes. Keys in peers' messages and consensus values are looked up here instead of being
/// decompressed and subgroup-checked again; a key not found is decoded and checked in full.
#[derive(Debug, Clone, Default)]
pub struct KnownKeys(HashMap<[u8; 48], PublicKey>);

impl KnownKeys {
    /// The keys `keys`.
    pub fn new(keys: impl IntoIterator<Item = PublicKey>) -> Self {
        Self(keys.into_iter().map(|key| (key.to_bytes(), key)).collect())
    }

    /// Decodes a hex public key (optional `0x` prefix): a lookup for a known key, else
    /// [`PublicKey::from_bytes`] with its checks (48 bytes of hex), else
    /// [`PublicKey::from_hex`] for its error naming what is wrong with the text.
    pub fn parse_hex(&self, text: &str) -> Result<PublicKey, mosaic_crypto::Error> {
        let digits = text
            .strip_prefix("0x")
            .or_else(|| text.strip_prefix("0X"))
            .unwrap_or(text);
        let mut bytes = [0u8; 48];
        if hex::decode_to_slice(digits, &mut bytes).is_err() {
            return PublicKey::from_hex(text);
        }
        match self.0.get(&bytes) {
            Some(key) => Ok(*key),
            None => PublicKey::from_bytes(&bytes),
        }
    }
}

/// One distributed validator's public keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatorShares {
    dv_pubkey: PublicKey,
    public_shares: BTreeMap<ShareIndex, PublicKey>,
}

impl ValidatorShares {
    /// Checks and wraps a DV public key and its public shares (indices 1-based, at least one).
    pub fn new(
        dv_pubkey: PublicKey,
        public_shares: BTreeMap<ShareIndex, PublicKey>,
    ) -> Result<Self, KeysError> {
        if public_shares.is_empty() {
            return Err(KeysError::NoShares {
                dv_pubkey: dv_pubkey.to_hex(),
            });
        }
        if public_shares.contains_key(&0) {
            return Err(KeysError::ZeroShareIndex {
                dv_pubkey: dv_pubkey.to_hex(),
            });
        }
        Ok(Self {
            dv_pubkey,
            public_shares,
        })
    }

    /// The DV (group) public key.
    pub fn dv_pubkey(&self) -> &PublicKey {
        &self.dv_pubkey
    }

    /// The public shares by share index.
    pub fn public_shares(&self) -> &BTreeMap<ShareIndex, PublicKey> {
        &self.public_shares
    }

    /// The public share of `share_index`, if that index exists.
    pub fn public_share(&self, share_index: ShareIndex) -> Option<&PublicKey> {
        self.public_shares.get(&share_index)
    }
}

/// Every validator of a cluster lock; the public share at position `i` of a validator's
/// `public_shares` belongs to the operator at position `i`, share index `i + 1`.
pub fn validators_from_lock(lock: &Lock) -> Result<Vec<ValidatorShares>, KeysError> {
    lock.validators
        .iter()
        .enumerate()
        .map(|(v, validator)| {
            let dv_pubkey = PublicKey::from_bytes(&validator.public_key).map_err(|source| {
                KeysError::LockKey {
                    validator: v,
                    field: "public_key".into(),
                    source,
                }
            })?;
            let mut shares = BTreeMap::new();
            for (i, bytes) in validator.public_shares.iter().enumerate() {
                let share = PublicKey::from_bytes(bytes).map_err(|source| KeysError::LockKey {
                    validator: v,
                    field: format!("public_shares[{i}]"),
                    source,
                })?;
                shares.insert(i as ShareIndex + 1, share);
            }
            ValidatorShares::new(dv_pubkey, shares)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use mosaic_crypto::bls::SecretKey;
    use mosaic_crypto::tbls;

    use super::*;

    #[test]
    fn known_keys_are_looked_up_and_others_checked_in_full() {
        let known = SecretKey::random().public_key();
        let other = SecretKey::random().public_key();
        let keys = KnownKeys::new([known]);
        assert_eq!(keys.parse_hex(&known.to_hex()).unwrap(), known);
        assert_eq!(
            keys.parse_hex(&known.to_hex().replacen("0x", "0X", 1))
                .unwrap(),
            known
        );
        assert_eq!(keys.parse_hex(&known.to_hex()[2..]).unwrap(), known);
        // Not known: still decoded, with the full checks.
        assert_eq!(keys.parse_hex(&other.to_hex()).unwrap(), other);
        // One changed byte of a known key is not that key: it fails the full checks or is
        // another valid point, never the known key.
        let mut bytes = known.to_bytes();
        bytes[47] ^= 1;
        if let Ok(key) = keys.parse_hex(&hex::encode(bytes)) {
            assert_ne!(key, known);
        }
        // A point outside the subgroup (x = 0: a point of order 3), the infinity encoding, a
        // short key and bad hex are refused as before.
        let mut off_curve = [0u8; 48];
        off_curve[0] = 0x80;
        assert!(keys.parse_hex(&hex::encode(off_curve)).is_err());
        let mut infinity = [0u8; 48];
        infinity[0] = 0xc0;
        assert!(keys.parse_hex(&hex::encode(infinity)).is_err());
        assert!(keys.parse_hex(&known.to_hex()[..90]).is_err());
        assert!(keys.parse_hex("0xzz").is_err());
    }

    #[test]
    fn rejects_zero_share_index_and_accepts_one() {
        let dv = SecretKey::random().public_key();
        let share = SecretKey::random().public_key();
        let zero = ValidatorShares::new(dv, BTreeMap::from([(0, share)]));
        assert!(matches!(zero, Err(KeysError::ZeroShareIndex { .. })));
        let one = ValidatorShares::new(dv, BTreeMap::from([(1, share)])).expect("index 1 is valid");
        assert_eq!(one.public_share(1), Some(&share));
        assert_eq!(one.public_share(2), None);
    }

    #[test]
    fn rejects_empty_shares() {
        let dv = SecretKey::random().public_key();
        assert!(matches!(
            ValidatorShares::new(dv, BTreeMap::new()),
            Err(KeysError::NoShares { .. })
        ));
    }

    fn dealt(nodes: u64, threshold: u64) -> mosaic_cluster::Dealt {
        mosaic_cluster::build_lock(&mosaic_cluster::CreateParams {
            name: "core-test".into(),
            nodes,
            threshold: Some(threshold),
            num_validators: 1,
            network: "hoodi".into(),
            testnet: None,
            fee_recipients: vec!["0x000000000000000000000000000000000000fee0".into()],
            withdrawal_addresses: vec!["0x00000000000000000000000000000000000dead0".into()],
            deposit_amounts: vec![],
            compounding: false,
            target_gas_limit: 0,
            existing_keys: vec![],
            keystore_kdf: mosaic_crypto::keystore::Kdf::INSECURE,
        })
        .expect("build lock")
    }

    #[test]
    fn lock_positions_map_to_one_based_share_indices() {
        let dealt = dealt(4, 3);
        let validators = validators_from_lock(&dealt.lock).expect("valid lock");
        assert_eq!(validators.len(), 1);
        let validator = &validators[0];
        for (position, node_shares) in dealt.shares.iter().enumerate() {
            let index = position as ShareIndex + 1;
            assert_eq!(
                validator.public_share(index),
                Some(&node_shares[0].public_key()),
                "operator {position} holds share index {index}"
            );
        }
        let recovered = tbls::recover_public_key(validator.public_shares(), 3).expect("recover");
        assert_eq!(&recovered, validator.dv_pubkey());
    }

    #[test]
    fn lock_with_bad_share_names_the_field() {
        let mut lock = dealt(4, 3).lock;
        lock.validators[0].public_shares[1] = vec![1, 2, 3];
        let err = validators_from_lock(&lock).expect_err("bad share");
        assert!(
            err.to_string().contains("validators[0].public_shares[1]"),
            "{err}"
        );
        let mut lock = dealt(4, 3).lock;
        lock.validators[0].public_key = vec![0; 48];
        let err = validators_from_lock(&lock).expect_err("bad key");
        assert!(
            err.to_string().contains("validators[0].public_key"),
            "{err}"
        );
    }
}
