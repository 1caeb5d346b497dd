//! `mosaic create`: node keys (ENR) and trusted-dealer clusters.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use mosaic_cluster::{create_cluster_dir, load_existing_keys, CreateParams, ENR_PRIVATE_KEY_FILE};
use mosaic_crypto::keystore::Kdf;
use mosaic_crypto::secp256k1::SecretKey;
use mosaic_enr::Enr;

/// `mosaic create …`
#[derive(Debug, Subcommand)]
pub(crate) enum CreateCommand {
    /// Creates a new secp256k1 node key and prints its ENR (Charon's file layout:
    /// `<data-dir>/charon-enr-private-key`, hex without 0x).
    Enr(EnrArgs),
    /// Creates a whole cluster with a trusted dealer: new validator keys (or existing keystores)
    /// split into threshold shares, one folder per node (`node0/ … node{n-1}/`) with its
    /// cluster-lock.json, ENR private key, share keystores and deposit data, in the layout
    /// `charon create cluster` writes, so either client can run it.
    Cluster(ClusterArgs),
}

/// Arguments of `mosaic create cluster`.
#[derive(Debug, Args)]
pub(crate) struct ClusterArgs {
    /// Number of nodes (operators) in the cluster; at least 3.
    #[arg(long, default_value_t = 4)]
    nodes: u64,
    /// Signatures needed to sign (default ⌈2n/3⌉; other values are allowed with a warning).
    #[arg(long)]
    threshold: Option<u64>,
    /// Number of new distributed validators (not with --split-existing-keys).
    #[arg(long, default_value_t = 1)]
    num_validators: u64,
    /// Network: mainnet, hoodi, sepolia, ephemery or dev.
    #[arg(long, default_value = "ephemery")]
    network: String,
    /// Cluster name, recorded in the lock.
    #[arg(long, default_value = "mosaic-cluster")]
    name: String,
    /// Fee recipient address, one for all validators or one per validator (comma-separated).
    #[arg(long, value_delimiter = ',', required = true)]
    fee_recipient_addresses: Vec<String>,
    /// Withdrawal address, one for all validators or one per validator (comma-separated).
    #[arg(long, value_delimiter = ',', required = true)]
    withdrawal_addresses: Vec<String>,
    /// Partial deposit amounts in ETH (comma-separated); they must add up to at least 32.
    #[arg(long, value_delimiter = ',')]
    deposit_amounts: Vec<u64>,
    /// Use 0x02 compounding withdrawal credentials.
    #[arg(long)]
    compounding: bool,
    /// Gas limit for the pre-generated builder registrations.
    #[arg(long, default_value_t = 60_000_000)]
    target_gas_limit: u64,
    /// Split existing validator keystores instead of generating new keys.
    #[arg(long, requires = "split_keys_dir")]
    split_existing_keys: bool,
    /// Folder with the EIP-2335 keystores to split, each with its password in a `.txt` file of
    /// the same name (the layout staking-deposit tools write).
    #[arg(long)]
    split_keys_dir: Option<PathBuf>,
    /// Where to write the cluster (must be absent or empty).
    #[arg(long, default_value = "./cluster")]
    cluster_dir: PathBuf,
    /// Write keystores with a cheap key derivation (fast, for tests and demos only; refused on
    /// mainnet).
    #[arg(long)]
    insecure_keys: bool,
}

/// Arguments of `mosaic create enr`.
#[derive(Debug, Args)]
pub(crate) struct EnrArgs {
    /// The node's data directory; the key is written to `<data-dir>/charon-enr-private-key`.
    #[arg(long, default_value = ".charon", env = "MOSAIC_DATA_DIR")]
    data_dir: PathBuf,
}

/// Runs a `mosaic create` subcommand.
pub(crate) fn run(command: CreateCommand) -> anyhow::Result<()> {
    match command {
        CreateCommand::Enr(args) => {
            let (path, enr) = create_enr(&args.data_dir)?;
            println!("Created ENR private key: {}", path.display());
            println!("{}", enr.to_text());
            Ok(())
        }
        CreateCommand::Cluster(args) => create_cluster(args),
    }
}

fn create_cluster(args: ClusterArgs) -> anyhow::Result<()> {
    let existing_keys = match (&args.split_keys_dir, args.split_existing_keys) {
        (Some(dir), true) => load_existing_keys(dir)?,
        (Some(_), false) => bail!("--split-keys-dir needs --split-existing-keys"),
        (None, _) => Vec::new(),
    };
    let num_validators = if existing_keys.is_empty() {
        args.num_validators
    } else {
        0
    };
    let params = CreateParams {
        name: args.name,
        nodes: args.nodes,
        threshold: args.threshold,
        num_validators,
        network: args.network,
        fee_recipients: args.fee_recipient_addresses,
        withdrawal_addresses: args.withdrawal_addresses,
        deposit_amounts: args
            .deposit_amounts
            .iter()
            .map(|eth| mosaic_types::eth_to_gwei(*eth))
            .collect::<Result<_, _>>()
            .context("--deposit-amounts")?,
        compounding: args.compounding,
        target_gas_limit: args.target_gas_limit,
        existing_keys,
        keystore_kdf: if args.insecure_keys {
            Kdf::INSECURE
        } else {
            Kdf::CHARON
        },
    };
    let created = create_cluster_dir(&params, &args.cluster_dir)?;
    for warning in &created.warnings {
        eprintln!("warning: {warning}");
    }
    let definition = &created.lock.definition;
    println!(
        "Created cluster {:?}: {} nodes, threshold {}, {} validators, lock hash 0x{}",
        definition.name,
        definition.operators.len(),
        definition.threshold,
        created.lock.validators.len(),
        hex::encode(&created.lock.lock_hash)
    );
    for dir in &created.node_dirs {
        println!("  {}", dir.display());
    }
    println!("Deposit data: {}", created.deposit_files.join(", "));
    println!("Give each operator its own node folder; it holds that node's secret keys.");
    Ok(())
}

/// Writes a fresh node key into `data_dir` and returns its path and the node's ENR. Refuses to
/// overwrite an existing key: losing it would change the node's identity in its cluster.
fn create_enr(data_dir: &Path) -> anyhow::Result<(PathBuf, Enr)> {
    let path = data_dir.join(ENR_PRIVATE_KEY_FILE);
    if path.exists() {
        bail!(
            "{}: a node key already exists; refusing to overwrite it (move it away first)",
            path.display()
        );
    }
    fs::create_dir_all(data_dir)
        .with_context(|| format!("{}: cannot create the data directory", data_dir.display()))?;
    let key = SecretKey::random();
    let enr = Enr::create(&key, 0, None, None, None).context("creating the ENR")?;
    write_secret_file(&path, hex::encode(key.to_bytes().as_slice()).as_bytes())?;
    Ok((path, enr))
}

/// Writes `contents` to a new file at `path` readable only by its owner, failing if it exists.
fn write_secret_file(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("{}: cannot create the key file", path.display()))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("{}: cannot write the key file", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_enr_writes_a_key_matching_the_record_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().expect("temp dir");
        let data_dir = dir.path().join("node");
        let (path, enr) = create_enr(&data_dir).expect("first key");
        let text = fs::read_to_string(&path).expect("key file");
        assert_eq!(text.len(), 64, "32-byte key as hex without 0x or newline");
        let key = SecretKey::from_hex(&text).expect("valid key");
        assert_eq!(&key.public_key(), enr.public_key());
        assert_eq!(Enr::from_text(&enr.to_text()).expect("parses"), enr);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).expect("metadata").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }

        let error = create_enr(&data_dir).expect_err("second key refused");
        assert!(error.to_string().contains("already exists"), "{error}");
        assert_eq!(
            fs::read_to_string(&path).expect("key file"),
            text,
            "key unchanged"
        );
    }
}
