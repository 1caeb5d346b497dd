//! The test rig: a fake node backend, a fake upstream beacon node and a running validator API
//! between them, with the share key a validator client would hold.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use mosaic_core::signeddata::{SignedData, SigningContext};
use mosaic_core::Duty;
use mosaic_crypto::bls::{PublicKey, SecretKey, Signature};
use mosaic_types::consensus::altair::SyncCommitteeContribution;
use mosaic_types::consensus::phase0::{AttestationData, Checkpoint};
use mosaic_types::consensus::versioned::{Attestation, ProducedBlock};
use mosaic_types::consensus::Minimal;
use mosaic_types::{BlsPubkey, BlsSignature, ForkName, Network, Root, Slot};
use mosaic_vapi::{serve, Backend, BackendError, KeyMap, VapiConfig};
use serde_json::{json, Value};
use tokio::sync::{oneshot, Notify};

/// The preset of every test.
pub(crate) type P = Minimal;

/// Values the fake cluster decides, which requests wait for.
pub(crate) struct Decided<K, V> {
    values: Mutex<HashMap<K, V>>,
    notify: Notify,
}

impl<K, V> Default for Decided<K, V> {
    fn default() -> Self {
        Self {
            values: Mutex::new(HashMap::new()),
            notify: Notify::new(),
        }
    }
}

impl<K: Eq + Hash, V: Clone> Decided<K, V> {
    /// Decides `key` and wakes its waiters.
    pub(crate) fn set(&self, key: K, value: V) {
        self.values.lock().unwrap().insert(key, value);
        self.notify.notify_waiters();
    }

    /// Waits until `key` is decided.
    pub(crate) async fn get(&self, key: &K) -> V {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(value) = self.values.lock().unwrap().get(key).cloned() {
                return value;
            }
            notified.await;
        }
    }
}

/// An in-memory node.
#[derive(Default)]
pub(crate) struct FakeBackend {
    pub(crate) attestation_data: Decided<(Slot, u64), AttestationData>,
    pub(crate) proposals: Decided<Slot, ProducedBlock<P>>,
    pub(crate) aggregates: Decided<(Slot, Root), Attestation<P>>,
    pub(crate) contributions: Decided<(Slot, u64, Root), SyncCommitteeContribution<P>>,
    pub(crate) combined: Decided<(Duty, PublicKey), Vec<SignedData<P>>>,
    pub(crate) proposers: Mutex<HashMap<Slot, PublicKey>>,
    pub(crate) indices: Mutex<HashMap<u64, PublicKey>>,
    pub(crate) attesters: Mutex<HashMap<(Slot, u64, u64), PublicKey>>,
    pub(crate) submitted: Mutex<Vec<(PublicKey, SignedData<P>)>>,
    pub(crate) aggregate_committees: Mutex<Vec<Option<u64>>>,
    pub(crate) seen: AtomicUsize,
}

impl FakeBackend {
    /// Adds a combined object for `(duty, dv)`.
    pub(crate) fn add_combined(&self, duty: Duty, dv: PublicKey, data: SignedData<P>) {
        let mut list = self
            .combined
            .values
            .lock()
            .unwrap()
            .get(&(duty, dv))
            .cloned()
            .unwrap_or_default();
        list.push(data);
        self.combined.set((duty, dv), list);
    }

    /// Everything submitted so far.
    pub(crate) fn submitted(&self) -> Vec<(PublicKey, SignedData<P>)> {
        self.submitted.lock().unwrap().clone()
    }
}

impl Backend<P> for FakeBackend {
    async fn attestation_data(
        &self,
        slot: Slot,
        committee_index: u64,
    ) -> Result<AttestationData, BackendError> {
        Ok(self.attestation_data.get(&(slot, committee_index)).await)
    }

    async fn proposer(&self, slot: Slot) -> Option<PublicKey> {
        self.proposers.lock().unwrap().get(&slot).copied()
    }

    async fn proposal(&self, slot: Slot) -> Result<ProducedBlock<P>, BackendError> {
        Ok(self.proposals.get(&slot).await)
    }

    async fn aggregate_attestation(
        &self,
        slot: Slot,
        attestation_data_root: Root,
        committee_index: Option<u64>,
    ) -> Result<Attestation<P>, BackendError> {
        self.aggregate_committees
            .lock()
            .unwrap()
            .push(committee_index);
        Ok(self.aggregates.get(&(slot, attestation_data_root)).await)
    }

    async fn sync_contribution(
        &self,
        slot: Slot,
        subcommittee_index: u64,
        beacon_block_root: Root,
    ) -> Result<SyncCommitteeContribution<P>, BackendError> {
        Ok(self
            .contributions
            .get(&(slot, subcommittee_index, beacon_block_root))
            .await)
    }

    async fn submit_partials(
        &self,
        partials: Vec<(PublicKey, SignedData<P>, Signature)>,
    ) -> Result<(), BackendError> {
        for (_, data, signature) in &partials {
            // The decoded signature handed over is the object's own.
            assert_eq!(signature.to_bytes(), data.signature().0);
        }
        self.submitted
            .lock()
            .unwrap()
            .extend(partials.into_iter().map(|(dv, data, _)| (dv, data)));
        Ok(())
    }

    async fn await_aggregate(
        &self,
        duty: Duty,
        dv_pubkey: PublicKey,
        message_root: Option<Root>,
    ) -> Result<SignedData<P>, BackendError> {
        let combined = self.combined.get(&(duty, dv_pubkey)).await;
        // The object with the asked message root; else the first one (a node that combined
        // the wrong object, for the test that the validator API catches it).
        let wanted = combined
            .iter()
            .find(|data| message_root.is_none_or(|root| data.message_root() == root));
        Ok(wanted.unwrap_or(&combined[0]).clone())
    }

    fn dv_pubkey_by_index(&self, validator_index: u64) -> Option<PublicKey> {
        self.indices.lock().unwrap().get(&validator_index).copied()
    }

    fn attester_pubkey(
        &self,
        slot: Slot,
        committee_index: u64,
        validator_committee_index: u64,
    ) -> Option<PublicKey> {
        self.attesters
            .lock()
            .unwrap()
            .get(&(slot, committee_index, validator_committee_index))
            .copied()
    }

    fn validator_client_seen(&self) {
        self.seen.fetch_add(1, Ordering::Relaxed);
    }
}

/// One request the fake beacon node received.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub(crate) method: String,
    pub(crate) path_and_query: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// The fake beacon node's state.
pub(crate) struct FakeBn {
    pub(crate) requests: Mutex<Vec<Recorded>>,
    /// The cluster validator's DV key, which the node's answers use.
    pub(crate) dv: BlsPubkey,
    /// A validator that is not the cluster's.
    pub(crate) other: BlsPubkey,
}

impl FakeBn {
    /// The last request received.
    pub(crate) fn last(&self) -> Recorded {
        self.requests
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("a request")
    }
}

async fn record(state: &FakeBn, request: Request) -> Recorded {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let recorded = Recorded {
        method: parts.method.to_string(),
        path_and_query: parts.uri.path_and_query().unwrap().to_string(),
        headers: parts.headers,
        body,
    };
    state.requests.lock().unwrap().push(recorded.clone());
    recorded
}

fn validator_json(pubkey: BlsPubkey, index: u64) -> Value {
    json!({
        "index": index.to_string(), "balance": "32000000000", "status": "active_ongoing",
        "validator": {
            "pubkey": pubkey.to_hex(), "withdrawal_credentials": Root([1; 32]).to_hex(),
            "effective_balance": "32000000000", "slashed": false,
            "activation_eligibility_epoch": "0", "activation_epoch": "0",
            "exit_epoch": "18446744073709551615", "withdrawable_epoch": "18446744073709551615"
        }
    })
}

async fn bn_attester_duties(State(bn): State<Arc<FakeBn>>, request: Request) -> Response {
    record(&bn, request).await;
    let duty = |pubkey: BlsPubkey, index: u64| {
        json!({"pubkey": pubkey.to_hex(), "validator_index": index.to_string(),
               "committee_index": "1", "committee_length": "8", "committees_at_slot": "2",
               "validator_committee_index": "3", "slot": "17"})
    };
    axum::Json(
        json!({"dependent_root": Root([5; 32]).to_hex(), "execution_optimistic": false,
                      "data": [duty(bn.dv, 1), duty(bn.other, 2)]}),
    )
    .into_response()
}

async fn bn_proposer_duties(State(bn): State<Arc<FakeBn>>, request: Request) -> Response {
    record(&bn, request).await;
    axum::Json(
        json!({"dependent_root": Root([5; 32]).to_hex(), "execution_optimistic": false,
        "data": [{"pubkey": bn.dv.to_hex(), "validator_index": "1", "slot": "16"},
                 {"pubkey": bn.other.to_hex(), "validator_index": "2", "slot": "17"}]}),
    )
    .into_response()
}

async fn bn_sync_duties(State(bn): State<Arc<FakeBn>>, request: Request) -> Response {
    record(&bn, request).await;
    axum::Json(json!({"execution_optimistic": false,
        "data": [{"pubkey": bn.dv.to_hex(), "validator_index": "1",
                  "validator_sync_committee_indices": ["0", "9"]}]}))
    .into_response()
}

async fn bn_validators(State(bn): State<Arc<FakeBn>>, request: Request) -> Response {
    record(&bn, request).await;
    axum::Json(json!({"execution_optimistic": false, "finalized": true,
        "data": [validator_json(bn.dv, 1), validator_json(bn.other, 2)]}))
    .into_response()
}

async fn bn_validator(State(bn): State<Arc<FakeBn>>, request: Request) -> Response {
    let recorded = record(&bn, request).await;
    if recorded.path_and_query.ends_with("/404") {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"code": 404, "message": "validator not found"})),
        )
            .into_response();
    }
    axum::Json(json!({"execution_optimistic": false, "finalized": false,
                      "data": validator_json(bn.dv, 1)}))
    .into_response()
}

async fn bn_events(State(bn): State<Arc<FakeBn>>, request: Request) -> Response {
    let recorded = record(&bn, request).await;
    if recorded.path_and_query.contains("forever") {
        let endless = futures_util::stream::unfold((), |()| async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            Some((
                Ok::<_, std::io::Error>(Bytes::from_static(b": keepalive\n\n")),
                (),
            ))
        });
        return Response::builder()
            .header("content-type", "text/event-stream")
            .body(Body::from_stream(endless))
            .unwrap();
    }
    let chunks = [
        "event: head\ndata: {\"slot\":\"1\"}\n\n",
        "event: head\ndata: {\"slot\":\"2\"}\n\n",
    ];
    let stream = futures_util::stream::unfold(0usize, move |index| async move {
        if index >= chunks.len() {
            return None;
        }
        if index > 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Some((
            Ok::<_, std::io::Error>(Bytes::from_static(chunks[index].as_bytes())),
            index + 1,
        ))
    });
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from_stream(stream))
        .unwrap()
}

async fn bn_echo(State(bn): State<Arc<FakeBn>>, request: Request) -> Response {
    let recorded = record(&bn, request).await;
    let answer = json!({
        "method": recorded.method,
        "path_and_query": recorded.path_and_query,
        "body": String::from_utf8_lossy(&recorded.body),
        "x_test": recorded.headers.get("x-test").map(|v| v.to_str().unwrap().to_owned()),
    });
    (
        StatusCode::ACCEPTED,
        [("x-upstream", "fake")],
        axum::Json(answer),
    )
        .into_response()
}

async fn start_bn(dv: BlsPubkey, other: BlsPubkey) -> (String, Arc<FakeBn>) {
    let bn = Arc::new(FakeBn {
        requests: Mutex::new(Vec::new()),
        dv,
        other,
    });
    let router = Router::new()
        .route(
            "/eth/v1/validator/duties/attester/{epoch}",
            post(bn_attester_duties),
        )
        .route(
            "/eth/v1/validator/duties/proposer/{epoch}",
            get(bn_proposer_duties),
        )
        .route(
            "/eth/v1/validator/duties/sync/{epoch}",
            post(bn_sync_duties),
        )
        .route(
            "/eth/v1/beacon/states/{state}/validators",
            get(bn_validators).post(bn_validators),
        )
        .route(
            "/eth/v1/beacon/states/{state}/validators/{id}",
            get(bn_validator),
        )
        .route("/eth/v1/events", get(bn_events))
        .fallback(bn_echo)
        .with_state(bn.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (format!("http://{address}"), bn)
}

/// A running validator API with its fake backend and beacon node.
pub(crate) struct Harness {
    pub(crate) url: String,
    pub(crate) http: reqwest::Client,
    pub(crate) backend: Arc<FakeBackend>,
    pub(crate) bn: Arc<FakeBn>,
    /// The distributed validator's (group) secret key, to make combined signatures.
    pub(crate) dv_key: SecretKey,
    /// This node's share of it, as the validator client holds it.
    pub(crate) share_key: SecretKey,
    /// A key that is neither.
    pub(crate) stranger_key: SecretKey,
    pub(crate) signing: SigningContext,
    shutdown: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

/// The validator index of the cluster's validator.
pub(crate) const INDEX: u64 = 1;

impl Harness {
    /// Starts everything with a 2 s request timeout.
    pub(crate) async fn start() -> Self {
        Self::start_with_timeout(Duration::from_secs(2)).await
    }

    /// Starts everything with the validator API proxying to `urls` only.
    pub(crate) async fn start_with_upstream(urls: Vec<String>) -> Self {
        Self::start_with(Duration::from_secs(2), Some(urls), false).await
    }

    /// Starts everything with the validator API proxying to `urls`, then the fake node.
    pub(crate) async fn start_with_upstream_then_fake(urls: Vec<String>) -> Self {
        Self::start_with(Duration::from_secs(2), Some(urls), true).await
    }

    /// Starts everything.
    pub(crate) async fn start_with_timeout(request_timeout: Duration) -> Self {
        Self::start_with(request_timeout, None, true).await
    }

    /// Starts everything, with the aggregation endpoints refused (the node aggregates
    /// elsewhere).
    pub(crate) async fn start_aggregating_elsewhere() -> Self {
        Self::start_full(Duration::from_secs(2), None, true, true).await
    }

    async fn start_with(
        request_timeout: Duration,
        urls: Option<Vec<String>>,
        with_fake: bool,
    ) -> Self {
        Self::start_full(request_timeout, urls, with_fake, false).await
    }

    async fn start_full(
        request_timeout: Duration,
        urls: Option<Vec<String>>,
        with_fake: bool,
        aggregation_elsewhere: bool,
    ) -> Self {
        let dv_key = SecretKey::from_bytes(&[1; 32]).unwrap();
        let share_key = SecretKey::from_bytes(&[2; 32]).unwrap();
        let stranger_key = SecretKey::from_bytes(&[3; 32]).unwrap();
        let other = SecretKey::from_bytes(&[4; 32]).unwrap().public_key();
        let dv = dv_key.public_key();
        let (bn_url, bn) = start_bn(BlsPubkey(dv.to_bytes()), BlsPubkey(other.to_bytes())).await;
        let backend = Arc::new(FakeBackend::default());
        backend.indices.lock().unwrap().insert(INDEX, dv);
        let signing = SigningContext {
            network: Network::mainnet(),
            genesis_validators_root: Root([7; 32]),
        };
        let config = VapiConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            beacon_node_urls: urls
                .unwrap_or_default()
                .into_iter()
                .chain(with_fake.then_some(bn_url))
                .collect(),
            keys: KeyMap::new([(dv, share_key.public_key())]).unwrap(),
            signing: signing.clone(),
            request_timeout,
            aggregation_elsewhere,
        };
        let (shutdown, stop) = oneshot::channel::<()>();
        let (address, task) = serve::<P, _>(config, backend.clone(), async move {
            let _ = stop.await;
        })
        .await
        .unwrap();
        Self {
            url: format!("http://{address}"),
            http: reqwest::Client::new(),
            backend,
            bn,
            dv_key,
            share_key,
            stranger_key,
            signing,
            shutdown,
            task,
        }
    }

    /// Shuts the validator API down; whether its task ended within `limit`.
    pub(crate) async fn stop(self, limit: Duration) -> bool {
        let _ = self.shutdown.send(());
        tokio::time::timeout(limit, self.task).await.is_ok()
    }

    pub(crate) fn dv(&self) -> PublicKey {
        self.dv_key.public_key()
    }

    pub(crate) fn share(&self) -> PublicKey {
        self.share_key.public_key()
    }

    /// `data` signed with `key` over its signing root.
    pub(crate) fn signed_by(&self, key: &SecretKey, data: &SignedData<P>) -> SignedData<P> {
        data.with_signature(self.signature_by(key, data.signing_root(&self.signing)))
    }

    /// `data` with this node's partial signature (as the validator client signs it).
    pub(crate) fn signed(&self, data: &SignedData<P>) -> SignedData<P> {
        self.signed_by(&self.share_key, data)
    }

    pub(crate) fn signature_by(&self, key: &SecretKey, root: Root) -> BlsSignature {
        BlsSignature(key.sign(&root.0).to_bytes())
    }

    /// The first slot of `fork` on the test network (mainnet's schedule), plus `offset`.
    pub(crate) fn slot_at(&self, fork: ForkName, offset: u64) -> Slot {
        let forks = &self.signing.network.forks;
        let epoch = match fork {
            ForkName::Phase0 => 0,
            ForkName::Altair => forks.altair.epoch,
            ForkName::Bellatrix => forks.bellatrix.epoch,
            ForkName::Capella => forks.capella.epoch,
            ForkName::Deneb => forks.deneb.epoch,
            ForkName::Electra => forks.electra.epoch,
            ForkName::Fulu => forks.fulu.epoch,
        };
        epoch * self.signing.network.slots_per_epoch + offset
    }

    pub(crate) async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap()
    }

    pub(crate) async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.url))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub(crate) async fn post_versioned(
        &self,
        path: &str,
        fork: ForkName,
        body: &Value,
    ) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.url))
            .header("Eth-Consensus-Version", fork.as_str())
            .json(body)
            .send()
            .await
            .unwrap()
    }
}

/// A response's status and JSON body.
pub(crate) async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, value)
}

/// Asserts a beacon-API error with `status` whose message contains every one of `needles`.
pub(crate) async fn assert_error(response: reqwest::Response, status: u16, needles: &[&str]) {
    let (actual, body) = json_of(response).await;
    assert_eq!(actual, status, "{body}");
    assert_eq!(body["code"], json!(status), "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    for needle in needles {
        assert!(message.contains(needle), "{message:?} lacks {needle:?}");
    }
}

/// Attestation data for `slot`.
pub(crate) fn attestation_data(slot: Slot, index: u64) -> AttestationData {
    AttestationData {
        slot,
        index,
        beacon_block_root: Root([0x11; 32]),
        source: Checkpoint {
            epoch: (slot / 32).saturating_sub(1),
            root: Root([0x22; 32]),
        },
        target: Checkpoint {
            epoch: slot / 32,
            root: Root([0x33; 32]),
        },
    }
}

/// A beacon node that answers every request with 503 (syncing).
pub(crate) async fn start_sick_bn() -> String {
    let router = Router::new().fallback(|| async {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"code": 503, "message": "node is syncing"})),
        )
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{address}")
}
