//! Duties: `(slot, duty type)` for the whole cluster, and the signing roots signed for them.
//!
//! The duty type and its wire numbers (Charon's `core.DutyType`) are defined once, in
//! `mosaic-qbft` (a duty is also the consensus instance identifier); this module re-exports
//! them so pipeline code has one import path.

pub use mosaic_qbft::duty::{Duty, DutyType};

/// The 32-byte root a partial signature signs: `compute_signing_root(object, domain)` of the
/// duty's object, per the consensus specs.
pub type SigningRoot = [u8; 32];

#[cfg(test)]
mod tests {
    use super::*;

    /// Charon's `core.DutyType` numbering (Obol spec, `proto/core/corepb/v1/core.proto`);
    /// 0 is "unknown" and never a valid duty.
    #[test]
    fn duty_type_codes_match_charon() {
        let expected = [
            (DutyType::Proposer, 1),
            (DutyType::Attester, 2),
            (DutyType::Signature, 3),
            (DutyType::Exit, 4),
            (DutyType::BuilderProposer, 5),
            (DutyType::BuilderRegistration, 6),
            (DutyType::Randao, 7),
            (DutyType::PrepareAggregator, 8),
            (DutyType::Aggregator, 9),
            (DutyType::SyncMessage, 10),
            (DutyType::PrepareSyncContribution, 11),
            (DutyType::SyncContribution, 12),
            (DutyType::InfoSync, 13),
        ];
        for (duty_type, code) in expected {
            assert_eq!(duty_type.to_wire(), code, "{duty_type:?}");
            assert_eq!(DutyType::from_wire(code), Some(duty_type));
        }
        assert_eq!(DutyType::from_wire(0), None);
        assert_eq!(DutyType::from_wire(14), None);
    }

    #[test]
    fn duties_order_by_slot_first() {
        let early = Duty::new(5, DutyType::SyncContribution);
        let late = Duty::new(6, DutyType::Proposer);
        assert!(early < late);
        assert_ne!(
            Duty::new(5, DutyType::Attester),
            Duty::new(5, DutyType::Aggregator)
        );
    }
}
