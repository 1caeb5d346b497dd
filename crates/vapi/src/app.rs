//! The shared state of the handlers and the checks every submission goes through.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use mosaic_core::signeddata::{SignedData, SigningContext};
use mosaic_crypto::bls::{PublicKey, Signature};
use mosaic_types::consensus::Preset;
use mosaic_types::{BlsSignature, ForkName, Root, Slot};

use crate::backend::Backend;
use crate::error::{ApiError, BackendError};
use crate::keys::KeyMap;
use crate::upstream::Upstream;

/// Everything a handler needs.
pub(crate) struct App<P: Preset, B> {
    pub(crate) keys: KeyMap,
    pub(crate) signing: SigningContext,
    pub(crate) backend: Arc<B>,
    pub(crate) upstream: Upstream,
    pub(crate) request_timeout: Duration,
    /// Turns true when the server shuts down (ends open event streams).
    pub(crate) stopping: tokio::sync::watch::Receiver<bool>,
    pub(crate) preset: PhantomData<fn() -> P>,
}

/// The axum state of the handlers.
pub(crate) type AppState<P, B> = axum::extract::State<Arc<App<P, B>>>;

impl<P: Preset, B: Backend<P>> App<P, B> {
    /// Awaits a backend future for at most the request timeout.
    pub(crate) async fn wait<T>(
        &self,
        future: impl Future<Output = Result<T, BackendError>>,
    ) -> Result<T, ApiError> {
        match tokio::time::timeout(self.request_timeout, future).await {
            Ok(result) => result.map_err(ApiError::from),
            Err(_) => Err(BackendError::Timeout.into()),
        }
    }

    /// Hands verified partials to the backend (nothing to do for an empty submission).
    pub(crate) async fn submit(
        &self,
        partials: Vec<(PublicKey, SignedData<P>)>,
    ) -> Result<(), ApiError> {
        if partials.is_empty() {
            return Ok(());
        }
        self.wait(self.backend.submit_partials(partials)).await
    }

    /// The epoch of `slot`.
    pub(crate) fn epoch_of(&self, slot: Slot) -> u64 {
        slot / self.signing.network.slots_per_epoch.max(1)
    }

    /// The fork active at `slot`.
    pub(crate) fn fork_at_slot(&self, slot: Slot) -> ForkName {
        self.signing.network.fork_at_epoch(self.epoch_of(slot)).0
    }

    /// The DV with beacon-chain index `index`, or a 400 naming `what` was submitted for it.
    pub(crate) fn dv_by_index(&self, index: u64, what: &str) -> Result<PublicKey, ApiError> {
        self.backend.dv_pubkey_by_index(index).ok_or_else(|| {
            ApiError::bad_request(format!(
                "{what}: validator index {index} is not a distributed validator of this cluster"
            ))
        })
    }

    /// Checks that `data` carries a valid partial signature of this node's share of `dv`, over
    /// its signing root. `what` names the object in the error (e.g. "attestation 2 for slot 9").
    pub(crate) fn verify_partial(
        &self,
        dv: &PublicKey,
        data: &SignedData<P>,
        what: &str,
    ) -> Result<(), ApiError> {
        let share = self.keys.share_of(dv).ok_or_else(|| {
            ApiError::bad_request(format!(
                "{what}: distributed validator {} has no public share on this node",
                dv.to_hex()
            ))
        })?;
        let root = data.signing_root(&self.signing);
        if verify_signature(share, data.signature(), root) {
            Ok(())
        } else {
            tracing::warn!(
                object = what,
                validator = %dv.to_hex(),
                "rejected an invalid partial signature from the validator client"
            );
            Err(ApiError::bad_request(format!(
                "{what}: invalid partial signature of validator {} (public share {})",
                dv.to_hex(),
                share.to_hex()
            )))
        }
    }
}

/// Whether `signature` is a valid BLS signature of `root` by `key` (false for an encoding
/// that is not a G2 point in the subgroup).
pub(crate) fn verify_signature(key: &PublicKey, signature: BlsSignature, root: Root) -> bool {
    Signature::from_bytes(&signature.0).is_ok_and(|signature| signature.verify(key, &root.0))
}
