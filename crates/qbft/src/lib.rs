//! QBFT consensus for Mosaic, conformant with the Obol distributed-validator spec
//! (`docs/dv-spec/consensus.md`, `hashing.md`, `priority.md`), so a Mosaic node
//! can sit in the same cluster as Charon nodes.
//!
//! - [`pb`]: wire types from `proto/` (same packages, names and field numbers as the spec).
//! - [`encoding`], [`hashing`]: Go-compatible deterministic protobuf and `hashProto`.
//! - [`value`]: consensus values and the two `Any` conventions (consensus hashes the
//!   inner message, priority hashes the `Any`).
//! - [`signing`]: QBFT signing roots; [`signing::Signer`]/[`signing::SignatureVerifier`]
//!   with the secp256k1 implementations.
//! - [`msg`], [`limits`]: verification of incoming envelopes, with drop reasons.
//! - [`engine`]: the pure, timer-free state machine; [`timer`] computes its deadlines;
//!   [`decided`] rate-limits DECIDED rebroadcasts.
//! - [`priority`]: priority protocol scoring; [`parsigex_binding`]: partial-signature
//!   sender binding.
//!
//! Driving an instance: create an [`engine::Instance`], call `start`, then feed it
//! `propose`, `receive` and `timeout`; send every [`engine::Output::Broadcast`] to the
//! other peers, arm a [`timer::RoundTimer`] on [`engine::Output::ArmTimer`] and use the
//! single [`engine::Output::Decided`].

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
mod sigcache;
pub mod signing;
pub mod timer;
pub mod value;

pub use duty::{Duty, DutyType};
pub use hashing::{Hash, ZERO_HASH};
