//! secp256k1 keys for the `v4` identity scheme.
//!
//! TEMPORARY: a thin wrapper over `k256` with exactly the names and signatures of the
//! `mosaic_crypto::secp256k1` contract (`SecretKey::{from_bytes, public_key, sign_compact}`,
//! `PublicKey::{from_bytes, to_compressed, to_uncompressed, verify_compact}`), used until
//! mosaic-crypto's secp256k1 lands on main. Then this module becomes
//! `pub use mosaic_crypto::secp256k1::{PublicKey, SecretKey};` and callers are unchanged.

use std::fmt;

use k256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use k256::ecdsa::{Signature, SigningKey, VerifyingKey};

/// Why a key could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not a valid secret scalar (wrong length, zero or not below the group order).
    #[error("invalid secp256k1 secret key")]
    InvalidSecretKey,
    /// Not a valid SEC1 point encoding on the curve.
    #[error("invalid secp256k1 public key ({length} bytes)")]
    InvalidPublicKey {
        /// The length of the rejected encoding.
        length: usize,
    },
}

/// A secp256k1 secret key; zeroized on drop (by `k256`), `Debug` prints nothing secret.
#[derive(Clone)]
pub struct SecretKey(SigningKey);

impl SecretKey {
    /// From 32 big-endian bytes (non-zero, below the group order).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        SigningKey::from_slice(bytes)
            .map(Self)
            .map_err(|_| KeyError::InvalidSecretKey)
    }

    /// The public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(*self.0.verifying_key())
    }

    /// RFC 6979 deterministic, low-S signature over a 32-byte digest, as `R || S`.
    pub fn sign_compact(&self, digest: &[u8; 32]) -> [u8; 64] {
        let signature: Signature = match self.0.sign_prehash(digest) {
            Ok(signature) => signature,
            // k256 fails only for a digest that is not 32 bytes or a zero nonce, which
            // RFC 6979 cannot produce for a valid key; an all-zero signature never verifies.
            Err(_) => return [0u8; 64],
        };
        let signature = signature.normalize_s().unwrap_or(signature);
        signature.to_bytes().into()
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// A secp256k1 public key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// From a 33-byte compressed or 65-byte uncompressed SEC1 encoding.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let well_tagged = match bytes.len() {
            33 => matches!(bytes[0], 0x02 | 0x03),
            65 => bytes[0] == 0x04,
            _ => false,
        };
        if !well_tagged {
            return Err(KeyError::InvalidPublicKey {
                length: bytes.len(),
            });
        }
        VerifyingKey::from_sec1_bytes(bytes)
            .map(Self)
            .map_err(|_| KeyError::InvalidPublicKey {
                length: bytes.len(),
            })
    }

    /// 33-byte compressed encoding.
    pub fn to_compressed(&self) -> [u8; 33] {
        let point = self.0.to_encoded_point(true);
        let mut out = [0u8; 33];
        out.copy_from_slice(point.as_bytes());
        out
    }

    /// 65-byte uncompressed encoding (`0x04 || X || Y`).
    pub fn to_uncompressed(&self) -> [u8; 65] {
        let point = self.0.to_encoded_point(false);
        let mut out = [0u8; 65];
        out.copy_from_slice(point.as_bytes());
        out
    }

    /// Verifies an `R || S` signature over a 32-byte digest; high-S signatures are rejected.
    pub fn verify_compact(&self, digest: &[u8; 32], signature: &[u8; 64]) -> bool {
        let Ok(signature) = Signature::from_slice(signature) else {
            return false;
        };
        if signature.normalize_s().is_some() {
            return false;
        }
        self.0.verify_prehash(digest, &signature).is_ok()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey(0x{})", hex::encode(self.to_compressed()))
    }
}

impl std::hash::Hash for PublicKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.to_compressed().hash(state);
    }
}
