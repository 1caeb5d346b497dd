//! Limits on incoming consensus messages, applied before any per-element work
//! (spec: consensus.md "Message limits"; Charon `verifyMsgLimits` and
//! `maxConsensusMsgSize`). Checked in the spec's order: wire size (a stream read
//! limit), then justifications, then values.

/// Maximum wire size of a `QBFTConsensusMsg`: 32 MiB (narrower than libp2p's 128 MiB default).
pub const MAX_CONSENSUS_MSG_SIZE: usize = 32 * 1024 * 1024;

/// Which limit an incoming message broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LimitViolation {
    /// The encoded message is larger than [`MAX_CONSENSUS_MSG_SIZE`].
    #[error("consensus message of {size} bytes exceeds the {max} byte limit")]
    MsgTooLarge {
        /// Wire size in bytes.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// More than `2 * nodes` justifications.
    #[error("too many justifications: {count} (max {max})")]
    TooManyJustifications {
        /// Justifications carried.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// More than `2 * (justifications + 1)` values.
    #[error("too many values: {count} (max {max})")]
    TooManyValues {
        /// Values carried.
        count: usize,
        /// The limit.
        max: usize,
    },
}

impl LimitViolation {
    /// The spec's reason slug: `msg_too_large`, `too_many_justifications` or `too_many_values`.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::MsgTooLarge { .. } => "msg_too_large",
            Self::TooManyJustifications { .. } => "too_many_justifications",
            Self::TooManyValues { .. } => "too_many_values",
        }
    }
}

/// Maximum justifications for a cluster of `nodes`: a quorum of ROUND-CHANGE
/// plus a quorum of PREPARE is bounded by `2 * nodes`.
pub fn max_justifications(nodes: usize) -> usize {
    nodes.saturating_mul(2)
}

/// Maximum values for a message with `justifications` justifications: each of
/// the `justifications + 1` messages references at most two values.
pub fn max_values(justifications: usize) -> usize {
    justifications.saturating_add(1).saturating_mul(2)
}

/// Rejects a message whose wire size exceeds [`MAX_CONSENSUS_MSG_SIZE`].
pub fn check_wire_size(size: usize) -> Result<(), LimitViolation> {
    if size > MAX_CONSENSUS_MSG_SIZE {
        return Err(LimitViolation::MsgTooLarge {
            size,
            max: MAX_CONSENSUS_MSG_SIZE,
        });
    }
    Ok(())
}

/// Bounds the justification and value counts, justifications first: a message
/// over both limits is rejected for its justifications.
pub fn check_counts(
    nodes: usize,
    justifications: usize,
    values: usize,
) -> Result<(), LimitViolation> {
    let max = max_justifications(nodes);
    if justifications > max {
        return Err(LimitViolation::TooManyJustifications {
            count: justifications,
            max,
        });
    }
    let max = max_values(justifications);
    if values > max {
        return Err(LimitViolation::TooManyValues { count: values, max });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries() {
        assert_eq!(check_wire_size(MAX_CONSENSUS_MSG_SIZE), Ok(()));
        assert_eq!(
            check_wire_size(MAX_CONSENSUS_MSG_SIZE + 1).map_err(|e| e.reason()),
            Err("msg_too_large")
        );
        assert_eq!(check_counts(4, 8, 18), Ok(()));
        assert_eq!(
            check_counts(4, 8, 19).map_err(|e| e.reason()),
            Err("too_many_values")
        );
        assert_eq!(
            check_counts(4, 9, 0).map_err(|e| e.reason()),
            Err("too_many_justifications")
        );
        assert_eq!(
            check_counts(4, 9, 1000).map_err(|e| e.reason()),
            Err("too_many_justifications")
        );
    }
}
