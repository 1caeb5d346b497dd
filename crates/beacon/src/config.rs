//! Client settings: timeouts per endpoint class, how long a failing node is avoided, whether
//! submissions go to one node or all, and the preferred encoding for blocks.

use std::time::Duration;

use crate::endpoint::EndpointClass;

/// Per-request timeouts by [`EndpointClass`]. Each covers a whole request on one node, from
/// connecting until the response body has arrived; the next node gets a fresh timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Node and chain metadata.
    pub node: Duration,
    /// Duties and liveness.
    pub duties: Duration,
    /// Attestation data, aggregates, contributions, selections.
    pub data: Duration,
    /// Block production.
    pub block_production: Duration,
    /// Block publication.
    pub block_publication: Duration,
    /// Other submissions.
    pub submission: Duration,
    /// Opening the event stream (until response headers; the stream itself has no timeout).
    pub events_connect: Duration,
}

impl Timeouts {
    /// The same timeout for every class (tests, simulators).
    pub const fn uniform(timeout: Duration) -> Self {
        Self {
            node: timeout,
            duties: timeout,
            data: timeout,
            block_production: timeout,
            block_publication: timeout,
            submission: timeout,
            events_connect: timeout,
        }
    }

    /// The timeout of an endpoint class.
    pub fn for_class(&self, class: EndpointClass) -> Duration {
        match class {
            EndpointClass::Node => self.node,
            EndpointClass::Duties => self.duties,
            EndpointClass::Data => self.data,
            EndpointClass::BlockProduction => self.block_production,
            EndpointClass::BlockPublication => self.block_publication,
            EndpointClass::Submission => self.submission,
            EndpointClass::Events => self.events_connect,
        }
    }
}

impl Default for Timeouts {
    /// Fractions of a 12 s mainnet slot: data a duty needs must arrive within a third of a slot,
    /// duties within half, block production may take longer.
    fn default() -> Self {
        Self {
            node: Duration::from_secs(6),
            duties: Duration::from_secs(6),
            data: Duration::from_secs(4),
            block_production: Duration::from_secs(8),
            block_publication: Duration::from_secs(6),
            submission: Duration::from_secs(4),
            events_connect: Duration::from_secs(6),
        }
    }
}

/// Where submissions (every `POST` that publishes or subscribes) are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SubmitPolicy {
    /// Like any other request: to the preferred node, falling back to the next on failure.
    #[default]
    FirstSuccess,
    /// To every node at once; succeeds if at least one node accepts.
    Broadcast,
}

/// Body encoding for block production and publication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    /// `application/json`.
    #[default]
    Json,
    /// `application/octet-stream` (SSZ); for production, JSON stays acceptable as a fallback
    /// answer.
    Ssz,
}

/// How long an idle kept-alive connection to a beacon node stays pooled by default: below the
/// 5 s after which Node.js servers (Lodestar) close idle connections, since a request sent on a
/// connection the server is closing is lost.
pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(4);

/// Settings of a [`crate::BeaconClient`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// Per-request timeouts.
    pub timeouts: Timeouts,
    /// How long a node that failed (unreachable, timed out, 5xx, undecodable answer) is tried
    /// only after the healthy nodes.
    pub retry_failed_after: Duration,
    /// Where submissions go.
    pub submit_policy: SubmitPolicy,
    /// Encoding of blocks produced and published.
    pub block_encoding: Encoding,
    /// `User-Agent` header.
    pub user_agent: String,
    /// How long an idle kept-alive connection stays in the pool. It must be shorter than the
    /// beacon node's own keep-alive timeout (Node.js servers such as Lodestar's close idle
    /// connections after 5 s): a request sent on a connection the server is closing is lost.
    pub pool_idle_timeout: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            timeouts: Timeouts::default(),
            retry_failed_after: Duration::from_secs(12),
            submit_policy: SubmitPolicy::FirstSuccess,
            block_encoding: Encoding::Json,
            user_agent: concat!("mosaic/", env!("CARGO_PKG_VERSION")).to_owned(),
            pool_idle_timeout: DEFAULT_POOL_IDLE_TIMEOUT,
        }
    }
}
