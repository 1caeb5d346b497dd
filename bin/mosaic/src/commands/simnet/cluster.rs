//! The throwaway cluster a simnet runs: dealt by the trusted dealer onto disk in `charon create
//! cluster`'s layout, on the `dev` network whose fork versions the simulated chain uses.

use std::path::{Path, PathBuf};

use anyhow::{ensure, Context};
use mosaic_cluster::{create_cluster_dir, CreateParams, ENR_PRIVATE_KEY_FILE, LOCK_FILE};
use mosaic_crypto::bls::SecretKey;
use mosaic_crypto::keystore::Kdf;
use mosaic_types::BlsPubkey;

/// Fee recipient and withdrawal address of every simnet validator (nobody's).
const SIMNET_ADDRESS: &str = "0x000000000000000000000000000000000000dead";

/// A dealt simnet cluster on disk.
pub(crate) struct SimCluster {
    /// Each node's folder (`<cluster>/node<i>`), in operator order.
    pub(crate) node_dirs: Vec<PathBuf>,
    /// Each node's libp2p peer ID (from its ENR key), in operator order.
    pub(crate) peer_ids: Vec<String>,
    /// The distributed validators' public keys, in lock order.
    pub(crate) pubkeys: Vec<BlsPubkey>,
    /// The distributed validators' whole secret keys, in lock order. The harness keeps them only
    /// to predict aggregator selection (a selection proof is deterministic); nodes never see
    /// them.
    pub(crate) validator_keys: Vec<SecretKey>,
    /// The signing threshold.
    pub(crate) threshold: u64,
}

impl std::fmt::Debug for SimCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimCluster")
            .field("node_dirs", &self.node_dirs)
            .field("peer_ids", &self.peer_ids)
            .field("threshold", &self.threshold)
            .finish_non_exhaustive()
    }
}

impl SimCluster {
    /// Node `i`'s lock file.
    pub(crate) fn lock_file(&self, node: usize) -> PathBuf {
        self.node_dirs[node].join(LOCK_FILE)
    }

    /// Node `i`'s ENR private key file.
    pub(crate) fn key_file(&self, node: usize) -> PathBuf {
        self.node_dirs[node].join(ENR_PRIVATE_KEY_FILE)
    }

    /// Node `i`'s share keystores.
    pub(crate) fn keys_dir(&self, node: usize) -> PathBuf {
        self.node_dirs[node].join(mosaic_cluster::VALIDATOR_KEYS_DIR)
    }
}

/// Deals a cluster of `nodes` operators (threshold `threshold`, or ⌈2n/3⌉) with `validators`
/// fresh validators into `cluster_dir` (absent or empty), with cheap keystore encryption: these
/// keys exist for one run.
pub(crate) fn create(
    cluster_dir: &Path,
    nodes: u64,
    threshold: Option<u64>,
    validators: u64,
) -> anyhow::Result<SimCluster> {
    ensure!(validators > 0, "--validators must be at least 1");
    let validator_keys: Vec<SecretKey> = (0..validators).map(|_| SecretKey::random()).collect();
    let params = CreateParams {
        name: "mosaic-simnet".into(),
        nodes,
        threshold,
        num_validators: 0,
        network: "dev".into(),
        testnet: None,
        fee_recipients: vec![SIMNET_ADDRESS.into()],
        withdrawal_addresses: vec![SIMNET_ADDRESS.into()],
        deposit_amounts: Vec::new(),
        compounding: false,
        target_gas_limit: mosaic_cluster::dealer::DEFAULT_TARGET_GAS_LIMIT,
        existing_keys: validator_keys.clone(),
        keystore_kdf: Kdf::INSECURE,
    };
    let created = create_cluster_dir(&params, cluster_dir)
        .with_context(|| format!("creating the cluster in {}", cluster_dir.display()))?;
    for warning in &created.warnings {
        eprintln!("warning: {warning}");
    }
    let pubkeys: Vec<BlsPubkey> = validator_keys
        .iter()
        .map(|key| BlsPubkey(key.public_key().to_bytes()))
        .collect();
    let lock_keys: Vec<&[u8]> = created
        .lock
        .validators
        .iter()
        .map(|v| v.public_key.as_slice())
        .collect();
    let dealt_keys: Vec<&[u8]> = pubkeys.iter().map(|k| k.0.as_slice()).collect();
    ensure!(
        lock_keys == dealt_keys,
        "the lock's validators are not the keys given to the dealer, in order"
    );
    let peer_ids = created
        .node_dirs
        .iter()
        .map(|dir| peer_id_of(&dir.join(ENR_PRIVATE_KEY_FILE)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(SimCluster {
        node_dirs: created.node_dirs,
        peer_ids,
        pubkeys,
        validator_keys,
        threshold: created.lock.definition.threshold,
    })
}

/// The libp2p peer ID of the node whose ENR key is in `key_file`.
fn peer_id_of(key_file: &Path) -> anyhow::Result<String> {
    let secret = mosaic_p2p::identity::load_enr_private_key(key_file)
        .with_context(|| format!("reading {}", key_file.display()))?;
    let peer = mosaic_p2p::identity::peer_id_from_public_key(&secret.public_key())
        .with_context(|| format!("peer ID of {}", key_file.display()))?;
    Ok(peer.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deals_a_cluster_whose_lock_holds_our_keys() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cluster = create(&dir.path().join("cluster"), 4, None, 2).expect("cluster");
        assert_eq!(cluster.node_dirs.len(), 4);
        assert_eq!(cluster.threshold, 3);
        assert_eq!(cluster.pubkeys.len(), 2);
        assert_eq!(cluster.validator_keys.len(), 2);
        assert!(cluster.lock_file(3).is_file());
        assert!(cluster.key_file(0).is_file());
        assert!(cluster.keys_dir(1).is_dir());
        let mut peers = cluster.peer_ids.clone();
        peers.sort();
        peers.dedup();
        assert_eq!(peers.len(), 4, "distinct peer IDs");
        assert!(cluster.peer_ids.iter().all(|p| p.starts_with("16Uiu2")));
    }

    #[test]
    fn refuses_zero_validators() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(create(&dir.path().join("cluster"), 4, None, 0).is_err());
    }
}
