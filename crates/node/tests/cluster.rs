//! A whole cluster in one process: four nodes over loopback TCP against the simulated beacon
//! node, each with the built-in validator client talking to its validator API. Every duty of
//! every type must reach the simulator, threshold-signed (the simulator verifies each
//! signature under the DV key) and includable.

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
}

async fn start_cluster(nodes: u64, validators: u64, slot: Duration) -> Cluster {
    let params = CreateParams {
        name: "test".into(),
        nodes,
        threshold: None,
        num_validators: validators,
        network: "dev".into(),
        fee_recipients: vec!["0x000000000000000000000000000000000000dEaD".into()],
        withdrawal_addresses: vec!["0x000000000000000000000000000000000000dEaD".into()],
        deposit_amounts: Vec::new(),
        compounding: false,
        target_gas_limit: 36_000_000,
        existing_keys: Vec::new(),
        keystore_kdf: mosaic_crypto::keystore::Kdf::INSECURE,
    };
    let dealt = build_lock(&params).unwrap();
    let genesis = now_secs() + 3;
    let mut config = SimConfig::new(genesis);
    config.validators = dealt
        .lock
        .validators
        .iter()
        .map(|v| BlsPubkey::from_slice(&v.public_key).unwrap())
        .collect();
    config.filler_validators = 28;
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
            byzantine: false,
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_nodes_perform_every_duty() {
    let cluster = start_cluster(4, 4, Duration::from_millis(1000)).await;
    cluster.run_until_slot(17).await;
    let summary = cluster.sim.summary_text();
    println!("{summary}");
    let json = cluster.sim.summary_json();
    println!("{json:#}");
    cluster.stop().await;
    let attestation = &json["attestation"];
    assert!(attestation["included"].as_u64().unwrap() > 0, "{json}");
}
