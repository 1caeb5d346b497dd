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

/// Signs a message in place: sets its `signature` from its signing root.
pub fn sign_msg<S: Signer + ?Sized>(signer: &S, msg: &mut pb::QbftMsg) {
    msg.signature.clear();
    msg.signature = signer.sign(&signing_root(msg)).to_vec();
}
