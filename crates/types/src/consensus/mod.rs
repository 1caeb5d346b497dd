//! Beacon chain containers from phase0 to fulu, generic over a [`Preset`], with SSZ,
//! `tree_hash` and beacon-API JSON (decimal strings for integers, `0x` hex for bytes, field
//! names as in `ethereum/consensus-specs` and `ethereum/beacon-APIs`).
//!
//! Each fork has a module holding the containers it introduces or changes; fulu's blocks are
//! electra's. The fork-tagged enums that the beacon API needs live in [`versioned`], and
//! signing roots with their domains in [`signing`].

pub mod altair;
pub mod bellatrix;
pub mod capella;
pub mod deneb;
pub mod electra;
mod error;
pub mod fulu;
pub mod phase0;
pub mod preset;
pub mod primitives;
pub mod signatures;
pub mod signing;
pub mod versioned;

pub use error::ConsensusError;
pub use preset::{Mainnet, Minimal, Preset};
pub use signing::{SignedObject, SignedRoot};
pub use versioned::{ForkVersioned, Versioned};
