//! The error type of [`crate::consensus`].

use crate::ForkName;

/// Everything that can go wrong building or decoding consensus containers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsensusError {
    /// A decimal `uint256` that is malformed or too large.
    #[error("uint256 {text:?}: {reason}")]
    InvalidUint256 {
        /// The text given.
        text: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// Hex that is malformed or of the wrong length.
    #[error("{type_name}: invalid hex: {reason}")]
    InvalidHex {
        /// The consensus-spec name of the type being parsed.
        type_name: &'static str,
        /// What the hex decoder reported.
        reason: String,
    },
    /// A fork name that is not one of `phase0` ... `fulu`.
    #[error("unknown fork name {name:?} (expected phase0, altair, bellatrix, capella, deneb, electra or fulu)")]
    UnknownForkName {
        /// The name given.
        name: String,
    },
    /// A container that does not exist at the given fork (e.g. a blinded block before bellatrix).
    #[error("{type_name} does not exist at fork {fork}")]
    NotAtFork {
        /// The container asked for.
        type_name: &'static str,
        /// The fork given.
        fork: ForkName,
    },
    /// SSZ bytes that do not decode as the fork's container.
    #[error("{type_name} ({fork}): invalid SSZ: {reason}")]
    Ssz {
        /// The container being decoded.
        type_name: &'static str,
        /// The fork it was decoded for.
        fork: ForkName,
        /// What the SSZ decoder reported.
        reason: String,
    },
    /// JSON that does not parse as the fork's container.
    #[error("{type_name} ({fork}): invalid JSON: {reason}")]
    Json {
        /// The container being parsed.
        type_name: &'static str,
        /// The fork it was parsed for.
        fork: ForkName,
        /// What the JSON parser reported.
        reason: String,
    },
}
