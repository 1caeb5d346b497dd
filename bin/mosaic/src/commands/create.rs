//! `mosaic create`: node keys (ENR) and trusted-dealer clusters.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use mosaic_cluster::{create_cluster_dir, create_enr_key, load_existing_keys, CreateParams};
use mosaic_crypto::keystore::Kdf;

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
            let (path, enr) = create_enr_key(&args.data_dir)?;
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
