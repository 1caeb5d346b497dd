//! Block proposals: production (v2, v3 and blinded v1, with the randao partial) and
//! publication (v1 and v2, full and blinded, JSON and SSZ).

use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use mosaic_core::signeddata::{SignedData, SignedRandao};
use mosaic_crypto::bls::PublicKey;
use mosaic_types::consensus::versioned::{ProducedBlock, PublishedBlock};
use mosaic_types::consensus::Preset;
use mosaic_types::{BlsSignature, ForkName, Slot};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{query, slot_of_json};
use crate::app::AppState;
use crate::backend::Backend;
use crate::encoding::{self, consensus_version, is_ssz_body, wants_ssz, CONSENSUS_VERSION};
use crate::error::ApiError;

/// Which block production endpoint was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Production {
    /// `GET /eth/v2/validator/blocks/{slot}`: unblinded only.
    V2,
    /// `GET /eth/v3/validator/blocks/{slot}`: either, flagged in headers.
    V3,
    /// `GET /eth/v1/validator/blinded_blocks/{slot}`: blinded only.
    Blinded,
}

/// The query of block production; other parameters (graffiti, builder boost) do not matter
/// here, as the cluster already decided the block.
#[derive(Debug, Deserialize)]
pub(crate) struct ProduceQuery {
    randao_reveal: BlsSignature,
}

/// The slot path parameter.
fn slot_param(path: Result<Path<String>, PathRejection>) -> Result<Slot, ApiError> {
    let Path(text) = path.map_err(|rejection| ApiError::bad_request(rejection.body_text()))?;
    text.parse()
        .map_err(|_| ApiError::bad_request(format!("slot {text:?} is not a number")))
}

/// The DV proposing at `slot`.
async fn proposer<P: Preset, B: Backend<P>>(
    state: &AppState<P, B>,
    slot: Slot,
) -> Result<PublicKey, ApiError> {
    state.backend.proposer(slot).await.ok_or_else(|| {
        ApiError::bad_request(format!(
            "no distributed validator of this cluster proposes at slot {slot}"
        ))
    })
}

/// The v3 JSON answer.
#[derive(Serialize)]
#[serde(bound = "")]
struct V3Answer<'a, P: Preset> {
    version: ForkName,
    execution_payload_blinded: bool,
    execution_payload_value: &'a str,
    consensus_block_value: &'a str,
    data: &'a ProducedBlock<P>,
}

/// The v2 and blinded v1 JSON answer. `block_value` is not in the standard answer: Lodestar
/// before 1.12 added it to these endpoints and its validator client fails to read an answer
/// without it; other clients ignore unknown fields.
#[derive(Serialize)]
#[serde(bound = "")]
struct V2Answer<'a, P: Preset> {
    version: ForkName,
    block_value: &'a str,
    data: &'a ProducedBlock<P>,
}

/// What the validator API reports as the payload and block values: the cluster already chose
/// the block in consensus, so there is nothing left for the validator client to compare.
const UNKNOWN_VALUE: &str = "0";

fn header(name: &'static str, value: &str) -> Result<(HeaderName, HeaderValue), ApiError> {
    Ok((
        HeaderName::from_static(name),
        HeaderValue::from_str(value).map_err(|error| ApiError::internal(error.to_string()))?,
    ))
}

/// `GET /eth/v2|v3/validator/blocks/{slot}` and `GET /eth/v1/validator/blinded_blocks/{slot}`:
/// verifies and submits the randao partial, then answers with the decided proposal.
async fn produce<P: Preset, B: Backend<P>>(
    state: AppState<P, B>,
    endpoint: Production,
    path: Result<Path<String>, PathRejection>,
    params: Result<Query<ProduceQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let slot = slot_param(path)?;
    let params = query(params)?;
    let dv = proposer(&state, slot).await?;
    let randao = SignedData::Randao(SignedRandao {
        epoch: state.epoch_of(slot),
        signature: params.randao_reveal,
    });
    let check = state.partial_check(&dv, &randao, &format!("randao reveal for slot {slot}"))?;
    let verified = state.verify(vec![check]).await?;
    state.submit(vec![(dv, randao)], &verified).await?;
    let block = state.wait(state.backend.proposal(slot)).await?;
    let fork = block.fork_name();
    let blinded = block.is_blinded();
    match endpoint {
        Production::V2 if blinded => return Err(blinded_mismatch(slot, true)),
        Production::Blinded if !blinded => return Err(blinded_mismatch(slot, false)),
        _ => {}
    }
    let mut response = if wants_ssz(&headers) {
        encoding::ssz(fork, block.to_ssz())
    } else if endpoint == Production::V3 {
        encoding::json(&V3Answer {
            version: fork,
            execution_payload_blinded: blinded,
            execution_payload_value: UNKNOWN_VALUE,
            consensus_block_value: UNKNOWN_VALUE,
            data: &block,
        })?
    } else {
        let mut response = encoding::json(&V2Answer {
            version: fork,
            block_value: UNKNOWN_VALUE,
            data: &block,
        })?;
        let (name, value) = header(CONSENSUS_VERSION, fork.as_str())?;
        response.headers_mut().insert(name, value);
        response
    };
    let extra = [
        header(CONSENSUS_VERSION, fork.as_str())?,
        header(
            "eth-execution-payload-blinded",
            if blinded { "true" } else { "false" },
        )?,
        header("eth-execution-payload-value", UNKNOWN_VALUE)?,
        header("eth-consensus-block-value", UNKNOWN_VALUE)?,
    ];
    let count = if endpoint == Production::V3 { 4 } else { 1 };
    for (name, value) in extra.into_iter().take(count) {
        response.headers_mut().insert(name, value);
    }
    Ok(response)
}

fn blinded_mismatch(slot: Slot, decided_blinded: bool) -> ApiError {
    let (decided, endpoint) = if decided_blinded {
        (
            "blinded",
            "/eth/v3/validator/blocks or /eth/v1/validator/blinded_blocks",
        )
    } else {
        (
            "full",
            "/eth/v3/validator/blocks or /eth/v2/validator/blocks",
        )
    };
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        format!(
            "the cluster decided a {decided} block for slot {slot}; request it from {endpoint}"
        ),
    )
}

/// The fork of a published block: `Eth-Consensus-Version`, else (JSON only) its slot's fork.
fn published_fork<P: Preset, B: Backend<P>>(
    state: &AppState<P, B>,
    headers: &HeaderMap,
    json: Option<&Value>,
    blinded: bool,
) -> Result<ForkName, ApiError> {
    if let Some(fork) = consensus_version(headers)? {
        return Ok(fork);
    }
    let Some(json) = json else {
        return Err(ApiError::bad_request(
            "an SSZ block needs the Eth-Consensus-Version header",
        ));
    };
    let slot = slot_of_json(json, &["message", "slot"])
        .or_else(|_| slot_of_json(json, &["signed_block", "message", "slot"]))?;
    let fork = state.fork_at_slot(slot);
    if blinded && fork < ForkName::Bellatrix {
        return Err(ApiError::bad_request(format!(
            "blinded block for slot {slot} is before bellatrix"
        )));
    }
    Ok(fork)
}

/// `POST /eth/v1|v2/beacon/blocks` and `/eth/v1|v2/beacon/blinded_blocks`: the block must be
/// the decided proposal and carry this node's valid partial signature.
async fn publish<P: Preset, B: Backend<P>>(
    state: AppState<P, B>,
    blinded: bool,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let block = if is_ssz_body(&headers) {
        let fork = published_fork(&state, &headers, None, blinded)?;
        PublishedBlock::<P>::from_ssz_at(&body, fork, blinded)
    } else {
        let json: Value = encoding::parse_json(&body, "signed block")?;
        let fork = published_fork(&state, &headers, Some(&json), blinded)?;
        PublishedBlock::<P>::from_json_at(json, fork, blinded)
    }
    .map_err(|error| ApiError::bad_request(format!("invalid signed block: {error}")))?;
    let slot = block.slot();
    let what = format!("block for slot {slot}");
    let dv = proposer(&state, slot).await?;
    let decided = state.wait(state.backend.proposal(slot)).await?;
    if decided.block_root() != block.block_root() || decided.is_blinded() != block.is_blinded() {
        return Err(ApiError::bad_request(format!(
            "{what}: block root {} is not the proposal the cluster decided ({})",
            block.block_root().to_hex(),
            decided.block_root().to_hex()
        )));
    }
    let data = SignedData::Proposal(Box::new(block));
    let verified = state
        .verify(vec![state.partial_check(&dv, &data, &what)?])
        .await?;
    state.submit(vec![(dv, data)], &verified).await?;
    Ok(encoding::ok())
}

/// `GET /eth/v2/validator/blocks/{slot}`.
pub(crate) async fn produce_v2<P: Preset, B: Backend<P>>(
    state: AppState<P, B>,
    path: Result<Path<String>, PathRejection>,
    params: Result<Query<ProduceQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    produce(state, Production::V2, path, params, headers).await
}

/// `GET /eth/v3/validator/blocks/{slot}`.
pub(crate) async fn produce_v3<P: Preset, B: Backend<P>>(
    state: AppState<P, B>,
    path: Result<Path<String>, PathRejection>,
    params: Result<Query<ProduceQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    produce(state, Production::V3, path, params, headers).await
}

/// `GET /eth/v1/validator/blinded_blocks/{slot}`.
pub(crate) async fn produce_blinded<P: Preset, B: Backend<P>>(
    state: AppState<P, B>,
    path: Result<Path<String>, PathRejection>,
    params: Result<Query<ProduceQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    produce(state, Production::Blinded, path, params, headers).await
}

/// `POST /eth/v1|v2/beacon/blocks`.
pub(crate) async fn publish_block<P: Preset, B: Backend<P>>(
    state: AppState<P, B>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    publish(state, false, headers, body).await
}

/// `POST /eth/v1|v2/beacon/blinded_blocks`.
pub(crate) async fn publish_blinded_block<P: Preset, B: Backend<P>>(
    state: AppState<P, B>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    publish(state, true, headers, body).await
}
