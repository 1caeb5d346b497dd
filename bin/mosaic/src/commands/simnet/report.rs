//! Scoring a simnet run: the scheduled duties against what the simulated beacon node accepted
//! (its judged records), per slot for the progress lines and per duty kind for the summary.
//!
//! A duty succeeded when at least one accepted submission for it (kind, slot, validator) was
//! judged correct and timely by the simulator (every node of the cluster broadcasts the same
//! aggregated signature, so duplicates are normal). Its latency is the earliest such arrival,
//! in milliseconds after the start of the duty's slot.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::RangeInclusive;

use mosaic_simnet::DutyKind;
use serde::{Deserialize, Serialize};

use super::schedule::{Duty, SCHEDULED_KINDS};

/// One judged record as the simulator serialises it (`/mosaic/simnet/records`).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Record {
    /// Validator index.
    pub(crate) validator_index: u64,
    /// Duty kind, snake_case.
    pub(crate) kind: String,
    /// Duty slot.
    pub(crate) slot: u64,
    /// Arrival, ms after the duty slot's start.
    pub(crate) arrival_ms: i64,
    /// Whether it would be included and count fully.
    pub(crate) included: bool,
    /// Why not.
    #[serde(default)]
    pub(crate) faults: Vec<String>,
}

/// The kind named `name` (snake_case), if any.
pub(crate) fn kind_named(name: &str) -> Option<DutyKind> {
    DutyKind::ALL.into_iter().find(|k| k.as_str() == name)
}

/// What happened to one scheduled duty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Outcome {
    /// Earliest arrival of a correct, timely submission.
    first_included_ms: Option<i64>,
    /// Faults of the submissions that were not included (deduplicated).
    faults: BTreeSet<String>,
}

/// The scheduled duties and, as records come in, their outcomes.
#[derive(Debug, Clone)]
pub(crate) struct Ledger {
    outcomes: BTreeMap<Duty, Outcome>,
    /// Accepted submissions for duties that were not scheduled, per kind (exits and
    /// registrations, or a sign of a bug when of a scheduled kind).
    unscheduled: BTreeMap<DutyKind, BTreeSet<(u64, u64)>>,
    slots: RangeInclusive<u64>,
}

impl Ledger {
    /// A ledger of `duties`; records for slots outside `slots` are ignored (the chain records
    /// nothing for slot 0, and the nodes work on past the last slot until they are stopped).
    pub(crate) fn new(duties: &BTreeSet<Duty>, slots: RangeInclusive<u64>) -> Self {
        Self {
            outcomes: duties.iter().map(|d| (*d, Outcome::default())).collect(),
            unscheduled: BTreeMap::new(),
            slots,
        }
    }

    /// Re-scores every duty from the simulator's full list of judged records.
    pub(crate) fn update(&mut self, records: &[Record]) {
        for outcome in self.outcomes.values_mut() {
            *outcome = Outcome::default();
        }
        self.unscheduled.clear();
        for record in records {
            let Some(kind) = kind_named(&record.kind) else {
                continue;
            };
            if !self.slots.contains(&record.slot) {
                continue;
            }
            // A registration counts for its epoch (the nodes submit them as it starts).
            let slot = if kind == DutyKind::Registration {
                record.slot - record.slot % mosaic_simnet::Preset::Minimal.slots_per_epoch()
            } else {
                record.slot
            };
            if !self.slots.contains(&slot) {
                continue;
            }
            let duty = Duty {
                slot,
                kind,
                validator: record.validator_index,
            };
            let Some(outcome) = self.outcomes.get_mut(&duty) else {
                self.unscheduled
                    .entry(kind)
                    .or_default()
                    .insert((record.slot, record.validator_index));
                continue;
            };
            if record.included {
                outcome.first_included_ms = Some(
                    outcome
                        .first_included_ms
                        .map_or(record.arrival_ms, |m| m.min(record.arrival_ms)),
                );
            } else {
                outcome.faults.extend(record.faults.iter().cloned());
            }
        }
    }

    /// Per kind, (succeeded, expected) over the duties of slots up to `slot`.
    pub(crate) fn progress(&self, slot: u64) -> BTreeMap<DutyKind, (u64, u64)> {
        let mut out: BTreeMap<DutyKind, (u64, u64)> =
            SCHEDULED_KINDS.iter().map(|k| (*k, (0, 0))).collect();
        for (duty, outcome) in self.outcomes.range(..=last_duty_of(slot)) {
            let entry = out.entry(duty.kind).or_default();
            entry.1 += 1;
            entry.0 += u64::from(outcome.first_included_ms.is_some());
        }
        out
    }

    /// The final report.
    pub(crate) fn summary(&self) -> Summary {
        let mut kinds = Vec::new();
        // Exits and registrations are expected only when the run asked for them.
        for kind in SCHEDULED_KINDS
            .into_iter()
            .chain([DutyKind::Exit, DutyKind::Registration])
        {
            let mut latencies: Vec<i64> = Vec::new();
            let mut expected = 0;
            for (duty, outcome) in &self.outcomes {
                if duty.kind != kind {
                    continue;
                }
                expected += 1;
                latencies.extend(outcome.first_included_ms);
            }
            latencies.sort_unstable();
            let succeeded = latencies.len() as u64;
            kinds.push(KindReport {
                duty: kind.as_str().to_string(),
                expected,
                succeeded,
                failed: expected - succeeded,
                p50_ms: percentile(&latencies, 50),
                p99_ms: percentile(&latencies, 99),
                unscheduled: self.unscheduled.get(&kind).map_or(0, |s| s.len() as u64),
            });
        }
        let failures = self
            .outcomes
            .iter()
            .filter(|(_, o)| o.first_included_ms.is_none())
            .map(|(duty, outcome)| FailedDuty {
                duty: duty.kind.as_str().to_string(),
                slot: duty.slot,
                validator_index: duty.validator,
                reason: if outcome.faults.is_empty() {
                    "nothing accepted by the beacon node".to_string()
                } else {
                    outcome
                        .faults
                        .iter()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("; ")
                },
            })
            .collect();
        let mut slots: BTreeMap<u64, SlotReport> = BTreeMap::new();
        for (duty, outcome) in &self.outcomes {
            let slot = slots.entry(duty.slot).or_insert_with(|| SlotReport {
                slot: duty.slot,
                duties: BTreeMap::new(),
            });
            let entry = slot
                .duties
                .entry(duty.kind.as_str().to_string())
                .or_default();
            entry.expected += 1;
            entry.succeeded += u64::from(outcome.first_included_ms.is_some());
        }
        Summary {
            kinds,
            failures,
            slots: slots.into_values().collect(),
        }
    }
}

/// The greatest duty key at `slot`, to range over everything up to it.
fn last_duty_of(slot: u64) -> Duty {
    Duty {
        slot,
        kind: DutyKind::Registration,
        validator: u64::MAX,
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[i64], percent: u64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (sorted.len() as u64 * percent).div_ceil(100).max(1);
    sorted.get(rank as usize - 1).copied()
}

/// Per duty kind results.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct KindReport {
    /// Duty kind (snake_case).
    pub(crate) duty: String,
    /// Duties scheduled in the measured slots.
    pub(crate) expected: u64,
    /// Of those, completed correctly and on time.
    pub(crate) succeeded: u64,
    /// `expected - succeeded`.
    pub(crate) failed: u64,
    /// Median latency from slot start, ms.
    pub(crate) p50_ms: Option<i64>,
    /// 99th percentile latency from slot start, ms.
    pub(crate) p99_ms: Option<i64>,
    /// Distinct (slot, validator) submissions accepted that no schedule asked for.
    pub(crate) unscheduled: u64,
}

/// A duty that did not complete.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct FailedDuty {
    /// Duty kind.
    pub(crate) duty: String,
    /// Slot.
    pub(crate) slot: u64,
    /// Validator index.
    pub(crate) validator_index: u64,
    /// What the beacon node said about the submissions, or that none arrived.
    pub(crate) reason: String,
}

/// Expected and succeeded duties of one kind in one slot.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub(crate) struct Count {
    /// Scheduled.
    pub(crate) expected: u64,
    /// Completed.
    pub(crate) succeeded: u64,
}

/// One slot's duties.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct SlotReport {
    /// The slot.
    pub(crate) slot: u64,
    /// Per duty kind (only kinds scheduled in the slot).
    pub(crate) duties: BTreeMap<String, Count>,
}

/// The duty part of the final report.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct Summary {
    /// Per kind, in report order.
    pub(crate) kinds: Vec<KindReport>,
    /// Every duty that did not complete.
    pub(crate) failures: Vec<FailedDuty>,
    /// Per slot with duties.
    pub(crate) slots: Vec<SlotReport>,
}

impl Summary {
    /// Duties that failed, over every kind.
    pub(crate) fn failed(&self) -> u64 {
        self.kinds.iter().map(|k| k.failed).sum()
    }

    /// The summary as a text table.
    pub(crate) fn table(&self) -> String {
        let mut text = format!(
            "{:<18} {:>8} {:>9} {:>6} {:>8} {:>8} {:>11}\n",
            "duty", "expected", "succeeded", "failed", "p50_ms", "p99_ms", "unscheduled"
        );
        let ms = |v: Option<i64>| v.map_or("-".to_string(), |v| v.to_string());
        for k in &self.kinds {
            text.push_str(&format!(
                "{:<18} {:>8} {:>9} {:>6} {:>8} {:>8} {:>11}\n",
                k.duty,
                k.expected,
                k.succeeded,
                k.failed,
                ms(k.p50_ms),
                ms(k.p99_ms),
                k.unscheduled
            ));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn duty(slot: u64, kind: DutyKind, validator: u64) -> Duty {
        Duty {
            slot,
            kind,
            validator,
        }
    }

    fn record(d: Duty, arrival_ms: i64, included: bool) -> Record {
        Record {
            validator_index: d.validator,
            kind: d.kind.as_str().to_string(),
            slot: d.slot,
            arrival_ms,
            included,
            faults: if included {
                Vec::new()
            } else {
                vec!["late".to_string()]
            },
        }
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[7], 50), Some(7));
        assert_eq!(percentile(&[7], 99), Some(7));
        let values: Vec<i64> = (1..=100).collect();
        assert_eq!(percentile(&values, 50), Some(50));
        assert_eq!(percentile(&values, 99), Some(99));
        assert_eq!(percentile(&[1, 2, 3, 4], 50), Some(2));
        assert_eq!(percentile(&[1, 2, 3, 4], 99), Some(4));
    }

    #[test]
    fn a_duty_succeeds_with_one_included_submission() {
        let a = duty(1, DutyKind::Attestation, 0);
        let b = duty(1, DutyKind::Attestation, 1);
        let p = duty(2, DutyKind::Proposal, 1);
        let mut ledger = Ledger::new(&[a, b, p].into_iter().collect(), 1..=2);
        ledger.update(&[
            // Duplicates from several nodes: the earliest included one counts.
            record(a, 400, true),
            record(a, 350, true),
            record(a, 100, false),
            // Only a late one: fails, with the reason.
            record(b, 1_500, false),
            // Records outside the window are ignored; unscheduled ones are counted apart.
            record(duty(0, DutyKind::Attestation, 2), 10, true),
            record(duty(3, DutyKind::Attestation, 2), 10, true),
            record(duty(2, DutyKind::Exit, 3), 10, true),
            record(duty(2, DutyKind::Attestation, 3), 10, true),
        ]);
        let summary = ledger.summary();
        let attestation = &summary.kinds[1];
        assert_eq!(attestation.duty, "attestation");
        assert_eq!(
            (
                attestation.expected,
                attestation.succeeded,
                attestation.failed
            ),
            (2, 1, 1)
        );
        assert_eq!(
            (attestation.p50_ms, attestation.p99_ms),
            (Some(350), Some(350))
        );
        assert_eq!(attestation.unscheduled, 1);
        let proposal = &summary.kinds[0];
        assert_eq!((proposal.expected, proposal.failed), (1, 1));
        assert_eq!(summary.failed(), 2);
        let exit = summary
            .kinds
            .iter()
            .find(|k| k.duty == "exit")
            .expect("exit");
        assert_eq!((exit.expected, exit.unscheduled), (0, 1));
        assert_eq!(summary.failures.len(), 2);
        assert_eq!(summary.failures[0].reason, "late");
        assert_eq!(
            summary.failures[1].reason,
            "nothing accepted by the beacon node"
        );
        assert_eq!(summary.slots.len(), 2);
        assert_eq!(
            summary.slots[0].duties["attestation"],
            Count {
                expected: 2,
                succeeded: 1
            }
        );
        let progress = ledger.progress(1);
        assert_eq!(progress[&DutyKind::Attestation], (1, 2));
        assert_eq!(progress[&DutyKind::Proposal], (0, 0));
        assert_eq!(ledger.progress(2)[&DutyKind::Proposal], (0, 1));
        assert!(summary.table().contains("attestation"));
    }

    #[test]
    fn updates_replace_earlier_scores() {
        let a = duty(3, DutyKind::SyncMessage, 0);
        let mut ledger = Ledger::new(&[a].into_iter().collect(), 1..=3);
        ledger.update(&[record(a, 100, true)]);
        assert_eq!(ledger.summary().failed(), 0);
        ledger.update(&[]);
        assert_eq!(ledger.summary().failed(), 1);
    }

    #[test]
    fn kinds_by_name() {
        for kind in DutyKind::ALL {
            assert_eq!(kind_named(kind.as_str()), Some(kind));
        }
        assert_eq!(kind_named("attester"), None);
    }
}
