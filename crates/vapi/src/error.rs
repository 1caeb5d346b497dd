//! Errors: what the node's backend reports ([`BackendError`]), what starting the server reports
//! ([`VapiError`]), and the beacon-API error answers handlers give ([`ApiError`]).

use std::net::SocketAddr;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Why the node's backend could not answer a validator API request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// Nothing is known for the request (no duty, no decided data): HTTP 404.
    #[error("not found: {0}")]
    NotFound(String),
    /// The data was not ready before the request deadline: HTTP 503.
    #[error("timed out waiting for the cluster")]
    Timeout,
    /// The node cannot serve the request now (not synced, shutting down): HTTP 503.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The request is invalid for the node (e.g. a validator it does not run): HTTP 400.
    #[error("invalid request: {0}")]
    Invalid(String),
}

/// Why the validator API server could not start.
#[derive(Debug, thiserror::Error)]
pub enum VapiError {
    /// The listen address could not be bound.
    #[error("validator API cannot listen on {address}: {source}")]
    Bind {
        /// The configured address.
        address: SocketAddr,
        /// The socket error.
        source: std::io::Error,
    },
    /// `beacon_node_urls` is empty.
    #[error("validator API needs at least one beacon node URL to proxy to")]
    NoBeaconNode,
    /// A beacon node URL does not parse.
    #[error("beacon node URL {url:?} is invalid: {reason}")]
    BadBeaconNodeUrl {
        /// The URL as configured.
        url: String,
        /// The parser's message.
        reason: String,
    },
    /// The HTTP client for the beacon node could not be built.
    #[error("validator API cannot build its beacon node HTTP client: {0}")]
    HttpClient(String),
}

/// An error answer in the beacon API's shape: `{"code": <status>, "message": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
}

impl ApiError {
    /// 400 Bad Request.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 415 Unsupported Media Type.
    pub(crate) fn unsupported_media(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, message)
    }

    /// 502 Bad Gateway: the beacon node failed or answered nonsense.
    pub(crate) fn bad_gateway(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_GATEWAY, message)
    }

    /// 500 Internal Server Error.
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

impl From<BackendError> for ApiError {
    fn from(error: BackendError) -> Self {
        let status = match &error {
            BackendError::NotFound(_) => StatusCode::NOT_FOUND,
            BackendError::Timeout | BackendError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            BackendError::Invalid(_) => StatusCode::BAD_REQUEST,
        };
        Self::new(status, error.to_string())
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: u16,
    message: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            code: self.status.as_u16(),
            message: &self.message,
        };
        (self.status, axum::Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_errors_map_to_beacon_api_statuses() {
        let cases = [
            (BackendError::NotFound("x".into()), 404),
            (BackendError::Timeout, 503),
            (BackendError::Unavailable("x".into()), 503),
            (BackendError::Invalid("x".into()), 400),
        ];
        for (error, status) in cases {
            assert_eq!(ApiError::from(error).status.as_u16(), status);
        }
    }
}
