//! `create cluster`: writes a trusted-dealer cluster to disk in the layout `charon create
//! cluster` produces, atomically.
//!
//! ```text
//! <cluster_dir>/node<i>/charon-enr-private-key   hex secp256k1 key, no newline, mode 0600
//! <cluster_dir>/node<i>/cluster-lock.json        the signed lock, mode 0400
//! <cluster_dir>/node<i>/deposit-data*.json       one file per deposit amount, mode 0444
//! <cluster_dir>/node<i>/validator_keys/keystore-<v>.json + .txt   node i's share of validator v
//! ```
//!
//! Everything is written into a temporary directory beside `cluster_dir` that is renamed onto
//! it at the end; on any error the temporary directory (and any parent directories created for
//! it) are removed, so nothing is left behind.

use std::path::{Path, PathBuf};

use mosaic_crypto::keystore;

use crate::dealer::{build_lock, CreateParams, Dealt};
use crate::deposit_file::{deposit_file_json, deposit_file_name};
use crate::error::{Error, Result};
use crate::fsutil::{
    check_absent_or_empty, create_dir, create_parents, remove_empty_dirs, write_new_file,
    StagingDir,
};
use crate::keys::{check_kdf_for_network, keystore_error};
use crate::model::Lock;
use crate::network::{create_network, network_name};

/// File name of a node's p2p (ENR) private key.
pub const ENR_PRIVATE_KEY_FILE: &str = "charon-enr-private-key";
/// File name of the cluster lock.
pub const LOCK_FILE: &str = "cluster-lock.json";
/// Sub-folder holding a node's validator keystores.
pub const VALIDATOR_KEYS_DIR: &str = "validator_keys";

const DIR_MODE: u32 = 0o755;
const ENR_KEY_MODE: u32 = 0o600;
const LOCK_MODE: u32 = 0o400;
const DEPOSIT_MODE: u32 = 0o444;

/// Creates a node key for `charon create enr`'s layout: a fresh secp256k1 key written to
/// `data_dir/charon-enr-private-key` (hex without `0x` or newline, mode 0600), returning its path
/// and the node's ENR (sequence 0, no address entries, as Charon makes it). Refuses to overwrite
/// an existing key: losing it would change the node's identity in its cluster.
pub fn create_enr_key(data_dir: &Path) -> Result<(PathBuf, mosaic_enr::Enr)> {
    let path = data_dir.join(ENR_PRIVATE_KEY_FILE);
    if path.exists() {
        return Err(Error::io(
            &path,
            "a node key already exists; refusing to overwrite it (move it away first)",
        ));
    }
    std::fs::create_dir_all(data_dir).map_err(|e| Error::io(data_dir, e))?;
    let key = mosaic_crypto::secp256k1::SecretKey::random();
    let enr = mosaic_enr::Enr::create(&key, 0, None, None, None)
        .map_err(|e| Error::crypto("create ENR", e))?;
    let key_hex = zeroize::Zeroizing::new(hex::encode(key.to_bytes().as_ref()));
    write_new_file(&path, key_hex.as_bytes(), ENR_KEY_MODE)?;
    Ok((path, enr))
}

/// The name of node `i`'s folder: `node<i>`.
pub fn node_dir_name(index: usize) -> String {
    format!("node{index}")
}

/// What [`create_cluster_dir`] wrote.
#[derive(Debug)]
pub struct CreatedCluster {
    /// The cluster directory (the target given).
    pub cluster_dir: PathBuf,
    /// Each node's folder, `cluster_dir/node<i>`, in operator order.
    pub node_dirs: Vec<PathBuf>,
    /// The lock written into every node folder.
    pub lock: Lock,
    /// The deposit file names written into every node folder, by ascending amount.
    pub deposit_files: Vec<String>,
    /// Warnings to show the user (e.g. a non-default threshold).
    pub warnings: Vec<String>,
}

/// Creates a trusted-dealer cluster in `cluster_dir`, which must not exist or be empty. Keys are
/// new, or `params.existing_keys` split (see [`crate::load_existing_keys`]). Keystores use
/// `params.keystore_kdf`; parameters weaker than Charon's are refused on mainnet.
pub fn create_cluster_dir(params: &CreateParams, cluster_dir: &Path) -> Result<CreatedCluster> {
    check_absent_or_empty(cluster_dir)?;
    let network = create_network(&params.network, params.testnet.as_ref())?;
    check_kdf_for_network(params.keystore_kdf, &network.name)?;
    let dealt = build_lock(params)?;

    let created_parents = create_parents(cluster_dir)?;
    let result = StagingDir::beside(cluster_dir, DIR_MODE).and_then(|staging| {
        let deposit_files = write_nodes(&dealt, params, staging.path())?;
        let committed = staging.commit()?;
        Ok((committed, deposit_files))
    });
    let (cluster_dir, deposit_files) = match result {
        Ok(done) => done,
        Err(e) => {
            remove_empty_dirs(&created_parents);
            return Err(e);
        }
    };
    let node_dirs = (0..dealt.node_keys.len())
        .map(|i| cluster_dir.join(node_dir_name(i)))
        .collect();
    Ok(CreatedCluster {
        cluster_dir,
        node_dirs,
        lock: dealt.lock,
        deposit_files,
        warnings: dealt.warnings,
    })
}

/// Writes every node folder into `root`; returns the deposit file names.
fn write_nodes(dealt: &Dealt, params: &CreateParams, root: &Path) -> Result<Vec<String>> {
    let lock_json = dealt.lock.to_json();
    let fork_version: [u8; 4] = dealt
        .lock
        .definition
        .fork_version
        .as_slice()
        .try_into()
        .map_err(|_| Error::param("network", "fork version is not 4 bytes"))?;
    let network = network_name(&fork_version).unwrap_or(params.network.as_str());
    let mut deposit_files = Vec::with_capacity(dealt.deposits.len());
    let mut deposit_jsons = Vec::with_capacity(dealt.deposits.len());
    for (amount, deposits) in &dealt.deposits {
        deposit_files.push(deposit_file_name(*amount));
        deposit_jsons.push(deposit_file_json(deposits, fork_version, network)?);
    }

    for (i, (node_key, shares)) in dealt.node_keys.iter().zip(&dealt.shares).enumerate() {
        let node = root.join(node_dir_name(i));
        create_dir(&node, DIR_MODE)?;
        let key_hex = zeroize::Zeroizing::new(hex::encode(node_key.as_ref()));
        write_new_file(
            &node.join(ENR_PRIVATE_KEY_FILE),
            key_hex.as_bytes(),
            ENR_KEY_MODE,
        )?;
        write_new_file(&node.join(LOCK_FILE), lock_json.as_bytes(), LOCK_MODE)?;
        for (name, json) in deposit_files.iter().zip(&deposit_jsons) {
            write_new_file(&node.join(name), json.as_bytes(), DEPOSIT_MODE)?;
        }
        let keys_dir = node.join(VALIDATOR_KEYS_DIR);
        create_dir(&keys_dir, DIR_MODE)?;
        keystore::store_dir(&keys_dir, shares, params.keystore_kdf)
            .map_err(|e| keystore_error(&keys_dir, e))?;
    }
    Ok(deposit_files)
}
