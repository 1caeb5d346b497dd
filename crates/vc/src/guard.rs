//! The hook called before every block and attestation signature (slashing protection plugs in
//! here).

use mosaic_crypto::bls::PublicKey;

/// Why a [`SigningGuard`] refused a signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("signing refused: {reason}")]
pub struct GuardRefusal {
    /// The guard's reason (for example "surrounds an earlier attestation").
    pub reason: String,
}

impl GuardRefusal {
    /// A refusal with `reason`.
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

/// One attestation a [`SigningGuard`] is asked about in [`SigningGuard::check_attestations`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttestationToSign {
    /// The key about to sign.
    pub pubkey: PublicKey,
    /// `data.source.epoch`.
    pub source_epoch: u64,
    /// `data.target.epoch`.
    pub target_epoch: u64,
    /// The signing root about to be signed.
    pub signing_root: [u8; 32],
}

/// Decides, before the client signs, whether a block or an attestation may be signed. The
/// client calls it once per signature, after the signing root is known and before the secret
/// key is used; a refusal means nothing is signed or sent for that duty (it is counted as
/// refused in [`crate::VcStats`]). An implementation that allows a signature should record it
/// (EIP-3076 style) before returning `Ok`.
pub trait SigningGuard: Send + Sync + 'static {
    /// May `pubkey` sign the block at `slot` whose signing root is `signing_root`?
    fn check_block(
        &self,
        pubkey: &PublicKey,
        slot: u64,
        signing_root: [u8; 32],
    ) -> Result<(), GuardRefusal>;

    /// May `pubkey` sign the attestation from `source_epoch` to `target_epoch` whose signing
    /// root is `signing_root`?
    fn check_attestation(
        &self,
        pubkey: &PublicKey,
        source_epoch: u64,
        target_epoch: u64,
        signing_root: [u8; 32],
    ) -> Result<(), GuardRefusal>;

    /// [`Self::check_attestation`] for many attestations at once (a slot's, which the client
    /// signs together), in order, each judged with those before it already recorded; one
    /// verdict per attestation. The default asks about them one by one; a guard that records
    /// to disk should record them together (one commit instead of one per attestation).
    fn check_attestations(
        &self,
        attestations: &[AttestationToSign],
    ) -> Vec<Result<(), GuardRefusal>> {
        attestations
            .iter()
            .map(|a| {
                self.check_attestation(&a.pubkey, a.source_epoch, a.target_epoch, a.signing_root)
            })
            .collect()
    }
}

/// A guard that allows everything (for tests, or where the signer downstream protects).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoGuard;

impl SigningGuard for NoGuard {
    fn check_block(&self, _: &PublicKey, _: u64, _: [u8; 32]) -> Result<(), GuardRefusal> {
        Ok(())
    }

    fn check_attestation(
        &self,
        _: &PublicKey,
        _: u64,
        _: u64,
        _: [u8; 32],
    ) -> Result<(), GuardRefusal> {
        Ok(())
    }
}
