//! A Mosaic distributed validator node (DESIGN §1): the duty pipeline of `mosaic-core` wired to
//! a beacon node, the cluster's peers (p2p), a validator API and a monitoring server.
//!
//! [`node::start`] starts every task; [`node::RunningNode::stop`] stops them.

pub mod broadcast;
mod byzantine;
pub mod core;
mod duties;
pub mod gate;
pub mod infosync;
pub mod node;
pub mod peerinfo;
pub mod registrations;
pub mod reset;
pub mod schedule;
pub mod sigpipe;
pub mod tracker;
pub mod validator_api;

pub use node::{check_network, fetch_chain, start, NodeConfig, NodeError, RunningNode};
