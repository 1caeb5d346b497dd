//! `combine`: recovers the validators' full private keys from a threshold of node folders.
//!
//! Each folder's `cluster-lock.json` is verified and all folders must hold the same lock. Folder
//! names are never trusted: each folder's share index comes from matching its keystores' public
//! keys against the lock's public shares. A share index supplied by several folders counts once.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use mosaic_crypto::keystore::{self, Kdf};
use mosaic_crypto::{bls, tbls};

use crate::create::{LOCK_FILE, VALIDATOR_KEYS_DIR};
use crate::error::{Error, Result};
use crate::fsutil::{subdirs_with, StagingDir};
use crate::keys::keystore_error;
use crate::model::Lock;
use crate::verify::VerifyOptions;
use crate::write::to_0x_hex;

/// Options of [`combine_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CombineOptions {
    /// Replace existing `keystore-*.json`/`.txt` files in the output directory.
    pub force: bool,
    /// Key derivation of the written keystores ([`Kdf::CHARON`] by default).
    pub keystore_kdf: Kdf,
    /// Which lock signatures to check (hashes, structure, shares and node signatures always are).
    pub verify: VerifyOptions,
}

impl Default for CombineOptions {
    fn default() -> Self {
        CombineOptions {
            force: false,
            keystore_kdf: Kdf::CHARON,
            verify: VerifyOptions::default(),
        }
    }
}

/// One node folder as `combine` understood it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CombinedFolder {
    /// The folder.
    pub dir: PathBuf,
    /// Its share index (1-based; operator `share_index - 1` of the lock).
    pub share_index: u64,
    /// False if an earlier folder already supplied this share index (it was then not used).
    pub used: bool,
}

/// What [`combine`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CombineReport {
    /// The lock hash all folders share.
    pub lock_hash: Vec<u8>,
    /// The folders read, in the order given.
    pub folders: Vec<CombinedFolder>,
    /// The keystores written, `keystore-<v>.json` for validator `v` of the lock.
    pub keystores: Vec<PathBuf>,
    /// Each recovered validator's distributed public key, in lock order.
    pub validator_pubkeys: Vec<Vec<u8>>,
}

/// The node folders of a cluster directory: every immediate sub-folder holding a
/// `validator_keys` folder (such as `node0`, `node1`, …), sorted by name (`node2` before `node10`).
pub fn cluster_node_dirs(cluster_dir: &Path) -> Result<Vec<PathBuf>> {
    let dirs = subdirs_with(cluster_dir, VALIDATOR_KEYS_DIR)?;
    if dirs.is_empty() {
        return Err(Error::io(
            cluster_dir,
            format!("no node folders (sub-folders with {VALIDATOR_KEYS_DIR}/) found"),
        ));
    }
    Ok(dirs)
}

/// Node folders from user input: a folder holding `cluster-lock.json` is a node folder; any
/// other folder is taken as a cluster directory and replaced by [`cluster_node_dirs`].
pub fn expand_node_dirs(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for input in inputs {
        if input.join(LOCK_FILE).is_file() {
            out.push(input.clone());
        } else {
            out.extend(cluster_node_dirs(input)?);
        }
    }
    Ok(out)
}

/// [`combine_with`] with default options (Charon's keystore KDF, full lock verification) and
/// `force` as given.
pub fn combine(node_dirs: &[PathBuf], output_dir: &Path, force: bool) -> Result<CombineReport> {
    combine_with(
        node_dirs,
        output_dir,
        &CombineOptions {
            force,
            ..CombineOptions::default()
        },
    )
}

/// Recovers every validator's private key from `node_dirs` (node folders, or cluster
/// directories; see [`expand_node_dirs`]) and writes `keystore-<v>.json` + `.txt` (fresh random
/// password) into `output_dir`, all at once: the keystores are staged in a temporary folder
/// beside `output_dir` and moved in only after every key was recovered and written.
pub fn combine_with(
    node_dirs: &[PathBuf],
    output_dir: &Path,
    options: &CombineOptions,
) -> Result<CombineReport> {
    let node_dirs = expand_node_dirs(node_dirs)?;
    let Some(first_dir) = node_dirs.first() else {
        return Err(Error::param("node_dirs", "no node folders given"));
    };
    check_output(output_dir, options.force)?;

    let first_lock_path = first_dir.join(LOCK_FILE);
    let lock = load_verified(&first_lock_path, &options.verify)?;
    let index = ShareLookup::new(&lock)?;

    let mut shares: Vec<BTreeMap<u64, bls::SecretKey>> = (0..lock.validators.len())
        .map(|_| BTreeMap::new())
        .collect();
    let mut folders = Vec::with_capacity(node_dirs.len());
    let mut used_indices = BTreeSet::new();
    for dir in &node_dirs {
        let lock_path = dir.join(LOCK_FILE);
        if dir != first_dir {
            let other = load_verified(&lock_path, &options.verify)?;
            if other.lock_hash != lock.lock_hash {
                return Err(Error::LockMismatch {
                    first: first_lock_path.display().to_string(),
                    first_hash: to_0x_hex(&lock.lock_hash),
                    other: lock_path.display().to_string(),
                    other_hash: to_0x_hex(&other.lock_hash),
                });
            }
        }
        let (share_index, folder_shares) = read_folder_shares(dir, &index)?;
        let used = used_indices.insert(share_index);
        if used {
            for (validator, secret) in folder_shares {
                shares[validator].insert(share_index, secret);
            }
        }
        folders.push(CombinedFolder {
            dir: dir.clone(),
            share_index,
            used,
        });
    }

    let threshold = lock.definition.threshold;
    let mut secrets = Vec::with_capacity(lock.validators.len());
    for (v, (dv, found)) in lock.validators.iter().zip(&shares).enumerate() {
        if (found.len() as u64) < threshold {
            return Err(Error::InsufficientShares {
                index: v,
                pubkey: to_0x_hex(&dv.public_key),
                found: found.len(),
                needed: threshold,
            });
        }
        let secret = tbls::recover_secret(found, threshold)
            .map_err(|e| Error::crypto(format!("recover validator {v}"), e))?;
        if secret.public_key().to_bytes()[..] != dv.public_key[..] {
            return Err(Error::crypto(
                format!("recover validator {v}"),
                format!(
                    "recovered key does not match the distributed public key {}",
                    to_0x_hex(&dv.public_key)
                ),
            ));
        }
        secrets.push(secret);
    }

    let keystores = write_output(output_dir, &secrets, options)?;
    Ok(CombineReport {
        lock_hash: lock.lock_hash.clone(),
        folders,
        keystores,
        validator_pubkeys: lock
            .validators
            .iter()
            .map(|v| v.public_key.clone())
            .collect(),
    })
}

fn load_verified(path: &Path, options: &VerifyOptions) -> Result<Lock> {
    let lock = Lock::load(path)?;
    lock.verify_with(options).map_err(|source| Error::Verify {
        file: path.display().to_string(),
        source,
    })?;
    Ok(lock)
}

/// Public share → (validator index, share index).
struct ShareLookup(BTreeMap<[u8; 48], (usize, u64)>);

impl ShareLookup {
    fn new(lock: &Lock) -> Result<Self> {
        let mut map = BTreeMap::new();
        for (v, dv) in lock.validators.iter().enumerate() {
            for (op, share) in dv.public_shares.iter().enumerate() {
                let key: [u8; 48] = share.as_slice().try_into().map_err(|_| {
                    Error::field(
                        LOCK_FILE,
                        format!("distributed_validators[{v}].public_shares[{op}]"),
                        "not 48 bytes",
                    )
                })?;
                map.insert(key, (v, op as u64 + 1));
            }
        }
        Ok(ShareLookup(map))
    }
}

/// Decrypts a folder's keystores and maps them to (validator index, secret), all of one share
/// index, which is returned.
fn read_folder_shares(
    dir: &Path,
    lookup: &ShareLookup,
) -> Result<(u64, Vec<(usize, bls::SecretKey)>)> {
    let keys_dir = dir.join(VALIDATOR_KEYS_DIR);
    let files = keystore::load_dir(&keys_dir).map_err(|e| keystore_error(&keys_dir, e))?;
    let mut folder_index: Option<(u64, PathBuf)> = None;
    let mut out = Vec::with_capacity(files.len());
    for (path, store, password) in files {
        let file = path.display().to_string();
        let secret = store
            .decrypt(&password)
            .map_err(|e| keystore_error(&keys_dir, in_file(&path, e)))?;
        let public = secret.public_key().to_bytes();
        let Some(&(validator, share_index)) = lookup.0.get(&public) else {
            return Err(Error::Keystore {
                file,
                reason: format!(
                    "key share {} is not a public share of any validator in the lock",
                    to_0x_hex(&public)
                ),
            });
        };
        match &folder_index {
            None => folder_index = Some((share_index, path.clone())),
            Some((index, first)) if *index != share_index => {
                return Err(Error::Keystore {
                    file,
                    reason: format!(
                        "holds share {share_index} but {} holds share {index}: a node folder must hold one operator's shares",
                        first.display()
                    ),
                });
            }
            Some(_) => {}
        }
        if out.iter().any(|(v, _)| *v == validator) {
            return Err(Error::Keystore {
                file,
                reason: format!("a second share of validator {validator} in the same folder"),
            });
        }
        out.push((validator, secret));
    }
    let (index, _) = folder_index.ok_or_else(|| Error::Keystore {
        file: keys_dir.display().to_string(),
        reason: "no keystores".into(),
    })?;
    Ok((index, out))
}

fn in_file(path: &Path, error: mosaic_crypto::Error) -> mosaic_crypto::Error {
    mosaic_crypto::Error::InFile {
        path: path.to_path_buf(),
        source: Box::new(error),
    }
}

fn is_keystore_file(name: &str) -> bool {
    name.starts_with("keystore-") && (name.ends_with(".json") || name.ends_with(".txt"))
}

/// Existing `keystore-*.json`/`.txt` files in `dir` (none if it does not exist).
fn existing_keystore_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        if entry.file_name().to_str().is_some_and(is_keystore_file) {
            out.push(entry.path());
        }
    }
    out.sort();
    Ok(out)
}

fn check_output(output_dir: &Path, force: bool) -> Result<()> {
    if output_dir.exists() && !output_dir.is_dir() {
        return Err(Error::io(
            output_dir,
            "output exists and is not a directory",
        ));
    }
    if !force {
        if let Some(existing) = existing_keystore_files(output_dir)?.first() {
            return Err(Error::WouldOverwrite {
                path: existing.display().to_string(),
            });
        }
    }
    Ok(())
}

/// Stages the keystores beside `output_dir`, then renames the staging folder onto an absent or
/// empty `output_dir`, or moves the files into an existing one (after removing old keystores
/// when forced).
fn write_output(
    output_dir: &Path,
    secrets: &[bls::SecretKey],
    options: &CombineOptions,
) -> Result<Vec<PathBuf>> {
    check_output(output_dir, options.force)?;
    if let Some(parent) = output_dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    let staging = StagingDir::beside(output_dir, 0o700)?;
    let staged = keystore::store_dir(staging.path(), secrets, options.keystore_kdf)
        .map_err(|e| keystore_error(staging.path(), e))?;
    let names: Vec<PathBuf> = staged
        .iter()
        .filter_map(|p| p.file_name().map(PathBuf::from))
        .collect();
    let final_paths = names.iter().map(|n| output_dir.join(n)).collect();

    let empty = match fs::read_dir(output_dir) {
        Ok(mut entries) => entries.next().is_none(),
        Err(_) => true,
    };
    if empty {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(staging.path(), fs::Permissions::from_mode(0o755))
                .map_err(|e| Error::io(staging.path(), e))?;
        }
        staging.commit()?;
        return Ok(final_paths);
    }
    if options.force {
        for old in existing_keystore_files(output_dir)? {
            fs::remove_file(&old).map_err(|e| Error::io(&old, e))?;
        }
    }
    // Password files first, so a keystore never appears without its password.
    let mut moves: Vec<PathBuf> = fs::read_dir(staging.path())
        .map_err(|e| Error::io(staging.path(), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    moves.sort_by_key(|p| p.extension().is_some_and(|e| e == "json"));
    for from in moves {
        if let Some(name) = from.file_name() {
            let to = output_dir.join(name);
            fs::rename(&from, &to).map_err(|e| Error::io(&to, e))?;
        }
    }
    Ok(final_paths)
}
