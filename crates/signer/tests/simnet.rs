//! Signer mode in one process: four nodes over loopback TCP against the simulated beacon node,
//! each running the built-in validator client behind its own [`SlashingGuard`] on its own
//! database (`mosaic simnet --signer` runs the same as separate processes). Every duty must
//! reach the chain, the nodes that ran throughout refused nothing and kept their records under
//! the distributed validators' keys; and a node stopped and restarted on the same database
//! mid-run must sign nothing slashable
//! (the simulator sees no double proposal, the restarted guard refuses only re-offers of what
//! it signed before the restart, and the cluster keeps performing its duties).
//!
//! Crash safety on the real signing path (light, so it runs beside the clusters): the built-in
//! validator client, behind the slashing guard, runs in a child process against the simulated
//! beacon node and is killed again and again — by crash injection inside the guard (before and
//! after the record) and by SIGKILL at arbitrary moments — and restarted on the same database. The simulator, which verifies and
//! records every submission, must see no double proposal, no double vote and no surround vote,
//! and the validators must keep performing their duties.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mosaic_cluster::{build_lock, CreateParams, Dealt};
use mosaic_crypto::bls::{PublicKey, SecretKey};
use mosaic_crypto::secp256k1;
use mosaic_node::{NodeConfig, RunningNode};
use mosaic_p2p::{Multiaddr, PeerId};
use mosaic_signer::crash::CRASH_AT_ENV;
use mosaic_signer::{GuardedMessage, KeyMap, SignerError, SlashingGuard};
use mosaic_simnet::ports::free_loopback_port;
use mosaic_simnet::{SimConfig, Simulator, SystemClock};
use mosaic_types::consensus::Minimal;
use mosaic_types::BlsPubkey;

const SLOT: Duration = Duration::from_millis(1000);

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// One operator: its node, its validator client, its guard.
struct Operator {
    config: NodeConfig,
    shares: Vec<SecretKey>,
    db: PathBuf,
    node: Option<RunningNode<Minimal>>,
    vc: Option<tokio::task::JoinHandle<()>>,
    guard: Option<Arc<SlashingGuard>>,
}

struct Cluster {
    sim: Simulator,
    operators: Vec<Operator>,
    lock: mosaic_cluster::Lock,
    genesis_validators_root: [u8; 32],
    chain: mosaic_core::chain::ChainSpec,
    genesis: u64,
    _dir: tempfile::TempDir,
}

fn deal(nodes: u64, validators: u64) -> Dealt {
    build_lock(&CreateParams {
        name: "signer".into(),
        nodes,
        threshold: None,
        num_validators: validators,
        network: "dev".into(),
        testnet: None,
        fee_recipients: vec!["0x000000000000000000000000000000000000dEaD".into()],
        withdrawal_addresses: vec!["0x000000000000000000000000000000000000dEaD".into()],
        deposit_amounts: Vec::new(),
        compounding: false,
        target_gas_limit: 36_000_000,
        existing_keys: Vec::new(),
        keystore_kdf: mosaic_crypto::keystore::Kdf::INSECURE,
    })
    .unwrap()
}

/// Opens the guard, waiting (bounded) for a previous holder of the database to let go.
async fn open_guard(
    db: &Path,
    root: [u8; 32],
    lock: &mosaic_cluster::Lock,
    shares: &[SecretKey],
) -> Arc<SlashingGuard> {
    let publics: Vec<PublicKey> = shares.iter().map(SecretKey::public_key).collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let keys = KeyMap::from_lock(lock, &publics).unwrap();
        match SlashingGuard::open(db, root, keys) {
            Ok(guard) => return Arc::new(guard),
            Err(SignerError::Database(mosaic_slashing::Error::AlreadyInUse { .. }))
                if Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(error) => panic!("{error}"),
        }
    }
}

/// Starts a cluster of `nodes` operators and `validators` distributed validators (32
/// validators in all with the simulator's fillers), on the first simulator seed under which
/// the cluster's validators propose in each slot range `[from, to)` of `proposals` (so that
/// every run exercises block signing where the test needs it) and in none of the slots of
/// `no_proposals`.
///
/// `no_proposals` keeps proposals out of the slots in which a test has a node down or still
/// catching up: with 1 s slots, a proposal whose round-1 leader is that node cannot reach the
/// chain in its slot (the first round timer is the spec's absolute 1 s), which the tests with
/// the spec's slot lengths (`mosaic simnet` acceptance) cover instead.
async fn start_cluster(
    nodes: u64,
    validators: u64,
    proposals: &[(u64, u64)],
    no_proposals: std::ops::Range<u64>,
) -> Cluster {
    let dealt = deal(nodes, validators);
    let genesis = now_secs() + 3;
    let sim = (0..1000)
        .map(|seed| {
            let mut config = SimConfig::new(genesis);
            config.validators = dealt
                .lock
                .validators
                .iter()
                .map(|v| BlsPubkey::from_slice(&v.public_key).unwrap())
                .collect();
            config.filler_validators = 32 - validators as usize;
            config.slot_duration = SLOT;
            config.seed = seed;
            Simulator::new(config, Arc::new(SystemClock)).unwrap()
        })
        .find(|sim| {
            sim.with_chain(|chain| {
                proposals
                    .iter()
                    .all(|&(from, to)| (from..to).any(|slot| chain.proposer(slot) < validators))
                    && no_proposals
                        .clone()
                        .all(|slot| chain.proposer(slot) >= validators)
            })
        })
        .expect("a seed with the wanted proposals");
    let server = sim.serve(0).await.unwrap();
    let url = server.url();
    std::mem::forget(server);

    let keys: Vec<secp256k1::SecretKey> = dealt
        .node_keys
        .iter()
        .map(|k| secp256k1::SecretKey::from_bytes(k.as_ref()).unwrap())
        .collect();
    let ports: Vec<u16> = keys.iter().map(|_| free_loopback_port()).collect();
    let peer_ids: Vec<PeerId> = keys
        .iter()
        .map(|k| mosaic_p2p::identity::peer_id_from_public_key(&k.public_key()).unwrap())
        .collect();
    let addr = |port: u16| -> Multiaddr { format!("/ip4/127.0.0.1/tcp/{port}").parse().unwrap() };
    let chain = mosaic_node::fetch_chain(std::slice::from_ref(&url))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = Cluster {
        sim,
        operators: Vec::new(),
        lock: dealt.lock.clone(),
        genesis_validators_root: chain.genesis_validators_root().0,
        chain,
        genesis,
        _dir: dir,
    };
    for (i, key) in keys.iter().enumerate() {
        let peers: HashMap<PeerId, Vec<Multiaddr>> = peer_ids
            .iter()
            .zip(&ports)
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, (peer, port))| (*peer, vec![addr(*port)]))
            .collect();
        let config = NodeConfig {
            lock: dealt.lock.clone(),
            enr_key: key.clone(),
            beacon_urls: vec![url.clone()],
            validator_api: SocketAddr::from(([127, 0, 0, 1], 0)),
            p2p_listen: vec![addr(ports[i])],
            p2p_peers: peers,
            monitoring: SocketAddr::from(([127, 0, 0, 1], 0)),
            builder: false,
            byzantine: false,
            scale_consensus_timers: false,
        };
        let data_dir = cluster._dir.path().join(format!("node{i}"));
        std::fs::create_dir_all(&data_dir).unwrap();
        cluster.operators.push(Operator {
            config,
            shares: dealt.shares[i].clone(),
            db: mosaic_signer::slashing_db_path(&data_dir),
            node: None,
            vc: None,
            guard: None,
        });
        cluster.start_operator(i).await;
    }
    cluster
}

impl Cluster {
    /// Starts operator `i`'s node, guard (on its database) and validator client.
    async fn start_operator(&mut self, i: usize) {
        let root = self.genesis_validators_root;
        let operator = &mut self.operators[i];
        let guard = open_guard(&operator.db, root, &self.lock, &operator.shares).await;
        let node = mosaic_node::start::<Minimal>(operator.config.clone(), self.chain.clone())
            .await
            .unwrap();
        let vapi = mosaic_node::validator_api::serve(&node).await.unwrap();
        let shutdown = node.shutdown_signal();
        let config =
            mosaic_vc::VcConfig::new(vec![format!("http://{vapi}")], operator.shares.clone());
        let vc_guard: Arc<dyn mosaic_vc::SigningGuard> = guard.clone();
        operator.vc = Some(tokio::spawn(async move {
            if let Err(error) = mosaic_vc::run::<Minimal>(config, vc_guard, shutdown).await {
                panic!("validator client stopped: {error}");
            }
        }));
        operator.node = Some(node);
        operator.guard = Some(guard);
    }

    /// Stops operator `i` (node and validator client) and releases its database; returns the
    /// guard's last history.
    async fn stop_operator(&mut self, i: usize) -> mosaic_slashing::Interchange {
        let operator = &mut self.operators[i];
        if let Some(vc) = operator.vc.take() {
            vc.abort();
            let _ = vc.await;
        }
        if let Some(node) = operator.node.take() {
            node.stop().await;
        }
        let guard = operator.guard.take().unwrap();
        let history = guard.export_interchange().unwrap();
        drop(guard);
        history
    }

    async fn run_until_slot(&self, slot: u64) {
        let end = UNIX_EPOCH + Duration::from_secs(self.genesis) + SLOT * (slot as u32 + 1);
        if let Ok(wait) = end.duration_since(SystemTime::now()) {
            tokio::time::sleep(wait).await;
        }
    }

    fn guard(&self, i: usize) -> &SlashingGuard {
        self.operators[i].guard.as_deref().unwrap()
    }

    async fn stop(mut self) {
        for i in 0..self.operators.len() {
            self.stop_operator(i).await;
        }
    }
}

/// The simulator saw no slashable offence, and every attestation, proposal and sync committee
/// message of the cluster's validators scheduled in slots 1 to `last_slot` arrived and would be
/// included (aggregates have no fixed expectation: each one received must be includable).
/// Judged on that fixed window, not on the simulator's running summary, whose expectations
/// grow with its current slot (a proposal due in the slot that just started is not missed).
/// Returns the number of proposals included.
fn assert_every_duty_succeeded(sim: &Simulator, last_slot: u64) -> u64 {
    let json = &sim.summary_json();
    for offence in ["double_proposals", "attestations"] {
        assert!(
            json["slashable"][offence].as_array().unwrap().is_empty(),
            "{json:#}"
        );
    }
    let report = sim.duty_report(1, last_slot);
    let checked = [
        mosaic_simnet::DutyKind::Attestation,
        mosaic_simnet::DutyKind::Proposal,
        mosaic_simnet::DutyKind::SyncMessage,
    ];
    let missed: Vec<String> = report
        .iter()
        .filter(|(kind, outcome)| checked.contains(kind) && !outcome.missed.is_empty())
        .map(|(kind, outcome)| format!("{kind:?}: (validator, slot) {:?}", outcome.missed))
        .collect();
    assert!(missed.is_empty(), "missed {missed:?}\n{json:#}");
    let attestations = &report[&mosaic_simnet::DutyKind::Attestation];
    assert!(attestations.expected > 0, "{json:#}");
    let aggregates = &json["aggregate"];
    assert!(aggregates["received"].as_u64().unwrap() > 0, "{json:#}");
    assert_eq!(aggregates["received"], aggregates["included"], "{json:#}");
    report[&mosaic_simnet::DutyKind::Proposal].succeeded
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_signer_restarted_on_its_database_signs_nothing_slashable() {
    // Proposals before the stop and after the restart, none while node 0 is down or starting
    // again (slots 6 to 9).
    let mut cluster = start_cluster(4, 4, &[(1, 6), (10, 15)], 6..10).await;
    cluster.run_until_slot(6).await;
    let before = cluster.stop_operator(0).await;
    assert!(!before.data.is_empty());
    let max_slot = before
        .data
        .iter()
        .flat_map(|v| v.signed_blocks.iter().map(|b| b.slot))
        .max();
    let max_target = before
        .data
        .iter()
        .flat_map(|v| v.signed_attestations.iter().map(|a| a.target_epoch))
        .max()
        .expect("node 0 attested before the restart");
    // Down for a slot, then back on the same database.
    tokio::time::sleep(SLOT).await;
    cluster.start_operator(0).await;
    cluster.run_until_slot(15).await;
    println!("{}", cluster.sim.summary_text());
    let restarted = cluster.guard(0);
    let stats = restarted.stats();
    println!("restarted node: {stats:?}");
    for refusal in restarted.recent_refusals() {
        // Only a re-offer of something signed before the restart may be refused.
        match refusal.message {
            GuardedMessage::Block { slot } => {
                assert!(Some(slot) <= max_slot, "{refusal:?}")
            }
            GuardedMessage::Attestation { target_epoch, .. } => {
                assert!(target_epoch <= max_target, "{refusal:?}")
            }
        }
    }
    assert_eq!(stats.database_errors, 0);
    assert!(
        stats.attestations_allowed > 0,
        "the restarted node signed nothing new"
    );
    let proposals = assert_every_duty_succeeded(&cluster.sim, 15);
    assert!(
        proposals > 0,
        "no proposal by the cluster's validators: {:#}",
        cluster.sim.summary_json()
    );
    let dv_keys: Vec<[u8; 48]> = cluster
        .lock
        .validators
        .iter()
        .map(|v| v.public_key.clone().try_into().unwrap())
        .collect();
    for i in 1..4 {
        let stats = cluster.guard(i).stats();
        assert_eq!(
            stats.blocks_refused + stats.attestations_refused,
            0,
            "node {i}: {stats:?} {:?}",
            cluster.guard(i).recent_refusals()
        );
        assert!(stats.attestations_allowed > 0, "node {i}: {stats:?}");
        // The nodes that ran throughout signed blocks (not necessarily every one: three
        // partials make a block, and the fourth may come too late to be signed).
        assert!(stats.blocks_allowed > 0, "node {i}: {stats:?}");
        // Records are kept under the distributed validators' keys.
        let history = cluster.guard(i).export_interchange().unwrap();
        assert!(history.data.iter().all(|v| dv_keys.contains(&v.pubkey)));
        assert!(history
            .data
            .iter()
            .any(|v| !v.signed_attestations.is_empty()));
    }
    cluster.stop().await;
}

const CHILD: &str = env!("CARGO_BIN_EXE_signer-crash-child");
const VALIDATORS: u64 = 4;
const LAST_SLOT: u64 = 14;
const SIGABRT: i32 = 6;

/// How one run of the child ends.
enum Death {
    /// Crash injection inside the guard (`MOSAIC_SIGNER_CRASH_AT`).
    Crash(&'static str),
    /// SIGKILL after this long.
    Kill(Duration),
}

fn spawn(db: &str, url: &str, root: &str, plan: Option<&str>) -> Child {
    let mut command = Command::new(CHILD);
    command
        .args(["vc", db, url, root, &VALIDATORS.to_string()])
        .env_remove(CRASH_AT_ENV)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(plan) = plan {
        command.env(CRASH_AT_ENV, plan);
    }
    command.spawn().unwrap()
}

/// Waits up to `limit` for the child to exit; kills it if it does not. Returns its signal.
fn wait_or_kill(child: &mut Child, limit: Duration) -> Option<i32> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return status.signal();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap().signal()
}

fn epoch(value: &serde_json::Value) -> u64 {
    match value {
        serde_json::Value::String(text) => text.parse().unwrap(),
        other => other.as_u64().unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validator_client_killed_at_every_step_signs_nothing_slashable() {
    let genesis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 2;
    let pubkeys: Vec<BlsPubkey> = (1..=VALIDATORS)
        .map(|i| {
            let key = SecretKey::from_bytes(&[i as u8; 32]).unwrap();
            BlsPubkey(key.public_key().to_bytes())
        })
        .collect();
    // A seed under which the test validators propose early and late in the run.
    let sim = (0..1000)
        .map(|seed| {
            let mut config = SimConfig::new(genesis);
            config.validators = pubkeys.clone();
            config.filler_validators = 32 - VALIDATORS as usize;
            config.slot_duration = SLOT;
            config.seed = seed;
            Simulator::new(config, Arc::new(SystemClock)).unwrap()
        })
        .find(|sim| {
            sim.with_chain(|chain| {
                [(1, 6), (7, LAST_SLOT)]
                    .iter()
                    .all(|&(from, to)| (from..to).any(|slot| chain.proposer(slot) < VALIDATORS))
            })
        })
        .unwrap();
    let server = sim.serve(0).await.unwrap();
    let url = server.url();
    std::mem::forget(server);
    let chain = mosaic_node::fetch_chain(std::slice::from_ref(&url))
        .await
        .unwrap();
    let root = hex::encode(chain.genesis_validators_root().0);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("slashing-protection.sqlite");
    let db = db.to_str().unwrap().to_owned();

    let schedule = [
        Death::Crash("after-record:1"),
        Death::Kill(Duration::from_millis(1700)),
        Death::Crash("after-record:3"),
        Death::Kill(Duration::from_millis(900)),
        Death::Crash("before-record:2"),
        Death::Kill(Duration::from_millis(2300)),
        Death::Crash("after-record:2"),
    ];
    let (url2, root2, db2) = (url.clone(), root.clone(), db.clone());
    let aborted = tokio::task::spawn_blocking(move || {
        let mut aborted = 0;
        for death in schedule {
            match death {
                Death::Crash(plan) => {
                    let mut child = spawn(&db2, &url2, &root2, Some(plan));
                    if wait_or_kill(&mut child, 4 * SLOT) == Some(SIGABRT) {
                        aborted += 1;
                    }
                }
                Death::Kill(after) => {
                    let mut child = spawn(&db2, &url2, &root2, None);
                    std::thread::sleep(after);
                    child.kill().unwrap();
                    child.wait().unwrap();
                }
            }
        }
        aborted
    })
    .await
    .unwrap();
    assert!(aborted >= 2, "crash injection fired only {aborted} times");
    // A last, undisturbed run to the end.
    let mut last = spawn(&db, &url, &root, None);
    let end = UNIX_EPOCH + Duration::from_secs(genesis) + SLOT * (LAST_SLOT as u32 + 1);
    if let Ok(wait) = end.duration_since(SystemTime::now()) {
        tokio::time::sleep(wait).await;
    }
    last.kill().unwrap();
    last.wait().unwrap();

    println!("{}", sim.summary_text());
    assert_eq!(
        sim.slashable_json(),
        serde_json::json!({"double_proposals": [], "attestations": []}),
        "slashable offences"
    );
    // Every attestation the simulator accepted, per validator: one vote per target, no surround.
    let records = sim.records_json();
    let mut votes: BTreeMap<u64, BTreeSet<(u64, u64, String)>> = BTreeMap::new();
    for record in records.as_array().unwrap() {
        let Some(data) = record["vote"].get("attestation") else {
            continue;
        };
        if record["kind"] != "attestation" {
            continue;
        }
        votes
            .entry(record["validator_index"].as_u64().unwrap())
            .or_default()
            .insert((
                epoch(&data["source"]["epoch"]),
                epoch(&data["target"]["epoch"]),
                data.to_string(),
            ));
    }
    assert!(!votes.is_empty(), "no attestation reached the simulator");
    for (validator, votes) in &votes {
        for (s1, t1, d1) in votes {
            for (s2, t2, d2) in votes {
                assert!(
                    !(t1 == t2 && d1 != d2),
                    "validator {validator}: double vote {d1} / {d2}"
                );
                assert!(
                    !(s1 < s2 && t2 < t1),
                    "validator {validator}: surround {d1} / {d2}"
                );
            }
        }
    }
    let summary = sim.summary_json();
    assert!(
        summary["proposal"]["included"].as_u64().unwrap() > 0,
        "{summary:#}"
    );
    assert!(
        summary["attestation"]["included"].as_u64().unwrap() > 0,
        "{summary:#}"
    );
}
