//! [`SlashingDb`]: opening the database under an exclusive lock, and its namespaces.

use std::collections::HashMap;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension};

use crate::error::Error;
use crate::interchange::Interchange;
use crate::namespace::{ImportSummary, Namespace};
use crate::schema;
use crate::{PublicKeyBytes, Root};

/// An open slashing-protection database, exclusively owned by this handle.
///
/// While the handle lives, an OS advisory lock on `<db>.lock` (beside the database) is held, so
/// a second handle, in this or any other process, fails to open with [`Error::AlreadyInUse`].
/// Because no one else can write, the handle caches validator ids in memory.
pub struct SlashingDb {
    // Field order matters: the connection closes before the lock is released.
    pub(crate) conn: Connection,
    /// Committed `(namespace id, pubkey) → validator id` rows; validators are never deleted.
    pub(crate) validator_ids: HashMap<(i64, PublicKeyBytes), i64>,
    path: PathBuf,
    _lock: File,
}

/// A namespace (one chain) and what it holds, as listed by [`SlashingDb::namespaces`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceInfo {
    /// The chain's genesis validators root.
    pub genesis_validators_root: Root,
    /// When the namespace was first opened (seconds since the Unix epoch).
    pub created_at_unix: u64,
    /// How many validators are registered in it.
    pub validator_count: u64,
}

impl SlashingDb {
    /// Opens (creating if needed) the database at `path`, after taking the exclusive lock on
    /// `<path>.lock`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref().to_path_buf();
        let lock = acquire_lock(&path)?;
        let mut conn = Connection::open(&path).map_err(|source| Error::Open {
            db: path.clone(),
            source,
        })?;
        schema::initialise(&mut conn, &path)?;
        Ok(Self {
            conn,
            validator_ids: HashMap::new(),
            path,
            _lock: lock,
        })
    }

    /// The database file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path of the lock file used for a database at `db`.
    pub fn lock_path(db: &Path) -> PathBuf {
        let mut name = db.as_os_str().to_os_string();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Selects the namespace of a chain, creating it (empty) when the root is new. Namespaces of
    /// other roots are kept untouched (for example across Ephemery resets).
    pub fn namespace(&mut self, genesis_validators_root: Root) -> Result<Namespace<'_>, Error> {
        let id = match self.namespace_id(&genesis_validators_root)? {
            Some(id) => id,
            None => {
                self.conn
                    .execute(
                        "INSERT INTO namespaces (genesis_validators_root, created_at_unix) \
                         VALUES (?1, ?2)",
                        rusqlite::params![genesis_validators_root, unix_now()],
                    )
                    .map_err(Error::sqlite("creating a namespace"))?;
                self.conn.last_insert_rowid()
            }
        };
        Ok(Namespace::new(self, id, genesis_validators_root))
    }

    /// Selects the namespace of a chain only if it exists.
    pub fn existing_namespace(
        &mut self,
        genesis_validators_root: Root,
    ) -> Result<Option<Namespace<'_>>, Error> {
        Ok(self
            .namespace_id(&genesis_validators_root)?
            .map(|id| Namespace::new(self, id, genesis_validators_root)))
    }

    /// Every namespace in the database, oldest first.
    pub fn namespaces(&self) -> Result<Vec<NamespaceInfo>, Error> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT n.genesis_validators_root, n.created_at_unix, \
                 (SELECT count(*) FROM validators v WHERE v.namespace_id = n.id) \
                 FROM namespaces n ORDER BY n.id",
            )
            .map_err(Error::sqlite("listing namespaces"))?;
        let rows = stmt
            .query_map([], |row| {
                Ok(NamespaceInfo {
                    genesis_validators_root: row.get(0)?,
                    created_at_unix: row.get(1)?,
                    validator_count: row.get(2)?,
                })
            })
            .map_err(Error::sqlite("listing namespaces"))?;
        rows.collect::<Result<_, _>>()
            .map_err(Error::sqlite("listing namespaces"))
    }

    /// Imports an interchange into the namespace of `genesis_validators_root`, refusing an
    /// interchange whose metadata names another root. See [`Namespace::import_interchange`].
    pub fn import_interchange(
        &mut self,
        interchange: &Interchange,
        genesis_validators_root: Root,
    ) -> Result<ImportSummary, Error> {
        crate::namespace::ensure_root(interchange, genesis_validators_root)?;
        self.namespace(genesis_validators_root)?
            .import_interchange(interchange)
    }

    /// Exports the history of `genesis_validators_root` (all validators, or only `pubkeys`).
    /// See [`Namespace::export_interchange`].
    pub fn export_interchange(
        &mut self,
        genesis_validators_root: Root,
        pubkeys: Option<&[PublicKeyBytes]>,
    ) -> Result<Interchange, Error> {
        self.namespace(genesis_validators_root)?
            .export_interchange(pubkeys)
    }

    fn namespace_id(&self, genesis_validators_root: &Root) -> Result<Option<i64>, Error> {
        self.conn
            .prepare_cached("SELECT id FROM namespaces WHERE genesis_validators_root = ?1")
            .and_then(|mut stmt| {
                stmt.query_row([genesis_validators_root], |row| row.get(0))
                    .optional()
            })
            .map_err(Error::sqlite("looking up a namespace"))
    }
}

impl std::fmt::Debug for SlashingDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlashingDb")
            .field("path", &self.path)
            .finish()
    }
}

/// Opens `<db>.lock` and takes an exclusive advisory lock on it without waiting.
fn acquire_lock(db: &Path) -> Result<File, Error> {
    let lock_file = SlashingDb::lock_path(db);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_file)
        .map_err(|source| Error::LockFile {
            lock_file: lock_file.clone(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(Error::AlreadyInUse {
            db: db.to_path_buf(),
            lock_file,
        }),
        Err(TryLockError::Error(source)) => Err(Error::LockFile { lock_file, source }),
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}
