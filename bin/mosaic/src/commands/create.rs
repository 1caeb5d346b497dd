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
    Cluster(Box<ClusterArgs>),
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
    /// A network none of those names (a devnet, a local testnet): its genesis fork version,
    /// 0x-hex, 4 bytes. With --testnet-chain-id and --testnet-genesis-timestamp; replaces
    /// --network.
    #[arg(
        long,
        value_parser = parse_fork_version,
        requires_all = ["testnet_chain_id", "testnet_genesis_timestamp"]
    )]
    testnet_fork_version: Option<[u8; 4]>,
    /// The testnet's execution chain id (with --testnet-fork-version).
    #[arg(long, requires = "testnet_fork_version")]
    testnet_chain_id: Option<u64>,
    /// The testnet's genesis time, unix seconds (with --testnet-fork-version).
    #[arg(long, requires = "testnet_fork_version")]
    testnet_genesis_timestamp: Option<u64>,
    /// The testnet's name, written into the deposit data (with --testnet-fork-version).
    #[arg(long, default_value = "testnet", requires = "testnet_fork_version")]
    testnet_name: String,
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

/// A genesis fork version: `0x` and 8 hex digits.
fn parse_fork_version(text: &str) -> Result<[u8; 4], String> {
    let digits = text
        .strip_prefix("0x")
        .ok_or_else(|| format!("{text:?} does not start with 0x"))?;
    let bytes = hex::decode(digits).map_err(|e| format!("{text:?} is not hex: {e}"))?;
    bytes
        .try_into()
        .map_err(|bytes: Vec<u8>| format!("{text:?} is {} bytes, not 4", bytes.len()))
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
        CreateCommand::Cluster(args) => create_cluster(*args),
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
        testnet: match (
            args.testnet_fork_version,
            args.testnet_chain_id,
            args.testnet_genesis_timestamp,
        ) {
            (Some(genesis_fork_version), Some(chain_id), Some(genesis_time)) => {
                Some(mosaic_cluster::network::Testnet {
                    name: args.testnet_name,
                    genesis_fork_version,
                    chain_id,
                    genesis_time,
                })
            }
            _ => None,
        },
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: ClusterArgs,
    }

    fn parse(extra: &[&str]) -> Result<ClusterArgs, clap::Error> {
        let base = [
            "create",
            "--fee-recipient-addresses",
            "0x000000000000000000000000000000000000dead",
            "--withdrawal-addresses",
            "0x000000000000000000000000000000000000dead",
        ];
        Cli::try_parse_from(base.iter().chain(extra)).map(|cli| cli.args)
    }

    #[test]
    fn fork_versions_are_0x_and_four_bytes() {
        assert_eq!(parse_fork_version("0x00000001"), Ok([0, 0, 0, 1]));
        assert_eq!(parse_fork_version("0x10000910"), Ok([0x10, 0, 0x09, 0x10]));
        assert!(parse_fork_version("00000001").is_err());
        assert!(parse_fork_version("0x000001").is_err());
        assert!(parse_fork_version("0x0000000001").is_err());
        assert!(parse_fork_version("0xnothex!").is_err());
    }

    #[test]
    fn a_testnet_needs_its_fork_version_chain_id_and_genesis_time_together() {
        let full = [
            "--testnet-fork-version",
            "0x00000001",
            "--testnet-chain-id",
            "1337",
            "--testnet-genesis-timestamp",
            "1700000000",
        ];
        let args = parse(&full).unwrap();
        assert_eq!(args.testnet_fork_version, Some([0, 0, 0, 1]));
        assert_eq!(args.testnet_name, "testnet");
        assert!(parse(&full[..4]).is_err(), "no genesis time");
        assert!(parse(&full[2..]).is_err(), "no fork version");
        assert!(parse(&["--testnet-name", "x"]).is_err(), "a name alone");
        assert!(parse(&[]).unwrap().testnet_fork_version.is_none());
    }
}
