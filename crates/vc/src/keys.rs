//! The validators this client signs for: secret keys, public keys and registry indices.

use std::collections::HashMap;
use std::sync::RwLock;

use mosaic_crypto::bls::{PublicKey, SecretKey};
use mosaic_types::{BlsPubkey, BlsSignature, Root};

use crate::VcError;

/// One validator's keys.
pub(crate) struct ValidatorKey {
    secret: SecretKey,
    /// The public key (the one the beacon node knows, or a public share behind a DV node).
    pub(crate) public: PublicKey,
    /// The public key's bytes.
    pub(crate) pubkey: BlsPubkey,
}

impl ValidatorKey {
    /// Signs a signing root. The encoding is remembered, so that a validator API in this
    /// process takes the signature back without decoding it again.
    pub(crate) fn sign(&self, signing_root: Root) -> BlsSignature {
        BlsSignature(self.secret.sign(&signing_root.0).to_bytes_remembered())
    }
}

/// The set of validators, with indices as the beacon node resolved them.
pub(crate) struct Validators {
    keys: Vec<ValidatorKey>,
    by_pubkey: HashMap<BlsPubkey, usize>,
    /// Registry index → position in `keys`.
    by_index: RwLock<HashMap<u64, usize>>,
}

impl Validators {
    /// Takes the keys; refuses an empty or duplicated set.
    pub(crate) fn new(secrets: Vec<SecretKey>) -> Result<Self, VcError> {
        if secrets.is_empty() {
            return Err(VcError::NoKeys);
        }
        let mut keys = Vec::with_capacity(secrets.len());
        let mut by_pubkey = HashMap::with_capacity(secrets.len());
        for secret in secrets {
            let public = secret.public_key();
            let pubkey = BlsPubkey(public.to_bytes());
            if by_pubkey.insert(pubkey, keys.len()).is_some() {
                return Err(VcError::DuplicateKey { pubkey });
            }
            keys.push(ValidatorKey {
                secret,
                public,
                pubkey,
            });
        }
        Ok(Self {
            keys,
            by_pubkey,
            by_index: RwLock::new(HashMap::new()),
        })
    }

    /// Every validator's public key.
    pub(crate) fn pubkeys(&self) -> impl Iterator<Item = BlsPubkey> + '_ {
        self.keys.iter().map(|k| k.pubkey)
    }

    /// Public keys without a known index.
    pub(crate) fn unresolved(&self) -> Vec<BlsPubkey> {
        let by_index = self.read();
        self.keys
            .iter()
            .enumerate()
            .filter(|(position, _)| !by_index.values().any(|p| p == position))
            .map(|(_, k)| k.pubkey)
            .collect()
    }

    /// Records `pubkey`'s registry index (ignored for foreign keys).
    pub(crate) fn set_index(&self, pubkey: &BlsPubkey, index: u64) {
        if let Some(position) = self.by_pubkey.get(pubkey) {
            self.by_index
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .insert(index, *position);
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<u64, usize>> {
        self.by_index
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Every known registry index, sorted.
    pub(crate) fn indices(&self) -> Vec<u64> {
        let mut indices: Vec<u64> = self.read().keys().copied().collect();
        indices.sort_unstable();
        indices
    }

    /// The key of the validator with registry index `index`.
    pub(crate) fn by_index(&self, index: u64) -> Option<&ValidatorKey> {
        let position = *self.read().get(&index)?;
        self.keys.get(position)
    }

    /// The key and index of `pubkey`.
    pub(crate) fn by_pubkey(&self, pubkey: &BlsPubkey) -> Option<(&ValidatorKey, Option<u64>)> {
        let position = *self.by_pubkey.get(pubkey)?;
        let index = self
            .read()
            .iter()
            .find(|(_, p)| **p == position)
            .map(|(index, _)| *index);
        Some((&self.keys[position], index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> SecretKey {
        SecretKey::from_bytes(&[byte; 32]).unwrap()
    }

    #[test]
    fn indices_resolve_and_sign() {
        let validators = Validators::new(vec![key(1), key(2)]).unwrap();
        let pubkeys: Vec<BlsPubkey> = validators.pubkeys().collect();
        assert_eq!(validators.unresolved().len(), 2);
        validators.set_index(&pubkeys[1], 7);
        validators.set_index(&BlsPubkey([9; 48]), 8);
        assert_eq!(validators.unresolved(), vec![pubkeys[0]]);
        assert_eq!(validators.indices(), vec![7]);
        let key = validators.by_index(7).unwrap();
        assert_eq!(key.pubkey, pubkeys[1]);
        assert!(validators.by_index(8).is_none());
        let root = Root([3; 32]);
        let signature = mosaic_crypto::bls::Signature::from_bytes(&key.sign(root).0).unwrap();
        assert!(signature.verify(&key.public, &root.0));
        assert_eq!(validators.by_pubkey(&pubkeys[0]).unwrap().1, None);
        assert_eq!(validators.by_pubkey(&pubkeys[1]).unwrap().1, Some(7));
    }

    #[test]
    fn empty_and_duplicate_key_sets_are_refused() {
        assert!(matches!(Validators::new(vec![]), Err(VcError::NoKeys)));
        assert!(matches!(
            Validators::new(vec![key(1), key(1)]),
            Err(VcError::DuplicateKey { .. })
        ));
        assert!(Validators::new(vec![key(1), key(2)]).is_ok());
    }
}
