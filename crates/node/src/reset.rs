//! Noticing a genesis reset: the beacon node now serves another chain (Ephemery restarts from a
//! new genesis every 28 days; any testnet can be relaunched). A node keeps its slot clock,
//! duties and signing domains for the chain it started on, so on a reset it must be started
//! again for the new one (and a signer must record its signatures in the new chain's
//! slashing-protection namespace): `mosaic run` does that when [`next_chain`] resolves.

use std::time::Duration;

use mosaic_beacon::{BeaconClient, ClientConfig};
use mosaic_core::chain::ChainSpec;
use mosaic_types::consensus::Mainnet;
use mosaic_types::Root;

/// Consecutive polls that must report the same new genesis before it counts: one answer from a
/// beacon node that is itself mid-reset (or a fallback node still on the old chain, answering
/// while the first is down) does not restart the node.
pub const CONFIRMATIONS: u32 = 2;

/// How often the beacon node's genesis is read: half a slot, between 1 s and 6 s.
pub fn poll_interval(slot_duration: Duration) -> Duration {
    (slot_duration / 2).clamp(Duration::from_secs(1), Duration::from_secs(6))
}

/// A genesis, as the beacon API reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenesisId {
    /// Unix seconds.
    pub time: u64,
    /// The genesis validators root (what signing domains and slashing protection key on).
    pub validators_root: Root,
}

impl GenesisId {
    /// The genesis of `chain`.
    pub fn of(chain: &ChainSpec) -> Self {
        Self {
            time: chain.genesis_time,
            validators_root: chain.genesis_validators_root(),
        }
    }
}

/// Counts how many polls in a row reported one genesis other than the current one.
#[derive(Debug)]
pub struct ResetDetector {
    current: GenesisId,
    candidate: Option<(GenesisId, u32)>,
}

impl ResetDetector {
    /// A detector for a node running on `current`.
    pub fn new(current: GenesisId) -> Self {
        Self {
            current,
            candidate: None,
        }
    }

    /// Feeds one poll's answer (`None`: no beacon node answered, which neither confirms nor
    /// cancels a candidate). Returns the new genesis once it was reported [`CONFIRMATIONS`]
    /// times in a row.
    pub fn observe(&mut self, answer: Option<GenesisId>) -> Option<GenesisId> {
        let answer = answer?;
        if answer == self.current {
            self.candidate = None;
            return None;
        }
        let seen = match self.candidate {
            Some((candidate, seen)) if candidate == answer => seen + 1,
            _ => 1,
        };
        self.candidate = Some((answer, seen));
        (seen >= CONFIRMATIONS).then_some(answer)
    }
}

/// Polls the beacon nodes' genesis until they report, [`CONFIRMATIONS`] times in a row, one
/// other than `current`'s, and returns the new chain's description. Runs until then (errors of
/// single polls are logged at debug level and retried).
pub async fn next_chain(beacon_urls: &[String], current: &ChainSpec) -> ChainSpec {
    let every = poll_interval(current.slot_duration);
    let client = match BeaconClient::<Mainnet>::new(
        beacon_urls.iter().map(String::as_str),
        ClientConfig::default(),
    ) {
        Ok(client) => client,
        Err(error) => {
            // The same URLs built the node's own client; this cannot fail after start-up.
            tracing::error!(%error, "genesis reset detection disabled");
            return std::future::pending().await;
        }
    };
    let mut detector = ResetDetector::new(GenesisId::of(current));
    loop {
        tokio::time::sleep(every).await;
        let answer = match client.genesis().await {
            Ok(genesis) => Some(GenesisId {
                time: genesis.genesis_time,
                validators_root: genesis.genesis_validators_root,
            }),
            Err(error) => {
                tracing::debug!(%error, "reading the beacon node's genesis");
                None
            }
        };
        if detector.observe(answer).is_none() {
            continue;
        }
        match ChainSpec::fetch(&client).await {
            Ok(chain) if GenesisId::of(&chain) != GenesisId::of(current) => return chain,
            Ok(_) => detector = ResetDetector::new(GenesisId::of(current)),
            Err(error) => tracing::debug!(%error, "reading the new chain's description"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn genesis(time: u64, root: u8) -> GenesisId {
        GenesisId {
            time,
            validators_root: Root([root; 32]),
        }
    }

    #[test]
    fn a_new_genesis_counts_after_two_answers_in_a_row() {
        let mut detector = ResetDetector::new(genesis(100, 1));
        assert_eq!(detector.observe(Some(genesis(100, 1))), None);
        assert_eq!(detector.observe(Some(genesis(200, 2))), None);
        assert_eq!(
            detector.observe(Some(genesis(200, 2))),
            Some(genesis(200, 2))
        );
    }

    #[test]
    fn the_old_genesis_or_another_new_one_in_between_starts_the_count_again() {
        let mut detector = ResetDetector::new(genesis(100, 1));
        assert_eq!(detector.observe(Some(genesis(200, 2))), None);
        assert_eq!(detector.observe(Some(genesis(100, 1))), None);
        assert_eq!(detector.observe(Some(genesis(200, 2))), None);
        assert_eq!(detector.observe(Some(genesis(300, 3))), None);
        assert_eq!(
            detector.observe(Some(genesis(300, 3))),
            Some(genesis(300, 3))
        );
    }

    #[test]
    fn unanswered_polls_neither_confirm_nor_cancel() {
        let mut detector = ResetDetector::new(genesis(100, 1));
        assert_eq!(detector.observe(Some(genesis(200, 2))), None);
        assert_eq!(detector.observe(None), None);
        assert_eq!(
            detector.observe(Some(genesis(200, 2))),
            Some(genesis(200, 2))
        );
        // The genesis time alone changing is a reset too (a relaunch with the same validators).
        let mut detector = ResetDetector::new(genesis(100, 1));
        assert_eq!(detector.observe(Some(genesis(150, 1))), None);
        assert_eq!(
            detector.observe(Some(genesis(150, 1))),
            Some(genesis(150, 1))
        );
    }

    #[test]
    fn polls_every_half_slot_within_bounds() {
        assert_eq!(
            poll_interval(Duration::from_secs(12)),
            Duration::from_secs(6)
        );
        assert_eq!(
            poll_interval(Duration::from_secs(4)),
            Duration::from_secs(2)
        );
        assert_eq!(
            poll_interval(Duration::from_millis(500)),
            Duration::from_secs(1)
        );
        assert_eq!(
            poll_interval(Duration::from_secs(60)),
            Duration::from_secs(6)
        );
    }
}
