//! Block production (`produceBlockV3`, `produceBlockV2`, `produceBlindedBlock`) and
//! publication (`publishBlock` v1/v2, `publishBlindedBlock` v1/v2) over the Beacon API, JSON
//! and SSZ.
//!
//! Production builds on the head: the pool's attestations of the last epoch, the sync
//! aggregate of the parent root from `pool/sync_committees`, and a synthetic execution payload
//! ([`crate::payload`]). Publication checks the block like a beacon node's gossip and
//! consensus validation would, then imports it as the new head:
//!
//! | outcome | status |
//! |---|---|
//! | malformed, wrong fork, future slot, wrong proposer, unknown parent, a payload this node did not produce, bad blob counts, bad signature or randao reveal | 400 |
//! | equivocation with `broadcast_validation=consensus_and_equivocation` | 400 |
//! | valid but not imported (slot already filled, a later block exists, parent is not the head, equivocation otherwise) | 202 |
//! | imported as the head, or the same block again | 200 |

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use mosaic_crypto::bls::{self, Signature};
use mosaic_types::consensus::versioned::{parse_fork_name, PublishedBlock};
use mosaic_types::consensus::{Mainnet, Minimal, Preset as ConsensusPreset};
use mosaic_types::{BlsSignature, ExecutionAddress, ForkName, Root};
use serde_json::json;

use crate::blocks::{self, BlockPlan, PooledAggregate, PublishedSummary, INFINITY_SIGNATURE};
use crate::chain::{ExecutionHead, ImportError};
use crate::config::Preset;
use crate::payload::{PayloadInputs, SynthPayload, DEFAULT_GAS_LIMIT};
use crate::record::{DoubleProposal, DutyKind, Submission, Vote};
use crate::server::{parse_u64, refuse_if_syncing, split_list, ApiError, ApiResult, AppState};
use crate::sim::{ChainEvent, Shared};
use crate::verify;

/// Synthetic consensus reward per attesting bit included, gwei.
const REWARD_PER_ATTESTATION_GWEI: u128 = 20_000;
/// Synthetic consensus reward per sync committee bit included, gwei.
const REWARD_PER_SYNC_BIT_GWEI: u128 = 30_000;
const WEI_PER_GWEI: u128 = 1_000_000_000;

/// Which production endpoint is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    /// `GET /eth/v3/validator/blocks/{slot}`: full or blinded, with values.
    V3,
    /// `GET /eth/v2/validator/blocks/{slot}`: full.
    FullV2,
    /// `GET /eth/v1/validator/blinded_blocks/{slot}`: blinded.
    BlindedV1,
}

/// A production decided: the plan and what to say about it.
struct Production {
    plan: BlockPlan,
    fork: ForkName,
    preset: Preset,
    blinded: bool,
    payload_value_wei: u128,
    consensus_value_wei: u128,
}

fn query_value<'a>(query: &'a [(String, String)], key: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn header(name: &'static str, value: &str) -> Option<(HeaderName, HeaderValue)> {
    Some((
        HeaderName::from_static(name),
        HeaderValue::from_str(value).ok()?,
    ))
}

fn wants_ssz(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get("accept").and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let position = |mime: &str| accept.find(mime);
    match (
        position("application/octet-stream"),
        position("application/json"),
    ) {
        (Some(ssz), Some(json)) => ssz < json,
        (Some(_), None) => true,
        _ => false,
    }
}

fn is_ssz_body(headers: &HeaderMap) -> bool {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/octet-stream"))
}

pub(crate) async fn produce_v3(
    State(state): State<AppState>,
    Path(slot): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> ApiResult {
    produce(&state, &slot, &query, &headers, Endpoint::V3)
}

pub(crate) async fn produce_v2(
    State(state): State<AppState>,
    Path(slot): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> ApiResult {
    produce(&state, &slot, &query, &headers, Endpoint::FullV2)
}

pub(crate) async fn produce_blinded_v1(
    State(state): State<AppState>,
    Path(slot): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> ApiResult {
    produce(&state, &slot, &query, &headers, Endpoint::BlindedV1)
}

fn produce(
    state: &Shared,
    slot: &str,
    query: &[(String, String)],
    headers: &HeaderMap,
    endpoint: Endpoint,
) -> ApiResult {
    refuse_if_syncing(state)?;
    let production = plan(state, slot, query, endpoint)?;
    let ssz = wants_ssz(headers);
    match production.preset {
        Preset::Minimal => render::<Minimal>(&production, endpoint, ssz),
        Preset::Mainnet => render::<Mainnet>(&production, endpoint, ssz),
    }
}

fn parse_signature(text: &str, what: &str) -> Result<BlsSignature, ApiError> {
    BlsSignature::from_hex(text).map_err(|e| ApiError::bad_request(format!("invalid {what}: {e}")))
}

/// Checks the request and decides the block.
fn plan(
    state: &Shared,
    slot: &str,
    query: &[(String, String)],
    endpoint: Endpoint,
) -> Result<Production, ApiError> {
    let slot = parse_u64(slot, "slot")?;
    let randao_reveal = parse_signature(
        query_value(query, "randao_reveal")
            .ok_or_else(|| ApiError::bad_request("missing randao_reveal"))?,
        "randao_reveal",
    )?;
    let graffiti = match query_value(query, "graffiti") {
        Some(text) if !text.is_empty() => Root::from_hex(text)
            .map_err(|e| ApiError::bad_request(format!("invalid graffiti: {e}")))?,
        _ => Root::ZERO,
    };
    let skip_randao = match query_value(query, "skip_randao_verification") {
        None => false,
        Some("" | "true") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "skip_randao_verification takes no value, got {other:?}"
            )))
        }
    };
    let boost = query_value(query, "builder_boost_factor")
        .map(|v| parse_u64(v, "builder_boost_factor"))
        .transpose()?;
    let scenario = state.scenario();
    let mut chain = state.chain();
    let current = chain.processed_slot();
    if slot > current + 1 {
        return Err(ApiError::bad_request(format!(
            "slot {slot} is in the future (current slot {current})"
        )));
    }
    let head = chain.head();
    if slot <= head.header.slot {
        return Err(ApiError::bad_request(format!(
            "slot {slot} is not after the head block's slot {}",
            head.header.slot
        )));
    }
    let proposer = chain.proposer(slot);
    if skip_randao {
        if randao_reveal != INFINITY_SIGNATURE {
            return Err(ApiError::bad_request(
                "skip_randao_verification requires randao_reveal to be the point at infinity (0xc0 followed by zeros)",
            ));
        }
    } else {
        verify::randao_reveal(&mut chain, slot, &randao_reveal).map_err(ApiError::bad_request)?;
    }
    let epoch = chain.epoch_of(slot);
    let spe = chain.slots_per_epoch();
    let config = chain.config().clone();
    let fork = chain.fork();
    let state_root = chain.synthetic_state_root(slot, head.root);
    let prev_randao = chain.randao_mix(epoch);
    let timestamp = chain.slot_start_ms(slot) / 1000;
    let validator_count = chain.validators().len() as u64;
    let sync_period = chain.sync_period(chain.epoch_of(slot - 1));
    let sync_committee = chain.sync_committee(sync_period);
    drop(chain);

    let prepared = state.fee_recipients().get(&proposer).copied();
    let registration = state.blocks().registrations.get(&proposer).copied();
    let payload_for = |from_builder: bool, fee_recipient: ExecutionAddress, gas_limit: u64| {
        SynthPayload::new(&PayloadInputs {
            seed: config.seed,
            slot,
            parent_hash: head.execution.block_hash,
            parent_number: head.execution.block_number,
            fee_recipient,
            gas_limit,
            timestamp,
            prev_randao,
            from_builder,
        })
    };
    let local = payload_for(
        false,
        prepared
            .or(registration.map(|r| r.0))
            .unwrap_or(ExecutionAddress([0; 20])),
        registration.map_or(DEFAULT_GAS_LIMIT, |r| r.1),
    );
    let builder = registration
        .filter(|_| scenario.builder)
        .map(|(fee_recipient, gas_limit)| payload_for(true, fee_recipient, gas_limit));
    let (payload, blinded) = match endpoint {
        Endpoint::FullV2 => (local, false),
        Endpoint::BlindedV1 => (builder.unwrap_or(local), true),
        Endpoint::V3 => match builder {
            Some(bid)
                if boost.unwrap_or(100) > 0
                    && bid.value_wei() * u128::from(boost.unwrap_or(100)) / 100
                        > local.value_wei() =>
            {
                (bid, true)
            }
            _ => (local, false),
        },
    };
    state
        .blocks()
        .produced
        .insert(payload.block_hash, (slot, payload.clone()));

    let attestations = pooled_attestations(state, slot, spe)?;
    let (sync_positions, sync_signature) =
        sync_aggregate(state, slot - 1, head.root, &sync_committee.members)?;
    let attesting: u128 = attestations.iter().map(|a| a.positions.len() as u128).sum();
    let consensus_value_wei = (attesting * REWARD_PER_ATTESTATION_GWEI
        + sync_positions.len() as u128 * REWARD_PER_SYNC_BIT_GWEI)
        * WEI_PER_GWEI;
    Ok(Production {
        plan: BlockPlan {
            slot,
            proposer_index: proposer,
            parent_root: head.root,
            state_root,
            randao_reveal,
            graffiti,
            eth1_data: mosaic_types::consensus::phase0::Eth1Data {
                deposit_root: Root::ZERO,
                deposit_count: validator_count,
                block_hash: Root::ZERO,
            },
            attestations,
            sync_positions,
            sync_signature,
            payload: payload.clone(),
        },
        fork,
        preset: config.preset,
        blinded,
        payload_value_wei: payload.value_wei(),
        consensus_value_wei,
    })
}

/// The pool's committee aggregates of the last epoch before `slot` (inclusion delay 1) that
/// no earlier published block carried (those from the last imported block's slot on).
fn pooled_attestations(
    state: &Shared,
    slot: u64,
    slots_per_epoch: u64,
) -> Result<Vec<PooledAggregate>, ApiError> {
    let included_before = state.blocks().attestations_included_before;
    let pool = state.pool();
    let mut out = Vec::new();
    for ((_, committee_index), entry) in &pool.by_root {
        if entry.data.slot >= slot
            || entry.data.slot + slots_per_epoch < slot
            || entry.data.slot < included_before
        {
            continue;
        }
        let mut positions: Vec<usize> = entry.signatures.keys().copied().collect();
        positions.sort_unstable();
        let signatures: Vec<Signature> = positions
            .iter()
            .filter_map(|p| entry.signatures.get(p).copied())
            .collect();
        let signature = bls::aggregate_signatures(&signatures).map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("aggregating pooled attestations: {e}"),
            )
        })?;
        out.push(PooledAggregate {
            data: entry.data,
            committee_index: *committee_index,
            committee_len: entry.committee_len,
            positions,
            signature,
        });
    }
    Ok(out)
}

/// The sync aggregate over `root` from the messages of `slot` in `pool/sync_committees`: one
/// bit (and one signature) per committee position of each member that signed.
fn sync_aggregate(
    state: &Shared,
    slot: u64,
    root: Root,
    members: &[u64],
) -> Result<(Vec<usize>, BlsSignature), ApiError> {
    let pool = state.sync_pool();
    let mut positions = Vec::new();
    let mut signatures = Vec::new();
    for (position, member) in members.iter().enumerate() {
        if let Some(signature) = pool.get(&(slot, *member, root)) {
            positions.push(position);
            signatures.push(*signature);
        }
    }
    if signatures.is_empty() {
        return Ok((positions, INFINITY_SIGNATURE));
    }
    let signature = bls::aggregate_signatures(&signatures).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("aggregating sync committee messages: {e}"),
        )
    })?;
    Ok((positions, BlsSignature(signature.to_bytes())))
}

fn render<P: ConsensusPreset>(production: &Production, endpoint: Endpoint, ssz: bool) -> ApiResult {
    let block = blocks::build::<P>(&production.plan, production.fork, production.blinded)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let fork = production.fork.as_str();
    let payload_value = production.payload_value_wei.to_string();
    let consensus_value = production.consensus_value_wei.to_string();
    let blinded = if production.blinded { "true" } else { "false" };
    let mut extra = vec![header("eth-consensus-version", fork)];
    if endpoint == Endpoint::V3 {
        extra.push(header("eth-execution-payload-blinded", blinded));
        extra.push(header("eth-execution-payload-value", &payload_value));
        extra.push(header("eth-consensus-block-value", &consensus_value));
    }
    let mut response = if ssz {
        (
            [(
                axum::http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            )],
            block.to_ssz(),
        )
            .into_response()
    } else if endpoint == Endpoint::V3 {
        Json(json!({
            "version": fork,
            "execution_payload_blinded": production.blinded,
            "execution_payload_value": payload_value,
            "consensus_block_value": consensus_value,
            "data": block,
        }))
        .into_response()
    } else {
        Json(json!({"version": fork, "execution_optimistic": false, "data": block})).into_response()
    };
    for (name, value) in extra.into_iter().flatten() {
        response.headers_mut().insert(name, value);
    }
    Ok(response)
}

pub(crate) async fn publish_v1(
    State(state): State<AppState>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    publish(&state, &query, &headers, &body, false, false)
}

pub(crate) async fn publish_v2(
    State(state): State<AppState>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    publish(&state, &query, &headers, &body, false, true)
}

pub(crate) async fn publish_blinded_v1(
    State(state): State<AppState>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    publish(&state, &query, &headers, &body, true, false)
}

pub(crate) async fn publish_blinded_v2(
    State(state): State<AppState>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    publish(&state, &query, &headers, &body, true, true)
}

/// `broadcast_validation` of `publishBlockV2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BroadcastValidation {
    Gossip,
    Consensus,
    ConsensusAndEquivocation,
}

fn broadcast_validation(query: &[(String, String)]) -> Result<BroadcastValidation, ApiError> {
    match split_list(query, "broadcast_validation").first().map(String::as_str) {
        None | Some("gossip") => Ok(BroadcastValidation::Gossip),
        Some("consensus") => Ok(BroadcastValidation::Consensus),
        Some("consensus_and_equivocation") => Ok(BroadcastValidation::ConsensusAndEquivocation),
        Some(other) => Err(ApiError::bad_request(format!(
            "invalid broadcast_validation {other:?} (gossip, consensus or consensus_and_equivocation)"
        ))),
    }
}

/// The fork of a published block: the `Eth-Consensus-Version` header (required by v2),
/// which must be the chain's fork.
fn published_fork(
    headers: &HeaderMap,
    chain_fork: ForkName,
    required: bool,
) -> Result<ForkName, ApiError> {
    let Some(value) = headers.get("eth-consensus-version") else {
        if required {
            return Err(ApiError::bad_request(
                "missing Eth-Consensus-Version header",
            ));
        }
        return Ok(chain_fork);
    };
    let text = value.to_str().unwrap_or_default();
    let fork = parse_fork_name(text)
        .map_err(|e| ApiError::bad_request(format!("Eth-Consensus-Version: {e}")))?;
    if fork != chain_fork {
        return Err(ApiError::bad_request(format!(
            "Eth-Consensus-Version {fork} does not match the chain's fork {chain_fork}"
        )));
    }
    Ok(fork)
}

/// Decodes and summarises a published block; for a payload this node produced, also its root
/// as the fork's payload.
fn read_published<P: ConsensusPreset>(
    state: &Shared,
    body: &[u8],
    fork: ForkName,
    blinded: bool,
    ssz: bool,
) -> Result<(PublishedSummary, Option<Root>), ApiError> {
    let block = if ssz {
        PublishedBlock::<P>::from_ssz_at(body, fork, blinded)
    } else {
        let value: serde_json::Value = serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("invalid request body: {e}")))?;
        PublishedBlock::<P>::from_json_at(value, fork, blinded)
    }
    .map_err(|e| ApiError::bad_request(format!("invalid block: {e}")))?;
    let summary = blocks::summarize(&block).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let produced = state
        .blocks()
        .produced
        .get(&summary.payload.block_hash)
        .map(|(_, payload)| blocks::payload_root::<P>(payload, fork));
    Ok((summary, produced))
}

fn publish(
    state: &Shared,
    query: &[(String, String)],
    headers: &HeaderMap,
    body: &Bytes,
    blinded: bool,
    version_required: bool,
) -> ApiResult {
    let validation = broadcast_validation(query)?;
    let (chain_fork, preset) = {
        let chain = state.chain();
        (chain.fork(), chain.config().preset)
    };
    let fork = published_fork(headers, chain_fork, version_required)?;
    let ssz = is_ssz_body(headers);
    let (summary, produced_root) = match preset {
        Preset::Minimal => read_published::<Minimal>(state, body, fork, blinded, ssz)?,
        Preset::Mainnet => read_published::<Mainnet>(state, body, fork, blinded, ssz)?,
    };
    let now = state.clock.now_ms();
    let header = summary.header;
    let root = header.root();
    let mut chain = state.chain();
    let current = chain.processed_slot();
    if header.slot > current + 1 {
        return Err(ApiError::bad_request(format!(
            "block slot {} is in the future (current slot {current})",
            header.slot
        )));
    }
    if header.slot == 0 {
        return Err(ApiError::bad_request("block slot 0 is genesis"));
    }
    let expected = chain.proposer(header.slot);
    if header.proposer_index != expected {
        return Err(ApiError::bad_request(format!(
            "proposer_index {} is not the proposer of slot {} ({expected})",
            header.proposer_index, header.slot
        )));
    }
    let parent = chain.block_by_root(&header.parent_root).ok_or_else(|| {
        ApiError::bad_request(format!(
            "parent_root {} is not a known block",
            header.parent_root
        ))
    })?;
    check_payload(&chain, &summary, produced_root, &parent.execution)?;
    verify::randao_reveal(&mut chain, header.slot, &summary.randao_reveal)
        .map_err(ApiError::bad_request)?;
    verify::block_signature(&chain, &header, &summary.signature).map_err(ApiError::bad_request)?;

    // A valid block: check for equivocation before importing.
    let seen_before = state
        .blocks()
        .seen
        .insert((header.slot, header.proposer_index), root);
    if let Some(first) = seen_before.filter(|first| *first != root) {
        // Keep the first block as the one seen.
        state
            .blocks()
            .seen
            .insert((header.slot, header.proposer_index), first);
        drop(chain);
        state.recorder().record_double_proposal(DoubleProposal {
            slot: header.slot,
            proposer_index: header.proposer_index,
            first_root: first,
            second_root: root,
        });
        let message = format!(
            "equivocation: proposer {} already published block {first} for slot {}",
            header.proposer_index, header.slot
        );
        if validation == BroadcastValidation::ConsensusAndEquivocation {
            return Err(ApiError::bad_request(message));
        }
        return Ok(accepted_not_imported(message));
    }
    if seen_before.is_some() {
        // The same block again: known (200) if it became part of the chain.
        if chain.block_by_root(&root).is_some() {
            return Ok(StatusCode::OK.into_response());
        }
        return Ok(accepted_not_imported(format!(
            "block {root} was already published and not imported"
        )));
    }
    let execution = ExecutionHead {
        block_hash: summary.payload.block_hash,
        block_number: summary.payload.block_number,
    };
    let imported = chain.import_block(header, execution);
    let arrival_ms = now as i64 - chain.slot_start_ms(header.slot) as i64;
    let epoch_transition = header.slot % chain.slots_per_epoch() == 0;
    drop(chain);
    let submission = Submission {
        validator_index: header.proposer_index,
        kind: DutyKind::Proposal,
        slot: header.slot,
        arrival_ms,
        vote: Vote::Root(root),
    };
    match imported {
        Ok(block) => {
            let mut recorder = state.recorder();
            recorder.record(submission);
            recorder.record_block(header.slot, blinded);
            drop(recorder);
            let mut blocks = state.blocks();
            blocks.attestations_included_before =
                blocks.attestations_included_before.max(header.slot);
            drop(blocks);
            let _ = state.events.send(ChainEvent::Block {
                slot: header.slot,
                block: block.root,
            });
            let _ = state.events.send(ChainEvent::Head {
                slot: header.slot,
                block: block.root,
                state: header.state_root,
                epoch_transition,
            });
            Ok(StatusCode::OK.into_response())
        }
        Err(
            error @ (ImportError::SlotTaken { .. }
            | ImportError::Superseded { .. }
            | ImportError::WrongParent { .. }),
        ) => {
            state.recorder().record(submission);
            Ok(accepted_not_imported(format!(
                "block broadcast but not imported: {error}"
            )))
        }
        Err(error) => Err(ApiError::bad_request(error.to_string())),
    }
}

/// 202: "the block failed integration into the beacon node's database but was broadcast".
fn accepted_not_imported(message: String) -> Response {
    (
        StatusCode::ACCEPTED,
        Json(json!({"code": 202, "message": message})),
    )
        .into_response()
}

/// The payload must be one this node produced (the simulator's execution client would reject
/// any other), build on the parent's payload and carry the slot's timestamp; blobs must match
/// their commitments.
fn check_payload(
    chain: &crate::Chain,
    summary: &PublishedSummary,
    produced_root: Option<Root>,
    parent: &ExecutionHead,
) -> Result<(), ApiError> {
    let payload = &summary.payload;
    let what = if summary.blinded {
        "execution payload header"
    } else {
        "execution payload"
    };
    match produced_root {
        None => {
            return Err(ApiError::bad_request(format!(
                "{what} with block_hash {} was not produced by this node",
                payload.block_hash
            )))
        }
        Some(expected) if expected != payload.root => {
            return Err(ApiError::bad_request(format!(
                "{what} does not match the payload this node produced with block_hash {}",
                payload.block_hash
            )))
        }
        Some(_) => {}
    }
    if payload.parent_hash != parent.block_hash {
        return Err(ApiError::bad_request(format!(
            "{what} parent_hash {} is not the parent block's payload {}",
            payload.parent_hash, parent.block_hash
        )));
    }
    let timestamp = chain.slot_start_ms(summary.header.slot) / 1000;
    if payload.timestamp != timestamp {
        return Err(ApiError::bad_request(format!(
            "{what} timestamp {} is not slot {}'s {timestamp}",
            payload.timestamp, summary.header.slot
        )));
    }
    if !summary.blinded {
        if summary.blobs != summary.commitments {
            return Err(ApiError::bad_request(format!(
                "{} blobs for {} blob_kzg_commitments",
                summary.blobs, summary.commitments
            )));
        }
        let proofs = blocks::expected_kzg_proofs(summary.fork, summary.blobs);
        if summary.kzg_proofs != proofs {
            return Err(ApiError::bad_request(format!(
                "{} kzg_proofs, expected {proofs} for {} blobs at {}",
                summary.kzg_proofs, summary.blobs, summary.fork
            )));
        }
    }
    Ok(())
}
