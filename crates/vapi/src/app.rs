//! The shared state of the handlers and the checks every submission goes through.

use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use mosaic_core::signeddata::{SignedData, SigningContext};
use mosaic_crypto::bls::{batch_verify, PublicKey, Signature};
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
    /// See [`crate::VapiConfig::aggregation_elsewhere`].
    pub(crate) aggregation_elsewhere: bool,
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

    /// Hands verified partials to the backend with their signatures as `verified` decoded them
    /// (a signature verified on its own, outside `verified`, is decoded here); nothing to do for
    /// an empty submission.
    pub(crate) async fn submit(
        &self,
        partials: Vec<(PublicKey, SignedData<P>)>,
        verified: &Verified,
    ) -> Result<(), ApiError> {
        if partials.is_empty() {
            return Ok(());
        }
        let mut with_signatures = Vec::with_capacity(partials.len());
        for (dv, data) in partials {
            let bytes = data.signature();
            let signature = match verified.signature(&bytes) {
                Some(signature) => signature,
                None => Signature::from_bytes_remembered(&bytes.0).map_err(|error| {
                    ApiError::bad_request(format!(
                        "partial signature of validator {}: {error}",
                        dv.to_hex()
                    ))
                })?,
            };
            with_signatures.push((dv, data, signature));
        }
        self.wait(self.backend.submit_partials(with_signatures))
            .await
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

    /// The check that `data` carries a valid partial signature of this node's share of `dv`
    /// over its signing root (run it with [`App::verify`]). `what` names the object in the
    /// error (e.g. "attestation 2 for slot 9"). Fails at once if this node holds no share of
    /// `dv`.
    pub(crate) fn partial_check(
        &self,
        dv: &PublicKey,
        data: &SignedData<P>,
        what: &str,
    ) -> Result<SignatureCheck, ApiError> {
        let share = self.keys.share_of(dv).ok_or_else(|| {
            ApiError::bad_request(format!(
                "{what}: distributed validator {} has no public share on this node",
                dv.to_hex()
            ))
        })?;
        Ok(SignatureCheck {
            key: *share,
            root: data.signing_root(&self.signing),
            signature: data.signature(),
            failure: ApiError::bad_request(format!(
                "{what}: invalid partial signature of validator {} (public share {})",
                dv.to_hex(),
                share.to_hex()
            )),
        })
    }

    /// Runs every check of a request (batched, off the async runtime); the error of the first
    /// that fails.
    /// Whether `check` holds (nothing logged: for trying one reading of a request before
    /// another).
    pub(crate) async fn holds(&self, check: SignatureCheck) -> bool {
        tokio::task::spawn_blocking(move || run_checks(vec![check]))
            .await
            .is_ok_and(|result| result.is_ok())
    }

    pub(crate) async fn verify(&self, checks: Vec<SignatureCheck>) -> Result<Verified, ApiError> {
        let result = tokio::task::spawn_blocking(move || run_checks(checks))
            .await
            .map_err(|error| ApiError::internal(format!("signature check failed: {error}")))?;
        if let Err(error) = &result {
            tracing::warn!(reason = %error.message, "rejected a validator client submission");
        }
        result
    }
}

/// The signatures of a request's checks, decoded (and subgroup-checked) once, by their bytes.
#[derive(Debug, Default)]
pub(crate) struct Verified(HashMap<[u8; 96], Signature>);

impl Verified {
    /// The decoded form of `signature`, if it was among the verified ones.
    pub(crate) fn signature(&self, signature: &BlsSignature) -> Option<Signature> {
        self.0.get(&signature.0).copied()
    }
}

/// One BLS signature a request must carry: `signature` by `key` over `root`, else `failure`.
#[derive(Debug)]
pub(crate) struct SignatureCheck {
    pub(crate) key: PublicKey,
    pub(crate) root: Root,
    pub(crate) signature: BlsSignature,
    pub(crate) failure: ApiError,
}

/// Verifies all checks with one batch verification; if the batch fails, finds the first
/// failing check one by one.
fn run_checks(checks: Vec<SignatureCheck>) -> Result<Verified, ApiError> {
    let mut batch = Vec::with_capacity(checks.len());
    for check in &checks {
        // A built-in validator client's signatures are taken back without decoding them again.
        match Signature::from_bytes_remembered(&check.signature.0) {
            Ok(signature) => batch.push((check.key, check.root.0.to_vec(), signature)),
            Err(_) => return Err(check.failure.clone()),
        }
    }
    if !batch.is_empty() && !batch_verify(&batch) {
        for (check, (key, message, signature)) in checks.iter().zip(&batch) {
            if !signature.verify(key, message) {
                return Err(check.failure.clone());
            }
        }
    }
    Ok(Verified(
        checks
            .iter()
            .zip(batch)
            .map(|(check, (_, _, signature))| (check.signature.0, signature))
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use mosaic_crypto::bls::SecretKey;

    use super::*;

    fn check(key: &SecretKey, signer: &SecretKey, root: u8, name: &str) -> SignatureCheck {
        SignatureCheck {
            key: key.public_key(),
            root: Root([root; 32]),
            signature: BlsSignature(signer.sign(&[root; 32]).to_bytes()),
            failure: ApiError::bad_request(name),
        }
    }

    #[test]
    fn batches_pass_and_the_first_bad_check_is_named() {
        let a = SecretKey::from_bytes(&[1; 32]).unwrap();
        let b = SecretKey::from_bytes(&[2; 32]).unwrap();
        assert!(run_checks(vec![]).is_ok());
        assert!(run_checks(vec![check(&a, &a, 1, "x")]).is_ok());
        let (x, y) = (check(&a, &a, 1, "x"), check(&b, &b, 1, "y"));
        let (x_bytes, y_bytes) = (x.signature, y.signature);
        let verified = run_checks(vec![x, y]).unwrap();
        // The decoded signatures come back for the hand-over to the backend.
        assert_eq!(verified.signature(&x_bytes).unwrap().to_bytes(), x_bytes.0);
        assert_eq!(verified.signature(&y_bytes).unwrap().to_bytes(), y_bytes.0);
        assert!(verified
            .signature(&BlsSignature(b.sign(&[9; 32]).to_bytes()))
            .is_none());
        let error = run_checks(vec![
            check(&a, &a, 1, "first"),
            check(&b, &a, 2, "second"),
            check(&b, &a, 3, "third"),
        ])
        .unwrap_err();
        assert_eq!(error.message, "second");
        let mut garbage = check(&a, &a, 1, "garbage");
        garbage.signature = BlsSignature([0xff; 96]);
        let error = run_checks(vec![check(&a, &a, 1, "ok"), garbage]).unwrap_err();
        assert_eq!(error.message, "garbage");
    }
}
