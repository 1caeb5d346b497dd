//! Per-slot cost of the simulator with 10,000 validators and 1 s slots, everything through its
//! HTTP API as validator clients would drive it: each slot the proposer produces (v3) and
//! publishes (v2) a block carrying the previous slot's attestations and sync aggregate, then
//! all of the slot's attesters (10,000 / 8 slots) submit `SingleAttestation`s in one request and
//! the sync committee its messages. Signing happens outside the timed sections. Run with
//! `cargo test -p mosaic-simnet --release --test perf -- --ignored --nocapture`.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use mosaic_crypto::bls::SecretKey;
use mosaic_simnet::chain::filler_secret_key;
use mosaic_simnet::{ManualClock, SimConfig, Simulator};
use mosaic_types::consensus::versioned::ProducedBlock;
use mosaic_types::consensus::Minimal;
use mosaic_types::{
    compute_domain, compute_signing_root, BlsPubkey, BlsSignature, DomainType, ForkName, Root,
    DOMAIN_BEACON_ATTESTER, DOMAIN_BEACON_PROPOSER, DOMAIN_RANDAO, DOMAIN_SYNC_COMMITTEE,
};
use serde_json::{json, Value};
use tree_hash::TreeHash;

const VALIDATORS: u64 = 10_000;
const SLOTS: u64 = 16;
const GENESIS: u64 = 1_700_000_000;

/// CPU time of this process (user + system), from `/proc/self/stat`; zero where unavailable.
fn process_cpu() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let Some(rest) = stat.rsplit(')').next() else {
        return Duration::ZERO;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // Fields are counted from `state` (the 3rd) here; clock ticks are 100 Hz on Linux.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

struct Timed {
    wall: Duration,
    cpu: Duration,
}

struct Perf {
    sim: Simulator,
    clock: ManualClock,
    keys: Vec<SecretKey>,
    http: reqwest::Client,
    url: String,
}

impl Perf {
    fn sign(&self, index: u64, root: Root, domain_type: DomainType) -> BlsSignature {
        let (version, gvr) = self
            .sim
            .with_chain(|c| (c.fork_version(), c.genesis_validators_root()));
        let signing_root = compute_signing_root(root, compute_domain(domain_type, version, gvr));
        BlsSignature(self.keys[index as usize].sign(&signing_root.0).to_bytes())
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: &Value) -> u16 {
        let request = self
            .http
            .post(format!("{}{path}", self.url))
            .header("Eth-Consensus-Version", "fulu")
            .json(body);
        let (status, reply) = self.send(request).await;
        assert_eq!(status, 200, "{path}: {reply}");
        status
    }
}

async fn timed<F: std::future::Future>(future: F) -> (F::Output, Timed) {
    let (wall, cpu) = (Instant::now(), process_cpu());
    let output = future.await;
    (
        output,
        Timed {
            wall: wall.elapsed(),
            cpu: process_cpu().saturating_sub(cpu),
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "performance measurement; run explicitly"]
async fn ten_thousand_validators_one_second_slots() {
    let started = Instant::now();
    let keys: Vec<_> = (0..VALIDATORS).map(|i| filler_secret_key(1, i)).collect();
    let mut config = SimConfig::new(GENESIS);
    config.validators = keys
        .iter()
        .map(|k| BlsPubkey(k.public_key().to_bytes()))
        .collect();
    config.fork = ForkName::Fulu;
    let clock = ManualClock::new(GENESIS * 1000);
    let sim = Simulator::new(config, Arc::new(clock.clone())).unwrap();
    println!(
        "genesis with {VALIDATORS} validators: {:?} (incl. key derivation)",
        started.elapsed()
    );
    let server = sim.serve(0).await.unwrap();
    let perf = Perf {
        url: server.url(),
        sim: sim.clone(),
        clock: clock.clone(),
        keys,
        http: reqwest::Client::new(),
    };

    let mut worst = Duration::ZERO;
    let (mut total_wall, mut total_cpu) = (Duration::ZERO, Duration::ZERO);
    for slot in 1..=SLOTS {
        // The block, 50 ms into the slot.
        perf.clock.set_ms(GENESIS * 1000 + slot * 1000 + 50);
        let proposer = perf.sim.with_chain(|c| c.proposer(slot));
        let randao = perf.sign(proposer, (slot / 8).tree_hash_root().into(), DOMAIN_RANDAO);
        let ((status, produced), produce) = timed(perf.send(perf.http.get(format!(
            "{}/eth/v3/validator/blocks/{slot}?randao_reveal={randao}",
            perf.url
        ))))
        .await;
        assert_eq!(status, 200, "{produced}");
        let data = produced["data"].clone();
        let included = data["block"]["body"]["attestations"]
            .as_array()
            .map_or(0, Vec::len);
        // Electra layout: the previous slot's committees share one data, so one attestation,
        // and nothing older (the previous block carried it).
        assert_eq!(included, usize::from(slot > 1), "slot {slot}");
        let block_root =
            ProducedBlock::<Minimal>::from_json_at(data.clone(), ForkName::Fulu, false)
                .unwrap()
                .block_root();
        let signed = json!({
            "signed_block": {
                "message": data["block"],
                "signature": perf.sign(proposer, block_root, DOMAIN_BEACON_PROPOSER),
            },
            "kzg_proofs": [], "blobs": [],
        });
        let (_, publish) = timed(perf.post("/eth/v2/beacon/blocks", &signed)).await;
        assert_eq!(perf.sim.with_chain(|c| c.head().root), block_root);

        // The attestations and sync messages, 400 ms in (signed untimed).
        perf.clock.set_ms(GENESIS * 1000 + slot * 1000 + 400);
        let (duties, data_by_committee, members) = perf.sim.with_chain(|c| {
            let duties = c.epoch_duties(c.epoch_of(slot));
            let data: Vec<_> = (0..duties.committees_per_slot)
                .map(|i| c.attestation_data(slot, i))
                .collect();
            let period = c.sync_period(c.epoch_of(slot));
            let mut members = c.sync_committee(period).members.clone();
            members.sort_unstable();
            members.dedup();
            (duties, data, members)
        });
        let attestations: Vec<Value> = duties
            .attesters
            .iter()
            .flatten()
            .filter(|d| d.slot == slot)
            .map(|d| {
                let data = data_by_committee[d.committee_index as usize];
                json!({
                    "committee_index": d.committee_index.to_string(),
                    "attester_index": d.validator_index.to_string(),
                    "data": data,
                    "signature": perf.sign(d.validator_index, data.tree_hash_root().into(), DOMAIN_BEACON_ATTESTER),
                })
            })
            .collect();
        let messages: Vec<Value> = members
            .iter()
            .map(|m| {
                json!({
                    "slot": slot.to_string(), "beacon_block_root": block_root,
                    "validator_index": m.to_string(),
                    "signature": perf.sign(*m, block_root, DOMAIN_SYNC_COMMITTEE),
                })
            })
            .collect();
        let attestations = Value::Array(attestations);
        let count = attestations.as_array().map_or(0, Vec::len);
        let (_, attest) = timed(perf.post("/eth/v2/beacon/pool/attestations", &attestations)).await;
        let (_, sync) = timed(perf.post(
            "/eth/v1/beacon/pool/sync_committees",
            &Value::Array(messages),
        ))
        .await;

        let wall = produce.wall + publish.wall + attest.wall + sync.wall;
        let cpu = produce.cpu + publish.cpu + attest.cpu + sync.cpu;
        worst = worst.max(wall.max(cpu));
        total_wall += wall;
        total_cpu += cpu;
        println!(
            "slot {slot:>2}: produce {:>9.3?} ({included} attestations in)  publish {:>9.3?}  \
             {count} attestations {:>9.3?}  {} sync {:>9.3?}  | wall {wall:>9.3?} cpu {cpu:>9.3?}",
            produce.wall,
            publish.wall,
            attest.wall,
            members.len(),
            sync.wall,
        );
    }
    println!(
        "mean per slot: wall {:?}, cpu {:?}; worst {worst:?}",
        total_wall / SLOTS as u32,
        total_cpu / SLOTS as u32
    );
    let summary = perf.sim.summary_json();
    println!("{}", perf.sim.summary_text());
    for kind in ["attestation", "proposal", "sync_message"] {
        assert_eq!(
            summary[kind]["included"], summary[kind]["expected"],
            "{kind}"
        );
    }
    assert_eq!(summary["proposal"]["included"], SLOTS);
    assert!(
        worst < Duration::from_secs(1),
        "a slot took {worst:?}, longer than the 1 s slot"
    );
    server.shutdown();
}
