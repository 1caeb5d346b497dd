//! Rate limit on DECIDED rebroadcasts after a decision (spec: consensus.md
//! "Decided messages"): a post-decision ROUND-CHANGE from a peer triggers a
//! rebroadcast only for a strictly higher round than that peer last triggered,
//! and at most [`MAX_DECIDED_RESENDS`] times per peer.

use std::collections::BTreeMap;

/// Maximum DECIDED rebroadcasts one peer's ROUND-CHANGEs can trigger.
pub const MAX_DECIDED_RESENDS: u32 = 16;

/// Tracks rebroadcasts per source: highest triggering round and count.
#[derive(Debug, Clone, Default)]
pub struct DecidedResendLimiter {
    by_source: BTreeMap<u64, (i64, u32)>,
}

impl DecidedResendLimiter {
    /// Creates an empty limiter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns whether a ROUND-CHANGE for `round` from `source` may trigger a
    /// rebroadcast, recording it when it may.
    pub fn allow(&mut self, source: u64, round: i64) -> bool {
        let (highest, count) = self.by_source.get(&source).copied().unwrap_or((0, 0));
        if round <= highest || count >= MAX_DECIDED_RESENDS {
            return false;
        }
        self.by_source.insert(source, (round, count + 1));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strictly_increasing_and_capped() {
        let mut l = DecidedResendLimiter::new();
        assert!(l.allow(1, 2));
        assert!(!l.allow(1, 2), "same round again");
        assert!(!l.allow(1, 1), "lower round");
        assert!(l.allow(2, 2), "other source independent");
        for r in 3..=17 {
            assert!(l.allow(1, r), "round {r} within cap");
        }
        assert!(!l.allow(1, 18), "17th rebroadcast refused");
    }
}
