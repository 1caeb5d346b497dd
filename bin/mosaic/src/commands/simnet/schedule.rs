//! Which duties the cluster's validators have, slot by slot, computed from the simulated chain
//! exactly as a validator client would see them: attester and proposer duties from the epoch's
//! committees, sync committee membership from the period's committee, and aggregation (both
//! kinds) from the selection proofs, which are deterministic BLS signatures of the validator key.

use std::collections::BTreeSet;
use std::ops::RangeInclusive;

use mosaic_crypto::bls::SecretKey;
use mosaic_simnet::spec::{
    hash, SYNC_COMMITTEE_SUBNET_COUNT, TARGET_AGGREGATORS_PER_COMMITTEE,
    TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE,
};
use mosaic_simnet::{Chain, DutyKind};
use mosaic_types::consensus::altair::SyncAggregatorSelectionData;
use mosaic_types::{
    signing_root_of, DOMAIN_SELECTION_PROOF, DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF,
};

/// The duty kinds a cluster is scheduled for by the chain (exits and builder registrations are
/// not scheduled: they happen on request or only with a builder).
pub(crate) const SCHEDULED_KINDS: [DutyKind; 5] = [
    DutyKind::Proposal,
    DutyKind::Attestation,
    DutyKind::Aggregate,
    DutyKind::SyncMessage,
    DutyKind::SyncContribution,
];

/// One duty of one validator. A sync committee member aggregating for several subcommittees in
/// one slot has one [`DutyKind::SyncContribution`] duty there (the chain's records do not name
/// the subcommittee).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Duty {
    /// The duty's slot.
    pub(crate) slot: u64,
    /// The kind.
    pub(crate) kind: DutyKind,
    /// The validator index on the chain.
    pub(crate) validator: u64,
}

/// Every duty of the explicit validators (indices `0..keys.len()`, whose secret keys are
/// `keys`) in `slots`.
pub(crate) fn scheduled_duties(
    chain: &mut Chain,
    keys: &[SecretKey],
    slots: RangeInclusive<u64>,
) -> BTreeSet<Duty> {
    let mut duties = BTreeSet::new();
    let explicit = keys.len() as u64;
    let preset = chain.config().preset;
    let sync_modulo = (preset.sync_committee_size()
        / SYNC_COMMITTEE_SUBNET_COUNT
        / TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE)
        .max(1);
    for slot in slots {
        let epoch = chain.epoch_of(slot);
        let epoch_duties = chain.epoch_duties(epoch);
        let proposer = epoch_duties.proposers[(slot % chain.slots_per_epoch()) as usize];
        if proposer < explicit {
            duties.insert(Duty {
                slot,
                kind: DutyKind::Proposal,
                validator: proposer,
            });
        }
        let selection_domain = chain.domain(DOMAIN_SELECTION_PROOF, epoch);
        for validator in 0..explicit {
            let Some(attester) = epoch_duties.attesters[validator as usize] else {
                continue;
            };
            if attester.slot != slot {
                continue;
            }
            duties.insert(Duty {
                slot,
                kind: DutyKind::Attestation,
                validator,
            });
            let modulo = (attester.committee_length / TARGET_AGGREGATORS_PER_COMMITTEE).max(1);
            let root = signing_root_of(&slot, selection_domain);
            if selects(&keys[validator as usize], &root.0, modulo) {
                duties.insert(Duty {
                    slot,
                    kind: DutyKind::Aggregate,
                    validator,
                });
            }
        }
        let committee = chain.sync_committee(chain.sync_period(epoch));
        let sync_domain = chain.domain(DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF, epoch);
        for validator in 0..explicit {
            let Some(positions) = committee.positions.get(&validator) else {
                continue;
            };
            duties.insert(Duty {
                slot,
                kind: DutyKind::SyncMessage,
                validator,
            });
            let subcommittees: BTreeSet<u64> = positions
                .iter()
                .map(|p| committee.subcommittee_of(*p))
                .collect();
            let aggregates = subcommittees.into_iter().any(|subcommittee_index| {
                let data = SyncAggregatorSelectionData {
                    slot,
                    subcommittee_index,
                };
                let root = signing_root_of(&data, sync_domain);
                selects(&keys[validator as usize], &root.0, sync_modulo)
            });
            if aggregates {
                duties.insert(Duty {
                    slot,
                    kind: DutyKind::SyncContribution,
                    validator,
                });
            }
        }
    }
    duties
}

/// The spec's aggregator selection: whether the first 8 bytes (little-endian) of the SHA-256
/// of the selection proof (the key's signature over `signing_root`) are a multiple of `modulo`.
fn selects(key: &SecretKey, signing_root: &[u8], modulo: u64) -> bool {
    if modulo <= 1 {
        return true;
    }
    let proof = key.sign(signing_root).to_bytes();
    let digest = hash(&[&proof]);
    let mut prefix = [0u8; 8];
    prefix.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(prefix).is_multiple_of(modulo)
}

/// With a builder: each of the `validators` registers once per epoch, scored at the epoch's first
/// slot (the nodes submit the lock's registrations as each epoch starts; [`crate`]'s ledger
/// files every registration under its epoch's first slot). Epochs whose first slot is outside
/// `slots` have none (epoch 0's is at genesis, which the chain does not record).
pub(crate) fn registration_duties(
    validators: u64,
    slots_per_epoch: u64,
    slots: RangeInclusive<u64>,
) -> Vec<Duty> {
    slots
        .filter(|slot| slot % slots_per_epoch == 0)
        .flat_map(|slot| {
            (0..validators).map(move |validator| Duty {
                slot,
                kind: DutyKind::Registration,
                validator,
            })
        })
        .collect()
}

/// Whether `duties` holds at least one duty of every scheduled kind.
pub(crate) fn covers_every_kind(duties: &BTreeSet<Duty>) -> bool {
    SCHEDULED_KINDS
        .iter()
        .all(|kind| duties.iter().any(|d| d.kind == *kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrations_are_due_at_each_epoch_start_in_the_window() {
        let duties = registration_duties(2, 8, 1..=23);
        let slots: Vec<(u64, u64)> = duties.iter().map(|d| (d.slot, d.validator)).collect();
        assert_eq!(slots, vec![(8, 0), (8, 1), (16, 0), (16, 1)]);
        assert!(duties.iter().all(|d| d.kind == DutyKind::Registration));
        assert!(registration_duties(2, 8, 1..=7).is_empty());
    }
    use mosaic_simnet::SimConfig;
    use mosaic_types::BlsPubkey;

    fn chain_with(keys: &[SecretKey], fillers: usize, seed: u64) -> Chain {
        let mut config = SimConfig::new(1_000);
        config.validators = keys
            .iter()
            .map(|k| BlsPubkey(k.public_key().to_bytes()))
            .collect();
        config.filler_validators = fillers;
        config.seed = seed;
        Chain::new(config).expect("chain")
    }

    #[test]
    fn every_validator_attests_once_per_epoch() {
        let keys: Vec<SecretKey> = (0..4).map(|_| SecretKey::random()).collect();
        let mut chain = chain_with(&keys, 60, 3);
        let duties = scheduled_duties(&mut chain, &keys, 0..=15);
        for validator in 0..4 {
            for epoch in 0..2 {
                let count = duties
                    .iter()
                    .filter(|d| {
                        d.kind == DutyKind::Attestation
                            && d.validator == validator
                            && d.slot / 8 == epoch
                    })
                    .count();
                assert_eq!(count, 1, "validator {validator} epoch {epoch}");
            }
        }
        // Minimal committees (4 members) make every attester an aggregator, and every sync
        // committee member a contribution aggregator.
        let of = |kind| {
            duties
                .iter()
                .filter(|d| d.kind == kind)
                .map(|d| (d.slot, d.validator))
                .collect::<Vec<_>>()
        };
        assert_eq!(of(DutyKind::Attestation), of(DutyKind::Aggregate));
        assert_eq!(of(DutyKind::SyncMessage), of(DutyKind::SyncContribution));
        // Proposals are the chain's proposers among our validators.
        for slot in 0..=15 {
            let proposer = chain.proposer(slot);
            let ours = duties.contains(&Duty {
                slot,
                kind: DutyKind::Proposal,
                validator: proposer,
            });
            assert_eq!(ours, proposer < 4, "slot {slot}");
        }
        assert!(duties.iter().all(|d| d.validator < 4));
    }

    #[test]
    fn large_committees_select_some_aggregators_only() {
        // 512 validators on the minimal preset: 4 committees of 16 per slot, modulo 1; with
        // 2,048, committees of 64 and modulo 4: about a quarter aggregate.
        let keys: Vec<SecretKey> = (0..64).map(|_| SecretKey::random()).collect();
        let mut chain = chain_with(&keys, 1_984, 1);
        let duties = scheduled_duties(&mut chain, &keys, 0..=7);
        let attestations = duties
            .iter()
            .filter(|d| d.kind == DutyKind::Attestation)
            .count();
        let aggregates = duties
            .iter()
            .filter(|d| d.kind == DutyKind::Aggregate)
            .count();
        assert_eq!(attestations, 64);
        assert!(aggregates > 0 && aggregates < 40, "{aggregates} of 64");
    }

    #[test]
    fn selection_matches_the_spec_rule() {
        let key = SecretKey::random();
        let root = [7u8; 32];
        assert!(selects(&key, &root, 1));
        let proof = key.sign(&root).to_bytes();
        let digest = hash(&[&proof]);
        let prefix = u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"));
        for modulo in 2..20 {
            assert_eq!(selects(&key, &root, modulo), prefix % modulo == 0);
        }
    }

    #[test]
    fn coverage_needs_every_kind() {
        let mut duties = BTreeSet::new();
        for (slot, kind) in SCHEDULED_KINDS.iter().enumerate() {
            duties.insert(Duty {
                slot: slot as u64,
                kind: *kind,
                validator: 0,
            });
        }
        assert!(covers_every_kind(&duties));
        duties.retain(|d| d.kind != DutyKind::SyncContribution);
        assert!(!covers_every_kind(&duties));
    }
}
