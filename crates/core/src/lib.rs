//! The duty pipeline of a Mosaic distributed validator node (DESIGN §1): duties, the
//! partial-signature database, threshold signature aggregation and the aggregated-signature
//! database.
//!
//! The components here are pure and synchronous where they can be: [`parsigdb::ParSigDb`] takes
//! partial signatures in and returns "threshold reached" events out, [`sigagg::aggregate`]
//! combines and verifies, [`aggsigdb::AggSigDb`] stores the results and lets callers await them.
//! Share indices are 1-based: the operator at position `i` in the cluster lock holds share
//! index `i + 1`, which is also its Lagrange x-coordinate.

pub mod aggsigdb;
pub mod chain;
pub mod consensus;
pub mod duty;
pub mod dutydb;
pub mod keys;
pub mod parsigdb;
pub mod parsigex;
pub mod sigagg;
pub mod signeddata;
pub mod unsigned;

pub use duty::{Duty, DutyType, SigningRoot};
pub use mosaic_crypto::tbls::ShareIndex;
