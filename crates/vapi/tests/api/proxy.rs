//! Reverse proxy: everything not intercepted reaches the beacon node unchanged.

use serde_json::json;

use crate::harness::{assert_error, json_of, start_sick_bn, Harness};

#[tokio::test]
async fn unintercepted_paths_pass_with_method_query_headers_and_body() {
    let h = Harness::start().await;
    let response = h
        .http
        .post(format!(
            "{}/eth/v1/validator/prepare_beacon_proposer?x=1&y=a%2Cb",
            h.url
        ))
        .header("x-test", "kept")
        .header("connection", "close")
        .body(r#"[{"validator_index":"1"}]"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-upstream"], "fake");
    let (status, body) = json_of(response).await;
    assert_eq!(status, 202);
    assert_eq!(
        body,
        json!({
            "method": "POST",
            "path_and_query": "/eth/v1/validator/prepare_beacon_proposer?x=1&y=a%2Cb",
            "body": r#"[{"validator_index":"1"}]"#,
            "x_test": "kept",
        })
    );
    assert!(h
        .bn
        .last()
        .headers
        .get("connection")
        .is_none_or(|v| v != "close"));
}

#[tokio::test]
async fn other_methods_on_intercepted_paths_are_proxied() {
    let h = Harness::start().await;
    // GET of the attestation pool is a beacon node query, not a submission.
    let (status, body) = json_of(h.get("/eth/v1/beacon/pool/attestations?slot=3").await).await;
    assert_eq!(status, 202);
    assert_eq!(body["method"], json!("GET"));
    assert_eq!(
        body["path_and_query"],
        json!("/eth/v1/beacon/pool/attestations?slot=3")
    );
}

#[tokio::test]
async fn the_event_stream_is_streamed() {
    let h = Harness::start().await;
    let response = h
        .http
        .get(format!("{}/eth/v1/events?topics=head", h.url))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let text = response.text().await.unwrap();
    assert_eq!(
        text,
        "event: head\ndata: {\"slot\":\"1\"}\n\nevent: head\ndata: {\"slot\":\"2\"}\n\n"
    );
    assert_eq!(h.bn.last().path_and_query, "/eth/v1/events?topics=head");
}

#[tokio::test]
async fn an_unreachable_beacon_node_is_a_503() {
    let h = Harness::start_with_upstream(vec!["http://127.0.0.1:1".into()]).await;
    let response = h.get("/eth/v1/node/version").await;
    assert_error(response, 503, &["no beacon node answered", "127.0.0.1:1"]).await;
}

#[tokio::test]
async fn the_first_beacon_node_that_answers_wins() {
    // A dead node first, then the fake one.
    let h = Harness::start_with_upstream_then_fake(vec!["http://127.0.0.1:1".into()]).await;
    let (status, body) = json_of(h.get("/eth/v1/node/version").await).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["path_and_query"], json!("/eth/v1/node/version"));
}

#[tokio::test]
async fn a_failing_beacon_node_is_skipped_unless_it_is_the_last() {
    let sick = start_sick_bn().await;
    let h = Harness::start_with_upstream_then_fake(vec![sick.clone()]).await;
    let (status, body) = json_of(h.get("/eth/v1/node/syncing").await).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["path_and_query"], json!("/eth/v1/node/syncing"));
    let h = Harness::start_with_upstream(vec![sick]).await;
    let (status, body) = json_of(h.get("/eth/v1/node/syncing").await).await;
    assert_eq!(status, 503);
    assert_eq!(body, json!({"code": 503, "message": "node is syncing"}));
}

#[tokio::test]
async fn shutdown_ends_open_event_streams() {
    let h = Harness::start().await;
    let mut response = h
        .http
        .get(format!("{}/eth/v1/events?topics=forever", h.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.chunk().await.unwrap().is_some());
    let reader = tokio::spawn(async move { while let Ok(Some(_)) = response.chunk().await {} });
    assert!(
        h.stop(std::time::Duration::from_secs(5)).await,
        "server did not stop"
    );
    tokio::time::timeout(std::time::Duration::from_secs(5), reader)
        .await
        .expect("stream did not end")
        .unwrap();
}
