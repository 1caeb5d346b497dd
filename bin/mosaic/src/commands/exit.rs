//! `mosaic exit`: this operator's part of a distributed validator's voluntary exit. It signs the
//! exit with the operator's key share and sends it to the operator's own node (its validator
//! API), as a validator client's exit command would; the nodes exchange the partial exits and
//! the cluster broadcasts the combined one once a threshold of operators did the same. Exits are
//! not slashable, so signer mode's protection database is not involved.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::Args;
use mosaic_cluster::Lock;
use mosaic_crypto::bls::PublicKey;
use mosaic_types::consensus::{Mainnet, Minimal, Preset};

/// Arguments of `mosaic exit`.
#[derive(Debug, Args)]
pub(crate) struct ExitArgs {
    /// The distributed validator to exit (its public key, 0x-hex, as in the lock).
    #[arg(long)]
    validator_public_key: String,
    /// The exit's epoch (default: the current epoch). It cannot be after the current epoch.
    #[arg(long)]
    epoch: Option<u64>,
    /// This operator's node's validator API.
    #[arg(long, default_value = "http://127.0.0.1:3600")]
    validator_api_url: String,
    /// The node's data directory (defaults of the two paths below).
    #[arg(long, default_value = ".charon", env = "MOSAIC_DATA_DIR")]
    data_dir: PathBuf,
    /// The cluster lock (default `<data-dir>/cluster-lock.json`).
    #[arg(long)]
    lock_file: Option<PathBuf>,
    /// The operator's share keystores (default `<data-dir>/validator_keys`).
    #[arg(long)]
    validator_keys_dir: Option<PathBuf>,
}

/// Runs `mosaic exit`.
pub(crate) fn run(args: ExitArgs) -> anyhow::Result<()> {
    let lock_file = args
        .lock_file
        .clone()
        .unwrap_or_else(|| args.data_dir.join(mosaic_cluster::LOCK_FILE));
    let keys_dir = args
        .validator_keys_dir
        .clone()
        .unwrap_or_else(|| args.data_dir.join(mosaic_cluster::VALIDATOR_KEYS_DIR));
    let lock = Lock::load(&lock_file)?;
    let wanted = args
        .validator_public_key
        .trim()
        .trim_start_matches("0x")
        .to_ascii_lowercase();
    let validator = lock
        .validators
        .iter()
        .find(|v| hex::encode(&v.public_key) == wanted)
        .with_context(|| {
            format!(
                "--validator-public-key {}: not a validator of {}",
                args.validator_public_key,
                lock_file.display()
            )
        })?;
    let files = mosaic_crypto::keystore::decrypt_dir(&keys_dir)
        .with_context(|| format!("share keystores in {}", keys_dir.display()))?;
    let share = files
        .into_iter()
        .map(|file| file.secret)
        .find(|secret| {
            let public = secret.public_key().to_bytes();
            validator
                .public_shares
                .iter()
                .any(|share| share.as_slice() == public.as_slice())
        })
        .with_context(|| {
            format!(
                "{} holds no share of validator {}",
                keys_dir.display(),
                args.validator_public_key
            )
        })?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let url = args.validator_api_url.trim_end_matches('/').to_string();
        let chain = mosaic_node::fetch_chain(std::slice::from_ref(&url))
            .await
            .with_context(|| format!("reading the chain through {url}"))?;
        let epoch = match args.epoch {
            Some(epoch) => epoch,
            None => {
                if chain.before_genesis(std::time::SystemTime::now()) {
                    bail!("the chain has not started: give --epoch");
                }
                chain.epoch_of(chain.slot_at(std::time::SystemTime::now()))
            }
        };
        let share_key = share.public_key();
        if chain.preset_base == "minimal" {
            submit::<Minimal>(url, share, &share_key, epoch).await
        } else {
            submit::<Mainnet>(url, share, &share_key, epoch).await
        }
    })?;
    println!(
        "voluntary exit of {} at epoch {} signed with this operator's share and sent to {}",
        args.validator_public_key,
        args.epoch
            .map_or_else(|| "the current one".to_string(), |e| e.to_string()),
        args.validator_api_url
    );
    Ok(())
}

/// Signs and posts the partial exit through a validator client holding only `share`.
async fn submit<P: Preset>(
    url: String,
    share: mosaic_crypto::bls::SecretKey,
    share_key: &PublicKey,
    epoch: u64,
) -> anyhow::Result<()> {
    let client = mosaic_vc::ValidatorClient::<P>::new(
        mosaic_vc::VcConfig::new(vec![url], vec![share]),
        Arc::new(mosaic_vc::NoGuard),
    )
    .await
    .context("connecting to the validator API")?;
    client
        .exit(share_key, epoch)
        .await
        .context("signing and submitting the exit")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(dir: &std::path::Path, pubkey: String) -> ExitArgs {
        ExitArgs {
            validator_public_key: pubkey,
            epoch: Some(0),
            // Nothing listens there: every case below fails before connecting.
            validator_api_url: "http://127.0.0.1:9".into(),
            data_dir: dir.join("node0"),
            lock_file: None,
            validator_keys_dir: None,
        }
    }

    #[test]
    fn the_validator_must_be_in_the_lock_and_the_operator_must_hold_a_share() {
        let dir = tempfile::tempdir().unwrap();
        let cluster = super::super::simnet::cluster::create(dir.path(), 4, None, 1).unwrap();
        let stranger = format!("0x{}", "ab".repeat(48));
        let error = format!("{:#}", run(args(dir.path(), stranger)).unwrap_err());
        assert!(error.contains("not a validator of"), "{error}");
        assert!(error.contains("cluster-lock.json"), "{error}");
        let known = cluster.pubkeys[0].to_hex();
        // Keystores of another cluster's operator.
        let other =
            super::super::simnet::cluster::create(&dir.path().join("other"), 4, None, 1).unwrap();
        let mut no_share = args(dir.path(), known.clone());
        no_share.validator_keys_dir = Some(other.keys_dir(0));
        let error = format!("{:#}", run(no_share).unwrap_err());
        assert!(error.contains("holds no share"), "{error}");
        // With its share, it gets as far as the (absent) node.
        let error = format!("{:#}", run(args(dir.path(), known)).unwrap_err());
        assert!(error.contains("127.0.0.1:9"), "{error}");
    }
}
