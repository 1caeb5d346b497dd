//! The signature half of the duty pipeline: partial signatures in (from this node's validator
//! client or from peers), verified and stored in the partial-signature database; at threshold,
//! combined, verified under the DV key, stored as an aggregate and broadcast to the beacon
//! node.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use mosaic_core::chain::ChainSpec;
use mosaic_core::parsigdb::{ParSigDb, ParSigDbError, PartialSignature, StoreOutcome};
use mosaic_core::parsigex::PartialSigned;
use mosaic_core::sigagg;
use mosaic_core::signeddata::SignedData;
use mosaic_core::{Duty, DutyType};
use mosaic_crypto::bls::{PublicKey, Signature};
use mosaic_crypto::tbls::ShareIndex;
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
    /// threshold. Returns the number of partials rejected.
    ///
    /// A peer's partial that completes a threshold (the others already stored, so verified) is
    /// combined with them at once, and the aggregate's check under the DV key stands in for
    /// checking the partial alone (see [`ParSigDb::completing_group`]); only if the aggregate
    /// fails is the partial checked alone, and rejected if bad. Other peers' partials are
    /// verified in one batch (one by one only if the batch fails, to find the bad ones). All of
    /// it runs on the blocking pool.
    pub async fn ingest(&self, duty: Duty, partials: &[PartialSigned<P>], source: Source) -> usize {
        let since_slot_start = SystemTime::now()
            .duration_since(self.chain.slot_start(duty.slot))
            .unwrap_or(Duration::ZERO);
        let mut rejected = 0;
        // Own partials were verified by the validator API against this node's public share
        // before they reached the node; peers' are verified here.
        let trusted = matches!(source, Source::Own);
        let prepared = self.prepare(duty, partials, trusted);
        let mut checks = Vec::new();
        let mut completions = Vec::new();
        for item in &prepared {
            match (&item.check, item.share) {
                (Check::Alone, Some(share)) => {
                    checks.push((share, item.signing_root.0.to_vec(), item.partial.signature));
                }
                (Check::Completing(group), Some(share)) => {
                    let mut combined = group.clone();
                    combined.insert(item.partial.share_index, item.partial.signature);
                    completions.push((
                        (
                            combined,
                            item.partial.dv_pubkey,
                            item.signing_root.0.to_vec(),
                        ),
                        share,
                        item.partial.signature,
                    ));
                }
                _ => {}
            }
        }
        let threshold = self.threshold;
        let checked = if checks.is_empty() && completions.is_empty() {
            Ok((Vec::new(), Vec::new()))
        } else {
            tokio::task::spawn_blocking(move || {
                (
                    verify_alone(&checks),
                    verify_completing(completions, threshold),
                )
            })
            .await
        };
        let (verdicts, completed) = match checked {
            Ok(checked) => checked,
            // The check did not run to the end (the runtime is shutting down): nothing was
            // judged, so nothing is stored, and no signature, nor its sender, is blamed.
            Err(error) => {
                tracing::debug!(%duty, %error, "partial signatures left unchecked");
                return rejected;
            }
        };
        let mut verdicts = verdicts.into_iter();
        let mut completed = completed.into_iter();
        let mut complete = Vec::new();
        for item in prepared {
            let Prepared {
                partial,
                signing_root,
                share,
                check,
            } = item;
            // Unknown validators and share indices are refused by the database itself.
            let (valid, aggregate) = match (&check, share) {
                (_, None) | (Check::Trusted, _) => (true, None),
                (Check::Alone, Some(_)) => (verdicts.next().unwrap_or(false), None),
                (Check::Completing(_), Some(_)) => completed.next().unwrap_or((false, None)),
            };
            let signature = partial.signature;
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
                        // The aggregate made while checking serves if the database reached
                        // the threshold with exactly the partials it combined (another
                        // ingest may have stored one in between).
                        let aggregate = match (check, aggregate) {
                            (Check::Completing(mut group), Some(aggregate)) => {
                                group.insert(partial.share_index, signature);
                                (group == event.partials).then_some(aggregate)
                            }
                            _ => None,
                        };
                        complete.push((*event, aggregate));
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

    /// Each partial's signing root, public share (if known) and how it is to be checked.
    fn prepare<'a>(
        &self,
        duty: Duty,
        partials: &'a [PartialSigned<P>],
        trusted: bool,
    ) -> Vec<Prepared<'a, P>> {
        let db = lock(&self.parsigdb);
        partials
            .iter()
            .map(|partial| {
                let signing_root = partial.data.signing_root(&self.chain.signing);
                let share = db.public_share(&partial.dv_pubkey, partial.share_index);
                let check = if trusted {
                    Check::Trusted
                } else {
                    let candidate = PartialSignature {
                        share_index: partial.share_index,
                        signing_root: signing_root.0,
                        signature: partial.signature,
                    };
                    match db.completing_group(duty, &partial.dv_pubkey, &candidate) {
                        Some(group) => Check::Completing(group),
                        None => Check::Alone,
                    }
                };
                Prepared {
                    partial,
                    signing_root,
                    share,
                    check,
                }
            })
            .collect()
    }

    /// Combines every threshold reached by one ingest, verifies the aggregates in one batch
    /// (a slot's attestations share their message, so one pairing), stores them and broadcasts
    /// them together. A threshold that comes with its aggregate (made and verified while its
    /// last partial was checked) is not combined again.
    async fn complete_all(
        &self,
        events: Vec<(mosaic_core::parsigdb::ThresholdReached, Option<Signature>)>,
    ) {
        if events.is_empty() {
            return;
        }
        let threshold = self.threshold;
        let inputs: Vec<sigagg::AggregationInput> = events
            .iter()
            .filter(|(_, aggregate)| aggregate.is_none())
            .map(|(e, _)| (e.partials.clone(), e.dv_pubkey, e.signing_root.to_vec()))
            .collect();
        let combined = if inputs.is_empty() {
            Ok(Vec::new())
        } else {
            tokio::task::spawn_blocking(move || sigagg::aggregate_many(&inputs, threshold)).await
        };
        let mut combined = match combined {
            Ok(results) => results.into_iter(),
            Err(error) => {
                // The runtime is shutting down: nothing was combined.
                tracing::debug!(%error, "aggregation left undone");
                return;
            }
        };
        let mut signed_all = Vec::with_capacity(events.len());
        for (event, aggregate) in events {
            let duty = event.duty;
            let outcome = aggregate
                .map(Ok)
                .or_else(|| combined.next().map(|result| result.map(|a| a.signature)));
            let signature = match outcome {
                Some(Ok(signature)) => signature,
                Some(Err(error)) => {
                    self.tracker.failed(duty, "aggregation");
                    tracing::error!(%duty, %error, "threshold partials did not combine");
                    continue;
                }
                None => continue,
            };
            let root = Root(event.signing_root);
            let Some(object) = lock(&self.objects)
                .get(&(duty, event.dv_pubkey, root))
                .cloned()
            else {
                continue;
            };
            // Selection proofs come back from the validator client (inside aggregate-and-proofs
            // and selections): remembered, the validator API takes them back without decoding.
            let encoded = match duty.duty_type {
                DutyType::PrepareAggregator | DutyType::PrepareSyncContribution => {
                    signature.to_bytes_remembered()
                }
                _ => signature.to_bytes(),
            };
            let signed = object.with_signature(BlsSignature(encoded));
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

/// How a partial's signature is judged before it is stored.
enum Check {
    /// Verified by the validator API already (this node's own).
    Trusted,
    /// Verified on its own (in a batch with the set's other partials).
    Alone,
    /// It completes the threshold with these stored partials: judged by their aggregate.
    Completing(BTreeMap<ShareIndex, Signature>),
}

/// A partial of one ingest, ready to be judged.
struct Prepared<'a, P: Preset> {
    partial: &'a PartialSigned<P>,
    signing_root: Root,
    share: Option<PublicKey>,
    check: Check,
}

/// Verdicts for `checks`: one batch, one by one only if the batch fails.
fn verify_alone(checks: &[(PublicKey, Vec<u8>, Signature)]) -> Vec<bool> {
    if checks.is_empty() {
        Vec::new()
    } else if mosaic_crypto::bls::batch_verify(checks) {
        vec![true; checks.len()]
    } else {
        checks
            .iter()
            .map(|(share, root, signature)| signature.verify(share, root))
            .collect()
    }
}

/// Verdicts for partials that complete a threshold, each given with the stored partials plus
/// itself, its DV key and root, its public share and its signature. They are combined and the
/// aggregates checked under the DV keys in one batch; if that passes, every partial is valid
/// and comes with its aggregate. Otherwise the partials are checked alone ([`verify_alone`]),
/// and the valid ones are combined again later as any other threshold.
fn verify_completing(
    completions: Vec<(sigagg::AggregationInput, PublicKey, Signature)>,
    threshold: u64,
) -> Vec<(bool, Option<Signature>)> {
    if completions.is_empty() {
        return Vec::new();
    }
    let (inputs, checks): (Vec<_>, Vec<_>) = completions
        .into_iter()
        .map(|(input, share, signature)| {
            let root = input.2.clone();
            (input, (share, root, signature))
        })
        .unzip();
    match sigagg::aggregate_all_first(&inputs, threshold) {
        Some(aggregates) => aggregates
            .into_iter()
            .map(|aggregate| (true, Some(aggregate.signature)))
            .collect(),
        None => verify_alone(&checks)
            .into_iter()
            .map(|valid| (valid, None))
            .collect(),
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
    use mosaic_core::keys::ValidatorShares;
    use mosaic_core::signeddata::SignedRandao;
    use mosaic_crypto::bls::SecretKey;
    use mosaic_crypto::tbls;
    use mosaic_types::consensus::Minimal;

    use super::*;
    use crate::broadcast::tests::{broadcaster, chain};

    const EPOCH: u64 = 3;

    fn duty() -> Duty {
        Duty::new(EPOCH * 8, DutyType::Randao)
    }

    /// One validator split 3 of 4, and a node's pipeline for it (randao reveals are not
    /// broadcast, so no beacon node is needed).
    struct Fixture {
        pipe: SigPipe<Minimal>,
        dv: PublicKey,
        shares: BTreeMap<ShareIndex, SecretKey>,
    }

    fn fixture() -> Fixture {
        let secret = SecretKey::random();
        let shares = tbls::split(&secret, 4, 3).expect("split");
        let validator = ValidatorShares::new(secret.public_key(), tbls::public_shares(&shares))
            .expect("validator");
        let parsigdb = ParSigDb::new(3, [validator]).expect("db");
        let (broadcaster, tracker) = broadcaster("http://127.0.0.1:9");
        let metrics = Arc::new(Metrics::new());
        Fixture {
            pipe: SigPipe::new(chain(), parsigdb, broadcaster, metrics, tracker),
            dv: secret.public_key(),
            shares,
        }
    }

    impl Fixture {
        /// The randao reveal of share `share_index`, signed by the key of share `signer`.
        fn partial_signed_by(
            &self,
            share_index: ShareIndex,
            signer: ShareIndex,
        ) -> PartialSigned<Minimal> {
            let data = SignedData::Randao(SignedRandao {
                epoch: EPOCH,
                signature: BlsSignature([0; 96]),
            });
            let root = data.signing_root(&chain().signing);
            let signature = self.shares[&signer].sign(&root.0);
            PartialSigned {
                dv_pubkey: self.dv,
                data: data.with_signature(BlsSignature(signature.to_bytes())),
                signature,
                share_index,
            }
        }

        fn partial(&self, share_index: ShareIndex) -> PartialSigned<Minimal> {
            self.partial_signed_by(share_index, share_index)
        }

        async fn ingest(&self, partial: PartialSigned<Minimal>, source: Source) -> usize {
            self.pipe.ingest(duty(), &[partial], source).await
        }

        /// The aggregate, if one is made within a second.
        async fn aggregate(&self) -> Option<SignedData<Minimal>> {
            tokio::time::timeout(
                Duration::from_secs(1),
                self.pipe.await_aggregate(duty(), self.dv, None),
            )
            .await
            .ok()
        }

        /// Whether the aggregate is the DV key's signature of the randao root.
        fn verifies(&self, aggregate: &SignedData<Minimal>) -> bool {
            let root = aggregate.signing_root(&chain().signing);
            Signature::from_bytes(&aggregate.signature().0)
                .is_ok_and(|signature| signature.verify(&self.dv, &root.0))
        }
    }

    #[tokio::test]
    async fn a_peers_partial_completing_the_threshold_is_judged_by_the_aggregate() {
        let f = fixture();
        assert_eq!(f.ingest(f.partial(1), Source::Own).await, 0);
        assert_eq!(f.ingest(f.partial(2), Source::Peer("b".into())).await, 0);
        let third = [f.partial(3)];
        // Routed to the aggregate check, not checked alone.
        let prepared = f.pipe.prepare(duty(), &third, false);
        assert!(matches!(&prepared[0].check, Check::Completing(group) if group.len() == 2));
        assert_eq!(
            f.ingest(third[0].clone(), Source::Peer("c".into())).await,
            0
        );
        let aggregate = f.aggregate().await.expect("the threshold was reached");
        assert!(f.verifies(&aggregate));
        assert_eq!(f.pipe.rejected_total(), 0);
        // The surplus partial is checked alone, and stored.
        assert!(matches!(
            f.pipe.prepare(duty(), &[f.partial(4)], false)[0].check,
            Check::Alone
        ));
        assert_eq!(f.ingest(f.partial(4), Source::Peer("d".into())).await, 0);
    }

    #[tokio::test]
    async fn a_bad_partial_completing_the_threshold_is_rejected_and_counted() {
        let f = fixture();
        f.ingest(f.partial(1), Source::Own).await;
        f.ingest(f.partial(2), Source::Peer("b".into())).await;
        // Share 3's claim signed with share 4's key: the aggregate fails, the partial alone too.
        let bad = f.partial_signed_by(3, 4);
        assert!(matches!(
            f.pipe.prepare(duty(), std::slice::from_ref(&bad), false)[0].check,
            Check::Completing(_)
        ));
        assert_eq!(f.ingest(bad, Source::Peer("c".into())).await, 1);
        assert_eq!(f.pipe.rejected_total(), 1);
        assert!(
            f.aggregate().await.is_none(),
            "nothing may be combined from it"
        );
        // It was not stored: the honest share 3 still counts, and completes the threshold.
        assert_eq!(f.ingest(f.partial(3), Source::Peer("c".into())).await, 0);
        let aggregate = f.aggregate().await.expect("the threshold was reached");
        assert!(f.verifies(&aggregate));
        assert_eq!(f.pipe.rejected_total(), 1);
    }

    #[tokio::test]
    async fn a_bad_partial_short_of_the_threshold_is_rejected_by_its_own_check() {
        let f = fixture();
        f.ingest(f.partial(1), Source::Own).await;
        let bad = f.partial_signed_by(2, 4);
        assert!(matches!(
            f.pipe.prepare(duty(), std::slice::from_ref(&bad), false)[0].check,
            Check::Alone
        ));
        assert_eq!(f.ingest(bad, Source::Peer("b".into())).await, 1);
        assert_eq!(f.pipe.rejected_total(), 1);
        // Two good peers' partials after it reach the threshold.
        assert_eq!(f.ingest(f.partial(2), Source::Peer("b".into())).await, 0);
        assert_eq!(f.ingest(f.partial(3), Source::Peer("c".into())).await, 0);
        assert!(f.verifies(&f.aggregate().await.expect("the threshold was reached")));
    }
}
