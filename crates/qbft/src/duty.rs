//! Duties: the consensus instance identifier `(slot, duty type)`.

use crate::pb;

/// The type of a duty, as numbered on the wire (`core.DutyType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(i32)]
pub enum DutyType {
    /// Block proposal.
    Proposer = 1,
    /// Attestation.
    Attester = 2,
    /// Generic signature.
    Signature = 3,
    /// Voluntary exit.
    Exit = 4,
    /// Builder block proposal (deprecated by v3 block proposals).
    BuilderProposer = 5,
    /// Builder registration.
    BuilderRegistration = 6,
    /// RANDAO reveal.
    Randao = 7,
    /// Aggregation selection proof.
    PrepareAggregator = 8,
    /// Aggregate attestation.
    Aggregator = 9,
    /// Sync committee message.
    SyncMessage = 10,
    /// Sync committee selection proof.
    PrepareSyncContribution = 11,
    /// Sync committee contribution.
    SyncContribution = 12,
    /// Cluster info sync (priority protocol).
    InfoSync = 13,
}

impl DutyType {
    /// Every valid duty type, in wire order.
    pub const ALL: [DutyType; 13] = [
        Self::Proposer,
        Self::Attester,
        Self::Signature,
        Self::Exit,
        Self::BuilderProposer,
        Self::BuilderRegistration,
        Self::Randao,
        Self::PrepareAggregator,
        Self::Aggregator,
        Self::SyncMessage,
        Self::PrepareSyncContribution,
        Self::SyncContribution,
        Self::InfoSync,
    ];

    /// Charon's lower-case name of the duty type (`attester`, `sync_contribution`, ...), used
    /// in logs and metric labels.
    pub fn name(self) -> &'static str {
        match self {
            Self::Proposer => "proposer",
            Self::Attester => "attester",
            Self::Signature => "signature",
            Self::Exit => "exit",
            Self::BuilderProposer => "builder_proposer",
            Self::BuilderRegistration => "builder_registration",
            Self::Randao => "randao",
            Self::PrepareAggregator => "prepare_aggregator",
            Self::Aggregator => "aggregator",
            Self::SyncMessage => "sync_message",
            Self::PrepareSyncContribution => "prepare_sync_contribution",
            Self::SyncContribution => "sync_contribution",
            Self::InfoSync => "info_sync",
        }
    }

    /// Returns the duty type numbered `value` on the wire; `None` for 0
    /// (unknown) and anything past the last type, which receivers reject.
    pub fn from_wire(value: i32) -> Option<Self> {
        usize::try_from(value)
            .ok()
            .and_then(|v| v.checked_sub(1))
            .and_then(|i| Self::ALL.get(i))
            .copied()
    }

    /// The wire number of this duty type.
    pub fn to_wire(self) -> i32 {
        self as i32
    }
}

/// A duty: one consensus instance per `(slot, type)` for the whole cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Duty {
    /// Beacon chain slot.
    pub slot: u64,
    /// Duty type.
    pub duty_type: DutyType,
}

impl Duty {
    /// Creates a duty.
    pub fn new(slot: u64, duty_type: DutyType) -> Self {
        Self { slot, duty_type }
    }

    /// The wire form.
    pub fn to_pb(self) -> pb::Duty {
        pb::Duty {
            slot: self.slot,
            r#type: self.duty_type.to_wire(),
        }
    }

    /// Parses the wire form; `None` when the duty type is not valid.
    pub fn from_pb(duty: &pb::Duty) -> Option<Self> {
        DutyType::from_wire(duty.r#type).map(|duty_type| Self {
            slot: duty.slot,
            duty_type,
        })
    }
}

impl std::fmt::Display for DutyType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::fmt::Display for Duty {
    /// `<slot>/<type>`, as Charon logs duties.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.slot, self.duty_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duty_type_bounds() {
        assert_eq!(DutyType::from_wire(0), None);
        assert_eq!(DutyType::from_wire(1), Some(DutyType::Proposer));
        assert_eq!(DutyType::from_wire(13), Some(DutyType::InfoSync));
        assert_eq!(DutyType::from_wire(14), None);
        assert_eq!(DutyType::from_wire(-1), None);
        for t in DutyType::ALL {
            assert_eq!(DutyType::from_wire(t.to_wire()), Some(t));
        }
    }
}
