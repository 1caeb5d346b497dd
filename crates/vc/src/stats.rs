//! Counters per duty kind: signed, submitted, failed and refused by the guard.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A kind of validator duty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DutyKind {
    /// Block proposal.
    Proposal,
    /// Attestation.
    Attestation,
    /// Aggregate and proof.
    Aggregation,
    /// Sync committee message.
    SyncMessage,
    /// Sync committee contribution and proof.
    SyncContribution,
    /// Builder (MEV) validator registration.
    Registration,
    /// Voluntary exit.
    Exit,
}

impl DutyKind {
    /// Every kind, in report order.
    pub const ALL: [DutyKind; 7] = [
        Self::Proposal,
        Self::Attestation,
        Self::Aggregation,
        Self::SyncMessage,
        Self::SyncContribution,
        Self::Registration,
        Self::Exit,
    ];

    /// snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proposal => "proposal",
            Self::Attestation => "attestation",
            Self::Aggregation => "aggregation",
            Self::SyncMessage => "sync_message",
            Self::SyncContribution => "sync_contribution",
            Self::Registration => "registration",
            Self::Exit => "exit",
        }
    }

    fn position(self) -> usize {
        self as usize
    }
}

impl fmt::Display for DutyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A snapshot of one duty kind's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DutyCounts {
    /// Signatures made (one per validator and duty).
    pub signed: u64,
    /// Signed objects the beacon node accepted.
    pub submitted: u64,
    /// Duties that did not complete: data not available, beacon node refused the submission
    /// (for example a 400 for a bad signature), deadline passed.
    pub failed: u64,
    /// Duties the [`crate::SigningGuard`] refused to sign.
    pub refused: u64,
}

#[derive(Debug, Default)]
struct Counters {
    signed: AtomicU64,
    submitted: AtomicU64,
    failed: AtomicU64,
    refused: AtomicU64,
}

/// The client's duty counters, shared (see [`crate::ValidatorClient::stats`]).
#[derive(Debug, Default)]
pub struct VcStats {
    kinds: [Counters; DutyKind::ALL.len()],
}

impl VcStats {
    /// The counters of `kind` now.
    pub fn counts(&self, kind: DutyKind) -> DutyCounts {
        let c = &self.kinds[kind.position()];
        DutyCounts {
            signed: c.signed.load(Ordering::Relaxed),
            submitted: c.submitted.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
            refused: c.refused.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn add_signed(&self, kind: DutyKind, n: u64) {
        self.kinds[kind.position()]
            .signed
            .fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn add_submitted(&self, kind: DutyKind, n: u64) {
        self.kinds[kind.position()]
            .submitted
            .fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn add_failed(&self, kind: DutyKind, n: u64) {
        self.kinds[kind.position()]
            .failed
            .fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn add_refused(&self, kind: DutyKind, n: u64) {
        self.kinds[kind.position()]
            .refused
            .fetch_add(n, Ordering::Relaxed);
    }
}

/// The outcome accounting of one duty task: every item it expects ends up counted exactly
/// once as submitted, failed or refused, including the items still open when the task's
/// deadline passes ([`Tally::expire`]).
#[derive(Debug)]
pub(crate) struct Tally {
    stats: Arc<VcStats>,
    kind: DutyKind,
    expected: AtomicU64,
    settled: AtomicU64,
}

impl Tally {
    /// A tally of `expected` items of `kind`.
    pub(crate) fn new(stats: &Arc<VcStats>, kind: DutyKind, expected: u64) -> Self {
        Self {
            stats: Arc::clone(stats),
            kind,
            expected: AtomicU64::new(expected),
            settled: AtomicU64::new(0),
        }
    }

    /// The duty kind.
    pub(crate) fn kind(&self) -> DutyKind {
        self.kind
    }

    /// Sets how many items the task will settle (once it knows, e.g. its aggregators).
    pub(crate) fn expect(&self, expected: u64) {
        self.expected.store(expected, Ordering::Relaxed);
    }

    /// `n` items signed (not an outcome: they still need one).
    pub(crate) fn signed(&self, n: u64) {
        self.stats.add_signed(self.kind, n);
    }

    /// `n` items accepted by the beacon node.
    pub(crate) fn submitted(&self, n: u64) {
        self.stats.add_submitted(self.kind, n);
        self.settled.fetch_add(n, Ordering::Relaxed);
    }

    /// `n` items failed.
    pub(crate) fn failed(&self, n: u64) {
        self.stats.add_failed(self.kind, n);
        self.settled.fetch_add(n, Ordering::Relaxed);
    }

    /// `n` items refused by the signing guard.
    pub(crate) fn refused(&self, n: u64) {
        self.stats.add_refused(self.kind, n);
        self.settled.fetch_add(n, Ordering::Relaxed);
    }

    /// The deadline passed: every item without an outcome failed. Returns how many.
    pub(crate) fn expire(&self) -> u64 {
        let open = self
            .expected
            .load(Ordering::Relaxed)
            .saturating_sub(self.settled.load(Ordering::Relaxed));
        self.failed(open);
        open
    }
}

impl fmt::Display for VcStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "duty               signed  submitted  failed  refused")?;
        for kind in DutyKind::ALL {
            let c = self.counts(kind);
            writeln!(
                f,
                "{:<18} {:>6}  {:>9}  {:>6}  {:>7}",
                kind.as_str(),
                c.signed,
                c.submitted,
                c.failed,
                c.refused
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_kept_per_kind() {
        let stats = VcStats::default();
        stats.add_signed(DutyKind::Attestation, 3);
        stats.add_submitted(DutyKind::Attestation, 2);
        stats.add_failed(DutyKind::Attestation, 1);
        stats.add_refused(DutyKind::Proposal, 1);
        assert_eq!(
            stats.counts(DutyKind::Attestation),
            DutyCounts {
                signed: 3,
                submitted: 2,
                failed: 1,
                refused: 0
            }
        );
        assert_eq!(stats.counts(DutyKind::Proposal).refused, 1);
        assert_eq!(stats.counts(DutyKind::Exit), DutyCounts::default());
        assert!(stats.to_string().contains("attestation"));
    }

    #[test]
    fn a_tally_fails_exactly_the_open_items_when_it_expires() {
        let stats = Arc::new(VcStats::default());
        let tally = Tally::new(&stats, DutyKind::SyncMessage, 5);
        tally.signed(4);
        tally.refused(1);
        tally.failed(1);
        tally.submitted(2);
        assert_eq!(tally.expire(), 1);
        assert_eq!(
            stats.counts(DutyKind::SyncMessage),
            DutyCounts {
                signed: 4,
                submitted: 2,
                failed: 2,
                refused: 1
            }
        );
        let done = Tally::new(&stats, DutyKind::Proposal, 1);
        done.submitted(1);
        assert_eq!(done.expire(), 0, "nothing open");
        let late = Tally::new(&stats, DutyKind::Aggregation, 0);
        late.expect(3);
        assert_eq!(late.expire(), 3);
    }
}
