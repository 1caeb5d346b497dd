//! What arrived from validators, when, and whether it would have been included; with a
//! per-duty effectiveness summary.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use mosaic_types::Root;
use serde::Serialize;

use crate::chain::Chain;
use crate::containers::AttestationData;

/// Records kept at most (older ones are dropped first).
const MAX_RECORDS: usize = 1_000_000;

/// A duty type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DutyKind {
    /// Attestation.
    Attestation,
    /// Block proposal.
    Proposal,
    /// Aggregate and proof.
    Aggregate,
    /// Sync committee message.
    SyncMessage,
    /// Sync committee contribution and proof.
    SyncContribution,
    /// Voluntary exit.
    Exit,
    /// Builder registration.
    Registration,
}

impl DutyKind {
    /// Every kind, in report order.
    pub const ALL: [DutyKind; 7] = [
        Self::Attestation,
        Self::Proposal,
        Self::Aggregate,
        Self::SyncMessage,
        Self::SyncContribution,
        Self::Exit,
        Self::Registration,
    ];

    /// snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Attestation => "attestation",
            Self::Proposal => "proposal",
            Self::Aggregate => "aggregate",
            Self::SyncMessage => "sync_message",
            Self::SyncContribution => "sync_contribution",
            Self::Exit => "exit",
            Self::Registration => "registration",
        }
    }
}

/// What a submission voted for, to judge it against the canonical chain later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Vote {
    /// Attestation data (attestations and aggregates).
    Attestation(AttestationData),
    /// A block root (sync messages and contributions, proposals).
    Root(Root),
    /// Nothing to judge (exits, registrations).
    None,
}

/// One accepted submission.
#[derive(Debug, Clone, Serialize)]
pub struct Submission {
    /// Validator index.
    pub validator_index: u64,
    /// Duty kind.
    pub kind: DutyKind,
    /// Duty slot.
    pub slot: u64,
    /// Arrival, milliseconds after the duty slot's start (negative if early).
    pub arrival_ms: i64,
    /// What it voted for.
    pub vote: Vote,
}

/// A judged submission.
#[derive(Debug, Clone, Serialize)]
pub struct Judged {
    /// The submission.
    #[serde(flatten)]
    pub submission: Submission,
    /// Whether it would be included and count fully.
    pub included: bool,
    /// Why not, if not.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<String>,
}

/// Per-kind effectiveness.
#[derive(Debug, Clone, Default, Serialize)]
pub struct KindSummary {
    /// Duties the explicit validators had, where the chain knows them (attestations,
    /// proposals, sync messages over completed slots).
    pub expected: Option<u64>,
    /// Submissions accepted.
    pub received: u64,
    /// Of those, would be included and count fully.
    pub included: u64,
    /// Mean arrival, ms after slot start.
    pub mean_arrival_ms: Option<f64>,
    /// Latest arrival, ms after slot start.
    pub max_arrival_ms: Option<i64>,
}

/// The recorder.
#[derive(Debug, Default)]
pub struct Recorder {
    submissions: Vec<Submission>,
}

impl Recorder {
    /// Adds a submission.
    pub fn record(&mut self, submission: Submission) {
        if self.submissions.len() >= MAX_RECORDS {
            self.submissions.drain(..MAX_RECORDS / 10);
        }
        self.submissions.push(submission);
    }

    /// Everything recorded.
    pub fn submissions(&self) -> &[Submission] {
        &self.submissions
    }

    /// Forgets everything (chain reset).
    pub fn clear(&mut self) {
        self.submissions.clear();
    }

    /// Whether `validator` submitted anything for a slot of `epoch`.
    pub fn is_live(&self, validator: u64, epoch: u64, slots_per_epoch: u64) -> bool {
        self.submissions
            .iter()
            .any(|s| s.validator_index == validator && s.slot / slots_per_epoch == epoch)
    }

    /// Judges every submission against `chain`'s canonical blocks.
    pub fn judge(&self, chain: &Chain) -> Vec<Judged> {
        self.submissions
            .iter()
            .map(|s| judge_one(chain, s))
            .collect()
    }

    /// Per-kind effectiveness over what is recorded; `expected` counts the explicit validators'
    /// duties over completed slots.
    pub fn summary(&self, chain: &mut Chain) -> BTreeMap<DutyKind, KindSummary> {
        let judged = self.judge(chain);
        let mut out: BTreeMap<DutyKind, KindSummary> = DutyKind::ALL
            .iter()
            .map(|k| (*k, KindSummary::default()))
            .collect();
        let mut sums: BTreeMap<DutyKind, i64> = BTreeMap::new();
        for j in &judged {
            let entry = out.entry(j.submission.kind).or_default();
            entry.received += 1;
            entry.included += u64::from(j.included);
            entry.max_arrival_ms = Some(
                entry
                    .max_arrival_ms
                    .map_or(j.submission.arrival_ms, |m| m.max(j.submission.arrival_ms)),
            );
            *sums.entry(j.submission.kind).or_default() += j.submission.arrival_ms;
        }
        for (kind, sum) in sums {
            if let Some(entry) = out.get_mut(&kind) {
                entry.mean_arrival_ms = Some(sum as f64 / entry.received.max(1) as f64);
            }
        }
        let (attestations, proposals, sync_messages) = expected_duties(chain);
        if let Some(e) = out.get_mut(&DutyKind::Attestation) {
            e.expected = Some(attestations);
        }
        if let Some(e) = out.get_mut(&DutyKind::Proposal) {
            e.expected = Some(proposals);
        }
        if let Some(e) = out.get_mut(&DutyKind::SyncMessage) {
            e.expected = Some(sync_messages);
        }
        out
    }

    /// The summary as text, one line per duty kind.
    pub fn summary_text(&self, chain: &mut Chain) -> String {
        let mut text = String::from(
            "duty               expected  received  included  effectiveness  mean_ms  max_ms\n",
        );
        for (kind, s) in self.summary(chain) {
            let effectiveness = match s.expected {
                Some(0) | None if s.received == 0 => "-".to_string(),
                Some(expected) if expected > 0 => {
                    format!("{:.1}%", 100.0 * s.included as f64 / expected as f64)
                }
                _ => format!(
                    "{:.1}%",
                    100.0 * s.included as f64 / s.received.max(1) as f64
                ),
            };
            let _ = writeln!(
                text,
                "{:<18} {:>8}  {:>8}  {:>8}  {:>13}  {:>7}  {:>6}",
                kind.as_str(),
                s.expected.map_or("-".into(), |e| e.to_string()),
                s.received,
                s.included,
                effectiveness,
                s.mean_arrival_ms.map_or("-".into(), |m| format!("{m:.0}")),
                s.max_arrival_ms.map_or("-".into(), |m| m.to_string()),
            );
        }
        text
    }
}

/// Attestation, proposal and sync-message duties of the explicit validators over the slots
/// that have ended (slot 1 up to the one before the processed slot).
fn expected_duties(chain: &mut Chain) -> (u64, u64, u64) {
    let explicit = chain.config().validators.len() as u64;
    let last = chain.processed_slot();
    let (mut attestations, mut proposals, mut sync_messages) = (0, 0, 0);
    for slot in 1..last {
        let epoch = chain.epoch_of(slot);
        let duties = chain.epoch_duties(epoch);
        attestations += (0..explicit)
            .filter(|v| duties.attesters[*v as usize].is_some_and(|d| d.slot == slot))
            .count() as u64;
        if chain.is_explicit(duties.proposers[(slot % chain.slots_per_epoch()) as usize]) {
            proposals += 1;
        }
        let committee = chain.sync_committee(chain.sync_period(epoch));
        sync_messages += (0..explicit)
            .filter(|v| committee.positions.contains_key(v))
            .count() as u64;
    }
    (attestations, proposals, sync_messages)
}

fn judge_one(chain: &Chain, s: &Submission) -> Judged {
    let slot_ms = chain.config().slot_ms() as i64;
    let spe = chain.slots_per_epoch() as i64;
    let mut faults = Vec::new();
    match (&s.kind, &s.vote) {
        (DutyKind::Attestation | DutyKind::Aggregate, Vote::Attestation(data)) => {
            let expected = chain.attestation_data(data.slot, data.index);
            if data.beacon_block_root != expected.beacon_block_root {
                faults.push(format!(
                    "wrong head {} (canonical {})",
                    data.beacon_block_root, expected.beacon_block_root
                ));
            }
            if data.target != expected.target {
                faults.push(format!(
                    "wrong target epoch {} root {}",
                    data.target.epoch, data.target.root
                ));
            }
            if data.source != expected.source {
                faults.push(format!(
                    "wrong source epoch {} root {}",
                    data.source.epoch, data.source.root
                ));
            }
            // Head counts if included in the next slot's block: arrival before it starts.
            if s.arrival_ms >= slot_ms {
                faults.push(format!(
                    "late: {} ms after slot start (head timely before {slot_ms} ms)",
                    s.arrival_ms
                ));
            }
            if s.arrival_ms >= slot_ms * spe {
                faults.push("outside the one-epoch target inclusion window".into());
            }
        }
        (DutyKind::SyncMessage | DutyKind::SyncContribution, Vote::Root(root)) => {
            let canonical = chain.head_at(s.slot).root;
            if *root != canonical {
                faults.push(format!("wrong head {root} (canonical {canonical})"));
            }
            if s.arrival_ms >= slot_ms {
                faults.push(format!("late: {} ms after slot start", s.arrival_ms));
            }
        }
        (DutyKind::Proposal, Vote::Root(root))
            if chain.block_at(s.slot).map(|b| b.root) != Some(*root) =>
        {
            faults.push("block is not canonical".into());
        }
        _ => {}
    }
    Judged {
        submission: s.clone(),
        included: faults.is_empty(),
        faults,
    }
}
