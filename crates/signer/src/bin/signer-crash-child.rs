//! Test helper for `tests/crash.rs` (built only with the `crash-injection` feature): signs a
//! fixed sequence of blocks and attestations through a [`SlashingGuard`] on a file database,
//! "submitting" each signature by appending it to an output file (fsynced), with the crash
//! points of `mosaic_signer::crash` around every step.
//!
//! Usage: `signer-crash-child sign <db> <out> <variant> <count> <pace-ms>` (the signing roots
//! depend on `variant`, as if a restarted node were offered different data);
//! `signer-crash-child hold <db>` (open the database, print `ready`, wait for stdin to close);
//! `signer-crash-child vc <db> <beacon-url> <genesis-validators-root-hex> <validators>` (run the
//! built-in validator client for test validators `1..=validators` — secret key `[i; 32]` — behind
//! the guard until killed).

use std::fs::OpenOptions;
use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::time::Duration;

use mosaic_crypto::bls::SecretKey;
use mosaic_signer::crash::{self, CrashStep};
use mosaic_signer::{KeyMap, SlashingGuard};
use mosaic_vc::SigningGuard;

/// The chain every run signs for.
const GENESIS_VALIDATORS_ROOT: [u8; 32] = [0x42; 32];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("signer-crash-child: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The fixed test key (not secret: it signs only test data).
fn key() -> Result<SecretKey, String> {
    SecretKey::from_bytes(&[7; 32]).map_err(|e| format!("test key: {e}"))
}

/// A distinct signing root per (kind, item, variant).
fn root(kind: u8, item: u64, variant: u64) -> [u8; 32] {
    let mut root = [0; 32];
    root[0] = kind;
    root[8..16].copy_from_slice(&item.to_be_bytes());
    root[16..24].copy_from_slice(&variant.to_be_bytes());
    root
}

fn number(args: &[String], at: usize, what: &str) -> Result<u64, String> {
    args.get(at)
        .ok_or(format!("missing {what}"))?
        .parse()
        .map_err(|e| format!("{what}: {e}"))
}

fn open(db: &str) -> Result<SlashingGuard, String> {
    let public = key()?.public_key().to_bytes();
    SlashingGuard::open(db, GENESIS_VALIDATORS_ROOT, KeyMap::identity([public]))
        .map_err(|e| e.to_string())
}

fn run(args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some("hold") => {
            let _guard = open(args.get(1).ok_or("missing db")?)?;
            println!("ready");
            std::io::stdout().flush().map_err(|e| e.to_string())?;
            // Hold the database until the parent closes our stdin.
            for line in std::io::stdin().lock().lines() {
                line.map_err(|e| e.to_string())?;
            }
            Ok(())
        }
        Some("sign") => {
            let db = args.get(1).ok_or("missing db")?;
            let out = args.get(2).ok_or("missing out")?;
            let variant = number(args, 3, "variant")?;
            let count = number(args, 4, "count")?;
            let pace = Duration::from_millis(number(args, 5, "pace-ms")?);
            sign(db, out, variant, count, pace)
        }
        Some("vc") => {
            let db = args.get(1).ok_or("missing db")?;
            let url = args.get(2).ok_or("missing beacon url")?;
            let root = hex::decode(args.get(3).ok_or("missing genesis validators root")?)
                .ok()
                .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                .ok_or("genesis validators root: expected 32 bytes of hex")?;
            let validators = number(args, 4, "validators")?;
            validator_client(db, url, root, validators)
        }
        _ => Err("usage: signer-crash-child sign|hold|vc ...".to_owned()),
    }
}

/// One message of the fixed sequence.
enum Message {
    Block { slot: u64 },
    Attestation { source: u64, target: u64 },
}

fn sequence(count: u64) -> Vec<Message> {
    let mut messages = Vec::new();
    for i in 0..count {
        messages.push(Message::Block { slot: 100 + i });
        messages.push(Message::Attestation {
            source: 10 + i,
            target: 11 + i,
        });
    }
    // Always slashable once anything inside it was recorded: it surrounds 10->11.
    messages.push(Message::Attestation {
        source: 9,
        target: 12 + count,
    });
    messages
}

fn sign(db: &str, out: &str, variant: u64, count: u64, pace: Duration) -> Result<(), String> {
    let secret = key()?;
    let public = secret.public_key();
    let guard = open(db)?;
    let mut out = OpenOptions::new()
        .create(true)
        .append(true)
        .open(out)
        .map_err(|e| format!("{out}: {e}"))?;
    // One write(2) per line (an appending write of a few hundred bytes is not torn by a kill,
    // unlike `writeln!`, which may write piece by piece), then fsync.
    let mut write = |line: String| -> Result<(), String> {
        out.write_all(format!("{line}\n").as_bytes())
            .map_err(|e| e.to_string())?;
        out.sync_data().map_err(|e| e.to_string())
    };
    for message in sequence(count) {
        std::thread::sleep(pace);
        let (label, signing_root, verdict) = match message {
            Message::Block { slot } => {
                let signing_root = root(1, slot, variant);
                let verdict = guard.check_block(&public, slot, signing_root);
                (format!("block {slot} {slot}"), signing_root, verdict)
            }
            Message::Attestation { source, target } => {
                let signing_root = root(2, target * 1000 + source, variant);
                let verdict = guard.check_attestation(&public, source, target, signing_root);
                (
                    format!("attestation {source} {target}"),
                    signing_root,
                    verdict,
                )
            }
        };
        if let Err(refusal) = verdict {
            write(format!(
                "refused {label} {} {}",
                hex::encode(signing_root),
                refusal.reason.replace(' ', "_")
            ))?;
            continue;
        }
        let signature = secret.sign(&signing_root);
        crash::point(CrashStep::AfterSign);
        // Submission: the signature leaves the process.
        write(format!(
            "submitted {label} {} {}",
            hex::encode(signing_root),
            hex::encode(signature.to_bytes())
        ))?;
        crash::point(CrashStep::AfterSubmit);
    }
    write("complete".to_owned())
}

/// Runs the real validator client behind the guard until the process is killed.
fn validator_client(db: &str, url: &str, root: [u8; 32], validators: u64) -> Result<(), String> {
    let keys = (1..=validators)
        .map(|i| {
            let byte = u8::try_from(i).map_err(|_| "too many validators".to_owned())?;
            SecretKey::from_bytes(&[byte; 32]).map_err(|e| format!("test key {i}: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let publics = keys.iter().map(|k| k.public_key().to_bytes());
    let guard =
        SlashingGuard::open(db, root, KeyMap::identity(publics)).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let config = mosaic_vc::VcConfig::new(vec![url.to_owned()], keys);
    runtime
        .block_on(mosaic_vc::run::<mosaic_types::consensus::Minimal>(
            config,
            std::sync::Arc::new(guard),
            std::future::pending(),
        ))
        .map_err(|e| e.to_string())
}
