//! The crate's error type.

/// Every failure of `mosaic-crypto`, naming what was rejected and why.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A byte string had the wrong length.
    #[error("invalid {what}: expected {expected} bytes, got {actual}")]
    InvalidLength {
        /// What was being decoded.
        what: &'static str,
        /// The accepted length(s), for example `"65"` or `"33 or 65"`.
        expected: &'static str,
        /// The length received.
        actual: usize,
    },
    /// A hex string could not be decoded.
    #[error("invalid hex in {what}: {reason}")]
    InvalidHex {
        /// What was being decoded.
        what: &'static str,
        /// The decoder's complaint.
        reason: String,
    },

    /// A secp256k1 secret key was zero or not below the curve order.
    #[error("invalid secp256k1 secret key: must be nonzero and below the curve order")]
    Secp256k1SecretKey,
    /// A secp256k1 public key was not a valid curve point encoding.
    #[error("invalid secp256k1 public key: not a valid SEC1 point on the curve")]
    Secp256k1PublicKey,
    /// A secp256k1 signature was malformed.
    #[error("invalid secp256k1 signature: {reason}")]
    Secp256k1Signature {
        /// Why it was rejected.
        reason: &'static str,
    },
    /// No public key could be recovered from a secp256k1 signature and digest.
    #[error(
        "secp256k1 public key recovery failed: signature does not match any key for this digest"
    )]
    Secp256k1Recovery,
}
