//! Crash safety (issue 6 §3): a signer killed at every step of a signing — before the record,
//! after the record but before the signature, after the signature but before it leaves the
//! process, after it left — and restarted on the same database never lets two slashable
//! signatures out. The child (`signer-crash-child`) appends every signature it submits to a
//! file; this test replays runs with different data offered for the same slots and epochs (as a
//! beacon node may after a restart), then checks every submitted signature against each other
//! and against the database. A second process on a held database is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mosaic_crypto::bls::{PublicKey, SecretKey, Signature};
use mosaic_signer::crash::{CrashStep, CRASH_AT_ENV};
use mosaic_signer::{KeyMap, SignerError, SlashingGuard};
use mosaic_slashing::SlashingDb;

const CHILD: &str = env!("CARGO_BIN_EXE_signer-crash-child");
const GENESIS_VALIDATORS_ROOT: [u8; 32] = [0x42; 32];
/// Blocks (and attestations) per run; the sequence also holds one surround vote.
const COUNT: u64 = 3;
const SIGABRT: i32 = 6;
const SIGKILL: i32 = 9;

/// The tests here run one at a time: a child forked by one test holds copies of every open
/// file of this process until it execs, including another test's database lock file, which
/// would make that test's next child find its database "in use".
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn public_key() -> PublicKey {
    SecretKey::from_bytes(&[7; 32]).unwrap().public_key()
}

/// Runs the child to its end (or its crash); returns the signal that ended it, if any.
fn sign_run(
    db: &Path,
    out: &Path,
    variant: u64,
    crash_at: Option<String>,
    pace_ms: u64,
) -> Option<i32> {
    let mut command = Command::new(CHILD);
    command
        .args(["sign", db.to_str().unwrap(), out.to_str().unwrap()])
        .arg(variant.to_string())
        .arg(COUNT.to_string())
        .arg(pace_ms.to_string())
        .env_remove(CRASH_AT_ENV);
    if let Some(plan) = crash_at {
        command.env(CRASH_AT_ENV, plan);
    }
    let output = command.output().unwrap();
    let status = output.status;
    assert!(
        status.success() || status.signal().is_some(),
        "child failed: {status}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    status.signal()
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone, Copy)]
enum Submitted {
    Block {
        slot: u64,
        root: [u8; 32],
    },
    Attestation {
        source: u64,
        target: u64,
        root: [u8; 32],
    },
}

/// Parses the child's output; verifies each submitted signature.
fn submitted(out: &Path) -> Vec<Submitted> {
    let text = std::fs::read_to_string(out).unwrap_or_default();
    let public = public_key();
    let mut all = Vec::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split(' ').collect();
        if words[0] != "submitted" {
            continue;
        }
        let a: u64 = words[2].parse().unwrap();
        let b: u64 = words[3].parse().unwrap();
        let root: [u8; 32] = hex::decode(words[4]).unwrap().try_into().unwrap();
        let signature = Signature::from_bytes(&hex::decode(words[5]).unwrap()).unwrap();
        assert!(signature.verify(&public, &root), "bad signature: {line}");
        all.push(match words[1] {
            "block" => Submitted::Block { slot: a, root },
            _ => Submitted::Attestation {
                source: a,
                target: b,
                root,
            },
        });
    }
    all
}

/// Asserts that no two submitted messages are slashable together, and that each is on record
/// in the database with its signing root (it was durable before it left the process).
fn assert_nothing_slashable(db: &Path, submitted: &[Submitted]) {
    let mut block_roots: BTreeMap<u64, BTreeSet<[u8; 32]>> = BTreeMap::new();
    let mut attestations = BTreeSet::new();
    for message in submitted {
        match *message {
            Submitted::Block { slot, root } => {
                block_roots.entry(slot).or_default().insert(root);
            }
            Submitted::Attestation {
                source,
                target,
                root,
            } => {
                attestations.insert((source, target, root));
            }
        }
    }
    for (slot, roots) in &block_roots {
        assert_eq!(roots.len(), 1, "double proposal at slot {slot}: {roots:?}");
    }
    for &(s1, t1, r1) in &attestations {
        for &(s2, t2, r2) in &attestations {
            assert!(
                !(t1 == t2 && r1 != r2),
                "double vote at target {t1}: {s1}->{t1} and {s2}->{t2}"
            );
            assert!(
                !(s1 < s2 && t2 < t1),
                "surround vote: {s1}->{t1} surrounds {s2}->{t2}"
            );
        }
    }
    let mut db = SlashingDb::open(db).unwrap();
    let history = db
        .export_interchange(GENESIS_VALIDATORS_ROOT, None)
        .unwrap();
    let Some(record) = history
        .data
        .iter()
        .find(|v| v.pubkey == public_key().to_bytes())
    else {
        // Killed before the key was even registered: nothing may have been signed.
        assert!(submitted.is_empty(), "{submitted:?}");
        return;
    };
    for message in submitted {
        let on_record = match *message {
            Submitted::Block { slot, root } => record
                .signed_blocks
                .iter()
                .any(|b| b.slot == slot && b.signing_root == Some(root)),
            Submitted::Attestation {
                source,
                target,
                root,
            } => record.signed_attestations.iter().any(|a| {
                a.source_epoch == source && a.target_epoch == target && a.signing_root == Some(root)
            }),
        };
        assert!(on_record, "{message:?} left the process without a record");
    }
}

#[test]
fn killed_at_every_step_and_restarted_never_signs_anything_slashable() {
    let _serial = serial();
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let (db, out) = (dir.path().join("slashing.sqlite"), dir.path().join("out"));
    let messages = 2 * COUNT + 1;
    let mut run = 0u64;
    for step in CrashStep::ALL {
        let mut aborted = 0;
        for n in 1..=messages {
            // Three alternating variants: a restart is offered different data for a slot or
            // epoch it may already have signed, or the very same data again.
            let signal = sign_run(&db, &out, run % 3, Some(format!("{}:{n}", step.name())), 0);
            run += 1;
            match signal {
                Some(SIGABRT) => aborted += 1,
                None => {}
                Some(other) => panic!("child died of signal {other}"),
            }
            assert_nothing_slashable(&db, &submitted(&out));
        }
        assert!(aborted > 0, "no run crashed at {}", step.name());
    }
    // A clean run finishes the sequence; still nothing slashable.
    assert_eq!(sign_run(&db, &out, 0, None, 0), None);
    let all = submitted(&out);
    assert_nothing_slashable(&db, &all);
    let text = std::fs::read_to_string(&out).unwrap();
    // The guard refused conflicting data offered after restarts, and allowed repeats.
    assert!(text.contains("refused block"), "{text}");
    assert!(
        text.contains("double_vote") || text.contains("surround"),
        "{text}"
    );
    assert!(text.lines().last() == Some("complete"));
    // Some slot was signed in more than one run (a same-data repeat), with one root.
    let mut slots = BTreeMap::new();
    for message in &all {
        if let Submitted::Block { slot, .. } = message {
            *slots.entry(*slot).or_insert(0) += 1;
        }
    }
    assert!(slots.values().any(|n| *n > 1), "{slots:?}");
    eprintln!("{run} crashed runs in {:?}", started.elapsed());
}

#[test]
fn sigkill_at_arbitrary_moments_never_signs_anything_slashable() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let (db, out) = (dir.path().join("slashing.sqlite"), dir.path().join("out"));
    let mut killed = 0;
    for (run, delay_ms) in [15u64, 30, 45, 5, 60, 25, 80, 10].into_iter().enumerate() {
        let mut child = Command::new(CHILD)
            .args(["sign", db.to_str().unwrap(), out.to_str().unwrap()])
            .arg((run % 3).to_string())
            .arg(COUNT.to_string())
            .arg("4")
            .env_remove(CRASH_AT_ENV)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        if status.signal() == Some(SIGKILL) {
            killed += 1;
        }
        assert_nothing_slashable(&db, &submitted(&out));
    }
    assert!(killed > 0, "every child finished before it was killed");
    assert_eq!(sign_run(&db, &out, 1, None, 0), None);
    assert_nothing_slashable(&db, &submitted(&out));
}

#[test]
fn a_second_process_on_the_database_is_refused_with_the_file_named() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("slashing-protection.sqlite");
    let mut holder = Command::new(CHILD)
        .args(["hold", db.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    BufReader::new(holder.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    assert_eq!(ready.trim(), "ready");
    let keys = KeyMap::identity([public_key().to_bytes()]);
    let error = SlashingGuard::open(&db, GENESIS_VALIDATORS_ROOT, keys.clone()).unwrap_err();
    assert!(
        matches!(
            error,
            SignerError::Database(mosaic_slashing::Error::AlreadyInUse { .. })
        ),
        "{error}"
    );
    let message = error.to_string();
    assert!(message.contains(db.to_str().unwrap()), "{message}");
    assert!(message.contains("already in use"), "{message}");
    // Once the holder exits, the database opens.
    holder.stdin.take().unwrap().write_all(b"bye\n").unwrap();
    assert!(holder.wait().unwrap().success());
    SlashingGuard::open(&db, GENESIS_VALIDATORS_ROOT, keys).unwrap();
}
