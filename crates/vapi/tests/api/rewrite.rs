//! Duties and validator queries: share → DV in requests, DV → share in answers; other keys
//! unchanged.

use serde_json::json;

use crate::harness::{json_of, Harness};

#[tokio::test]
async fn attester_duties_answer_with_the_share_key() {
    let h = Harness::start().await;
    let response = h
        .post("/eth/v1/validator/duties/attester/3", &json!(["1", "2"]))
        .await;
    let (status, body) = json_of(response).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"][0]["pubkey"], json!(h.share().to_hex()));
    assert_eq!(body["data"][1]["pubkey"], json!(h.bn.other.to_hex()));
    assert_eq!(body["data"][0]["validator_committee_index"], json!("3"));
    assert_eq!(
        body["dependent_root"],
        json!(format!("0x{}", "05".repeat(32)))
    );
    let request = h.bn.last();
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.path_and_query,
        "/eth/v1/validator/duties/attester/3"
    );
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&request.body).unwrap(),
        json!(["1", "2"])
    );
}

#[tokio::test]
async fn proposer_and_sync_duties_answer_with_the_share_key() {
    let h = Harness::start().await;
    let (status, body) = json_of(h.get("/eth/v1/validator/duties/proposer/3").await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"][0]["pubkey"], json!(h.share().to_hex()));
    assert_eq!(body["data"][1]["pubkey"], json!(h.bn.other.to_hex()));
    let response = h
        .post("/eth/v1/validator/duties/sync/3", &json!(["1"]))
        .await;
    let (status, body) = json_of(response).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"][0]["pubkey"], json!(h.share().to_hex()));
    assert_eq!(
        body["data"][0]["validator_sync_committee_indices"],
        json!(["0", "9"])
    );
}

#[tokio::test]
async fn validator_queries_rewrite_ids_and_answers() {
    let h = Harness::start().await;
    let (share, dv, other) = (h.share().to_hex(), h.dv().to_hex(), h.bn.other.to_hex());
    // GET with ids in the query.
    let response = h
        .get(&format!(
            "/eth/v1/beacon/states/head/validators?id={share},7&status=active_ongoing&id={other}"
        ))
        .await;
    let (status, body) = json_of(response).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        h.bn.last().path_and_query,
        format!("/eth/v1/beacon/states/head/validators?id={dv},7&status=active_ongoing&id={other}")
    );
    assert_eq!(body["data"][0]["validator"]["pubkey"], json!(share));
    assert_eq!(body["data"][1]["validator"]["pubkey"], json!(other));
    assert_eq!(body["finalized"], json!(true));
    // POST with ids in the body.
    let response = h
        .post(
            "/eth/v1/beacon/states/head/validators",
            &json!({"ids": [share, "7"], "statuses": ["active"]}),
        )
        .await;
    let (status, body) = json_of(response).await;
    assert_eq!(status, 200, "{body}");
    let sent: serde_json::Value = serde_json::from_slice(&h.bn.last().body).unwrap();
    assert_eq!(sent, json!({"ids": [dv, "7"], "statuses": ["active"]}));
    assert_eq!(body["data"][0]["validator"]["pubkey"], json!(share));
    // One validator by share key.
    let (status, body) = json_of(
        h.get(&format!("/eth/v1/beacon/states/head/validators/{share}"))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        h.bn.last().path_and_query,
        format!("/eth/v1/beacon/states/head/validators/{dv}")
    );
    assert_eq!(body["data"]["validator"]["pubkey"], json!(share));
    // By index: unchanged.
    json_of(h.get("/eth/v1/beacon/states/head/validators/1").await).await;
    assert_eq!(
        h.bn.last().path_and_query,
        "/eth/v1/beacon/states/head/validators/1"
    );
}

#[tokio::test]
async fn beacon_node_errors_pass_through_unchanged() {
    let h = Harness::start().await;
    let (status, body) = json_of(h.get("/eth/v1/beacon/states/head/validators/404").await).await;
    assert_eq!(status, 404);
    assert_eq!(body, json!({"code": 404, "message": "validator not found"}));
}
