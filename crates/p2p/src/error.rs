//! The crate's error type.

use std::path::PathBuf;
use std::time::Duration;

use libp2p::PeerId;

use crate::framing::FrameError;
use crate::protocol::{ExchangePattern, Protocol};

/// Everything that can go wrong in the p2p layer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A key could not be converted between Mosaic and libp2p forms.
    #[error("identity: {0}")]
    Identity(String),
    /// The ENR private key file could not be read or parsed.
    #[error("ENR private key file {path}: {reason}")]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// Why it failed (never contains key material).
        reason: String,
    },
    /// An operator's ENR in the lock could not be parsed.
    #[error("operator {index} ENR: {reason}")]
    OperatorEnr {
        /// Zero-based operator index.
        index: usize,
        /// Why the ENR was refused.
        reason: String,
    },
    /// Two operators share one key.
    #[error("peer {peer} appears as operator {first} and operator {second}")]
    DuplicatePeer {
        /// The repeated peer.
        peer: PeerId,
        /// Its first operator index.
        first: usize,
        /// Its second operator index.
        second: usize,
    },
    /// The node's own key is not one of the cluster's operators.
    #[error("this node's peer ID {peer} is not an operator of the cluster")]
    LocalNotInCluster {
        /// This node's peer ID.
        peer: PeerId,
    },
    /// The libp2p transport or swarm could not be built.
    #[error("building the libp2p transport failed: {0}")]
    Transport(String),
    /// A listen address could not be bound.
    #[error("listening on {addr} failed: {reason}")]
    Listen {
        /// The address.
        addr: String,
        /// Why it failed.
        reason: String,
    },
    /// The peer is not a member of the cluster (or is this node itself).
    #[error("peer {peer} is not another member of the cluster")]
    NotClusterPeer {
        /// The peer.
        peer: PeerId,
    },
    /// The protocol is used with the wrong call (`send` vs `request`).
    #[error("protocol {protocol} is {actual:?}, not {expected:?}")]
    WrongPattern {
        /// The protocol.
        protocol: Protocol,
        /// The pattern the call needs.
        expected: ExchangePattern,
        /// The protocol's pattern.
        actual: ExchangePattern,
    },
    /// A stream could not be opened.
    #[error("opening a {protocol} stream to {peer} failed: {reason}")]
    OpenStream {
        /// The peer.
        peer: PeerId,
        /// The protocol.
        protocol: Protocol,
        /// Why it failed (unsupported protocol, no connection, ...).
        reason: String,
    },
    /// A frame could not be written or read.
    #[error("{protocol} frame with {peer}: {source}")]
    Frame {
        /// The peer.
        peer: PeerId,
        /// The protocol.
        protocol: Protocol,
        /// The framing failure.
        source: FrameError,
    },
    /// An exchange took longer than its timeout.
    #[error("{protocol} exchange with {peer} timed out after {timeout:?}")]
    Timeout {
        /// The peer.
        peer: PeerId,
        /// The protocol.
        protocol: Protocol,
        /// The timeout that elapsed.
        timeout: Duration,
    },
    /// The requester is gone or the response deadline passed before the response was sent.
    #[error("the {protocol} request from {peer} can no longer be answered")]
    ResponseDropped {
        /// The requesting peer.
        peer: PeerId,
        /// The protocol.
        protocol: Protocol,
    },
    /// The node has shut down.
    #[error("the p2p node has stopped")]
    Stopped,
}

/// The cause the connection gate gives libp2p when it refuses a connection.
#[derive(Debug, thiserror::Error)]
#[error("peer {peer} is not a member of the cluster")]
pub struct NotClusterMember {
    /// The refused peer.
    pub peer: PeerId,
}
