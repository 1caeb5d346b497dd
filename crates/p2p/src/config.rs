//! Node configuration with Charon's defaults.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use libp2p::{Multiaddr, PeerId};
use mosaic_crypto::secp256k1::SecretKey;

use crate::peers::ClusterPeer;
use crate::protocol::Protocol;

/// Exponential backoff between dial attempts to one peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay before the first retry; doubled after every failed attempt.
    pub initial: Duration,
    /// Upper bound of the delay (Charon's ping service caps at 30 s).
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(250),
            max: Duration::from_secs(30),
        }
    }
}

/// Everything [`crate::P2pNode::start`] needs.
#[derive(Debug, Clone)]
pub struct P2pConfig {
    /// The node's ENR key (`charon-enr-private-key`), which is also its libp2p identity.
    pub secret_key: SecretKey,
    /// The cluster's operators in lock order; this node must be one of them.
    pub peers: Vec<ClusterPeer>,
    /// Addresses to listen on, e.g. `/ip4/0.0.0.0/tcp/3610` (tests use `127.0.0.1`, port 0).
    pub listen_addrs: Vec<Multiaddr>,
    /// Explicit peer addresses, tried before the addresses in the peers' ENRs.
    pub peer_addrs: HashMap<PeerId, Vec<Multiaddr>>,
    /// Dial retry backoff.
    pub dial_backoff: Backoff,
    /// Interval between pings on each connection (Charon: 1 s).
    pub ping_interval: Duration,
    /// A ping without answer for this long fails and closes its connection.
    pub ping_timeout: Duration,
    /// Deadline for opening a stream and writing (and, for requests, reading the response):
    /// Charon's `defaultSendTimeout`, 7 s.
    pub send_timeout: Duration,
    /// Deadline for an inbound stream, from accepting it to the response (Charon: 5 s).
    pub receive_timeout: Duration,
    /// Per-protocol read limits overriding [`Protocol::default_max_frame_size`].
    pub max_frame_sizes: BTreeMap<Protocol, usize>,
    /// Capacity of the event channel; inbound streams wait while it is full.
    pub event_buffer: usize,
    /// Inbound streams handled at once per protocol; further streams wait in the queue.
    pub max_concurrent_inbound: usize,
    /// Streams this node keeps open to one peer at once; further sends wait (within their
    /// timeout). Keeps bursts under the peer's per-connection stream limit.
    pub max_concurrent_outbound_per_peer: usize,
    /// Negotiated inbound streams queued per protocol beyond those being handled; when the
    /// queue is full new streams are dropped and counted (overload shedding).
    pub max_queued_inbound: usize,
}

impl P2pConfig {
    /// A configuration with Charon's defaults and no listen addresses.
    pub fn new(secret_key: SecretKey, peers: Vec<ClusterPeer>) -> Self {
        Self {
            secret_key,
            peers,
            listen_addrs: Vec::new(),
            peer_addrs: HashMap::new(),
            dial_backoff: Backoff::default(),
            ping_interval: Duration::from_secs(1),
            ping_timeout: Duration::from_secs(10),
            send_timeout: Duration::from_secs(7),
            receive_timeout: Duration::from_secs(5),
            max_frame_sizes: BTreeMap::new(),
            event_buffer: 1024,
            max_concurrent_inbound: 256,
            max_queued_inbound: 4096,
            max_concurrent_outbound_per_peer: 256,
        }
    }

    /// The read limit in force for `protocol`.
    pub fn max_frame_size(&self, protocol: Protocol) -> usize {
        self.max_frame_sizes
            .get(&protocol)
            .copied()
            .unwrap_or_else(|| protocol.default_max_frame_size())
    }
}
