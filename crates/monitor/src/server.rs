//! The monitoring HTTP server: `GET /metrics`, `/livez` and `/readyz`.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tokio::task::JoinHandle;

use crate::{Health, Metrics, MonitorError, Readyz};

/// The content type of `/metrics`: the OpenMetrics text format.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

const TEXT_CONTENT_TYPE: &str = "text/plain; charset=utf-8";

#[derive(Clone)]
struct MonitorState {
    metrics: Arc<Metrics>,
    health: Health,
}

/// The JSON body of `/readyz` when the client asks for `application/json`.
#[derive(serde::Serialize)]
struct ReadyzBody {
    ready: bool,
    status: &'static str,
    code: i64,
}

/// Bind `addr` and serve the monitoring endpoints until `shutdown` completes.
///
/// Returns the bound address (useful with port 0) and the server task, which ends with `Ok(())`
/// after a graceful shutdown or with [`MonitorError::Serve`]. Endpoints:
/// - `GET /metrics`: every metric in the OpenMetrics text format ([`OPENMETRICS_CONTENT_TYPE`]);
///   the readiness gauges are refreshed from `health` on each scrape;
/// - `GET /livez`: always 200 `ok` while the process serves;
/// - `GET /readyz`: 200 `ready`, or 500 with the failing state's text (see [`Readyz::message`]);
///   a JSON object `{"ready","status","code"}` when the request's `Accept` names
///   `application/json`.
pub async fn serve<F>(
    addr: SocketAddr,
    metrics: Arc<Metrics>,
    health: Health,
    shutdown: F,
) -> Result<(SocketAddr, JoinHandle<Result<(), MonitorError>>), MonitorError>
where
    F: Future<Output = ()> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| MonitorError::Bind { addr, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| MonitorError::LocalAddr { addr, source })?;
    let router = router(MonitorState { metrics, health });
    let task = tokio::spawn(async move {
        tracing::info!(address = %bound, "monitoring server listening");
        axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(|source| MonitorError::Serve {
                addr: bound,
                source,
            })
    });
    Ok((bound, task))
}

fn router(state: MonitorState) -> Router {
    Router::new()
        .route("/metrics", get(metrics_handler))
        .route("/livez", get(livez_handler))
        .route("/readyz", get(readyz_handler))
        .with_state(state)
}

async fn metrics_handler(State(state): State<MonitorState>) -> Response {
    state.metrics.set_readyz(state.health.readyz());
    match state.metrics.encode() {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(OPENMETRICS_CONTENT_TYPE),
            )],
            text,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "cannot serve /metrics");
            (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response()
        }
    }
}

async fn livez_handler() -> Response {
    text_response(StatusCode::OK, "ok")
}

async fn readyz_handler(State(state): State<MonitorState>, headers: HeaderMap) -> Response {
    let readyz = state.health.readyz();
    state.metrics.set_readyz(readyz);
    let status = if readyz.is_ready() {
        StatusCode::OK
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    if wants_json(&headers) {
        (status, Json(readyz_body(readyz))).into_response()
    } else {
        text_response(status, readyz.message())
    }
}

fn readyz_body(readyz: Readyz) -> ReadyzBody {
    ReadyzBody {
        ready: readyz.is_ready(),
        status: readyz.message(),
        code: readyz.code(),
    }
}

/// Whether any media range in the `Accept` headers is `application/json`.
fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|range| range.split(';').next())
        .any(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

fn text_response(status: StatusCode, body: &'static str) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(TEXT_CONTENT_TYPE),
        )],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn json_is_chosen_only_when_accept_names_it() {
        assert!(wants_json(&accept("application/json")));
        assert!(wants_json(&accept("text/plain, Application/JSON;q=0.9")));
        assert!(!wants_json(&accept("text/plain")));
        assert!(!wants_json(&accept("application/jsonx")));
        assert!(!wants_json(&accept("*/*")));
        assert!(!wants_json(&HeaderMap::new()));
    }
}
