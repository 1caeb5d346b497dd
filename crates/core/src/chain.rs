//! The chain a node serves, as its beacon node describes it: genesis, slot timing, the fork
//! schedule and the constants duties depend on.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mosaic_beacon::{BeaconClient, ChainConfig, Genesis, SpecError};
use mosaic_types::consensus::Preset;
use mosaic_types::{Epoch, ForkName, Root, Slot};

use crate::signeddata::SigningContext;

/// Why the chain description could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The beacon node did not answer.
    #[error("beacon node: {0}")]
    Beacon(#[from] mosaic_beacon::Error),
    /// A value of `/eth/v1/config/spec` is missing or malformed.
    #[error("beacon node spec field {field}: {reason}")]
    Spec {
        /// The spec key.
        field: String,
        /// What is wrong.
        reason: String,
    },
}

/// `SYNC_COMMITTEE_SIZE` of the mainnet preset, when the beacon node does not say.
const MAINNET_SYNC_COMMITTEE_SIZE: u64 = 512;

/// Everything about the chain that duty timing and signing depend on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainSpec {
    /// Genesis time, unix seconds.
    pub genesis_time: u64,
    /// Slot duration (sub-second on simulated chains).
    pub slot_duration: Duration,
    /// Network (fork schedule, genesis fork version, slots per epoch) and genesis validators
    /// root, for signing roots.
    pub signing: SigningContext,
    /// `PRESET_BASE` (`mainnet` or `minimal`).
    pub preset_base: String,
    /// `EPOCHS_PER_SYNC_COMMITTEE_PERIOD`.
    pub epochs_per_sync_committee_period: u64,
    /// `SYNC_COMMITTEE_SIZE`.
    pub sync_committee_size: u64,
    /// `SYNC_COMMITTEE_SUBNET_COUNT`.
    pub sync_committee_subnet_count: u64,
    /// `TARGET_AGGREGATORS_PER_COMMITTEE`.
    pub target_aggregators_per_committee: u64,
    /// `TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE`.
    pub target_aggregators_per_sync_subcommittee: u64,
}

impl From<SpecError> for ChainError {
    fn from(error: SpecError) -> Self {
        Self::Spec {
            field: error.field,
            reason: error.reason,
        }
    }
}

impl ChainSpec {
    /// Builds the description from `/eth/v1/beacon/genesis` and `/eth/v1/config/spec` (read
    /// by [`ChainConfig::from_api`]; the sync committee is mainnet's 512 unless the node says
    /// otherwise, the preset `mainnet`).
    pub fn from_spec(
        genesis: &Genesis,
        spec: &BTreeMap<String, String>,
    ) -> Result<Self, ChainError> {
        let config = ChainConfig::from_api(genesis, spec)?;
        Ok(Self {
            genesis_time: genesis.genesis_time,
            slot_duration: Duration::from_millis(config.slot_ms),
            signing: SigningContext {
                network: config.network,
                genesis_validators_root: genesis.genesis_validators_root,
            },
            preset_base: config.preset_base.unwrap_or_else(|| "mainnet".into()),
            epochs_per_sync_committee_period: config.epochs_per_sync_committee_period,
            sync_committee_size: config
                .sync_committee_size
                .unwrap_or(MAINNET_SYNC_COMMITTEE_SIZE),
            sync_committee_subnet_count: config.sync_committee_subnet_count,
            target_aggregators_per_committee: config.target_aggregators_per_committee,
            target_aggregators_per_sync_subcommittee: config
                .target_aggregators_per_sync_subcommittee,
        })
    }

    /// Reads the description from a beacon node.
    pub async fn fetch<P: Preset>(client: &BeaconClient<P>) -> Result<Self, ChainError> {
        let genesis = client.genesis().await?;
        let spec = client.spec().await?;
        Self::from_spec(&genesis, &spec)
    }

    /// `SLOTS_PER_EPOCH`.
    pub fn slots_per_epoch(&self) -> u64 {
        self.signing.network.slots_per_epoch
    }

    /// The genesis validators root.
    pub fn genesis_validators_root(&self) -> Root {
        self.signing.genesis_validators_root
    }

    /// The epoch of `slot`.
    pub fn epoch_of(&self, slot: Slot) -> Epoch {
        slot / self.slots_per_epoch()
    }

    /// The first slot of `epoch`.
    pub fn first_slot(&self, epoch: Epoch) -> Slot {
        epoch.saturating_mul(self.slots_per_epoch())
    }

    /// The fork active at `epoch`.
    pub fn fork_at_epoch(&self, epoch: Epoch) -> ForkName {
        self.signing.network.fork_at_epoch(epoch).0
    }

    /// The wall-clock start of `slot`.
    pub fn slot_start(&self, slot: Slot) -> SystemTime {
        let offset = self
            .slot_duration
            .checked_mul(u32::try_from(slot).unwrap_or(u32::MAX))
            .unwrap_or(Duration::MAX);
        UNIX_EPOCH + Duration::from_secs(self.genesis_time) + offset
    }

    /// The start of `slot` in unix nanoseconds (the consensus timer's clock).
    pub fn slot_start_nanos(&self, slot: Slot) -> u64 {
        let genesis = self.genesis_time.saturating_mul(1_000_000_000);
        let slot_nanos = u64::try_from(self.slot_duration.as_nanos()).unwrap_or(u64::MAX);
        genesis.saturating_add(slot.saturating_mul(slot_nanos))
    }

    /// The slot at `time` (slot 0 before genesis).
    pub fn slot_at(&self, time: SystemTime) -> Slot {
        let since_genesis = time
            .duration_since(UNIX_EPOCH + Duration::from_secs(self.genesis_time))
            .unwrap_or_default();
        let slot_nanos = self.slot_duration.as_nanos().max(1);
        u64::try_from(since_genesis.as_nanos() / slot_nanos).unwrap_or(u64::MAX)
    }

    /// Whether `time` is before genesis.
    pub fn before_genesis(&self, time: SystemTime) -> bool {
        time < UNIX_EPOCH + Duration::from_secs(self.genesis_time)
    }

    /// The consensus round timer's chain timing.
    pub fn timing(&self) -> mosaic_qbft::timer::ChainTiming {
        mosaic_qbft::timer::ChainTiming {
            genesis_time_nanos: self.genesis_time.saturating_mul(1_000_000_000),
            slot_duration_nanos: u64::try_from(self.slot_duration.as_nanos()).unwrap_or(u64::MAX),
        }
    }

    /// The sync committee period of `epoch`.
    pub fn sync_period(&self, epoch: Epoch) -> u64 {
        epoch / self.epochs_per_sync_committee_period.max(1)
    }

    /// Members per sync subcommittee.
    pub fn sync_subcommittee_size(&self) -> u64 {
        self.sync_committee_size / self.sync_committee_subnet_count.max(1)
    }
}

#[cfg(test)]
mod tests {
    use mosaic_types::Version;

    use super::*;

    fn spec() -> BTreeMap<String, String> {
        [
            ("SLOTS_PER_EPOCH", "8"),
            ("SECONDS_PER_SLOT", "6"),
            ("SLOT_DURATION_MS", "500"),
            ("GENESIS_FORK_VERSION", "0x10000539"),
            ("ALTAIR_FORK_VERSION", "0x20000539"),
            ("ALTAIR_FORK_EPOCH", "0"),
            ("CAPELLA_FORK_VERSION", "0x40000539"),
            ("CAPELLA_FORK_EPOCH", "3"),
            ("PRESET_BASE", "minimal"),
            ("SYNC_COMMITTEE_SIZE", "32"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    fn genesis() -> Genesis {
        Genesis {
            genesis_time: 1_000,
            genesis_validators_root: Root([7; 32]),
            genesis_fork_version: Version([0x10, 0, 5, 0x39]),
        }
    }

    #[test]
    fn reads_timing_forks_and_constants() {
        let chain = ChainSpec::from_spec(&genesis(), &spec()).unwrap();
        assert_eq!(chain.slot_duration, Duration::from_millis(500));
        assert_eq!(chain.slots_per_epoch(), 8);
        assert_eq!(chain.fork_at_epoch(2), ForkName::Altair);
        assert_eq!(chain.fork_at_epoch(3), ForkName::Capella);
        assert_eq!(chain.sync_subcommittee_size(), 8);
        assert_eq!(chain.preset_base, "minimal");
        assert_eq!(chain.slot_start_nanos(4), 1_002_000_000_000);
        assert_eq!(
            chain.slot_at(UNIX_EPOCH + Duration::from_millis(1_002_499)),
            4
        );
        assert_eq!(
            chain.slot_at(UNIX_EPOCH + Duration::from_millis(1_002_500)),
            5
        );
        assert!(chain.before_genesis(UNIX_EPOCH + Duration::from_secs(999)));
    }

    #[test]
    fn falls_back_to_seconds_per_slot() {
        let mut spec = spec();
        spec.remove("SLOT_DURATION_MS");
        let chain = ChainSpec::from_spec(&genesis(), &spec).unwrap();
        assert_eq!(chain.slot_duration, Duration::from_secs(6));
    }

    #[test]
    fn rejects_missing_and_malformed_fields() {
        let mut missing = spec();
        missing.remove("SLOTS_PER_EPOCH");
        let error = ChainSpec::from_spec(&genesis(), &missing).unwrap_err();
        assert!(error.to_string().contains("SLOTS_PER_EPOCH"), "{error}");

        let mut zero = spec();
        zero.insert("SLOTS_PER_EPOCH".into(), "0".into());
        assert!(ChainSpec::from_spec(&genesis(), &zero).is_err());

        let mut bad_version = spec();
        bad_version.insert("CAPELLA_FORK_VERSION".into(), "0x400005".into());
        let error = ChainSpec::from_spec(&genesis(), &bad_version).unwrap_err();
        assert!(
            error.to_string().contains("CAPELLA_FORK_VERSION"),
            "{error}"
        );
    }
}
