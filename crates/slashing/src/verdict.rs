//! The verdicts of a check: [`Safe`] to sign, or [`NotSafe`] with the exact reason.

use crate::error::Error;
use crate::hex_display::Hex;

/// Why a message may be signed. Either way the record is durable before the verdict is returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Safe {
    /// A new message: it was recorded and may be signed.
    Valid,
    /// The very message (same signing root) was signed before; re-signing it is harmless.
    SameData,
}

/// Why a message must not be signed.
///
/// Every variant except [`NotSafe::Database`] and [`NotSafe::ValueOutOfRange`] is a refusal
/// under an EIP-3076 condition; the fields name the record that forbids the message.
#[derive(Debug, thiserror::Error)]
pub enum NotSafe {
    /// The public key was never registered (nor imported) in this namespace.
    #[error("validator {pubkey} is not registered in this slashing protection namespace")]
    UnregisteredValidator {
        /// The unknown public key.
        pubkey: Hex<48>,
    },
    /// A different block (or one of unknown signing root) was already signed at this slot.
    #[error(
        "double block proposal: a block with signing root {} was already signed at slot {slot}",
        root_text(existing_signing_root)
    )]
    DoubleBlockProposal {
        /// The slot asked for.
        slot: u64,
        /// The signing root on record (`None` when unknown).
        existing_signing_root: Option<Hex<32>>,
    },
    /// The slot is below the validator's lowest signed slot (EIP-3076 condition 2).
    #[error("block slot {slot} is below the lowest signed slot {min_slot} (low watermark)")]
    BlockBelowLowWatermark {
        /// The slot asked for.
        slot: u64,
        /// The lowest slot on record.
        min_slot: u64,
    },
    /// The attestation's source epoch is greater than its target epoch.
    #[error("attestation source epoch {source_epoch} exceeds target epoch {target_epoch}")]
    SourceExceedsTarget {
        /// The source epoch asked for.
        source_epoch: u64,
        /// The target epoch asked for.
        target_epoch: u64,
    },
    /// A different attestation (or one of unknown signing root) has the same target epoch.
    #[error(
        "double vote: attestation {existing_source}->{target_epoch} with signing root {} \
         was already signed for target epoch {target_epoch}",
        root_text(existing_signing_root)
    )]
    DoubleVote {
        /// The target epoch asked for.
        target_epoch: u64,
        /// The source epoch of the attestation on record.
        existing_source: u64,
        /// The signing root on record (`None` when unknown).
        existing_signing_root: Option<Hex<32>>,
    },
    /// The new attestation surrounds one on record (`source < prev_source`, `target > prev_target`).
    #[error("surrounding vote: the attestation surrounds the signed attestation {prev_source}->{prev_target}")]
    SurroundingVote {
        /// Source epoch of the surrounded attestation on record.
        prev_source: u64,
        /// Target epoch of the surrounded attestation on record.
        prev_target: u64,
    },
    /// The new attestation is surrounded by one on record (`prev_source < source`, `prev_target > target`).
    #[error("surrounded vote: the attestation is surrounded by the signed attestation {prev_source}->{prev_target}")]
    SurroundedVote {
        /// Source epoch of the surrounding attestation on record.
        prev_source: u64,
        /// Target epoch of the surrounding attestation on record.
        prev_target: u64,
    },
    /// The source epoch is below the lowest signed source epoch (EIP-3076 condition 4).
    #[error("attestation source epoch {source_epoch} is below the lowest signed source epoch {min_source} (low watermark)")]
    SourceBelowLowWatermark {
        /// The source epoch asked for.
        source_epoch: u64,
        /// The lowest source epoch on record.
        min_source: u64,
    },
    /// The target epoch is at or below the lowest signed target epoch (EIP-3076 condition 5).
    #[error("attestation target epoch {target_epoch} is not above the lowest signed target epoch {min_target} (low watermark)")]
    TargetBelowLowWatermark {
        /// The target epoch asked for.
        target_epoch: u64,
        /// The lowest target epoch on record.
        min_target: u64,
    },
    /// A slot or epoch too large to store; never signable.
    #[error("{field} {value} is larger than the largest storable value {max}", max = i64::MAX)]
    ValueOutOfRange {
        /// Which argument.
        field: &'static str,
        /// The value given.
        value: u64,
    },
    /// The database failed; safety could not be established.
    #[error(transparent)]
    Database(#[from] Error),
}

fn root_text(root: &Option<Hex<32>>) -> String {
    match root {
        Some(root) => root.to_string(),
        None => "(unknown)".to_owned(),
    }
}
