//! QBFT signing roots and the signer/verifier abstraction.
//!
//! A `QBFTMsg` is signed with secp256k1 (65 bytes `R || S || V`) over the hash
//! root of its deterministic encoding with field 8 (`signature`) *excluded*.

use crate::encoding::encode_qbft_msg;
use crate::hashing::{hash_proto_bytes, Hash};
use crate::pb;

/// Length of a QBFT signature: `R || S || V`.
pub const SIGNATURE_LEN: usize = 65;

/// Returns the 32 bytes a `QBFTMsg` signature covers.
pub fn signing_root(msg: &pb::QbftMsg) -> Hash {
    let mut out = Vec::with_capacity(96);
    encode_qbft_msg(msg, false, &mut out);
    hash_proto_bytes(&out)
}

/// Signs signing roots with this node's identity key.
pub trait Signer {
    /// Returns the 65-byte `R || S || V` signature over `root`.
    fn sign(&self, root: &Hash) -> [u8; SIGNATURE_LEN];
}

/// Checks that a signature over a signing root was made by a cluster member.
pub trait SignatureVerifier {
    /// Number of cluster members (peer indices `0..nodes`).
    fn nodes(&self) -> usize;

    /// Returns whether `signature` over `root` was made by the key of `peer_idx`.
    /// Returns false for an unknown `peer_idx`.
    fn verify(&self, peer_idx: u64, root: &Hash, signature: &[u8]) -> bool;
}

impl<T: Signer + ?Sized> Signer for &T {
    fn sign(&self, root: &Hash) -> [u8; SIGNATURE_LEN] {
        (**self).sign(root)
    }
}

impl<T: SignatureVerifier + ?Sized> SignatureVerifier for &T {
    fn nodes(&self) -> usize {
        (**self).nodes()
    }

    fn verify(&self, peer_idx: u64, root: &Hash, signature: &[u8]) -> bool {
        (**self).verify(peer_idx, root, signature)
    }
}

/// Signs a message in place: sets its `signature` from its signing root.
pub fn sign_msg<S: Signer + ?Sized>(signer: &S, msg: &mut pb::QbftMsg) {
    msg.signature.clear();
    msg.signature = signer.sign(&signing_root(msg)).to_vec();
}

/// The production signer: the node's secp256k1 identity key (RFC 6979, low-s).
pub struct Secp256k1Signer {
    key: mosaic_crypto::secp256k1::SecretKey,
}

impl Secp256k1Signer {
    /// Wraps the node's identity key.
    pub fn new(key: mosaic_crypto::secp256k1::SecretKey) -> Self {
        Self { key }
    }
}

impl Signer for Secp256k1Signer {
    fn sign(&self, root: &Hash) -> [u8; SIGNATURE_LEN] {
        self.key.sign(root).to_bytes()
    }
}

/// The production verifier: recovers the signer and compares it with the
/// public key at `peer_idx` in the cluster lock's operator order.
#[derive(Debug, Clone)]
pub struct Secp256k1Verifier {
    keys: Vec<mosaic_crypto::secp256k1::PublicKey>,
}

impl Secp256k1Verifier {
    /// Creates a verifier for the cluster's identity keys, indexed by peer index.
    pub fn new(keys: Vec<mosaic_crypto::secp256k1::PublicKey>) -> Self {
        Self { keys }
    }
}

impl SignatureVerifier for Secp256k1Verifier {
    fn nodes(&self) -> usize {
        self.keys.len()
    }

    fn verify(&self, peer_idx: u64, root: &Hash, signature: &[u8]) -> bool {
        let Some(key) = usize::try_from(peer_idx)
            .ok()
            .and_then(|i| self.keys.get(i))
        else {
            return false;
        };
        mosaic_crypto::secp256k1::RecoverableSignature::from_bytes(signature)
            .is_ok_and(|sig| mosaic_crypto::secp256k1::verify(key, root, &sig))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mosaic_crypto::secp256k1::SecretKey;

    #[test]
    fn secp256k1_sign_and_verify_by_peer_index() {
        let keys: Vec<SecretKey> = (0..3).map(|_| SecretKey::random()).collect();
        let verifier = Secp256k1Verifier::new(keys.iter().map(SecretKey::public_key).collect());
        let mut msg = pb::QbftMsg {
            r#type: 2,
            round: 1,
            value_hash: vec![1; 32],
            ..Default::default()
        };
        sign_msg(
            &Secp256k1Signer::new(SecretKey::from_bytes(&keys[1].to_bytes()[..]).expect("key")),
            &mut msg,
        );
        let root = signing_root(&msg);
        assert_eq!(
            root,
            signing_root(&pb::QbftMsg {
                signature: vec![],
                ..msg.clone()
            })
        );
        assert!(verifier.verify(1, &root, &msg.signature));
        assert!(
            !verifier.verify(0, &root, &msg.signature),
            "other member's key"
        );
        assert!(
            !verifier.verify(3, &root, &msg.signature),
            "non-member index"
        );
        let mut bad = msg.signature.clone();
        bad[10] ^= 1;
        assert!(!verifier.verify(1, &root, &bad), "corrupted signature");
        assert!(
            !verifier.verify(1, &root, &msg.signature[..64]),
            "64-byte signature"
        );
        let mut v27 = msg.signature.clone();
        v27[64] += 27;
        assert!(
            verifier.verify(1, &root, &v27),
            "V offset by 27 is accepted like Charon"
        );
    }
}
