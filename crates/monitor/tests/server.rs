//! End-to-end tests of the monitoring server: scrape `/metrics`, probe `/livez` and `/readyz`.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use mosaic_monitor::{
    serve, BeaconSyncState, DutyOutcome, Health, HealthConfig, Metrics, MonitorError,
    RequestOutcome, OPENMETRICS_CONTENT_TYPE,
};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

struct Server {
    base: String,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), MonitorError>>,
}

impl Server {
    async fn start(metrics: Arc<Metrics>, health: Health) -> Self {
        let (stop, stopped) = oneshot::channel::<()>();
        let loopback: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let (bound, task) = serve(loopback, metrics, health, async move {
            let _ = stopped.await;
        })
        .await
        .unwrap();
        assert_ne!(bound.port(), 0);
        Self {
            base: format!("http://{bound}"),
            stop: Some(stop),
            task,
        }
    }

    async fn get(&self, path: &str, accept: Option<&str>) -> (u16, String, String) {
        let mut request = reqwest::Client::new().get(format!("{}{path}", self.base));
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, content_type, response.text().await.unwrap())
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(5), self.task)
            .await
            .expect("server stops within 5 s")
            .unwrap()
            .unwrap();
    }
}

fn synced() -> BeaconSyncState {
    BeaconSyncState {
        is_syncing: false,
        sync_distance: 0,
        peer_count: Some(40),
    }
}

#[tokio::test]
async fn metrics_scrape_contains_recorded_families_and_labels() {
    let metrics = Arc::new(Metrics::new());
    let health = Health::new(HealthConfig::new(3, vec![]));
    let server = Server::start(metrics.clone(), health).await;

    metrics.duty_outcome("attester", DutyOutcome::Success);
    metrics.duty_outcome(
        "proposer",
        DutyOutcome::Failed {
            reason: "insufficient_partials",
        },
    );
    metrics.consensus_decided("attester", Duration::from_millis(30), 1);
    metrics.consensus_timeout("proposer", "round");
    metrics.parsig_arrival("attester", "peer-2", Duration::from_millis(1_500));
    metrics.parsig_rejected("attester", "invalid_signature", "peer-3");
    metrics.beacon_request(
        "attestation_data",
        Duration::from_millis(4),
        RequestOutcome::Error,
    );
    metrics.peer_ping("peer-2", Duration::from_micros(800));
    metrics.peer_connected("peer-2", true);
    metrics.vapi_request("/eth/v1/validator/attestation_data", 200);
    metrics.duty_broadcast_latency("attester", Duration::from_millis(60));

    let (status, content_type, text) = server.get("/metrics", None).await;
    assert_eq!(status, 200);
    assert_eq!(content_type, OPENMETRICS_CONTENT_TYPE);
    for expected in [
        r#"mosaic_duty_total{duty="attester",outcome="success"} 1"#,
        r#"mosaic_duty_total{duty="proposer",outcome="failed"} 1"#,
        r#"mosaic_duty_failed_total{duty="proposer",reason="insufficient_partials"} 1"#,
        r#"mosaic_consensus_duration_seconds_count{duty="attester"} 1"#,
        r#"mosaic_consensus_decided_rounds_sum{duty="attester"} 1.0"#,
        r#"mosaic_consensus_timeout_total{duty="proposer",timer="round"} 1"#,
        r#"mosaic_parsig_arrival_seconds_sum{duty="attester",peer="peer-2"} 1.5"#,
        r#"mosaic_parsig_rejected_total{duty="attester",reason="invalid_signature",peer="peer-3"} 1"#,
        r#"mosaic_beacon_request_duration_seconds_count{endpoint="attestation_data"} 1"#,
        r#"mosaic_beacon_errors_total{endpoint="attestation_data"} 1"#,
        r#"mosaic_p2p_ping_latency_seconds_count{peer="peer-2"} 1"#,
        r#"mosaic_p2p_peer_connected{peer="peer-2"} 1"#,
        r#"mosaic_vapi_requests_total{endpoint="/eth/v1/validator/attestation_data",status="200"} 1"#,
        r#"mosaic_duty_broadcast_latency_seconds_count{duty="attester"} 1"#,
        // Beacon node never checked: the scrape refreshes the readiness gauges.
        "mosaic_app_ready 0",
        "mosaic_app_monitoring_readyz 0",
        "# EOF",
    ] {
        assert!(
            text.lines().any(|line| line == expected),
            "missing line {expected:?} in\n{text}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn livez_is_always_ok() {
    let health = Health::new(HealthConfig::new(3, vec![]));
    health.set_beacon_down();
    let server = Server::start(Arc::new(Metrics::new()), health).await;
    let (status, _, body) = server.get("/livez", None).await;
    assert_eq!((status, body.as_str()), (200, "ok"));
    server.stop().await;
}

#[tokio::test]
async fn readyz_follows_the_health_state_in_text_and_json() {
    let metrics = Arc::new(Metrics::new());
    let health = Health::new(HealthConfig::new(3, vec![]));
    let server = Server::start(metrics, health.clone()).await;

    let (status, content_type, body) = server.get("/readyz", None).await;
    assert_eq!((status, body.as_str()), (500, "ready check uninitialised"));
    assert!(content_type.starts_with("text/plain"));

    health.set_beacon_down();
    assert_eq!(server.get("/readyz", None).await.2, "beacon node down");

    health.set_beacon_sync(BeaconSyncState {
        is_syncing: true,
        ..synced()
    });
    assert_eq!(server.get("/readyz", None).await.2, "beacon node syncing");

    health.set_beacon_sync(synced());
    health.set_connected_peers(1);
    let (status, _, body) = server.get("/readyz", None).await;
    assert_eq!((status, body.as_str()), (500, "insufficient peers"));

    // Exactly threshold - 1 = 2 peers: ready (the VC window has only just started).
    health.set_connected_peers(2);
    let (status, _, body) = server.get("/readyz", None).await;
    assert_eq!((status, body.as_str()), (200, "ready"));

    let (status, content_type, body) = server.get("/readyz", Some("application/json")).await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("application/json"));
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"ready": true, "status": "ready", "code": 1})
    );

    health.set_beacon_down();
    let (status, _, body) = server.get("/readyz", Some("application/json")).await;
    assert_eq!(status, 500);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"ready": false, "status": "beacon node down", "code": 2})
    );
    server.stop().await;
}

#[tokio::test]
async fn binding_a_taken_address_names_it() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let error = serve(
        addr,
        Arc::new(Metrics::new()),
        Health::new(HealthConfig::new(1, vec![])),
        std::future::pending(),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, MonitorError::Bind { addr: a, .. } if a == addr));
    assert!(error.to_string().contains(&addr.to_string()));
}
