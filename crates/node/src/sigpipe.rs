//! The signature half of the duty pipeline: partial signatures in (from this node's validator
//! client or from peers), verified and stored in the partial-signature database; at threshold,
//! combined, verified under the DV key, stored as an aggregate and broadcast to the beacon
//! node.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use mosaic_core::chain::ChainSpec;
use mosaic_core::parsigdb::{ParSigDb, ParSigDbError, PartialSignature, StoreOutcome};
use mosaic_core::parsigex::PartialSigned;
use mosaic_core::sigagg;
use mosaic_core::signeddata::SignedData;
use mosaic_core::Duty;
use mosaic_crypto::bls::{PublicKey, Signature};
use mosaic_monitor::Metrics;
use mosaic_types::consensus::Preset;
use mosaic_types::{BlsSignature, Root, Slot};
use tokio::sync::Notify;

use crate::broadcast::Broadcaster;
use crate::tracker::DutyTracker;

/// Where a partial came from (for logs and metrics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// This node's validator client, through the validator API.
    Own,
    /// A peer, by its label (peer ID or operator index).
    Peer(String),
}

impl Source {
    fn label(&self) -> &str {
        match self {
            Self::Own => "self",
            Self::Peer(label) => label,
        }
    }
}

type ObjectKey = (Duty, PublicKey, Root);

struct Aggregated<P: Preset> {
    by_duty: HashMap<(Duty, PublicKey), Vec<SignedData<P>>>,
}

/// The signature pipeline of one node.
pub struct SigPipe<P: Preset> {
    chain: ChainSpec,
    threshold: u64,
    parsigdb: Mutex<ParSigDb>,
    objects: Mutex<HashMap<ObjectKey, SignedData<P>>>,
    aggregated: Mutex<Aggregated<P>>,
    changed: Notify,
    broadcaster: Arc<Broadcaster<P>>,
    metrics: Arc<Metrics>,
    tracker: Arc<DutyTracker>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Each critical section leaves its maps consistent, so a poisoned lock is still usable.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<P: Preset> SigPipe<P> {
    /// A pipeline over `parsigdb` (which knows the cluster's public shares).
    pub fn new(
        chain: ChainSpec,
        parsigdb: ParSigDb,
        broadcaster: Broadcaster<P>,
        metrics: Arc<Metrics>,
        tracker: Arc<DutyTracker>,
    ) -> Self {
        Self {
            chain,
            threshold: parsigdb.threshold(),
            parsigdb: Mutex::new(parsigdb),
            objects: Mutex::new(HashMap::new()),
            aggregated: Mutex::new(Aggregated {
                by_duty: HashMap::new(),
            }),
            changed: Notify::new(),
            broadcaster: Arc::new(broadcaster),
            metrics,
            tracker,
        }
    }

    /// Verifies and stores partials of `duty`; aggregates and broadcasts those that reach the
    /// threshold. Signatures are verified in one batch on the blocking pool (one by one only if
    /// the batch fails, to find the bad ones). Returns the number of partials rejected.
    pub async fn ingest(&self, duty: Duty, partials: &[PartialSigned<P>], source: Source) -> usize {
        let since_slot_start = SystemTime::now()
            .duration_since(self.chain.slot_start(duty.slot))
            .unwrap_or(Duration::ZERO);
        let mut rejected = 0;
        // Own partials were verified by the validator API against this node's public share
        // before they reached the node; peers' are verified here.
        let trusted = matches!(source, Source::Own);
        // (partial, signing root, signature, public share if known)
        let mut prepared = Vec::with_capacity(partials.len());
        {
            let db = lock(&self.parsigdb);
            for partial in partials {
                let signing_root = partial.data.signing_root(&self.chain.signing);
                let share = db.public_share(&partial.dv_pubkey, partial.share_index);
                prepared.push((partial, signing_root, partial.signature, share));
            }
        }
        let checks: Vec<(PublicKey, Vec<u8>, Signature)> = if trusted {
            Vec::new()
        } else {
            prepared
                .iter()
                .filter_map(|(_, root, signature, share)| {
                    share.map(|share| (share, root.0.to_vec(), *signature))
                })
                .collect()
        };
        let verdicts = if checks.is_empty() {
            Vec::new()
        } else {
            let checked = tokio::task::spawn_blocking(move || {
                if mosaic_crypto::bls::batch_verify(&checks) {
                    vec![true; checks.len()]
                } else {
                    checks
                        .iter()
                        .map(|(share, root, signature)| signature.verify(share, root))
                        .collect::<Vec<bool>>()
                }
            })
            .await;
            match checked {
                Ok(verdicts) => verdicts,
                // The check did not run to the end (the runtime is shutting down): nothing was
                // judged, so nothing is stored, and no signature, nor its sender, is blamed.
                Err(error) => {
                    tracing::debug!(%duty, %error, "partial signatures left unchecked");
                    return rejected;
                }
            }
        };
        let mut verdicts = verdicts.into_iter();
        let mut complete = Vec::new();
        for (partial, signing_root, signature, share) in prepared {
            // Unknown validators and share indices are refused by the database itself.
            let valid = share.is_none() || trusted || verdicts.next().unwrap_or(false);
            let stored = if valid {
                lock(&self.parsigdb).store_verified(
                    duty,
                    &partial.dv_pubkey,
                    PartialSignature {
                        share_index: partial.share_index,
                        signing_root: signing_root.0,
                        signature,
                    },
                )
            } else {
                lock(&self.parsigdb).record_invalid(partial.share_index);
                Err(ParSigDbError::InvalidSignature {
                    duty,
                    dv_pubkey: partial.dv_pubkey.to_hex(),
                    share_index: partial.share_index,
                    signing_root: signing_root.0,
                })
            };
            match stored {
                Ok(StoreOutcome::Duplicate) => {}
                Ok(outcome) => {
                    self.metrics.parsig_arrival(
                        duty.duty_type.name(),
                        source.label(),
                        since_slot_start,
                    );
                    lock(&self.objects)
                        .entry((duty, partial.dv_pubkey, signing_root))
                        .or_insert_with(|| partial.data.clone());
                    if let StoreOutcome::ThresholdReached(event) = outcome {
                        complete.push(*event);
                    }
                }
                Err(error) => {
                    rejected += 1;
                    let reason = rejection_label(&error);
                    self.metrics
                        .parsig_rejected(duty.duty_type.name(), reason, source.label());
                    tracing::warn!(%duty, source = source.label(), %error, "partial signature rejected");
                }
            }
        }
        self.complete_all(complete).await;
        rejected
    }

    /// Combines every threshold reached by one ingest, verifies the aggregates in one batch
    /// (a slot's attestations share their message, so one pairing), stores them and broadcasts
    /// them together.
    async fn complete_all(&self, events: Vec<mosaic_core::parsigdb::ThresholdReached>) {
        if events.is_empty() {
            return;
        }
        let threshold = self.threshold;
        let inputs: Vec<sigagg::AggregationInput> = events
            .iter()
            .map(|e| (e.partials.clone(), e.dv_pubkey, e.signing_root.to_vec()))
            .collect();
        let combined =
            tokio::task::spawn_blocking(move || sigagg::aggregate_many(&inputs, threshold)).await;
        let results = match combined {
            Ok(results) => results,
            Err(error) => {
                // The runtime is shutting down: nothing was combined.
                tracing::debug!(%error, "aggregation left undone");
                return;
            }
        };
        let mut signed_all = Vec::with_capacity(events.len());
        for (event, result) in events.into_iter().zip(results) {
            let duty = event.duty;
            let aggregate = match result {
                Ok(aggregate) => aggregate,
                Err(error) => {
                    self.tracker.failed(duty, "aggregation");
                    tracing::error!(%duty, %error, "threshold partials did not combine");
                    continue;
                }
            };
            let root = Root(event.signing_root);
            let Some(object) = lock(&self.objects)
                .get(&(duty, event.dv_pubkey, root))
                .cloned()
            else {
                continue;
            };
            let signed = object.with_signature(BlsSignature(aggregate.signature.to_bytes()));
            lock(&self.aggregated)
                .by_duty
                .entry((duty, event.dv_pubkey))
                .or_default()
                .push(signed.clone());
            signed_all.push((duty, event.dv_pubkey, signed));
        }
        self.changed.notify_waiters();
        self.broadcaster.broadcast_all(signed_all).await;
    }

    /// Waits for the aggregate of `duty` for `dv_pubkey` whose message root is `message_root`
    /// (any message root when `None`).
    pub async fn await_aggregate(
        &self,
        duty: Duty,
        dv_pubkey: PublicKey,
        message_root: Option<Root>,
    ) -> SignedData<P> {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(found) = lock(&self.aggregated)
                .by_duty
                .get(&(duty, dv_pubkey))
                .and_then(|all| {
                    all.iter()
                        .find(|data| message_root.is_none_or(|root| data.message_root() == root))
                })
                .cloned()
            {
                return found;
            }
            notified.await;
        }
    }

    /// Forgets everything before `slot`.
    pub fn trim(&self, slot: Slot) {
        lock(&self.parsigdb).trim(slot);
        lock(&self.objects).retain(|(duty, _, _), _| duty.slot >= slot);
        lock(&self.aggregated)
            .by_duty
            .retain(|(duty, _), _| duty.slot >= slot);
    }

    /// Partial signatures rejected so far, all reasons.
    pub fn rejected_total(&self) -> u64 {
        lock(&self.parsigdb).rejections().total()
    }
}

fn rejection_label(error: &ParSigDbError) -> &'static str {
    use mosaic_core::parsigdb::RejectReason;
    match error.reason() {
        Some(RejectReason::UnknownValidator) => "unknown_validator",
        Some(RejectReason::UnknownShareIndex) => "unknown_share_index",
        Some(RejectReason::InvalidSignature) => "invalid_signature",
        Some(RejectReason::Equivocation) => "equivocation",
        Some(RejectReason::Expired) => "expired",
        None => "invalid",
    }
}
