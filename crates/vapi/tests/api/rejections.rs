//! Request-shape rejections shared by the intercepted endpoints, each beside a request one
//! step inside the rule.

use mosaic_types::ForkName;
use serde_json::json;

use crate::harness::{assert_error, json_of, Harness};

#[tokio::test]
async fn a_dv_without_a_share_on_this_node_is_refused() {
    let h = Harness::start().await;
    // The node knows validator 5 but this node holds no share of it.
    h.backend
        .indices
        .lock()
        .unwrap()
        .insert(5, h.stranger_key.public_key());
    let exit = |index: u64| {
        json!({"message": {"epoch": "5", "validator_index": index.to_string()},
               "signature": format!("0x{}", "00".repeat(96))})
    };
    let response = h
        .post("/eth/v1/beacon/pool/voluntary_exits", &exit(5))
        .await;
    assert_error(response, 400, &["has no public share on this node"]).await;
    // Validator 1 has a share, so the same request gets as far as the signature check.
    let response = h
        .post("/eth/v1/beacon/pool/voluntary_exits", &exit(1))
        .await;
    assert_error(response, 400, &["invalid partial signature"]).await;
    assert!(h.backend.submitted().is_empty());
}

#[tokio::test]
async fn json_only_endpoints_refuse_ssz_bodies() {
    let h = Harness::start().await;
    let response = h
        .http
        .post(format!("{}/eth/v1/beacon/pool/attestations", h.url))
        .header("content-type", "application/octet-stream")
        .body(vec![0u8; 8])
        .send()
        .await
        .unwrap();
    assert_error(response, 415, &["JSON only"]).await;
    // An empty JSON list is accepted and submits nothing.
    let response = h.post("/eth/v1/beacon/pool/attestations", &json!([])).await;
    assert_eq!(json_of(response).await.0, 200);
    let response = h.post("/eth/v1/beacon/pool/attestations", &json!({})).await;
    assert_error(response, 400, &["invalid attestation list JSON"]).await;
    assert!(h.backend.submitted().is_empty());
}

#[tokio::test]
async fn v1_aggregates_refuse_electra_slots() {
    let h = Harness::start().await;
    let slot = h.slot_at(ForkName::Electra, 0);
    let aggregate = json!({"message": {"aggregator_index": "1",
        "aggregate": {"data": {"slot": slot.to_string()}}}, "signature": "0x"});
    let response = h
        .post(
            "/eth/v1/validator/aggregate_and_proofs",
            &json!([aggregate]),
        )
        .await;
    assert_error(
        response,
        400,
        &["aggregate and proof 0 is for fork electra"],
    )
    .await;
    // One slot earlier is deneb: the fork rule passes and decoding is what fails.
    let aggregate = json!({"message": {"aggregator_index": "1",
        "aggregate": {"data": {"slot": (slot - 1).to_string()}}}, "signature": "0x"});
    let response = h
        .post(
            "/eth/v1/validator/aggregate_and_proofs",
            &json!([aggregate]),
        )
        .await;
    assert_error(response, 400, &["aggregate and proof 0: "]).await;
}

#[tokio::test]
async fn blinded_blocks_before_bellatrix_and_bad_slots_are_refused() {
    let h = Harness::start().await;
    let block = |slot: u64| json!({"message": {"slot": slot.to_string()}, "signature": "0x"});
    let response = h.post("/eth/v1/beacon/blinded_blocks", &block(5)).await;
    assert_error(response, 400, &["before bellatrix"]).await;
    let bellatrix = h.slot_at(ForkName::Bellatrix, 0);
    let response = h
        .post("/eth/v1/beacon/blinded_blocks", &block(bellatrix))
        .await;
    assert_error(response, 400, &["invalid signed block"]).await;
    let response = h
        .get("/eth/v3/validator/blocks/next?randao_reveal=0x00")
        .await;
    assert_error(response, 400, &["slot \"next\" is not a number"]).await;
}
