//! [`KeyMap`]: from the key the validator client signs with to the key its history is kept under.

use std::collections::{BTreeSet, HashMap};

use mosaic_cluster::{DistValidator, Lock};
use mosaic_crypto::bls::PublicKey;
use mosaic_slashing::{Hex, PublicKeyBytes};

use crate::SignerError;

/// Maps each signing key (a key share in signer mode) to the validator key whose EIP-3076
/// history protects it (the distributed validator's group key).
///
/// Every signing key maps to a distinct protected key: two shares of one validator on one node
/// would let one sign what the other's history forbids, so [`KeyMap::from_lock`] refuses it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyMap {
    to_protected: HashMap<PublicKeyBytes, PublicKeyBytes>,
}

impl KeyMap {
    /// Each key protected under itself (a plain validator client, not a distributed validator).
    pub fn identity(keys: impl IntoIterator<Item = PublicKeyBytes>) -> Self {
        Self {
            to_protected: keys.into_iter().map(|key| (key, key)).collect(),
        }
    }

    /// Maps each of this node's public `shares` to the distributed validator of `lock` that
    /// lists it among its `public_shares`. A share found in no validator is
    /// [`SignerError::UnknownShare`].
    pub fn from_lock(lock: &Lock, shares: &[PublicKey]) -> Result<Self, SignerError> {
        Self::from_validators(&lock.validators, shares)
    }

    /// As [`KeyMap::from_lock`], over a lock's `validators`.
    pub fn from_validators(
        validators: &[DistValidator],
        shares: &[PublicKey],
    ) -> Result<Self, SignerError> {
        let mut share_owner: HashMap<PublicKeyBytes, PublicKeyBytes> = HashMap::new();
        for (index, validator) in validators.iter().enumerate() {
            let group = key_bytes(&validator.public_key, index, "public_key")?;
            for (i, share) in validator.public_shares.iter().enumerate() {
                let share = key_bytes(share, index, &format!("public_shares[{i}]"))?;
                share_owner.insert(share, group);
            }
        }
        let mut map = HashMap::with_capacity(shares.len());
        let mut first_share_of: HashMap<PublicKeyBytes, PublicKeyBytes> = HashMap::new();
        for share in shares {
            let share = share.to_bytes();
            let group = *share_owner
                .get(&share)
                .ok_or(SignerError::UnknownShare { share: Hex(share) })?;
            if let Some(first) = first_share_of.insert(group, share) {
                if first != share {
                    return Err(SignerError::SharedProtectedKey {
                        first: Hex(first).to_string(),
                        second: Hex(share).to_string(),
                        protected: Hex(group).to_string(),
                    });
                }
            }
            map.insert(share, group);
        }
        Ok(Self { to_protected: map })
    }

    /// The key whose history protects signatures by `signing_key`, if it is known.
    pub fn protected_key(&self, signing_key: &PublicKeyBytes) -> Option<PublicKeyBytes> {
        self.to_protected.get(signing_key).copied()
    }

    /// Every protected key, sorted, each once.
    pub fn protected_keys(&self) -> Vec<PublicKeyBytes> {
        let keys: BTreeSet<PublicKeyBytes> = self.to_protected.values().copied().collect();
        keys.into_iter().collect()
    }

    /// How many signing keys are mapped.
    pub fn len(&self) -> usize {
        self.to_protected.len()
    }

    /// Whether no key is mapped.
    pub fn is_empty(&self) -> bool {
        self.to_protected.is_empty()
    }
}

fn key_bytes(bytes: &[u8], index: usize, field: &str) -> Result<PublicKeyBytes, SignerError> {
    PublicKeyBytes::try_from(bytes).map_err(|_| SignerError::MalformedLockKey {
        index,
        field: field.to_owned(),
        len: bytes.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mosaic_crypto::bls::SecretKey;

    fn public(byte: u8) -> PublicKey {
        SecretKey::from_bytes(&[byte; 32]).unwrap().public_key()
    }

    fn lock_with(validators: Vec<(PublicKey, Vec<PublicKey>)>) -> Vec<DistValidator> {
        validators
            .into_iter()
            .map(|(group, shares)| DistValidator {
                public_key: group.to_bytes().to_vec(),
                public_shares: shares.iter().map(|s| s.to_bytes().to_vec()).collect(),
                ..Default::default()
            })
            .collect()
    }

    #[test]
    fn shares_map_to_their_distributed_validator() {
        let lock = lock_with(vec![
            (public(1), vec![public(11), public(12)]),
            (public(2), vec![public(21), public(22)]),
        ]);
        let map = KeyMap::from_validators(&lock, &[public(12), public(21)]).unwrap();
        assert_eq!(map.len(), 2);
        assert_eq!(
            map.protected_key(&public(12).to_bytes()),
            Some(public(1).to_bytes())
        );
        assert_eq!(
            map.protected_key(&public(21).to_bytes()),
            Some(public(2).to_bytes())
        );
        // The group key itself is not a signing key of this node.
        assert_eq!(map.protected_key(&public(1).to_bytes()), None);
        let mut expected = vec![public(1).to_bytes(), public(2).to_bytes()];
        expected.sort();
        assert_eq!(map.protected_keys(), expected);
    }

    #[test]
    fn a_share_of_no_validator_is_refused() {
        let lock = lock_with(vec![(public(1), vec![public(11), public(12)])]);
        let error = KeyMap::from_validators(&lock, &[public(13)]).unwrap_err();
        assert!(matches!(error, SignerError::UnknownShare { .. }), "{error}");
        assert!(KeyMap::from_validators(&lock, &[public(11)]).is_ok());
    }

    #[test]
    fn two_shares_of_one_validator_are_refused() {
        let lock = lock_with(vec![(public(1), vec![public(11), public(12)])]);
        let error = KeyMap::from_validators(&lock, &[public(11), public(12)]).unwrap_err();
        assert!(
            matches!(error, SignerError::SharedProtectedKey { .. }),
            "{error}"
        );
        // The same share twice is one key, not two.
        assert_eq!(
            KeyMap::from_validators(&lock, &[public(11), public(11)])
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn malformed_lock_keys_are_named() {
        let mut lock = lock_with(vec![(public(1), vec![public(11)])]);
        lock[0].public_shares[0].pop();
        let error = KeyMap::from_validators(&lock, &[public(11)]).unwrap_err();
        assert!(
            error.to_string().contains("public_shares[0] is 47 bytes"),
            "{error}"
        );
    }

    #[test]
    fn identity_keeps_each_key() {
        let map = KeyMap::identity([public(1).to_bytes()]);
        assert_eq!(
            map.protected_key(&public(1).to_bytes()),
            Some(public(1).to_bytes())
        );
        assert!(!map.is_empty());
        assert!(KeyMap::default().is_empty());
    }
}
