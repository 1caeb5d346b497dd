//! Duty resolution (spec: docs/dv-spec/duty-scheduling.md): at each epoch the node asks its
//! beacon node for the attester, proposer and sync committee duties of the cluster's
//! validators and keeps them by slot. Aggregator and sync contribution duties are derived from
//! attester and sync duties (selection is decided later, from the aggregated selection proofs).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};

use mosaic_beacon::{AttesterDuty, BeaconClient, ProposerDuty, StateId, SyncDuty, ValidatorId};
use mosaic_core::chain::ChainSpec;
use mosaic_crypto::bls::PublicKey;
use mosaic_types::consensus::Preset;
use mosaic_types::{BlsPubkey, Epoch, Slot};

/// The duties of one epoch for the cluster's validators.
#[derive(Debug, Clone, Default)]
pub struct EpochDuties {
    /// Attester duties by slot.
    pub attesters: BTreeMap<Slot, Vec<(PublicKey, AttesterDuty)>>,
    /// The proposer duty by slot (at most one validator proposes a slot).
    pub proposers: BTreeMap<Slot, (PublicKey, ProposerDuty)>,
    /// Sync committee members for every slot of the epoch.
    pub sync: Vec<(PublicKey, SyncDuty)>,
}

/// Resolved duties by epoch, and the cluster's validator indices.
#[derive(Default)]
pub struct Schedule {
    state: Mutex<ScheduleState>,
}

#[derive(Default)]
struct ScheduleState {
    indices: HashMap<PublicKey, u64>,
    by_index: HashMap<u64, PublicKey>,
    epochs: BTreeMap<Epoch, EpochDuties>,
}

/// The proposer duties of the cluster's validators (`by_index`), by slot. Slot 0 is the
/// genesis block: nobody proposes it, though beacon nodes list a proposer for it.
fn cluster_proposers(
    by_index: &HashMap<u64, PublicKey>,
    duties: Vec<ProposerDuty>,
) -> BTreeMap<Slot, (PublicKey, ProposerDuty)> {
    duties
        .into_iter()
        .filter(|duty| duty.slot > 0)
        .filter_map(|duty| {
            let key = *by_index.get(&duty.validator_index)?;
            Some((duty.slot, (key, duty)))
        })
        .collect()
}

fn lock(mutex: &Mutex<ScheduleState>) -> MutexGuard<'_, ScheduleState> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Why duties could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    /// The beacon node failed.
    #[error("resolving duties of epoch {epoch}: {source}")]
    Beacon {
        /// The epoch.
        epoch: Epoch,
        /// The beacon node error.
        source: mosaic_beacon::Error,
    },
}

impl Schedule {
    /// An empty schedule.
    pub fn new() -> Self {
        Self::default()
    }

    /// Looks up the indices of `validators` not yet known (validators not yet on chain stay
    /// unknown and are looked up again next time).
    pub async fn resolve_indices<P: Preset>(
        &self,
        client: &BeaconClient<P>,
        validators: &[PublicKey],
    ) -> Result<usize, mosaic_beacon::Error> {
        let missing: Vec<ValidatorId> = {
            let state = lock(&self.state);
            validators
                .iter()
                .filter(|key| !state.indices.contains_key(key))
                .map(|key| ValidatorId::Pubkey(BlsPubkey(key.to_bytes())))
                .collect()
        };
        if !missing.is_empty() {
            let found = client.validators(StateId::Head, &missing, &[]).await?;
            let mut state = lock(&self.state);
            for validator in found.data {
                if let Ok(key) = PublicKey::from_bytes(&validator.validator.pubkey.0) {
                    state.indices.insert(key, validator.index);
                    state.by_index.insert(validator.index, key);
                }
            }
        }
        Ok(lock(&self.state).indices.len())
    }

    /// The DV with validator index `index`.
    pub fn pubkey_by_index(&self, index: u64) -> Option<PublicKey> {
        lock(&self.state).by_index.get(&index).copied()
    }

    /// The validator index of `pubkey`.
    pub fn index_of(&self, pubkey: &PublicKey) -> Option<u64> {
        lock(&self.state).indices.get(pubkey).copied()
    }

    /// Whether `epoch`'s duties are resolved.
    pub fn has_epoch(&self, epoch: Epoch) -> bool {
        lock(&self.state).epochs.contains_key(&epoch)
    }

    /// Resolves the duties of `epoch` from the beacon node (replacing earlier ones).
    pub async fn resolve_epoch<P: Preset>(
        &self,
        client: &BeaconClient<P>,
        chain: &ChainSpec,
        epoch: Epoch,
    ) -> Result<(), ScheduleError> {
        let beacon = |source| ScheduleError::Beacon { epoch, source };
        let (indices, by_index) = {
            let state = lock(&self.state);
            let mut indices: Vec<u64> = state.indices.values().copied().collect();
            indices.sort_unstable();
            (indices, state.by_index.clone())
        };
        let mut duties = EpochDuties::default();
        if !indices.is_empty() {
            let attesters = client
                .attester_duties(epoch, &indices)
                .await
                .map_err(beacon)?;
            for duty in attesters.data {
                if let Some(key) = by_index.get(&duty.validator_index) {
                    duties
                        .attesters
                        .entry(duty.slot)
                        .or_default()
                        .push((*key, duty));
                }
            }
            let proposers = client.proposer_duties(epoch).await.map_err(beacon)?;
            duties.proposers = cluster_proposers(&by_index, proposers.data);
            if chain.fork_at_epoch(epoch) >= mosaic_types::ForkName::Altair {
                let sync = client.sync_duties(epoch, &indices).await.map_err(beacon)?;
                for duty in sync.data {
                    if let Some(key) = by_index.get(&duty.validator_index) {
                        duties.sync.push((*key, duty));
                    }
                }
            }
        }
        lock(&self.state).epochs.insert(epoch, duties);
        Ok(())
    }

    /// Fetches `epoch`'s proposer duties again and replaces the resolved ones. Before fulu
    /// they are only final once the epoch's dependent block (the last of the previous epoch)
    /// is known, which may be after the epoch was resolved ahead of time. Returns the slots
    /// whose proposer changed.
    pub async fn refresh_proposers<P: Preset>(
        &self,
        client: &BeaconClient<P>,
        epoch: Epoch,
    ) -> Result<Vec<Slot>, ScheduleError> {
        let answer = client
            .proposer_duties(epoch)
            .await
            .map_err(|source| ScheduleError::Beacon { epoch, source })?;
        let mut state = lock(&self.state);
        let proposers = cluster_proposers(&state.by_index, answer.data);
        let Some(duties) = state.epochs.get_mut(&epoch) else {
            return Ok(Vec::new());
        };
        let changed: Vec<Slot> = proposers
            .keys()
            .chain(duties.proposers.keys())
            .copied()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .filter(|slot| {
                proposers.get(slot).map(|(key, _)| key)
                    != duties.proposers.get(slot).map(|(key, _)| key)
            })
            .collect();
        duties.proposers = proposers;
        Ok(changed)
    }

    /// The duties of `epoch`, if resolved.
    pub fn epoch(&self, epoch: Epoch) -> Option<EpochDuties> {
        lock(&self.state).epochs.get(&epoch).cloned()
    }

    /// The DV proposing at `slot`, if it is one of the cluster's.
    pub fn proposer(&self, chain: &ChainSpec, slot: Slot) -> Option<PublicKey> {
        lock(&self.state)
            .epochs
            .get(&chain.epoch_of(slot))
            .and_then(|duties| duties.proposers.get(&slot))
            .map(|(key, _)| *key)
    }

    /// Forgets epochs before `epoch`.
    pub fn trim(&self, epoch: Epoch) {
        lock(&self.state).epochs.retain(|e, _| *e >= epoch);
    }
}

/// The spec's `is_aggregator`: whether a selection proof selects its validator to aggregate a
/// committee of `committee_length`.
pub fn is_aggregator(
    committee_length: u64,
    target_aggregators: u64,
    selection_proof: &[u8],
) -> bool {
    let modulo = (committee_length / target_aggregators.max(1)).max(1);
    hash_prefix(selection_proof).is_multiple_of(modulo)
}

/// The spec's `is_sync_committee_aggregator`.
pub fn is_sync_committee_aggregator(chain: &ChainSpec, selection_proof: &[u8]) -> bool {
    let modulo = (chain.sync_subcommittee_size()
        / chain.target_aggregators_per_sync_subcommittee.max(1))
    .max(1);
    hash_prefix(selection_proof).is_multiple_of(modulo)
}

fn hash_prefix(bytes: &[u8]) -> u64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(bytes);
    let mut prefix = [0u8; 8];
    prefix.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_committees_always_aggregate() {
        // modulo = max(1, 15 / 16) = 1: everyone is selected.
        assert!(is_aggregator(15, 16, &[1; 96]));
        assert!(is_aggregator(31, 16, &[2; 96]));
    }

    #[test]
    fn selection_uses_the_first_eight_hash_bytes_little_endian() {
        let proof = [3u8; 96];
        let expected = hash_prefix(&proof).is_multiple_of(4);
        assert_eq!(is_aggregator(64, 16, &proof), expected);
        // Find a proof that is and one that is not selected with modulo 4.
        let selected = (0u8..=255).find(|b| is_aggregator(64, 16, &[*b; 96]));
        let not_selected = (0u8..=255).find(|b| !is_aggregator(64, 16, &[*b; 96]));
        assert!(selected.is_some() && not_selected.is_some());
    }
}
