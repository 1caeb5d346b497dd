//! Acceptance tests of the distributed validator node (issue 5 §6), through `mosaic simnet`:
//! the real binary, four `mosaic run` processes over loopback TCP, the simulated beacon chain,
//! 2 s slots on the minimal preset (8 slots per epoch).
//!
//! Every scenario runs twice at the same time: with the nodes' built-in validator clients
//! behind the validator API (the middleware path) and in signer mode (`--signer`: each node's
//! client signs only after its EIP-3076 slashing-protection database approves, issue 6 §4).
//! A run is four node processes using about a quarter of one core, so the two, and the two
//! scenarios the test harness runs at once on a 2-core machine, keep their slot timing. Each
//! run has a hard timeout.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Far beyond the longest run (3 epochs of 2 s slots, about 60 s), to stop a hung run.
const RUN_TIMEOUT: Duration = Duration::from_secs(180);
const SCHEDULED: [&str; 5] = [
    "proposal",
    "attestation",
    "aggregate",
    "sync_message",
    "sync_contribution",
];

struct Run {
    success: bool,
    report: Value,
    stderr: String,
}

/// How the nodes sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Built-in validator clients behind the validator API.
    Middleware,
    /// `--signer`: behind the slashing-protection database.
    Signer,
}

/// Runs the scenario `name` (`epochs` epochs of `slot` slots, `extra` options) in both modes at
/// once and checks each run with `check`; in signer mode also that every node kept a
/// slashing-protection database and its guard allowed attestations and refused nothing.
fn in_both_modes(name: &str, epochs: &str, slot: &str, extra: &[&str], check: fn(&Run)) {
    std::thread::scope(|scope| {
        let runs = [Mode::Middleware, Mode::Signer].map(|mode| {
            scope.spawn(move || {
                let (dir, mut args) = match mode {
                    Mode::Middleware => (name.to_string(), Vec::new()),
                    Mode::Signer => (format!("{name}-signer"), vec!["--signer"]),
                };
                args.extend_from_slice(extra);
                let run = simnet_with(&dir, epochs, slot, &args);
                check(&run);
                if mode == Mode::Signer {
                    assert_signer_guards_approved(&dir, &run);
                }
            })
        });
        let results = runs.map(|run| run.join());
        for result in results {
            if let Err(panic) = result {
                std::panic::resume_unwind(panic);
            }
        }
    });
}

/// Runs `mosaic simnet` for `epochs` epochs of `slot` slots with `extra` options; its
/// directory (logs, metrics, node data) is left in cargo's test temporary directory as
/// `simnet-<name>`.
fn simnet_with(name: &str, epochs: &str, slot: &str, extra: &[&str]) -> Run {
    let run_dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("simnet-{name}"));
    let _ = std::fs::remove_dir_all(&run_dir);
    let mut child = Command::new(env!("CARGO_BIN_EXE_mosaic"))
        .args([
            "simnet",
            "--json",
            "--epochs",
            epochs,
            "--slot-duration",
            slot,
        ])
        .args(["--genesis-delay", "4s", "--dir"])
        .arg(&run_dir)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start mosaic simnet");
    let mut stdout_pipe = child.stdout.take().unwrap();
    let mut stderr_pipe = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout_pipe.read_to_string(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr_pipe.read_to_string(&mut text);
        text
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > RUN_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("mosaic simnet {extra:?} ran over {RUN_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let stdout = out.join().unwrap();
    let stderr = err.join().unwrap();
    eprintln!(
        "mosaic simnet {extra:?}: {status} after {:?}",
        started.elapsed()
    );
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e}); stderr:\n{stderr}\nlogs:\n{}",
            log_tails(&run_dir)
        )
    });
    if !status.success() {
        eprintln!("run directory {}; stderr:\n{stderr}", run_dir.display());
    }
    Run {
        success: status.success(),
        report,
        stderr,
    }
}

/// The last lines of every node log, for failure messages.
fn log_tails(run_dir: &std::path::Path) -> String {
    let mut text = String::new();
    for i in 0..4 {
        let path = run_dir.join(format!("node{i}.log"));
        let log = std::fs::read_to_string(&path).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = &lines[lines.len().saturating_sub(15)..];
        text.push_str(&format!(
            "--- {} ---\n{}\n",
            path.display(),
            tail.join("\n")
        ));
    }
    text
}

fn duty<'a>(report: &'a Value, kind: &str) -> &'a Value {
    report["duties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["duty"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in the report"))
}

fn describe(run: &Run) -> String {
    format!(
        "duties {}\nfailures {}\nstderr:\n{}",
        run.report["duties"],
        serde_json::to_string(&run.report["failures"]).unwrap(),
        run.stderr
    )
}

/// Every scheduled kind occurred and every duty of it succeeded.
fn assert_every_duty_succeeded(run: &Run) {
    for kind in SCHEDULED {
        let d = duty(&run.report, kind);
        assert!(
            d["expected"].as_u64().unwrap() > 0,
            "no {kind} duty scheduled"
        );
        assert_eq!(d["failed"], 0, "{kind} failed: {}", describe(run));
        assert_eq!(d["succeeded"], d["expected"], "{kind}: {}", describe(run));
        assert!(
            d["p50_ms"].is_i64() && d["p99_ms"].is_i64(),
            "{kind} latency"
        );
    }
}

fn assert_nothing_slashable_nor_crashed(run: &Run) {
    for offence in ["double_proposals", "attestations"] {
        assert_eq!(
            run.report["slashable"][offence],
            serde_json::json!([]),
            "slashable {offence}: {}",
            describe(run)
        );
    }
    for node in run.report["nodes"].as_array().unwrap() {
        assert_eq!(
            node["unexpected_exits"],
            serde_json::json!([]),
            "node {} crashed: {}",
            node["index"],
            describe(run)
        );
    }
}

/// (expected, succeeded) over every kind in `slot`.
fn slot_counts(report: &Value, slot: u64) -> (u64, u64) {
    let Some(entry) = report["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["slot"] == slot)
    else {
        return (0, 0);
    };
    entry["duties"]
        .as_object()
        .unwrap()
        .values()
        .fold((0, 0), |(e, s), c| {
            (
                e + c["expected"].as_u64().unwrap(),
                s + c["succeeded"].as_u64().unwrap(),
            )
        })
}

/// In signer mode: every node kept a slashing-protection database, and its guard's metrics
/// (from the last scrape of each node up at the end) show nothing refused and, for a node that
/// ran the whole time, attestations allowed.
fn assert_signer_guards_approved(dir: &str, run: &Run) {
    for (i, node) in run.report["nodes"].as_array().unwrap().iter().enumerate() {
        let db = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "simnet-{dir}/cluster/node{i}/slashing-protection.sqlite"
        ));
        assert!(db.exists(), "node {i} kept no slashing-protection database");
        if node["up_at_end"] != true {
            continue;
        }
        let samples = &node["metrics"]["samples"];
        let allowed = samples
            ["mosaic_signer_guard_total{object=\"attestation\",decision=\"allowed\"}"]
            .as_f64()
            .unwrap_or(0.0);
        // A node restarted near the end may not have had an attestation of its own to sign
        // since (the metric counts from its restart); one that ran throughout must have.
        assert!(
            allowed > 0.0 || node["starts"] != 1,
            "{dir}: node {i}: no attestation allowed by the guard: {node}"
        );
        for object in ["block", "attestation"] {
            let key =
                format!("mosaic_signer_guard_total{{object=\"{object}\",decision=\"refused\"}}");
            assert_eq!(
                samples[&key].as_f64().unwrap_or(0.0),
                0.0,
                "{dir}: node {i}: {node}"
            );
        }
    }
}

#[test]
fn four_nodes_three_epochs_every_duty_succeeds() {
    // With the simulated builder (the lock's builder registrations every epoch, blinded blocks;
    // the other scenarios propose full blocks) and a voluntary exit of validator 1 in the last
    // epoch, signed by each operator with its share.
    let extra = ["--builder", "--exit", "1@17"];
    in_both_modes("all-duties", "3", "2s", &extra, |run| {
        assert_every_duty_succeeded(run);
        assert_nothing_slashable_nor_crashed(run);
        assert!(run.success, "non-zero exit: {}", describe(run));
        assert_eq!(run.report["ok"], true);
        let registrations = duty(&run.report, "registration");
        assert!(
            registrations["expected"].as_u64() > Some(0),
            "{registrations}"
        );
        assert_eq!(registrations["succeeded"], registrations["expected"]);
        let exits = duty(&run.report, "exit");
        assert_eq!(
            (&exits["expected"], &exits["succeeded"]),
            (&1.into(), &1.into()),
            "{exits}"
        );
        // Builder proposals wait for the cluster's first InfoSync agreement (last slot of
        // epoch 0): every block after it is blinded, full ones only before.
        let full_slots: Vec<u64> = run.report["full_block_slots"]
            .as_array()
            .expect("full_block_slots")
            .iter()
            .map(|slot| slot.as_u64().expect("slot"))
            .collect();
        let slots_per_epoch = run.report["config"]["slots_per_epoch"]
            .as_u64()
            .expect("slots_per_epoch");
        assert!(
            full_slots.iter().all(|slot| *slot < slots_per_epoch),
            "full blocks after the first agreement: {full_slots:?}: {}",
            describe(run)
        );
        let proposals = duty(&run.report, "proposal")["succeeded"]
            .as_u64()
            .expect("proposals");
        let blinded = run.report["blinded_blocks"].as_u64().expect("blinded");
        assert!(blinded > 0, "no blinded block: {}", describe(run));
        assert_eq!(
            blinded + full_slots.len() as u64,
            proposals,
            "every proposal imported: {}",
            describe(run)
        );
    });
}

#[test]
fn one_node_down_for_an_epoch_every_duty_still_succeeds() {
    // With the round-1 leader down a duty decides a round later. The spec's timeouts (1 s,
    // 1.5 s for a proposal's first round) are made for 12 s slots; simnet's nodes scale them
    // to the slot (`--scale-consensus-timers`, a quarter at 2 s), so that even then a block
    // lands before the attestations at a third of the slot and an aggregation started at two
    // thirds decides within it. In signer mode node 1 comes back on the same
    // slashing-protection database.
    in_both_modes("one-down", "2", "2s", &["--kill", "1@4..12"], |run| {
        assert_every_duty_succeeded(run);
        assert_nothing_slashable_nor_crashed(run);
        assert!(run.success, "non-zero exit: {}", describe(run));
        let node1 = &run.report["nodes"][1];
        assert_eq!(node1["starts"], 2, "node 1 restarted");
        assert_eq!(node1["up_at_end"], true, "node 1 runs again at the end");
    });
}

#[test]
fn two_of_four_down_nothing_completes_then_duties_resume() {
    in_both_modes(
        "two-down",
        "2",
        "2s",
        &["--kill", "1@8..12", "--kill", "2@8..12"],
        |run| {
            let (stop, restart) = (8u64, 12u64);
            assert_nothing_slashable_nor_crashed(run);
            assert!(
                !run.success,
                "duties failed by design, so the exit is non-zero"
            );
            let last = run.report["config"]["last_slot"].as_u64().unwrap();
            let mut in_window = 0;
            for slot in 1..=last {
                let (expected, succeeded) = slot_counts(&run.report, slot);
                if slot < stop {
                    assert_eq!(
                        succeeded,
                        expected,
                        "slot {slot} before the outage: {}",
                        describe(run)
                    );
                } else if slot < restart {
                    in_window += expected;
                    assert_eq!(
                        succeeded, 0,
                        "slot {slot}: a duty completed with 2 of 4 nodes"
                    );
                } else if slot >= restart + 2 {
                    assert_eq!(
                        succeeded,
                        expected,
                        "slot {slot}: duties did not resume within 2 slots of slot {restart}: {}",
                        describe(run)
                    );
                }
            }
            assert!(in_window > 0, "no duty fell in the outage");
        },
    );
}

#[test]
fn byzantine_node_partials_rejected_and_counted() {
    in_both_modes("byzantine", "2", "2s", &["--byzantine", "3"], |run| {
        assert_every_duty_succeeded(run);
        assert_nothing_slashable_nor_crashed(run);
        assert!(run.success, "non-zero exit: {}", describe(run));
        for node in &run.report["nodes"].as_array().unwrap()[..3] {
            let rejected = node["metrics"]["totals"]["mosaic_parsig_rejected_total"]
                .as_f64()
                .unwrap_or_else(|| panic!("node {} has no metrics: {node}", node["index"]));
            assert!(
                rejected > 0.0,
                "honest node {} counted no rejected partial signature: {}",
                node["index"],
                node["metrics"]
            );
        }
    });
}

#[test]
fn a_genesis_reset_is_followed_into_a_new_chain() {
    // Ephemery resets its chain every 28 days: half a slot into slot 8 the simulated beacon
    // node starts serving a new chain (new genesis time and validators root). Every node must
    // notice, start again for it, and do every duty of the new chain; in signer mode its
    // slashing protection continues in a new namespace and the old one is kept.
    in_both_modes("reset", "2", "2s", &["--reset-at", "8"], |run| {
        assert_every_duty_succeeded(run);
        assert_nothing_slashable_nor_crashed(run);
        assert!(run.success, "non-zero exit: {}", describe(run));
        let before = run.report["before_reset"]["duties"].as_array().unwrap();
        for kind in before {
            assert_eq!(kind["failed"], 0, "before the reset: {kind}");
            assert_eq!(
                kind["succeeded"], kind["expected"],
                "before the reset: {kind}"
            );
        }
        assert!(
            before
                .iter()
                .any(|kind| kind["succeeded"].as_u64() > Some(0)),
            "nothing done before the reset: {before:?}"
        );
        if run.report["config"]["signer"] != true {
            return;
        }
        let dir = std::path::Path::new(run.report["dir"].as_str().unwrap());
        for i in 0..4 {
            let path = dir.join(format!("cluster/node{i}/slashing-protection.sqlite"));
            let db = mosaic_slashing::SlashingDb::open(&path).unwrap();
            let namespaces = db.namespaces().unwrap();
            assert_eq!(namespaces.len(), 2, "node {i}: {namespaces:?}");
            assert_ne!(
                namespaces[0].genesis_validators_root,
                namespaces[1].genesis_validators_root
            );
            for namespace in &namespaces {
                assert_eq!(namespace.validator_count, 4, "node {i}: {namespace:?}");
            }
        }
    });
}
