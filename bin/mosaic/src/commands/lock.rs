//! `mosaic lock`: verify and inspect cluster lock files.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use mosaic_cluster::{Lock, LockSummary, VerifyOptions};

/// `mosaic lock …`
#[derive(Debug, Subcommand)]
pub(crate) enum LockCommand {
    /// Verifies every hash and signature of a cluster lock: config, definition and lock hashes,
    /// EIP-712 creator and operator signatures, ENRs, node signatures, the BLS signature
    /// aggregate, deposit data, builder registrations, and that the public shares reconstruct
    /// each distributed validator's public key.
    Verify(VerifyArgs),
    /// Prints a readable summary of a cluster lock: operators, threshold, validators, fork,
    /// versions. It does not verify; use `mosaic lock verify` for that.
    Inspect {
        /// The cluster-lock.json file.
        file: PathBuf,
    },
}

/// Arguments of `mosaic lock verify`.
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The cluster-lock.json file.
    file: PathBuf,
    /// Skip the EIP-712 creator and operator signatures (for example for a lock whose
    /// operators signed with a smart-contract wallet, which cannot be checked offline).
    #[arg(long)]
    skip_eip712: bool,
    /// Skip deposit-data signatures.
    #[arg(long)]
    skip_deposit_data: bool,
    /// Skip builder-registration signatures.
    #[arg(long)]
    skip_builder_registrations: bool,
}

/// Runs a `mosaic lock` subcommand.
pub(crate) fn run(command: LockCommand) -> anyhow::Result<()> {
    match command {
        LockCommand::Verify(args) => {
            let options = VerifyOptions {
                eip712_signatures: !args.skip_eip712,
                deposit_data: !args.skip_deposit_data,
                builder_registrations: !args.skip_builder_registrations,
            };
            let lock = verify(&args.file, &options)?;
            println!(
                "{}: OK — {} {} lock, {} operators, threshold {}, {} validators, lock hash {}",
                args.file.display(),
                lock.definition.name,
                lock.version().as_str(),
                lock.definition.operators.len(),
                lock.definition.threshold,
                lock.validators.len(),
                hex::encode(&lock.lock_hash),
            );
            Ok(())
        }
        LockCommand::Inspect { file } => {
            let lock = Lock::load(&file)?;
            println!("{}", LockSummary::new(&lock));
            println!("{}", libp2p_peer_ids(&lock));
            Ok(())
        }
    }
}

/// The operators' libp2p peer IDs (what `--p2p-peers` multiaddrs end in), one line each.
fn libp2p_peer_ids(lock: &Lock) -> String {
    let mut text = String::from("libp2p peer IDs:");
    for (i, operator) in lock.definition.operators.iter().enumerate() {
        let peer = mosaic_enr::Enr::from_text(&operator.enr)
            .map_err(|e| e.to_string())
            .and_then(|record| {
                mosaic_p2p::identity::peer_id_from_public_key(record.public_key())
                    .map_err(|e| e.to_string())
            });
        let shown = match peer {
            Ok(peer) => peer.to_string(),
            Err(error) => format!("<invalid ENR: {error}>"),
        };
        text.push_str(&format!("\n  [{}] {shown}", i + 1));
    }
    text
}

fn verify(file: &Path, options: &VerifyOptions) -> anyhow::Result<Lock> {
    let lock = Lock::load(file)?;
    lock.verify_with(options)
        .with_context(|| format!("{}: verification failed", file.display()))?;
    Ok(lock)
}
