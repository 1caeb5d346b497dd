//! A simulated beacon node for testing Mosaic and validator clients: a deterministic chain
//! (committees, proposers and sync committees by the consensus-spec algorithms over a seeded
//! RANDAO), strict signature checks on everything submitted, and a record of every duty's
//! arrival and inclusion, served over the standard Beacon API on 127.0.0.1.

pub mod chain;
pub mod clock;
pub mod config;
pub mod containers;
mod error;
pub mod record;
mod server;
mod sim;
pub mod spec;
pub mod verify;

pub use chain::Chain;
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{Preset, SimConfig};
pub use error::Error;
pub use record::{DutyKind, Recorder};
pub use server::{ApiError, ServerHandle};
pub use sim::{ChainEvent, Reset, Scenario, Simulator};
