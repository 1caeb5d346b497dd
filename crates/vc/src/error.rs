//! The validator client's error type.

use mosaic_types::BlsPubkey;

/// Everything starting or driving the validator client can fail with. Failures of single
/// duties are not errors of the client: they are logged and counted in
/// [`crate::VcStats`].
#[derive(Debug, thiserror::Error)]
pub enum VcError {
    /// The configuration holds no validator key.
    #[error("no validator keys configured")]
    NoKeys,
    /// The configuration names no beacon node.
    #[error("no beacon node URL configured")]
    NoBeaconNodes,
    /// Two configured keys are the same validator.
    #[error("validator key {pubkey} is configured twice")]
    DuplicateKey {
        /// The validator public key.
        pubkey: BlsPubkey,
    },
    /// A beacon API call the client needs failed.
    #[error("{what}: {source}")]
    Beacon {
        /// What the client was doing.
        what: &'static str,
        /// The beacon client's error.
        #[source]
        source: mosaic_beacon::Error,
    },
    /// The beacon node's `/eth/v1/config/spec` lacks or garbles a value the client needs.
    #[error("beacon node spec value {key}: {reason}")]
    Spec {
        /// The spec key.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The beacon node runs a different preset than the client was built for.
    #[error("beacon node runs preset {node:?}, the validator client was built for {client:?}")]
    PresetMismatch {
        /// `PRESET_BASE` of the beacon node.
        node: String,
        /// The client's preset name.
        client: &'static str,
    },
    /// The public key is not one of the configured validators.
    #[error("validator {pubkey} is not one of this client's validators")]
    UnknownValidator {
        /// The public key asked for.
        pubkey: BlsPubkey,
    },
    /// The validator is not (yet) in the beacon chain's registry.
    #[error("validator {pubkey} has no index in the beacon chain registry")]
    NoValidatorIndex {
        /// The validator public key.
        pubkey: BlsPubkey,
    },
}

impl VcError {
    /// Wraps a beacon client error with what the client was doing.
    pub(crate) fn beacon(what: &'static str) -> impl FnOnce(mosaic_beacon::Error) -> Self {
        move |source| Self::Beacon { what, source }
    }
}
