//! The beacon node(s) behind the validator API: forwarding requests, first healthy node wins.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, Method, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use tokio::sync::watch;

use crate::error::{ApiError, VapiError};

/// Headers that describe one connection, not the message, and so are never forwarded
/// (RFC 9110 §7.6.1), plus `host` and `content-length`, which the client recomputes.
const HOP_BY_HOP: [&str; 10] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
];

/// Whether a header must not be forwarded.
fn is_hop_by_hop(name: &HeaderName) -> bool {
    HOP_BY_HOP.contains(&name.as_str())
}

/// The beacon nodes, in the configured order.
#[derive(Debug)]
pub(crate) struct Upstream {
    client: reqwest::Client,
    bases: Vec<String>,
    /// The node that answered last; tried first next time.
    preferred: AtomicUsize,
    timeout: Duration,
}

impl Upstream {
    /// An upstream over `urls` whose non-streaming requests time out after `timeout`.
    pub(crate) fn new(urls: &[String], timeout: Duration) -> Result<Self, VapiError> {
        if urls.is_empty() {
            return Err(VapiError::NoBeaconNode);
        }
        let mut bases = Vec::with_capacity(urls.len());
        for url in urls {
            reqwest::Url::parse(url).map_err(|error| VapiError::BadBeaconNodeUrl {
                url: url.clone(),
                reason: error.to_string(),
            })?;
            bases.push(url.trim_end_matches('/').to_owned());
        }
        let client = reqwest::Client::builder()
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .pool_idle_timeout(mosaic_beacon::DEFAULT_POOL_IDLE_TIMEOUT)
            .build()
            .map_err(|error| VapiError::HttpClient(error.to_string()))?;
        Ok(Self {
            client,
            bases,
            preferred: AtomicUsize::new(0),
            timeout,
        })
    }

    /// Sends a request to the first healthy beacon node (starting with the one that answered
    /// last): nodes that cannot be reached or answer 5xx are skipped, unless they are the last
    /// one left, whose answer is returned as it is.
    /// `streaming` requests (the event stream) have no overall deadline.
    pub(crate) async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        headers: &HeaderMap,
        body: Bytes,
        streaming: bool,
    ) -> Result<reqwest::Response, ApiError> {
        let count = self.bases.len();
        let first = self.preferred.load(Ordering::Relaxed) % count;
        let mut failures = Vec::new();
        for offset in 0..count {
            let index = (first + offset) % count;
            let base = &self.bases[index];
            let mut request = self
                .client
                .request(method.clone(), format!("{base}{path_and_query}"))
                .body(body.clone());
            for (name, value) in headers {
                if !is_hop_by_hop(name) && name != "content-length" {
                    request = request.header(name, value);
                }
            }
            if !streaming {
                request = request.timeout(self.timeout);
            }
            match request.send().await {
                Ok(response) if response.status().is_server_error() && offset + 1 < count => {
                    tracing::debug!(%base, status = %response.status(), "beacon node failed");
                    failures.push(format!("{base}: HTTP {}", response.status()));
                }
                Ok(response) => {
                    self.preferred.store(index, Ordering::Relaxed);
                    return Ok(response);
                }
                Err(error) => {
                    tracing::debug!(%base, %error, "beacon node did not answer");
                    failures.push(format!("{base}: {}", error_text(&error)));
                }
            }
        }
        Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("no beacon node answered: {}", failures.join("; ")),
        ))
    }

    /// Forwards a JSON request whose answer the validator API rewrites: `Ok(Ok(body))` for a
    /// 2xx answer, `Ok(Err(response))` with the node's own error answer otherwise.
    pub(crate) async fn json(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<Bytes>,
    ) -> Result<Result<Bytes, Response>, ApiError> {
        let mut headers = HeaderMap::new();
        headers.insert("accept", "application/json".parse().map_err(header_error)?);
        if body.is_some() {
            headers.insert(
                "content-type",
                "application/json".parse().map_err(header_error)?,
            );
        }
        let response = self
            .send(
                method,
                path_and_query,
                &headers,
                body.unwrap_or_default(),
                false,
            )
            .await?;
        if response.status().is_success() {
            let bytes = response.bytes().await.map_err(|error| {
                ApiError::bad_gateway(format!(
                    "beacon node answer to {path_and_query} broke off: {}",
                    error_text(&error)
                ))
            })?;
            Ok(Ok(bytes))
        } else {
            Ok(Err(passthrough(response, false, None)))
        }
    }
}

fn header_error(error: axum::http::header::InvalidHeaderValue) -> ApiError {
    ApiError::internal(error.to_string())
}

/// The error with its sources (reqwest's top-level message is terse).
fn error_text(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The beacon node's answer as the validator API's answer: status, end-to-end headers and the
/// body, streamed chunk by chunk. A streaming answer (the event stream) also ends when `stop`
/// turns true, so that an open stream does not hold the server's shutdown.
pub(crate) fn passthrough(
    response: reqwest::Response,
    streaming: bool,
    stop: Option<watch::Receiver<bool>>,
) -> Response {
    let mut builder = Response::builder().status(response.status());
    for (name, value) in response.headers() {
        let dropped = is_hop_by_hop(name) || (streaming && name == "content-length");
        if !dropped {
            builder = builder.header(name, value);
        }
    }
    let chunks = futures_util::stream::unfold(Some((response, stop)), |state| async move {
        let (mut response, mut stop) = state?;
        let chunk = match stop.as_mut() {
            Some(stop) => tokio::select! {
                chunk = response.chunk() => chunk,
                _ = stop.wait_for(|stopped| *stopped) => return None,
            },
            None => response.chunk().await,
        };
        match chunk {
            Ok(Some(chunk)) => Some((Ok::<Bytes, reqwest::Error>(chunk), Some((response, stop)))),
            Ok(None) => None,
            Err(error) => Some((Err(error), None)),
        }
    });
    builder
        .body(Body::from_stream(chunks))
        .unwrap_or_else(|error| {
            axum::response::IntoResponse::into_response(ApiError::internal(error.to_string()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_are_recognised() {
        for name in ["connection", "transfer-encoding", "upgrade", "host"] {
            assert!(is_hop_by_hop(&HeaderName::from_static(name)), "{name}");
        }
        for name in ["accept", "content-type", "eth-consensus-version"] {
            assert!(!is_hop_by_hop(&HeaderName::from_static(name)), "{name}");
        }
    }

    #[test]
    fn needs_a_valid_beacon_node_url() {
        let timeout = Duration::from_secs(1);
        assert!(matches!(
            Upstream::new(&[], timeout),
            Err(VapiError::NoBeaconNode)
        ));
        assert!(matches!(
            Upstream::new(&["not a url".into()], timeout),
            Err(VapiError::BadBeaconNodeUrl { .. })
        ));
        let upstream = Upstream::new(&["http://127.0.0.1:5052/".into()], timeout).unwrap();
        assert_eq!(upstream.bases, vec!["http://127.0.0.1:5052".to_owned()]);
    }
}
