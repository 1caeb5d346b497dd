//! `mosaic slashing`: import and export the signer's EIP-3076 slashing-protection history.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use mosaic_slashing::{Interchange, Root, SlashingDb};

/// File name of the slashing-protection database inside a node's data directory.
pub(crate) const SLASHING_DB_FILE: &str = "slashing-protection.sqlite";

/// `mosaic slashing …`
#[derive(Debug, Subcommand)]
pub(crate) enum SlashingCommand {
    /// Imports an EIP-3076 interchange (format v5) into the database, merging it with the history
    /// already there. The chain is the one the file's metadata names.
    Import(ImportArgs),
    /// Exports the database's history for one chain as an EIP-3076 interchange (format v5).
    Export(ExportArgs),
    /// Lists the chains (genesis validators roots) the database holds history for.
    List(DbArgs),
}

/// Where the database is.
#[derive(Debug, Args)]
pub(crate) struct DbArgs {
    /// The node's data directory; the database is `<data-dir>/slashing-protection.sqlite`.
    #[arg(long, default_value = ".charon", env = "MOSAIC_DATA_DIR")]
    data_dir: PathBuf,
}

/// Arguments of `mosaic slashing import`.
#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// The interchange JSON file.
    file: PathBuf,
    #[command(flatten)]
    db: DbArgs,
}

/// Arguments of `mosaic slashing export`.
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// Where to write the interchange JSON (refuses to overwrite an existing file).
    file: PathBuf,
    /// The chain to export (0x-hex, 32 bytes); may be left out when the database holds one chain.
    #[arg(long)]
    genesis_validators_root: Option<String>,
    #[command(flatten)]
    db: DbArgs,
}

/// Runs a `mosaic slashing` subcommand.
pub(crate) fn run(command: SlashingCommand) -> anyhow::Result<()> {
    match command {
        SlashingCommand::Import(args) => import(&args.file, &db_path(&args.db)),
        SlashingCommand::Export(args) => export(
            &args.file,
            args.genesis_validators_root.as_deref(),
            &db_path(&args.db),
        ),
        SlashingCommand::List(args) => {
            let db = open_existing(&db_path(&args))?;
            for info in db.namespaces()? {
                println!(
                    "0x{}  {} validators  (since unix time {})",
                    hex::encode(info.genesis_validators_root),
                    info.validator_count,
                    info.created_at_unix
                );
            }
            Ok(())
        }
    }
}

fn db_path(args: &DbArgs) -> PathBuf {
    args.data_dir.join(SLASHING_DB_FILE)
}

fn open_existing(path: &Path) -> anyhow::Result<SlashingDb> {
    if !path.exists() {
        bail!("{}: no slashing-protection database here", path.display());
    }
    Ok(SlashingDb::open(path)?)
}

fn import(file: &Path, db_path: &Path) -> anyhow::Result<()> {
    let text = fs::read_to_string(file)
        .with_context(|| format!("{}: cannot read the interchange file", file.display()))?;
    let interchange = Interchange::from_json_str(&text)
        .with_context(|| format!("{}: not a valid EIP-3076 interchange", file.display()))?;
    if let Some(parent) = db_path.parent() {
        fs::create_dir_all(parent)
            .with_context(|| format!("{}: cannot create the data directory", parent.display()))?;
    }
    let mut db = SlashingDb::open(db_path)?;
    let root = interchange.metadata.genesis_validators_root;
    let summary = db
        .import_interchange(&interchange, root)
        .with_context(|| format!("{}: import failed; nothing was imported", file.display()))?;
    println!(
        "Imported {} into {} (chain 0x{}): {} validators newly registered, {} records added, \
         {} already known, {} conflicting (those slots and epochs can no longer be signed)",
        file.display(),
        db_path.display(),
        hex::encode(root),
        summary.validators_registered,
        summary.records_added,
        summary.records_already_known,
        summary.records_conflicting
    );
    Ok(())
}

fn export(file: &Path, root: Option<&str>, db_path: &Path) -> anyhow::Result<()> {
    if file.exists() {
        bail!(
            "{}: already exists; refusing to overwrite it",
            file.display()
        );
    }
    let mut db = open_existing(db_path)?;
    let root = match root {
        Some(text) => parse_root(text)?,
        None => {
            let namespaces = db.namespaces()?;
            match namespaces.as_slice() {
                [only] => only.genesis_validators_root,
                [] => bail!("{}: the database holds no history", db_path.display()),
                _ => bail!(
                    "{}: the database holds {} chains; choose one with --genesis-validators-root \
                     (see `mosaic slashing list`)",
                    db_path.display(),
                    namespaces.len()
                ),
            }
        }
    };
    if db.existing_namespace(root)?.is_none() {
        bail!(
            "{}: no history for genesis validators root 0x{}",
            db_path.display(),
            hex::encode(root)
        );
    }
    let json = db.export_interchange(root, None)?.to_json_string()?;
    let temp = file.with_extension("json.tmp");
    fs::write(&temp, json.as_bytes())
        .and_then(|()| fs::rename(&temp, file))
        .with_context(|| format!("{}: cannot write the interchange", file.display()))?;
    println!(
        "Exported chain 0x{} to {}",
        hex::encode(root),
        file.display()
    );
    Ok(())
}

fn parse_root(text: &str) -> anyhow::Result<Root> {
    let digits = text.strip_prefix("0x").unwrap_or(text);
    let bytes = hex::decode(digits)
        .with_context(|| format!("--genesis-validators-root {text:?}: not hex"))?;
    Root::try_from(bytes.as_slice()).map_err(|_| {
        anyhow::anyhow!(
            "--genesis-validators-root {text:?}: {} bytes, expected 32",
            bytes.len()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str = "0x04700007fabc8282644aed6d1c7c9e21d38a03a0c4ba193f3afe428824b3a673";
    const PUBKEY: &str = "0xb845089a1457f811bfc000588fbb4e713669be8ce060ea6be3c6ece09afc3794106c91ca73acda5e5457122d58723bed";

    fn interchange_json() -> String {
        format!(
            r#"{{"metadata":{{"interchange_format_version":"5","genesis_validators_root":"{ROOT}"}},
               "data":[{{"pubkey":"{PUBKEY}","signed_blocks":[{{"slot":"81952"}}],
               "signed_attestations":[{{"source_epoch":"2290","target_epoch":"3007"}}]}}]}}"#
        )
    }

    #[test]
    fn import_then_export_keeps_the_history() {
        let dir = tempfile::tempdir().expect("temp dir");
        let input = dir.path().join("in.json");
        fs::write(&input, interchange_json()).expect("write");
        let db = dir.path().join("data").join(SLASHING_DB_FILE);
        import(&input, &db).expect("import");

        let output = dir.path().join("out.json");
        export(&output, None, &db).expect("export with the only chain");
        let exported =
            Interchange::from_json_str(&fs::read_to_string(&output).expect("read")).expect("parse");
        assert_eq!(
            exported.metadata.genesis_validators_root,
            parse_root(ROOT).expect("root")
        );
        assert_eq!(exported.data.len(), 1);
        assert_eq!(exported.data[0].signed_blocks.len(), 1);
        assert_eq!(exported.data[0].signed_attestations.len(), 1);

        let error = export(&output, None, &db).expect_err("no overwrite");
        assert!(error.to_string().contains("already exists"), "{error}");
    }

    #[test]
    fn export_names_a_missing_chain_and_a_bad_root() {
        let dir = tempfile::tempdir().expect("temp dir");
        let input = dir.path().join("in.json");
        fs::write(&input, interchange_json()).expect("write");
        let db = dir.path().join(SLASHING_DB_FILE);
        import(&input, &db).expect("import");
        let other = format!("0x{}", "11".repeat(32));
        let error = export(&dir.path().join("o.json"), Some(&other), &db).expect_err("unknown");
        assert!(format!("{error:#}").contains("no history"), "{error:#}");
        let error = parse_root("0x1234").expect_err("short root");
        assert!(
            error.to_string().contains("2 bytes, expected 32"),
            "{error}"
        );
    }

    #[test]
    fn import_rejects_a_malformed_file_naming_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let input = dir.path().join("bad.json");
        fs::write(&input, "{\"metadata\":{}}").expect("write");
        let error = import(&input, &dir.path().join(SLASHING_DB_FILE)).expect_err("malformed");
        assert!(
            format!("{error:#}").contains("bad.json: not a valid EIP-3076 interchange"),
            "{error:#}"
        );
    }
}
