//! [`Namespace`]: one chain's slashing protection — registration, checks, import and export.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::db::SlashingDb;
use crate::error::Error;
use crate::hex_display::Hex;
use crate::interchange::{Interchange, InterchangeValidator, SignedAttestation, SignedBlock};
use crate::rules::{self, Merge};
use crate::verdict::{NotSafe, Safe};
use crate::{PublicKeyBytes, Root};

/// The slashing protection of one chain (genesis validators root), borrowed from a
/// [`SlashingDb`]. Obtain it with [`SlashingDb::namespace`].
///
/// Every `check_and_insert_*` method runs its checks and its insert in one `BEGIN IMMEDIATE`
/// transaction and returns only after the commit is durable (WAL, `synchronous=FULL`): sign only
/// after it returned `Ok`.
pub struct Namespace<'db> {
    db: &'db mut SlashingDb,
    id: i64,
    genesis_validators_root: Root,
}

/// One attestation of a batch passed to [`Namespace::check_and_insert_attestations_batch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttestationRequest {
    /// The attesting validator.
    pub pubkey: PublicKeyBytes,
    /// `attestation.data.source.epoch`.
    pub source_epoch: u64,
    /// `attestation.data.target.epoch`.
    pub target_epoch: u64,
    /// The signing root about to be signed (`None` when unknown: never a repeat signing).
    pub signing_root: Option<Root>,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Validators in the interchange that were not registered before.
    pub validators_registered: usize,
    /// Records (blocks and attestations) that were new.
    pub records_added: usize,
    /// Records identical to one already present.
    pub records_already_known: usize,
    /// Records that clashed with one present at the same slot or epochs (slashable data): the
    /// stored signing root became unknown, so neither message can be signed again.
    pub records_conflicting: usize,
}

impl<'db> Namespace<'db> {
    pub(crate) fn new(db: &'db mut SlashingDb, id: i64, genesis_validators_root: Root) -> Self {
        Self {
            db,
            id,
            genesis_validators_root,
        }
    }

    /// The chain this namespace protects.
    pub fn genesis_validators_root(&self) -> Root {
        self.genesis_validators_root
    }

    /// Registers validators (idempotent). A validator must be registered, or imported, before
    /// anything can be signed for it.
    pub fn register_validators(&mut self, pubkeys: &[PublicKeyBytes]) -> Result<(), Error> {
        let tx = self
            .db
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(Error::sqlite("starting a registration"))?;
        for pubkey in pubkeys {
            register(&tx, self.id, pubkey)?;
        }
        tx.commit()
            .map_err(Error::sqlite("committing a registration"))
    }

    /// Whether a validator is registered in this namespace.
    pub fn is_registered(&mut self, pubkey: &PublicKeyBytes) -> Result<bool, Error> {
        let (conn, cache) = (&self.db.conn, &mut self.db.validator_ids);
        Ok(validator_id(conn, cache, self.id, pubkey)?.is_some())
    }

    /// The registered validators, in public-key order.
    pub fn validators(&self) -> Result<Vec<PublicKeyBytes>, Error> {
        Ok(self
            .validator_rows()?
            .into_iter()
            .map(|(pk, _)| pk)
            .collect())
    }

    /// Checks a block proposal against the EIP-3076 rules and records it when it is safe.
    ///
    /// Refuses: an unregistered validator; another (or an unknown) signing root at the same slot;
    /// a slot below the lowest recorded slot. Re-signing the same signing root is
    /// [`Safe::SameData`].
    pub fn check_and_insert_block(
        &mut self,
        pubkey: &PublicKeyBytes,
        slot: u64,
        signing_root: Option<Root>,
    ) -> Result<Safe, NotSafe> {
        let tx = self
            .db
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(Error::sqlite("starting a block check"))?;
        let validator = registered(&tx, &mut self.db.validator_ids, self.id, pubkey)?;
        let verdict = rules::check_and_insert_block(&tx, validator, slot, signing_root)?;
        tx.commit().map_err(Error::sqlite("committing a block"))?;
        Ok(verdict)
    }

    /// Checks an attestation against the EIP-3076 rules and records it when it is safe.
    ///
    /// Refuses: an unregistered validator; `source > target`; another (or an unknown) signing
    /// root at the same target (double vote); `source` below the lowest recorded source;
    /// `target` at or below the lowest recorded target; surrounding or being surrounded by a
    /// recorded attestation. Re-signing the same signing root is [`Safe::SameData`].
    pub fn check_and_insert_attestation(
        &mut self,
        pubkey: &PublicKeyBytes,
        source_epoch: u64,
        target_epoch: u64,
        signing_root: Option<Root>,
    ) -> Result<Safe, NotSafe> {
        let tx = self
            .db
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(Error::sqlite("starting an attestation check"))?;
        let validator = registered(&tx, &mut self.db.validator_ids, self.id, pubkey)?;
        let verdict = rules::check_and_insert_attestation(
            &tx,
            validator,
            source_epoch,
            target_epoch,
            signing_root,
        )?;
        tx.commit()
            .map_err(Error::sqlite("committing an attestation"))?;
        Ok(verdict)
    }

    /// Checks and records a batch of attestations (for example one slot's) in one transaction.
    ///
    /// Items are checked in order, each against the records of the items before it. The outer
    /// `Err` means the database failed and nothing in the batch was recorded: sign nothing.
    /// Otherwise every `Ok(Safe)` item is durable and may be signed.
    pub fn check_and_insert_attestations_batch(
        &mut self,
        requests: &[AttestationRequest],
    ) -> Result<Vec<Result<Safe, NotSafe>>, Error> {
        let tx = self
            .db
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(Error::sqlite("starting an attestation batch"))?;
        let mut verdicts = Vec::with_capacity(requests.len());
        for request in requests {
            let verdict = registered(&tx, &mut self.db.validator_ids, self.id, &request.pubkey)
                .and_then(|validator| {
                    rules::check_and_insert_attestation(
                        &tx,
                        validator,
                        request.source_epoch,
                        request.target_epoch,
                        request.signing_root,
                    )
                });
            match verdict {
                Err(NotSafe::Database(error)) => return Err(error),
                verdict => verdicts.push(verdict),
            }
        }
        tx.commit()
            .map_err(Error::sqlite("committing an attestation batch"))?;
        Ok(verdicts)
    }

    /// Imports an EIP-3076 interchange, merging it with the history present, in one transaction
    /// (all or nothing).
    ///
    /// Validators it names are registered. Every record is kept, so the lowest slot, source and
    /// target of the merged history become the low watermarks (conditions 2, 4 and 5). Records
    /// that clash with each other or with the history present (slashable data) are kept with an
    /// unknown signing root, so nothing at that slot or target can be signed. An interchange for
    /// another genesis validators root is refused with [`Error::GenesisValidatorsRootMismatch`].
    pub fn import_interchange(
        &mut self,
        interchange: &Interchange,
    ) -> Result<ImportSummary, Error> {
        ensure_root(interchange, self.genesis_validators_root)?;
        let tx = self
            .db
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(Error::sqlite("starting an import"))?;
        let mut summary = ImportSummary::default();
        for validator in &interchange.data {
            let (id, new) = register(&tx, self.id, &validator.pubkey)?;
            summary.validators_registered += usize::from(new);
            for block in &validator.signed_blocks {
                let merge = rules::merge_block(&tx, id, block.slot, block.signing_root)?;
                summary.count(merge);
            }
            for att in &validator.signed_attestations {
                let merge = rules::merge_attestation(
                    &tx,
                    id,
                    att.source_epoch,
                    att.target_epoch,
                    att.signing_root,
                )?;
                summary.count(merge);
            }
        }
        tx.commit().map_err(Error::sqlite("committing an import"))?;
        Ok(summary)
    }

    /// Exports the history of every registered validator, or only of `pubkeys`.
    ///
    /// The export holds every record (this database is complete), in slot and target order,
    /// each once, with `signing_root` omitted when unknown; validators without history appear
    /// with empty lists. Importing it into an empty database gives the same protection. Asking
    /// for an unregistered validator is [`Error::UnknownValidator`].
    pub fn export_interchange(
        &mut self,
        pubkeys: Option<&[PublicKeyBytes]>,
    ) -> Result<Interchange, Error> {
        let tx = self
            .db
            .conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(Error::sqlite("starting an export"))?;
        let rows = match pubkeys {
            None => validator_rows(&tx, self.id)?,
            Some(pubkeys) => {
                let mut rows = Vec::with_capacity(pubkeys.len());
                for pubkey in pubkeys {
                    let id = validator_id(&tx, &mut self.db.validator_ids, self.id, pubkey)?
                        .ok_or(Error::UnknownValidator {
                            pubkey: Hex(*pubkey),
                            genesis_validators_root: Hex(self.genesis_validators_root),
                        })?;
                    rows.push((*pubkey, id));
                }
                rows
            }
        };
        let mut interchange = Interchange::new(self.genesis_validators_root);
        for (pubkey, id) in rows {
            interchange.data.push(InterchangeValidator {
                pubkey,
                signed_blocks: exported_blocks(&tx, id)?,
                signed_attestations: exported_attestations(&tx, id)?,
            });
        }
        tx.finish().map_err(Error::sqlite("finishing an export"))?;
        Ok(interchange)
    }

    fn validator_rows(&self) -> Result<Vec<(PublicKeyBytes, i64)>, Error> {
        validator_rows(&self.db.conn, self.id)
    }
}

impl std::fmt::Debug for Namespace<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Namespace")
            .field(
                "genesis_validators_root",
                &Hex(self.genesis_validators_root),
            )
            .finish()
    }
}

impl ImportSummary {
    fn count(&mut self, merge: Merge) {
        match merge {
            Merge::Added => self.records_added += 1,
            Merge::AlreadyKnown => self.records_already_known += 1,
            Merge::Conflict => self.records_conflicting += 1,
        }
    }
}

/// Refuses an interchange whose metadata names another chain.
pub(crate) fn ensure_root(interchange: &Interchange, expected: Root) -> Result<(), Error> {
    let found = interchange.metadata.genesis_validators_root;
    if found == expected {
        Ok(())
    } else {
        Err(Error::GenesisValidatorsRootMismatch {
            expected: Hex(expected),
            found: Hex(found),
        })
    }
}

/// Inserts a validator if absent; returns its id and whether it was new. Does not touch the
/// id cache: the transaction may still roll back.
fn register(
    conn: &Connection,
    namespace: i64,
    pubkey: &PublicKeyBytes,
) -> Result<(i64, bool), Error> {
    let inserted = conn
        .prepare_cached("INSERT OR IGNORE INTO validators (namespace_id, pubkey) VALUES (?1, ?2)")
        .and_then(|mut stmt| stmt.execute((namespace, pubkey)))
        .map_err(Error::sqlite("registering a validator"))?;
    let id = conn
        .prepare_cached("SELECT id FROM validators WHERE namespace_id = ?1 AND pubkey = ?2")
        .and_then(|mut stmt| stmt.query_row((namespace, pubkey), |row| row.get(0)))
        .map_err(Error::sqlite("reading a registered validator"))?;
    Ok((id, inserted == 1))
}

/// Looks a validator's id up, through the cache of committed rows.
fn validator_id(
    conn: &Connection,
    cache: &mut HashMap<(i64, PublicKeyBytes), i64>,
    namespace: i64,
    pubkey: &PublicKeyBytes,
) -> Result<Option<i64>, Error> {
    if let Some(&id) = cache.get(&(namespace, *pubkey)) {
        return Ok(Some(id));
    }
    let id: Option<i64> = conn
        .prepare_cached("SELECT id FROM validators WHERE namespace_id = ?1 AND pubkey = ?2")
        .and_then(|mut stmt| {
            stmt.query_row((namespace, pubkey), |row| row.get(0))
                .optional()
        })
        .map_err(Error::sqlite("looking up a validator"))?;
    if let Some(id) = id {
        // Rows read here are committed: registrations happen only in their own transactions.
        cache.insert((namespace, *pubkey), id);
    }
    Ok(id)
}

fn registered(
    conn: &Connection,
    cache: &mut HashMap<(i64, PublicKeyBytes), i64>,
    namespace: i64,
    pubkey: &PublicKeyBytes,
) -> Result<i64, NotSafe> {
    validator_id(conn, cache, namespace, pubkey)?.ok_or(NotSafe::UnregisteredValidator {
        pubkey: Hex(*pubkey),
    })
}

fn validator_rows(conn: &Connection, namespace: i64) -> Result<Vec<(PublicKeyBytes, i64)>, Error> {
    let mut stmt = conn
        .prepare_cached("SELECT pubkey, id FROM validators WHERE namespace_id = ?1 ORDER BY pubkey")
        .map_err(Error::sqlite("listing validators"))?;
    let rows = stmt
        .query_map([namespace], |row| Ok((row.get(0)?, row.get(1)?)))
        .map_err(Error::sqlite("listing validators"))?;
    rows.collect::<Result<_, _>>()
        .map_err(Error::sqlite("listing validators"))
}

fn exported_blocks(conn: &Connection, validator: i64) -> Result<Vec<SignedBlock>, Error> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT slot, signing_root FROM signed_blocks WHERE validator_id = ?1 ORDER BY slot",
        )
        .map_err(Error::sqlite("exporting blocks"))?;
    let rows = stmt
        .query_map([validator], |row| {
            Ok(SignedBlock {
                slot: row.get(0)?,
                signing_root: row.get(1)?,
            })
        })
        .map_err(Error::sqlite("exporting blocks"))?;
    rows.collect::<Result<_, _>>()
        .map_err(Error::sqlite("exporting blocks"))
}

fn exported_attestations(
    conn: &Connection,
    validator: i64,
) -> Result<Vec<SignedAttestation>, Error> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT source_epoch, target_epoch, signing_root FROM signed_attestations \
             WHERE validator_id = ?1 ORDER BY target_epoch, source_epoch",
        )
        .map_err(Error::sqlite("exporting attestations"))?;
    let rows = stmt
        .query_map([validator], |row| {
            Ok(SignedAttestation {
                source_epoch: row.get(0)?,
                target_epoch: row.get(1)?,
                signing_root: row.get(2)?,
            })
        })
        .map_err(Error::sqlite("exporting attestations"))?;
    rows.collect::<Result<_, _>>()
        .map_err(Error::sqlite("exporting attestations"))
}
