//! A simulated beacon node for testing Mosaic and validator clients: a deterministic chain
//! (committees, proposers and sync committees by the consensus-spec algorithms over a seeded
//! RANDAO), strict signature checks on everything submitted, and a record of every duty's
//! arrival and inclusion, served over the standard Beacon API on 127.0.0.1.
//!
//! Blocks are real consensus containers (capella to fulu, full and blinded, JSON and SSZ) built
//! from what was submitted: the pool's attestations, the sync aggregate of the parent root and a
//! synthetic execution payload ([`payload`]). There is no state transition: a block's
//! `state_root` is [`Chain::synthetic_state_root`]. Published blocks are checked like a beacon
//! node would (signature, randao reveal, proposer, parent, payload) and become the head; two
//! different signed blocks for one slot by one proposer are recorded as slashable, and so are
//! a validator's attestations that double or surround vote one it signed before.
//!
//! Admin API beside the Beacon API: `GET /mosaic/simnet/records`, `GET /mosaic/simnet/summary`
//! (JSON, or a text table with `Accept: text/plain`; `slashable` lists double
//! proposals and double or surround votes), `GET /mosaic/simnet/slashable`, `GET|POST /mosaic/simnet/scenario`
//! ([`Scenario`]: latency, error rate, syncing, builder), `POST /mosaic/simnet/reset`
//! ([`Reset`]).

mod block_api;
pub mod blocks;
pub mod chain;
pub mod clock;
pub mod config;
pub mod containers;
mod error;
pub mod payload;
pub mod ports;
pub mod record;
pub mod report;
mod server;
mod sim;
pub mod spec;
pub mod verify;

pub use chain::Chain;
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{Preset, SimConfig};
pub use error::Error;
pub use record::{AttestationOffence, DutyKind, Recorder, SlashableAttestation};
pub use report::{DutyReport, KindReport};
pub use server::{ApiError, ServerHandle};
pub use sim::{ChainEvent, Reset, Scenario, Simulator};
