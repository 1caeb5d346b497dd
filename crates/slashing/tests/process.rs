//! Multi-process behaviour: the lock refuses a second process, and killing a signing process with
//! SIGKILL at random points never lets the database approve two conflicting messages.
//!
//! The child processes are this test binary itself, re-run on the ignored `child_process` test
//! with its instructions in environment variables; they report on stderr, one `@@` line each.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mosaic_slashing::{Error, NotSafe, Safe, SlashingDb};

const GVR: [u8; 32] = [0x42; 32];
const PUBKEY: [u8; 48] = [0x99; 48];
const ENV_MODE: &str = "MOSAIC_SLASHING_CHILD_MODE";
const ENV_DB: &str = "MOSAIC_SLASHING_CHILD_DB";
const ENV_SEED: &str = "MOSAIC_SLASHING_CHILD_SEED";
const ENV_RUN: &str = "MOSAIC_SLASHING_CHILD_RUN";

/// A small deterministic generator (xorshift64*), so failures can be replayed from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

fn root(run: u8, value: u64) -> [u8; 32] {
    let mut root = [run; 32];
    root[..8].copy_from_slice(&value.to_le_bytes());
    root
}

/// Entry point of the child processes; does nothing unless a parent test set `ENV_MODE`.
#[test]
#[ignore = "helper run as a child process by the other tests in this file"]
fn child_process() {
    let Ok(mode) = std::env::var(ENV_MODE) else {
        return;
    };
    let db_path = PathBuf::from(std::env::var(ENV_DB).expect("db path"));
    let mut db = SlashingDb::open(&db_path).expect("child opens the database");
    eprintln!("@@ready");
    match mode.as_str() {
        "hold" => {
            // Hold the lock until the parent closes our stdin (or kills us).
            let mut sink = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut sink);
        }
        "sign" => {
            let seed: u64 = std::env::var(ENV_SEED)
                .expect("seed")
                .parse()
                .expect("seed");
            let run: u8 = std::env::var(ENV_RUN).expect("run").parse().expect("run");
            let mut rng = Rng(seed | 1);
            let mut chain = db.namespace(GVR).expect("namespace");
            loop {
                if rng.below(4) == 0 {
                    let slot = rng.below(48);
                    let signing_root = root(run, slot);
                    let verdict = chain.check_and_insert_block(&PUBKEY, slot, Some(signing_root));
                    if verdict.is_ok() {
                        eprintln!("@@B {slot} {}", hex::encode(signing_root));
                    }
                } else {
                    let target = rng.below(48);
                    let source = target.saturating_sub(rng.below(4));
                    let signing_root = root(run, target * 64 + source);
                    let verdict = chain.check_and_insert_attestation(
                        &PUBKEY,
                        source,
                        target,
                        Some(signing_root),
                    );
                    if verdict.is_ok() {
                        eprintln!("@@A {source} {target} {}", hex::encode(signing_root));
                    }
                }
            }
        }
        other => panic!("unknown child mode {other}"),
    }
}

fn spawn_child(mode: &str, db: &Path, seed: u64, run: u8) -> (Reaper, BufReader<ChildStderr>) {
    let child = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "child_process",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ENV_MODE, mode)
        .env(ENV_DB, db)
        .env(ENV_SEED, seed.to_string())
        .env(ENV_RUN, run.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn child");
    let mut child = Reaper(child);
    let mut stderr = BufReader::new(child.0.stderr.take().expect("child stderr"));
    let mut line = String::new();
    loop {
        line.clear();
        let read = stderr.read_line(&mut line).expect("read child stderr");
        assert!(read > 0, "child exited before it was ready");
        if line.trim_end() == "@@ready" {
            return (child, stderr);
        }
    }
}

/// Ends a child however the test ends.
struct Reaper(Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn temp_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("slashing.sqlite");
    (dir, path)
}

#[test]
fn another_process_holding_the_database_is_refused_clearly() {
    let (_dir, path) = temp_db();
    let (mut child, _stderr) = spawn_child("hold", &path, 0, 0);
    let err = SlashingDb::open(&path).expect_err("the child holds the database");
    assert!(matches!(err, Error::AlreadyInUse { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("already in use") && message.contains(".lock"),
        "{message}"
    );

    drop(child.0.stdin.take()); // the child exits cleanly and releases the lock
    let status = child.0.wait().expect("wait");
    assert!(status.success(), "child failed: {status}");
    SlashingDb::open(&path).expect("open once the child is gone");
}

#[test]
fn a_killed_process_releases_the_lock() {
    let (_dir, path) = temp_db();
    let (mut child, _stderr) = spawn_child("hold", &path, 0, 0);
    assert!(matches!(
        SlashingDb::open(&path),
        Err(Error::AlreadyInUse { .. })
    ));
    child.0.kill().expect("SIGKILL");
    child.0.wait().expect("wait");
    SlashingDb::open(&path).expect("open after the holder was killed");
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Approved {
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

fn parse_report(line: &str) -> Option<Approved> {
    let mut words = line.strip_prefix("@@")?.split_whitespace();
    let kind = words.next()?;
    let numbers: Vec<&str> = words.collect();
    let root = |text: &str| -> [u8; 32] {
        let mut out = [0u8; 32];
        hex::decode_to_slice(text, &mut out).expect("root hex");
        out
    };
    match (kind, numbers.as_slice()) {
        ("B", [slot, r]) => Some(Approved::Block {
            slot: slot.parse().ok()?,
            root: root(r),
        }),
        ("A", [source, target, r]) => Some(Approved::Attestation {
            source: source.parse().ok()?,
            target: target.parse().ok()?,
            root: root(r),
        }),
        _ => None,
    }
}

fn conflict(a: &Approved, b: &Approved) -> bool {
    match (a, b) {
        (Approved::Block { slot: s1, root: r1 }, Approved::Block { slot: s2, root: r2 }) => {
            s1 == s2 && r1 != r2
        }
        (
            Approved::Attestation {
                source: s1,
                target: t1,
                root: r1,
            },
            Approved::Attestation {
                source: s2,
                target: t2,
                root: r2,
            },
        ) => {
            let double = t1 == t2 && (r1 != r2 || s1 != s2);
            let surround = (s1 < s2 && t1 > t2) || (s2 < s1 && t2 > t1);
            double || surround
        }
        _ => false,
    }
}

#[test]
fn sigkill_at_random_points_never_yields_conflicting_approvals() {
    const RUNS: u8 = 8;
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_nanos() as u64;
    eprintln!("crash test seed {seed}");
    let mut rng = Rng(seed | 1);
    let (_dir, path) = temp_db();
    SlashingDb::open(&path)
        .expect("open")
        .namespace(GVR)
        .expect("namespace")
        .register_validators(&[PUBKEY])
        .expect("register");

    let mut approved: Vec<Approved> = Vec::new();
    for run in 1..=RUNS {
        let (mut child, stderr) = spawn_child("sign", &path, rng.next(), run);
        let deadline = Instant::now() + Duration::from_millis(20 + rng.below(120));
        std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
        child.0.kill().expect("SIGKILL");
        child.0.wait().expect("wait");
        // Only whole lines count: a report cut by the kill is ignored (the record may still be
        // in the database, which only makes the database stricter than what we check).
        for line in stderr.split(b'\n').filter_map(Result::ok) {
            if let Some(report) = std::str::from_utf8(&line).ok().and_then(parse_report) {
                approved.push(report);
            }
        }
    }
    assert!(
        approved.len() > usize::from(RUNS),
        "the children approved too little to test anything ({} approvals, seed {seed})",
        approved.len()
    );

    for (i, a) in approved.iter().enumerate() {
        for b in &approved[i + 1..] {
            assert!(
                !conflict(a, b),
                "conflicting approvals {a:?} and {b:?} (seed {seed})"
            );
        }
    }

    eprintln!(
        "{} approvals over {RUNS} killed runs, none conflicting",
        approved.len()
    );
    // Every approval is durable: its repeat is SameData, a conflicting message is refused.
    let mut db = SlashingDb::open(&path).expect("reopen");
    let mut chain = db.namespace(GVR).expect("namespace");
    let mut distinct: HashMap<String, Approved> = HashMap::new();
    for a in approved {
        distinct.insert(format!("{a:?}"), a);
    }
    for a in distinct.values() {
        match *a {
            Approved::Block { slot, root } => {
                assert_eq!(
                    chain
                        .check_and_insert_block(&PUBKEY, slot, Some(root))
                        .expect("repeat"),
                    Safe::SameData,
                    "{a:?} (seed {seed})"
                );
                assert!(matches!(
                    chain.check_and_insert_block(&PUBKEY, slot, Some([0xff; 32])),
                    Err(NotSafe::DoubleBlockProposal { .. })
                ));
            }
            Approved::Attestation {
                source,
                target,
                root,
            } => {
                assert_eq!(
                    chain
                        .check_and_insert_attestation(&PUBKEY, source, target, Some(root))
                        .expect("repeat"),
                    Safe::SameData,
                    "{a:?} (seed {seed})"
                );
                assert!(matches!(
                    chain.check_and_insert_attestation(&PUBKEY, source, target, Some([0xff; 32])),
                    Err(NotSafe::DoubleVote { .. })
                ));
            }
        }
    }
}
