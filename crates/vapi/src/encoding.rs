//! Content negotiation and the beacon API's JSON envelopes.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use mosaic_types::ForkName;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::ApiError;

/// The SSZ media type.
pub(crate) const SSZ: &str = "application/octet-stream";
/// The fork header of versioned requests and answers.
pub(crate) const CONSENSUS_VERSION: &str = "eth-consensus-version";

/// Whether the client prefers SSZ to JSON in its `Accept` header (by quality, then order;
/// JSON when it names neither).
pub(crate) fn wants_ssz(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mut best: Option<(f32, bool)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let is_ssz = match media.as_str() {
            SSZ => true,
            "application/json" | "application/*" | "*/*" => false,
            _ => continue,
        };
        let quality = parts
            .filter_map(|param| param.strip_prefix("q="))
            .find_map(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, is_ssz));
        }
    }
    best.is_some_and(|(_, ssz)| ssz)
}

/// Whether the request body is SSZ (by `Content-Type`).
pub(crate) fn is_ssz_body(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with(SSZ))
}

/// The `Eth-Consensus-Version` header, if present.
pub(crate) fn consensus_version(headers: &HeaderMap) -> Result<Option<ForkName>, ApiError> {
    let Some(value) = headers.get(CONSENSUS_VERSION) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::bad_request("Eth-Consensus-Version header is not text"))?;
    text.parse::<ForkName>().map(Some).map_err(|_| {
        ApiError::bad_request(format!(
            "Eth-Consensus-Version {text:?} is not a known fork"
        ))
    })
}

/// Decodes a JSON request body, naming `what` in the error.
pub(crate) fn parse_json<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|error| ApiError::bad_request(format!("invalid {what} JSON: {error}")))
}

/// Refuses an SSZ body where only JSON is accepted.
pub(crate) fn require_json_body(headers: &HeaderMap, what: &str) -> Result<(), ApiError> {
    if is_ssz_body(headers) {
        return Err(ApiError::unsupported_media(format!(
            "{what} is accepted as JSON only"
        )));
    }
    Ok(())
}

/// A 200 JSON answer.
pub(crate) fn json<T: Serialize>(value: &T) -> Result<Response, ApiError> {
    let bytes = serde_json::to_vec(value)
        .map_err(|error| ApiError::internal(format!("answer does not serialise: {error}")))?;
    Ok((
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        bytes,
    )
        .into_response())
}

/// `{"data": value}`.
pub(crate) fn data<T: Serialize>(value: &T) -> Result<Response, ApiError> {
    json(&serde_json::json!({ "data": value }))
}

/// `{"version": fork, "data": value}` with the `Eth-Consensus-Version` header.
pub(crate) fn versioned_data<T: Serialize>(
    fork: ForkName,
    value: &T,
) -> Result<Response, ApiError> {
    let mut response = json(&serde_json::json!({ "version": fork, "data": value }))?;
    response
        .headers_mut()
        .insert(CONSENSUS_VERSION, HeaderValue::from_static(fork.as_str()));
    Ok(response)
}

/// A 200 SSZ answer with the `Eth-Consensus-Version` header.
pub(crate) fn ssz(fork: ForkName, bytes: Vec<u8>) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(SSZ)),
            (
                header::HeaderName::from_static(CONSENSUS_VERSION),
                HeaderValue::from_static(fork.as_str()),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The empty 200 answer of a successful submission.
pub(crate) fn ok() -> Response {
    StatusCode::OK.into_response()
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
    fn ssz_is_chosen_only_when_preferred() {
        assert!(!wants_ssz(&HeaderMap::new()));
        assert!(wants_ssz(&accept("application/octet-stream")));
        assert!(wants_ssz(&accept(
            "application/octet-stream;q=1.0,application/json;q=0.9"
        )));
        assert!(!wants_ssz(&accept(
            "application/octet-stream;q=0.5,application/json;q=0.9"
        )));
        assert!(!wants_ssz(&accept("application/json")));
        assert!(!wants_ssz(&accept(
            "application/json,application/octet-stream"
        )));
        assert!(!wants_ssz(&accept("*/*")));
        assert!(!wants_ssz(&accept("application/octet-stream;q=0")));
    }

    #[test]
    fn consensus_version_header_parses_any_case() {
        let mut headers = HeaderMap::new();
        assert_eq!(consensus_version(&headers).unwrap(), None);
        headers.insert(CONSENSUS_VERSION, HeaderValue::from_static("Electra"));
        assert_eq!(
            consensus_version(&headers).unwrap(),
            Some(ForkName::Electra)
        );
        headers.insert(CONSENSUS_VERSION, HeaderValue::from_static("gloas"));
        assert_eq!(
            consensus_version(&headers).unwrap_err().status,
            StatusCode::BAD_REQUEST
        );
    }
}
