//! Errors of the cluster crate. Every message names the file, the field and the reason.

use std::path::Path;

/// A failure reading, writing, creating or combining cluster files.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{path}: {reason}")]
    Io {
        /// The file or directory.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The file is not valid JSON.
    #[error("{file}: malformed JSON: {reason}")]
    Json {
        /// The file.
        file: String,
        /// The parser's message.
        reason: String,
    },
    /// The file names a version this crate does not know.
    #[error("{file}: field `{field}`: unknown cluster file version {version:?} (supported: v1.0.0 to v1.11.0)")]
    UnknownVersion {
        /// The file.
        file: String,
        /// The version field's path.
        field: String,
        /// The version string found.
        version: String,
    },
    /// A field has the wrong type or an invalid value.
    #[error("{file}: field `{field}`: {reason}")]
    Field {
        /// The file.
        file: String,
        /// The field's JSON path.
        field: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A lock or definition failed verification.
    #[error("{file}: {source}")]
    Verify {
        /// The file.
        file: String,
        /// What failed.
        #[source]
        source: VerifyError,
    },
    /// A parameter of `create` or `combine` is invalid.
    #[error("invalid parameter `{param}`: {reason}")]
    Param {
        /// The parameter.
        param: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A keystore could not be read, decrypted or written.
    #[error("{file}: {reason}")]
    Keystore {
        /// The keystore file.
        file: String,
        /// Why (wrong password, checksum mismatch, malformed).
        reason: String,
    },
    /// Node folders given to `combine` hold locks of different clusters.
    #[error("{other}: lock hash {other_hash} differs from {first}'s {first_hash}: the folders belong to different clusters")]
    LockMismatch {
        /// The first folder's lock file.
        first: String,
        /// Its lock hash (0x-hex).
        first_hash: String,
        /// The differing folder's lock file.
        other: String,
        /// Its lock hash (0x-hex).
        other_hash: String,
    },
    /// Too few distinct key shares of a validator were found to recover its key.
    #[error("validator {index} ({pubkey}): found {found} distinct key share(s), need the threshold of {needed}")]
    InsufficientShares {
        /// The validator's index in the lock.
        index: usize,
        /// Its distributed public key (0x-hex).
        pubkey: String,
        /// Distinct share indices found.
        found: usize,
        /// The lock's threshold.
        needed: u64,
    },
    /// Output files already exist and overwriting was not allowed.
    #[error("{path}: already exists; refusing to overwrite existing keystores (use force)")]
    WouldOverwrite {
        /// The existing file.
        path: String,
    },
    /// A cryptographic operation failed.
    #[error("{context}: {reason}")]
    Crypto {
        /// What was being done.
        context: String,
        /// The underlying error.
        reason: String,
    },
}

impl Error {
    /// An I/O error on `path`.
    pub(crate) fn io(path: &Path, err: impl std::fmt::Display) -> Self {
        Error::Io {
            path: path.display().to_string(),
            reason: err.to_string(),
        }
    }

    /// A parameter error.
    pub(crate) fn param(param: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Param {
            param: param.into(),
            reason: reason.into(),
        }
    }

    /// A crypto error.
    pub(crate) fn crypto(context: impl Into<String>, reason: impl std::fmt::Display) -> Self {
        Error::Crypto {
            context: context.into(),
            reason: reason.to_string(),
        }
    }

    /// A field error.
    pub(crate) fn field(file: &str, field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Field {
            file: file.to_string(),
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// A reason a lock or definition does not verify. `field` is the JSON path of the offending field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// A stored hash differs from the hash of the content.
    #[error("field `{field}`: hash mismatch: file has {stored}, content hashes to {computed}")]
    HashMismatch {
        /// `config_hash`, `definition_hash` or `lock_hash` (with its path).
        field: String,
        /// The stored value (0x-hex).
        stored: String,
        /// The recomputed value (0x-hex).
        computed: String,
    },
    /// A signature is missing, malformed or does not verify.
    #[error("field `{field}`: invalid signature: {reason}")]
    Signature {
        /// The signature's path.
        field: String,
        /// Why it fails.
        reason: String,
    },
    /// Any other structural rule is broken.
    #[error("field `{field}`: {reason}")]
    Invalid {
        /// The offending field's path.
        field: String,
        /// Why it is invalid.
        reason: String,
    },
}

impl VerifyError {
    /// A structural error.
    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        VerifyError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The path of the field this error concerns.
    pub fn field(&self) -> &str {
        match self {
            VerifyError::HashMismatch { field, .. }
            | VerifyError::Signature { field, .. }
            | VerifyError::Invalid { field, .. } => field,
        }
    }
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
