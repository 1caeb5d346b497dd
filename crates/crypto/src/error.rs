//! The crate's error type.

use std::path::PathBuf;

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

    /// A BLS secret key was zero or not below the group order r.
    #[error("invalid BLS secret key: {reason}")]
    BlsSecretKey {
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A BLS public key was not a valid G1 point of the prime-order subgroup.
    #[error("invalid BLS public key: {reason}")]
    BlsPublicKey {
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A BLS signature was not a valid G2 point of the prime-order subgroup.
    #[error("invalid BLS signature: {reason}")]
    BlsSignature {
        /// Why it was rejected.
        reason: &'static str,
    },
    /// An operation that needs at least one input got none.
    #[error("no {what} given")]
    EmptyInput {
        /// What was missing.
        what: &'static str,
    },

    /// A threshold was zero or larger than the number of shares.
    #[error("invalid threshold {threshold} for {shares} shares: need 1 <= threshold <= shares")]
    InvalidThreshold {
        /// The threshold asked for.
        threshold: u64,
        /// The number of shares.
        shares: u64,
    },
    /// Share index 0 is the secret itself and cannot be a share's x-coordinate.
    #[error("share index 0 is not allowed (it is the x-coordinate of the secret)")]
    ZeroShareIndex,
    /// The same share index appeared twice.
    #[error("duplicate share index {index}")]
    DuplicateShareIndex {
        /// The repeated index.
        index: u64,
    },
    /// Fewer shares than the threshold were given for recovery or combination.
    #[error("not enough shares: threshold is {threshold}, got {available}")]
    NotEnoughShares {
        /// The threshold.
        threshold: u64,
        /// How many were given.
        available: u64,
    },
    /// Threshold arithmetic produced a degenerate value (a zero secret or share, a point at
    /// infinity), which only inconsistent or adversarial inputs cause.
    #[error("threshold arithmetic produced an invalid {what}")]
    Degenerate {
        /// What came out degenerate.
        what: &'static str,
    },

    /// Keystore JSON could not be parsed.
    #[error("invalid keystore JSON: {reason}")]
    KeystoreJson {
        /// The parser's complaint.
        reason: String,
    },
    /// A keystore uses a version, KDF, PRF, checksum or cipher this crate does not support.
    #[error("unsupported keystore {field}: {value:?}")]
    KeystoreUnsupported {
        /// The JSON field, for example `crypto.kdf.function`.
        field: &'static str,
        /// The value found.
        value: String,
    },
    /// A keystore parameter is missing or malformed.
    #[error("invalid keystore {field}: {reason}")]
    KeystoreParam {
        /// The JSON field, for example `crypto.cipher.params.iv`.
        field: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// The keystore checksum did not match: the password is wrong (or the file was altered).
    #[error("wrong keystore password (checksum mismatch)")]
    WrongPassword,
    /// An error in a particular file.
    #[error("{}: {source}", path.display())]
    InFile {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: Box<Error>,
    },
    /// A filesystem operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A directory holds no `keystore-*.json` files.
    #[error("no keystore-*.json files in {}", dir.display())]
    NoKeystores {
        /// The directory searched.
        dir: PathBuf,
    },
    /// A keystore has no password file beside it.
    #[error("keystore {} has no password file {}", keystore.display(), password_file.display())]
    PasswordFileMissing {
        /// The keystore.
        keystore: PathBuf,
        /// The password file expected.
        password_file: PathBuf,
    },
    /// Refused to overwrite an existing file.
    #[error("refusing to overwrite existing file {}", path.display())]
    FileExists {
        /// The file.
        path: PathBuf,
    },
}
