//! The Beacon API over HTTP on 127.0.0.1 (axum), plus the `/mosaic/simnet/` admin API.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::stream::{self, Stream};
use mosaic_types::{
    BlsPubkey, ExecutionAddress, ForkName, Root, SignedValidatorRegistrationV1, FAR_FUTURE_EPOCH,
};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tree_hash::TreeHash;

use crate::block_api;
use crate::chain::Chain;
use crate::containers::{
    Attestation, Bitlist, SignedVoluntaryExit, SingleAttestation, SyncCommitteeMessage,
};
use crate::sim::{ChainEvent, PoolEntry, Reset, Scenario, Shared, Simulator};
use crate::verify::{self, Checked, SignedAggregateAndProof, SignedContributionAndProof};
use crate::Error;

pub(crate) type AppState = Arc<Shared>;

/// A Beacon API error: `{"code": N, "message": "...", "failures": [...]}`.
#[derive(Debug)]
pub struct ApiError {
    code: StatusCode,
    message: String,
    failures: Vec<(usize, String)>,
}

impl ApiError {
    pub(crate) fn new(code: StatusCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            failures: Vec::new(),
        }
    }
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"code": self.code.as_u16(), "message": self.message});
        if !self.failures.is_empty() {
            body["failures"] = self
                .failures
                .iter()
                .map(|(index, message)| json!({"index": index.to_string(), "message": message}))
                .collect();
        }
        (self.code, Json(body)).into_response()
    }
}

pub(crate) type ApiResult = Result<Response, ApiError>;

fn ok(value: Value) -> ApiResult {
    Ok(Json(value).into_response())
}

fn parse_json<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("invalid request body: {e}")))
}

pub(crate) fn parse_u64(text: &str, what: &str) -> Result<u64, ApiError> {
    text.parse()
        .map_err(|_| ApiError::bad_request(format!("invalid {what}: {text:?}")))
}

pub(crate) fn quoted(value: u64) -> Value {
    Value::String(value.to_string())
}

fn consensus_version_header(headers: &HeaderMap, chain: &Chain) -> Result<(), ApiError> {
    let Some(value) = headers.get("eth-consensus-version") else {
        return Err(ApiError::bad_request(
            "missing Eth-Consensus-Version header",
        ));
    };
    let value = value.to_str().unwrap_or_default().to_ascii_lowercase();
    if value != chain.fork().as_str() {
        return Err(ApiError::bad_request(format!(
            "Eth-Consensus-Version {value:?} does not match the chain's fork {:?}",
            chain.fork().as_str()
        )));
    }
    Ok(())
}

/// A running server.
#[derive(Debug)]
pub struct ServerHandle {
    /// The bound address.
    pub address: SocketAddr,
    server: JoinHandle<()>,
    ticker: JoinHandle<()>,
}

impl ServerHandle {
    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Stops the server and the ticker.
    pub fn shutdown(self) {
        self.server.abort();
        self.ticker.abort();
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.server.abort();
        self.ticker.abort();
    }
}

impl Simulator {
    /// Serves the Beacon API on `127.0.0.1:port` (0 for any free port) and ticks the chain in
    /// the background. Must be called inside a tokio runtime.
    pub async fn serve(&self, port: u16) -> Result<ServerHandle, Error> {
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let listener = TcpListener::bind(address)
            .await
            .map_err(|e| Error::Server {
                address: address.to_string(),
                reason: e.to_string(),
            })?;
        let address = listener.local_addr().map_err(|e| Error::Server {
            address: address.to_string(),
            reason: e.to_string(),
        })?;
        let app = router(self.shared.clone());
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::warn!(%error, "simnet server stopped");
            }
        });
        let shared = self.shared.clone();
        let tick_every =
            Duration::from_millis((shared.chain().config().slot_ms() / 10).clamp(5, 100));
        let ticker = tokio::spawn(async move {
            loop {
                shared.tick();
                // A slot's block (and head event) comes at its start, not up to a tick later.
                let next_slot = Duration::from_millis(shared.until_next_slot_ms().max(1));
                tokio::time::sleep(tick_every.min(next_slot)).await;
            }
        });
        Ok(ServerHandle {
            address,
            server,
            ticker,
        })
    }
}

/// Largest request body the simulated beacon node takes.
const BODY_LIMIT: usize = 64 * 1024 * 1024;

/// The router (exposed for in-process tests).
pub(crate) fn router(state: AppState) -> Router {
    let beacon = Router::new()
        .route("/eth/v1/beacon/genesis", get(genesis))
        .route("/eth/v1/config/spec", get(config_spec))
        .route("/eth/v1/config/fork_schedule", get(fork_schedule))
        .route("/eth/v1/config/deposit_contract", get(deposit_contract))
        .route("/eth/v1/node/syncing", get(syncing))
        .route("/eth/v1/node/version", get(version))
        .route("/eth/v1/node/health", get(health))
        .route(
            "/eth/v1/beacon/states/{state_id}/validators",
            get(validators_get).post(validators_post),
        )
        .route("/eth/v1/beacon/states/{state_id}/fork", get(state_fork))
        .route(
            "/eth/v1/beacon/states/{state_id}/finality_checkpoints",
            get(finality),
        )
        .route("/eth/v1/beacon/headers", get(head_header))
        .route("/eth/v1/beacon/headers/{block_id}", get(header))
        .route("/eth/v1/beacon/blocks/{block_id}/root", get(block_root))
        .route(
            "/eth/v3/validator/blocks/{slot}",
            get(block_api::produce_v3),
        )
        .route(
            "/eth/v2/validator/blocks/{slot}",
            get(block_api::produce_v2),
        )
        .route(
            "/eth/v1/validator/blinded_blocks/{slot}",
            get(block_api::produce_blinded_v1),
        )
        .route("/eth/v1/beacon/blocks", post(block_api::publish_v1))
        .route("/eth/v2/beacon/blocks", post(block_api::publish_v2))
        .route(
            "/eth/v1/beacon/blinded_blocks",
            post(block_api::publish_blinded_v1),
        )
        .route(
            "/eth/v2/beacon/blinded_blocks",
            post(block_api::publish_blinded_v2),
        )
        .route(
            "/eth/v1/validator/duties/attester/{epoch}",
            post(attester_duties),
        )
        .route(
            "/eth/v1/validator/duties/proposer/{epoch}",
            get(proposer_duties),
        )
        .route("/eth/v1/validator/duties/sync/{epoch}", post(sync_duties))
        .route("/eth/v1/validator/attestation_data", get(attestation_data))
        .route(
            "/eth/v1/beacon/pool/attestations",
            post(pool_attestations_v1),
        )
        .route(
            "/eth/v2/beacon/pool/attestations",
            post(pool_attestations_v2),
        )
        .route("/eth/v1/validator/aggregate_attestation", get(aggregate_v1))
        .route("/eth/v2/validator/aggregate_attestation", get(aggregate_v2))
        .route(
            "/eth/v1/validator/aggregate_and_proofs",
            post(aggregate_and_proofs_v1),
        )
        .route(
            "/eth/v2/validator/aggregate_and_proofs",
            post(aggregate_and_proofs_v2),
        )
        .route(
            "/eth/v1/validator/beacon_committee_subscriptions",
            post(accept_list),
        )
        .route(
            "/eth/v1/validator/sync_committee_subscriptions",
            post(accept_list),
        )
        .route(
            "/eth/v1/beacon/pool/sync_committees",
            post(pool_sync_committees),
        )
        .route(
            "/eth/v1/validator/sync_committee_contribution",
            get(sync_contribution),
        )
        .route(
            "/eth/v1/validator/contribution_and_proofs",
            post(contribution_and_proofs),
        )
        .route(
            "/eth/v1/validator/prepare_beacon_proposer",
            post(prepare_beacon_proposer),
        )
        .route(
            "/eth/v1/validator/register_validator",
            post(register_validator),
        )
        .route("/eth/v1/beacon/pool/voluntary_exits", post(voluntary_exits))
        .route("/eth/v1/validator/liveness/{epoch}", post(liveness))
        .route("/eth/v1/events", get(events))
        .route(
            "/eth/v1/validator/beacon_committee_selections",
            post(not_implemented),
        )
        .route(
            "/eth/v1/validator/sync_committee_selections",
            post(not_implemented),
        )
        .layer(middleware::from_fn_with_state(state.clone(), faults))
        // axum's default (2 MB) is less than a large cluster's requests: the validator query
        // for 30,000 public keys is about 3 MB, their registrations about 12 MB.
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT));
    let admin = Router::new()
        .route("/mosaic/simnet/records", get(admin_records))
        .route("/mosaic/simnet/summary", get(admin_summary))
        .route(
            "/mosaic/simnet/scenario",
            get(admin_scenario_get).post(admin_scenario_set),
        )
        .route("/mosaic/simnet/reset", post(admin_reset))
        .route("/mosaic/simnet/slashable", get(admin_slashable));
    beacon.merge(admin).with_state(state)
}

/// Latency and error injection for the Beacon API routes; the chain is brought to the clock and
/// the request counted by path before every request. Failures planned for the path come first,
/// then the scenario's latency and error rate.
async fn faults(State(state): State<AppState>, request: Request, next: Next) -> Response {
    state.tick();
    let path = request.uri().path();
    state.count_request(path);
    if state.take_planned_failure(path) {
        return ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "injected error (planned by the test)",
        )
        .into_response();
    }
    let scenario = state.scenario();
    if scenario.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(scenario.latency_ms)).await;
    }
    if state.draw_error() {
        return ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "injected error (simnet scenario)",
        )
        .into_response();
    }
    next.run(request).await
}

pub(crate) fn refuse_if_syncing(state: &Shared) -> Result<(), ApiError> {
    if state.scenario().syncing {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "beacon node is syncing",
        ));
    }
    Ok(())
}

async fn genesis(State(state): State<AppState>) -> ApiResult {
    let chain = state.chain();
    ok(json!({"data": {
        "genesis_time": quoted(chain.config().genesis_time),
        "genesis_validators_root": chain.genesis_validators_root(),
        "genesis_fork_version": chain.network().genesis_fork_version,
    }}))
}

async fn config_spec(State(state): State<AppState>) -> ApiResult {
    let chain = state.chain();
    let config = chain.config();
    let network = chain.network();
    let preset = config.preset;
    let mut data = serde_json::Map::new();
    let mut put = |key: &str, value: String| {
        data.insert(key.to_string(), Value::String(value));
    };
    put("CONFIG_NAME", "dev".into());
    put("PRESET_BASE", preset.name().into());
    put(
        "SECONDS_PER_SLOT",
        (config.slot_ms() / 1000).max(1).to_string(),
    );
    put("SLOT_DURATION_MS", config.slot_ms().to_string());
    put("SLOTS_PER_EPOCH", config.slots_per_epoch.to_string());
    put("MIN_GENESIS_TIME", config.genesis_time.to_string());
    put("GENESIS_DELAY", "0".into());
    put(
        "GENESIS_FORK_VERSION",
        network.genesis_fork_version.to_string(),
    );
    for (name, fork) in network.forks.forks() {
        let upper = name.as_str().to_ascii_uppercase();
        put(&format!("{upper}_FORK_VERSION"), fork.version.to_string());
        put(&format!("{upper}_FORK_EPOCH"), fork.epoch.to_string());
    }
    put("DEPOSIT_CHAIN_ID", network.chain_id.to_string());
    put("DEPOSIT_NETWORK_ID", network.chain_id.to_string());
    put(
        "DEPOSIT_CONTRACT_ADDRESS",
        network.deposit_contract_address.to_string(),
    );
    put(
        "TARGET_COMMITTEE_SIZE",
        preset.target_committee_size().to_string(),
    );
    put(
        "MAX_COMMITTEES_PER_SLOT",
        preset.max_committees_per_slot().to_string(),
    );
    put(
        "MAX_VALIDATORS_PER_COMMITTEE",
        preset.max_validators_per_committee().to_string(),
    );
    put(
        "SHUFFLE_ROUND_COUNT",
        preset.shuffle_round_count().to_string(),
    );
    put(
        "SYNC_COMMITTEE_SIZE",
        preset.sync_committee_size().to_string(),
    );
    put(
        "SYNC_COMMITTEE_SUBNET_COUNT",
        crate::spec::SYNC_COMMITTEE_SUBNET_COUNT.to_string(),
    );
    put(
        "EPOCHS_PER_SYNC_COMMITTEE_PERIOD",
        preset.epochs_per_sync_committee_period().to_string(),
    );
    put(
        "TARGET_AGGREGATORS_PER_COMMITTEE",
        crate::spec::TARGET_AGGREGATORS_PER_COMMITTEE.to_string(),
    );
    put(
        "TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE",
        crate::spec::TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE.to_string(),
    );
    put(
        "MAX_EFFECTIVE_BALANCE",
        crate::spec::MAX_EFFECTIVE_BALANCE.to_string(),
    );
    put(
        "MAX_EFFECTIVE_BALANCE_ELECTRA",
        crate::spec::MAX_EFFECTIVE_BALANCE_ELECTRA.to_string(),
    );
    put("EPOCHS_PER_HISTORICAL_VECTOR", "65536".into());
    put("MIN_SEED_LOOKAHEAD", "1".into());
    put("MAX_SEED_LOOKAHEAD", "4".into());
    put("ATTESTATION_SUBNET_COUNT", "64".into());
    put("INTERVALS_PER_SLOT", "3".into());
    for (key, domain) in [
        (
            "DOMAIN_BEACON_PROPOSER",
            mosaic_types::DOMAIN_BEACON_PROPOSER,
        ),
        (
            "DOMAIN_BEACON_ATTESTER",
            mosaic_types::DOMAIN_BEACON_ATTESTER,
        ),
        ("DOMAIN_RANDAO", mosaic_types::DOMAIN_RANDAO),
        ("DOMAIN_DEPOSIT", mosaic_types::DOMAIN_DEPOSIT),
        ("DOMAIN_VOLUNTARY_EXIT", mosaic_types::DOMAIN_VOLUNTARY_EXIT),
        (
            "DOMAIN_SELECTION_PROOF",
            mosaic_types::DOMAIN_SELECTION_PROOF,
        ),
        (
            "DOMAIN_AGGREGATE_AND_PROOF",
            mosaic_types::DOMAIN_AGGREGATE_AND_PROOF,
        ),
        ("DOMAIN_SYNC_COMMITTEE", mosaic_types::DOMAIN_SYNC_COMMITTEE),
        (
            "DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF",
            mosaic_types::DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF,
        ),
        (
            "DOMAIN_CONTRIBUTION_AND_PROOF",
            mosaic_types::DOMAIN_CONTRIBUTION_AND_PROOF,
        ),
        (
            "DOMAIN_APPLICATION_MASK",
            mosaic_types::DOMAIN_APPLICATION_MASK,
        ),
    ] {
        put(key, domain.to_string());
    }
    ok(json!({"data": data}))
}

async fn fork_schedule(State(state): State<AppState>) -> ApiResult {
    let chain = state.chain();
    let network = chain.network();
    let mut previous = network.genesis_fork_version;
    let mut data =
        vec![json!({"previous_version": previous, "current_version": previous, "epoch": "0"})];
    for (_, fork) in network.forks.forks() {
        if fork.epoch == FAR_FUTURE_EPOCH {
            continue;
        }
        data.push(json!({"previous_version": previous, "current_version": fork.version, "epoch": quoted(fork.epoch)}));
        previous = fork.version;
    }
    ok(json!({"data": data}))
}

async fn deposit_contract(State(state): State<AppState>) -> ApiResult {
    let chain = state.chain();
    ok(
        json!({"data": {"chain_id": quoted(chain.network().chain_id), "address": chain.network().deposit_contract_address}}),
    )
}

async fn syncing(State(state): State<AppState>) -> ApiResult {
    let syncing = state.scenario().syncing;
    let chain = state.chain();
    ok(json!({"data": {
        "head_slot": quoted(chain.head().header.slot),
        "sync_distance": quoted(if syncing { 64 } else { chain.processed_slot() - chain.head().header.slot }),
        "is_syncing": syncing,
        "is_optimistic": false,
        "el_offline": false,
    }}))
}

async fn version() -> ApiResult {
    ok(json!({"data": {"version": format!("Mosaic-simnet/v{}", env!("CARGO_PKG_VERSION"))}}))
}

async fn health(State(state): State<AppState>) -> Response {
    if state.scenario().syncing {
        StatusCode::PARTIAL_CONTENT.into_response()
    } else {
        StatusCode::OK.into_response()
    }
}

/// The state at `state_id` must be one the simulator can answer for: every state has the same
/// registry, so any known id is accepted.
fn check_state_id(chain: &Chain, state_id: &str) -> Result<(), ApiError> {
    match state_id {
        "head" | "genesis" | "finalized" | "justified" => Ok(()),
        id if id.starts_with("0x") => Root::from_hex(id)
            .map(|_| ())
            .map_err(|e| ApiError::bad_request(format!("invalid state id {id:?}: {e}"))),
        id => {
            let slot = parse_u64(id, "state id")?;
            if slot > chain.processed_slot() {
                return Err(ApiError::not_found(format!(
                    "state at slot {slot} not found"
                )));
            }
            Ok(())
        }
    }
}

fn validator_status(chain: &Chain, exit_epoch: u64) -> &'static str {
    let epoch = chain.epoch_of(chain.processed_slot());
    if exit_epoch == FAR_FUTURE_EPOCH {
        "active_ongoing"
    } else if epoch < exit_epoch {
        "active_exiting"
    } else {
        "exited_unslashed"
    }
}

fn status_matches(status: &str, filters: &[String]) -> bool {
    filters.is_empty()
        || filters.iter().any(|f| {
            f == status
                || (f == "active" && status.starts_with("active_"))
                || (f == "exited" && status.starts_with("exited_"))
        })
}

fn validators_response(chain: &Chain, ids: &[String], statuses: &[String]) -> ApiResult {
    let wanted: Option<Vec<u64>> = if ids.is_empty() {
        None
    } else {
        let mut out = Vec::new();
        for id in ids {
            if id.starts_with("0x") {
                let pubkey = BlsPubkey::from_hex(id).map_err(|e| {
                    ApiError::bad_request(format!("invalid validator id {id:?}: {e}"))
                })?;
                out.extend(chain.index_of(&pubkey));
            } else {
                out.push(parse_u64(id, "validator id")?);
            }
        }
        Some(out)
    };
    let render = |index: u64| -> Option<Value> {
        let v = chain.validators().get(index as usize)?;
        let status = validator_status(chain, v.exit_epoch);
        if !status_matches(status, statuses) {
            return None;
        }
        let withdrawable = if v.exit_epoch == FAR_FUTURE_EPOCH {
            FAR_FUTURE_EPOCH
        } else {
            v.exit_epoch + 256
        };
        Some(json!({
            "index": quoted(index),
            "balance": quoted(crate::spec::MAX_EFFECTIVE_BALANCE),
            "status": status,
            "validator": {
                "pubkey": v.pubkey,
                "withdrawal_credentials": v.withdrawal_credentials,
                "effective_balance": quoted(crate::spec::MAX_EFFECTIVE_BALANCE),
                "slashed": false,
                "activation_eligibility_epoch": "0",
                "activation_epoch": "0",
                "exit_epoch": quoted(v.exit_epoch),
                "withdrawable_epoch": quoted(withdrawable),
            }
        }))
    };
    let data: Vec<Value> = match wanted {
        Some(indices) => indices.into_iter().filter_map(render).collect(),
        None => (0..chain.validators().len() as u64)
            .filter_map(render)
            .collect(),
    };
    ok(json!({"execution_optimistic": false, "finalized": false, "data": data}))
}

pub(crate) fn split_list(values: &[(String, String)], key: &str) -> Vec<String> {
    values
        .iter()
        .filter(|(k, _)| k == key)
        .flat_map(|(_, v)| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect()
}

async fn validators_get(
    State(state): State<AppState>,
    Path(state_id): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> ApiResult {
    let chain = state.chain();
    check_state_id(&chain, &state_id)?;
    validators_response(
        &chain,
        &split_list(&query, "id"),
        &split_list(&query, "status"),
    )
}

#[derive(Deserialize, Default)]
struct ValidatorsBody {
    #[serde(default)]
    ids: Option<Vec<String>>,
    #[serde(default)]
    statuses: Option<Vec<String>>,
}

async fn validators_post(
    State(state): State<AppState>,
    Path(state_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body: ValidatorsBody = if body.is_empty() {
        ValidatorsBody::default()
    } else {
        parse_json(&body)?
    };
    let chain = state.chain();
    check_state_id(&chain, &state_id)?;
    validators_response(
        &chain,
        &body.ids.unwrap_or_default(),
        &body.statuses.unwrap_or_default(),
    )
}

async fn state_fork(State(state): State<AppState>, Path(state_id): Path<String>) -> ApiResult {
    let chain = state.chain();
    check_state_id(&chain, &state_id)?;
    ok(
        json!({"execution_optimistic": false, "finalized": false, "data": {
            "previous_version": chain.previous_fork_version(),
            "current_version": chain.fork_version(),
            // Every fork up to the chain's activates at genesis.
            "epoch": "0",
        }}),
    )
}

async fn finality(State(state): State<AppState>, Path(state_id): Path<String>) -> ApiResult {
    let chain = state.chain();
    check_state_id(&chain, &state_id)?;
    let epoch = chain.epoch_of(chain.processed_slot());
    let justified = chain.justified(epoch);
    ok(
        json!({"execution_optimistic": false, "finalized": false, "data": {
            "previous_justified": chain.justified(epoch.saturating_sub(1)),
            "current_justified": justified,
            "finalized": chain.finalized(epoch),
        }}),
    )
}

fn find_block(chain: &Chain, block_id: &str) -> Result<crate::chain::Block, ApiError> {
    let block = match block_id {
        "head" => Some(chain.head()),
        "genesis" => Some(chain.genesis_block()),
        "finalized" => {
            let root = chain.finalized(chain.epoch_of(chain.processed_slot())).root;
            chain.block_by_root(&root).or(Some(chain.genesis_block()))
        }
        "justified" => {
            let root = chain.justified(chain.epoch_of(chain.processed_slot())).root;
            chain.block_by_root(&root).or(Some(chain.genesis_block()))
        }
        id if id.starts_with("0x") => {
            let root = Root::from_hex(id)
                .map_err(|e| ApiError::bad_request(format!("invalid block id {id:?}: {e}")))?;
            chain.block_by_root(&root)
        }
        id => chain.block_at(parse_u64(id, "block id")?),
    };
    block.ok_or_else(|| ApiError::not_found(format!("block {block_id} not found")))
}

fn header_json(block: &crate::chain::Block) -> Value {
    json!({
        "root": block.root,
        "canonical": true,
        "header": {"message": block.header, "signature": mosaic_types::BlsSignature::ZERO},
    })
}

async fn head_header(State(state): State<AppState>) -> ApiResult {
    let chain = state.chain();
    ok(
        json!({"execution_optimistic": false, "finalized": false, "data": [header_json(&chain.head())]}),
    )
}

async fn header(State(state): State<AppState>, Path(block_id): Path<String>) -> ApiResult {
    let chain = state.chain();
    let block = find_block(&chain, &block_id)?;
    ok(json!({"execution_optimistic": false, "finalized": false, "data": header_json(&block)}))
}

async fn block_root(State(state): State<AppState>, Path(block_id): Path<String>) -> ApiResult {
    let chain = state.chain();
    let block = find_block(&chain, &block_id)?;
    ok(json!({"execution_optimistic": false, "finalized": false, "data": {"root": block.root}}))
}

fn duty_epoch(chain: &Chain, epoch: &str, lookahead: u64) -> Result<u64, ApiError> {
    let epoch = parse_u64(epoch, "epoch")?;
    let current = chain.epoch_of(chain.processed_slot());
    if epoch > current + lookahead {
        return Err(ApiError::bad_request(format!(
            "epoch {epoch} is more than {lookahead} after the current epoch {current}"
        )));
    }
    Ok(epoch)
}

fn parse_indices(body: &Bytes) -> Result<Vec<u64>, ApiError> {
    let ids: Vec<String> = parse_json(body)?;
    ids.iter()
        .map(|id| parse_u64(id, "validator index"))
        .collect()
}

fn dependent_root(chain: &Chain, epoch: u64) -> Root {
    let start = epoch * chain.slots_per_epoch();
    if start == 0 {
        chain.genesis_block().root
    } else {
        chain.head_at(start - 1).root
    }
}

async fn attester_duties(
    State(state): State<AppState>,
    Path(epoch): Path<String>,
    body: Bytes,
) -> ApiResult {
    refuse_if_syncing(&state)?;
    let indices = parse_indices(&body)?;
    let mut chain = state.chain();
    let epoch = duty_epoch(&chain, &epoch, 1)?;
    let duties = chain.epoch_duties(epoch);
    let mut data = Vec::new();
    for index in indices {
        let Some(validator) = chain.validators().get(index as usize) else {
            continue;
        };
        if let Some(duty) = duties.attesters.get(index as usize).copied().flatten() {
            data.push(json!({
                "pubkey": validator.pubkey,
                "validator_index": quoted(index),
                "committee_index": quoted(duty.committee_index),
                "committee_length": quoted(duty.committee_length),
                "committees_at_slot": quoted(duty.committees_at_slot),
                "validator_committee_index": quoted(duty.validator_committee_index),
                "slot": quoted(duty.slot),
            }));
        }
    }
    let dependent = dependent_root(&chain, epoch.saturating_sub(1));
    ok(json!({"dependent_root": dependent, "execution_optimistic": false, "data": data}))
}

async fn proposer_duties(State(state): State<AppState>, Path(epoch): Path<String>) -> ApiResult {
    refuse_if_syncing(&state)?;
    let mut chain = state.chain();
    let epoch = duty_epoch(&chain, &epoch, 1)?;
    let duties = chain.epoch_duties(epoch);
    let spe = chain.slots_per_epoch();
    let data: Vec<Value> = duties
        .proposers
        .iter()
        .enumerate()
        .map(|(i, index)| {
            json!({
                "pubkey": chain.validators()[*index as usize].pubkey,
                "validator_index": quoted(*index),
                "slot": quoted(epoch * spe + i as u64),
            })
        })
        .collect();
    let dependent = dependent_root(&chain, epoch);
    ok(json!({"dependent_root": dependent, "execution_optimistic": false, "data": data}))
}

async fn sync_duties(
    State(state): State<AppState>,
    Path(epoch): Path<String>,
    body: Bytes,
) -> ApiResult {
    refuse_if_syncing(&state)?;
    let indices = parse_indices(&body)?;
    let mut chain = state.chain();
    let epoch = parse_u64(&epoch, "epoch")?;
    let current_period = chain.sync_period(chain.epoch_of(chain.processed_slot()));
    let period = chain.sync_period(epoch);
    if period > current_period + 1 {
        return Err(ApiError::bad_request(format!(
            "epoch {epoch} is beyond the next sync committee period"
        )));
    }
    let committee = chain.sync_committee(period);
    let data: Vec<Value> = indices
        .iter()
        .filter_map(|index| {
            let positions = committee.positions.get(index)?;
            Some(json!({
                "pubkey": chain.validators().get(*index as usize)?.pubkey,
                "validator_index": quoted(*index),
                "validator_sync_committee_indices": positions.iter().map(|p| quoted(*p)).collect::<Vec<_>>(),
            }))
        })
        .collect();
    ok(json!({"execution_optimistic": false, "data": data}))
}

#[derive(Deserialize)]
struct AttestationDataQuery {
    slot: String,
    committee_index: Option<String>,
}

async fn attestation_data(
    State(state): State<AppState>,
    Query(q): Query<AttestationDataQuery>,
) -> ApiResult {
    refuse_if_syncing(&state)?;
    let slot = parse_u64(&q.slot, "slot")?;
    let committee_index = q
        .committee_index
        .as_deref()
        .map(|c| parse_u64(c, "committee_index"))
        .transpose()?
        .unwrap_or(0);
    let mut chain = state.chain();
    if slot > chain.processed_slot() {
        return Err(ApiError::bad_request(format!(
            "slot {slot} is in the future (current slot {})",
            chain.processed_slot()
        )));
    }
    let epoch = chain.epoch_of(slot);
    let duties = chain.epoch_duties(epoch);
    if committee_index >= duties.committees_per_slot {
        return Err(ApiError::bad_request(format!(
            "committee_index {committee_index} is not below {} committees at slot {slot}",
            duties.committees_per_slot
        )));
    }
    ok(json!({"data": chain.attestation_data(slot, committee_index)}))
}

/// Runs CPU-heavy `work` (signature checks) without holding up the tasks of a multi-threaded
/// runtime's worker (tokio moves them to another worker meanwhile); inline elsewhere.
fn off_the_runtime<R>(work: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}

/// Checks every item with `check`, verifies the signatures in one batch, records the
/// accepted ones, and answers 200 or 400 with per-item failures.
fn submit_all<T>(
    state: &Shared,
    items: &[T],
    mut check: impl FnMut(&mut Chain, &T, u64) -> Result<Vec<Checked>, String>,
    mut after: impl FnMut(&Shared, &T),
) -> ApiResult {
    let now = state.clock.now_ms();
    let mut failures = Vec::new();
    let mut checked: Vec<(usize, Checked)> = Vec::new();
    {
        let mut chain = state.chain();
        for (i, item) in items.iter().enumerate() {
            match check(&mut chain, item, now) {
                Ok(list) => checked.extend(list.into_iter().map(|c| (i, c))),
                Err(message) => failures.push((i, message)),
            }
        }
    }
    let only: Vec<Checked> = checked.iter().map(|(_, c)| c.clone()).collect();
    let results = off_the_runtime(|| verify::verify_batch(&only));
    let mut accepted_items = std::collections::BTreeSet::new();
    for ((i, item), result) in checked.into_iter().zip(results) {
        match result {
            Ok(()) => {
                state.recorder().record(item.submission);
                accepted_items.insert(i);
            }
            Err(message) => failures.push((i, message)),
        }
    }
    failures.sort();
    failures.dedup_by_key(|(i, _)| *i);
    for i in accepted_items {
        if !failures.iter().any(|(f, _)| *f == i) {
            after(state, &items[i]);
        }
    }
    if failures.is_empty() {
        return Ok(StatusCode::OK.into_response());
    }
    let message = if items.len() == 1 {
        failures[0].1.clone()
    } else {
        format!(
            "{} of {} items failed: {}",
            failures.len(),
            items.len(),
            failures[0].1
        )
    };
    Err(ApiError {
        code: StatusCode::BAD_REQUEST,
        message,
        failures,
    })
}

fn pool_add(
    state: &Shared,
    data: &crate::containers::AttestationData,
    committee_index: u64,
    committee_len: usize,
    position: usize,
    signature: &mosaic_types::BlsSignature,
) {
    let Some(sig) = verify::decoded_signature(signature) else {
        return;
    };
    let root: Root = data.tree_hash_root().into();
    let mut pool = state.pool();
    let entry = pool
        .by_root
        .entry((root, committee_index))
        .or_insert_with(|| PoolEntry {
            data: *data,
            committee_len,
            signatures: Default::default(),
        });
    entry.signatures.entry(position).or_insert(sig);
}

fn committee_position(
    state: &Shared,
    slot: u64,
    committee_index: u64,
    validator: u64,
) -> Option<(usize, usize)> {
    let mut chain = state.chain();
    let spe = chain.slots_per_epoch();
    let epoch = chain.epoch_of(slot);
    let duties = chain.epoch_duties(epoch);
    let committee = duties.committee(spe, slot, committee_index)?;
    Some((
        committee.iter().position(|v| *v == validator)?,
        committee.len(),
    ))
}

fn submit_phase0_attestations(state: &Shared, items: &[Attestation]) -> ApiResult {
    submit_all(state, items, verify::attestation, |state, a| {
        if let Ok(bits) = Bitlist::from_hex(&a.aggregation_bits, usize::MAX) {
            if let [position] = bits.set_bits().as_slice() {
                pool_add(
                    state,
                    &a.data,
                    a.data.index,
                    bits.len(),
                    *position,
                    &a.signature,
                );
            }
        }
    })
}

async fn pool_attestations_v1(State(state): State<AppState>, body: Bytes) -> ApiResult {
    if state.chain().fork() >= ForkName::Electra {
        return Err(ApiError::bad_request(
            "pool/attestations v1 is not accepted from electra on; use v2 with SingleAttestation",
        ));
    }
    let items: Vec<Attestation> = parse_json(&body)?;
    submit_phase0_attestations(&state, &items)
}

async fn pool_attestations_v2(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let electra = {
        let chain = state.chain();
        consensus_version_header(&headers, &chain)?;
        chain.fork() >= ForkName::Electra
    };
    if !electra {
        let items: Vec<Attestation> = parse_json(&body)?;
        return submit_phase0_attestations(&state, &items);
    }
    let items: Vec<SingleAttestation> = parse_json(&body)?;
    submit_all(
        &state,
        &items,
        |chain, a, now| verify::single_attestation(chain, a, now).map(|c| vec![c]),
        |state, a| {
            if let Some((position, len)) =
                committee_position(state, a.data.slot, a.committee_index, a.attester_index)
            {
                pool_add(
                    state,
                    &a.data,
                    a.committee_index,
                    len,
                    position,
                    &a.signature,
                );
            }
        },
    )
}

#[derive(Deserialize)]
struct AggregateQuery {
    attestation_data_root: String,
    slot: String,
    committee_index: Option<String>,
}

fn aggregate(
    state: &Shared,
    q: &AggregateQuery,
    committee_index: Option<u64>,
) -> Result<(Attestation, ForkName), ApiError> {
    let root = Root::from_hex(&q.attestation_data_root)
        .map_err(|e| ApiError::bad_request(format!("invalid attestation_data_root: {e}")))?;
    let slot = parse_u64(&q.slot, "slot")?;
    let fork = state.chain().fork();
    let electra = fork >= ForkName::Electra;
    let max_committees = state.chain().config().preset.max_committees_per_slot() as usize;
    let pool = state.pool();
    let entry = pool
        .by_root
        .iter()
        .find(|((r, ci), e)| {
            *r == root && e.data.slot == slot && committee_index.is_none_or(|c| c == *ci)
        })
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no attestations for data root {root} at slot {slot}"
            ))
        })?;
    let ((_, ci), entry) = entry;
    let positions: Vec<usize> = entry.signatures.keys().copied().collect();
    let signatures: Vec<_> = entry.signatures.values().copied().collect();
    let signature = mosaic_crypto::bls::aggregate_signatures(&signatures).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("aggregation failed: {e}"),
        )
    })?;
    let committee_bits = electra.then(|| {
        let mut bytes = vec![0u8; max_committees.div_ceil(8)];
        bytes[*ci as usize / 8] |= 1 << (*ci % 8);
        format!("0x{}", hex::encode(bytes))
    });
    Ok((
        Attestation {
            aggregation_bits: Bitlist::with_bits(entry.committee_len, &positions).to_hex(),
            data: entry.data,
            signature: mosaic_types::BlsSignature(signature.to_bytes()),
            committee_bits,
        },
        fork,
    ))
}

async fn aggregate_v1(State(state): State<AppState>, Query(q): Query<AggregateQuery>) -> ApiResult {
    refuse_if_syncing(&state)?;
    if state.chain().fork() >= ForkName::Electra {
        return Err(ApiError::bad_request(
            "aggregate_attestation v1 is not served from electra on; use v2",
        ));
    }
    let (attestation, _) = aggregate(&state, &q, None)?;
    ok(json!({"data": attestation}))
}

async fn aggregate_v2(State(state): State<AppState>, Query(q): Query<AggregateQuery>) -> ApiResult {
    refuse_if_syncing(&state)?;
    let committee_index = q
        .committee_index
        .as_deref()
        .map(|c| parse_u64(c, "committee_index"))
        .transpose()?
        .ok_or_else(|| ApiError::bad_request("missing committee_index"))?;
    let (attestation, fork) = aggregate(&state, &q, Some(committee_index))?;
    let mut response = Json(json!({"version": fork.as_str(), "data": attestation})).into_response();
    if let Ok(value) = fork.as_str().parse() {
        response
            .headers_mut()
            .insert("eth-consensus-version", value);
    }
    Ok(response)
}

async fn aggregate_and_proofs_v1(State(state): State<AppState>, body: Bytes) -> ApiResult {
    if state.chain().fork() >= ForkName::Electra {
        return Err(ApiError::bad_request(
            "aggregate_and_proofs v1 is not accepted from electra on; use v2",
        ));
    }
    let items: Vec<SignedAggregateAndProof> = parse_json(&body)?;
    submit_all(
        &state,
        &items,
        |c, s, now| verify::aggregate_and_proof(c, s, now).map(|c| vec![c]),
        |_, _| {},
    )
}

async fn aggregate_and_proofs_v2(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    consensus_version_header(&headers, &state.chain())?;
    let items: Vec<SignedAggregateAndProof> = parse_json(&body)?;
    submit_all(
        &state,
        &items,
        |c, s, now| verify::aggregate_and_proof(c, s, now).map(|c| vec![c]),
        |_, _| {},
    )
}

async fn accept_list(body: Bytes) -> ApiResult {
    let _: Vec<Value> = parse_json(&body)?;
    Ok(StatusCode::OK.into_response())
}

async fn pool_sync_committees(State(state): State<AppState>, body: Bytes) -> ApiResult {
    let items: Vec<SyncCommitteeMessage> = parse_json(&body)?;
    submit_all(
        &state,
        &items,
        |c, m, now| verify::sync_message(c, m, now).map(|c| vec![c]),
        |state, m| {
            if let Ok(sig) = mosaic_crypto::bls::Signature::from_bytes(&m.signature.0) {
                state
                    .sync_pool()
                    .insert((m.slot, m.validator_index, m.beacon_block_root), sig);
            }
        },
    )
}

#[derive(Deserialize)]
struct ContributionQuery {
    slot: String,
    subcommittee_index: String,
    beacon_block_root: String,
}

async fn sync_contribution(
    State(state): State<AppState>,
    Query(q): Query<ContributionQuery>,
) -> ApiResult {
    refuse_if_syncing(&state)?;
    let slot = parse_u64(&q.slot, "slot")?;
    let subcommittee_index = parse_u64(&q.subcommittee_index, "subcommittee_index")?;
    let root = Root::from_hex(&q.beacon_block_root)
        .map_err(|e| ApiError::bad_request(format!("invalid beacon_block_root: {e}")))?;
    if subcommittee_index >= crate::spec::SYNC_COMMITTEE_SUBNET_COUNT {
        return Err(ApiError::bad_request(format!(
            "subcommittee_index {subcommittee_index} is not below 4"
        )));
    }
    let mut chain = state.chain();
    let period = chain.sync_period(chain.epoch_of(slot));
    let committee = chain.sync_committee(period);
    let members = committee.subcommittee(subcommittee_index).to_vec();
    drop(chain);
    // Messages recorded for this slot and root from subcommittee members; the simulator keeps
    // no message signatures, so only members whose messages it pooled can be aggregated.
    let recorder = state.recorder();
    let signers: Vec<usize> = members
        .iter()
        .enumerate()
        .filter(|(_, v)| {
            recorder.submissions().iter().any(|s| {
                s.kind == crate::record::DutyKind::SyncMessage
                    && s.slot == slot
                    && s.validator_index == **v
                    && s.vote == crate::record::Vote::Root(root)
            })
        })
        .map(|(i, _)| i)
        .collect();
    drop(recorder);
    if signers.is_empty() {
        return Err(ApiError::not_found(format!("no sync committee messages for slot {slot}, subcommittee {subcommittee_index}, root {root}")));
    }
    let signatures: Vec<_> = {
        let pool = state.sync_pool();
        signers
            .iter()
            .filter_map(|i| pool.get(&(slot, members[*i], root)).copied())
            .collect()
    };
    let signature = mosaic_crypto::bls::aggregate_signatures(&signatures).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("aggregation failed: {e}"),
        )
    })?;
    let mut bits = vec![0u8; members.len().div_ceil(8)];
    for i in &signers {
        bits[i / 8] |= 1 << (i % 8);
    }
    ok(json!({"data": {
        "slot": quoted(slot),
        "beacon_block_root": root,
        "subcommittee_index": quoted(subcommittee_index),
        "aggregation_bits": format!("0x{}", hex::encode(bits)),
        "signature": mosaic_types::BlsSignature(signature.to_bytes()),
    }}))
}

async fn contribution_and_proofs(State(state): State<AppState>, body: Bytes) -> ApiResult {
    let items: Vec<SignedContributionAndProof> = parse_json(&body)?;
    submit_all(
        &state,
        &items,
        |c, s, now| verify::contribution_and_proof(c, s, now).map(|c| vec![c]),
        |_, _| {},
    )
}

#[derive(Deserialize)]
struct ProposerPreparation {
    #[serde(with = "mosaic_types::quoted_u64")]
    validator_index: u64,
    fee_recipient: ExecutionAddress,
}

async fn prepare_beacon_proposer(State(state): State<AppState>, body: Bytes) -> ApiResult {
    let items: Vec<ProposerPreparation> = parse_json(&body)?;
    let count = state.chain().validators().len() as u64;
    if let Some(bad) = items.iter().find(|p| p.validator_index >= count) {
        return Err(ApiError::bad_request(format!(
            "validator_index {} is not in the registry",
            bad.validator_index
        )));
    }
    let mut recipients = state.fee_recipients();
    for item in items {
        recipients.insert(item.validator_index, item.fee_recipient);
    }
    Ok(StatusCode::OK.into_response())
}

async fn register_validator(State(state): State<AppState>, body: Bytes) -> ApiResult {
    let items: Vec<SignedValidatorRegistrationV1> = parse_json(&body)?;
    submit_all(
        &state,
        &items,
        |c, r, now| verify::registration(c, r, now).map(|c| vec![c]),
        |state, r| {
            let index = state.chain().index_of(&r.message.pubkey);
            if let Some(index) = index {
                state
                    .blocks()
                    .registrations
                    .insert(index, (r.message.fee_recipient, r.message.gas_limit));
            }
        },
    )
}

async fn voluntary_exits(State(state): State<AppState>, body: Bytes) -> ApiResult {
    let exit: SignedVoluntaryExit = parse_json(&body)?;
    submit_all(
        &state,
        std::slice::from_ref(&exit),
        |c, e, now| verify::voluntary_exit(c, e, now).map(|c| vec![c]),
        |state, e| {
            let mut chain = state.chain();
            let epoch = chain.epoch_of(chain.processed_slot());
            chain.exit_validator(e.message.validator_index, epoch);
        },
    )
}

async fn liveness(
    State(state): State<AppState>,
    Path(epoch): Path<String>,
    body: Bytes,
) -> ApiResult {
    let indices = parse_indices(&body)?;
    let epoch = parse_u64(&epoch, "epoch")?;
    let spe = state.chain().slots_per_epoch();
    let recorder = state.recorder();
    let data: Vec<Value> = indices
        .iter()
        .map(|i| json!({"index": quoted(*i), "is_live": recorder.is_live(*i, epoch, spe)}))
        .collect();
    ok(json!({"data": data}))
}

async fn not_implemented() -> ApiError {
    ApiError::new(
        StatusCode::NOT_IMPLEMENTED,
        "endpoint not implemented by this beacon node (no distributed aggregation selection)",
    )
}

#[derive(Deserialize)]
struct EventsQuery {
    topics: String,
}

async fn events(
    State(state): State<AppState>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let topics = split_list(&q, "topics");
    let q = EventsQuery {
        topics: topics.join(","),
    };
    if topics.is_empty() {
        return Err(ApiError::bad_request("missing topics"));
    }
    if let Some(bad) = topics.iter().find(|t| {
        !matches!(
            t.as_str(),
            "head"
                | "block"
                | "finalized_checkpoint"
                | "chain_reorg"
                | "attestation"
                | "voluntary_exit"
                | "contribution_and_proof"
                | "payload_attributes"
                | "blob_sidecar"
                | "block_gossip"
                | "single_attestation"
                | "light_client_finality_update"
                | "light_client_optimistic_update"
                | "bls_to_execution_change"
                | "proposer_slashing"
                | "attester_slashing"
                | "data_column_sidecar"
        )
    }) {
        return Err(ApiError::bad_request(format!("unknown topic {bad:?}")));
    }
    let want_head = q.topics.split(',').any(|t| t == "head");
    let want_block = q.topics.split(',').any(|t| t == "block");
    let want_finalized = q.topics.split(',').any(|t| t == "finalized_checkpoint");
    let receiver = state.events.subscribe();
    let shared = state.clone();
    let stream = stream::unfold(receiver, move |mut receiver| {
        let shared = shared.clone();
        async move {
            loop {
                match receiver.recv().await {
                    Ok(ChainEvent::Head {
                        slot,
                        block,
                        state: state_root,
                        epoch_transition,
                    }) if want_head => {
                        let (previous, current) = {
                            let chain = shared.chain();
                            let epoch = chain.epoch_of(slot);
                            (
                                dependent_root(&chain, epoch.saturating_sub(1)),
                                dependent_root(&chain, epoch),
                            )
                        };
                        let data = json!({
                            "slot": quoted(slot), "block": block, "state": state_root,
                            "epoch_transition": epoch_transition,
                            "previous_duty_dependent_root": previous,
                            "current_duty_dependent_root": current,
                            "execution_optimistic": false,
                        });
                        return Some((
                            Ok(Event::default().event("head").data(data.to_string())),
                            receiver,
                        ));
                    }
                    Ok(ChainEvent::Block { slot, block }) if want_block => {
                        let data = json!({"slot": quoted(slot), "block": block, "execution_optimistic": false});
                        return Some((
                            Ok(Event::default().event("block").data(data.to_string())),
                            receiver,
                        ));
                    }
                    Ok(ChainEvent::FinalizedCheckpoint {
                        epoch,
                        block,
                        state: state_root,
                    }) if want_finalized => {
                        let data = json!({
                            "block": block, "state": state_root, "epoch": quoted(epoch),
                            "execution_optimistic": false,
                        });
                        return Some((
                            Ok(Event::default()
                                .event("finalized_checkpoint")
                                .data(data.to_string())),
                            receiver,
                        ));
                    }
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                }
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

async fn admin_records(State(state): State<AppState>) -> ApiResult {
    ok(Simulator { shared: state }.records_json())
}

async fn admin_summary(State(state): State<AppState>, headers: HeaderMap) -> ApiResult {
    let sim = Simulator { shared: state };
    let wants_text = headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/plain"));
    if wants_text {
        Ok(sim.summary_text().into_response())
    } else {
        ok(sim.summary_json())
    }
}

async fn admin_slashable(State(state): State<AppState>) -> ApiResult {
    ok(state.recorder().slashable_json())
}

async fn admin_scenario_get(State(state): State<AppState>) -> ApiResult {
    ok(serde_json::to_value(state.scenario()).unwrap_or_default())
}

async fn admin_scenario_set(State(state): State<AppState>, body: Bytes) -> ApiResult {
    let scenario: Scenario = parse_json(&body)?;
    if !(0.0..=1.0).contains(&scenario.error_rate) {
        return Err(ApiError::bad_request(format!(
            "error_rate {} is not within 0..=1",
            scenario.error_rate
        )));
    }
    Simulator { shared: state }.set_scenario(scenario);
    Ok(StatusCode::OK.into_response())
}

async fn admin_reset(State(state): State<AppState>, body: Bytes) -> ApiResult {
    let reset: Reset = parse_json(&body)?;
    let sim = Simulator { shared: state };
    sim.schedule_reset(reset);
    sim.tick();
    Ok(StatusCode::OK.into_response())
}
