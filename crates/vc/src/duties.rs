//! The duty cache: attester and proposer duties per epoch with the dependent root they were
//! computed from, and sync committee duties per epoch.

use std::collections::BTreeMap;

use mosaic_beacon::{AttesterDuty, ProposerDuty, SyncDuty};
use mosaic_types::{Epoch, Root, Slot};

/// Duties with the dependent root they were computed from.
#[derive(Debug, Clone)]
pub(crate) struct RootedDuties<T> {
    /// `dependent_root`.
    pub(crate) dependent_root: Root,
    /// This client's duties.
    pub(crate) duties: Vec<T>,
}

/// What changed when duties were stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Update {
    /// First duties for the epoch.
    New,
    /// Same dependent root as before: duties kept.
    Unchanged,
    /// A different dependent root (a reorg): duties replaced.
    Replaced,
}

/// Cached duties by epoch.
#[derive(Debug, Default)]
pub(crate) struct DutyCache {
    attesters: BTreeMap<Epoch, RootedDuties<AttesterDuty>>,
    proposers: BTreeMap<Epoch, RootedDuties<ProposerDuty>>,
    sync: BTreeMap<Epoch, Vec<SyncDuty>>,
}

fn store<T>(
    map: &mut BTreeMap<Epoch, RootedDuties<T>>,
    epoch: Epoch,
    fresh: RootedDuties<T>,
) -> Update {
    let update = match map.get(&epoch) {
        None => Update::New,
        Some(old) if old.dependent_root == fresh.dependent_root => return Update::Unchanged,
        Some(_) => Update::Replaced,
    };
    map.insert(epoch, fresh);
    update
}

impl DutyCache {
    /// Stores attester duties of `epoch`.
    pub(crate) fn set_attesters(
        &mut self,
        epoch: Epoch,
        duties: RootedDuties<AttesterDuty>,
    ) -> Update {
        store(&mut self.attesters, epoch, duties)
    }

    /// Stores proposer duties of `epoch` (this client's only).
    pub(crate) fn set_proposers(
        &mut self,
        epoch: Epoch,
        duties: RootedDuties<ProposerDuty>,
    ) -> Update {
        store(&mut self.proposers, epoch, duties)
    }

    /// Stores sync committee duties of `epoch`.
    pub(crate) fn set_sync(&mut self, epoch: Epoch, duties: Vec<SyncDuty>) {
        self.sync.insert(epoch, duties);
    }

    /// Whether attester and proposer duties of `epoch` are known.
    pub(crate) fn has_epoch(&self, epoch: Epoch) -> bool {
        self.attesters.contains_key(&epoch) && self.proposers.contains_key(&epoch)
    }

    /// Whether sync duties of `epoch` are known.
    pub(crate) fn has_sync(&self, epoch: Epoch) -> bool {
        self.sync.contains_key(&epoch)
    }

    /// Attester duties at `slot`.
    pub(crate) fn attesters_at(&self, epoch: Epoch, slot: Slot) -> Vec<AttesterDuty> {
        self.attesters.get(&epoch).map_or_else(Vec::new, |d| {
            d.duties
                .iter()
                .filter(|d| d.slot == slot)
                .copied()
                .collect()
        })
    }

    /// Proposer duties at `slot`.
    pub(crate) fn proposers_at(&self, epoch: Epoch, slot: Slot) -> Vec<ProposerDuty> {
        self.proposers.get(&epoch).map_or_else(Vec::new, |d| {
            d.duties
                .iter()
                .filter(|d| d.slot == slot)
                .copied()
                .collect()
        })
    }

    /// Sync committee duties of `epoch`.
    pub(crate) fn sync_of(&self, epoch: Epoch) -> Vec<SyncDuty> {
        self.sync.get(&epoch).cloned().unwrap_or_default()
    }

    /// Forgets epochs before `epoch`.
    pub(crate) fn prune_before(&mut self, epoch: Epoch) {
        self.attesters = self.attesters.split_off(&epoch);
        self.proposers = self.proposers.split_off(&epoch);
        self.sync = self.sync.split_off(&epoch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mosaic_types::BlsPubkey;

    fn duty(slot: Slot) -> AttesterDuty {
        AttesterDuty {
            pubkey: BlsPubkey([1; 48]),
            validator_index: 1,
            committee_index: 0,
            committee_length: 4,
            committees_at_slot: 1,
            validator_committee_index: 2,
            slot,
        }
    }

    #[test]
    fn dependent_root_changes_replace_duties() {
        let mut cache = DutyCache::default();
        let first = RootedDuties {
            dependent_root: Root([1; 32]),
            duties: vec![duty(8)],
        };
        assert_eq!(cache.set_attesters(1, first.clone()), Update::New);
        assert_eq!(cache.set_attesters(1, first), Update::Unchanged);
        let reorged = RootedDuties {
            dependent_root: Root([2; 32]),
            duties: vec![duty(9)],
        };
        assert_eq!(cache.set_attesters(1, reorged), Update::Replaced);
        assert!(cache.attesters_at(1, 8).is_empty());
        assert_eq!(cache.attesters_at(1, 9).len(), 1);
        assert!(!cache.has_epoch(1), "no proposer duties yet");
        cache.set_proposers(
            1,
            RootedDuties {
                dependent_root: Root([2; 32]),
                duties: vec![],
            },
        );
        assert!(cache.has_epoch(1));
        cache.prune_before(2);
        assert!(!cache.has_epoch(1));
    }
}
