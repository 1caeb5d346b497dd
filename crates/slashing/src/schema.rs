//! The SQLite schema and the connection settings that make every commit durable.

use std::path::Path;

use rusqlite::Connection;

use crate::error::Error;

/// The schema version this build writes into `PRAGMA user_version`.
pub(crate) const SCHEMA_VERSION: i64 = 1;

/// Tables: one namespace per genesis validators root; every record keyed by validator, whose
/// row belongs to exactly one namespace.
///
/// `signed_attestations` is keyed by `(validator, target, source)` so that an imported history
/// with two sources for one target (slashable data) keeps both for the surround checks; its
/// primary key serves the double-vote lookup, the minimum-target lookup and the
/// "surrounded by an existing vote" range scan (`target > t`), and the `by_source` index serves
/// the minimum-source lookup and the "surrounds an existing vote" range scan (`source > s`).
const CREATE_TABLES: &str = "
CREATE TABLE namespaces (
    id INTEGER PRIMARY KEY,
    genesis_validators_root BLOB NOT NULL UNIQUE CHECK (length(genesis_validators_root) = 32),
    created_at_unix INTEGER NOT NULL
);
CREATE TABLE validators (
    id INTEGER PRIMARY KEY,
    namespace_id INTEGER NOT NULL REFERENCES namespaces (id),
    pubkey BLOB NOT NULL CHECK (length(pubkey) = 48),
    UNIQUE (namespace_id, pubkey)
);
CREATE TABLE signed_blocks (
    validator_id INTEGER NOT NULL REFERENCES validators (id),
    slot INTEGER NOT NULL CHECK (slot >= 0),
    signing_root BLOB CHECK (signing_root IS NULL OR length(signing_root) = 32),
    PRIMARY KEY (validator_id, slot)
) WITHOUT ROWID;
CREATE TABLE signed_attestations (
    validator_id INTEGER NOT NULL REFERENCES validators (id),
    source_epoch INTEGER NOT NULL CHECK (source_epoch >= 0),
    target_epoch INTEGER NOT NULL CHECK (target_epoch >= 0),
    signing_root BLOB CHECK (signing_root IS NULL OR length(signing_root) = 32),
    PRIMARY KEY (validator_id, target_epoch, source_epoch)
) WITHOUT ROWID;
CREATE INDEX signed_attestations_by_source
    ON signed_attestations (validator_id, source_epoch, target_epoch);
";

/// Applies the durability settings and creates (or checks) the schema.
pub(crate) fn initialise(conn: &mut Connection, db: &Path) -> Result<(), Error> {
    let open_err = |source| Error::Open {
        db: db.to_path_buf(),
        source,
    };
    // WAL with synchronous=FULL: every COMMIT fsyncs the log before returning, so a record is
    // durable before the caller is told it may sign.
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(open_err)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::JournalMode {
            db: db.to_path_buf(),
            mode,
        });
    }
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(open_err)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(open_err)?;
    // A whole epoch's batch touches one index page per validator; keep them cached (64 MiB).
    conn.pragma_update(None, "cache_size", -65_536)
        .map_err(open_err)?;
    conn.set_prepared_statement_cache_capacity(64);

    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(open_err)?;
    match version {
        0 => {
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)
                .map_err(open_err)?;
            tx.execute_batch(CREATE_TABLES).map_err(open_err)?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)
                .map_err(open_err)?;
            tx.commit().map_err(open_err)
        }
        SCHEMA_VERSION => Ok(()),
        found => Err(Error::UnsupportedSchema {
            db: db.to_path_buf(),
            found,
            supported: SCHEMA_VERSION,
        }),
    }
}
