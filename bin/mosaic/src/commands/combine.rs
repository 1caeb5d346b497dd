//! `mosaic combine`: recover the validator keys from a threshold of node folders.

use std::path::PathBuf;

use clap::Args;
use mosaic_cluster::{combine, expand_node_dirs};

/// Arguments of `mosaic combine`.
#[derive(Debug, Args)]
pub(crate) struct CombineArgs {
    /// Node folders (each with cluster-lock.json and validator_keys/), or a cluster folder
    /// holding node folders. At least threshold distinct operators' folders are needed.
    #[arg(long = "cluster-dir", required = true, num_args = 1..)]
    inputs: Vec<PathBuf>,
    /// Where to write the recovered keystores (keystore-N.json with keystore-N.txt passwords).
    #[arg(long)]
    output_dir: PathBuf,
    /// Replace keystores already in the output folder.
    #[arg(long)]
    force: bool,
}

/// Runs `mosaic combine`.
pub(crate) fn run(args: CombineArgs) -> anyhow::Result<()> {
    let node_dirs = expand_node_dirs(&args.inputs)?;
    let report = combine(&node_dirs, &args.output_dir, args.force)?;
    println!(
        "Recovered {} validator keys from cluster lock 0x{}",
        report.validator_pubkeys.len(),
        hex::encode(&report.lock_hash)
    );
    for folder in &report.folders {
        let role = if folder.used { "used" } else { "not needed" };
        println!(
            "  {} (share index {}, {role})",
            folder.dir.display(),
            folder.share_index
        );
    }
    for (keystore, pubkey) in report.keystores.iter().zip(&report.validator_pubkeys) {
        println!("  {} 0x{}", keystore.display(), hex::encode(pubkey));
    }
    Ok(())
}
