//! [`SlashingGuard`]: the validator client's [`SigningGuard`] backed by the EIP-3076 database.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use mosaic_crypto::bls::PublicKey;
use mosaic_slashing::{
    AttestationRequest, Hex, Interchange, NotSafe, PublicKeyBytes, Root, Safe, SlashingDb,
};
use mosaic_vc::{AttestationToSign, GuardRefusal, SigningGuard};
use tracing::{debug, info, warn};

use crate::{KeyMap, SignerError};

/// How many refusals [`SlashingGuard::recent_refusals`] keeps (the oldest are dropped).
const RECENT_REFUSALS: usize = 256;

/// A message the guard was asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardedMessage {
    /// A block proposal.
    Block {
        /// The block's slot.
        slot: u64,
    },
    /// An attestation.
    Attestation {
        /// `data.source.epoch`.
        source_epoch: u64,
        /// `data.target.epoch`.
        target_epoch: u64,
    },
}

/// One refused signature, as kept by [`SlashingGuard::recent_refusals`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusalRecord {
    /// The key the validator client would have signed with (a key share in signer mode).
    pub signing_key: PublicKeyBytes,
    /// The key whose history refused it (`None` when the signing key is unknown to the guard).
    pub protected_key: Option<PublicKeyBytes>,
    /// What was to be signed.
    pub message: GuardedMessage,
    /// The signing root that was to be signed.
    pub signing_root: Root,
    /// Why it was refused (the EIP-3076 condition and the record that forbids it).
    pub reason: String,
}

/// Counters of the guard's verdicts since it was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GuardStats {
    /// New blocks recorded and allowed.
    pub blocks_allowed: u64,
    /// Blocks allowed because the very same signing root was signed before.
    pub blocks_repeated: u64,
    /// Blocks refused (slashable, unknown key or database failure).
    pub blocks_refused: u64,
    /// New attestations recorded and allowed.
    pub attestations_allowed: u64,
    /// Attestations allowed because the very same signing root was signed before.
    pub attestations_repeated: u64,
    /// Attestations refused (slashable, unknown key or database failure).
    pub attestations_refused: u64,
    /// Refusals (of either kind) caused by a database failure rather than a rule.
    pub database_errors: u64,
}

#[derive(Default)]
struct Counters {
    blocks_allowed: AtomicU64,
    blocks_repeated: AtomicU64,
    blocks_refused: AtomicU64,
    attestations_allowed: AtomicU64,
    attestations_repeated: AtomicU64,
    attestations_refused: AtomicU64,
    database_errors: AtomicU64,
}

struct Chain {
    db: SlashingDb,
    genesis_validators_root: Root,
}

/// EIP-3076 slashing protection for the built-in validator client (signer mode).
///
/// Each [`SigningGuard`] call maps the signing key to its protected key ([`KeyMap`]), then runs
/// `check_and_insert_block` / `check_and_insert_attestation` in the namespace of the current
/// genesis validators root (a slot's attestations, [`SigningGuard::check_attestations`], in
/// one transaction: `check_and_insert_attestations_batch`). `Ok` is returned only after the
/// record is committed and durable; a refusal is logged (`warn`, with the reason), counted in [`GuardStats`] and kept in
/// [`SlashingGuard::recent_refusals`]. A database failure refuses too: safety unproven means
/// no signature. The database stays locked until the guard is dropped.
///
/// Calls are serialised (one SQLite connection); inside a multi-threaded Tokio runtime the
/// commit's fsync runs under `block_in_place` so other tasks keep running.
pub struct SlashingGuard {
    chain: Mutex<Chain>,
    keys: KeyMap,
    counters: Counters,
    refusals: Mutex<VecDeque<RefusalRecord>>,
    db_path: PathBuf,
}

impl std::fmt::Debug for SlashingGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlashingGuard")
            .field("db", &self.db_path)
            .field(
                "genesis_validators_root",
                &Hex(self.genesis_validators_root()),
            )
            .field("keys", &self.keys.len())
            .finish_non_exhaustive()
    }
}

impl SlashingGuard {
    /// Opens (creating if needed) the database at `db_path` — refused with
    /// [`mosaic_slashing::Error::AlreadyInUse`] while another process or handle holds it — and
    /// prepares the namespace of `genesis_validators_root` for `keys`.
    pub fn open(
        db_path: impl AsRef<Path>,
        genesis_validators_root: Root,
        keys: KeyMap,
    ) -> Result<Self, SignerError> {
        Self::new(SlashingDb::open(db_path)?, genesis_validators_root, keys)
    }

    /// Guards with an already open database: selects (or starts) the namespace of
    /// `genesis_validators_root` and registers every protected key of `keys` in it (existing
    /// history, for example an imported interchange, is kept).
    pub fn new(
        mut db: SlashingDb,
        genesis_validators_root: Root,
        keys: KeyMap,
    ) -> Result<Self, SignerError> {
        let protected = keys.protected_keys();
        db.namespace(genesis_validators_root)?
            .register_validators(&protected)?;
        let db_path = db.path().to_path_buf();
        info!(
            db = %db_path.display(),
            genesis_validators_root = %Hex(genesis_validators_root),
            validators = protected.len(),
            "slashing protection ready"
        );
        Ok(Self {
            chain: Mutex::new(Chain {
                db,
                genesis_validators_root,
            }),
            keys,
            counters: Counters::default(),
            refusals: Mutex::new(VecDeque::new()),
            db_path,
        })
    }

    /// The database file.
    pub fn db_path(&self) -> &Path {
        &self.db_path
    }

    /// The genesis validators root whose namespace records are checked against.
    pub fn genesis_validators_root(&self) -> Root {
        self.chain().genesis_validators_root
    }

    /// Moves to the namespace of another chain (an Ephemery reset: a new genesis validators
    /// root), registering the protected keys there. The old namespace is kept untouched. Returns
    /// whether the root changed. Call it only once the validator client signs for the new chain
    /// (its domains are derived from the root).
    pub fn switch_chain(&self, genesis_validators_root: Root) -> Result<bool, SignerError> {
        let protected = self.keys.protected_keys();
        blocking(|| self.switch_chain_locked(genesis_validators_root, &protected))
    }

    fn switch_chain_locked(
        &self,
        genesis_validators_root: Root,
        protected: &[PublicKeyBytes],
    ) -> Result<bool, SignerError> {
        let mut chain = self.chain();
        if chain.genesis_validators_root == genesis_validators_root {
            return Ok(false);
        }
        chain
            .db
            .namespace(genesis_validators_root)?
            .register_validators(protected)?;
        warn!(
            old = %Hex(chain.genesis_validators_root),
            new = %Hex(genesis_validators_root),
            "genesis validators root changed: slashing protection continues in a new namespace; \
             the old one is kept"
        );
        chain.genesis_validators_root = genesis_validators_root;
        Ok(true)
    }

    /// The verdict counters so far.
    pub fn stats(&self) -> GuardStats {
        let c = &self.counters;
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        GuardStats {
            blocks_allowed: load(&c.blocks_allowed),
            blocks_repeated: load(&c.blocks_repeated),
            blocks_refused: load(&c.blocks_refused),
            attestations_allowed: load(&c.attestations_allowed),
            attestations_repeated: load(&c.attestations_repeated),
            attestations_refused: load(&c.attestations_refused),
            database_errors: load(&c.database_errors),
        }
    }

    /// The most recent refusals (up to 256), oldest first.
    pub fn recent_refusals(&self) -> Vec<RefusalRecord> {
        self.refusals
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// The history of the current chain's protected keys as an EIP-3076 interchange.
    pub fn export_interchange(&self) -> Result<Interchange, SignerError> {
        let protected = self.keys.protected_keys();
        Ok(blocking(|| {
            let mut chain = self.chain();
            let root = chain.genesis_validators_root;
            chain.db.export_interchange(root, Some(&protected))
        })?)
    }

    /// Gives the database back (releasing nothing: the lock goes with the handle).
    pub fn into_db(self) -> SlashingDb {
        self.chain
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .db
    }

    fn chain(&self) -> MutexGuard<'_, Chain> {
        // A panic while the lock was held rolled its transaction back (rusqlite's drop), so
        // the database is consistent.
        self.chain
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn check(
        &self,
        signing_key: &PublicKey,
        message: GuardedMessage,
        signing_root: Root,
    ) -> Result<(), GuardRefusal> {
        crash_point(CrashStepRef::BeforeRecord);
        let signing_key = signing_key.to_bytes();
        let Some(protected) = self.keys.protected_key(&signing_key) else {
            let reason = unknown_key(signing_key);
            return Err(self.refuse(signing_key, None, message, signing_root, reason, false));
        };
        let verdict = {
            // The lock is taken inside `blocking`: a task waiting for it waits on a thread
            // the runtime knows is blocked.
            blocking(|| {
                let mut chain = self.chain();
                let root = chain.genesis_validators_root;
                let mut namespace = chain.db.namespace(root)?;
                match message {
                    GuardedMessage::Block { slot } => {
                        namespace.check_and_insert_block(&protected, slot, Some(signing_root))
                    }
                    GuardedMessage::Attestation {
                        source_epoch,
                        target_epoch,
                    } => namespace.check_and_insert_attestation(
                        &protected,
                        source_epoch,
                        target_epoch,
                        Some(signing_root),
                    ),
                }
            })
        };
        let concluded = self.conclude(
            signing_key,
            protected,
            message,
            signing_root,
            verdict.map_err(refusal_of),
        );
        if concluded.is_ok() {
            crash_point(CrashStepRef::AfterRecord);
        }
        concluded
    }

    /// Ends the check of a message by a held key: an allowed one is counted and logged, a
    /// refused one (`reason`, and whether the database failed rather than a rule) goes to
    /// [`Self::refuse`].
    fn conclude(
        &self,
        signing_key: PublicKeyBytes,
        protected: PublicKeyBytes,
        message: GuardedMessage,
        signing_root: Root,
        verdict: Result<Safe, (String, bool)>,
    ) -> Result<(), GuardRefusal> {
        match verdict {
            Ok(safe) => {
                self.count_allowed(message, safe);
                debug!(validator = %Hex(protected), ?message, ?safe, "slashing protection: safe to sign");
                Ok(())
            }
            Err((reason, database)) => Err(self.refuse(
                signing_key,
                Some(protected),
                message,
                signing_root,
                reason,
                database,
            )),
        }
    }

    fn count_allowed(&self, message: GuardedMessage, safe: Safe) {
        let c = &self.counters;
        let counter = match (message, safe) {
            (GuardedMessage::Block { .. }, Safe::Valid) => &c.blocks_allowed,
            (GuardedMessage::Block { .. }, Safe::SameData) => &c.blocks_repeated,
            (GuardedMessage::Attestation { .. }, Safe::Valid) => &c.attestations_allowed,
            (GuardedMessage::Attestation { .. }, Safe::SameData) => &c.attestations_repeated,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn refuse(
        &self,
        signing_key: PublicKeyBytes,
        protected_key: Option<PublicKeyBytes>,
        message: GuardedMessage,
        signing_root: Root,
        reason: String,
        database: bool,
    ) -> GuardRefusal {
        let c = &self.counters;
        match message {
            GuardedMessage::Block { .. } => &c.blocks_refused,
            GuardedMessage::Attestation { .. } => &c.attestations_refused,
        }
        .fetch_add(1, Ordering::Relaxed);
        if database {
            c.database_errors.fetch_add(1, Ordering::Relaxed);
        }
        warn!(
            validator = %Hex(protected_key.unwrap_or(signing_key)),
            ?message,
            signing_root = %Hex(signing_root),
            %reason,
            "slashing protection refused to sign"
        );
        let mut refusals = self
            .refusals
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if refusals.len() == RECENT_REFUSALS {
            refusals.pop_front();
        }
        refusals.push_back(RefusalRecord {
            signing_key,
            protected_key,
            message,
            signing_root,
            reason: reason.clone(),
        });
        GuardRefusal::new(reason)
    }
}

impl SigningGuard for SlashingGuard {
    fn check_block(
        &self,
        pubkey: &PublicKey,
        slot: u64,
        signing_root: [u8; 32],
    ) -> Result<(), GuardRefusal> {
        self.check(pubkey, GuardedMessage::Block { slot }, signing_root)
    }

    fn check_attestation(
        &self,
        pubkey: &PublicKey,
        source_epoch: u64,
        target_epoch: u64,
        signing_root: [u8; 32],
    ) -> Result<(), GuardRefusal> {
        self.check(
            pubkey,
            GuardedMessage::Attestation {
                source_epoch,
                target_epoch,
            },
            signing_root,
        )
    }

    /// Checks and records the attestations in one transaction (one commit, so one fsync, for a
    /// slot's attestations instead of one each), each judged with those before it recorded.
    /// A key the signer does not hold is refused alone; a database failure refuses them all
    /// (nothing of the batch was recorded).
    fn check_attestations(
        &self,
        attestations: &[AttestationToSign],
    ) -> Vec<Result<(), GuardRefusal>> {
        crash_point(CrashStepRef::BeforeRecord);
        let message = |a: &AttestationToSign| GuardedMessage::Attestation {
            source_epoch: a.source_epoch,
            target_epoch: a.target_epoch,
        };
        // (signing key, protected key if held) per attestation.
        let keys: Vec<(PublicKeyBytes, Option<PublicKeyBytes>)> = attestations
            .iter()
            .map(|a| {
                let signing_key = a.pubkey.to_bytes();
                (signing_key, self.keys.protected_key(&signing_key))
            })
            .collect();
        let requests: Vec<AttestationRequest> = attestations
            .iter()
            .zip(&keys)
            .filter_map(|(a, (_, protected))| {
                protected.map(|pubkey| AttestationRequest {
                    pubkey,
                    source_epoch: a.source_epoch,
                    target_epoch: a.target_epoch,
                    signing_root: Some(a.signing_root),
                })
            })
            .collect();
        // One verdict per held key, in order; a database failure refuses them all (nothing of
        // the batch was recorded).
        let verdicts: Vec<Result<Safe, (String, bool)>> = if requests.is_empty() {
            Vec::new()
        } else {
            match blocking(|| {
                let mut chain = self.chain();
                let root = chain.genesis_validators_root;
                chain
                    .db
                    .namespace(root)?
                    .check_and_insert_attestations_batch(&requests)
            }) {
                Ok(verdicts) => verdicts
                    .into_iter()
                    .map(|verdict| verdict.map_err(refusal_of))
                    .collect(),
                Err(error) => {
                    let (reason, database) = refusal_of(NotSafe::Database(error));
                    vec![Err((reason, database)); requests.len()]
                }
            }
        };
        let mut verdicts = verdicts.into_iter();
        let results: Vec<Result<(), GuardRefusal>> = attestations
            .iter()
            .zip(keys)
            .map(|(a, (signing_key, protected))| {
                let Some(protected) = protected else {
                    return Err(self.refuse(
                        signing_key,
                        None,
                        message(a),
                        a.signing_root,
                        unknown_key(signing_key),
                        false,
                    ));
                };
                let verdict = verdicts.next().unwrap_or_else(|| {
                    Err((
                        "no verdict from the slashing protection database".to_owned(),
                        true,
                    ))
                });
                self.conclude(signing_key, protected, message(a), a.signing_root, verdict)
            })
            .collect();
        crash_point(CrashStepRef::AfterRecord);
        results
    }
}

/// A refusal's reason, and whether the database failed rather than a rule.
fn refusal_of(not_safe: NotSafe) -> (String, bool) {
    let database = matches!(not_safe, NotSafe::Database(_));
    (not_safe.to_string(), database)
}

/// Why a key the signer does not hold is refused.
fn unknown_key(signing_key: PublicKeyBytes) -> String {
    format!(
        "key {} is not one of this signer's keys; nothing is recorded for it",
        Hex(signing_key)
    )
}

/// Runs a synchronous database call; inside a multi-threaded Tokio runtime it tells the
/// scheduler the worker blocks (for the commit's fsync).
fn blocking<T>(call: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(call)
        }
        _ => call(),
    }
}

/// The guard's crash-injection steps (no-ops unless the `crash-injection` feature is on).
#[derive(Clone, Copy)]
enum CrashStepRef {
    BeforeRecord,
    AfterRecord,
}

#[cfg(feature = "crash-injection")]
fn crash_point(step: CrashStepRef) {
    crate::crash::point(match step {
        CrashStepRef::BeforeRecord => crate::crash::CrashStep::BeforeRecord,
        CrashStepRef::AfterRecord => crate::crash::CrashStep::AfterRecord,
    });
}

#[cfg(not(feature = "crash-injection"))]
fn crash_point(_: CrashStepRef) {}
