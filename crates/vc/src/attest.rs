//! Attestations (at a third of the slot) and aggregation (selection proofs at the slot's start,
//! aggregates at two thirds), with subnet subscriptions.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use mosaic_beacon::{AttesterDuty, BeaconCommitteeSelection, BeaconCommitteeSubscription};
use mosaic_types::consensus::electra::{self, SingleAttestation};
use mosaic_types::consensus::phase0::{self, AttestationData};
use mosaic_types::consensus::signing::selection_proof_signing_root;
use mosaic_types::consensus::versioned::{Attestation, SignedAggregateAndProof};
use mosaic_types::consensus::{Preset, SignedObject, SignedRoot};
use mosaic_types::{BlsPubkey, BlsSignature, ForkName, Root, Slot};
use ssz_types::BitList;
use tokio::sync::watch;
use tracing::{debug, info, warn};
use tree_hash::TreeHash;

use crate::chain::sleep_until_ms;
use crate::client::{endpoint_missing, Inner};
use crate::guard::AttestationToSign;
use crate::selection::is_aggregator;
use crate::stats::Tally;

/// Attestation data of one slot by committee index, shared from the attester task with the
/// aggregation task.
pub(crate) type SlotData = Option<HashMap<u64, AttestationData>>;

/// Signed aggregates of one fork family.
enum Aggregates<P: Preset> {
    /// Phase0 to deneb.
    Phase0(Vec<phase0::SignedAggregateAndProof<P>>),
    /// Electra on.
    Electra(Vec<SignedAggregateAndProof<P>>),
}

fn phase0_of<P: Preset>(attestation: Attestation<P>) -> Option<phase0::Attestation<P>> {
    match attestation {
        Attestation::Phase0(a)
        | Attestation::Altair(a)
        | Attestation::Bellatrix(a)
        | Attestation::Capella(a)
        | Attestation::Deneb(a) => Some(a),
        Attestation::Electra(_) | Attestation::Fulu(_) => None,
    }
}

fn electra_of<P: Preset>(attestation: Attestation<P>) -> Option<electra::Attestation<P>> {
    match attestation {
        Attestation::Electra(a) | Attestation::Fulu(a) => Some(a),
        _ => None,
    }
}

fn versioned_phase0<P: Preset>(
    fork: ForkName,
    signed: phase0::SignedAggregateAndProof<P>,
) -> SignedAggregateAndProof<P> {
    match fork {
        ForkName::Phase0 => SignedAggregateAndProof::Phase0(signed),
        ForkName::Altair => SignedAggregateAndProof::Altair(signed),
        ForkName::Bellatrix => SignedAggregateAndProof::Bellatrix(signed),
        ForkName::Capella => SignedAggregateAndProof::Capella(signed),
        _ => SignedAggregateAndProof::Deneb(signed),
    }
}

impl<P: Preset> Inner<P> {
    /// Fetches attestation data for each committee of `committees` (once from electra on,
    /// where the data no longer names the committee).
    async fn attestation_data_for(
        &self,
        slot: Slot,
        committees: &BTreeSet<u64>,
    ) -> HashMap<u64, AttestationData> {
        let electra = self.chain.fork_at_slot(slot) >= ForkName::Electra;
        let mut out = HashMap::new();
        if electra {
            let Some(first) = committees.first() else {
                return out;
            };
            match self.beacon.attestation_data(slot, *first).await {
                Ok(data) => out.extend(committees.iter().map(|c| (*c, data))),
                Err(error) => warn!(slot, %error, "cannot fetch attestation data"),
            }
            return out;
        }
        let fetches = committees.iter().map(|committee| async move {
            (
                *committee,
                self.beacon.attestation_data(slot, *committee).await,
            )
        });
        for (committee, result) in futures_util::future::join_all(fetches).await {
            match result {
                Ok(data) => {
                    out.insert(committee, data);
                }
                Err(error) => warn!(slot, committee, %error, "cannot fetch attestation data"),
            }
        }
        out
    }

    /// Attests for `duties` of `slot` at a third of the slot.
    pub(crate) async fn attest(
        self: &Arc<Self>,
        slot: Slot,
        duties: Vec<AttesterDuty>,
        data_tx: watch::Sender<SlotData>,
        tally: &Tally,
    ) {
        sleep_until_ms(self.chain.slot_third_ms(slot, 1)).await;
        let fork = self.chain.fork_at_slot(slot);
        let committees: BTreeSet<u64> = duties.iter().map(|d| d.committee_index).collect();
        let data = self.attestation_data_for(slot, &committees).await;
        data_tx.send_replace(Some(data.clone()));
        if !self.selection.signs_own_duties() {
            // The aggregation needs the data; another client attests.
            return;
        }
        let (mut failed, mut refused) = (0u64, 0u64);
        // Checks first, then the guard for all of them at once; then every approved attestation
        // is signed in one batch.
        let mut candidates = Vec::with_capacity(duties.len());
        for duty in &duties {
            let Some(data) = data.get(&duty.committee_index) else {
                failed += 1;
                continue;
            };
            let Some(key) = self.validators.by_index(duty.validator_index) else {
                failed += 1;
                continue;
            };
            if data.slot != slot {
                warn!(
                    slot,
                    data_slot = data.slot,
                    "attestation data for another slot; not signing"
                );
                failed += 1;
                continue;
            }
            let bits = if fork >= ForkName::Electra {
                None
            } else {
                match single_bit::<P>(duty) {
                    Some(bits) => Some(bits),
                    None => {
                        warn!(
                            slot,
                            committee_length = duty.committee_length,
                            position = duty.validator_committee_index,
                            "attester duty with an impossible committee position"
                        );
                        failed += 1;
                        continue;
                    }
                }
            };
            let domain = self
                .chain
                .domain(SignedObject::Attestation, data.target.epoch);
            let signing_root = data.signing_root(domain);
            candidates.push((*duty, *data, bits, key.pubkey, key.public, signing_root));
        }
        let to_guard: Vec<AttestationToSign> = candidates
            .iter()
            .map(|(_, data, _, _, public, root)| AttestationToSign {
                pubkey: *public,
                source_epoch: data.source.epoch,
                target_epoch: data.target.epoch,
                signing_root: root.0,
            })
            .collect();
        let verdicts = if to_guard.is_empty() {
            Vec::new()
        } else {
            self.guard.check_attestations(&to_guard)
        };
        let mut approved = Vec::with_capacity(candidates.len());
        for ((duty, data, bits, pubkey, _, signing_root), verdict) in
            candidates.into_iter().zip(verdicts)
        {
            match verdict {
                Ok(()) => approved.push((duty, data, bits, pubkey, signing_root)),
                Err(refusal) => {
                    warn!(slot, validator = duty.validator_index, %refusal, "attestation refused by the signing guard");
                    refused += 1;
                }
            }
        }
        let requests = approved
            .iter()
            .map(|(_, _, _, pubkey, root)| (*pubkey, *root))
            .collect();
        let signatures = self.sign_all(requests).await;
        let mut singles = Vec::new();
        let mut attestations = Vec::new();
        for ((duty, data, bits, _, _), signature) in approved.into_iter().zip(signatures) {
            let Some(signature) = signature else {
                failed += 1;
                continue;
            };
            match bits {
                None => singles.push(SingleAttestation {
                    committee_index: duty.committee_index,
                    attester_index: duty.validator_index,
                    data,
                    signature,
                }),
                Some(aggregation_bits) => attestations.push(phase0::Attestation {
                    aggregation_bits,
                    data,
                    signature,
                }),
            }
        }
        let signed = (singles.len() + attestations.len()) as u64;
        tally.signed(signed);
        tally.failed(failed);
        tally.refused(refused);
        if !singles.is_empty() {
            let result = self.beacon.submit_single_attestations(fork, &singles).await;
            self.record_submission(tally, slot, singles.len(), result);
        }
        if !attestations.is_empty() {
            let result = match self.beacon.submit_attestations_v1(&attestations).await {
                Err(error) if endpoint_missing(&error) => {
                    self.beacon.submit_attestations(fork, &attestations).await
                }
                other => other,
            };
            self.record_submission(tally, slot, attestations.len(), result);
        }
    }

    /// Selection proofs for `duties` at `slot`, aggregated by a distributed-validator node if
    /// it serves `beacon_committee_selections`, else this client's own.
    async fn beacon_selection_proofs(
        self: &Arc<Self>,
        slot: Slot,
        duties: &[AttesterDuty],
    ) -> HashMap<u64, BlsSignature> {
        let domain = self
            .chain
            .domain(SignedObject::SelectionProof, self.chain.epoch_of(slot));
        let root = selection_proof_signing_root(slot, domain);
        let ours: Vec<(u64, BlsPubkey)> = duties
            .iter()
            .filter_map(|duty| {
                let key = self.validators.by_index(duty.validator_index)?;
                Some((duty.validator_index, key.pubkey))
            })
            .collect();
        let proofs = self
            .sign_all(ours.iter().map(|(_, pubkey)| (*pubkey, root)).collect())
            .await;
        let own: Vec<BeaconCommitteeSelection> = ours
            .iter()
            .zip(proofs)
            .filter_map(|((validator_index, _), proof)| {
                Some(BeaconCommitteeSelection {
                    validator_index: *validator_index,
                    slot,
                    selection_proof: proof?,
                })
            })
            .collect();
        let own_proofs = own
            .iter()
            .map(|s| (s.validator_index, s.selection_proof))
            .collect();
        if own.is_empty() || !Self::selections_supported(&self.beacon_selections) {
            return own_proofs;
        }
        match self.beacon.beacon_committee_selections(&own).await {
            Ok(aggregated) => aggregated
                .into_iter()
                .filter(|s| s.slot == slot)
                .map(|s| (s.validator_index, s.selection_proof))
                .collect(),
            Err(error) if endpoint_missing(&error) => {
                self.beacon_selections
                    .store(false, std::sync::atomic::Ordering::Relaxed);
                info!("beacon node has no beacon_committee_selections; using own selection proofs");
                own_proofs
            }
            Err(error) => {
                warn!(slot, %error, "beacon_committee_selections failed; using own selection proofs");
                own_proofs
            }
        }
    }

    /// Aggregation for `duties` of `slot`: selection at the slot's start (with subnet
    /// subscriptions), aggregates at two thirds.
    pub(crate) async fn aggregate(
        self: &Arc<Self>,
        slot: Slot,
        duties: Vec<AttesterDuty>,
        data_rx: watch::Receiver<SlotData>,
        tally: &Tally,
    ) {
        let proofs = self.beacon_selection_proofs(slot, &duties).await;
        let mut aggregators = Vec::new();
        let mut subscriptions = Vec::with_capacity(duties.len());
        for duty in &duties {
            let proof = proofs.get(&duty.validator_index).copied();
            let selected =
                proof.is_some_and(|p| is_aggregator(&self.chain, duty.committee_length, &p.0));
            subscriptions.push(BeaconCommitteeSubscription {
                validator_index: duty.validator_index,
                committee_index: duty.committee_index,
                committees_at_slot: duty.committees_at_slot,
                slot,
                is_aggregator: selected,
            });
            if let (true, Some(proof)) = (selected, proof) {
                aggregators.push((*duty, proof));
            }
        }
        if let Err(error) = self
            .beacon
            .subscribe_beacon_committees(&subscriptions)
            .await
        {
            warn!(slot, %error, "beacon committee subscription failed");
        }
        tally.expect(aggregators.len() as u64);
        if aggregators.is_empty() {
            return;
        }
        sleep_until_ms(self.chain.slot_third_ms(slot, 2)).await;
        let shared = data_rx.borrow().clone().unwrap_or_default();
        let missing: BTreeSet<u64> = aggregators
            .iter()
            .map(|(d, _)| d.committee_index)
            .filter(|c| !shared.contains_key(c))
            .collect();
        let mut data = shared;
        if !missing.is_empty() {
            data.extend(self.attestation_data_for(slot, &missing).await);
        }
        let fork = self.chain.fork_at_slot(slot);
        let domain = self
            .chain
            .domain(SignedObject::AggregateAndProof, self.chain.epoch_of(slot));
        let built = futures_util::future::join_all(aggregators.iter().map(|(duty, proof)| {
            self.build_aggregate(slot, fork, *duty, *proof, data.get(&duty.committee_index))
        }))
        .await;
        let mut unsigned = Vec::with_capacity(built.len());
        for item in built {
            let Some(aggregate) = item else {
                tally.failed(1);
                continue;
            };
            let (aggregator, root) = match &aggregate {
                Aggregate::Phase0(m) => (m.aggregator_index, m.signing_root(domain)),
                Aggregate::Electra(m) => (m.aggregator_index, m.signing_root(domain)),
            };
            if let Some(key) = self.validators.by_index(aggregator) {
                unsigned.push((aggregate, key.pubkey, root));
            }
        }
        let signatures = self
            .sign_all(
                unsigned
                    .iter()
                    .map(|(_, pubkey, root)| (*pubkey, *root))
                    .collect(),
            )
            .await;
        let mut phase0s = Vec::new();
        let mut electras = Vec::new();
        for ((aggregate, _, _), signature) in unsigned.into_iter().zip(signatures) {
            let Some(signature) = signature else {
                tally.failed(1);
                continue;
            };
            match aggregate {
                Aggregate::Phase0(message) => {
                    phase0s.push(phase0::SignedAggregateAndProof { message, signature });
                }
                Aggregate::Electra(message) => {
                    let signed = electra::SignedAggregateAndProof { message, signature };
                    electras.push(if fork == ForkName::Electra {
                        SignedAggregateAndProof::Electra(signed)
                    } else {
                        SignedAggregateAndProof::Fulu(signed)
                    });
                }
            }
        }
        let batch = if fork >= ForkName::Electra {
            Aggregates::Electra(electras)
        } else {
            Aggregates::Phase0(phase0s)
        };
        match batch {
            Aggregates::Electra(list) if !list.is_empty() => {
                tally.signed(list.len() as u64);
                let result = self.beacon.submit_aggregate_and_proofs(&list).await;
                self.record_submission(tally, slot, list.len(), result);
            }
            Aggregates::Phase0(list) if !list.is_empty() => {
                tally.signed(list.len() as u64);
                let result = match self.beacon.submit_aggregate_and_proofs_v1(&list).await {
                    Err(error) if endpoint_missing(&error) => {
                        let versioned: Vec<_> = list
                            .iter()
                            .cloned()
                            .map(|s| versioned_phase0(fork, s))
                            .collect();
                        self.beacon.submit_aggregate_and_proofs(&versioned).await
                    }
                    other => other,
                };
                self.record_submission(tally, slot, list.len(), result);
            }
            _ => {}
        }
    }

    /// Fetches the aggregate for one aggregator and builds its (unsigned) `AggregateAndProof`.
    async fn build_aggregate(
        &self,
        slot: Slot,
        fork: ForkName,
        duty: AttesterDuty,
        selection_proof: BlsSignature,
        data: Option<&AttestationData>,
    ) -> Option<Aggregate<P>> {
        let data = data?;
        let data_root: Root = data.tree_hash_root().into();
        if fork >= ForkName::Electra {
            let aggregate = match self
                .beacon
                .aggregate_attestation(slot, data_root, duty.committee_index)
                .await
            {
                Ok(aggregate) => electra_of(aggregate),
                Err(error) => {
                    warn!(slot, committee = duty.committee_index, %error, "cannot fetch the aggregate");
                    return None;
                }
            };
            let Some(aggregate) = aggregate else {
                warn!(
                    slot,
                    "aggregate of a fork before electra at an electra slot"
                );
                return None;
            };
            return Some(Aggregate::Electra(electra::AggregateAndProof {
                aggregator_index: duty.validator_index,
                aggregate,
                selection_proof,
            }));
        }
        let aggregate = match self.beacon.aggregate_attestation_v1(slot, data_root).await {
            Err(error) if endpoint_missing(&error) && error.status() != Some(404) => self
                .beacon
                .aggregate_attestation(slot, data_root, duty.committee_index)
                .await
                .map(phase0_of),
            other => other.map(Some),
        };
        match aggregate {
            Ok(Some(aggregate)) => Some(Aggregate::Phase0(phase0::AggregateAndProof {
                aggregator_index: duty.validator_index,
                aggregate,
                selection_proof,
            })),
            Ok(None) => {
                warn!(slot, "electra aggregate at a slot before electra");
                None
            }
            Err(error) => {
                warn!(slot, committee = duty.committee_index, %error, "cannot fetch the aggregate");
                None
            }
        }
    }

    /// Subscribes to the subnets of newly learnt duties ahead of their slots. Whether a
    /// validator aggregates is known ahead only when the node does not aggregate selection
    /// proofs (a distributed validator learns it at the slot, and subscribes again then).
    pub(crate) async fn subscribe_ahead(self: &Arc<Self>, duties: &[AttesterDuty]) {
        let now = self.chain.current_slot().unwrap_or(0);
        let upcoming: Vec<&AttesterDuty> = duties.iter().filter(|d| d.slot > now).collect();
        let selected: Vec<bool> = if Self::selections_supported(&self.beacon_selections) {
            vec![false; upcoming.len()]
        } else {
            let requests = upcoming
                .iter()
                .filter_map(|duty| {
                    let key = self.validators.by_index(duty.validator_index)?;
                    let domain = self
                        .chain
                        .domain(SignedObject::SelectionProof, self.chain.epoch_of(duty.slot));
                    Some((key.pubkey, selection_proof_signing_root(duty.slot, domain)))
                })
                .collect::<Vec<_>>();
            if requests.len() != upcoming.len() {
                vec![false; upcoming.len()]
            } else {
                self.sign_all(requests)
                    .await
                    .into_iter()
                    .zip(&upcoming)
                    .map(|(proof, duty)| {
                        proof.is_some_and(|p| {
                            is_aggregator(&self.chain, duty.committee_length, &p.0)
                        })
                    })
                    .collect()
            }
        };
        let subscriptions: Vec<BeaconCommitteeSubscription> = upcoming
            .iter()
            .zip(selected)
            .map(|(duty, is_aggregator)| BeaconCommitteeSubscription {
                validator_index: duty.validator_index,
                committee_index: duty.committee_index,
                committees_at_slot: duty.committees_at_slot,
                slot: duty.slot,
                is_aggregator,
            })
            .collect();
        if subscriptions.is_empty() {
            return;
        }
        match self
            .beacon
            .subscribe_beacon_committees(&subscriptions)
            .await
        {
            Ok(()) => debug!(
                count = subscriptions.len(),
                "subscribed to attestation subnets"
            ),
            Err(error) => warn!(%error, "beacon committee subscription failed"),
        }
    }
}

/// An unsigned aggregate and proof of either fork family.
enum Aggregate<P: Preset> {
    Phase0(phase0::AggregateAndProof<P>),
    Electra(electra::AggregateAndProof<P>),
}

/// `aggregation_bits` with only the attester's bit set.
fn single_bit<P: Preset>(duty: &AttesterDuty) -> Option<BitList<P::MaxValidatorsPerCommittee>> {
    let mut bits = BitList::with_capacity(duty.committee_length as usize).ok()?;
    bits.set(duty.validator_committee_index as usize, true)
        .ok()?;
    Some(bits)
}
