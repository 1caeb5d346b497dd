//! The EIP-3076 rules, checked and recorded inside the caller's immediate transaction.
//!
//! The database is "complete" in EIP-3076's sense: it keeps every signed message, so the low
//! watermarks of conditions (2), (4) and (5) are the minimum slot, source and target on record,
//! whether a record was imported or signed here. An absent signing root is stored as SQL `NULL`,
//! a "null" value distinct from every real root (including all zeroes, which the interchange
//! tests treat as an ordinary root): it never proves a repeat signing.

use rusqlite::{Connection, OptionalExtension};

use crate::error::Error;
use crate::hex_display::Hex;
use crate::verdict::{NotSafe, Safe};
use crate::Root;

/// Converts a slot or epoch into SQLite's signed integer, refusing values above `i64::MAX`.
pub(crate) fn to_db_int(field: &'static str, value: u64) -> Result<i64, Error> {
    i64::try_from(value).map_err(|_| Error::ValueOutOfRange { field, value })
}

fn to_verdict_int(field: &'static str, value: u64) -> Result<i64, NotSafe> {
    i64::try_from(value).map_err(|_| NotSafe::ValueOutOfRange { field, value })
}

fn from_db_int(value: i64) -> u64 {
    // Every stored slot and epoch is checked `>= 0` by the schema.
    value.unsigned_abs()
}

/// Checks a block proposal for `validator_id` and records it when it is new.
pub(crate) fn check_and_insert_block(
    conn: &Connection,
    validator_id: i64,
    slot: u64,
    signing_root: Option<Root>,
) -> Result<Safe, NotSafe> {
    let slot_int = to_verdict_int("slot", slot)?;

    let existing: Option<Option<Root>> = conn
        .prepare_cached(
            "SELECT signing_root FROM signed_blocks WHERE validator_id = ?1 AND slot = ?2",
        )
        .and_then(|mut stmt| {
            stmt.query_row((validator_id, slot_int), |row| row.get(0))
                .optional()
        })
        .map_err(Error::sqlite("reading the block at a slot"))?;
    if let Some(existing_root) = existing {
        if signing_root.is_some() && existing_root == signing_root {
            return Ok(Safe::SameData);
        }
        return Err(NotSafe::DoubleBlockProposal {
            slot,
            existing_signing_root: existing_root.map(Hex),
        });
    }

    let min_slot: Option<i64> = conn
        .prepare_cached(
            "SELECT slot FROM signed_blocks WHERE validator_id = ?1 ORDER BY slot LIMIT 1",
        )
        .and_then(|mut stmt| stmt.query_row([validator_id], |row| row.get(0)).optional())
        .map_err(Error::sqlite("reading the lowest signed slot"))?;
    if let Some(min_slot) = min_slot.map(from_db_int) {
        if slot < min_slot {
            return Err(NotSafe::BlockBelowLowWatermark { slot, min_slot });
        }
    }

    conn.prepare_cached(
        "INSERT INTO signed_blocks (validator_id, slot, signing_root) VALUES (?1, ?2, ?3)",
    )
    .and_then(|mut stmt| stmt.execute((validator_id, slot_int, signing_root)))
    .map_err(Error::sqlite("recording a signed block"))?;
    Ok(Safe::Valid)
}

/// Checks an attestation for `validator_id` and records it when it is new.
pub(crate) fn check_and_insert_attestation(
    conn: &Connection,
    validator_id: i64,
    source_epoch: u64,
    target_epoch: u64,
    signing_root: Option<Root>,
) -> Result<Safe, NotSafe> {
    if source_epoch > target_epoch {
        return Err(NotSafe::SourceExceedsTarget {
            source_epoch,
            target_epoch,
        });
    }
    let source = to_verdict_int("source_epoch", source_epoch)?;
    let target = to_verdict_int("target_epoch", target_epoch)?;

    // Double vote, or a repeat signing of the very same attestation.
    let same_target: Vec<(i64, Option<Root>)> = conn
        .prepare_cached(
            "SELECT source_epoch, signing_root FROM signed_attestations \
             WHERE validator_id = ?1 AND target_epoch = ?2 LIMIT 2",
        )
        .and_then(|mut stmt| {
            stmt.query_map((validator_id, target), |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect()
        })
        .map_err(Error::sqlite("reading attestations for a target epoch"))?;
    if let Some(&(existing_source, existing_root)) = same_target.first() {
        let repeat = same_target.len() == 1
            && existing_source == source
            && signing_root.is_some()
            && existing_root == signing_root;
        if repeat {
            return Ok(Safe::SameData);
        }
        return Err(NotSafe::DoubleVote {
            target_epoch,
            existing_source: from_db_int(existing_source),
            existing_signing_root: existing_root.map(Hex),
        });
    }

    // Low watermarks (EIP-3076 conditions 4 and 5).
    let (min_source, min_target): (Option<i64>, Option<i64>) = conn
        .prepare_cached(
            "SELECT \
               (SELECT source_epoch FROM signed_attestations \
                  WHERE validator_id = ?1 ORDER BY source_epoch LIMIT 1), \
               (SELECT target_epoch FROM signed_attestations \
                  WHERE validator_id = ?1 ORDER BY target_epoch LIMIT 1)",
        )
        .and_then(|mut stmt| stmt.query_row([validator_id], |row| Ok((row.get(0)?, row.get(1)?))))
        .map_err(Error::sqlite("reading the lowest signed epochs"))?;
    if let Some(min_source) = min_source.map(from_db_int) {
        if source_epoch < min_source {
            return Err(NotSafe::SourceBelowLowWatermark {
                source_epoch,
                min_source,
            });
        }
    }
    if let Some(min_target) = min_target.map(from_db_int) {
        if target_epoch <= min_target {
            return Err(NotSafe::TargetBelowLowWatermark {
                target_epoch,
                min_target,
            });
        }
    }

    // Surrounded by a recorded vote: prev_source < source and prev_target > target. The scan
    // walks only the records with a later target (none, in normal operation).
    let surrounding: Option<(i64, i64)> = conn
        .prepare_cached(
            "SELECT source_epoch, target_epoch FROM signed_attestations \
             WHERE validator_id = ?1 AND target_epoch > ?2 AND source_epoch < ?3 \
             ORDER BY target_epoch LIMIT 1",
        )
        .and_then(|mut stmt| {
            stmt.query_row((validator_id, target, source), |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()
        })
        .map_err(Error::sqlite("checking for a surrounding vote"))?;
    if let Some((prev_source, prev_target)) = surrounding {
        return Err(NotSafe::SurroundedVote {
            prev_source: from_db_int(prev_source),
            prev_target: from_db_int(prev_target),
        });
    }

    // Surrounding a recorded vote: prev_source > source and prev_target < target. The scan walks
    // only the records with a later source (none, in normal operation).
    let surrounded: Option<(i64, i64)> = conn
        .prepare_cached(
            "SELECT source_epoch, target_epoch FROM signed_attestations \
             WHERE validator_id = ?1 AND source_epoch > ?2 AND target_epoch < ?3 \
             ORDER BY source_epoch LIMIT 1",
        )
        .and_then(|mut stmt| {
            stmt.query_row((validator_id, source, target), |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()
        })
        .map_err(Error::sqlite("checking for a surrounded vote"))?;
    if let Some((prev_source, prev_target)) = surrounded {
        return Err(NotSafe::SurroundingVote {
            prev_source: from_db_int(prev_source),
            prev_target: from_db_int(prev_target),
        });
    }

    conn.prepare_cached(
        "INSERT INTO signed_attestations (validator_id, source_epoch, target_epoch, signing_root) \
         VALUES (?1, ?2, ?3, ?4)",
    )
    .and_then(|mut stmt| stmt.execute((validator_id, source, target, signing_root)))
    .map_err(Error::sqlite("recording a signed attestation"))?;
    Ok(Safe::Valid)
}

/// What merging one imported record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Merge {
    /// The record was new.
    Added,
    /// An identical record was already present.
    AlreadyKnown,
    /// A record with the same key but another (or unknown) signing root was present; the stored
    /// root is now unknown, so neither message can be re-signed.
    Conflict,
}

/// Merges an imported block record.
pub(crate) fn merge_block(
    conn: &Connection,
    validator_id: i64,
    slot: u64,
    signing_root: Option<Root>,
) -> Result<Merge, Error> {
    let slot = to_db_int("signed_blocks[].slot", slot)?;
    let existing: Option<Option<Root>> = conn
        .prepare_cached(
            "SELECT signing_root FROM signed_blocks WHERE validator_id = ?1 AND slot = ?2",
        )
        .and_then(|mut stmt| {
            stmt.query_row((validator_id, slot), |row| row.get(0))
                .optional()
        })
        .map_err(Error::sqlite("reading a block during import"))?;
    merge(
        conn,
        existing,
        signing_root,
        "INSERT INTO signed_blocks (validator_id, slot, signing_root) VALUES (?1, ?2, ?3)",
        "UPDATE signed_blocks SET signing_root = NULL WHERE validator_id = ?1 AND slot = ?2",
        &[&validator_id, &slot],
    )
}

/// Merges an imported attestation record.
pub(crate) fn merge_attestation(
    conn: &Connection,
    validator_id: i64,
    source_epoch: u64,
    target_epoch: u64,
    signing_root: Option<Root>,
) -> Result<Merge, Error> {
    let source = to_db_int("signed_attestations[].source_epoch", source_epoch)?;
    let target = to_db_int("signed_attestations[].target_epoch", target_epoch)?;
    let existing: Option<Option<Root>> = conn
        .prepare_cached(
            "SELECT signing_root FROM signed_attestations \
             WHERE validator_id = ?1 AND source_epoch = ?2 AND target_epoch = ?3",
        )
        .and_then(|mut stmt| {
            stmt.query_row((validator_id, source, target), |row| row.get(0))
                .optional()
        })
        .map_err(Error::sqlite("reading an attestation during import"))?;
    merge(
        conn,
        existing,
        signing_root,
        "INSERT INTO signed_attestations (validator_id, source_epoch, target_epoch, signing_root) \
         VALUES (?1, ?2, ?3, ?4)",
        "UPDATE signed_attestations SET signing_root = NULL \
         WHERE validator_id = ?1 AND source_epoch = ?2 AND target_epoch = ?3",
        &[&validator_id, &source, &target],
    )
}

fn merge(
    conn: &Connection,
    existing: Option<Option<Root>>,
    signing_root: Option<Root>,
    insert_sql: &str,
    forget_root_sql: &str,
    key: &[&dyn rusqlite::ToSql],
) -> Result<Merge, Error> {
    match existing {
        None => {
            let mut params = key.to_vec();
            params.push(&signing_root);
            conn.prepare_cached(insert_sql)
                .and_then(|mut stmt| stmt.execute(params.as_slice()))
                .map_err(Error::sqlite("inserting an imported record"))?;
            Ok(Merge::Added)
        }
        Some(existing_root) if existing_root == signing_root => Ok(Merge::AlreadyKnown),
        Some(None) => Ok(Merge::Conflict),
        Some(Some(_)) => {
            conn.prepare_cached(forget_root_sql)
                .and_then(|mut stmt| stmt.execute(key))
                .map_err(Error::sqlite("forgetting a conflicting signing root"))?;
            Ok(Merge::Conflict)
        }
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    /// The checks must stay index lookups or range scans that start at the new message (no
    /// full scan of a validator's history): pin SQLite's query plans.
    #[test]
    fn checks_use_the_intended_indexes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("plans.sqlite");
        let mut conn = Connection::open(&path).expect("database");
        crate::schema::initialise(&mut conn, &path).expect("schema");
        let plan = |sql: &str| -> String {
            let mut stmt = conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .expect("plan");
            let rows = stmt
                .query_map([], |row| row.get::<_, String>(3))
                .expect("rows")
                .collect::<Result<Vec<_>, _>>()
                .expect("plan rows");
            rows.join("; ")
        };
        let cases = [
            (
                "SELECT source_epoch FROM signed_attestations WHERE validator_id = 1 AND target_epoch = 5",
                "PRIMARY KEY (validator_id=? AND target_epoch=?)",
            ),
            (
                "SELECT source_epoch FROM signed_attestations WHERE validator_id = 1 ORDER BY source_epoch LIMIT 1",
                "INDEX signed_attestations_by_source (validator_id=?)",
            ),
            (
                "SELECT target_epoch FROM signed_attestations WHERE validator_id = 1 ORDER BY target_epoch LIMIT 1",
                "PRIMARY KEY (validator_id=?)",
            ),
            (
                "SELECT source_epoch, target_epoch FROM signed_attestations \
                 WHERE validator_id = 1 AND target_epoch > 5 AND source_epoch < 4 ORDER BY target_epoch LIMIT 1",
                "PRIMARY KEY (validator_id=? AND target_epoch>?)",
            ),
            (
                "SELECT source_epoch, target_epoch FROM signed_attestations \
                 WHERE validator_id = 1 AND source_epoch > 4 AND target_epoch < 5 ORDER BY source_epoch LIMIT 1",
                "INDEX signed_attestations_by_source (validator_id=? AND source_epoch>?)",
            ),
            (
                "SELECT slot FROM signed_blocks WHERE validator_id = 1 ORDER BY slot LIMIT 1",
                "PRIMARY KEY (validator_id=?)",
            ),
        ];
        for (sql, expected) in cases {
            let plan = plan(sql);
            assert!(
                plan.contains(expected),
                "{sql}\n  plan: {plan}\n  expected: {expected}"
            );
            assert!(!plan.contains("SCAN signed"), "{sql} scans a table: {plan}");
        }
    }
}
