//! The validators this client signs for: secret keys, public keys and registry indices.

use std::collections::HashMap;
use std::sync::RwLock;

use mosaic_crypto::bls::{PreparedMessage, PublicKey, SecretKey};
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

    /// Signs a prepared signing root (the same signature as [`Self::sign`], in about half the
    /// time); the encoding is remembered as there.
    fn sign_prepared(&self, prepared: &PreparedMessage) -> BlsSignature {
        BlsSignature(prepared.sign(&self.secret).to_bytes_remembered())
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

    /// Signs each `(validator, signing root)`; `None` for a key this set does not hold. A root
    /// that many keys sign (a slot's attestations and selection proofs share theirs) is
    /// prepared once ([`PreparedMessage`]), which halves the cost of each signature.
    pub(crate) fn sign_all(&self, requests: &[(BlsPubkey, Root)]) -> Vec<Option<BlsSignature>> {
        let mut signers: HashMap<Root, usize> = HashMap::new();
        for (pubkey, root) in requests {
            if self.by_pubkey.contains_key(pubkey) {
                *signers.entry(*root).or_default() += 1;
            }
        }
        let prepared: HashMap<Root, PreparedMessage> = signers
            .into_iter()
            .filter(|(_, count)| *count >= PreparedMessage::WORTH_FROM)
            .map(|(root, _)| (root, PreparedMessage::new(&root.0)))
            .collect();
        requests
            .iter()
            .map(|(pubkey, root)| {
                let key = &self.keys[*self.by_pubkey.get(pubkey)?];
                Some(match prepared.get(root) {
                    Some(prepared) => key.sign_prepared(prepared),
                    None => key.sign(*root),
                })
            })
            .collect()
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

    /// Roots signed by many keys (prepared) and by few (signed directly), interleaved, with a
    /// key the set does not hold: every answer is in request order and is that key's signature
    /// of that root.
    #[test]
    fn signing_many_requests_answers_each_in_order() {
        let count = PreparedMessage::WORTH_FROM + 2;
        let secrets: Vec<SecretKey> = (1..=count as u8).map(key).collect();
        let validators = Validators::new(secrets.clone()).unwrap();
        let pubkeys: Vec<BlsPubkey> = validators.pubkeys().collect();
        let shared = Root([5; 32]);
        let mut requests = Vec::new();
        for (position, pubkey) in pubkeys.iter().enumerate() {
            requests.push((*pubkey, shared));
            if position % 3 == 0 {
                requests.push((*pubkey, Root([position as u8; 32])));
            }
        }
        requests.insert(4, (BlsPubkey([9; 48]), shared));
        let signatures = validators.sign_all(&requests);
        assert_eq!(signatures.len(), requests.len());
        for ((pubkey, root), signature) in requests.iter().zip(&signatures) {
            match pubkeys.iter().position(|p| p == pubkey) {
                Some(position) => assert_eq!(
                    signature.map(|s| s.0),
                    Some(secrets[position].sign(&root.0).to_bytes()),
                    "{pubkey:?} over {root:?}"
                ),
                None => assert!(signature.is_none()),
            }
        }
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
