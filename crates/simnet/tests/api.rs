//! The simulator's Beacon API through HTTP: data and duty endpoints, strict signature checks
//! (bad → 400 naming what failed, good → 200), scenarios and the records.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use mosaic_crypto::bls::SecretKey;
use mosaic_simnet::chain::filler_secret_key;
use mosaic_simnet::containers::{AttestationData, Bitlist, VoluntaryExit};
use mosaic_simnet::{ManualClock, SimConfig, Simulator};
use mosaic_types::{
    builder_domain, compute_domain, compute_signing_root, BlsPubkey, BlsSignature,
    ExecutionAddress, Root, ValidatorRegistrationV1, DOMAIN_AGGREGATE_AND_PROOF,
    DOMAIN_BEACON_ATTESTER, DOMAIN_SELECTION_PROOF, DOMAIN_SYNC_COMMITTEE, DOMAIN_VOLUNTARY_EXIT,
};
use serde_json::{json, Value};
use tree_hash::TreeHash;

const GENESIS: u64 = 1_700_000_000;
const EXPLICIT: u64 = 16;

struct Harness {
    sim: Simulator,
    clock: ManualClock,
    url: String,
    http: reqwest::Client,
    keys: Vec<SecretKey>,
    _server: mosaic_simnet::ServerHandle,
}

async fn start() -> Harness {
    let keys: Vec<SecretKey> = (0..EXPLICIT).map(|i| filler_secret_key(4242, i)).collect();
    let mut config = SimConfig::new(GENESIS);
    config.validators = keys
        .iter()
        .map(|k| BlsPubkey(k.public_key().to_bytes()))
        .collect();
    config.filler_validators = 48;
    config.seed = 11;
    let clock = ManualClock::new(GENESIS * 1000 + 3 * 1000 + 100); // slot 3, 100 ms in
    let sim = Simulator::new(config, Arc::new(clock.clone())).unwrap();
    sim.tick();
    let server = sim.serve(0).await.unwrap();
    Harness {
        url: server.url(),
        sim,
        clock,
        http: reqwest::Client::new(),
        keys,
        _server: server,
    }
}

impl Harness {
    async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value, fork_header: bool) -> (u16, Value) {
        let mut request = self.http.post(format!("{}{path}", self.url)).json(&body);
        if fork_header {
            request = request.header("Eth-Consensus-Version", "fulu");
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    fn gvr(&self) -> Root {
        self.sim.with_chain(|c| c.genesis_validators_root())
    }

    fn fork_version(&self) -> mosaic_types::Version {
        self.sim.with_chain(|c| c.fork_version())
    }
}

fn sig(key: &SecretKey, root: Root) -> BlsSignature {
    BlsSignature(key.sign(&root.0).to_bytes())
}

fn u(value: &Value) -> u64 {
    value.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn data_endpoints_answer_like_a_beacon_node() {
    let h = start().await;
    let (status, genesis) = h.get("/eth/v1/beacon/genesis").await;
    assert_eq!(status, 200);
    assert_eq!(u(&genesis["data"]["genesis_time"]), GENESIS);
    assert_eq!(genesis["data"]["genesis_validators_root"], json!(h.gvr()));
    assert_eq!(genesis["data"]["genesis_fork_version"], "0x10000539");

    let (_, spec) = h.get("/eth/v1/config/spec").await;
    assert_eq!(spec["data"]["SECONDS_PER_SLOT"], "1");
    assert_eq!(spec["data"]["SLOTS_PER_EPOCH"], "8");
    assert_eq!(spec["data"]["FULU_FORK_EPOCH"], "0");
    assert_eq!(spec["data"]["DOMAIN_BEACON_ATTESTER"], "0x01000000");
    assert_eq!(spec["data"]["PRESET_BASE"], "minimal");

    let (_, schedule) = h.get("/eth/v1/config/fork_schedule").await;
    assert_eq!(schedule["data"].as_array().unwrap().len(), 7);
    assert_eq!(schedule["data"][6]["current_version"], "0x70000539");

    let (_, syncing) = h.get("/eth/v1/node/syncing").await;
    assert_eq!(syncing["data"]["is_syncing"], false);
    let (status, version) = h.get("/eth/v1/node/version").await;
    assert_eq!(status, 200);
    assert!(version["data"]["version"]
        .as_str()
        .unwrap()
        .starts_with("Mosaic-simnet/"));
    let response = h
        .http
        .get(format!("{}/eth/v1/node/health", h.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);

    let pubkey = BlsPubkey(h.keys[2].public_key().to_bytes());
    let (_, by_key) = h
        .get(&format!(
            "/eth/v1/beacon/states/head/validators?id={pubkey},5"
        ))
        .await;
    let data = by_key["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["index"], "2");
    assert_eq!(data[0]["status"], "active_ongoing");
    let (status, posted) = h
        .post(
            "/eth/v1/beacon/states/head/validators",
            json!({"ids": ["1", "63", "64"], "statuses": ["active"]}),
            false,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        posted["data"].as_array().unwrap().len(),
        2,
        "64 is beyond the registry"
    );
    // A large cluster's query (30,000 public keys, about 3 MB) is answered, not refused for
    // its size (axum's default limit is 2 MB).
    let mut ids: Vec<String> = (0..30_000u64).map(|i| format!("0x{i:096x}")).collect();
    ids.push(pubkey.to_string());
    let (status, large) = h
        .post(
            "/eth/v1/beacon/states/head/validators",
            json!({ "ids": ids }),
            false,
        )
        .await;
    assert_eq!(status, 200, "{large}");
    assert_eq!(large["data"].as_array().unwrap().len(), 1);
    let (_, all) = h
        .get("/eth/v1/beacon/states/head/validators?status=exited")
        .await;
    assert!(all["data"].as_array().unwrap().is_empty());

    let (_, fork) = h.get("/eth/v1/beacon/states/head/fork").await;
    assert_eq!(fork["data"]["current_version"], "0x70000539");
    let (_, head) = h.get("/eth/v1/beacon/headers/head").await;
    let head_root = h.sim.with_chain(|c| c.head().root);
    assert_eq!(head["data"]["root"], json!(head_root));
    let (_, root) = h.get("/eth/v1/beacon/blocks/head/root").await;
    assert_eq!(root["data"]["root"], json!(head_root));
    let (status, _) = h.get("/eth/v1/beacon/headers/999").await;
    assert_eq!(status, 404);
    let (status, error) = h.get("/eth/v1/beacon/blocks/nonsense/root").await;
    assert_eq!(status, 400);
    assert_eq!(error["code"], 400);
    assert!(error["message"].as_str().unwrap().contains("block id"));
}

#[tokio::test]
async fn duties_match_the_chain_model() {
    let h = start().await;
    let ids: Vec<String> = (0..EXPLICIT).map(|i| i.to_string()).collect();
    let (status, attester) = h
        .post("/eth/v1/validator/duties/attester/0", json!(ids), false)
        .await;
    assert_eq!(status, 200);
    let duties = attester["data"].as_array().unwrap();
    assert_eq!(
        duties.len(),
        EXPLICIT as usize,
        "every validator attests once an epoch"
    );
    let model = h.sim.with_chain(|c| c.epoch_duties(0));
    for duty in duties {
        let index = u(&duty["validator_index"]);
        let expected = model.attesters[index as usize].unwrap();
        assert_eq!(u(&duty["slot"]), expected.slot);
        assert_eq!(u(&duty["committee_index"]), expected.committee_index);
        assert_eq!(
            u(&duty["validator_committee_index"]),
            expected.validator_committee_index
        );
    }
    let (_, proposer) = h.get("/eth/v1/validator/duties/proposer/1").await;
    assert_eq!(proposer["data"].as_array().unwrap().len(), 8);
    let (status, _) = h.get("/eth/v1/validator/duties/proposer/9").await;
    assert_eq!(status, 400, "too far ahead");
    let all: Vec<String> = (0..64).map(|i| i.to_string()).collect();
    let (_, sync) = h
        .post("/eth/v1/validator/duties/sync/0", json!(all), false)
        .await;
    let positions: usize = sync["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            d["validator_sync_committee_indices"]
                .as_array()
                .unwrap()
                .len()
        })
        .sum();
    assert_eq!(positions, 32, "minimal sync committee size");

    let (_, data) = h
        .get("/eth/v1/validator/attestation_data?slot=3&committee_index=0")
        .await;
    let expected = h.sim.with_chain(|c| c.attestation_data(3, 0));
    assert_eq!(data["data"], serde_json::to_value(expected).unwrap());
    let (status, _) = h
        .get("/eth/v1/validator/attestation_data?slot=50&committee_index=0")
        .await;
    assert_eq!(status, 400, "future slot");
    // Both requests were counted under their path, refused or not, the query aside.
    assert_eq!(h.sim.requests_to("/eth/v1/validator/attestation_data"), 2);
    assert_eq!(h.sim.requests_to("/eth/v1/validator/nothing_here"), 0);

    // Planned failures: exactly the next two requests to the path fail, other paths do not.
    let path = "/eth/v1/validator/attestation_data";
    let query = "/eth/v1/validator/attestation_data?slot=3&committee_index=0";
    h.sim.fail_next_requests(path, 2);
    assert_eq!(h.sim.planned_failures(path), 2);
    let (status, _) = h.get("/eth/v1/node/version").await;
    assert_eq!(status, 200, "another path is not affected");
    for left in [1, 0] {
        let (status, _) = h.get(query).await;
        assert_eq!(status, 500, "planned failure");
        assert_eq!(h.sim.planned_failures(path), left);
    }
    let (status, again) = h.get(query).await;
    assert_eq!(status, 200, "the plan is used up");
    assert_eq!(again["data"], data["data"]);
    assert_eq!(
        h.sim.requests_to(path),
        5,
        "failed requests are counted too"
    );
}

/// An attester duty of an explicit validator at slot ≤ 3 in epoch 0.
fn explicit_attester(h: &Harness) -> (u64, mosaic_simnet::chain::AttesterDuty) {
    let duties = h.sim.with_chain(|c| c.epoch_duties(0));
    (0..EXPLICIT)
        .filter_map(|i| duties.attesters[i as usize].map(|d| (i, d)))
        .find(|(_, d)| d.slot <= 3)
        .expect("an explicit validator attests in slots 0..=3 with seed 11")
}

fn signed_attestation(h: &Harness, validator: u64, data: &AttestationData) -> BlsSignature {
    let domain = compute_domain(DOMAIN_BEACON_ATTESTER, h.fork_version(), h.gvr());
    sig(
        &h.keys[validator as usize],
        compute_signing_root(data.tree_hash_root().into(), domain),
    )
}

#[tokio::test]
async fn attestations_are_verified_recorded_and_aggregated() {
    let h = start().await;
    let (validator, duty) = explicit_attester(&h);
    let data = h
        .sim
        .with_chain(|c| c.attestation_data(duty.slot, duty.committee_index));
    let good = signed_attestation(&h, validator, &data);
    let single = |signature: BlsSignature, attester: u64| {
        json!([{"committee_index": duty.committee_index.to_string(), "attester_index": attester.to_string(),
                "data": data, "signature": signature}])
    };
    // Signed by another key: rejected.
    let other = (validator + 1) % EXPLICIT;
    let wrong = signed_attestation(&h, other, &data);
    let (status, error) = h
        .post(
            "/eth/v2/beacon/pool/attestations",
            single(wrong, validator),
            true,
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("invalid attestation signature"),
        "{error}"
    );
    assert_eq!(error["failures"][0]["index"], "0");
    // Not in the committee: rejected before the signature.
    let outsider = (0..64)
        .find(|v| {
            !h.sim
                .with_chain(|c| c.epoch_duties(0))
                .committee(8, duty.slot, duty.committee_index)
                .unwrap()
                .contains(v)
        })
        .unwrap();
    let (status, error) = h
        .post(
            "/eth/v2/beacon/pool/attestations",
            single(good, outsider),
            true,
        )
        .await;
    assert_eq!(status, 400);
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("not in committee"));
    // Missing fork header.
    let (status, error) = h
        .post(
            "/eth/v2/beacon/pool/attestations",
            single(good, validator),
            false,
        )
        .await;
    assert_eq!(status, 400);
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("Eth-Consensus-Version"));
    // v1 after electra.
    let (status, _) = h
        .post("/eth/v1/beacon/pool/attestations", json!([]), false)
        .await;
    assert_eq!(status, 400);
    // Correct.
    let (status, body) = h
        .post(
            "/eth/v2/beacon/pool/attestations",
            single(good, validator),
            true,
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // Records: one attestation, arrived 100 ms + (3 - slot) slots after its slot started.
    let records = h.sim.records_json();
    let records = records.as_array().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["validator_index"], validator);
    assert_eq!(
        records[0]["arrival_ms"],
        100 + (3 - duty.slot as i64) * 1000
    );
    let (_, live) = h
        .post(
            "/eth/v1/validator/liveness/0",
            json!([validator.to_string(), other.to_string()]),
            false,
        )
        .await;
    assert_eq!(live["data"][0]["is_live"], true);
    assert_eq!(live["data"][1]["is_live"], false);

    // Aggregate and proof: committees here are < 32, so every member aggregates.
    let data_root: Root = data.tree_hash_root().into();
    let (status, aggregate) = h
        .get(&format!("/eth/v2/validator/aggregate_attestation?attestation_data_root={data_root}&slot={}&committee_index={}", duty.slot, duty.committee_index))
        .await;
    assert_eq!(status, 200, "{aggregate}");
    let aggregate = aggregate["data"].clone();
    let attestation: mosaic_simnet::containers::Attestation =
        serde_json::from_value(aggregate.clone()).unwrap();
    let bits = Bitlist::from_hex(&attestation.aggregation_bits, 8192).unwrap();
    assert_eq!(
        bits.set_bits(),
        vec![duty.validator_committee_index as usize]
    );
    let key = &h.keys[validator as usize];
    let epoch = duty.slot / 8;
    let _ = epoch;
    let selection_domain = compute_domain(DOMAIN_SELECTION_PROOF, h.fork_version(), h.gvr());
    let selection_proof = sig(
        key,
        compute_signing_root(duty.slot.tree_hash_root().into(), selection_domain),
    );
    let attestation_root = attestation.tree_hash_root(8192, 4).unwrap();
    let message_root = mosaic_simnet::containers::container_root(&[
        validator.tree_hash_root(),
        attestation_root,
        selection_proof.tree_hash_root(),
    ]);
    let aggregate_domain = compute_domain(DOMAIN_AGGREGATE_AND_PROOF, h.fork_version(), h.gvr());
    let outer = sig(
        key,
        compute_signing_root(message_root.into(), aggregate_domain),
    );
    let signed = |signature: BlsSignature| json!([{"message": {"aggregator_index": validator.to_string(), "aggregate": aggregate, "selection_proof": selection_proof}, "signature": signature}]);
    let (status, error) = h
        .post(
            "/eth/v2/validator/aggregate_and_proofs",
            signed(selection_proof),
            true,
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("aggregate and proof"),
        "{error}"
    );
    let (status, body) = h
        .post(
            "/eth/v2/validator/aggregate_and_proofs",
            signed(outer),
            true,
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn sync_messages_exits_and_registrations_are_strict() {
    let h = start().await;
    let committee = h.sim.with_chain(|c| c.sync_committee(0));
    let member = (0..EXPLICIT)
        .find(|v| committee.positions.contains_key(v))
        .expect("an explicit sync member");
    let head = h.sim.with_chain(|c| c.head().root);
    let domain = compute_domain(DOMAIN_SYNC_COMMITTEE, h.fork_version(), h.gvr());
    let message = |signature: BlsSignature| json!([{"slot": "3", "beacon_block_root": head, "validator_index": member.to_string(), "signature": signature}]);
    let good = sig(&h.keys[member as usize], compute_signing_root(head, domain));
    let bad = sig(
        &h.keys[member as usize],
        compute_signing_root(Root([1; 32]), domain),
    );
    let (status, error) = h
        .post("/eth/v1/beacon/pool/sync_committees", message(bad), false)
        .await;
    assert_eq!(status, 400);
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("sync committee message"));
    let (status, _) = h
        .post("/eth/v1/beacon/pool/sync_committees", message(good), false)
        .await;
    assert_eq!(status, 200);

    // Exits: from Deneb on the domain is Capella's (EIP-7044); the current fork's is rejected.
    let exit = VoluntaryExit {
        epoch: 0,
        validator_index: 4,
    };
    let capella = h.sim.with_chain(|c| c.network().forks.capella.version);
    let capella_domain = compute_domain(DOMAIN_VOLUNTARY_EXIT, capella, h.gvr());
    let fulu_domain = compute_domain(DOMAIN_VOLUNTARY_EXIT, h.fork_version(), h.gvr());
    let exit_root: Root = exit.tree_hash_root().into();
    let (status, error) = h
        .post("/eth/v1/beacon/pool/voluntary_exits", json!({"message": exit, "signature": sig(&h.keys[4], compute_signing_root(exit_root, fulu_domain))}), false)
        .await;
    assert_eq!(status, 400);
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("voluntary exit"));
    let (status, _) = h
        .post("/eth/v1/beacon/pool/voluntary_exits", json!({"message": exit, "signature": sig(&h.keys[4], compute_signing_root(exit_root, capella_domain))}), false)
        .await;
    assert_eq!(status, 200);
    let (_, validator) = h.get("/eth/v1/beacon/states/head/validators?id=4").await;
    assert_eq!(validator["data"][0]["status"], "active_exiting");

    // Registrations: builder domain (genesis fork version, zero root).
    let registration = ValidatorRegistrationV1 {
        fee_recipient: ExecutionAddress([7; 20]),
        gas_limit: 30_000_000,
        timestamp: GENESIS,
        pubkey: BlsPubkey(h.keys[5].public_key().to_bytes()),
    };
    let builder = builder_domain(h.sim.with_chain(|c| c.network().genesis_fork_version));
    let good = sig(
        &h.keys[5],
        compute_signing_root(registration.root(), builder),
    );
    let wrong_domain = sig(
        &h.keys[5],
        compute_signing_root(registration.root(), fulu_domain),
    );
    let (status, _) = h
        .post(
            "/eth/v1/validator/register_validator",
            json!([{"message": registration, "signature": wrong_domain}]),
            false,
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = h
        .post(
            "/eth/v1/validator/register_validator",
            json!([{"message": registration, "signature": good}]),
            false,
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = h
        .post(
            "/eth/v1/validator/prepare_beacon_proposer",
            json!([{"validator_index": "1", "fee_recipient": ExecutionAddress([1; 20])}]),
            false,
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = h
        .post(
            "/eth/v1/validator/beacon_committee_subscriptions",
            json!([]),
            false,
        )
        .await;
    assert_eq!(status, 200);
    let (status, error) = h
        .post(
            "/eth/v1/validator/beacon_committee_selections",
            json!([]),
            false,
        )
        .await;
    assert_eq!((status, error["code"].clone()), (501, json!(501)));
    let (status, _) = h
        .post(
            "/eth/v1/validator/sync_committee_selections",
            json!([]),
            false,
        )
        .await;
    assert_eq!(status, 501);

    let summary = h.sim.summary_json();
    assert_eq!(summary["sync_message"]["received"], 1);
    assert_eq!(summary["exit"]["received"], 1);
    assert_eq!(summary["registration"]["included"], 1);
}

#[tokio::test]
async fn scenarios_switch_at_runtime() {
    let h = start().await;
    let (status, _) = h
        .post("/mosaic/simnet/scenario", json!({"syncing": true}), false)
        .await;
    assert_eq!(status, 200);
    let response = h
        .http
        .get(format!("{}/eth/v1/node/health", h.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 206);
    let (status, _) = h
        .get("/eth/v1/validator/attestation_data?slot=3&committee_index=0")
        .await;
    assert_eq!(status, 503);
    let (_, syncing) = h.get("/eth/v1/node/syncing").await;
    assert_eq!(syncing["data"]["is_syncing"], true);

    let (status, _) = h
        .post("/mosaic/simnet/scenario", json!({"error_rate": 1.0}), false)
        .await;
    assert_eq!(status, 200);
    let (status, error) = h.get("/eth/v1/node/version").await;
    assert_eq!((status, error["code"].clone()), (500, json!(500)));
    let (status, _) = h
        .post("/mosaic/simnet/scenario", json!({"error_rate": 1.5}), false)
        .await;
    assert_eq!(status, 400);
    let (status, _) = h
        .post("/mosaic/simnet/scenario", json!({"latency_ms": 150}), false)
        .await;
    assert_eq!(status, 200);
    let started = std::time::Instant::now();
    let (status, _) = h.get("/eth/v1/node/version").await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));

    // Ephemery-style reset: new genesis time and genesis validators root.
    let before = h.gvr();
    let now_ms = GENESIS * 1000 + 3100;
    let (status, _) = h
        .post(
            "/mosaic/simnet/reset",
            json!({"at_ms": now_ms, "genesis_time": GENESIS + 3, "seed": 12}),
            false,
        )
        .await;
    assert_eq!(status, 200);
    let (_, genesis) = h.get("/eth/v1/beacon/genesis").await;
    assert_eq!(u(&genesis["data"]["genesis_time"]), GENESIS + 3);
    assert_ne!(genesis["data"]["genesis_validators_root"], json!(before));
}

#[tokio::test]
async fn head_events_stream_as_slots_pass() {
    let h = start().await;
    let mut response = h
        .http
        .get(format!("{}/eth/v1/events?topics=head", h.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    h.clock.advance_ms(1000);
    let chunk = tokio::time::timeout(Duration::from_secs(5), response.chunk())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&chunk);
    assert!(text.contains("event: head"), "{text}");
    assert!(text.contains("\"slot\":\"4\""), "{text}");
    let (status, _) = h.get("/eth/v1/events?topics=nonsense").await;
    assert_eq!(status, 400);
}
