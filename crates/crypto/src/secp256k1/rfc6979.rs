//! Signing a digest at or above the group order n exactly as Charon and the previous backend do.
//!
//! RFC 6979 seeds its HMAC-DRBG with `int2octets(x) || bits2octets(h)`. Charon's signer
//! (and k256 0.13) put the digest's 32 bytes in unreduced, while libsecp256k1 reduces the digest
//! modulo n first. The two agree for every digest below n; for the rare digest at or above n
//! (probability about 2^-128 for a hash output) this module derives the nonce from the unreduced
//! bytes and hands it to libsecp256k1, keeping signatures byte-identical to Charon's.

#![allow(unsafe_code)]

use std::ffi::{c_int, c_uchar, c_uint, c_void};

use hmac::{Hmac, Mac};
use secp256k1::ffi::{self, CPtr};
use secp256k1::{All, Secp256k1};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::CURVE_ORDER;

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8; 32], parts: &[&[u8]]) -> Zeroizing<[u8; 32]> {
    // HMAC accepts keys of any length, so construction cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC-SHA256 accepts a 32-byte key"));
    for part in parts {
        mac.update(part);
    }
    Zeroizing::new(mac.finalize().into_bytes().into())
}

/// The first RFC 6979 (HMAC-SHA256) nonce in `[1, n)` for `secret` and the unreduced `digest`.
pub(super) fn nonce_unreduced(secret: &[u8; 32], digest: &[u8; 32]) -> Zeroizing<[u8; 32]> {
    let mut v = Zeroizing::new([0x01u8; 32]);
    let mut k = Zeroizing::new([0x00u8; 32]);
    k = hmac(&k, &[v.as_slice(), &[0x00], secret, digest]);
    v = hmac(&k, &[v.as_slice()]);
    k = hmac(&k, &[v.as_slice(), &[0x01], secret, digest]);
    v = hmac(&k, &[v.as_slice()]);
    loop {
        v = hmac(&k, &[v.as_slice()]);
        if v.iter().any(|&b| b != 0) && v.as_slice() < CURVE_ORDER.as_slice() {
            return v;
        }
        k = hmac(&k, &[v.as_slice(), &[0x00]]);
        v = hmac(&k, &[v.as_slice()]);
    }
}

/// A libsecp256k1 nonce function that returns the 32-byte nonce `data` points to, on the first
/// attempt only (a later attempt, needed only if that nonce gave `r = 0` or `s = 0`, fails).
///
/// # Safety
///
/// libsecp256k1 calls it with `nonce32` writable for 32 bytes and `data` the pointer given to
/// the signing call, which [`sign_with_nonce`] makes a readable 32-byte array.
unsafe extern "C" fn precomputed_nonce(
    nonce32: *mut c_uchar,
    _msg32: *const c_uchar,
    _key32: *const c_uchar,
    _algo16: *const c_uchar,
    data: *mut c_void,
    attempt: c_uint,
) -> c_int {
    if attempt != 0 || data.is_null() {
        return 0;
    }
    // SAFETY: see the function's contract: `data` is a live `[u8; 32]` and `nonce32` has room
    // for 32 bytes; the two never overlap (one is ours, the other libsecp256k1's stack).
    unsafe { std::ptr::copy_nonoverlapping(data.cast::<u8>(), nonce32, 32) };
    1
}

/// Signs `digest` (used as is; libsecp256k1 reduces it modulo n for the signature equation)
/// with `key` and the given RFC 6979 `nonce`, normalising to low s. `None` if the nonce gives
/// `r = 0` or `s = 0` (probability about 2^-256).
pub(super) fn sign_with_nonce(
    context: &Secp256k1<All>,
    key: &secp256k1::SecretKey,
    digest: &[u8; 32],
    nonce: &[u8; 32],
) -> Option<secp256k1::ecdsa::RecoverableSignature> {
    let mut signature = ffi::recovery::RecoverableSignature::new();
    // SAFETY: the context is a live signing context owned by a `'static` OnceLock; `signature`
    // is a valid output location; `digest`, the key and `nonce` are 32-byte arrays that outlive
    // the call; `precomputed_nonce` upholds libsecp256k1's nonce-function contract and only
    // reads `nonce`, which it receives as `data`.
    let ok = unsafe {
        ffi::recovery::secp256k1_ecdsa_sign_recoverable(
            context.ctx().as_ptr(),
            &mut signature,
            digest.as_c_ptr(),
            key.as_c_ptr(),
            Some(precomputed_nonce),
            nonce.as_ptr().cast::<c_void>(),
        )
    };
    (ok == 1).then(|| secp256k1::ecdsa::RecoverableSignature::from(signature))
}
