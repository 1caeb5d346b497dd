//! Beacon and sync committee selections: partials in, the cluster's combined proofs out.

use std::time::Duration;

use mosaic_beacon::{BeaconCommitteeSelection, SyncCommitteeSelection};
use mosaic_core::signeddata::SignedData;
use mosaic_core::{Duty, DutyType};
use mosaic_types::BlsSignature;
use serde_json::json;

use crate::harness::{assert_error, json_of, Harness, INDEX, P};

fn beacon_selection(slot: u64) -> SignedData<P> {
    SignedData::BeaconCommitteeSelection(BeaconCommitteeSelection {
        validator_index: INDEX,
        slot,
        selection_proof: BlsSignature([0; 96]),
    })
}

fn sync_selection(subcommittee_index: u64) -> SignedData<P> {
    SignedData::SyncCommitteeSelection(SyncCommitteeSelection {
        validator_index: INDEX,
        slot: 60,
        subcommittee_index,
        selection_proof: BlsSignature([0; 96]),
    })
}

fn selection_json(data: &SignedData<P>) -> serde_json::Value {
    match data {
        SignedData::BeaconCommitteeSelection(s) => serde_json::to_value(s).unwrap(),
        SignedData::SyncCommitteeSelection(s) => serde_json::to_value(s).unwrap(),
        other => panic!("not a selection: {other:?}"),
    }
}

#[tokio::test]
async fn beacon_committee_selections_answer_with_the_combined_proof() {
    let h = Harness::start().await;
    let partial = h.signed(&beacon_selection(60));
    let combined = h.signed_by(&h.dv_key, &beacon_selection(60));
    let url = format!("{}/eth/v1/validator/beacon_committee_selections", h.url);
    let http = h.http.clone();
    let body = json!([selection_json(&partial)]);
    let request = tokio::spawn(async move { http.post(url).json(&body).send().await.unwrap() });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        !request.is_finished(),
        "answered before the proofs combined"
    );
    assert_eq!(h.backend.submitted(), vec![(h.dv(), partial)]);
    h.backend.add_combined(
        Duty::new(60, DutyType::PrepareAggregator),
        h.dv(),
        combined.clone(),
    );
    let (status, body) = json_of(request.await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({ "data": [selection_json(&combined)] }));
}

#[tokio::test]
async fn a_bad_selection_partial_is_rejected_and_nothing_submitted() {
    let h = Harness::start().await;
    let good = h.signed(&beacon_selection(60));
    let bad = h.signed_by(&h.stranger_key, &beacon_selection(61));
    let response = h
        .post(
            "/eth/v1/validator/beacon_committee_selections",
            &json!([selection_json(&good), selection_json(&bad)]),
        )
        .await;
    assert_error(
        response,
        400,
        &[
            "beacon committee selection 1 for slot 61",
            "invalid partial signature",
        ],
    )
    .await;
    let bad = h.signed_by(&h.stranger_key, &sync_selection(1));
    let response = h
        .post(
            "/eth/v1/validator/sync_committee_selections",
            &json!([selection_json(&bad)]),
        )
        .await;
    assert_error(
        response,
        400,
        &["sync committee selection 0", "invalid partial signature"],
    )
    .await;
    assert!(h.backend.submitted().is_empty());
}

#[tokio::test]
async fn sync_committee_selections_answer_with_the_combined_proof() {
    let h = Harness::start().await;
    let partial = h.signed(&sync_selection(1));
    let combined = h.signed_by(&h.dv_key, &sync_selection(1));
    h.backend.add_combined(
        Duty::new(60, DutyType::PrepareSyncContribution),
        h.dv(),
        combined.clone(),
    );
    let response = h
        .post(
            "/eth/v1/validator/sync_committee_selections",
            &json!([selection_json(&partial)]),
        )
        .await;
    let (status, body) = json_of(response).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({ "data": [selection_json(&combined)] }));
    assert_eq!(h.backend.submitted(), vec![(h.dv(), partial)]);
}

#[tokio::test]
async fn a_combined_proof_that_does_not_verify_is_not_handed_out() {
    let h = Harness::start().await;
    let partial = h.signed(&sync_selection(1));
    // The node combined the proof of another subcommittee.
    let wrong = h.signed_by(&h.dv_key, &sync_selection(3));
    h.backend.add_combined(
        Duty::new(60, DutyType::PrepareSyncContribution),
        h.dv(),
        wrong,
    );
    let response = h
        .post(
            "/eth/v1/validator/sync_committee_selections",
            &json!([selection_json(&partial)]),
        )
        .await;
    assert_error(response, 500, &["combined"]).await;
}

#[tokio::test]
async fn one_validator_in_several_sync_subcommittees_gets_each_proof() {
    let h = Harness::start().await;
    let duty = Duty::new(60, DutyType::PrepareSyncContribution);
    let partials = [h.signed(&sync_selection(1)), h.signed(&sync_selection(3))];
    let combined = [
        h.signed_by(&h.dv_key, &sync_selection(1)),
        h.signed_by(&h.dv_key, &sync_selection(3)),
    ];
    // Decided in the other order than asked.
    h.backend.add_combined(duty, h.dv(), combined[1].clone());
    h.backend.add_combined(duty, h.dv(), combined[0].clone());
    let response = h
        .post(
            "/eth/v1/validator/sync_committee_selections",
            &json!([selection_json(&partials[0]), selection_json(&partials[1])]),
        )
        .await;
    let (status, body) = json_of(response).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({ "data": [selection_json(&combined[0]), selection_json(&combined[1])] })
    );
}

#[tokio::test]
async fn aggregation_endpoints_are_refused_at_once_when_the_node_aggregates_elsewhere() {
    let h = Harness::start_aggregating_elsewhere().await;
    let started = std::time::Instant::now();
    for (method, path) in [
        ("GET", "/eth/v1/validator/aggregate_attestation?slot=1&attestation_data_root=0x00"),
        ("GET", "/eth/v2/validator/aggregate_attestation?slot=1&attestation_data_root=0x00&committee_index=0"),
        ("POST", "/eth/v1/validator/aggregate_and_proofs"),
        ("POST", "/eth/v2/validator/aggregate_and_proofs"),
        ("GET", "/eth/v1/validator/sync_committee_contribution?slot=1&subcommittee_index=0&beacon_block_root=0x00"),
        ("POST", "/eth/v1/validator/contribution_and_proofs"),
        ("POST", "/eth/v1/validator/beacon_committee_selections"),
        ("POST", "/eth/v1/validator/sync_committee_selections"),
    ] {
        let response = match method {
            "GET" => h.get(path).await,
            _ => h.post(path, &json!([])).await,
        };
        let (status, body) = json_of(response).await;
        assert_eq!(status, 400, "{method} {path}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains("--builtin-aggregator"),
            "{method} {path}: {body}"
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "answered without waiting"
    );
    // One step inside: everything else is still served (here, proxied to the fake beacon
    // node, which answers 202).
    let response = h.get("/eth/v1/node/version").await;
    assert_eq!(response.status(), 202);
}
