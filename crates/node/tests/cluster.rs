//! A whole cluster in one process: four nodes over loopback TCP against the simulated beacon
//! node, each with the built-in validator client talking to its validator API. Every duty of
//! every type must reach the simulator, threshold-signed (the simulator verifies each
//! signature under the DV key) and includable. (Faults — killed and Byzantine nodes — are
//! exercised with real processes by `mosaic simnet`'s acceptance tests in `bin/mosaic/tests`.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mosaic_cluster::{build_lock, CreateParams};
use mosaic_crypto::secp256k1;
use mosaic_node::{NodeConfig, RunningNode};
use mosaic_p2p::{Multiaddr, PeerId};
use mosaic_simnet::{SimConfig, Simulator, SystemClock};
use mosaic_types::consensus::Minimal;
use mosaic_types::BlsPubkey;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

struct Cluster {
    sim: Simulator,
    nodes: Vec<RunningNode<Minimal>>,
    vcs: Vec<tokio::task::JoinHandle<()>>,
    genesis: u64,
    slot: Duration,
    lock_hash: Vec<u8>,
}

async fn start_cluster(
    nodes: u64,
    validators: u64,
    slot: Duration,
    byzantine: Option<usize>,
) -> Cluster {
    let params = CreateParams {
        name: "test".into(),
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
    config.filler_validators = (32usize).saturating_sub(validators as usize).max(16);
    config.slot_duration = slot;
    let sim = Simulator::new(config, Arc::new(SystemClock)).unwrap();
    let server = sim.serve(0).await.unwrap();
    let url = server.url();
    std::mem::forget(server);

    let keys: Vec<secp256k1::SecretKey> = dealt
        .node_keys
        .iter()
        .map(|k| secp256k1::SecretKey::from_bytes(k.as_ref()).unwrap())
        .collect();
    let ports: Vec<u16> = keys.iter().map(|_| free_port()).collect();
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
        let node = mosaic_node::start::<Minimal>(config, chain.clone())
            .await
            .unwrap();
        let vapi = mosaic_node::validator_api::serve(&node).await.unwrap();
        let shares = dealt.shares[i].clone();
        let shutdown = node.shutdown_signal();
        vcs.push(tokio::spawn(async move {
            let config = mosaic_vc::VcConfig::new(vec![format!("http://{vapi}")], shares);
            let result =
                mosaic_vc::run::<Minimal>(config, Arc::new(mosaic_vc::NoGuard), shutdown).await;
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
    }
}

impl Cluster {
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

impl Cluster {
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
    cluster.stop().await;
}

/// Duty latency and capacity benchmark (not run by default):
/// `MOSAIC_BENCH_VALIDATORS=1000 MOSAIC_BENCH_SLOT_MS=4000 cargo test -p mosaic-node --test
/// cluster bench -- --ignored --nocapture`. Prints, per duty type, how many succeeded and the
/// latency from the duty's trigger (slot start; a third of the slot for attestations and sync
/// messages, two thirds for aggregations and contributions) to the beacon node's receipt.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "benchmark; run by hand"]
async fn bench_duty_latency() {
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
    let cluster = start_cluster(4, validators, Duration::from_millis(slot_ms), None).await;
    let last = epochs * 8;
    cluster.run_until_slot(last + 1).await;
    let report = cluster.sim.duty_report(1, last);
    println!("validators {validators}, slot {slot_ms} ms, slots 1..={last}");
    println!("| duty | expected | succeeded | success % | p50 ms | p99 ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (kind, outcome) in &report {
        use mosaic_simnet::DutyKind;
        let trigger = match kind {
            DutyKind::Attestation | DutyKind::SyncMessage => slot_ms as i64 / 3,
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
    }
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
