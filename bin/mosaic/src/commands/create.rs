//! `mosaic create`: node keys (ENR) and trusted-dealer clusters.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use mosaic_crypto::secp256k1::SecretKey;
use mosaic_enr::Enr;

/// File name of a node's ENR private key, as Charon names it.
pub(crate) const ENR_PRIVATE_KEY_FILE: &str = "charon-enr-private-key";

/// `mosaic create …`
#[derive(Debug, Subcommand)]
pub(crate) enum CreateCommand {
    /// Creates a new secp256k1 node key and prints its ENR (Charon's file layout:
    /// `<data-dir>/charon-enr-private-key`, hex without 0x).
    Enr(EnrArgs),
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
    }
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
