//! Messages hashed to G2, remembered, and the raw blst operations that use them.
//!
//! A node hashes the same signing root many times in a slot: its validator client signs it for
//! every validator of the slot, and the validator API, each peer's batch of partial signatures
//! and the check of the combined signatures verify it again. Hashing to G2 costs about as much
//! as the scalar multiplication of a signature, so the last [`CAPACITY`] messages (of at most
//! [`MAX_CACHED_MESSAGE_LEN`] bytes, which covers every 32-byte signing root) keep their hash.
//! The hash is a public function of the public message: remembering it reveals nothing.

#![allow(unsafe_code)]

use std::sync::LazyLock;

use blst::{blst_p1_affine, blst_p2, blst_p2_affine, blst_scalar};

use crate::bls::DST;
use crate::memo::Memo;

/// Messages whose hash is remembered (first in, first out).
const CAPACITY: usize = 1024;
/// Longer messages are hashed every time.
const MAX_CACHED_MESSAGE_LEN: usize = 64;

/// A message hashed to G2 with [`DST`], in both forms blst takes.
#[derive(Clone, Copy)]
pub(crate) struct HashedMessage {
    /// Projective (what signing takes).
    pub(crate) projective: blst_p2,
    /// Affine (what a Miller loop takes).
    pub(crate) affine: blst_p2_affine,
}

static CACHE: LazyLock<Memo<Vec<u8>, HashedMessage>> = LazyLock::new(|| Memo::new(CAPACITY));

/// `message` hashed to G2 with [`DST`] (remembered for short messages).
pub(crate) fn hash_to_g2(message: &[u8]) -> HashedMessage {
    if message.len() > MAX_CACHED_MESSAGE_LEN {
        return compute(message);
    }
    if let Some(found) = CACHE.get(message) {
        return found;
    }
    // Hashed outside the memo's lock: two threads may both compute a new message once.
    let hashed = compute(message);
    CACHE.insert(message.to_vec(), hashed);
    hashed
}

fn compute(message: &[u8]) -> HashedMessage {
    let mut projective = blst_p2::default();
    let mut affine = blst_p2_affine::default();
    // SAFETY: the output pointers reference valid, writable blst values; message and DST are
    // valid slices whose lengths are passed with them; a null augmentation of length 0 is what
    // blst expects for "no augmentation".
    unsafe {
        blst::blst_hash_to_g2(
            &mut projective,
            message.as_ptr(),
            message.len(),
            DST.as_ptr(),
            DST.len(),
            std::ptr::null(),
            0,
        );
        blst::blst_p2_to_affine(&mut affine, &projective);
    }
    HashedMessage { projective, affine }
}

/// `secret · hash`: the signature of the hashed message (blst's constant-time signing
/// multiplication), in affine form.
pub(crate) fn sign(hash: &HashedMessage, secret: &blst_scalar) -> blst_p2_affine {
    let mut signature = blst_p2::default();
    let mut affine = blst_p2_affine::default();
    // SAFETY: all pointers reference valid blst values; outputs are writable.
    unsafe {
        blst::blst_sign_pk_in_g1(&mut signature, &hash.projective, secret);
        blst::blst_p2_to_affine(&mut affine, &signature);
    }
    affine
}

/// The negated generator of G1.
fn g1_generator_negated() -> blst_p1_affine {
    // SAFETY: blst returns a pointer to its static, initialised generator.
    let mut negated = unsafe { *blst::blst_p1_affine_generator() };
    // SAFETY: in-place negation of a valid field element (blst allows aliased arguments).
    unsafe { blst::blst_fp_cneg(&mut negated.y, &negated.y, true) };
    negated
}

/// Whether `e(g1, signature) = Π_i e(keys[i], hashes[i])`: one Miller loop over all pairs
/// (with `(−g1, signature)` among them, so the squarings are shared), one final
/// exponentiation, on the calling thread. `keys` and `hashes` have the same, nonzero length.
pub(crate) fn pairing_check(
    keys: &[blst_p1_affine],
    hashes: &[blst_p2_affine],
    signature: &blst_p2_affine,
) -> bool {
    if keys.is_empty() || keys.len() != hashes.len() {
        return false;
    }
    let mut g2_points = Vec::with_capacity(hashes.len() + 1);
    g2_points.push(*signature);
    g2_points.extend_from_slice(hashes);
    let mut g1_points = Vec::with_capacity(keys.len() + 1);
    g1_points.push(g1_generator_negated());
    g1_points.extend_from_slice(keys);
    // A null second entry tells blst that the points are contiguous arrays.
    let g2_ptrs: [*const blst_p2_affine; 2] = [g2_points.as_ptr(), std::ptr::null()];
    let g1_ptrs: [*const blst_p1_affine; 2] = [g1_points.as_ptr(), std::ptr::null()];
    let mut miller = blst::blst_fp12::default();
    let mut result = blst::blst_fp12::default();
    // SAFETY: both pointer arrays describe contiguous arrays of `g2_points.len()` points (the
    // two vectors have the same length); outputs are valid and writable.
    unsafe {
        blst::blst_miller_loop_n(
            &mut miller,
            g2_ptrs.as_ptr(),
            g1_ptrs.as_ptr(),
            g2_points.len(),
        );
        blst::blst_final_exp(&mut result, &miller);
        blst::blst_fp12_is_one(&result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_hashes_equal_fresh_ones_and_the_cache_stays_bounded() {
        let first = hash_to_g2(b"a signing root, 32 bytes long...");
        let again = hash_to_g2(b"a signing root, 32 bytes long...");
        let fresh = compute(b"a signing root, 32 bytes long...");
        assert_eq!(first.affine, fresh.affine);
        assert_eq!(again.affine, fresh.affine);
        assert_ne!(hash_to_g2(b"another").affine, fresh.affine);
        let long = [7u8; MAX_CACHED_MESSAGE_LEN + 1];
        assert_eq!(hash_to_g2(&long).affine, compute(&long).affine);
        for i in 0..(CAPACITY + 10) as u32 {
            hash_to_g2(&i.to_le_bytes());
        }
        assert!(CACHE.len() <= CAPACITY);
        assert!(CACHE.get(long.as_slice()).is_none());
    }
}
