//! `mosaic run --signer`: the slashing-protection guard in front of the built-in validator
//! client.

use std::sync::Arc;

use anyhow::Context;
use mosaic_cluster::Lock;
use mosaic_crypto::bls::{PublicKey, SecretKey};
use mosaic_signer::{KeyMap, SlashingGuard};
use mosaic_vc::SigningGuard;

use crate::run_config::RunConfig;

/// The guard for the built-in validator client signing with `keys` (this node's shares):
/// without `--signer` none ([`mosaic_vc::NoGuard`]); with it, EIP-3076 protection in
/// `<data-dir>/slashing-protection.sqlite` under the chain's `genesis_validators_root`, records
/// kept per distributed-validator key. Fails — so the node does not start — when the database
/// is held by another process or a share is not in the lock.
pub(crate) fn signing_guard(
    config: &RunConfig,
    lock: &Lock,
    genesis_validators_root: [u8; 32],
    keys: &[SecretKey],
) -> anyhow::Result<Guard> {
    if !config.signer {
        return Ok(Guard {
            signing: Arc::new(mosaic_vc::NoGuard),
            slashing: None,
        });
    }
    let shares: Vec<PublicKey> = keys.iter().map(SecretKey::public_key).collect();
    let key_map = KeyMap::from_lock(lock, &shares).with_context(|| {
        format!(
            "signer mode: share keystores in {} against {}",
            config.validator_keys_dir.display(),
            config.lock_file.display()
        )
    })?;
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data directory {}", config.data_dir.display()))?;
    let path = mosaic_signer::slashing_db_path(&config.data_dir);
    let guard =
        SlashingGuard::open(&path, genesis_validators_root, key_map).with_context(|| {
            format!(
                "signer mode: cannot use slashing protection database {}",
                path.display()
            )
        })?;
    let guard = Arc::new(guard);
    Ok(Guard {
        signing: guard.clone(),
        slashing: Some(guard),
    })
}

/// The validator client's signing guard and, in signer mode, the slashing-protection guard
/// behind it (for its statistics).
pub(crate) struct Guard {
    /// What the validator client asks before signing.
    pub(crate) signing: Arc<dyn SigningGuard>,
    /// The EIP-3076 guard in signer mode.
    pub(crate) slashing: Option<Arc<SlashingGuard>>,
}

/// How often the slashing guard's decisions are copied into the metrics.
const GUARD_METRICS_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Copies the slashing guard's decision counts into `mosaic_signer_guard_total{object,decision}`
/// (and its database errors into `decision="database_error"`) until `shutdown`.
pub(crate) async fn export_guard_metrics(
    guard: Arc<SlashingGuard>,
    metrics: Arc<mosaic_monitor::Metrics>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let export = || {
        let stats = guard.stats();
        for (object, decision, total) in [
            ("block", "allowed", stats.blocks_allowed),
            ("block", "repeated", stats.blocks_repeated),
            ("block", "refused", stats.blocks_refused),
            ("attestation", "allowed", stats.attestations_allowed),
            ("attestation", "repeated", stats.attestations_repeated),
            ("attestation", "refused", stats.attestations_refused),
            ("any", "database_error", stats.database_errors),
        ] {
            metrics.signer_guard(object, decision, total);
        }
    };
    tokio::pin!(shutdown);
    let mut every = tokio::time::interval(GUARD_METRICS_EVERY);
    loop {
        tokio::select! {
            _ = every.tick() => export(),
            () = &mut shutdown => {
                export();
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run_config::{LogFormat, LogLevel};
    use mosaic_cluster::{build_lock, CreateParams};

    const ROOT: [u8; 32] = [0x33; 32];

    fn config(data_dir: &std::path::Path, signer: bool) -> RunConfig {
        RunConfig {
            data_dir: data_dir.to_path_buf(),
            lock_file: data_dir.join("cluster-lock.json"),
            private_key_file: data_dir.join("charon-enr-private-key"),
            beacon_node_endpoints: vec![url::Url::parse("http://127.0.0.1:1").unwrap()],
            validator_api_address: "127.0.0.1:3600".parse().unwrap(),
            p2p_tcp_addresses: vec!["127.0.0.1:3610".parse().unwrap()],
            p2p_peers: Vec::new(),
            monitoring_address: "127.0.0.1:3620".parse().unwrap(),
            log_level: LogLevel::Info,
            log_format: LogFormat::Text,
            builtin_vc: true,
            validator_keys_dir: data_dir.join("validator_keys"),
            byzantine: false,
            fee_recipient: None,
            builder_api: false,
            signer,
            builtin_aggregator: false,
            scale_consensus_timers: false,
        }
    }

    fn dealt() -> mosaic_cluster::Dealt {
        build_lock(&CreateParams {
            name: "signer".into(),
            nodes: 4,
            threshold: None,
            num_validators: 1,
            network: "dev".into(),
            testnet: None,
            fee_recipients: vec!["0x000000000000000000000000000000000000dEaD".into()],
            withdrawal_addresses: vec!["0x000000000000000000000000000000000000dEaD".into()],
            deposit_amounts: Vec::new(),
            compounding: false,
            target_gas_limit: 36_000_000,
            existing_keys: Vec::new(),
            keystore_kdf: mosaic_crypto::keystore::Kdf::INSECURE,
        })
        .unwrap()
    }

    #[test]
    fn run_and_slashing_commands_share_one_database_file() {
        assert_eq!(
            super::super::slashing::SLASHING_DB_FILE,
            mosaic_signer::SLASHING_DB_FILE
        );
    }

    #[test]
    fn signer_mode_opens_the_database_and_refuses_a_second_signer() {
        let dealt = dealt();
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("node0");
        let db = data_dir.join("slashing-protection.sqlite");

        // Without --signer there is no database.
        signing_guard(
            &config(&data_dir, false),
            &dealt.lock,
            ROOT,
            &dealt.shares[0],
        )
        .unwrap();
        assert!(!db.exists());

        let first = signing_guard(
            &config(&data_dir, true),
            &dealt.lock,
            ROOT,
            &dealt.shares[0],
        )
        .unwrap();
        assert!(db.exists());
        let error = signing_guard(
            &config(&data_dir, true),
            &dealt.lock,
            ROOT,
            &dealt.shares[0],
        )
        .err()
        .unwrap();
        let message = format!("{error:#}");
        assert!(message.contains(&db.display().to_string()), "{message}");
        assert!(message.contains("already in use"), "{message}");
        drop(first);
        signing_guard(
            &config(&data_dir, true),
            &dealt.lock,
            ROOT,
            &dealt.shares[0],
        )
        .unwrap();
    }

    #[test]
    fn signer_mode_refuses_keys_that_are_not_shares_of_the_lock() {
        let dealt = dealt();
        let dir = tempfile::tempdir().unwrap();
        let stranger = vec![SecretKey::random()];
        let error = signing_guard(&config(dir.path(), true), &dealt.lock, ROOT, &stranger)
            .err()
            .unwrap();
        let message = format!("{error:#}");
        assert!(message.contains("not a public share"), "{message}");
        assert!(message.contains("validator_keys"), "{message}");
        signing_guard(
            &config(dir.path(), true),
            &dealt.lock,
            ROOT,
            &dealt.shares[3],
        )
        .unwrap();
    }
}
