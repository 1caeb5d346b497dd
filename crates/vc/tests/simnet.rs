//! The validator client against the simulated beacon node (`mosaic-simnet`), which verifies
//! every signature strictly and judges every submission: all duties of the client's validators
//! succeed at fulu and capella, builder registrations and blinded blocks work, a signing guard
//! that refuses blocks stops every proposal, and a wrong key surfaces as failed duties.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mosaic_beacon::{ClientConfig, Timeouts};
use mosaic_crypto::bls::{PublicKey, SecretKey};
use mosaic_simnet::chain::filler_secret_key;
use mosaic_simnet::{Scenario, ServerHandle, SimConfig, Simulator, SystemClock};
use mosaic_types::consensus::Minimal;
use mosaic_types::{BlsPubkey, ExecutionAddress, ForkName};
use mosaic_vc::{
    DutyKind, GuardRefusal, NoGuard, SigningGuard, ValidatorClient, VcConfig, VcStats,
};
use serde_json::Value;

/// Validators whose keys the client holds (indices `0..EXPLICIT`).
const EXPLICIT: u64 = 16;
/// Validators the simulator keeps for itself.
const FILLERS: usize = 16;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Deterministic validator keys.
fn keys(seed: u64) -> Vec<SecretKey> {
    (0..EXPLICIT).map(|i| filler_secret_key(seed, i)).collect()
}

struct Net {
    sim: Simulator,
    server: ServerHandle,
    genesis_ms: u64,
    slot_ms: u64,
    spe: u64,
}

impl Net {
    /// A simulator at `fork` for the public keys of `keys`, genesis a little ahead.
    async fn start(fork: ForkName, keys: &[SecretKey], slot_ms: u64, seed: u64) -> Self {
        let genesis = now_ms() / 1000 + 2;
        let mut config = SimConfig::new(genesis);
        config.validators = keys
            .iter()
            .map(|k| BlsPubkey(k.public_key().to_bytes()))
            .collect();
        config.filler_validators = FILLERS;
        config.slot_duration = Duration::from_millis(slot_ms);
        config.fork = fork;
        config.seed = seed;
        let spe = config.slots_per_epoch;
        let sim = Simulator::new(config, Arc::new(SystemClock)).unwrap();
        let server = sim.serve(0).await.unwrap();
        Self {
            sim,
            server,
            genesis_ms: genesis * 1000,
            slot_ms,
            spe,
        }
    }

    fn url(&self) -> String {
        self.server.url()
    }

    fn slot_start_ms(&self, slot: u64) -> u64 {
        self.genesis_ms + slot * self.slot_ms
    }

    async fn get(&self, path: &str) -> Value {
        reqwest::get(format!("{}{path}", self.url()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Every recorded submission of the explicit validators in slots `first..=last`.
    async fn records(&self, first: u64, last: u64) -> Vec<Value> {
        let records = self.get("/mosaic/simnet/records").await;
        records
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| {
                let slot = r["slot"].as_u64().unwrap();
                r["validator_index"].as_u64().unwrap() < EXPLICIT && (first..=last).contains(&slot)
            })
            .cloned()
            .collect()
    }

    /// The duties of the explicit validators in slots `first..=last`, by simnet duty kind, as
    /// (validator, slot) → how many submissions are due.
    fn expected(&self, first: u64, last: u64) -> BTreeMap<String, BTreeMap<(u64, u64), u64>> {
        let mut out: BTreeMap<String, BTreeMap<(u64, u64), u64>> = BTreeMap::new();
        let mut add = |kind: &str, validator: u64, slot: u64, n: u64| {
            if n > 0 {
                *out.entry(kind.to_owned())
                    .or_default()
                    .entry((validator, slot))
                    .or_default() += n;
            }
        };
        self.sim.with_chain(|chain| {
            for slot in first..=last {
                let epoch = slot / self.spe;
                let duties = chain.epoch_duties(epoch);
                for v in 0..EXPLICIT {
                    if let Some(duty) = duties.attesters[v as usize].filter(|d| d.slot == slot) {
                        add("attestation", v, slot, 1);
                        // Committees below TARGET_AGGREGATORS_PER_COMMITTEE: everyone aggregates.
                        assert!(duty.committee_length < 16);
                        add("aggregate", v, slot, 1);
                    }
                }
                let proposer = duties.proposers[(slot % self.spe) as usize];
                if proposer < EXPLICIT {
                    add("proposal", proposer, slot, 1);
                }
                let committee = chain.sync_committee(chain.sync_period(epoch));
                for v in 0..EXPLICIT {
                    if let Some(positions) = committee.positions.get(&v) {
                        add("sync_message", v, slot, 1);
                        // Subcommittees of 8 (minimal): every member aggregates.
                        let subcommittees: BTreeSet<u64> = positions
                            .iter()
                            .map(|p| p / committee.subcommittee_size())
                            .collect();
                        add("sync_contribution", v, slot, subcommittees.len() as u64);
                    }
                }
            }
        });
        out
    }
}

fn config(url: String, keys: Vec<SecretKey>) -> VcConfig {
    let mut config = VcConfig::new(vec![url], keys);
    config.fee_recipient = ExecutionAddress([0x11; 20]);
    config.client_config = ClientConfig {
        timeouts: Timeouts::uniform(Duration::from_secs(2)),
        ..ClientConfig::default()
    };
    config
}

/// Runs `vc` until slot `last` is over, then stops it.
async fn run_until(net: &Net, vc: ValidatorClient<Minimal>, last: u64) -> Arc<VcStats> {
    let stats = vc.stats();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(vc.run(async {
        let _ = stopped.await;
    }));
    let end = net.slot_start_ms(last + 1) + 100;
    tokio::time::sleep(Duration::from_millis(end.saturating_sub(now_ms()))).await;
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    stats
}

/// Asserts every due duty of slots `first..=last` arrived exactly once and would be included.
async fn assert_every_duty_succeeded(net: &Net, first: u64, last: u64) {
    let expected = net.expected(first, last);
    let mut actual: BTreeMap<String, BTreeMap<(u64, u64), u64>> = BTreeMap::new();
    for record in net.records(first, last).await {
        let kind = record["kind"].as_str().unwrap().to_owned();
        if kind == "registration" || kind == "exit" {
            continue;
        }
        assert_eq!(
            record["included"], true,
            "a {kind} would not be included: {record}"
        );
        let key = (
            record["validator_index"].as_u64().unwrap(),
            record["slot"].as_u64().unwrap(),
        );
        *actual.entry(kind).or_default().entry(key).or_default() += 1;
    }
    for kind in [
        "attestation",
        "aggregate",
        "proposal",
        "sync_message",
        "sync_contribution",
    ] {
        assert_eq!(
            actual.get(kind),
            expected.get(kind),
            "{kind}: submitted (left) vs due (right)"
        );
    }
    assert!(!expected["attestation"].is_empty());
    assert!(!expected["sync_message"].is_empty());
    let summary = net.get("/mosaic/simnet/summary").await;
    assert_eq!(
        summary["slashable"]["double_proposals"],
        serde_json::json!([])
    );
}

fn assert_no_failures(stats: &VcStats) {
    for kind in DutyKind::ALL {
        let counts = stats.counts(kind);
        assert_eq!(counts.failed, 0, "{kind} failed:\n{stats}");
        assert_eq!(counts.refused, 0, "{kind} refused:\n{stats}");
    }
}

async fn every_duty_at(
    fork: ForkName,
    last: u64,
    seed: u64,
    missing: &'static [&'static str],
) -> (Proxy, Vec<i64>) {
    let keys = keys(seed);
    let net = Net::start(fork, &keys, SLOT_MS, seed).await;
    let proxy = Proxy::start(net.url(), None, missing, None).await;
    let vc = ValidatorClient::<Minimal>::new(config(proxy.url.clone(), keys), Arc::new(NoGuard))
        .await
        .unwrap();
    let stats = run_until(&net, vc, last).await;
    assert_every_duty_succeeded(&net, 1, last).await;
    assert_no_failures(&stats);
    for kind in [
        DutyKind::Attestation,
        DutyKind::Aggregation,
        DutyKind::SyncMessage,
        DutyKind::SyncContribution,
    ] {
        let counts = stats.counts(kind);
        assert!(counts.submitted > 0, "{kind}:\n{stats}");
        assert_eq!(counts.signed, counts.submitted, "{kind}:\n{stats}");
    }
    assert_eq!(stats.counts(DutyKind::Registration).signed, 0, "no builder");
    assert!(stats.counts(DutyKind::Proposal).submitted > 0, "{stats}");
    let sync_arrivals = net
        .records(1, last)
        .await
        .iter()
        .filter(|r| r["kind"] == "sync_message")
        .map(|r| r["arrival_ms"].as_i64().unwrap())
        .collect();
    (proxy, sync_arrivals)
}

/// Slot length of the `every_duty_at` runs.
const SLOT_MS: u64 = 800;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_duty_succeeds_at_fulu() {
    let (proxy, sync_arrivals) = every_duty_at(ForkName::Fulu, 15, 7, &[]).await;
    // The simulator's blocks come at slot start: messages follow them, not a third of the
    // slot (a slot whose block is the client's own, or late, may still wait for the third).
    let early = sync_arrivals
        .iter()
        .filter(|ms| **ms < SLOT_MS as i64 / 3)
        .count();
    assert!(
        early * 4 >= sync_arrivals.len() * 3,
        "sync messages arrived at {sync_arrivals:?} ms into their slots"
    );
    assert!(proxy.saw("GET /eth/v1/events"));
    assert!(proxy.saw("POST /eth/v2/beacon/pool/attestations"));
    assert!(proxy.saw("POST /eth/v2/beacon/blocks"));
    assert!(proxy.saw("POST /eth/v2/validator/aggregate_and_proofs"));
    assert!(proxy.saw("POST /eth/v1/validator/beacon_committee_selections"));
    assert!(proxy.saw("POST /eth/v1/validator/sync_committee_selections"));
    assert!(proxy.saw("POST /eth/v1/validator/prepare_beacon_proposer"));
    assert!(proxy.saw("POST /eth/v1/validator/beacon_committee_subscriptions"));
    assert!(proxy.saw("POST /eth/v1/validator/sync_committee_subscriptions"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_duty_succeeds_at_capella() {
    // A node without block production v3 and publication v2: v2 and v1 are used instead.
    // Nor does it stream events: sync committee messages wait for a third of the slot.
    let (proxy, sync_arrivals) = every_duty_at(
        ForkName::Capella,
        11,
        8,
        &[
            "/eth/v3/validator/blocks",
            "/eth/v2/beacon/blocks",
            "/eth/v1/events",
        ],
    )
    .await;
    assert!(
        sync_arrivals.iter().all(|ms| *ms >= SLOT_MS as i64 / 3),
        "sync messages arrived at {sync_arrivals:?} ms into their slots"
    );
    assert!(proxy.saw("GET /eth/v1/events"));
    assert!(proxy.saw("POST /eth/v1/beacon/pool/attestations"));
    assert!(proxy.saw("POST /eth/v1/validator/aggregate_and_proofs"));
    assert!(proxy.saw_prefix("GET /eth/v2/validator/blocks/"));
    assert!(proxy.saw("POST /eth/v1/beacon/blocks"));
}

/// Refuses every block, and attestations targeting epoch 1 or later.
struct RefuseBlocksAndLaterTargets;

impl SigningGuard for RefuseBlocksAndLaterTargets {
    fn check_block(&self, _: &PublicKey, slot: u64, _: [u8; 32]) -> Result<(), GuardRefusal> {
        Err(GuardRefusal::new(format!(
            "test guard: no block at slot {slot}"
        )))
    }

    fn check_attestation(
        &self,
        _: &PublicKey,
        source_epoch: u64,
        target_epoch: u64,
        _: [u8; 32],
    ) -> Result<(), GuardRefusal> {
        assert!(source_epoch <= target_epoch);
        if target_epoch >= 1 {
            return Err(GuardRefusal::new("test guard: target epoch 1 or later"));
        }
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_signing_guard_is_asked_before_blocks_and_attestations() {
    let seed = 9;
    let last = 11;
    let keys = keys(seed);
    let net = Net::start(ForkName::Fulu, &keys, 700, seed).await;
    let due = net.expected(1, last);
    let proposals = due.get("proposal").map_or(0, BTreeMap::len) as u64;
    assert!(proposals > 0, "the seed must give the client a proposal");
    let attestations_in = |range: std::ops::RangeInclusive<u64>| {
        net.expected(*range.start(), *range.end())["attestation"].len() as u64
    };
    let vc = ValidatorClient::<Minimal>::new(
        config(net.url(), keys),
        Arc::new(RefuseBlocksAndLaterTargets),
    )
    .await
    .unwrap();
    let stats = run_until(&net, vc, last).await;
    let records = net.records(0, last).await;
    assert!(
        !records.iter().any(|r| r["kind"] == "proposal"),
        "no block may be published"
    );
    // A proposal of the slot after `last` may have started before the client stopped.
    let proposals_with_next = net.expected(1, last + 1)["proposal"].len() as u64;
    let proposal = stats.counts(DutyKind::Proposal);
    assert!(
        (proposals..=proposals_with_next).contains(&proposal.refused),
        "{stats}"
    );
    assert_eq!((proposal.signed, proposal.submitted), (0, 0), "{stats}");
    // Epoch 0 attestations (target 0) pass; epoch 1 ones (target 1) are refused, not signed.
    let attestation = stats.counts(DutyKind::Attestation);
    assert_eq!(attestation.submitted, attestations_in(0..=7), "{stats}");
    assert_eq!(attestation.refused, attestations_in(8..=last), "{stats}");
    assert_eq!(attestation.failed, 0, "{stats}");
    let recorded: Vec<u64> = records
        .iter()
        .filter(|r| r["kind"] == "attestation")
        .map(|r| r["slot"].as_u64().unwrap())
        .collect();
    assert!(!recorded.is_empty());
    assert!(recorded.iter().all(|slot| *slot < 8), "{recorded:?}");
    // Sync committee duties are not guarded and still succeed.
    assert_eq!(stats.counts(DutyKind::SyncMessage).failed, 0);
    assert!(stats.counts(DutyKind::SyncMessage).submitted > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builder_mode_registers_validators_and_proposes_blinded_blocks() {
    let seed = 10;
    let last = 9;
    let keys = keys(seed);
    let net = Net::start(ForkName::Fulu, &keys, 800, seed).await;
    net.sim.set_scenario(Scenario {
        builder: true,
        ..Scenario::default()
    });
    assert!(
        net.expected(2, last).contains_key("proposal"),
        "the seed must give the client a proposal after the first registration"
    );
    let proxy = Proxy::start(net.url(), None, &[], None).await;
    let mut config = config(proxy.url.clone(), keys);
    config.builder = true;
    config.gas_limit = 30_000_000;
    let vc = ValidatorClient::<Minimal>::new(config, Arc::new(NoGuard))
        .await
        .unwrap();
    let stats = run_until(&net, vc, last).await;
    assert_every_duty_succeeded(&net, 1, last).await;
    assert_no_failures(&stats);
    let registration = stats.counts(DutyKind::Registration);
    assert_eq!(
        registration.signed, EXPLICIT,
        "signed once, resent each epoch"
    );
    assert_eq!(
        registration.submitted,
        2 * EXPLICIT,
        "epochs 0 and 1:\n{stats}"
    );
    let registered: BTreeSet<u64> = net
        .records(0, last)
        .await
        .iter()
        .filter(|r| r["kind"] == "registration")
        .map(|r| r["validator_index"].as_u64().unwrap())
        .collect();
    assert_eq!(registered, (0..EXPLICIT).collect());
    assert!(proxy.saw_prefix("GET /eth/v3/validator/blocks/"));
    assert!(
        proxy.saw("POST /eth/v2/beacon/blinded_blocks"),
        "the builder's bid wins: blinded blocks are published"
    );
    assert!(!proxy.saw("POST /eth/v2/beacon/blocks"));
}

/// A beacon API proxy in front of `upstream` that logs every request as `METHOD /path`,
/// answers 404 for paths starting with one of `missing` (a node without those endpoints) and,
/// with `rewrite = (real, shown)`, shows the client `shown` wherever the beacon node says
/// `real` (as a distributed-validator node shows public key shares), in both directions.
/// With `selections_without = Some(v)` it answers the distributed-validator selection
/// endpoints itself, like a DV node whose cluster aggregated every proof except validator
/// `v`'s.
struct Proxy {
    url: String,
    log: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Proxy {
    async fn start(
        upstream: String,
        rewrite: Option<(BlsPubkey, BlsPubkey)>,
        missing: &'static [&'static str],
        selections_without: Option<u64>,
    ) -> Self {
        use axum::body::{to_bytes, Body};
        use axum::extract::Request;
        use axum::response::Response;

        let (real, shown) = rewrite.map_or((String::new(), String::new()), |(real, shown)| {
            (real.to_hex(), shown.to_hex())
        });
        let http = reqwest::Client::new();
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let requests = Arc::clone(&log);
        let app = axum::Router::new().fallback(move |request: Request| {
            let (http, upstream, real, shown, requests) = (
                http.clone(),
                upstream.clone(),
                real.clone(),
                shown.clone(),
                Arc::clone(&requests),
            );
            async move {
                let (parts, body) = request.into_parts();
                let path = parts.uri.path().to_owned();
                requests
                    .lock()
                    .unwrap()
                    .push(format!("{} {path}", parts.method));
                let selections = path.ends_with("_committee_selections");
                if let (true, Some(left_out)) = (selections, selections_without) {
                    let body = to_bytes(body, usize::MAX).await.unwrap();
                    let mut list: Vec<Value> = serde_json::from_slice(&body).unwrap();
                    let left_out = left_out.to_string();
                    list.retain(|s| s["validator_index"].as_str() != Some(left_out.as_str()));
                    let answer = serde_json::json!({ "data": list }).to_string();
                    return Response::builder()
                        .header("content-type", "application/json")
                        .body(Body::from(answer))
                        .unwrap();
                }
                if missing.iter().any(|prefix| path.starts_with(prefix)) {
                    return Response::builder()
                        .status(404)
                        .body(Body::from(r#"{"code":404,"message":"not found"}"#))
                        .unwrap();
                }
                let body = to_bytes(body, usize::MAX).await.unwrap();
                let mut body = String::from_utf8_lossy(&body).into_owned();
                if !real.is_empty() {
                    body = body.replace(&shown, &real);
                }
                let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
                let mut forward = http.request(parts.method, format!("{upstream}{target}"));
                for (name, value) in &parts.headers {
                    if name != "host" && name != "content-length" {
                        forward = forward.header(name, value);
                    }
                }
                let answer = forward.body(body).send().await.unwrap();
                let mut response = Response::builder().status(answer.status().as_u16());
                for (name, value) in answer.headers() {
                    if name != "content-length" {
                        response = response.header(name, value);
                    }
                }
                if path == "/eth/v1/events" {
                    // An event stream never ends: pass it on chunk by chunk.
                    let chunks = futures_util::stream::unfold(answer, |mut answer| async move {
                        match answer.chunk().await {
                            Ok(Some(chunk)) => Some((Ok::<_, reqwest::Error>(chunk), answer)),
                            Ok(None) | Err(_) => None,
                        }
                    });
                    return response.body(Body::from_stream(chunks)).unwrap();
                }
                let mut text = answer.text().await.unwrap();
                if !real.is_empty() {
                    text = text.replace(&real, &shown);
                }
                response.body(Body::from(text)).unwrap()
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, log }
    }

    fn saw(&self, request: &str) -> bool {
        self.log.lock().unwrap().iter().any(|r| r == request)
    }

    fn saw_prefix(&self, prefix: &str) -> bool {
        self.log
            .lock()
            .unwrap()
            .iter()
            .any(|r| r.starts_with(prefix))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_is_rejected_by_the_beacon_node_and_counted_as_failed() {
    let seed = 12;
    let last = 7;
    let mut keys = keys(seed);
    let net = Net::start(ForkName::Fulu, &keys, 800, seed).await;
    // The client holds a wrong key for validator 0 and is shown its public key.
    let wrong = filler_secret_key(seed + 1000, 0);
    let real = BlsPubkey(keys[0].public_key().to_bytes());
    let shown = BlsPubkey(wrong.public_key().to_bytes());
    keys[0] = wrong;
    let proxy = Proxy::start(net.url(), Some((real, shown)), &[], None).await;
    let vc = ValidatorClient::<Minimal>::new(config(proxy.url.clone(), keys), Arc::new(NoGuard))
        .await
        .unwrap();
    let stats = run_until(&net, vc, last).await;
    let due = net.expected(0, last);
    let bad_attestations = due["attestation"].keys().filter(|(v, _)| *v == 0).count() as u64;
    let all_attestations = due["attestation"].len() as u64;
    assert!(bad_attestations > 0);
    let attestation = stats.counts(DutyKind::Attestation);
    assert_eq!(attestation.signed, all_attestations, "{stats}");
    assert_eq!(attestation.failed, bad_attestations, "{stats}");
    assert_eq!(
        attestation.submitted,
        all_attestations - bad_attestations,
        "the others in the same request are accepted:\n{stats}"
    );
    let records = net.records(0, last).await;
    assert!(!records.iter().any(|r| r["validator_index"] == 0));
    assert!(records
        .iter()
        .any(|r| r["kind"] == "attestation" && r["validator_index"] == 1));
    if due
        .get("sync_message")
        .is_some_and(|d| d.keys().any(|(v, _)| *v == 0))
    {
        assert!(stats.counts(DutyKind::SyncMessage).failed > 0, "{stats}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn voluntary_exits_are_signed_with_the_capella_domain_and_checked() {
    let seed = 13;
    let keys = keys(seed);
    let pubkeys: Vec<PublicKey> = keys.iter().map(SecretKey::public_key).collect();
    let net = Net::start(ForkName::Fulu, &keys, 800, seed).await;
    let vc = ValidatorClient::<Minimal>::new(config(net.url(), keys), Arc::new(NoGuard))
        .await
        .unwrap();
    let stranger = filler_secret_key(seed + 1000, 0).public_key();
    assert!(matches!(
        vc.exit(&stranger, 0).await,
        Err(mosaic_vc::VcError::UnknownValidator { .. })
    ));
    // Epoch 1 has not started: the beacon node refuses (400), the client counts a failure.
    let early = vc.exit(&pubkeys[3], 1).await.unwrap_err();
    assert!(
        matches!(&early, mosaic_vc::VcError::Beacon { source, .. } if source.status() == Some(400)),
        "{early}"
    );
    // The current epoch is accepted (fulu: EIP-7044 capella domain).
    vc.exit(&pubkeys[3], 0).await.unwrap();
    let exit = vc.stats().counts(DutyKind::Exit);
    assert_eq!((exit.signed, exit.submitted, exit.failed), (2, 1, 1));
    let exits: Vec<u64> = net
        .records(0, 100)
        .await
        .iter()
        .filter(|r| r["kind"] == "exit")
        .map(|r| r["validator_index"].as_u64().unwrap())
        .collect();
    assert_eq!(exits, vec![3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregators_follow_the_selection_proofs_a_dv_node_returns() {
    let seed = 14;
    let last = 7;
    let keys = keys(seed);
    let net = Net::start(ForkName::Fulu, &keys, 800, seed).await;
    // The "DV node" returns every proof but validator 0's: validator 0 must not aggregate,
    // although its own proof would select it (committees here select everyone).
    let proxy = Proxy::start(net.url(), None, &[], Some(0)).await;
    let vc = ValidatorClient::<Minimal>::new(config(proxy.url.clone(), keys), Arc::new(NoGuard))
        .await
        .unwrap();
    let stats = run_until(&net, vc, last).await;
    assert_no_failures(&stats);
    let mut due = net.expected(1, last);
    for kind in ["aggregate", "sync_contribution"] {
        if let Some(duties) = due.get_mut(kind) {
            duties.retain(|(v, _), _| *v != 0);
        }
    }
    let mut actual: BTreeMap<String, BTreeMap<(u64, u64), u64>> = BTreeMap::new();
    for record in net.records(1, last).await {
        assert_eq!(record["included"], true, "{record}");
        let key = (
            record["validator_index"].as_u64().unwrap(),
            record["slot"].as_u64().unwrap(),
        );
        let kind = record["kind"].as_str().unwrap().to_owned();
        *actual.entry(kind).or_default().entry(key).or_default() += 1;
    }
    for kind in [
        "aggregate",
        "sync_contribution",
        "attestation",
        "sync_message",
    ] {
        assert_eq!(actual.get(kind), due.get(kind), "{kind}");
    }
    assert!(
        net.expected(1, last)["aggregate"]
            .keys()
            .any(|(v, _)| *v == 0),
        "validator 0 had an aggregation duty it skipped"
    );
    let calls = proxy
        .log
        .lock()
        .unwrap()
        .iter()
        .filter(|r| *r == "POST /eth/v1/validator/beacon_committee_selections")
        .count();
    assert!(calls >= 2, "the endpoint stays in use: {calls} calls");
}

/// The aggregation-only client beside a full one on the same keys (as `mosaic run
/// --builtin-aggregator` runs beside a validator client without distributed mode): it signs
/// no attestation, block or sync committee message and sends no proposer preparation, yet its
/// aggregates and contributions arrive, each includable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aggregation_only_client_aggregates_and_signs_nothing_else() {
    let seed = 11;
    let last = 15;
    let keys = keys(seed);
    let net = Net::start(ForkName::Capella, &keys, 800, seed).await;
    let proxy = Proxy::start(net.url(), None, &[], None).await;
    let mut aggregation_config = config(proxy.url.clone(), keys.clone());
    aggregation_config.duties = mosaic_vc::DutySelection::AggregationOnly;
    let aggregator = ValidatorClient::<Minimal>::new(aggregation_config, Arc::new(NoGuard))
        .await
        .unwrap();
    let full = ValidatorClient::<Minimal>::new(config(net.url(), keys), Arc::new(NoGuard))
        .await
        .unwrap();
    let (aggregator_stats, full_stats) = tokio::join!(
        run_until(&net, aggregator, last),
        run_until(&net, full, last)
    );
    for kind in [
        DutyKind::Attestation,
        DutyKind::Proposal,
        DutyKind::SyncMessage,
    ] {
        let counts = aggregator_stats.counts(kind);
        assert_eq!(
            counts.signed + counts.submitted + counts.failed,
            0,
            "{kind}:\n{aggregator_stats}"
        );
    }
    for kind in [DutyKind::Aggregation, DutyKind::SyncContribution] {
        assert!(
            aggregator_stats.counts(kind).submitted > 0,
            "{kind}:\n{aggregator_stats}"
        );
    }
    assert!(!proxy.saw("POST /eth/v1/validator/prepare_beacon_proposer"));
    assert!(!proxy.saw("POST /eth/v1/beacon/pool/attestations"));
    assert!(!proxy.saw("POST /eth/v1/beacon/pool/sync_committees"));
    assert!(full_stats.counts(DutyKind::Attestation).submitted > 0);
    // Each attestation once (the full client's), every aggregate includable; the aggregates
    // of each (validator, slot) come from both clients.
    let mut attestations: BTreeMap<(u64, u64), u64> = BTreeMap::new();
    for record in net.records(1, last).await {
        let key = (
            record["validator_index"].as_u64().unwrap(),
            record["slot"].as_u64().unwrap(),
        );
        match record["kind"].as_str().unwrap() {
            "attestation" => *attestations.entry(key).or_default() += 1,
            "aggregate" | "sync_contribution" => {
                assert_eq!(record["included"], true, "{record}")
            }
            _ => {}
        }
    }
    assert!(!attestations.is_empty());
    assert!(
        attestations.values().all(|count| *count == 1),
        "{attestations:?}"
    );
}
