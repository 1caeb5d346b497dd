//! Scoring a run: every duty the explicit validators had in a slot range, and whether an
//! includable submission for it arrived (with its latency from slot start).
//!
//! Aggregations and sync contributions are expected only where selection is certain (a
//! committee or subcommittee smaller than the target number of aggregators selects everyone,
//! as on the minimal preset); elsewhere the simulator cannot know who was selected, and only
//! what arrived is counted.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::chain::Chain;
use crate::record::{DutyKind, Recorder};
use crate::spec::{TARGET_AGGREGATORS_PER_COMMITTEE, TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE};

/// The outcome of one kind of duty over a slot range.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KindReport {
    /// Duties scheduled, as `(validator, slot)` items (a sync committee member's contributions
    /// of one slot count as one item, whatever its number of subcommittees).
    pub expected: u64,
    /// Of those, with an includable submission.
    pub succeeded: u64,
    /// Scheduled items without one, as `(validator, slot)`.
    pub missed: Vec<(u64, u64)>,
    /// Latency of the first includable submission of each succeeded item, ms after slot start,
    /// sorted.
    pub latencies_ms: Vec<i64>,
}

impl KindReport {
    /// Scheduled items that did not succeed.
    pub fn failed(&self) -> u64 {
        self.expected - self.succeeded
    }

    /// The `q`-quantile (0..=1) of the latencies, nearest rank.
    pub fn latency_quantile_ms(&self, q: f64) -> Option<i64> {
        if self.latencies_ms.is_empty() {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.latencies_ms.len() as f64).ceil() as usize).max(1);
        self.latencies_ms.get(rank - 1).copied()
    }
}

/// Reports by duty kind (registrations and exits are not scheduled duties and are left out).
pub type DutyReport = BTreeMap<DutyKind, KindReport>;

pub(crate) fn duty_report(
    chain: &mut Chain,
    recorder: &Recorder,
    first: u64,
    last: u64,
) -> DutyReport {
    let explicit = chain.config().validators.len() as u64;
    let spe = chain.slots_per_epoch();
    // Expected items, with how many submissions each needs (contributions: one per
    // subcommittee).
    let mut expected: BTreeMap<DutyKind, BTreeMap<(u64, u64), u64>> = BTreeMap::new();
    let mut add = |kind: DutyKind, validator: u64, slot: u64, n: u64| {
        *expected
            .entry(kind)
            .or_default()
            .entry((validator, slot))
            .or_default() += n;
    };
    for slot in first..=last {
        let epoch = slot / spe;
        let duties = chain.epoch_duties(epoch);
        for validator in 0..explicit {
            if let Some(duty) = duties.attesters[validator as usize].filter(|d| d.slot == slot) {
                add(DutyKind::Attestation, validator, slot, 1);
                if duty.committee_length / TARGET_AGGREGATORS_PER_COMMITTEE <= 1 {
                    add(DutyKind::Aggregate, validator, slot, 1);
                }
            }
        }
        let proposer = duties.proposers[(slot % spe) as usize];
        if proposer < explicit {
            add(DutyKind::Proposal, proposer, slot, 1);
        }
        if chain.config().fork >= mosaic_types::ForkName::Altair {
            let committee = chain.sync_committee(chain.sync_period(epoch));
            let certain =
                committee.subcommittee_size() / TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE <= 1;
            for validator in 0..explicit {
                if let Some(positions) = committee.positions.get(&validator) {
                    add(DutyKind::SyncMessage, validator, slot, 1);
                    if certain && !positions.is_empty() {
                        add(DutyKind::SyncContribution, validator, slot, 1);
                    }
                }
            }
        }
    }
    // Includable submissions per item, and the earliest arrival.
    let mut arrived: BTreeMap<(DutyKind, u64, u64), (u64, i64)> = BTreeMap::new();
    for judged in recorder.judge(chain) {
        let s = &judged.submission;
        if !judged.included || s.validator_index >= explicit || s.slot < first || s.slot > last {
            continue;
        }
        let entry = arrived
            .entry((s.kind, s.validator_index, s.slot))
            .or_insert((0, i64::MAX));
        entry.1 = entry.1.min(s.arrival_ms);
        entry.0 = 1;
    }
    let mut report = DutyReport::new();
    for kind in [
        DutyKind::Attestation,
        DutyKind::Aggregate,
        DutyKind::Proposal,
        DutyKind::SyncMessage,
        DutyKind::SyncContribution,
    ] {
        let mut kind_report = KindReport::default();
        let items = expected.remove(&kind).unwrap_or_default();
        for ((validator, slot), needed) in &items {
            kind_report.expected += needed;
            match arrived.get(&(kind, *validator, *slot)) {
                Some((count, arrival)) => {
                    let got = (*count).min(*needed);
                    kind_report.succeeded += got;
                    kind_report.latencies_ms.push(*arrival);
                    if got < *needed {
                        kind_report.missed.push((*validator, *slot));
                    }
                }
                None => kind_report.missed.push((*validator, *slot)),
            }
        }
        // Arrivals for items the simulator could not predict (uncertain selection).
        for ((k, validator, slot), (count, arrival)) in &arrived {
            if *k == kind && !items.contains_key(&(*validator, *slot)) {
                kind_report.expected += count;
                kind_report.succeeded += count;
                kind_report.latencies_ms.push(*arrival);
            }
        }
        kind_report.latencies_ms.sort_unstable();
        report.insert(kind, kind_report);
    }
    report
}
