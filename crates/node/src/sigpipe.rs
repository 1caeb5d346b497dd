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
use crate::offload::{Offload, Urgency};
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
    offload: Arc<Offload>,
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
        offload: Arc<Offload>,
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
            offload,
        }
    }

    /// Verifies and stores partials of `duty`; aggregates and broadcasts those that reach the
    /// threshold. Signatures are verified in one batch off the runtime's workers, as soon as
    /// `urgency` asks (one by one only if the batch fails, to find the bad ones). Returns the
    /// number of partials rejected.
    pub async fn ingest(
        &self,
        duty: Duty,
        partials: &[PartialSigned<P>],
        source: Source,
        urgency: Urgency,
    ) -> usize {
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
            let checked = self
                .offload
                .run(urgency, move || {
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

    /// Whether each of `dv_pubkeys` has an aggregate of `duty` (so partials of theirs complete
    /// nothing). False for none.
    pub fn aggregated_all(&self, duty: Duty, dv_pubkeys: &[PublicKey]) -> bool {
        let aggregated = lock(&self.aggregated);
        !dv_pubkeys.is_empty()
            && dv_pubkeys
                .iter()
                .all(|key| aggregated.by_duty.contains_key(&(duty, *key)))
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

#[cfg(test)]
mod tests {
    use mosaic_beacon::{BeaconClient, ClientConfig};
    use mosaic_cluster::{build_lock, CreateParams, Dealt};
    use mosaic_core::signeddata::{SignedRandao, SigningContext};
    use mosaic_core::DutyType;
    use mosaic_types::consensus::Minimal;
    use mosaic_types::Network;

    use super::*;

    fn dealt() -> Dealt {
        build_lock(&CreateParams {
            name: "sigpipe".into(),
            nodes: 4,
            threshold: Some(3),
            num_validators: 2,
            network: "hoodi".into(),
            testnet: None,
            fee_recipients: vec!["0x000000000000000000000000000000000000fee0".into()],
            withdrawal_addresses: vec!["0x00000000000000000000000000000000000dead0".into()],
            deposit_amounts: vec![],
            compounding: false,
            target_gas_limit: 0,
            existing_keys: vec![],
            keystore_kdf: mosaic_crypto::keystore::Kdf::INSECURE,
        })
        .expect("build lock")
    }

    /// A pipeline over `dealt`'s keys whose beacon node refuses every connection (aggregates
    /// are stored before they are broadcast, so the failed broadcast does not matter here).
    fn pipe(dealt: &Dealt) -> SigPipe<Minimal> {
        let chain = ChainSpec {
            genesis_time: 0,
            slot_duration: Duration::from_secs(12),
            signing: SigningContext {
                network: Network::mainnet(),
                genesis_validators_root: Root::default(),
            },
            preset_base: "minimal".into(),
            epochs_per_sync_committee_period: 8,
            sync_committee_size: 32,
            sync_committee_subnet_count: 4,
            target_aggregators_per_committee: 16,
            target_aggregators_per_sync_subcommittee: 16,
        };
        let metrics = Arc::new(Metrics::new());
        let tracker = Arc::new(DutyTracker::new(Arc::clone(&metrics)));
        let client = BeaconClient::new(["http://127.0.0.1:1"], ClientConfig::default()).unwrap();
        let validators = mosaic_core::keys::validators_from_lock(&dealt.lock).unwrap();
        SigPipe::new(
            chain.clone(),
            ParSigDb::new(dealt.lock.definition.threshold, validators).unwrap(),
            Broadcaster::new(client, chain, Arc::clone(&metrics), Arc::clone(&tracker)),
            metrics,
            tracker,
            Arc::new(Offload::start().unwrap()),
        )
    }

    /// Operator `position`'s randao partial for validator `v` (a bad signature if `forged`).
    fn randao(
        pipe: &SigPipe<Minimal>,
        dealt: &Dealt,
        position: usize,
        v: usize,
        forged: bool,
    ) -> PartialSigned<Minimal> {
        let unsigned = SignedData::Randao(SignedRandao {
            epoch: 0,
            signature: BlsSignature([0; 96]),
        });
        let root = unsigned.signing_root(&pipe.chain.signing);
        let signature = if forged {
            mosaic_crypto::bls::SecretKey::random().sign(&root.0)
        } else {
            dealt.shares[position][v].sign(&root.0)
        };
        PartialSigned {
            dv_pubkey: PublicKey::from_bytes(&dealt.lock.validators[v].public_key).unwrap(),
            data: unsigned.with_signature(BlsSignature(signature.to_bytes())),
            signature,
            share_index: position as u64 + 1,
        }
    }

    #[tokio::test]
    async fn a_validator_counts_as_aggregated_once_its_threshold_combined() {
        let dealt = dealt();
        let pipe = pipe(&dealt);
        let duty = Duty::new(0, DutyType::Randao);
        let [first, second] =
            [0, 1].map(|v| PublicKey::from_bytes(&dealt.lock.validators[v].public_key).unwrap());
        let peer = |label: &str| Source::Peer(label.into());

        assert!(
            !pipe.aggregated_all(duty, &[]),
            "no validator: nothing done"
        );
        pipe.ingest(
            duty,
            &[randao(&pipe, &dealt, 0, 0, false)],
            Source::Own,
            Urgency::Needed,
        )
        .await;
        let two_peers = [
            randao(&pipe, &dealt, 1, 0, false),
            randao(&pipe, &dealt, 2, 0, false),
        ];
        pipe.ingest(duty, &two_peers[..1], peer("b"), Urgency::Needed)
            .await;
        assert!(
            !pipe.aggregated_all(duty, &[first]),
            "one short of the threshold"
        );
        pipe.ingest(duty, &two_peers[1..], peer("c"), Urgency::Needed)
            .await;
        assert!(pipe.aggregated_all(duty, &[first]));
        assert!(!pipe.aggregated_all(duty, &[first, second]));
        assert!(!pipe.aggregated_all(Duty::new(1, DutyType::Randao), &[first]));

        // Surplus sets are still verified: a good one is stored, a forged one rejected and
        // counted.
        let good = randao(&pipe, &dealt, 3, 0, false);
        assert_eq!(
            pipe.ingest(duty, &[good], peer("d"), Urgency::Surplus)
                .await,
            0
        );
        let forged = randao(&pipe, &dealt, 3, 1, true);
        assert_eq!(
            pipe.ingest(duty, &[forged], peer("d"), Urgency::Surplus)
                .await,
            1
        );
        assert_eq!(pipe.rejected_total(), 1);
    }
}
