//! Sync committee duties: messages, contributions and contribution-and-proofs.

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::Query;
use axum::http::HeaderMap;
use axum::response::Response;
use mosaic_beacon::SyncCommitteeSelection;
use mosaic_core::signeddata::SignedData;
use mosaic_types::consensus::altair::{SignedContributionAndProof, SyncCommitteeMessage};
use mosaic_types::consensus::Preset;
use mosaic_types::{Root, Slot};
use serde::Deserialize;

use super::query;
use crate::app::{AppState, SignatureCheck};
use crate::backend::Backend;
use crate::encoding::{self, parse_json, require_json_body};
use crate::error::ApiError;

/// `POST /eth/v1/beacon/pool/sync_committees`: sync committee messages.
pub(crate) async fn submit_sync_messages<P: Preset, B: Backend<P>>(
    state: AppState<P, B>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_json_body(&headers, "sync committee messages")?;
    let messages: Vec<SyncCommitteeMessage> = parse_json(&body, "sync committee message list")?;
    let mut partials = Vec::with_capacity(messages.len());
    let mut checks = Vec::with_capacity(messages.len());
    for (position, message) in messages.into_iter().enumerate() {
        let what = format!(
            "sync committee message {position} for slot {}",
            message.slot
        );
        let dv = state.dv_by_index(message.validator_index, &what)?;
        let data = SignedData::SyncMessage(message);
        checks.push(state.partial_check(&dv, &data, &what)?);
        partials.push((dv, data));
    }
    let verified = state.verify(checks).await?;
    state.submit(partials, &verified).await?;
    Ok(encoding::ok())
}

/// Query of `produceSyncCommitteeContribution`.
#[derive(Debug, Deserialize)]
pub(crate) struct ContributionQuery {
    #[serde(with = "mosaic_types::quoted_u64")]
    slot: Slot,
    #[serde(with = "mosaic_types::quoted_u64")]
    subcommittee_index: u64,
    beacon_block_root: Root,
}

/// `GET /eth/v1/validator/sync_committee_contribution`: the decided contribution.
pub(crate) async fn sync_contribution<P: Preset, B: Backend<P>>(
    state: AppState<P, B>,
    params: Result<Query<ContributionQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let params = query(params)?;
    let contribution = state
        .wait(state.backend.sync_contribution(
            params.slot,
            params.subcommittee_index,
            params.beacon_block_root,
        ))
        .await?;
    encoding::data(&contribution)
}

/// `POST /eth/v1/validator/contribution_and_proofs`: the selection proof inside must be the
/// cluster's combined proof, the outer signature this node's partial.
pub(crate) async fn contribution_and_proofs<P: Preset, B: Backend<P>>(
    state: AppState<P, B>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_json_body(&headers, "contribution and proofs")?;
    let items: Vec<SignedContributionAndProof<P>> =
        parse_json(&body, "contribution and proof list")?;
    let mut partials = Vec::with_capacity(items.len());
    let mut checks = Vec::with_capacity(2 * items.len());
    for (position, item) in items.into_iter().enumerate() {
        let message = &item.message;
        let contribution = &message.contribution;
        let what = format!(
            "contribution and proof {position} for slot {} subcommittee {}",
            contribution.slot, contribution.subcommittee_index
        );
        let dv = state.dv_by_index(message.aggregator_index, &what)?;
        let selection = SignedData::<P>::SyncCommitteeSelection(SyncCommitteeSelection {
            validator_index: message.aggregator_index,
            slot: contribution.slot,
            subcommittee_index: contribution.subcommittee_index,
            selection_proof: message.selection_proof,
        });
        checks.push(SignatureCheck {
            key: dv,
            root: selection.signing_root(&state.signing),
            signature: message.selection_proof,
            failure: ApiError::bad_request(format!(
                "{what}: selection proof of validator {} is not the cluster's aggregated \
                 selection proof (get it from POST /eth/v1/validator/sync_committee_selections)",
                dv.to_hex()
            )),
        });
        let data = SignedData::ContributionAndProof(Box::new(item));
        checks.push(state.partial_check(&dv, &data, &what)?);
        partials.push((dv, data));
    }
    let verified = state.verify(checks).await?;
    state.submit(partials, &verified).await?;
    Ok(encoding::ok())
}
