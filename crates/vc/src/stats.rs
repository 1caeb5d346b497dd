//! Counters per duty kind: signed, submitted, failed and refused by the guard.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

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
}
