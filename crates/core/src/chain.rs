//! The chain a node serves, as its beacon node describes it: genesis, slot timing, the fork
//! schedule and the constants duties depend on.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mosaic_beacon::{BeaconClient, Genesis};
use mosaic_types::consensus::Preset;
use mosaic_types::{
    Epoch, Fork, ForkName, ForkSchedule, Network, Root, Slot, Version, FAR_FUTURE_EPOCH,
};

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

fn field<'a>(spec: &'a BTreeMap<String, String>, key: &str) -> Result<&'a str, ChainError> {
    spec.get(key)
        .map(String::as_str)
        .ok_or_else(|| ChainError::Spec {
            field: key.into(),
            reason: "missing".into(),
        })
}

fn number(spec: &BTreeMap<String, String>, key: &str) -> Result<u64, ChainError> {
    field(spec, key)?.parse().map_err(|e| ChainError::Spec {
        field: key.into(),
        reason: format!("not an unsigned integer: {e}"),
    })
}

fn number_or(spec: &BTreeMap<String, String>, key: &str, default: u64) -> Result<u64, ChainError> {
    if spec.contains_key(key) {
        number(spec, key)
    } else {
        Ok(default)
    }
}

fn version(spec: &BTreeMap<String, String>, key: &str) -> Result<Version, ChainError> {
    let text = field(spec, key)?;
    let bytes = text
        .strip_prefix("0x")
        .and_then(|hex| (hex.len() == 8).then_some(hex))
        .and_then(|hex| {
            (0..4)
                .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
                .collect::<Option<Vec<u8>>>()
        })
        .ok_or_else(|| ChainError::Spec {
            field: key.into(),
            reason: format!("{text:?} is not a 0x-prefixed 4-byte version"),
        })?;
    Ok(Version([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

fn fork(spec: &BTreeMap<String, String>, name: &str) -> Result<Fork, ChainError> {
    let version_key = format!("{name}_FORK_VERSION");
    let epoch_key = format!("{name}_FORK_EPOCH");
    if !spec.contains_key(&version_key) {
        return Ok(Fork {
            version: Version([0xff; 4]),
            epoch: FAR_FUTURE_EPOCH,
        });
    }
    Ok(Fork {
        version: version(spec, &version_key)?,
        epoch: number_or(spec, &epoch_key, FAR_FUTURE_EPOCH)?,
    })
}

impl ChainSpec {
    /// Builds the description from `/eth/v1/beacon/genesis` and `/eth/v1/config/spec`.
    pub fn from_spec(
        genesis: &Genesis,
        spec: &BTreeMap<String, String>,
    ) -> Result<Self, ChainError> {
        let slots_per_epoch = number(spec, "SLOTS_PER_EPOCH")?;
        if slots_per_epoch == 0 {
            return Err(ChainError::Spec {
                field: "SLOTS_PER_EPOCH".into(),
                reason: "must be at least 1".into(),
            });
        }
        let slot_duration = match spec.get("SLOT_DURATION_MS") {
            Some(_) => Duration::from_millis(number(spec, "SLOT_DURATION_MS")?),
            None => Duration::from_secs(number(spec, "SECONDS_PER_SLOT")?),
        };
        if slot_duration.is_zero() {
            return Err(ChainError::Spec {
                field: "SECONDS_PER_SLOT".into(),
                reason: "slot duration must be positive".into(),
            });
        }
        let forks = ForkSchedule {
            altair: fork(spec, "ALTAIR")?,
            bellatrix: fork(spec, "BELLATRIX")?,
            capella: fork(spec, "CAPELLA")?,
            deneb: fork(spec, "DENEB")?,
            electra: fork(spec, "ELECTRA")?,
            fulu: fork(spec, "FULU")?,
        };
        let genesis_fork_version = match spec.get("GENESIS_FORK_VERSION") {
            Some(_) => version(spec, "GENESIS_FORK_VERSION")?,
            None => genesis.genesis_fork_version,
        };
        let network = Network {
            name: spec
                .get("CONFIG_NAME")
                .cloned()
                .unwrap_or_else(|| "unknown".into()),
            chain_id: number_or(spec, "DEPOSIT_CHAIN_ID", 0)?,
            genesis_fork_version,
            genesis_time: genesis.genesis_time,
            genesis_validators_root: Some(genesis.genesis_validators_root),
            forks,
            seconds_per_slot: slot_duration.as_secs().max(1),
            slots_per_epoch,
            deposit_contract_address: Default::default(),
        };
        Ok(Self {
            genesis_time: genesis.genesis_time,
            slot_duration,
            signing: SigningContext {
                network,
                genesis_validators_root: genesis.genesis_validators_root,
            },
            preset_base: spec
                .get("PRESET_BASE")
                .cloned()
                .unwrap_or_else(|| "mainnet".into()),
            epochs_per_sync_committee_period: number_or(
                spec,
                "EPOCHS_PER_SYNC_COMMITTEE_PERIOD",
                256,
            )?,
            sync_committee_size: number_or(spec, "SYNC_COMMITTEE_SIZE", 512)?,
            sync_committee_subnet_count: number_or(spec, "SYNC_COMMITTEE_SUBNET_COUNT", 4)?,
            target_aggregators_per_committee: number_or(
                spec,
                "TARGET_AGGREGATORS_PER_COMMITTEE",
                16,
            )?,
            target_aggregators_per_sync_subcommittee: number_or(
                spec,
                "TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE",
                16,
            )?,
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
