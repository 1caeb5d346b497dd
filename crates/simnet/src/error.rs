//! The simulator's errors.

/// Errors of the simulated beacon node.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration field is unusable.
    #[error("simnet config: {field}: {reason}")]
    Config {
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// An explicit validator public key does not decode.
    #[error("simnet config: validators[{index}]: {reason}")]
    ValidatorKey {
        /// Position in [`crate::SimConfig::validators`].
        index: usize,
        /// Why it was rejected.
        reason: String,
    },
    /// The HTTP server could not bind or serve.
    #[error("simnet server on {address}: {reason}")]
    Server {
        /// The address.
        address: String,
        /// Why.
        reason: String,
    },
}
