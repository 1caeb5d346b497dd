//! Attestations and aggregates: `attestation_data`, the attestation pool, `aggregate_attestation`
//! and `aggregate_and_proofs`.

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::Query;
use axum::http::HeaderMap;
use axum::response::Response;
use mosaic_beacon::BeaconCommitteeSelection;
use mosaic_core::signeddata::{SignedData, SubmittedAttestation};
use mosaic_crypto::bls::PublicKey;
use mosaic_types::consensus::electra::SingleAttestation;
use mosaic_types::consensus::versioned::{Attestation, SignedAggregateAndProof};
use mosaic_types::consensus::{ForkVersioned, Preset};
use mosaic_types::{BlsSignature, ForkName, Root, Slot};
use serde::Deserialize;
use serde_json::Value;

use super::{query, slot_of_json};
use crate::app::{AppState, SignatureCheck};
use crate::backend::Backend;
use crate::encoding::{self, parse_json, require_json_body};
use crate::error::ApiError;

/// Query of `produceAttestationData`.
#[derive(Debug, Deserialize)]
pub(crate) struct AttestationDataQuery {
    #[serde(with = "mosaic_types::quoted_u64")]
    slot: Slot,
    #[serde(with = "mosaic_types::quoted_u64")]
    committee_index: u64,
}

/// `GET /eth/v1/validator/attestation_data`: the decided data, once decided.
pub(crate) async fn attestation_data<P: Preset, B: Backend<P>>(
    state: AppState<P, B>,
    params: Result<Query<AttestationDataQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let params = query(params)?;
    let data = state
        .wait(
            state
                .backend
                .attestation_data(params.slot, params.committee_index),
        )
        .await?;
    encoding::data(&data)
}

/// The single set bit of an aggregation bit field, or why there is not exactly one.
fn single_bit(bits: impl Iterator<Item = bool>) -> Result<u64, String> {
    let mut set = bits
        .enumerate()
        .filter(|(_, bit)| *bit)
        .map(|(index, _)| index as u64);
    match (set.next(), set.next()) {
        (Some(index), None) => Ok(index),
        (None, _) => Err("has no aggregation bit set".into()),
        (Some(_), Some(_)) => Err("has more than one aggregation bit set".into()),
    }
}

/// The DV that signed a pre-electra attestation, from its single aggregation bit.
fn attester_of<P: Preset, B: Backend<P>>(
    state: &AppState<P, B>,
    attestation: &Attestation<P>,
    what: &str,
) -> Result<PublicKey, ApiError> {
    let invalid = |reason: String| ApiError::bad_request(format!("{what} {reason}"));
    let (committee_index, position, data) = match attestation {
        Attestation::Phase0(a)
        | Attestation::Altair(a)
        | Attestation::Bellatrix(a)
        | Attestation::Capella(a)
        | Attestation::Deneb(a) => {
            let position = single_bit(a.aggregation_bits.iter()).map_err(invalid)?;
            (a.data.index, position, &a.data)
        }
        Attestation::Electra(a) | Attestation::Fulu(a) => {
            let committee = single_bit(a.committee_bits.iter())
                .map_err(|reason| invalid(reason.replace("aggregation", "committee")))?;
            let position = single_bit(a.aggregation_bits.iter()).map_err(invalid)?;
            (committee, position, &a.data)
        }
    };
    state
        .backend
        .attester_pubkey(data.slot, committee_index, position)
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "{what}: no attester duty of this cluster at slot {} committee {committee_index} \
                 position {position}",
                data.slot
            ))
        })
}

/// Verifies every attestation of a submission, then submits them all (or none).
async fn submit_attestations<P: Preset, B: Backend<P>>(
    state: &AppState<P, B>,
    attestations: Vec<SubmittedAttestation<P>>,
) -> Result<Response, ApiError> {
    let mut partials = Vec::with_capacity(attestations.len());
    let mut checks = Vec::with_capacity(attestations.len());
    for (position, attestation) in attestations.into_iter().enumerate() {
        let what = format!(
            "attestation {position} for slot {}",
            attestation.data().slot
        );
        let dv = match &attestation {
            SubmittedAttestation::Aggregated(aggregated) => attester_of(state, aggregated, &what)?,
            SubmittedAttestation::Single { attestation, .. } => {
                state.dv_by_index(attestation.attester_index, &what)?
            }
        };
        let data = SignedData::Attestation(attestation);
        checks.push(state.partial_check(&dv, &data, &what)?);
        partials.push((dv, data));
    }
    let verified = state.verify(checks).await?;
    state.submit(partials, &verified).await?;
    Ok(encoding::ok())
}

/// Decodes a list of pre-electra attestations at `fork` (or the fork of each one's slot).
fn pre_electra_attestations<P: Preset, B: Backend<P>>(
    state: &AppState<P, B>,
    items: Vec<Value>,
    fork: Option<ForkName>,
) -> Result<Vec<SubmittedAttestation<P>>, ApiError> {
    items
        .into_iter()
        .enumerate()
        .map(|(position, item)| {
            let fork = match fork {
                Some(fork) => fork,
                None => state.fork_at_slot(slot_of_json(&item, &["data", "slot"])?),
            };
            if fork >= ForkName::Electra {
                return Err(ApiError::bad_request(format!(
                    "attestation {position} is for fork {fork}: submit electra attestations to \
                     POST /eth/v2/beacon/pool/attestations as SingleAttestation"
                )));
            }
            Attestation::from_json_at(item, fork)
                .map(|attestation| SubmittedAttestation::Aggregated(Box::new(attestation)))
                .map_err(|error| ApiError::bad_request(format!("attestation {position}: {error}")))
        })
        .collect()
}

/// `POST /eth/v1/beacon/pool/attestations`: phase0-shaped attestations.
pub(crate) async fn submit_attestations_v1<P: Preset, B: Backend<P>>(
    state: AppState<P, B>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_json_body(&headers, "attestations")?;
    let items: Vec<Value> = parse_json(&body, "attestation list")?;
    let attestations = pre_electra_attestations(&state, items, None)?;
    submit_attestations(&state, attestations).await
}

/// An electra-on attestation: a `SingleAttestation` (what validator clients send), or an
/// `Attestation` with one committee bit and one aggregation bit.
fn electra_attestation<P: Preset>(
    item: Value,
    fork: ForkName,
    position: usize,
) -> Result<SubmittedAttestation<P>, ApiError> {
    if item.get("attester_index").is_some() {
        serde_json::from_value::<SingleAttestation>(item)
            .map(|attestation| SubmittedAttestation::Single {
                version: fork,
                attestation: Box::new(attestation),
            })
            .map_err(|error| {
                ApiError::bad_request(format!(
                    "attestation {position} is not a SingleAttestation: {error}"
                ))
            })
    } else {
        Attestation::from_json_at(item, fork)
            .map(|attestation| SubmittedAttestation::Aggregated(Box::new(attestation)))
            .map_err(|error| ApiError::bad_request(format!("attestation {position}: {error}")))
    }
}

/// `POST /eth/v2/beacon/pool/attestations`: `SingleAttestation` from electra, `Attestation`
/// before (fork from `Eth-Consensus-Version`, else from the slot).
pub(crate) async fn submit_attestations_v2<P: Preset, B: Backend<P>>(
    state: AppState<P, B>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_json_body(&headers, "attestations")?;
    let items: Vec<Value> = parse_json(&body, "attestation list")?;
    let fork = match encoding::consensus_version(&headers)? {
        Some(fork) => fork,
        None => match items.first() {
            Some(first) => state.fork_at_slot(slot_of_json(first, &["data", "slot"])?),
            None => ForkName::Phase0,
        },
    };
    let attestations = if fork >= ForkName::Electra {
        items
            .into_iter()
            .enumerate()
            .map(|(position, item)| electra_attestation(item, fork, position))
            .collect::<Result<Vec<_>, _>>()?
    } else {
        pre_electra_attestations(&state, items, Some(fork))?
    };
    submit_attestations(&state, attestations).await
}

/// Query of `getAggregatedAttestation` (v1 and v2).
#[derive(Debug, Deserialize)]
pub(crate) struct AggregateQuery {
    attestation_data_root: Root,
    #[serde(with = "mosaic_types::quoted_u64")]
    slot: Slot,
    #[serde(default, with = "optional_u64")]
    committee_index: Option<u64>,
}

/// Serde for an optional decimal query parameter.
mod optional_u64 {
    use serde::{Deserialize, Deserializer};

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<u64>, D::Error> {
        let text = Option::<String>::deserialize(deserializer)?;
        text.map(|text| text.parse().map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// `GET /eth/v1/validator/aggregate_attestation`: `{"data": attestation}`.
pub(crate) async fn aggregate_attestation_v1<P: Preset, B: Backend<P>>(
    state: AppState<P, B>,
    params: Result<Query<AggregateQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let params = query(params)?;
    let attestation = state
        .wait(state.backend.aggregate_attestation(
            params.slot,
            params.attestation_data_root,
            params.committee_index,
        ))
        .await?;
    encoding::data(&attestation)
}

/// `GET /eth/v2/validator/aggregate_attestation`: `{"version", "data"}`, or SSZ with
/// `Eth-Consensus-Version` when the client prefers it.
pub(crate) async fn aggregate_attestation_v2<P: Preset, B: Backend<P>>(
    state: AppState<P, B>,
    params: Result<Query<AggregateQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let params = query(params)?;
    let attestation = state
        .wait(state.backend.aggregate_attestation(
            params.slot,
            params.attestation_data_root,
            params.committee_index,
        ))
        .await?;
    if encoding::wants_ssz(&headers) {
        return Ok(encoding::ssz(attestation.fork_name(), attestation.to_ssz()));
    }
    encoding::versioned_data(attestation.fork_name(), &attestation)
}

/// The aggregator index and selection proof of a signed aggregate and proof.
fn aggregator_of<P: Preset>(aggregate: &SignedAggregateAndProof<P>) -> (u64, BlsSignature) {
    match aggregate {
        SignedAggregateAndProof::Phase0(a)
        | SignedAggregateAndProof::Altair(a)
        | SignedAggregateAndProof::Bellatrix(a)
        | SignedAggregateAndProof::Capella(a)
        | SignedAggregateAndProof::Deneb(a) => {
            (a.message.aggregator_index, a.message.selection_proof)
        }
        SignedAggregateAndProof::Electra(a) | SignedAggregateAndProof::Fulu(a) => {
            (a.message.aggregator_index, a.message.selection_proof)
        }
    }
}

/// Verifies and submits aggregates: the selection proof inside must be the cluster's combined
/// proof (valid for the DV key), the outer signature this node's partial.
async fn submit_aggregates<P: Preset, B: Backend<P>>(
    state: &AppState<P, B>,
    items: Vec<Value>,
    fork: Option<ForkName>,
) -> Result<Response, ApiError> {
    let mut partials = Vec::with_capacity(items.len());
    let mut checks = Vec::with_capacity(2 * items.len());
    for (position, item) in items.into_iter().enumerate() {
        let fork = match fork {
            Some(fork) => fork,
            None => {
                let slot = slot_of_json(&item, &["message", "aggregate", "data", "slot"])?;
                let fork = state.fork_at_slot(slot);
                if fork >= ForkName::Electra {
                    return Err(ApiError::bad_request(format!(
                        "aggregate and proof {position} is for fork {fork}: use \
                         POST /eth/v2/validator/aggregate_and_proofs"
                    )));
                }
                fork
            }
        };
        let aggregate =
            SignedAggregateAndProof::<P>::from_json_at(item, fork).map_err(|error| {
                ApiError::bad_request(format!("aggregate and proof {position}: {error}"))
            })?;
        let slot = aggregate.slot();
        let what = format!("aggregate and proof {position} for slot {slot}");
        let (aggregator_index, selection_proof) = aggregator_of(&aggregate);
        let dv = state.dv_by_index(aggregator_index, &what)?;
        let selection = SignedData::<P>::BeaconCommitteeSelection(BeaconCommitteeSelection {
            validator_index: aggregator_index,
            slot,
            selection_proof,
        });
        checks.push(SignatureCheck {
            key: dv,
            root: selection.signing_root(&state.signing),
            signature: selection_proof,
            failure: ApiError::bad_request(format!(
                "{what}: selection proof of validator {} is not the cluster's aggregated \
                 selection proof (get it from POST /eth/v1/validator/beacon_committee_selections)",
                dv.to_hex()
            )),
        });
        let data = SignedData::AggregateAndProof(Box::new(aggregate));
        checks.push(state.partial_check(&dv, &data, &what)?);
        partials.push((dv, data));
    }
    let verified = state.verify(checks).await?;
    state.submit(partials, &verified).await?;
    Ok(encoding::ok())
}

/// `POST /eth/v1/validator/aggregate_and_proofs`: pre-electra aggregates.
pub(crate) async fn aggregate_and_proofs_v1<P: Preset, B: Backend<P>>(
    state: AppState<P, B>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_json_body(&headers, "aggregate and proofs")?;
    let items: Vec<Value> = parse_json(&body, "aggregate and proof list")?;
    submit_aggregates(&state, items, None).await
}

/// `POST /eth/v2/validator/aggregate_and_proofs`: aggregates of the `Eth-Consensus-Version`
/// fork (else the fork of their slot).
pub(crate) async fn aggregate_and_proofs_v2<P: Preset, B: Backend<P>>(
    state: AppState<P, B>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_json_body(&headers, "aggregate and proofs")?;
    let items: Vec<Value> = parse_json(&body, "aggregate and proof list")?;
    let fork = match encoding::consensus_version(&headers)? {
        Some(fork) => fork,
        None => match items.first() {
            Some(first) => state.fork_at_slot(slot_of_json(
                first,
                &["message", "aggregate", "data", "slot"],
            )?),
            None => ForkName::Phase0,
        },
    };
    submit_aggregates(&state, items, Some(fork)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_one_aggregation_bit() {
        assert_eq!(single_bit([false, true, false].into_iter()), Ok(1));
        assert!(single_bit([false, false].into_iter()).is_err());
        assert!(single_bit([true, true].into_iter()).is_err());
        assert!(single_bit(std::iter::empty()).is_err());
    }
}
