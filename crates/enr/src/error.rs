//! The error type of `mosaic-enr`.

use crate::rlp::RlpError;

/// Why a record could not be parsed, verified or created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The text form did not start with `enr:`.
    #[error("ENR text must start with \"enr:\"")]
    MissingPrefix,
    /// The text after `enr:` was not unpadded URL-safe base64.
    #[error("ENR text is not unpadded URL-safe base64: {reason}")]
    Base64 {
        /// What the decoder reported.
        reason: String,
    },
    /// The record is longer than EIP-778 allows.
    #[error("record is {size} bytes, more than the {max} EIP-778 allows")]
    TooLarge {
        /// The record's encoded size.
        size: usize,
        /// The maximum, [`crate::MAX_RECORD_SIZE`].
        max: usize,
    },
    /// The record is not canonical RLP.
    #[error("record RLP: {0}")]
    Rlp(#[from] RlpError),
    /// The record is not a list of signature, sequence number and key/value pairs.
    #[error("record structure: {reason}")]
    Structure {
        /// What is wrong.
        reason: &'static str,
    },
    /// Keys are not in strictly increasing byte order (unsorted or duplicated).
    #[error(
        "key {key:?} is not after the previous key {previous:?}: keys must be sorted and unique"
    )]
    KeyOrder {
        /// The previous key (lossy UTF-8).
        previous: String,
        /// The offending key (lossy UTF-8).
        key: String,
    },
    /// The `id` key is missing.
    #[error("record has no \"id\" key")]
    MissingId,
    /// The identity scheme is not `v4`.
    #[error("identity scheme {scheme:?} is not supported; only \"v4\"")]
    UnsupportedScheme {
        /// The scheme named by `id` (lossy UTF-8).
        scheme: String,
    },
    /// The `secp256k1` key is missing.
    #[error("record has no \"secp256k1\" key")]
    MissingPublicKey,
    /// A known key has a value of the wrong shape.
    #[error("value of key {key:?} is invalid: {reason}")]
    InvalidValue {
        /// The key.
        key: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The signature field is not 64 bytes.
    #[error("signature is {length} bytes, expected 64 (R || S)")]
    SignatureLength {
        /// Its length.
        length: usize,
    },
    /// The signature does not verify against the record's public key.
    #[error("signature does not verify against the record's secp256k1 key")]
    BadSignature,
}
