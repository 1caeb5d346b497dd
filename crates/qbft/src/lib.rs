//! QBFT consensus for Mosaic, conformant with the Obol distributed-validator spec
//! (`docs/dv-spec/consensus.md`, `hashing.md`, `priority.md`).
//!
//! - [`encoding`] and [`hashing`]: Go-compatible deterministic protobuf and `hashProto`.
//! - [`value`]: consensus values and the consensus/priority `Any` conventions.
//! - [`msg`]: signing roots, signatures and message validation.

pub mod decided;
pub mod duty;
pub mod encoding;
pub mod engine;
pub mod hashing;
pub mod limits;
pub mod msg;
pub mod parsigex_binding;
pub mod pb;
pub mod priority;
pub mod signing;
pub mod timer;
pub mod value;

pub use duty::{Duty, DutyType};
pub use hashing::{Hash, ZERO_HASH};
