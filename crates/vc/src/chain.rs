//! What the client learns from the beacon node at start: genesis, the fork schedule and the
//! constants duties depend on, and the slot clock they define.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mosaic_beacon::{ChainConfig, Genesis};
use mosaic_types::consensus::Preset;
use mosaic_types::{Domain, Epoch, ForkName, Network, Root, Slot};
use ssz_types::typenum::Unsigned;

use crate::VcError;
use mosaic_types::consensus::SignedObject;

/// The chain parameters and the slot clock.
#[derive(Debug, Clone)]
pub(crate) struct ChainSpec {
    /// Fork schedule and genesis (for signature domains).
    pub(crate) network: Network,
    /// `genesis_validators_root`.
    pub(crate) genesis_validators_root: Root,
    /// Genesis, unix milliseconds.
    pub(crate) genesis_ms: u64,
    /// Slot duration, milliseconds.
    pub(crate) slot_ms: u64,
    /// `TARGET_AGGREGATORS_PER_COMMITTEE`.
    pub(crate) target_aggregators_per_committee: u64,
    /// `TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE`.
    pub(crate) target_aggregators_per_sync_subcommittee: u64,
    /// `SYNC_COMMITTEE_SIZE`.
    pub(crate) sync_committee_size: u64,
    /// `SYNC_COMMITTEE_SUBNET_COUNT`.
    pub(crate) sync_committee_subnet_count: u64,
    /// `EPOCHS_PER_SYNC_COMMITTEE_PERIOD`.
    pub(crate) epochs_per_sync_committee_period: u64,
}

impl ChainSpec {
    /// Builds the parameters from `getGenesis` and `getSpec` (read by
    /// [`ChainConfig::from_api`]), checking the node's preset is `P` (whose sync committee
    /// size serves if the node does not give one).
    pub(crate) fn from_api<P: Preset>(
        genesis: &Genesis,
        spec: &BTreeMap<String, String>,
    ) -> Result<Self, VcError> {
        let config = ChainConfig::from_api(genesis, spec).map_err(|error| VcError::Spec {
            key: error.field,
            reason: error.reason,
        })?;
        if let Some(preset) = &config.preset_base {
            if !preset.eq_ignore_ascii_case(P::NAME) {
                return Err(VcError::PresetMismatch {
                    node: preset.clone(),
                    client: P::NAME,
                });
            }
        }
        Ok(Self {
            network: config.network,
            genesis_validators_root: genesis.genesis_validators_root,
            genesis_ms: genesis.genesis_time.saturating_mul(1000),
            slot_ms: config.slot_ms,
            target_aggregators_per_committee: config.target_aggregators_per_committee,
            target_aggregators_per_sync_subcommittee: config
                .target_aggregators_per_sync_subcommittee,
            sync_committee_size: config
                .sync_committee_size
                .unwrap_or(<P::SyncCommitteeSize as Unsigned>::to_u64()),
            sync_committee_subnet_count: config.sync_committee_subnet_count,
            epochs_per_sync_committee_period: config.epochs_per_sync_committee_period,
        })
    }

    /// `SLOTS_PER_EPOCH` (the network's).
    pub(crate) fn slots_per_epoch(&self) -> u64 {
        self.network.slots_per_epoch
    }

    /// The epoch of `slot`.
    pub(crate) fn epoch_of(&self, slot: Slot) -> Epoch {
        slot / self.slots_per_epoch()
    }

    /// The first slot of `epoch`.
    pub(crate) fn first_slot(&self, epoch: Epoch) -> Slot {
        epoch.saturating_mul(self.slots_per_epoch())
    }

    /// The fork at `slot`.
    pub(crate) fn fork_at_slot(&self, slot: Slot) -> ForkName {
        self.network.fork_at_epoch(self.epoch_of(slot)).0
    }

    /// The signature domain of `object` at `epoch`.
    pub(crate) fn domain(&self, object: SignedObject, epoch: Epoch) -> Domain {
        object.domain(&self.network, self.genesis_validators_root, epoch)
    }

    /// The first epoch of the sync committee period after the one of `epoch`.
    pub(crate) fn next_sync_period_start(&self, epoch: Epoch) -> Epoch {
        (epoch / self.epochs_per_sync_committee_period + 1) * self.epochs_per_sync_committee_period
    }

    /// Members of one sync subcommittee.
    pub(crate) fn sync_subcommittee_size(&self) -> u64 {
        (self.sync_committee_size / self.sync_committee_subnet_count).max(1)
    }

    /// Unix milliseconds at which `slot` starts.
    pub(crate) fn slot_start_ms(&self, slot: Slot) -> u64 {
        self.genesis_ms
            .saturating_add(slot.saturating_mul(self.slot_ms))
    }

    /// Unix milliseconds `numerator / 3` of the way into `slot` (1 for attestations, 2 for
    /// aggregates).
    pub(crate) fn slot_third_ms(&self, slot: Slot, numerator: u64) -> u64 {
        self.slot_start_ms(slot) + self.slot_ms * numerator / 3
    }

    /// The slot in progress now, `None` before genesis.
    pub(crate) fn current_slot(&self) -> Option<Slot> {
        let since = now_ms().checked_sub(self.genesis_ms)?;
        Some(since / self.slot_ms)
    }
}

/// The wall clock in unix milliseconds.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64)
}

/// Sleeps until unix millisecond `at` (returns at once if it has passed).
pub(crate) async fn sleep_until_ms(at: u64) {
    let now = now_ms();
    if at > now {
        tokio::time::sleep(Duration::from_millis(at - now)).await;
    }
}

/// A `tokio` instant for unix millisecond `at` (for deadlines).
pub(crate) fn instant_at_ms(at: u64) -> tokio::time::Instant {
    let now = now_ms();
    let base = tokio::time::Instant::now();
    if at > now {
        base + Duration::from_millis(at - now)
    } else {
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mosaic_types::consensus::Minimal;
    use mosaic_types::Version;

    fn genesis() -> Genesis {
        Genesis {
            genesis_time: 1_000,
            genesis_validators_root: Root([4; 32]),
            genesis_fork_version: Version([1, 0, 0, 0]),
        }
    }

    fn spec(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn spec_gives_timing_and_forks() {
        let spec = spec(&[
            ("PRESET_BASE", "minimal"),
            ("SECONDS_PER_SLOT", "6"),
            ("SLOT_DURATION_MS", "600"),
            ("SLOTS_PER_EPOCH", "8"),
            ("EPOCHS_PER_SYNC_COMMITTEE_PERIOD", "8"),
            ("ALTAIR_FORK_VERSION", "0x20000000"),
            ("ALTAIR_FORK_EPOCH", "0"),
            ("CAPELLA_FORK_VERSION", "0x40000000"),
            ("CAPELLA_FORK_EPOCH", "2"),
            ("DENEB_FORK_VERSION", "0x50000000"),
            ("DENEB_FORK_EPOCH", "18446744073709551615"),
        ]);
        let chain = ChainSpec::from_api::<Minimal>(&genesis(), &spec).unwrap();
        assert_eq!(chain.slot_ms, 600, "SLOT_DURATION_MS wins over seconds");
        assert_eq!(chain.slot_start_ms(10), 1_000_000 + 6_000);
        assert_eq!(chain.fork_at_slot(15), ForkName::Altair);
        assert_eq!(chain.fork_at_slot(16), ForkName::Capella);
        assert_eq!(chain.fork_at_slot(1_000_000), ForkName::Capella);
        assert_eq!(chain.sync_subcommittee_size(), 8);
        assert_eq!(chain.network.genesis_fork_version, Version([1, 0, 0, 0]));
        assert_eq!(chain.next_sync_period_start(7), 8);
        assert_eq!(chain.next_sync_period_start(8), 16);
    }

    #[test]
    fn seconds_per_slot_is_used_without_slot_duration_ms() {
        let spec = spec(&[("SECONDS_PER_SLOT", "12"), ("SLOTS_PER_EPOCH", "32")]);
        let chain = ChainSpec::from_api::<Minimal>(&genesis(), &spec).unwrap();
        assert_eq!(chain.slot_ms, 12_000);
        assert_eq!(chain.fork_at_slot(5), ForkName::Phase0);
        assert_eq!(
            chain.next_sync_period_start(7),
            256,
            "mainnet period by default"
        );
    }

    #[test]
    fn bad_specs_are_rejected() {
        let mismatch = spec(&[
            ("PRESET_BASE", "mainnet"),
            ("SECONDS_PER_SLOT", "12"),
            ("SLOTS_PER_EPOCH", "32"),
        ]);
        assert!(matches!(
            ChainSpec::from_api::<Minimal>(&genesis(), &mismatch),
            Err(VcError::PresetMismatch { .. })
        ));
        // One step inside: the client's own preset, in any case and quoted, is accepted, and
        // its sync committee size serves when the node gives none.
        let own = spec(&[
            ("PRESET_BASE", "\"MINIMAL\""),
            ("SECONDS_PER_SLOT", "12"),
            ("SLOTS_PER_EPOCH", "32"),
        ]);
        let chain = ChainSpec::from_api::<Minimal>(&genesis(), &own).expect("own preset");
        assert_eq!(chain.sync_committee_size, 32);
        let missing = spec(&[("SECONDS_PER_SLOT", "12")]);
        assert!(matches!(
            ChainSpec::from_api::<Minimal>(&genesis(), &missing),
            Err(VcError::Spec { key, .. }) if key == "SLOTS_PER_EPOCH"
        ));
        let garbled = spec(&[("SECONDS_PER_SLOT", "twelve"), ("SLOTS_PER_EPOCH", "32")]);
        assert!(matches!(
            ChainSpec::from_api::<Minimal>(&genesis(), &garbled),
            Err(VcError::Spec { key, .. }) if key == "SECONDS_PER_SLOT"
        ));
        let zero = spec(&[("SLOT_DURATION_MS", "0"), ("SLOTS_PER_EPOCH", "32")]);
        assert!(ChainSpec::from_api::<Minimal>(&genesis(), &zero).is_err());
    }
}
