//! The duty database: what consensus decided, indexed the way a validator client asks for it,
//! and awaitable (a validator client's request blocks until the cluster decided).
//!
//! Stored per duty type:
//! - attester: attestation data by `(slot, committee index)`, and the DV public key by
//!   `(slot, committee index, position in committee)` (to map a submitted attestation to its
//!   validator);
//! - proposer: the block by slot;
//! - aggregator: the aggregate attestation by `(slot, attestation data root)`;
//! - sync contribution: the contribution by `(slot, subcommittee index, beacon block root)`.
//!
//! A second decision for the same key with different data is refused (consensus decides once
//! per duty, so this only happens on a bug or a corrupt peer) and the first is kept.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Mutex, MutexGuard, PoisonError};

use mosaic_crypto::bls::PublicKey;
use mosaic_types::consensus::altair::SyncCommitteeContribution;
use mosaic_types::consensus::phase0::AttestationData;
use mosaic_types::consensus::versioned::{Attestation, ProducedBlock};
use mosaic_types::consensus::Preset;
use mosaic_types::{Root, Slot};
use tokio::sync::Notify;
use tree_hash::TreeHash;

use crate::duty::{Duty, DutyType};
use crate::unsigned::{UnsignedData, UnsignedDataSet};

/// Why a decision could not be stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DutyDbError {
    /// A different value is already stored under the same key.
    #[error("{duty}: a different {what} was already decided for {key}")]
    Conflict {
        /// The duty.
        duty: Duty,
        /// What conflicted.
        what: &'static str,
        /// The key, readable.
        key: String,
    },
    /// The duty is older than the trim boundary.
    #[error("{duty} is before slot {trimmed_before}, which the database no longer keeps")]
    Expired {
        /// The duty.
        duty: Duty,
        /// The first slot kept.
        trimmed_before: Slot,
    },
    /// The decided data would make a validator slashable against what the cluster already
    /// decided for it (the cluster's own guard); it is not handed to the validator client.
    #[error("{duty}: decided data for validator {validator} refused: {reason}")]
    Slashable {
        /// The duty.
        duty: Duty,
        /// The validator (hex).
        validator: String,
        /// Which rule.
        reason: String,
    },
    /// The set's duty type differs from the duty's.
    #[error("{duty}: decided set is for {set:?}")]
    WrongDutyType {
        /// The duty.
        duty: Duty,
        /// The set's duty type.
        set: DutyType,
    },
}

/// Whether attesting `data` for `pubkey` is slashable against the votes the cluster already
/// decided for it (EIP-3076's rules: no double vote, no surround vote either way).
fn check_vote<P: Preset>(
    state: &State<P>,
    pubkey: &PublicKey,
    data: &AttestationData,
) -> Result<(), String> {
    let Some(votes) = state.votes.get(pubkey) else {
        return Ok(());
    };
    let root: Root = data.tree_hash_root().into();
    let (source, target) = (data.source.epoch, data.target.epoch);
    for (&old_target, &(old_source, old_root)) in votes {
        if old_target == target && old_root != root {
            return Err(format!(
                "double vote: target epoch {target} already decided with other data"
            ));
        }
        if source < old_source && old_target < target {
            return Err(format!(
                "surround vote: {source}→{target} surrounds {old_source}→{old_target}"
            ));
        }
        if old_source < source && target < old_target {
            return Err(format!(
                "surrounded vote: {source}→{target} is surrounded by {old_source}→{old_target}"
            ));
        }
    }
    Ok(())
}

/// An aggregate and the committee it aggregates.
type CommitteeAggregate<P> = (u64, Attestation<P>);

struct State<P: Preset> {
    attestation_data: HashMap<(Slot, u64), AttestationData>,
    attester_keys: HashMap<(Slot, u64, u64), PublicKey>,
    proposals: HashMap<Slot, (PublicKey, ProducedBlock<P>)>,
    /// By slot and data root, one per committee (from electra every committee of a slot has
    /// the same attestation data).
    aggregates: HashMap<(Slot, Root), Vec<CommitteeAggregate<P>>>,
    contributions: HashMap<(Slot, u64, Root), SyncCommitteeContribution<P>>,
    /// Per validator, the attestations decided for it: target epoch → (source epoch, data
    /// root). Kept across trims (surround votes span epochs), bounded per validator.
    votes: HashMap<PublicKey, std::collections::BTreeMap<u64, (u64, Root)>>,
    trimmed_before: Slot,
}

/// Decided attestations remembered per validator for the slashability guard.
const VOTES_KEPT: usize = 256;

impl<P: Preset> Default for State<P> {
    fn default() -> Self {
        Self {
            attestation_data: HashMap::new(),
            attester_keys: HashMap::new(),
            proposals: HashMap::new(),
            aggregates: HashMap::new(),
            contributions: HashMap::new(),
            votes: HashMap::new(),
            trimmed_before: 0,
        }
    }
}

fn insert_once<K: std::hash::Hash + Eq, V: PartialEq>(
    map: &mut HashMap<K, V>,
    key: K,
    value: V,
    conflict: impl FnOnce() -> DutyDbError,
) -> Result<(), DutyDbError> {
    match map.get(&key) {
        Some(existing) if *existing != value => Err(conflict()),
        Some(_) => Ok(()),
        None => {
            map.insert(key, value);
            Ok(())
        }
    }
}

/// The duty database of one node.
pub struct DutyDb<P: Preset> {
    state: Mutex<State<P>>,
    changed: Notify,
}

impl<P: Preset> Default for DutyDb<P> {
    fn default() -> Self {
        Self {
            state: Mutex::new(State::default()),
            changed: Notify::new(),
        }
    }
}

impl<P: Preset> std::fmt::Debug for DutyDb<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state();
        f.debug_struct("DutyDb")
            .field("attestation_data", &state.attestation_data.len())
            .field("proposals", &state.proposals.len())
            .field("aggregates", &state.aggregates.len())
            .field("contributions", &state.contributions.len())
            .finish()
    }
}

impl<P: Preset> DutyDb<P> {
    /// An empty database.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State<P>> {
        // Every statement leaves the maps consistent, so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores what consensus decided for `duty`. Storing the same decision again is a no-op.
    pub fn store(&self, duty: Duty, set: &UnsignedDataSet<P>) -> Result<(), DutyDbError> {
        let expected = match duty.duty_type {
            DutyType::BuilderProposer => DutyType::Proposer,
            other => other,
        };
        if set.duty_type != expected && set.duty_type != duty.duty_type {
            return Err(DutyDbError::WrongDutyType {
                duty,
                set: set.duty_type,
            });
        }
        let mut state = self.state();
        if duty.slot < state.trimmed_before {
            return Err(DutyDbError::Expired {
                duty,
                trimmed_before: state.trimmed_before,
            });
        }
        // The cluster's own guard: attestation data that would make any of its validators
        // slashable against what was already decided is refused for its whole committee (the
        // validator client signs a committee's data for each of its validators).
        let mut refused_committees = std::collections::BTreeSet::new();
        let mut result = Ok(());
        for (pubkey, datum) in &set.data {
            if let UnsignedData::Attestation(datum) = datum {
                if let Err(reason) = check_vote(&state, pubkey, &datum.attestation_data) {
                    refused_committees.insert(datum.attestation_duty.committee_index);
                    if result.is_ok() {
                        result = Err(DutyDbError::Slashable {
                            duty,
                            validator: pubkey.to_hex(),
                            reason,
                        });
                    }
                }
            }
        }
        for (pubkey, datum) in &set.data {
            if let UnsignedData::Attestation(attestation) = datum {
                if refused_committees.contains(&attestation.attestation_duty.committee_index) {
                    continue;
                }
            }
            let stored = Self::store_datum(&mut state, duty, pubkey, datum);
            if result.is_ok() {
                result = stored;
            }
        }
        drop(state);
        self.changed.notify_waiters();
        result
    }

    fn store_datum(
        state: &mut State<P>,
        duty: Duty,
        pubkey: &PublicKey,
        datum: &UnsignedData<P>,
    ) -> Result<(), DutyDbError> {
        match datum {
            UnsignedData::Attestation(datum) => {
                let data = datum.attestation_data;
                let committee = datum.attestation_duty.committee_index;
                let votes = state.votes.entry(*pubkey).or_default();
                votes.insert(
                    data.target.epoch,
                    (data.source.epoch, data.tree_hash_root().into()),
                );
                while votes.len() > VOTES_KEPT {
                    votes.pop_first();
                }
                insert_once(
                    &mut state.attestation_data,
                    (duty.slot, committee),
                    data,
                    || DutyDbError::Conflict {
                        duty,
                        what: "attestation data",
                        key: format!("committee {committee}"),
                    },
                )?;
                let position = datum.attestation_duty.validator_committee_index;
                insert_once(
                    &mut state.attester_keys,
                    (duty.slot, committee, position),
                    *pubkey,
                    || DutyDbError::Conflict {
                        duty,
                        what: "attester",
                        key: format!("committee {committee} position {position}"),
                    },
                )
            }
            UnsignedData::Proposal(datum) => insert_once(
                &mut state.proposals,
                duty.slot,
                (*pubkey, datum.block.clone()),
                || DutyDbError::Slashable {
                    duty,
                    validator: pubkey.to_hex(),
                    reason: format!(
                        "double proposal: slot {} already decided another block",
                        duty.slot
                    ),
                },
            ),
            UnsignedData::AggregatedAttestation(attestation) => {
                let data_root: Root = attestation_data_root(attestation);
                let committee = attestation_committee(attestation);
                let entries = state.aggregates.entry((duty.slot, data_root)).or_default();
                match entries.iter().find(|(c, _)| *c == committee) {
                    Some((_, existing)) if existing != attestation.as_ref() => {
                        Err(DutyDbError::Conflict {
                            duty,
                            what: "aggregate attestation",
                            key: format!("data root {data_root} committee {committee}"),
                        })
                    }
                    Some(_) => Ok(()),
                    None => {
                        entries.push((committee, attestation.as_ref().clone()));
                        Ok(())
                    }
                }
            }
            UnsignedData::SyncContributions(contributions) => {
                for contribution in contributions {
                    let key = (
                        duty.slot,
                        contribution.subcommittee_index,
                        contribution.beacon_block_root,
                    );
                    insert_once(&mut state.contributions, key, contribution.clone(), || {
                        DutyDbError::Conflict {
                            duty,
                            what: "sync contribution",
                            key: format!("subcommittee {}", contribution.subcommittee_index),
                        }
                    })?;
                }
                Ok(())
            }
        }
    }

    /// Forgets everything before `slot`.
    pub fn trim(&self, slot: Slot) {
        let mut state = self.state();
        state.trimmed_before = state.trimmed_before.max(slot);
        state.attestation_data.retain(|(s, _), _| *s >= slot);
        state.attester_keys.retain(|(s, _, _), _| *s >= slot);
        state.proposals.retain(|s, _| *s >= slot);
        state.aggregates.retain(|(s, _), _| *s >= slot);
        state.contributions.retain(|(s, _, _), _| *s >= slot);
    }

    async fn wait_for<T>(&self, mut lookup: impl FnMut(&State<P>) -> Option<T>) -> T {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(found) = lookup(&self.state()) {
                return found;
            }
            notified.await;
        }
    }

    /// The decided attestation data for a committee; waits until decided.
    pub fn await_attestation_data(
        &self,
        slot: Slot,
        committee_index: u64,
    ) -> impl Future<Output = AttestationData> + Send + '_ {
        self.wait_for(move |state| {
            state
                .attestation_data
                .get(&(slot, committee_index))
                .copied()
        })
    }

    /// The decided block of `slot` and its proposer; waits until decided.
    pub fn await_proposal(
        &self,
        slot: Slot,
    ) -> impl Future<Output = (PublicKey, ProducedBlock<P>)> + Send + '_ {
        self.wait_for(move |state| state.proposals.get(&slot).cloned())
    }

    /// The decided aggregate for attestation data with root `data_root` (of committee
    /// `committee_index`, when given); waits until decided.
    pub fn await_aggregate(
        &self,
        slot: Slot,
        data_root: Root,
        committee_index: Option<u64>,
    ) -> impl Future<Output = Attestation<P>> + Send + '_ {
        self.wait_for(move |state| {
            state
                .aggregates
                .get(&(slot, data_root))
                .and_then(|entries| {
                    entries
                        .iter()
                        .find(|(c, _)| committee_index.is_none_or(|wanted| *c == wanted))
                        .map(|(_, attestation)| attestation.clone())
                })
        })
    }

    /// The decided sync contribution; waits until decided.
    pub fn await_contribution(
        &self,
        slot: Slot,
        subcommittee_index: u64,
        beacon_block_root: Root,
    ) -> impl Future<Output = SyncCommitteeContribution<P>> + Send + '_ {
        self.wait_for(move |state| {
            state
                .contributions
                .get(&(slot, subcommittee_index, beacon_block_root))
                .cloned()
        })
    }

    /// The DV whose attester duty is `position` in committee `committee_index` at `slot`, once
    /// the attestation data of that committee is decided.
    pub fn attester_pubkey(
        &self,
        slot: Slot,
        committee_index: u64,
        position: u64,
    ) -> Option<PublicKey> {
        self.state()
            .attester_keys
            .get(&(slot, committee_index, position))
            .copied()
    }

    /// Whether attesting `data` for `dv_pubkey` would be slashable against what the cluster
    /// already decided for it (`Err` names the rule); consensus asks this before it prepares a
    /// leader's proposal.
    pub fn check_attestation(
        &self,
        dv_pubkey: &PublicKey,
        data: &AttestationData,
    ) -> Result<(), String> {
        check_vote(&self.state(), dv_pubkey, data)
    }

    /// Whether proposing the block with root `block_root` at `slot` would be a double proposal
    /// against the block the cluster already decided for that slot.
    pub fn check_proposal(&self, slot: Slot, block_root: Root) -> Result<(), String> {
        match self.state().proposals.get(&slot) {
            Some((_, decided)) if decided.block_root() != block_root => Err(format!(
                "double proposal: slot {slot} already decided block {}",
                decided.block_root()
            )),
            _ => Ok(()),
        }
    }

    /// The decided attestation data, if decided (no waiting).
    pub fn attestation_data(&self, slot: Slot, committee_index: u64) -> Option<AttestationData> {
        self.state()
            .attestation_data
            .get(&(slot, committee_index))
            .copied()
    }
}

/// The committee an aggregate belongs to: the first set committee bit from electra on, the
/// data's index before.
pub fn attestation_committee<P: Preset>(attestation: &Attestation<P>) -> u64 {
    match attestation {
        Attestation::Phase0(a)
        | Attestation::Altair(a)
        | Attestation::Bellatrix(a)
        | Attestation::Capella(a)
        | Attestation::Deneb(a) => a.data.index,
        Attestation::Electra(a) | Attestation::Fulu(a) => a
            .committee_bits
            .iter()
            .position(|bit| bit)
            .map_or(0, |index| index as u64),
    }
}

/// `hash_tree_root` of an attestation's data (the key aggregates are requested by).
pub fn attestation_data_root<P: Preset>(attestation: &Attestation<P>) -> Root {
    attestation.message_root()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unsigned::AttestationDatum;
    use mosaic_beacon::AttesterDuty;
    use mosaic_types::consensus::{phase0, Minimal};
    use mosaic_types::BlsPubkey;

    fn key(byte: u8) -> PublicKey {
        mosaic_crypto::bls::SecretKey::from_bytes(&[byte; 32])
            .unwrap()
            .public_key()
    }

    fn attester_set(
        slot: u64,
        committee: u64,
        position: u64,
        beacon_root: u8,
    ) -> UnsignedDataSet<Minimal> {
        let mut set = UnsignedDataSet::new(DutyType::Attester);
        set.data.insert(
            key(1),
            UnsignedData::Attestation(Box::new(AttestationDatum {
                attestation_data: phase0::AttestationData {
                    slot,
                    index: committee,
                    beacon_block_root: Root([beacon_root; 32]),
                    // A target per slot, so tests of other rules never double vote.
                    target: phase0::Checkpoint {
                        epoch: slot,
                        root: Root::ZERO,
                    },
                    ..Default::default()
                },
                attestation_duty: AttesterDuty {
                    pubkey: BlsPubkey(key(1).to_bytes()),
                    validator_index: 9,
                    committee_index: committee,
                    committee_length: 4,
                    committees_at_slot: 2,
                    validator_committee_index: position,
                    slot,
                },
            })),
        );
        set
    }

    #[tokio::test]
    async fn a_waiting_request_is_answered_when_consensus_decides() {
        let db = std::sync::Arc::new(DutyDb::<Minimal>::new());
        let waiter = {
            let db = db.clone();
            tokio::spawn(async move { db.await_attestation_data(5, 1).await })
        };
        tokio::task::yield_now().await;
        db.store(Duty::new(5, DutyType::Attester), &attester_set(5, 1, 2, 7))
            .unwrap();
        let data = waiter.await.unwrap();
        assert_eq!(data.beacon_block_root, Root([7; 32]));
        assert_eq!(db.attester_pubkey(5, 1, 2), Some(key(1)));
        assert_eq!(db.attester_pubkey(5, 1, 3), None);
    }

    #[test]
    fn a_conflicting_decision_is_refused_and_the_first_kept() {
        let db = DutyDb::<Minimal>::new();
        let duty = Duty::new(5, DutyType::Attester);
        db.store(duty, &attester_set(5, 1, 2, 7)).unwrap();
        // The same decision again is fine.
        db.store(duty, &attester_set(5, 1, 2, 7)).unwrap();
        // Other data for the same duty: the slashability guard refuses it first.
        let error = db.store(duty, &attester_set(5, 1, 2, 8)).unwrap_err();
        assert!(matches!(error, DutyDbError::Slashable { .. }), "{error}");
        assert_eq!(
            db.attestation_data(5, 1).unwrap().beacon_block_root,
            Root([7; 32])
        );
    }

    #[test]
    fn trimmed_slots_are_forgotten_and_refused() {
        let db = DutyDb::<Minimal>::new();
        db.store(Duty::new(5, DutyType::Attester), &attester_set(5, 1, 2, 7))
            .unwrap();
        db.trim(6);
        assert!(db.attestation_data(5, 1).is_none());
        let error = db
            .store(Duty::new(5, DutyType::Attester), &attester_set(5, 1, 2, 7))
            .unwrap_err();
        assert!(matches!(error, DutyDbError::Expired { .. }));
        // One slot inside the boundary is still accepted.
        db.store(Duty::new(6, DutyType::Attester), &attester_set(6, 1, 2, 7))
            .unwrap();
    }

    fn vote(
        slot: u64,
        committee: u64,
        source: u64,
        target: u64,
        root: u8,
    ) -> UnsignedDataSet<Minimal> {
        let mut set = attester_set(slot, committee, 0, root);
        if let Some(UnsignedData::Attestation(datum)) = set.data.get_mut(&key(1)) {
            datum.attestation_data.source.epoch = source;
            datum.attestation_data.target.epoch = target;
        }
        set
    }

    #[test]
    fn the_cluster_guard_refuses_double_and_surround_votes() {
        let db = DutyDb::<Minimal>::new();
        let duty = |slot| Duty::new(slot, DutyType::Attester);
        db.store(duty(40), &vote(40, 0, 3, 5, 1)).unwrap();
        // Same target, other data: double vote; refused and not served.
        let error = db.store(duty(41), &vote(41, 0, 3, 5, 2)).unwrap_err();
        assert!(error.to_string().contains("double vote"), "{error}");
        assert!(db.attestation_data(41, 0).is_none());
        // Surrounding 3→5 and surrounded by it.
        let error = db.store(duty(48), &vote(48, 0, 2, 6, 3)).unwrap_err();
        assert!(error.to_string().contains("surround vote"), "{error}");
        db.store(duty(56), &vote(56, 0, 1, 9, 4)).unwrap_err();
        let db2 = DutyDb::<Minimal>::new();
        db2.store(duty(40), &vote(40, 0, 1, 9, 1)).unwrap();
        let error = db2.store(duty(41), &vote(41, 0, 3, 5, 2)).unwrap_err();
        assert!(error.to_string().contains("surrounded"), "{error}");
        // One step inside: same source, next target; and the identical vote again.
        db.store(duty(48), &vote(48, 0, 3, 6, 5)).unwrap();
        assert!(db.attestation_data(48, 0).is_some());
        db.store(duty(40), &vote(40, 0, 3, 5, 1)).unwrap();
        // Sharing source and target bounds is not a surround.
        db.store(duty(49), &vote(49, 1, 3, 7, 6)).unwrap();
    }

    fn proposal(graffiti: u8) -> UnsignedDataSet<Minimal> {
        use mosaic_types::consensus::versioned::BeaconBlock;
        let block = phase0::BeaconBlock::<Minimal> {
            slot: 9,
            proposer_index: 3,
            parent_root: Root([1; 32]),
            state_root: Root([2; 32]),
            body: phase0::BeaconBlockBody {
                randao_reveal: mosaic_types::BlsSignature([4; 96]),
                eth1_data: phase0::Eth1Data::default(),
                graffiti: Root([graffiti; 32]),
                proposer_slashings: Default::default(),
                attester_slashings: Default::default(),
                attestations: Default::default(),
                deposits: Default::default(),
                voluntary_exits: Default::default(),
            },
        };
        let mut set = UnsignedDataSet::new(DutyType::Proposer);
        set.data.insert(
            key(1),
            UnsignedData::Proposal(Box::new(crate::unsigned::ProposalDatum {
                block: ProducedBlock::Block(BeaconBlock::Phase0(block)),
            })),
        );
        set
    }

    #[test]
    fn the_cluster_guard_refuses_a_second_block_for_a_slot() {
        let db = DutyDb::<Minimal>::new();
        let duty = Duty::new(9, DutyType::Proposer);
        let root_of = |set: &UnsignedDataSet<Minimal>| match set.data.get(&key(1)) {
            Some(UnsignedData::Proposal(datum)) => datum.block.block_root(),
            _ => unreachable!("a proposal set"),
        };
        let (first, second) = (proposal(5), proposal(6));
        assert!(db.check_proposal(9, root_of(&second)).is_ok());
        db.store(duty, &first).unwrap();
        // The same block again is fine; another block for the slot is a double proposal.
        db.store(duty, &first).unwrap();
        assert!(db.check_proposal(9, root_of(&first)).is_ok());
        let reason = db.check_proposal(9, root_of(&second)).unwrap_err();
        assert!(reason.contains("double proposal"), "{reason}");
        let error = db.store(duty, &second).unwrap_err();
        assert!(matches!(error, DutyDbError::Slashable { .. }), "{error}");
        // The next slot is free.
        assert!(db.check_proposal(10, root_of(&second)).is_ok());
    }

    #[test]
    fn a_set_of_another_duty_type_is_refused() {
        let db = DutyDb::<Minimal>::new();
        let error = db
            .store(
                Duty::new(5, DutyType::Aggregator),
                &attester_set(5, 1, 2, 7),
            )
            .unwrap_err();
        assert!(matches!(error, DutyDbError::WrongDutyType { .. }));
    }
}
