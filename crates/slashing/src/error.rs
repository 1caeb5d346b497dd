//! The crate's error type: failures of the database itself, of its lock, and of interchange files.

use std::path::PathBuf;

use crate::hex_display::Hex;

/// A failure of the slashing-protection database that is not a slashing verdict.
///
/// A caller that receives any `Error` must not sign: the database could not prove safety.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Another handle (in this or another process) holds the database's lock file.
    #[error(
        "slashing protection database {db} is already in use by another process or handle \
         (lock file {lock_file} is held); stop the other signer first"
    )]
    AlreadyInUse {
        /// The database file.
        db: PathBuf,
        /// The lock file beside it.
        lock_file: PathBuf,
    },
    /// The lock file beside the database could not be created, opened or locked.
    #[error("cannot use lock file {lock_file}: {source}")]
    LockFile {
        /// The lock file.
        lock_file: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The SQLite database could not be opened or initialised.
    #[error("cannot open slashing protection database {db}: {source}")]
    Open {
        /// The database file.
        db: PathBuf,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// SQLite refused to switch the database to write-ahead logging.
    #[error("slashing protection database {db} refused journal_mode=WAL (it reports {mode:?})")]
    JournalMode {
        /// The database file.
        db: PathBuf,
        /// The journal mode SQLite reported instead.
        mode: String,
    },
    /// The database was written by a newer (or unknown) version of this crate.
    #[error("slashing protection database {db} has schema version {found}; this build supports {supported}")]
    UnsupportedSchema {
        /// The database file.
        db: PathBuf,
        /// The `user_version` found in the file.
        found: i64,
        /// The schema version this build writes.
        supported: i64,
    },
    /// An SQLite statement failed.
    #[error("slashing protection database failed while {operation}: {source}")]
    Sqlite {
        /// What the database was doing.
        operation: &'static str,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// An interchange file names a different chain than the one requested.
    #[error(
        "interchange is for genesis_validators_root {found} but {expected} was requested; \
         refusing to import another chain's history"
    )]
    GenesisValidatorsRootMismatch {
        /// The root the caller asked to import into.
        expected: Hex<32>,
        /// The root in the interchange's metadata.
        found: Hex<32>,
    },
    /// A slot or epoch is too large to be stored (SQLite integers are signed 64-bit).
    #[error("{field} {value} is larger than the largest storable value {max}", max = i64::MAX)]
    ValueOutOfRange {
        /// Which field (for example `signed_blocks[].slot`).
        field: &'static str,
        /// The value given.
        value: u64,
    },
    /// An export asked for a validator that the namespace does not know.
    #[error("validator {pubkey} is not registered under genesis_validators_root {genesis_validators_root}")]
    UnknownValidator {
        /// The validator's public key.
        pubkey: Hex<48>,
        /// The namespace asked.
        genesis_validators_root: Hex<32>,
    },
    /// An interchange document is not valid EIP-3076 version 5 JSON.
    #[error("invalid EIP-3076 interchange JSON: {0}")]
    InvalidInterchange(#[source] serde_json::Error),
}

impl Error {
    /// Wraps an SQLite error with the operation that failed.
    pub(crate) fn sqlite(operation: &'static str) -> impl FnOnce(rusqlite::Error) -> Self {
        move |source| Self::Sqlite { operation, source }
    }
}
