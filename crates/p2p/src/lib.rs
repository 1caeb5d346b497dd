//! Mosaic's libp2p host, wire-compatible with Obol's Charon.
//!
//! - Identity: the node's ENR key (`charon-enr-private-key`) is its libp2p secp256k1 key, and
//!   peer IDs are derived from the operators' ENR keys exactly as Charon derives them
//!   ([`identity`], [`peers`]).
//! - Transport: TCP with noise and yamux; a connection gater admits only the cluster's peers,
//!   inbound and outbound, and counts refusals.
//! - Connectivity: every other peer is dialled at start and redialled after disconnects, with
//!   capped exponential backoff after failures; addresses come from the configuration and from
//!   the peers' ENRs (`ip` + `tcp`). libp2p ping measures the round-trip time to each peer.
//! - Protocols: Charon's consensus, parsigex, peerinfo and priority protocol IDs, one stream per
//!   message, each message one varint-length-delimited frame ([`framing`]) with a per-protocol
//!   read limit enforced before allocation. The crate carries raw protobuf bytes.
//!
//! Start a node with [`P2pNode::start`], send with [`P2pHandle::send`],
//! [`P2pHandle::broadcast`] and [`P2pHandle::request`], and consume [`P2pEvents`].

mod config;
mod dialer;
mod error;
mod events;
pub mod framing;
mod gate;
pub mod identity;
mod inbound;
mod node;
mod outbound;
pub mod peers;
pub mod protocol;
mod streams;

pub use config::{Backoff, P2pConfig};
pub use error::{Error, NotClusterMember};
pub use events::{Direction, InboundFailure, P2pEvent, P2pEvents, Responder};
pub use libp2p::{multiaddr, Multiaddr, PeerId};
pub use node::{P2pHandle, P2pNode};
pub use peers::{cluster_peers_from_enrs, cluster_peers_from_lock, ClusterPeer};
pub use protocol::{ExchangePattern, Protocol};
