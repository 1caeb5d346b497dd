//! The client's error type: every variant names the endpoint and, where one answered or failed,
//! the beacon node (its URL without credentials, query or fragment).

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use crate::endpoint::Endpoint;

/// One entry of the `failures` list of a beacon node's error body: which item of a submitted
/// list was rejected and why.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IndexedFailure {
    /// Position of the rejected item in the submitted list.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub index: u64,
    /// The beacon node's reason.
    pub message: String,
}

/// Everything a beacon API call can fail with.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The beacon node answered with a non-success HTTP status.
    #[error(
        "{endpoint} at {node}: HTTP {status}: {message}{}",
        FailureList(failures)
    )]
    Status {
        /// The endpoint called.
        endpoint: Endpoint,
        /// The beacon node (URL without credentials).
        node: String,
        /// The HTTP status code.
        status: u16,
        /// The `message` of the node's error body, or the body itself if it was not the standard
        /// `{"code","message","failures"}` object.
        message: String,
        /// The `failures` of the node's error body (per-item rejections of a submitted list).
        failures: Vec<IndexedFailure>,
    },
    /// No complete answer within the endpoint's timeout.
    #[error("{endpoint} at {node}: timed out after {timeout:?}")]
    Timeout {
        /// The endpoint called.
        endpoint: Endpoint,
        /// The beacon node (URL without credentials).
        node: String,
        /// The timeout that expired.
        timeout: Duration,
    },
    /// The connection to the beacon node could not be opened.
    #[error("{endpoint} at {node}: cannot connect: {reason}")]
    Connection {
        /// The endpoint called.
        endpoint: Endpoint,
        /// The beacon node (URL without credentials).
        node: String,
        /// What the HTTP client reported.
        reason: String,
    },
    /// The request failed after connecting (connection reset, malformed HTTP, ...).
    #[error("{endpoint} at {node}: request failed: {reason}")]
    Transport {
        /// The endpoint called.
        endpoint: Endpoint,
        /// The beacon node (URL without credentials).
        node: String,
        /// What the HTTP client reported.
        reason: String,
    },
    /// A success status with a body or headers that do not decode as the endpoint's response.
    #[error("{endpoint} at {node}: invalid response: {reason}")]
    InvalidResponse {
        /// The endpoint called.
        endpoint: Endpoint,
        /// The beacon node (URL without credentials).
        node: String,
        /// What did not decode, and why.
        reason: String,
    },
    /// Every configured beacon node failed; each node's error is kept.
    #[error("{endpoint}: all {} beacon nodes failed: {}", errors.len(), ErrorList(errors))]
    AllNodesFailed {
        /// The endpoint called.
        endpoint: Endpoint,
        /// One error per node tried, in the order tried.
        errors: Vec<Error>,
    },
    /// The request was refused before sending it (e.g. a container of the wrong fork).
    #[error("{endpoint}: invalid request: {reason}")]
    InvalidRequest {
        /// The endpoint that would have been called.
        endpoint: Endpoint,
        /// Why the request is invalid.
        reason: String,
    },
    /// A beacon node URL that cannot be used.
    #[error("beacon node URL {url}: {reason}")]
    InvalidUrl {
        /// The URL given, without credentials.
        url: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// The client was built without any beacon node.
    #[error("no beacon node URL configured")]
    NoNodes,
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {reason}")]
    HttpClient {
        /// What the HTTP client reported.
        reason: String,
    },
}

impl Error {
    /// The endpoint the error is about, if any.
    pub fn endpoint(&self) -> Option<Endpoint> {
        match self {
            Self::Status { endpoint, .. }
            | Self::Timeout { endpoint, .. }
            | Self::Connection { endpoint, .. }
            | Self::Transport { endpoint, .. }
            | Self::InvalidResponse { endpoint, .. }
            | Self::AllNodesFailed { endpoint, .. }
            | Self::InvalidRequest { endpoint, .. } => Some(*endpoint),
            Self::InvalidUrl { .. } | Self::NoNodes | Self::HttpClient { .. } => None,
        }
    }

    /// The HTTP status a beacon node answered with; for [`Error::AllNodesFailed`], the first
    /// status among the nodes' errors.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            Self::AllNodesFailed { errors, .. } => errors.iter().find_map(Self::status),
            _ => None,
        }
    }

    /// Whether the endpoint is not implemented by the beacon node(s): HTTP 501 from every node
    /// that answered (as most beacon nodes answer the distributed-validator selection endpoints).
    pub fn is_not_implemented(&self) -> bool {
        match self {
            Self::Status { status, .. } => *status == 501,
            Self::AllNodesFailed { errors, .. } => every_answer(errors, Self::is_not_implemented),
            _ => false,
        }
    }

    /// Whether the beacon node(s) do not serve this route at all: HTTP 404 or 405 from every
    /// node that answered (an older node without a newer endpoint version). Only meaningful
    /// for routes whose 404 cannot mean a missing resource (block production, publication,
    /// the POST validators query).
    pub fn is_unsupported_route(&self) -> bool {
        match self {
            Self::Status { status, .. } => matches!(*status, 404 | 405),
            Self::AllNodesFailed { errors, .. } => every_answer(errors, Self::is_unsupported_route),
            _ => false,
        }
    }

    /// Whether a submission was refused only because the beacon node already has it (or, for
    /// an attestation or sync committee message, already has the validator's vote for that
    /// slot): another node of the cluster broadcast the same threshold-signed object first.
    /// Beacon nodes say so in their own words (Lodestar `…_ALREADY_KNOWN` or
    /// `PRIOR_ATTESTATION_KNOWN` or `PublishError.Duplicate` with a 400 or 500, Lighthouse
    /// `PriorAttestationKnown`; for an exit, Lodestar `VOLUNTARY_EXIT_ERROR_ALREADY_EXISTS` and
    /// Lighthouse `AlreadyExited`);
    /// every failure listed must be of that kind.
    pub fn is_already_known(&self) -> bool {
        fn known(message: &str) -> bool {
            let normalized: String = message
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .map(|c| c.to_ascii_lowercase())
                .collect();
            [
                "alreadyknown",
                "priorattestationknown",
                "priorsynccommitteemessageknown",
                "synccommitteemessageknown",
                // Lodestar's gossip layer: the network has seen this very message.
                "publisherrorduplicate",
                // Voluntary exits: Lodestar `VOLUNTARY_EXIT_ERROR_ALREADY_EXISTS` (in its
                // pool), Lighthouse `AlreadyExited` (in its state): the validator is exiting.
                "voluntaryexiterroralreadyexists",
                "alreadyexited",
            ]
            .iter()
            .any(|pattern| normalized.contains(pattern))
        }
        match self {
            Self::Status {
                message, failures, ..
            } => {
                if failures.is_empty() {
                    known(message)
                } else {
                    failures.iter().all(|failure| known(&failure.message))
                }
            }
            // One node that has it is enough: the object is on the network.
            Self::AllNodesFailed { errors, .. } => errors.iter().any(Self::is_already_known),
            _ => false,
        }
    }

    /// Whether the error means the node itself is unwell (unreachable, slow, 5xx other than
    /// 501, or an undecodable answer), so that the client should prefer other nodes for a while.
    pub(crate) fn is_node_fault(&self) -> bool {
        match self {
            Self::Status { status, .. } => {
                *status >= 500 && *status != 501 && !self.is_already_known()
            }
            Self::Timeout { .. }
            | Self::Connection { .. }
            | Self::Transport { .. }
            | Self::InvalidResponse { .. } => true,
            _ => false,
        }
    }
}

/// Whether at least one of the nodes' `errors` is an HTTP answer and every HTTP answer passes
/// `test` (nodes that did not answer, timeouts or refused connections, do not count).
fn every_answer(errors: &[Error], test: fn(&Error) -> bool) -> bool {
    let mut answered = errors.iter().filter(|e| e.status().is_some()).peekable();
    answered.peek().is_some() && answered.all(test)
}

struct FailureList<'a>(&'a [IndexedFailure]);

impl fmt::Display for FailureList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for failure in self.0 {
            write!(f, "; item {}: {}", failure.index, failure.message)?;
        }
        Ok(())
    }
}

struct ErrorList<'a>(&'a [Error]);

impl fmt::Display for ErrorList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

/// The standard error body of the beacon API.
#[derive(Deserialize)]
struct ErrorBody {
    message: Option<String>,
    #[serde(default)]
    failures: Option<Vec<IndexedFailure>>,
}

/// Longest piece of a non-standard error body kept in an error message.
const MAX_RAW_MESSAGE: usize = 512;

/// Builds an [`Error::Status`] from a beacon node's non-success answer.
pub(crate) fn status_error(endpoint: Endpoint, node: &str, status: u16, body: &[u8]) -> Error {
    let (message, failures) = match serde_json::from_slice::<ErrorBody>(body) {
        Ok(ErrorBody {
            message: Some(message),
            failures,
        }) => (message, failures.unwrap_or_default()),
        _ => (raw_message(body), Vec::new()),
    };
    Error::Status {
        endpoint,
        node: node.to_owned(),
        status,
        message,
        failures,
    }
}

fn raw_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "(empty body)".to_owned();
    }
    match text.char_indices().nth(MAX_RAW_MESSAGE) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint;

    #[test]
    fn standard_error_body_gives_message_and_failures() {
        let body = br#"{"code":400,"message":"some failed","failures":[{"index":"1","message":"bad signature"}]}"#;
        let error = status_error(endpoint::POOL_ATTESTATIONS_V2, "http://bn:5052/", 400, body);
        let text = error.to_string();
        assert_eq!(
            text,
            "POST /eth/v2/beacon/pool/attestations at http://bn:5052/: HTTP 400: some failed; item 1: bad signature"
        );
        assert_eq!(error.status(), Some(400));
        assert!(!error.is_node_fault());
    }

    #[test]
    fn already_known_refusals_are_recognised_and_nothing_else() {
        let pool = endpoint::POOL_ATTESTATIONS_V2;
        let known = |status: u16, body: &[u8]| status_error(pool, "n", status, body);
        // Lodestar (a 500 with the code as message, or a fastify body), Lighthouse.
        for error in [
            known(500, br#"{"code":500,"message":"ATTESTATION_ERROR_ATTESTATION_ALREADY_KNOWN"}"#),
            known(500, b"PublishError.Duplicate"),
            known(400, br#"{"code":400,"message":"some failed","failures":[{"index":"0","message":"Verification: PriorAttestationKnown { validator_index: 3, epoch: 4 }"}]}"#),
            known(400, br#"{"code":400,"message":"x","failures":[{"index":"0","message":"SYNC_COMMITTEE_ERROR_SYNC_COMMITTEE_PARTICIPANTS_ALREADY_KNOWN"}]}"#),
            known(400, br#"{"code":400,"message":"VOLUNTARY_EXIT_ERROR_ALREADY_EXISTS"}"#),
            known(400, br#"{"code":400,"message":"Invalid exit: AlreadyExited(7)"}"#),
        ] {
            assert!(error.is_already_known(), "{error}");
            assert!(!error.is_node_fault(), "{error}");
        }
        // Other refusals, and a list where one item failed for another reason.
        for error in [
            known(400, br#"{"code":400,"message":"ATTESTATION_ERROR_INVALID_SIGNATURE"}"#),
            known(500, b"internal error"),
            known(400, br#"{"code":400,"message":"x","failures":[{"index":"0","message":"ALREADY_KNOWN"},{"index":"1","message":"INVALID_SIGNATURE"}]}"#),
            known(404, b"ATTESTATION_KNOWN_BAD_BLOCK"),
            known(400, br#"{"code":400,"message":"VOLUNTARY_EXIT_ERROR_INVALID_SIGNATURE"}"#),
        ] {
            assert!(!error.is_already_known(), "{error}");
        }
        // Several nodes: one that has it is enough.
        let all = Error::AllNodesFailed {
            endpoint: pool,
            errors: vec![
                known(503, b"down"),
                known(500, b"BLOCK_ERROR_ALREADY_KNOWN"),
            ],
        };
        assert!(all.is_already_known());
    }

    #[test]
    fn unsupported_routes_are_404_or_405_from_every_node_that_answered() {
        let v3 = endpoint::PRODUCE_BLOCK_V3;
        assert!(status_error(v3, "n", 404, b"Route GET:/eth/v3 not found").is_unsupported_route());
        assert!(status_error(v3, "n", 405, b"").is_unsupported_route());
        assert!(!status_error(v3, "n", 400, b"").is_unsupported_route());
        assert!(!status_error(v3, "n", 500, b"").is_unsupported_route());
        let mixed = Error::AllNodesFailed {
            endpoint: v3,
            errors: vec![
                status_error(v3, "a", 404, b""),
                status_error(v3, "b", 500, b""),
            ],
        };
        assert!(!mixed.is_unsupported_route());
    }

    #[test]
    fn non_json_bodies_are_kept_trimmed_and_cut() {
        let error = status_error(endpoint::GENESIS, "n", 502, b"  Bad Gateway\n");
        assert!(error.to_string().ends_with("HTTP 502: Bad Gateway"));
        assert!(error.is_node_fault());
        let long = vec![b'x'; 2000];
        let Error::Status { message, .. } = status_error(endpoint::GENESIS, "n", 500, &long) else {
            panic!("not a status error")
        };
        assert_eq!(message.chars().count(), MAX_RAW_MESSAGE + 1);
        let Error::Status { message, .. } = status_error(endpoint::GENESIS, "n", 500, b"") else {
            panic!("not a status error")
        };
        assert_eq!(message, "(empty body)");
    }

    #[test]
    fn not_implemented_needs_every_answer_to_be_501() {
        let e501 = status_error(endpoint::BEACON_COMMITTEE_SELECTIONS, "a", 501, b"");
        let e500 = status_error(endpoint::BEACON_COMMITTEE_SELECTIONS, "b", 500, b"");
        let timeout = Error::Timeout {
            endpoint: endpoint::BEACON_COMMITTEE_SELECTIONS,
            node: "c".into(),
            timeout: Duration::from_secs(1),
        };
        assert!(e501.is_not_implemented());
        assert!(!e501.is_node_fault());
        assert!(!e500.is_not_implemented());
        let all = |errors: Vec<Error>| Error::AllNodesFailed {
            endpoint: endpoint::BEACON_COMMITTEE_SELECTIONS,
            errors,
        };
        assert!(all(vec![e501.clone(), timeout.clone()]).is_not_implemented());
        assert!(!all(vec![e501.clone(), e500]).is_not_implemented());
        assert!(!all(vec![timeout]).is_not_implemented());
        assert_eq!(all(vec![e501]).status(), Some(501));
    }
}
