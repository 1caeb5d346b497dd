//! A whole cluster in one process: four nodes over loopback TCP against the simulated beacon
//! node, each with the built-in validator client talking to its validator API. Every duty of
//! every type must reach the simulator, threshold-signed (the simulator verifies each
//! signature under the DV key) and includable. (Faults — killed and Byzantine nodes — are
//! exercised with real processes by `mosaic simnet`'s acceptance tests in `bin/mosaic/tests`.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mosaic_cluster::{build_lock, CreateParams};
use mosaic_crypto::secp256k1;
use mosaic_node::infosync::{
    local_protocols, sign_message, LocalPriorities, PriorityVerifier, SUPPORTED_VERSIONS,
};
use mosaic_node::{NodeConfig, RunningNode};
use mosaic_p2p::{Multiaddr, PeerId};
use mosaic_qbft::signing::Secp256k1Signer;
use mosaic_simnet::ports::free_loopback_port;
use mosaic_simnet::{SimConfig, Simulator, SystemClock};
use mosaic_types::consensus::{Mainnet, Minimal, Preset};
use mosaic_types::BlsPubkey;
use prost::Message;

/// Mixed into the bench's key seed so that its validator keys never equal the simulator's
/// filler keys (derived the same way from the chain's seed, 0 by default).
const BENCH_KEY_DOMAIN: u64 = 0xbe7c_4000_0000_0000;

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

struct Cluster<P: Preset = Minimal> {
    sim: Simulator,
    nodes: Vec<RunningNode<P>>,
    vcs: Vec<tokio::task::JoinHandle<()>>,
    genesis: u64,
    slot: Duration,
    lock_hash: Vec<u8>,
    node_keys: Vec<secp256k1::SecretKey>,
}

/// A cluster on the minimal preset with fixed validator keys, so the same chain in every run.
/// With new keys every run, about one run in seventy put none of four validators in the sync
/// committee (of 32 positions over 32 validators) and the every-duty check found no sync
/// message duty to judge. Seed 3 gives the four validators sync committee duties and six
/// proposals in the first two epochs, so every duty type is exercised.
async fn start_cluster(
    nodes: u64,
    validators: u64,
    slot: Duration,
    byzantine: Option<usize>,
) -> Cluster {
    let preset = mosaic_simnet::Preset::Minimal;
    start_cluster_with::<Minimal>(nodes, validators, slot, byzantine, preset, None, Some(3)).await
}

/// A cluster on the chain preset `P` (the simulator's `preset` must be the same), on a chain of
/// `chain_validators` in all (the cluster's and fillers that never perform a duty) if given.
async fn start_cluster_with<P: Preset>(
    nodes: u64,
    validators: u64,
    slot: Duration,
    byzantine: Option<usize>,
    preset: mosaic_simnet::Preset,
    chain_validators: Option<usize>,
    key_seed: Option<u64>,
) -> Cluster<P> {
    // Validator keys derived from `key_seed` make the chain (its validators root, so its RANDAO
    // mixes, committees and sync committee) the same from run to run; otherwise they are new.
    let existing_keys: Vec<_> = key_seed
        .map(|seed| {
            (0..validators)
                .map(|i| mosaic_simnet::chain::filler_secret_key(BENCH_KEY_DOMAIN ^ seed, i))
                .collect()
        })
        .unwrap_or_default();
    let params = CreateParams {
        name: "test".into(),
        nodes,
        threshold: None,
        num_validators: if existing_keys.is_empty() {
            validators
        } else {
            0
        },
        network: "dev".into(),
        testnet: None,
        fee_recipients: vec!["0x000000000000000000000000000000000000dEaD".into()],
        withdrawal_addresses: vec!["0x000000000000000000000000000000000000dEaD".into()],
        deposit_amounts: Vec::new(),
        compounding: false,
        target_gas_limit: 36_000_000,
        existing_keys,
        keystore_kdf: mosaic_crypto::keystore::Kdf::INSECURE,
    };
    let _ = tracing_subscriber::fmt()
        .with_max_level(
            std::env::var("MOSAIC_TEST_LOG")
                .ok()
                .and_then(|level| level.parse().ok())
                .unwrap_or(tracing::Level::WARN),
        )
        .with_test_writer()
        .try_init();
    let dealt = build_lock(&params).unwrap();
    let genesis = now_secs() + 3;
    let mut config = SimConfig::new(genesis);
    config.validators = dealt
        .lock
        .validators
        .iter()
        .map(|v| BlsPubkey::from_slice(&v.public_key).unwrap())
        .collect();
    config.filler_validators = match chain_validators {
        Some(total) => total.saturating_sub(validators as usize).max(16),
        None => (32usize).saturating_sub(validators as usize).max(16),
    };
    config.slot_duration = slot;
    config.preset = preset;
    config.slots_per_epoch = preset.slots_per_epoch();
    let sim = Simulator::new(config, Arc::new(SystemClock)).unwrap();
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
    let mut running = Vec::new();
    let mut vcs = Vec::new();
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
            byzantine: byzantine == Some(i),
            scale_consensus_timers: false,
        };
        let node = mosaic_node::start::<P>(config, chain.clone())
            .await
            .unwrap();
        let vapi = mosaic_node::validator_api::serve(&node).await.unwrap();
        let shares = dealt.shares[i].clone();
        let shutdown = node.shutdown_signal();
        vcs.push(tokio::spawn(async move {
            let config = mosaic_vc::VcConfig::new(vec![format!("http://{vapi}")], shares);
            let result = mosaic_vc::run::<P>(config, Arc::new(mosaic_vc::NoGuard), shutdown).await;
            if let Err(error) = result {
                panic!("validator client stopped: {error}");
            }
        }));
        running.push(node);
    }
    Cluster {
        sim,
        nodes: running,
        vcs,
        genesis,
        slot,
        lock_hash: dealt.lock.lock_hash.clone(),
        node_keys: keys,
    }
}

impl<P: Preset> Cluster<P> {
    /// Each operator's peer ID and identity key, in lock order.
    fn operator_keys(&self) -> Vec<(PeerId, secp256k1::PublicKey)> {
        self.node_keys
            .iter()
            .map(|key| {
                let public = key.public_key();
                let peer = mosaic_p2p::identity::peer_id_from_public_key(&public).unwrap();
                (peer, public)
            })
            .collect()
    }

    /// The current slot, if genesis has passed.
    fn current_slot(&self) -> Option<u64> {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH + Duration::from_secs(self.genesis))
            .ok()?;
        Some((since.as_millis() / self.slot.as_millis()) as u64)
    }

    async fn run_until_slot(&self, slot: u64) {
        let end = UNIX_EPOCH + Duration::from_secs(self.genesis) + self.slot * (slot as u32 + 1);
        if let Ok(wait) = end.duration_since(SystemTime::now()) {
            tokio::time::sleep(wait).await;
        }
    }

    async fn stop(self) {
        for node in self.nodes {
            node.stop().await;
        }
        for vc in self.vcs {
            vc.abort();
        }
    }
}

impl<P: Preset> Cluster<P> {
    /// Asserts every scheduled duty of slots `first..=last` succeeded; prints the report.
    fn assert_every_duty_succeeded(&self, first: u64, last: u64) {
        let report = self.sim.duty_report(first, last);
        for (kind, outcome) in &report {
            println!(
                "{kind:?}: expected {} succeeded {} p50 {:?} ms p99 {:?} ms",
                outcome.expected,
                outcome.succeeded,
                outcome.latency_quantile_ms(0.5),
                outcome.latency_quantile_ms(0.99)
            );
        }
        for (kind, outcome) in &report {
            // Proposals depend on the chain's RANDAO; a short run may have none.
            if *kind != mosaic_simnet::DutyKind::Proposal {
                assert!(
                    outcome.expected > 0,
                    "no {kind:?} duty scheduled in {first}..={last}"
                );
            }
            assert!(
                outcome.missed.is_empty(),
                "{kind:?} missed (validator, slot): {:?}",
                outcome.missed
            );
        }
        let slashable = self.sim.slashable_json();
        for offence in ["double_proposals", "attestations"] {
            assert!(
                slashable[offence].as_array().is_some_and(Vec::is_empty),
                "slashable offences: {slashable}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_nodes_perform_every_duty() {
    let cluster = start_cluster(4, 4, Duration::from_millis(1000), None).await;
    cluster.run_until_slot(17).await;
    cluster.assert_every_duty_succeeded(1, 16);
    // Peers answer the peer info protocol with the cluster's lock hash.
    let asker = &cluster.nodes[0].core.p2p;
    let peer = cluster.nodes[1].core.p2p.local_peer_id();
    let answer = asker
        .request(peer, mosaic_p2p::Protocol::PeerInfo, &[])
        .await
        .unwrap();
    let info = <mosaic_qbft::pb::PeerInfo as prost::Message>::decode(answer.as_slice()).unwrap();
    assert_eq!(info.lock_hash, cluster.lock_hash);
    assert!(info.sent_at.is_some() && info.started_at.is_some());
    // InfoSync ran in the last slot of epochs 0 and 1 (slots 7 and 15): every node recorded
    // both agreements, scored from all four nodes' priority messages.
    for (i, node) in cluster.nodes.iter().enumerate() {
        let infosync = &node.core.infosync;
        assert!(
            infosync.agreement(6).is_none(),
            "node {i}: agreed before slot 7"
        );
        assert_eq!(infosync.proposal_types(6), ["full"]);
        for slot in [7, 15] {
            let agreement = infosync
                .agreement(slot)
                .unwrap_or_else(|| panic!("node {i}: no agreement at slot {slot}"));
            assert_eq!(agreement.slot, slot, "node {i}");
            assert_eq!(agreement.messages, 4, "node {i} slot {slot}");
            assert_eq!(agreement.versions, SUPPORTED_VERSIONS, "node {i}");
            assert_eq!(agreement.protocols, local_protocols(""), "node {i}");
            assert_eq!(agreement.proposals, ["full"], "node {i}: no builder API");
            assert_eq!(
                agreement.consensus_protocol(),
                "/charon/consensus/qbft/2.0.0"
            );
        }
        let metrics = node.core.metrics.encode().unwrap();
        assert!(
            metrics.contains("mosaic_infosync_agreed_total{proposals=\"full\"} 2"),
            "node {i}: {}",
            metrics
                .lines()
                .filter(|l| l.contains("infosync") || l.contains("priority"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        assert!(
            !metrics.contains("mosaic_priority_rejected_total{"),
            "node {i}"
        );
    }
    // A peer answers a priority request with its own signed message for the same duty; a
    // request claiming to come from another operator is refused (stream closed unanswered).
    let signer = Secp256k1Signer::new(cluster.node_keys[0].clone());
    let own = cluster.nodes[0].core.p2p.local_peer_id();
    // Slot 15's exchange ran already, so the peer answers at once.
    let duty = mosaic_core::Duty::new(15, mosaic_qbft::duty::DutyType::InfoSync);
    let topics = LocalPriorities::new(false, "").topics();
    let request = sign_message(&signer, &own, duty, topics.clone());
    let verifier = PriorityVerifier::new(&cluster.operator_keys(), 32);
    let answer = asker
        .request(
            peer,
            mosaic_p2p::Protocol::Priority,
            &request.encode_to_vec(),
        )
        .await
        .unwrap();
    let (answer, answered_duty) = verifier.check(&peer, &answer, 18).expect("signed answer");
    assert_eq!((answer.peer_id, answered_duty), (peer.to_string(), duty));
    let third = cluster.nodes[2].core.p2p.local_peer_id();
    let impostor = sign_message(&signer, &third, duty, topics);
    assert!(asker
        .request(
            peer,
            mosaic_p2p::Protocol::Priority,
            &impostor.encode_to_vec()
        )
        .await
        .is_err());
    cluster.stop().await;
}

/// On a chain with several committees a slot (16 of the cluster's validators among 256 on the
/// minimal preset: four committees a slot), every duty succeeds, and each node asks the beacon
/// node for attestation data once a slot (from electra on one answer serves every committee),
/// not once for each committee its validators sit in. A failed request is made again: the
/// beacon node fails the first request of each node in slot 3, and that slot's attestations
/// still succeed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn attestation_data_is_fetched_once_a_slot_and_a_failed_fetch_again() {
    let (nodes, validators, last) = (4u64, 16u64, 9u64);
    let path = "/eth/v1/validator/attestation_data";
    let cluster = start_cluster_with::<Minimal>(
        nodes,
        validators,
        Duration::from_millis(1000),
        None,
        mosaic_simnet::Preset::Minimal,
        Some(256),
        Some(2),
    )
    .await;
    // Slot 3 starts: its fetches come a third of a slot later, one from each node (or those of
    // the next slot with attesters of the cluster's, if it has none).
    cluster.run_until_slot(2).await;
    cluster.sim.fail_next_requests(path, nodes);
    cluster.run_until_slot(last).await;
    assert_eq!(
        cluster.sim.planned_failures(path),
        0,
        "every planned failure was met"
    );
    // Fetches so far are for slots up to `last` (the next is a third of a slot away), plus one
    // more for each failure.
    let asked = cluster.sim.requests_to(path) - nodes;
    let mut committees_by_slot: std::collections::BTreeMap<u64, std::collections::BTreeSet<u64>> =
        Default::default();
    for epoch in 0..=last / 8 {
        let duties = cluster.sim.with_chain(|chain| chain.epoch_duties(epoch));
        for duty in duties.attesters.iter().take(validators as usize).flatten() {
            if duty.slot <= last {
                committees_by_slot
                    .entry(duty.slot)
                    .or_default()
                    .insert(duty.committee_index);
            }
        }
    }
    let slots = committees_by_slot.len() as u64;
    let committees: u64 = committees_by_slot.values().map(|c| c.len() as u64).sum();
    assert!(
        committees > slots,
        "the chain should put some slot's attesters in several committees: {committees_by_slot:?}"
    );
    assert!(
        asked <= nodes * slots,
        "{asked} attestation data requests for {slots} slots with attesters ({committees} committees)"
    );
    cluster.assert_every_duty_succeeded(1, last - 1);
    cluster.stop().await;
}

/// Duty latency and capacity benchmark (not run by default):
/// `MOSAIC_BENCH_VALIDATORS=1000 MOSAIC_BENCH_SLOT_MS=4000 cargo test -p mosaic-node --test
/// cluster bench -- --ignored --nocapture`. Prints, per duty type, how many succeeded and the
/// latency from the duty's trigger (slot start for proposals and sync messages, which follow
/// the slot's block and the simulator makes its blocks at slot start; a third of the slot for
/// attestations, two thirds for aggregations and contributions) to the beacon node's receipt.
/// `MOSAIC_BENCH_PRESET=mainnet` runs the mainnet preset (32-slot epochs, 512-member sync
/// committee) instead of the minimal one; `MOSAIC_BENCH_CHAIN_VALIDATORS=N` puts the cluster's
/// validators on a chain of N (fillers make up the rest), so committees, aggregator selection and
/// the sync committee are as dense as on a real network rather than all the cluster's. The
/// cluster's validator keys derive from `MOSAIC_BENCH_KEY_SEED` (default 0), so the same settings
/// give the same committees and sync committee from run to run (how many of the cluster's
/// validators sit in the sync committee moves the attestation figures).
#[tokio::test(flavor = "multi_thread")]
#[ignore = "benchmark; run by hand"]
async fn bench_duty_latency() {
    if std::env::var("MOSAIC_BENCH_PRESET").as_deref() == Ok("mainnet") {
        bench::<Mainnet>(mosaic_simnet::Preset::Mainnet).await;
    } else {
        bench::<Minimal>(mosaic_simnet::Preset::Minimal).await;
    }
}

async fn bench<P: Preset>(preset: mosaic_simnet::Preset) {
    let validators: u64 = std::env::var("MOSAIC_BENCH_VALIDATORS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let slot_ms: u64 = std::env::var("MOSAIC_BENCH_SLOT_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let epochs: u64 = std::env::var("MOSAIC_BENCH_EPOCHS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let chain_validators: Option<usize> = std::env::var("MOSAIC_BENCH_CHAIN_VALIDATORS")
        .ok()
        .and_then(|v| v.parse().ok());
    let slot = Duration::from_millis(slot_ms);
    let key_seed: u64 = std::env::var("MOSAIC_BENCH_KEY_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let cluster = start_cluster_with::<P>(
        4,
        validators,
        slot,
        None,
        preset,
        chain_validators,
        Some(key_seed),
    )
    .await;
    // Setting up a large chain can outlast the time to genesis: judge from two slots after the
    // cluster is up.
    let first = cluster.current_slot().map_or(1, |slot| slot + 2).max(1);
    let last = first + epochs * preset.slots_per_epoch() - 1;
    let cpu_before = process_cpu_ms();
    cluster.run_until_slot(last + 1).await;
    let cpu = process_cpu_ms()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    let measured_slots = last + 2 - first;
    let report = cluster.sim.duty_report(first, last);
    println!(
        "validators {validators} (chain: {}), preset {preset:?}, slot {slot_ms} ms, slots {first}..={last}",
        chain_validators.map_or_else(|| "minimum fillers".to_owned(), |n| n.to_string())
    );
    if let Some(cpu) = cpu {
        println!(
            "process CPU while running: {cpu} ms, {:.0} ms per slot",
            cpu as f64 / measured_slots as f64
        );
    }
    println!("| duty | expected | succeeded | success % | p50 ms | p99 ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (kind, outcome) in &report {
        use mosaic_simnet::DutyKind;
        let trigger = match kind {
            DutyKind::Attestation => slot_ms as i64 / 3,
            DutyKind::Aggregate | DutyKind::SyncContribution => slot_ms as i64 * 2 / 3,
            _ => 0,
        };
        let quantile = |q| {
            outcome
                .latency_quantile_ms(q)
                .map(|ms| (ms - trigger).to_string())
                .unwrap_or_else(|| "-".into())
        };
        let rate = if outcome.expected == 0 {
            100.0
        } else {
            outcome.succeeded as f64 * 100.0 / outcome.expected as f64
        };
        println!(
            "| {kind:?} | {} | {} | {rate:.2} | {} | {} |",
            outcome.expected,
            outcome.succeeded,
            quantile(0.5),
            quantile(0.99)
        );
        if !outcome.missed.is_empty() {
            println!("  missed (validator, slot): {:?}", outcome.missed);
        }
    }
    println!(
        "slowest attestation slots (slot: latest attestation ms after trigger, attestations, blocks proposed by the cluster at the slot): {}",
        slowest_attestation_slots(&cluster.sim.records_json(), first..=last, slot_ms as i64 / 3, 5)
    );
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        for line in status
            .lines()
            .filter(|l| l.starts_with("VmHWM") || l.starts_with("VmRSS"))
        {
            println!("process (4 nodes + simulator + 4 validator clients) {line}");
        }
    }
    cluster.stop().await;
}

/// The `count` slots of `slots` whose last attestation arrived latest after `trigger_ms`, as
/// "slot: latency ms (attestations, proposals)" (proposals by the cluster at that slot).
fn slowest_attestation_slots(
    records: &serde_json::Value,
    slots: std::ops::RangeInclusive<u64>,
    trigger_ms: i64,
    count: usize,
) -> String {
    let mut by_slot: std::collections::BTreeMap<u64, (i64, u64, u64)> = Default::default();
    for record in records.as_array().into_iter().flatten() {
        let (Some(slot), Some(arrival), Some(kind)) = (
            record["slot"].as_u64(),
            record["arrival_ms"].as_i64(),
            record["kind"].as_str(),
        ) else {
            continue;
        };
        if !slots.contains(&slot) {
            continue;
        }
        let entry = by_slot.entry(slot).or_insert((i64::MIN, 0, 0));
        match kind {
            "attestation" => {
                entry.0 = entry.0.max(arrival - trigger_ms);
                entry.1 += 1;
            }
            "proposal" => entry.2 += 1,
            _ => {}
        }
    }
    let mut slowest: Vec<_> = by_slot.into_iter().filter(|(_, e)| e.1 > 0).collect();
    slowest.sort_by_key(|(_, (latency, _, _))| std::cmp::Reverse(*latency));
    slowest
        .iter()
        .take(count)
        .map(|(slot, (latency, attestations, proposals))| {
            format!("{slot}: {latency} ({attestations}, {proposals})")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// User plus system CPU time of this process so far, in milliseconds (`/proc/self/stat`, in
/// clock ticks of 10 ms).
fn process_cpu_ms() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start after its closing ')'.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) * 10)
}
