//! Aggregation selections (distributed-validator endpoints): the validator client sends its
//! partial selection proofs and gets back the cluster's combined ones.

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::future::try_join_all;
use mosaic_beacon::{BeaconCommitteeSelection, SyncCommitteeSelection};
use mosaic_core::signeddata::SignedData;
use mosaic_core::{Duty, DutyType};
use mosaic_crypto::bls::PublicKey;
use mosaic_types::consensus::Preset;

use crate::app::{AppState, SignatureCheck};
use crate::backend::Backend;
use crate::encoding::{self, parse_json, require_json_body};
use crate::error::ApiError;

/// Verifies and submits every partial, then waits for every combined object and checks that
/// it is the same selection, validly signed by the DV key.
async fn exchange<P: Preset, B: Backend<P>>(
    state: &AppState<P, B>,
    partials: Vec<(PublicKey, SignedData<P>, String)>,
    duty_type: DutyType,
) -> Result<Vec<SignedData<P>>, ApiError> {
    let slots_per_epoch = state.signing.network.slots_per_epoch;
    let checks = partials
        .iter()
        .map(|(dv, data, what)| state.partial_check(dv, data, what))
        .collect::<Result<Vec<_>, _>>()?;
    let verified = state.verify(checks).await?;
    let mut expected = Vec::with_capacity(partials.len());
    let mut submitted = Vec::with_capacity(partials.len());
    for (dv, data, what) in partials {
        let duty = Duty::new(data.slot(slots_per_epoch), duty_type);
        expected.push((duty, dv, data.message_root(), what));
        submitted.push((dv, data));
    }
    state.submit(submitted, &verified).await?;
    let combined = state
        .wait(try_join_all(expected.iter().map(|(duty, dv, root, _)| {
            state.backend.await_aggregate(*duty, *dv, Some(*root))
        })))
        .await?;
    let mut checks = Vec::with_capacity(combined.len());
    for ((_, dv, message_root, what), combined) in expected.iter().zip(&combined) {
        let failure = ApiError::internal(format!(
            "{what}: the node's combined {duty_type:?} object is not this selection validly \
             signed by distributed validator {}",
            dv.to_hex()
        ));
        if combined.duty_type() != duty_type || combined.message_root() != *message_root {
            return Err(failure);
        }
        checks.push(SignatureCheck {
            key: *dv,
            root: combined.signing_root(&state.signing),
            signature: combined.signature(),
            failure,
        });
    }
    state.verify(checks).await?;
    Ok(combined)
}

fn wrong_aggregate(duty_type: DutyType) -> ApiError {
    ApiError::internal(format!(
        "the node returned another kind of object as the combined {duty_type:?}"
    ))
}

/// `POST /eth/v1/validator/beacon_committee_selections`.
pub(crate) async fn beacon_committee_selections<P: Preset, B: Backend<P>>(
    state: AppState<P, B>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_json_body(&headers, "beacon committee selections")?;
    let selections: Vec<BeaconCommitteeSelection> =
        parse_json(&body, "beacon committee selection list")?;
    let mut partials = Vec::with_capacity(selections.len());
    for (position, selection) in selections.iter().enumerate() {
        let what = format!(
            "beacon committee selection {position} for slot {}",
            selection.slot
        );
        let dv = state.dv_by_index(selection.validator_index, &what)?;
        partials.push((dv, SignedData::BeaconCommitteeSelection(*selection), what));
    }
    let combined = exchange(&state, partials, DutyType::PrepareAggregator).await?;
    let answer = selections
        .iter()
        .zip(combined)
        .map(|(selection, combined)| match combined {
            SignedData::BeaconCommitteeSelection(combined) => Ok(BeaconCommitteeSelection {
                selection_proof: combined.selection_proof,
                ..*selection
            }),
            _ => Err(wrong_aggregate(DutyType::PrepareAggregator)),
        })
        .collect::<Result<Vec<_>, _>>()?;
    encoding::data(&answer)
}

/// `POST /eth/v1/validator/sync_committee_selections`.
pub(crate) async fn sync_committee_selections<P: Preset, B: Backend<P>>(
    state: AppState<P, B>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_json_body(&headers, "sync committee selections")?;
    let selections: Vec<SyncCommitteeSelection> =
        parse_json(&body, "sync committee selection list")?;
    let mut partials = Vec::with_capacity(selections.len());
    for (position, selection) in selections.iter().enumerate() {
        let what = format!(
            "sync committee selection {position} for slot {} subcommittee {}",
            selection.slot, selection.subcommittee_index
        );
        let dv = state.dv_by_index(selection.validator_index, &what)?;
        partials.push((dv, SignedData::SyncCommitteeSelection(*selection), what));
    }
    let combined = exchange(&state, partials, DutyType::PrepareSyncContribution).await?;
    let answer = selections
        .iter()
        .zip(combined)
        .map(|(selection, combined)| match combined {
            SignedData::SyncCommitteeSelection(combined) => Ok(SyncCommitteeSelection {
                selection_proof: combined.selection_proof,
                ..*selection
            }),
            _ => Err(wrong_aggregate(DutyType::PrepareSyncContribution)),
        })
        .collect::<Result<Vec<_>, _>>()?;
    encoding::data(&answer)
}
