//! Sync committee messages, contributions and contribution-and-proofs.

use mosaic_beacon::SyncCommitteeSelection;
use mosaic_core::signeddata::SignedData;
use mosaic_types::consensus::altair::{
    ContributionAndProof, SignedContributionAndProof, SyncCommitteeContribution,
    SyncCommitteeMessage,
};
use mosaic_types::{BlsSignature, Root};
use serde_json::json;
use ssz_types::BitVector;

use crate::harness::{assert_error, json_of, Harness, INDEX, P};

fn message(validator_index: u64) -> SignedData<P> {
    SignedData::SyncMessage(SyncCommitteeMessage {
        slot: 50,
        beacon_block_root: Root([0x44; 32]),
        validator_index,
        signature: BlsSignature([0; 96]),
    })
}

fn message_json(data: &SignedData<P>) -> serde_json::Value {
    match data {
        SignedData::SyncMessage(message) => serde_json::to_value(message).unwrap(),
        other => panic!("not a sync message: {other:?}"),
    }
}

#[tokio::test]
async fn sync_messages_are_verified_then_submitted() {
    let h = Harness::start().await;
    let path = "/eth/v1/beacon/pool/sync_committees";
    let good = h.signed(&message(INDEX));
    let bad = h.signed_by(&h.stranger_key, &message(INDEX));
    let response = h
        .post(path, &json!([message_json(&good), message_json(&bad)]))
        .await;
    assert_error(
        response,
        400,
        &[
            "sync committee message 1 for slot 50",
            "invalid partial signature",
        ],
    )
    .await;
    let unknown = h.signed(&message(42));
    let response = h.post(path, &json!([message_json(&unknown)])).await;
    assert_error(response, 400, &["validator index 42"]).await;
    assert!(h.backend.submitted().is_empty());
    let response = h.post(path, &json!([message_json(&good)])).await;
    assert_eq!(json_of(response).await.0, 200);
    assert_eq!(h.backend.submitted(), vec![(h.dv(), good)]);
}

fn contribution() -> SyncCommitteeContribution<P> {
    let mut aggregation_bits = BitVector::new();
    aggregation_bits.set(1, true).unwrap();
    SyncCommitteeContribution {
        slot: 50,
        beacon_block_root: Root([0x44; 32]),
        subcommittee_index: 2,
        aggregation_bits,
        signature: BlsSignature([0x55; 96]),
    }
}

#[tokio::test]
async fn sync_contribution_waits_for_the_decided_one() {
    let h = Harness::start().await;
    h.backend
        .contributions
        .set((50, 2, Root([0x44; 32])), contribution());
    let response = h
        .get(&format!(
            "/eth/v1/validator/sync_committee_contribution?slot=50&subcommittee_index=2&beacon_block_root={}",
            Root([0x44; 32]).to_hex()
        ))
        .await;
    let (status, body) = json_of(response).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({ "data": contribution() }));
}

fn contribution_and_proof(
    h: &Harness,
    selection_key: &mosaic_crypto::bls::SecretKey,
    outer_key: &mosaic_crypto::bls::SecretKey,
) -> SignedData<P> {
    let selection = SignedData::<P>::SyncCommitteeSelection(SyncCommitteeSelection {
        validator_index: INDEX,
        slot: 50,
        subcommittee_index: 2,
        selection_proof: BlsSignature([0; 96]),
    });
    let unsigned = SignedData::ContributionAndProof(Box::new(SignedContributionAndProof {
        message: ContributionAndProof {
            aggregator_index: INDEX,
            contribution: contribution(),
            selection_proof: h.signed_by(selection_key, &selection).signature(),
        },
        signature: BlsSignature([0; 96]),
    }));
    h.signed_by(outer_key, &unsigned)
}

fn contribution_json(data: &SignedData<P>) -> serde_json::Value {
    match data {
        SignedData::ContributionAndProof(c) => serde_json::to_value(c.as_ref()).unwrap(),
        other => panic!("not a contribution: {other:?}"),
    }
}

#[tokio::test]
async fn contribution_and_proofs_need_the_combined_selection_and_a_valid_partial() {
    let h = Harness::start().await;
    let path = "/eth/v1/validator/contribution_and_proofs";
    let bad_outer = contribution_and_proof(&h, &h.dv_key, &h.stranger_key);
    let response = h.post(path, &json!([contribution_json(&bad_outer)])).await;
    assert_error(
        response,
        400,
        &[
            "contribution and proof 0 for slot 50 subcommittee 2",
            "invalid partial signature",
        ],
    )
    .await;
    let partial_selection = contribution_and_proof(&h, &h.share_key, &h.share_key);
    let response = h
        .post(path, &json!([contribution_json(&partial_selection)]))
        .await;
    assert_error(
        response,
        400,
        &["selection proof", "sync_committee_selections"],
    )
    .await;
    assert!(h.backend.submitted().is_empty());
    let good = contribution_and_proof(&h, &h.dv_key, &h.share_key);
    let response = h.post(path, &json!([contribution_json(&good)])).await;
    assert_eq!(json_of(response).await.0, 200);
    assert_eq!(h.backend.submitted(), vec![(h.dv(), good)]);
}
