//! Several beacon nodes: fallback on down, erroring, slow and garbled nodes, failure marks,
//! error mapping (endpoint, node, status, message), broadcast policy, credentials.

mod support;

use std::time::{Duration, Instant};

use mosaic_beacon::{endpoint, BeaconClient, ClientConfig, Error, SubmitPolicy, Timeouts};
use mosaic_types::consensus::Minimal;
use serde_json::json;
use support::{closed_url, Reply, TestServer};

fn genesis_reply() -> Reply {
    Reply::data(json!({
        "genesis_time": "1606824023",
        "genesis_validators_root": format!("0x{}", "4b".repeat(32)),
        "genesis_fork_version": "0x00000000"
    }))
}

fn config(timeout_ms: u64) -> ClientConfig {
    ClientConfig {
        timeouts: Timeouts::uniform(Duration::from_millis(timeout_ms)),
        retry_failed_after: Duration::from_secs(60),
        ..ClientConfig::default()
    }
}

fn client(urls: &[&str], config: ClientConfig) -> BeaconClient<Minimal> {
    BeaconClient::new(urls, config).expect("client")
}

#[tokio::test]
async fn falls_back_when_the_first_node_is_down_and_then_prefers_the_second() {
    let down = closed_url().await;
    let good = TestServer::fixed(genesis_reply()).await;
    let client = client(&[&down, &good.url], config(2000));
    let genesis = client.genesis().await.expect("second node answers");
    assert_eq!(genesis.genesis_time, 1_606_824_023);
    assert_eq!(client.failing_nodes(), vec![0]);
    client.genesis().await.expect("again");
    assert_eq!(good.count(), 2);
}

#[tokio::test]
async fn falls_back_on_5xx_and_marks_the_node_but_not_on_4xx() {
    let erroring = TestServer::fixed(Reply::error(500, "internal")).await;
    let good = TestServer::fixed(genesis_reply()).await;
    let client = client(&[&erroring.url, &good.url], config(2000));
    client.genesis().await.expect("fallback");
    assert_eq!(client.failing_nodes(), vec![0]);

    let rejecting = TestServer::fixed(Reply::error(404, "not found")).await;
    let good = TestServer::fixed(genesis_reply()).await;
    let client2 = self::client(&[&rejecting.url, &good.url], config(2000));
    client2.genesis().await.expect("fallback after 404");
    assert!(
        client2.failing_nodes().is_empty(),
        "a 404 is not a node fault"
    );
    // The second node answered last, so it is now tried first.
    client2.genesis().await.expect("again");
    assert_eq!(rejecting.count(), 1);
    assert_eq!(good.count(), 2);
}

#[tokio::test]
async fn a_slow_node_times_out_and_the_next_one_answers() {
    let slow = TestServer::fixed(genesis_reply().delayed(Duration::from_secs(5))).await;
    let good = TestServer::fixed(genesis_reply()).await;
    let client = client(&[&slow.url, &good.url], config(300));
    let started = Instant::now();
    client.genesis().await.expect("second node answers");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(client.failing_nodes(), vec![0]);
}

#[tokio::test]
async fn a_timeout_is_its_own_error_naming_endpoint_and_node() {
    let slow = TestServer::fixed(genesis_reply().delayed(Duration::from_secs(5))).await;
    let client = client(&[&slow.url], config(200));
    let error = client.genesis().await.expect_err("times out");
    match &error {
        Error::Timeout {
            endpoint: e,
            node,
            timeout,
        } => {
            assert_eq!(*e, endpoint::GENESIS);
            assert_eq!(node, &format!("{}/", slow.url));
            assert_eq!(*timeout, Duration::from_millis(200));
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(error.to_string().contains("GET /eth/v1/beacon/genesis"));
}

#[tokio::test]
async fn per_class_timeouts_apply() {
    // Duties get 2 s here, node metadata 200 ms: the same 600 ms delay fails one only.
    let server = TestServer::start(|request| {
        let reply = if request.path.starts_with("/eth/v1/validator/duties") {
            Reply::json(json!({"dependent_root": format!("0x{}", "00".repeat(32)), "data": []}))
        } else {
            genesis_reply()
        };
        reply.delayed(Duration::from_millis(600))
    })
    .await;
    let config = ClientConfig {
        timeouts: Timeouts {
            node: Duration::from_millis(200),
            duties: Duration::from_secs(2),
            ..Timeouts::uniform(Duration::from_secs(2))
        },
        ..ClientConfig::default()
    };
    let client = client(&[&server.url], config);
    assert!(matches!(client.genesis().await, Err(Error::Timeout { .. })));
    client
        .proposer_duties(1)
        .await
        .expect("duties have a longer timeout");
}

#[tokio::test]
async fn connection_errors_are_distinct() {
    let down = closed_url().await;
    let client = client(&[&down], config(2000));
    let error = client.genesis().await.expect_err("down");
    assert!(matches!(error, Error::Connection { .. }), "{error:?}");
    assert_eq!(error.endpoint(), Some(endpoint::GENESIS));
}

#[tokio::test]
async fn status_errors_carry_the_node_message_and_failures() {
    let server = TestServer::fixed(Reply::status(
        400,
        json!({"code": 400, "message": "Some attestations failed", "failures": [{"index": 0, "message": "invalid signature"}]})
            .to_string(),
    ))
    .await;
    let client = client(&[&server.url], config(2000));
    let error = client
        .submit_sync_committee_messages(&[])
        .await
        .expect_err("rejected");
    let Error::Status {
        endpoint: e,
        status,
        message,
        failures,
        node,
    } = &error
    else {
        panic!("expected a status error, got {error:?}")
    };
    assert_eq!(*e, endpoint::POOL_SYNC_COMMITTEES);
    assert_eq!(*status, 400);
    assert_eq!(message, "Some attestations failed");
    assert_eq!(failures[0].index, 0);
    assert_eq!(failures[0].message, "invalid signature");
    assert_eq!(node, &format!("{}/", server.url));
    assert_eq!(
        error.to_string(),
        format!(
            "POST /eth/v1/beacon/pool/sync_committees at {}/: HTTP 400: Some attestations failed; item 0: invalid signature",
            server.url
        )
    );
}

#[tokio::test]
async fn all_nodes_failing_keeps_every_error() {
    let a = TestServer::fixed(Reply::error(503, "syncing")).await;
    let b = TestServer::fixed(Reply::error(503, "still syncing")).await;
    let client = client(&[&a.url, &b.url], config(2000));
    let error = client.genesis().await.expect_err("both fail");
    let Error::AllNodesFailed {
        endpoint: e,
        errors,
    } = &error
    else {
        panic!("expected all nodes failed, got {error:?}")
    };
    assert_eq!(*e, endpoint::GENESIS);
    assert_eq!(errors.len(), 2);
    assert_eq!(error.status(), Some(503));
    assert!(error.to_string().contains("still syncing"));
    // Both are marked; the next request still tries them (nothing healthy is left).
    assert_eq!(client.failing_nodes(), vec![0, 1]);
    assert!(client.genesis().await.is_err());
    assert_eq!(a.count() + b.count(), 4);
}

#[tokio::test]
async fn garbled_answers_are_invalid_responses_and_fall_back() {
    let garbled = TestServer::fixed(Reply::json(json!({"data": {"genesis_time": "x"}}))).await;
    let good = TestServer::fixed(genesis_reply()).await;
    let client = client(&[&garbled.url], config(2000));
    let error = client.genesis().await.expect_err("garbled");
    assert!(matches!(error, Error::InvalidResponse { .. }), "{error:?}");
    let client = self::client(&[&garbled.url, &good.url], config(2000));
    client.genesis().await.expect("fallback");
}

#[tokio::test]
async fn first_success_submits_to_one_node_broadcast_to_all() {
    let a = TestServer::fixed(Reply::ok()).await;
    let b = TestServer::fixed(Reply::ok()).await;
    let first = client(&[&a.url, &b.url], config(2000));
    first
        .submit_sync_committee_messages(&[])
        .await
        .expect("accepted");
    assert_eq!((a.count(), b.count()), (1, 0));

    let broadcast = client(
        &[&a.url, &b.url],
        ClientConfig {
            submit_policy: SubmitPolicy::Broadcast,
            ..config(2000)
        },
    );
    broadcast
        .submit_sync_committee_messages(&[])
        .await
        .expect("accepted");
    assert_eq!((a.count(), b.count()), (2, 1));
    // Reads are never broadcast.
    broadcast.health().await.expect("health");
    assert_eq!(a.count() + b.count(), 4);
}

#[tokio::test]
async fn broadcast_succeeds_if_any_node_accepts_and_fails_if_none_does() {
    let down = closed_url().await;
    let rejecting = TestServer::fixed(Reply::error(400, "bad")).await;
    let good = TestServer::fixed(Reply::ok()).await;
    let policy = ClientConfig {
        submit_policy: SubmitPolicy::Broadcast,
        ..config(2000)
    };
    let client = client(&[&down, &rejecting.url, &good.url], policy.clone());
    client
        .submit_sync_committee_messages(&[])
        .await
        .expect("one accepted");
    assert_eq!((rejecting.count(), good.count()), (1, 1));
    assert_eq!(client.failing_nodes(), vec![0]);

    let client = self::client(&[&down, &rejecting.url], policy);
    let error = client
        .submit_sync_committee_messages(&[])
        .await
        .expect_err("none accepted");
    let Error::AllNodesFailed { errors, .. } = &error else {
        panic!("{error:?}")
    };
    assert!(matches!(errors[0], Error::Connection { .. }));
    assert_eq!(errors[1].status(), Some(400));
}

#[tokio::test]
async fn credentials_go_in_basic_auth_and_never_into_errors() {
    let server = TestServer::fixed(Reply::error(401, "who are you")).await;
    let url = server.url.replace("http://", "http://alice:s3cret@") + "/base?apikey=k3y";
    let client = client(&[&url], config(2000));
    let error = client.genesis().await.expect_err("401");
    let request = server.last();
    assert_eq!(request.path, "/base/eth/v1/beacon/genesis");
    assert_eq!(request.query.as_deref(), Some("apikey=k3y"));
    // "alice:s3cret" in base64.
    assert_eq!(
        request.header("authorization"),
        Some("Basic YWxpY2U6czNjcmV0")
    );
    let text = format!("{error} {error:?} {client:?}");
    assert!(!text.contains("s3cret") && !text.contains("k3y"), "{text}");
    assert!(text.contains("/base"));
}

#[tokio::test]
async fn construction_needs_valid_urls() {
    assert!(matches!(
        BeaconClient::<Minimal>::new(Vec::<String>::new(), ClientConfig::default()),
        Err(Error::NoNodes)
    ));
    assert!(matches!(
        BeaconClient::<Minimal>::new(["http://ok:1", "nonsense"], ClientConfig::default()),
        Err(Error::InvalidUrl { .. })
    ));
}

#[tokio::test]
async fn a_connection_dropped_without_an_answer_is_tried_once_more_on_the_same_node() {
    // The node closes the connection on the first request only (a kept-alive connection it
    // timed out as the request went out): the submission goes through on the second attempt.
    let first = std::sync::atomic::AtomicBool::new(true);
    let flaky = TestServer::start(move |_| {
        if first.swap(false, std::sync::atomic::Ordering::SeqCst) {
            Reply::hang_up()
        } else {
            Reply::ok()
        }
    })
    .await;
    let client = client(&[&flaky.url], config(2000));
    client
        .submit_sync_committee_messages(&[])
        .await
        .expect("accepted on the second attempt");
    assert_eq!(flaky.count(), 2);
    assert!(client.failing_nodes().is_empty());

    // A node that always hangs up is tried twice, not more, and then the next node.
    let dead = TestServer::fixed(Reply::hang_up()).await;
    let good = TestServer::fixed(genesis_reply()).await;
    let client = self::client(&[&dead.url], config(2000));
    let error = client.genesis().await.expect_err("no answer");
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert_eq!(dead.count(), 2);
    let client = self::client(&[&dead.url, &good.url], config(2000));
    client.genesis().await.expect("fallback");
    assert_eq!((dead.count(), good.count()), (4, 1));
    assert_eq!(client.failing_nodes(), vec![0]);
}

#[tokio::test]
async fn an_answer_an_error_status_or_a_timeout_is_not_repeated_on_the_same_node() {
    let erroring = TestServer::fixed(Reply::error(500, "internal")).await;
    let client = client(&[&erroring.url], config(2000));
    client.genesis().await.expect_err("500");
    assert_eq!(erroring.count(), 1);

    let slow = TestServer::fixed(genesis_reply().delayed(Duration::from_millis(500))).await;
    let client = self::client(&[&slow.url], config(100));
    let error = client.genesis().await.expect_err("timeout");
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert_eq!(slow.count(), 1);
}
