//! Everything the validator API does not intercept goes to the beacon node unchanged.

use axum::extract::Request;
use axum::http::header;
use axum::response::Response;
use mosaic_types::consensus::Preset;

use crate::app::AppState;
use crate::backend::Backend;
use crate::error::ApiError;
use crate::upstream::passthrough;

/// Largest request body the proxy forwards.
const BODY_LIMIT: usize = 64 * 1024 * 1024;

/// Whether the answer is a long-lived stream (the event stream), which has no deadline.
fn is_streaming(request: &Request) -> bool {
    request.uri().path().starts_with("/eth/v1/events")
        || request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/event-stream"))
}

/// Forwards the request (method, path, query, end-to-end headers, body) to the first beacon
/// node that answers and streams its answer back.
pub(crate) async fn proxy<P: Preset, B: Backend<P>>(
    state: AppState<P, B>,
    request: Request,
) -> Result<Response, ApiError> {
    let streaming = is_streaming(&request);
    let method = request.method().clone();
    let headers = request.headers().clone();
    let target = request.uri().path_and_query().map_or_else(
        || request.uri().path().to_owned(),
        |pq| pq.as_str().to_owned(),
    );
    let body = axum::body::to_bytes(request.into_body(), BODY_LIMIT)
        .await
        .map_err(|error| ApiError::bad_request(format!("request body: {error}")))?;
    let response = state
        .upstream
        .send(method, &target, &headers, body, streaming)
        .await?;
    let stop = streaming.then(|| state.stopping.clone());
    Ok(passthrough(response, streaming, stop))
}
