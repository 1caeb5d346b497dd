//! What arrived from validators, when, and whether it would have been included; with a
//! per-duty effectiveness summary.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::ops::RangeInclusive;

use mosaic_types::Root;
use serde::Serialize;

use crate::chain::Chain;
use crate::containers::AttestationData;

/// Records kept individually; beyond this the oldest tenth is judged and folded into per-kind
/// totals by [`Recorder::compact`].
const MAX_RECORDS: usize = 1_000_000;
/// Records kept at most even if nobody compacts (older ones are then dropped unjudged).
const HARD_LIMIT: usize = 2 * MAX_RECORDS;

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
    /// proposals, sync messages from slot 1 to the current slot).
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

/// Two different validly signed blocks for one slot by one proposer: a slashable offence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DoubleProposal {
    /// The slot.
    pub slot: u64,
    /// The proposer.
    pub proposer_index: u64,
    /// The root of the first block published.
    pub first_root: Root,
    /// The root of the conflicting block.
    pub second_root: Root,
}

/// How two attestations by one validator make it slashable (consensus-specs
/// `is_slashable_attestation_data`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttestationOffence {
    /// Two different attestation data for one target epoch.
    DoubleVote,
    /// One vote's source-to-target span strictly surrounds the other's.
    SurroundVote,
}

/// Two validly signed attestations by one validator that would get it slashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SlashableAttestation {
    /// The validator.
    pub validator_index: u64,
    /// Double or surround vote.
    pub offence: AttestationOffence,
    /// The attestation data received first.
    pub first: AttestationData,
    /// The conflicting attestation data received later.
    pub second: AttestationData,
}

/// Distinct attestation data kept per validator to find double and surround votes against
/// (the most recent ones: an honest validator signs one per epoch).
const VOTES_KEPT: usize = 8;

/// Whether `a` and `b` (different data) would get their signer slashed, and how.
pub fn attestation_offence(a: &AttestationData, b: &AttestationData) -> Option<AttestationOffence> {
    if a == b {
        return None;
    }
    if a.target.epoch == b.target.epoch {
        return Some(AttestationOffence::DoubleVote);
    }
    let surrounds = |outer: &AttestationData, inner: &AttestationData| {
        outer.source.epoch < inner.source.epoch && inner.target.epoch < outer.target.epoch
    };
    (surrounds(a, b) || surrounds(b, a)).then_some(AttestationOffence::SurroundVote)
}

/// Totals of judged submissions no longer kept one by one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Archived {
    received: u64,
    included: u64,
    arrival_sum_ms: i64,
    max_arrival_ms: Option<i64>,
}

/// The recorder.
#[derive(Debug)]
pub struct Recorder {
    submissions: Vec<Submission>,
    double_proposals: Vec<DoubleProposal>,
    /// Per validator, the distinct attestation data it signed most recently.
    votes: BTreeMap<u64, Vec<AttestationData>>,
    slashable_attestations: Vec<SlashableAttestation>,
    /// Each imported block's slot, and whether it was blinded.
    blocks: BTreeMap<u64, bool>,
    archived: BTreeMap<DutyKind, Archived>,
    limit: usize,
}

impl Default for Recorder {
    fn default() -> Self {
        Self::with_limit(MAX_RECORDS)
    }
}

impl Recorder {
    /// A recorder that keeps `limit` submissions one by one before [`Recorder::compact`] folds
    /// the oldest into totals.
    pub fn with_limit(limit: usize) -> Self {
        Self {
            submissions: Vec::new(),
            double_proposals: Vec::new(),
            votes: BTreeMap::new(),
            slashable_attestations: Vec::new(),
            blocks: BTreeMap::new(),
            archived: BTreeMap::new(),
            limit: limit.max(10),
        }
    }

    /// Adds a submission; an attestation that conflicts with one its validator signed before
    /// (a double or surround vote) is also recorded as slashable.
    pub fn record(&mut self, submission: Submission) {
        if let (DutyKind::Attestation, Vote::Attestation(data)) = (submission.kind, submission.vote)
        {
            self.check_vote(submission.validator_index, data);
        }
        let hard_limit = HARD_LIMIT.max(2 * self.limit);
        if self.submissions.len() >= hard_limit {
            self.submissions.drain(..self.limit / 10);
        }
        self.submissions.push(submission);
    }

    /// Once more than the limit is kept, judges the oldest tenth against `chain` (their slots
    /// are long final) and keeps only their per-kind totals, so the summary stays exact on long
    /// runs. The simulator calls this every slot.
    pub fn compact(&mut self, chain: &Chain) {
        if self.submissions.len() <= self.limit {
            return;
        }
        let oldest: Vec<Submission> = self.submissions.drain(..self.limit / 10).collect();
        for submission in &oldest {
            let judged = judge_one(chain, submission);
            let entry = self.archived.entry(submission.kind).or_default();
            entry.received += 1;
            entry.included += u64::from(judged.included);
            entry.arrival_sum_ms += submission.arrival_ms;
            entry.max_arrival_ms = Some(
                entry
                    .max_arrival_ms
                    .map_or(submission.arrival_ms, |m| m.max(submission.arrival_ms)),
            );
        }
    }

    /// Everything recorded.
    pub fn submissions(&self) -> &[Submission] {
        &self.submissions
    }

    fn check_vote(&mut self, validator_index: u64, data: AttestationData) {
        let votes = self.votes.entry(validator_index).or_default();
        if votes.contains(&data) {
            return;
        }
        for first in votes.iter() {
            if let Some(offence) = attestation_offence(first, &data) {
                self.slashable_attestations.push(SlashableAttestation {
                    validator_index,
                    offence,
                    first: *first,
                    second: data,
                });
            }
        }
        if votes.len() == VOTES_KEPT {
            votes.remove(0);
        }
        votes.push(data);
    }

    /// Every double or surround vote seen.
    pub fn slashable_attestations(&self) -> &[SlashableAttestation] {
        &self.slashable_attestations
    }

    /// Records a block imported at `slot`, `blinded` if its payload was revealed by the
    /// simulated builder.
    pub fn record_block(&mut self, slot: u64, blinded: bool) {
        self.blocks.insert(slot, blinded);
    }

    /// Blinded blocks imported at `slots` (a run's window: the nodes may still publish a block
    /// after its last slot, before they are stopped).
    pub fn blinded_blocks(&self, slots: RangeInclusive<u64>) -> u64 {
        self.blocks
            .range(slots)
            .filter(|(_, blinded)| **blinded)
            .count() as u64
    }

    /// Slots of the full (not blinded) blocks imported at `slots`, ascending.
    pub fn full_block_slots(&self, slots: RangeInclusive<u64>) -> Vec<u64> {
        self.blocks
            .range(slots)
            .filter(|(_, blinded)| !**blinded)
            .map(|(slot, _)| *slot)
            .collect()
    }

    /// The offences seen, as JSON: `{"double_proposals": [...], "attestations": [...]}`.
    pub fn slashable_json(&self) -> serde_json::Value {
        serde_json::json!({
            "double_proposals": self.double_proposals,
            "attestations": self.slashable_attestations,
        })
    }

    /// Records a slashable double proposal.
    pub fn record_double_proposal(&mut self, offence: DoubleProposal) {
        if !self.double_proposals.contains(&offence) {
            self.double_proposals.push(offence);
        }
    }

    /// Every double proposal seen.
    pub fn double_proposals(&self) -> &[DoubleProposal] {
        &self.double_proposals
    }

    /// Forgets everything (chain reset).
    pub fn clear(&mut self) {
        self.submissions.clear();
        self.double_proposals.clear();
        self.votes.clear();
        self.slashable_attestations.clear();
        self.blocks.clear();
        self.archived.clear();
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
    /// duties from slot 1 to the current slot.
    pub fn summary(&self, chain: &mut Chain) -> BTreeMap<DutyKind, KindSummary> {
        let judged = self.judge(chain);
        let mut out: BTreeMap<DutyKind, KindSummary> = DutyKind::ALL
            .iter()
            .map(|k| (*k, KindSummary::default()))
            .collect();
        let mut sums: BTreeMap<DutyKind, i64> = BTreeMap::new();
        for (kind, archived) in &self.archived {
            let entry = out.entry(*kind).or_default();
            entry.received += archived.received;
            entry.included += archived.included;
            entry.max_arrival_ms = archived.max_arrival_ms;
            *sums.entry(*kind).or_default() += archived.arrival_sum_ms;
        }
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
        let _ = writeln!(
            text,
            "slashable: {} double proposals, {} double or surround votes",
            self.double_proposals.len(),
            self.slashable_attestations.len()
        );
        text
    }
}

/// Attestation, proposal and sync-message duties of the explicit validators from slot 1 up to
/// the current (processed) slot: submissions for the current slot count as received, so its
/// duties count as expected too (effectiveness never exceeds 100 %).
fn expected_duties(chain: &mut Chain) -> (u64, u64, u64) {
    let explicit = chain.config().validators.len() as u64;
    let last = chain.processed_slot();
    let (mut attestations, mut proposals, mut sync_messages) = (0, 0, 0);
    for slot in 1..=last {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SimConfig;

    fn vote(source: u64, target: u64, head: u8) -> AttestationData {
        use crate::containers::Checkpoint;
        AttestationData {
            slot: target * 8,
            index: 0,
            beacon_block_root: Root([head; 32]),
            source: Checkpoint {
                epoch: source,
                root: Root([0; 32]),
            },
            target: Checkpoint {
                epoch: target,
                root: Root([0; 32]),
            },
        }
    }

    #[test]
    fn double_and_surround_votes_are_offences_and_their_neighbours_are_not() {
        use AttestationOffence::{DoubleVote, SurroundVote};
        // The same data twice is a repeat, not an offence.
        assert_eq!(attestation_offence(&vote(1, 2, 1), &vote(1, 2, 1)), None);
        // Same target, another head: double vote; the next target: none.
        assert_eq!(
            attestation_offence(&vote(1, 2, 1), &vote(1, 2, 2)),
            Some(DoubleVote)
        );
        assert_eq!(attestation_offence(&vote(1, 2, 1), &vote(1, 3, 2)), None);
        // (1, 4) surrounds (2, 3), both ways round; sharing an end (1, 3) vs (2, 3) or (1, 4)
        // vs (1, 3) is no surround (and (1, 3) vs (2, 3) is a double vote by target).
        assert_eq!(
            attestation_offence(&vote(1, 4, 1), &vote(2, 3, 1)),
            Some(SurroundVote)
        );
        assert_eq!(
            attestation_offence(&vote(2, 3, 1), &vote(1, 4, 1)),
            Some(SurroundVote)
        );
        assert_eq!(attestation_offence(&vote(1, 4, 1), &vote(1, 3, 1)), None);
        assert_eq!(attestation_offence(&vote(2, 4, 1), &vote(1, 3, 1)), None);
    }

    #[test]
    fn the_recorder_reports_conflicting_attestations_of_one_validator_only() {
        fn submit(
            recorder: &mut Recorder,
            validator_index: u64,
            kind: DutyKind,
            data: AttestationData,
        ) {
            recorder.record(Submission {
                validator_index,
                kind,
                slot: 16,
                arrival_ms: 0,
                vote: Vote::Attestation(data),
            });
        }
        let mut recorder = Recorder::default();
        let r = &mut recorder;
        submit(r, 1, DutyKind::Attestation, vote(1, 2, 1));
        submit(r, 1, DutyKind::Attestation, vote(1, 2, 1)); // repeated: fine
        submit(r, 2, DutyKind::Attestation, vote(1, 2, 2)); // another validator: fine
        submit(r, 1, DutyKind::Aggregate, vote(1, 2, 3)); // an aggregate: not its own vote
        submit(r, 1, DutyKind::Attestation, vote(2, 3, 1)); // the next epoch: fine
        assert!(r.slashable_attestations().is_empty());
        submit(r, 1, DutyKind::Attestation, vote(1, 2, 4));
        submit(r, 2, DutyKind::Attestation, vote(0, 3, 2));
        let found: Vec<(u64, AttestationOffence)> = recorder
            .slashable_attestations()
            .iter()
            .map(|s| (s.validator_index, s.offence))
            .collect();
        assert_eq!(
            found,
            vec![
                (1, AttestationOffence::DoubleVote),
                (2, AttestationOffence::SurroundVote)
            ]
        );
        assert_eq!(recorder.slashable_attestations()[0].first, vote(1, 2, 1));
        recorder.clear();
        assert!(recorder.slashable_attestations().is_empty());
    }

    #[test]
    fn compaction_keeps_the_summary_exact() {
        let mut config = SimConfig::new(1_000);
        config.filler_validators = 16;
        let mut chain = Chain::new(config).unwrap();
        chain.advance_to(20);
        let mut recorder = Recorder::with_limit(10);
        for i in 0..40u64 {
            let slot = 1 + i % 16;
            let mut data = chain.attestation_data(slot, 0);
            if i % 3 == 0 {
                data.beacon_block_root = Root([1; 32]); // a wrong head: not included
            }
            recorder.record(Submission {
                validator_index: i % 16,
                kind: if i % 5 == 0 {
                    DutyKind::Aggregate
                } else {
                    DutyKind::Attestation
                },
                slot,
                arrival_ms: (i * 37 % 1500) as i64,
                vote: Vote::Attestation(data),
            });
        }
        let before = recorder.summary(&mut chain);
        while recorder.submissions().len() > 10 {
            recorder.compact(&chain);
        }
        assert_eq!(recorder.submissions().len(), 10);
        recorder.compact(&chain);
        assert_eq!(
            recorder.submissions().len(),
            10,
            "nothing to do at the limit"
        );
        let after = recorder.summary(&mut chain);
        for kind in DutyKind::ALL {
            let (b, a) = (&before[&kind], &after[&kind]);
            assert_eq!(
                (b.received, b.included, b.max_arrival_ms, b.expected),
                (a.received, a.included, a.max_arrival_ms, a.expected),
                "{kind:?}"
            );
            assert_eq!(b.mean_arrival_ms, a.mean_arrival_ms, "{kind:?}");
        }
        assert!(before[&DutyKind::Attestation].included < before[&DutyKind::Attestation].received);
        recorder.clear();
        assert_eq!(
            recorder.summary(&mut chain)[&DutyKind::Attestation].received,
            0
        );
    }

    #[test]
    fn block_counts_keep_to_the_slots_asked_for() {
        let mut recorder = Recorder::default();
        recorder.record_block(3, false);
        recorder.record_block(9, true);
        recorder.record_block(23, true);
        // Published after a run's last slot, before its nodes stopped.
        recorder.record_block(24, true);
        assert_eq!(recorder.blinded_blocks(1..=23), 2);
        assert_eq!(recorder.blinded_blocks(1..=24), 3);
        assert_eq!(recorder.blinded_blocks(10..=22), 0);
        assert_eq!(recorder.full_block_slots(1..=23), vec![3]);
        assert_eq!(recorder.full_block_slots(4..=23), Vec::<u64>::new());
        assert_eq!(recorder.full_block_slots(3..=3), vec![3]);
    }
}
