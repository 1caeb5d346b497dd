//! The aggregated-signature database: one verified group signature per
//! `(duty, DV public key)`, which broadcast and the validator API look up (at once, or by
//! awaiting it). Storing the identical signature again is a no-op; a different one for the same
//! key is an error (two verified aggregates over different data would mean the cluster signed
//! twice). Duties older than the [`AggSigDb::trim`] boundary are dropped and rejected.
//!
//! Thread-safe (`&self` everywhere); share it behind an `Arc`.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use mosaic_crypto::bls::{PublicKey, Signature};
use tokio::sync::Notify;

use crate::duty::Duty;

/// Why an aggregated signature was not stored or cannot be returned.
#[derive(Debug, thiserror::Error)]
pub enum AggSigDbError {
    /// A different aggregate is already stored for the duty and validator.
    #[error("{duty:?}: validator {dv_pubkey} already has a different aggregate signature (stored {stored}, received {received})")]
    Mismatch {
        /// The duty.
        duty: Duty,
        /// The DV public key (hex).
        dv_pubkey: String,
        /// The stored signature (hex).
        stored: String,
        /// The rejected signature (hex).
        received: String,
    },
    /// The duty is older than the trim boundary.
    #[error("{duty:?}: expired (duties before slot {trimmed_before} were trimmed)")]
    Expired {
        /// The duty.
        duty: Duty,
        /// The current trim boundary.
        trimmed_before: u64,
    },
}

#[derive(Debug, Default)]
struct State {
    signatures: BTreeMap<(Duty, PublicKey), Signature>,
    trimmed_before: u64,
}

impl State {
    fn check_expiry(&self, duty: Duty) -> Result<(), AggSigDbError> {
        if duty.slot < self.trimmed_before {
            return Err(AggSigDbError::Expired {
                duty,
                trimmed_before: self.trimmed_before,
            });
        }
        Ok(())
    }
}

/// The aggregated-signature database of one node.
#[derive(Debug, Default)]
pub struct AggSigDb {
    state: Mutex<State>,
    changed: Notify,
}

impl AggSigDb {
    /// An empty database.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state is consistent after every statement, so a panic elsewhere cannot corrupt it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores the (already verified) aggregate `signature` for `duty` and `dv_pubkey`; returns
    /// `true` if it was new, `false` if the identical signature was already stored.
    pub fn store(
        &self,
        duty: Duty,
        dv_pubkey: &PublicKey,
        signature: Signature,
    ) -> Result<bool, AggSigDbError> {
        let mut state = self.state();
        state.check_expiry(duty)?;
        match state.signatures.get(&(duty, *dv_pubkey)) {
            Some(stored) if *stored == signature => Ok(false),
            Some(stored) => Err(AggSigDbError::Mismatch {
                duty,
                dv_pubkey: dv_pubkey.to_hex(),
                stored: stored.to_hex(),
                received: signature.to_hex(),
            }),
            None => {
                state.signatures.insert((duty, *dv_pubkey), signature);
                drop(state);
                self.changed.notify_waiters();
                Ok(true)
            }
        }
    }

    /// The aggregate for `duty` and `dv_pubkey`, if stored (polling lookup).
    pub fn get(&self, duty: Duty, dv_pubkey: &PublicKey) -> Option<Signature> {
        self.state().signatures.get(&(duty, *dv_pubkey)).copied()
    }

    /// Waits until the aggregate for `duty` and `dv_pubkey` is stored and returns it; fails with
    /// [`AggSigDbError::Expired`] if the duty is (or becomes) older than the trim boundary.
    /// Callers bound the wait with their own deadline (e.g. `tokio::time::timeout`).
    pub async fn wait(
        &self,
        duty: Duty,
        dv_pubkey: &PublicKey,
    ) -> Result<Signature, AggSigDbError> {
        loop {
            let mut notified = std::pin::pin!(self.changed.notified());
            // Register before looking, so a store between the lookup and the await is not missed.
            notified.as_mut().enable();
            {
                let state = self.state();
                state.check_expiry(duty)?;
                if let Some(signature) = state.signatures.get(&(duty, *dv_pubkey)) {
                    return Ok(*signature);
                }
            }
            notified.await;
        }
    }

    /// Drops every duty with a slot before `before_slot` and wakes waiters on them; later stores
    /// for those slots are rejected. The boundary never moves backwards.
    pub fn trim(&self, before_slot: u64) {
        {
            let mut state = self.state();
            state.trimmed_before = state.trimmed_before.max(before_slot);
            let boundary = state.trimmed_before;
            state
                .signatures
                .retain(|(duty, _), _| duty.slot >= boundary);
        }
        self.changed.notify_waiters();
    }

    /// The number of stored aggregates.
    pub fn len(&self) -> usize {
        self.state().signatures.len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use mosaic_crypto::bls::SecretKey;

    use super::*;
    use crate::duty::DutyType;

    fn duty(slot: u64) -> Duty {
        Duty::new(slot, DutyType::Attester)
    }

    #[test]
    fn stores_once_and_ignores_the_identical_signature() {
        let db = AggSigDb::new();
        let key = SecretKey::random();
        let dv = key.public_key();
        let signature = key.sign(b"root");
        assert_eq!(db.get(duty(1), &dv), None);
        assert!(db.store(duty(1), &dv, signature).expect("store"));
        assert!(!db.store(duty(1), &dv, signature).expect("identical"));
        assert_eq!(db.get(duty(1), &dv), Some(signature));
        assert_eq!(db.len(), 1);
    }

    #[test]
    fn rejects_a_different_signature_for_the_same_key() {
        let db = AggSigDb::new();
        let key = SecretKey::random();
        let dv = key.public_key();
        let first = key.sign(b"root a");
        db.store(duty(1), &dv, first).expect("store");
        let err = db
            .store(duty(1), &dv, key.sign(b"root b"))
            .expect_err("mismatch");
        assert!(matches!(err, AggSigDbError::Mismatch { .. }));
        assert_eq!(db.get(duty(1), &dv), Some(first));
        // Another duty or another validator is a different key.
        db.store(duty(2), &dv, key.sign(b"root b"))
            .expect("other duty");
        let other = SecretKey::random().public_key();
        db.store(duty(1), &other, key.sign(b"root b"))
            .expect("other validator");
    }

    #[test]
    fn trim_drops_old_duties_and_rejects_late_stores() {
        let db = AggSigDb::new();
        let key = SecretKey::random();
        let dv = key.public_key();
        for slot in [4, 5] {
            db.store(duty(slot), &dv, key.sign(b"root")).expect("store");
        }
        db.trim(5);
        assert_eq!(db.get(duty(4), &dv), None);
        assert!(db.get(duty(5), &dv).is_some());
        let err = db
            .store(duty(4), &dv, key.sign(b"root"))
            .expect_err("expired");
        assert!(matches!(
            err,
            AggSigDbError::Expired {
                trimmed_before: 5,
                ..
            }
        ));
        db.trim(1);
        assert!(db.store(duty(4), &dv, key.sign(b"root")).is_err());
        assert!(db.store(duty(6), &dv, key.sign(b"root")).expect("new"));
    }

    #[tokio::test]
    async fn wait_returns_a_stored_signature_at_once() {
        let db = AggSigDb::new();
        let key = SecretKey::random();
        let signature = key.sign(b"root");
        db.store(duty(1), &key.public_key(), signature)
            .expect("store");
        assert_eq!(
            db.wait(duty(1), &key.public_key()).await.expect("wait"),
            signature
        );
    }

    #[tokio::test]
    async fn wait_wakes_when_the_signature_is_stored() {
        let db = Arc::new(AggSigDb::new());
        let key = SecretKey::random();
        let dv = key.public_key();
        let waiter = {
            let db = Arc::clone(&db);
            tokio::spawn(async move { db.wait(duty(1), &dv).await })
        };
        tokio::task::yield_now().await;
        // A store for another duty does not satisfy the waiter.
        db.store(duty(2), &dv, key.sign(b"other")).expect("store");
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        let signature = key.sign(b"root");
        db.store(duty(1), &dv, signature).expect("store");
        let got = tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("woken")
            .expect("task")
            .expect("signature");
        assert_eq!(got, signature);
    }

    #[tokio::test]
    async fn wait_fails_when_the_duty_expires() {
        let db = Arc::new(AggSigDb::new());
        let dv = SecretKey::random().public_key();
        let waiter = {
            let db = Arc::clone(&db);
            tokio::spawn(async move { db.wait(duty(3), &dv).await })
        };
        tokio::task::yield_now().await;
        db.trim(3);
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished(), "slot 3 is still inside the boundary");
        db.trim(4);
        let result = tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("woken")
            .expect("task");
        assert!(matches!(result, Err(AggSigDbError::Expired { .. })));
    }
}
