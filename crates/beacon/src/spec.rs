//! The chain as a beacon node describes it (`/eth/v1/beacon/genesis` and
//! `/eth/v1/config/spec`): the network signature domains need, the slot timing, and the
//! constants duties depend on. One reading of the spec for the node and the validator client.

use std::collections::BTreeMap;

use mosaic_types::{
    ExecutionAddress, Fork, ForkName, ForkSchedule, Network, Version, FAR_FUTURE_EPOCH,
    MAINNET_DEPOSIT_CONTRACT,
};

use crate::Genesis;

/// `TARGET_AGGREGATORS_PER_COMMITTEE` and `TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE` when the
/// beacon node does not say.
const DEFAULT_TARGET_AGGREGATORS: u64 = 16;
/// `SYNC_COMMITTEE_SUBNET_COUNT` when the beacon node does not say.
const DEFAULT_SYNC_SUBNETS: u64 = 4;
/// `EPOCHS_PER_SYNC_COMMITTEE_PERIOD` when the beacon node does not say (both presets).
const DEFAULT_EPOCHS_PER_SYNC_PERIOD: u64 = 256;

/// A field of the beacon node's spec that is missing or malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("beacon node spec field {field}: {reason}")]
pub struct SpecError {
    /// The spec key.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

impl SpecError {
    fn new(field: &str, reason: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            reason: reason.into(),
        }
    }
}

/// What a beacon node's genesis and spec say about its chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainConfig {
    /// Fork schedule, genesis, `SLOTS_PER_EPOCH`, name, chain ID and deposit contract (the last
    /// is mainnet's when the node does not give a readable one: nothing signed depends on it).
    pub network: Network,
    /// Slot duration in milliseconds: `SLOT_DURATION_MS` if given, else `SECONDS_PER_SLOT`
    /// (sub-second slots exist only on simulated chains).
    pub slot_ms: u64,
    /// `PRESET_BASE`, if given.
    pub preset_base: Option<String>,
    /// `SYNC_COMMITTEE_SIZE`, if given (the preset's otherwise).
    pub sync_committee_size: Option<u64>,
    /// `SYNC_COMMITTEE_SUBNET_COUNT` (4 if not given).
    pub sync_committee_subnet_count: u64,
    /// `EPOCHS_PER_SYNC_COMMITTEE_PERIOD` (256 if not given).
    pub epochs_per_sync_committee_period: u64,
    /// `TARGET_AGGREGATORS_PER_COMMITTEE` (16 if not given).
    pub target_aggregators_per_committee: u64,
    /// `TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE` (16 if not given).
    pub target_aggregators_per_sync_subcommittee: u64,
}

impl ChainConfig {
    /// Reads `genesis` and `spec` (values as the beacon API gives them: strings, quoted or
    /// not). `SLOTS_PER_EPOCH` and a slot duration are required; every count must be at least
    /// 1; a fork is scheduled when both its version and its epoch are given.
    pub fn from_api(genesis: &Genesis, spec: &BTreeMap<String, String>) -> Result<Self, SpecError> {
        let spec = Spec(spec);
        let slots_per_epoch = spec.positive("SLOTS_PER_EPOCH")?;
        let slot_ms = match spec.optional_positive("SLOT_DURATION_MS")? {
            Some(ms) => ms,
            None => spec.positive("SECONDS_PER_SLOT")?.saturating_mul(1000),
        };
        let network = Network {
            name: spec.text("CONFIG_NAME").unwrap_or("unknown").to_owned(),
            chain_id: spec.number("DEPOSIT_CHAIN_ID")?.unwrap_or(0),
            genesis_fork_version: spec
                .version("GENESIS_FORK_VERSION")?
                .unwrap_or(genesis.genesis_fork_version),
            genesis_time: genesis.genesis_time,
            genesis_validators_root: Some(genesis.genesis_validators_root),
            forks: ForkSchedule {
                altair: spec.fork(ForkName::Altair)?,
                bellatrix: spec.fork(ForkName::Bellatrix)?,
                capella: spec.fork(ForkName::Capella)?,
                deneb: spec.fork(ForkName::Deneb)?,
                electra: spec.fork(ForkName::Electra)?,
                fulu: spec.fork(ForkName::Fulu)?,
            },
            seconds_per_slot: (slot_ms / 1000).max(1),
            slots_per_epoch,
            deposit_contract_address: spec
                .text("DEPOSIT_CONTRACT_ADDRESS")
                .and_then(|text| ExecutionAddress::from_hex(text).ok())
                .unwrap_or(MAINNET_DEPOSIT_CONTRACT),
        };
        Ok(Self {
            network,
            slot_ms,
            preset_base: spec.text("PRESET_BASE").map(str::to_owned),
            sync_committee_size: spec.optional_positive("SYNC_COMMITTEE_SIZE")?,
            sync_committee_subnet_count: spec
                .optional_positive("SYNC_COMMITTEE_SUBNET_COUNT")?
                .unwrap_or(DEFAULT_SYNC_SUBNETS),
            epochs_per_sync_committee_period: spec
                .optional_positive("EPOCHS_PER_SYNC_COMMITTEE_PERIOD")?
                .unwrap_or(DEFAULT_EPOCHS_PER_SYNC_PERIOD),
            target_aggregators_per_committee: spec
                .optional_positive("TARGET_AGGREGATORS_PER_COMMITTEE")?
                .unwrap_or(DEFAULT_TARGET_AGGREGATORS),
            target_aggregators_per_sync_subcommittee: spec
                .optional_positive("TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE")?
                .unwrap_or(DEFAULT_TARGET_AGGREGATORS),
        })
    }
}

/// Typed reads of the spec's string values.
struct Spec<'a>(&'a BTreeMap<String, String>);

impl Spec<'_> {
    /// The value of `key`, without the quotes some nodes keep around it.
    fn text(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|text| text.trim().trim_matches('"'))
    }

    fn number(&self, key: &str) -> Result<Option<u64>, SpecError> {
        self.text(key)
            .map(|text| {
                text.parse::<u64>().map_err(|_| {
                    SpecError::new(key, format!("{text:?} is not an unsigned integer"))
                })
            })
            .transpose()
    }

    fn optional_positive(&self, key: &str) -> Result<Option<u64>, SpecError> {
        match self.number(key)? {
            Some(0) => Err(SpecError::new(key, "must be at least 1")),
            other => Ok(other),
        }
    }

    fn positive(&self, key: &str) -> Result<u64, SpecError> {
        self.optional_positive(key)?
            .ok_or_else(|| SpecError::new(key, "missing"))
    }

    fn version(&self, key: &str) -> Result<Option<Version>, SpecError> {
        self.text(key)
            .map(|text| {
                text.strip_prefix("0x")
                    .and_then(|hex| Version::from_hex(hex).ok())
                    .ok_or_else(|| {
                        SpecError::new(key, format!("{text:?} is not a 0x-prefixed 4-byte version"))
                    })
            })
            .transpose()
    }

    /// `<NAME>_FORK_VERSION` and `<NAME>_FORK_EPOCH`: scheduled when both are given, never
    /// otherwise (a node that does not know the fork).
    fn fork(&self, name: ForkName) -> Result<Fork, SpecError> {
        let upper = name.as_str().to_ascii_uppercase();
        let version = self.version(&format!("{upper}_FORK_VERSION"))?;
        let epoch = self.number(&format!("{upper}_FORK_EPOCH"))?;
        Ok(match (version, epoch) {
            (Some(version), Some(epoch)) => Fork { version, epoch },
            (version, _) => Fork {
                version: version.unwrap_or_default(),
                epoch: FAR_FUTURE_EPOCH,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use mosaic_types::Root;

    use super::*;

    fn genesis() -> Genesis {
        Genesis {
            genesis_time: 1_000,
            genesis_validators_root: Root([7; 32]),
            genesis_fork_version: Version([0x10, 0, 5, 0x39]),
        }
    }

    fn spec(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn minimal() -> BTreeMap<String, String> {
        spec(&[("SLOTS_PER_EPOCH", "8"), ("SECONDS_PER_SLOT", "6")])
    }

    fn read(spec: &BTreeMap<String, String>) -> Result<ChainConfig, SpecError> {
        ChainConfig::from_api(&genesis(), spec)
    }

    fn with(base: &BTreeMap<String, String>, key: &str, value: &str) -> BTreeMap<String, String> {
        let mut spec = base.clone();
        spec.insert(key.to_owned(), value.to_owned());
        spec
    }

    fn without(base: &BTreeMap<String, String>, key: &str) -> BTreeMap<String, String> {
        let mut spec = base.clone();
        spec.remove(key);
        spec
    }

    #[test]
    fn reads_timing_forks_and_constants() {
        let config = read(&spec(&[
            ("CONFIG_NAME", "\"ephemery\""),
            ("PRESET_BASE", "minimal"),
            ("SLOTS_PER_EPOCH", "\"8\""),
            ("SECONDS_PER_SLOT", "6"),
            ("SLOT_DURATION_MS", "500"),
            ("DEPOSIT_CHAIN_ID", "39438135"),
            ("GENESIS_FORK_VERSION", "0x10000539"),
            ("ALTAIR_FORK_VERSION", "0x20000539"),
            ("ALTAIR_FORK_EPOCH", "0"),
            ("CAPELLA_FORK_VERSION", "0x40000539"),
            ("CAPELLA_FORK_EPOCH", "3"),
            ("DENEB_FORK_VERSION", "0x50000539"),
            ("SYNC_COMMITTEE_SIZE", "32"),
            ("TARGET_AGGREGATORS_PER_COMMITTEE", "8"),
        ]))
        .expect("valid spec");
        assert_eq!(config.slot_ms, 500, "SLOT_DURATION_MS wins over seconds");
        assert_eq!(config.network.seconds_per_slot, 1);
        assert_eq!(config.network.slots_per_epoch, 8, "quotes are dropped");
        assert_eq!(config.network.name, "ephemery");
        assert_eq!(config.network.chain_id, 39_438_135);
        assert_eq!(config.network.genesis_time, 1_000);
        assert_eq!(
            config.network.genesis_fork_version,
            Version([0x10, 0, 5, 0x39])
        );
        assert_eq!(config.network.fork_at_epoch(2).0, ForkName::Altair);
        assert_eq!(config.network.fork_at_epoch(3).0, ForkName::Capella);
        assert_eq!(
            config.network.forks.deneb.epoch, FAR_FUTURE_EPOCH,
            "a version without an epoch is not scheduled"
        );
        assert_eq!(config.preset_base.as_deref(), Some("minimal"));
        assert_eq!(config.sync_committee_size, Some(32));
        assert_eq!(config.target_aggregators_per_committee, 8);
        assert_eq!(config.target_aggregators_per_sync_subcommittee, 16);
        assert_eq!(config.sync_committee_subnet_count, 4);
        assert_eq!(config.epochs_per_sync_committee_period, 256);
        assert_eq!(
            config.network.deposit_contract_address,
            MAINNET_DEPOSIT_CONTRACT
        );
    }

    #[test]
    fn seconds_per_slot_and_the_genesis_fork_version_fill_in() {
        let config = read(&minimal()).expect("valid spec");
        assert_eq!(config.slot_ms, 6_000);
        assert_eq!(config.network.seconds_per_slot, 6);
        assert_eq!(
            config.network.genesis_fork_version,
            genesis().genesis_fork_version
        );
        assert_eq!(config.network.fork_at_epoch(1_000).0, ForkName::Phase0);
        assert_eq!(config.preset_base, None);
        assert_eq!(config.sync_committee_size, None);
    }

    #[test]
    fn missing_zero_and_malformed_fields_are_named() {
        let field = |spec: &BTreeMap<String, String>| read(spec).expect_err("refused").field;
        let refused = [
            (without(&minimal(), "SLOTS_PER_EPOCH"), "SLOTS_PER_EPOCH"),
            (without(&minimal(), "SECONDS_PER_SLOT"), "SECONDS_PER_SLOT"),
            (with(&minimal(), "SLOTS_PER_EPOCH", "0"), "SLOTS_PER_EPOCH"),
            (
                with(&minimal(), "SECONDS_PER_SLOT", "0"),
                "SECONDS_PER_SLOT",
            ),
            (
                with(&minimal(), "SLOT_DURATION_MS", "0"),
                "SLOT_DURATION_MS",
            ),
            (
                with(&minimal(), "SECONDS_PER_SLOT", "twelve"),
                "SECONDS_PER_SLOT",
            ),
            // A version needs its 0x and four bytes; an epoch is a number.
            (
                with(&minimal(), "CAPELLA_FORK_VERSION", "40000539"),
                "CAPELLA_FORK_VERSION",
            ),
            (
                with(&minimal(), "CAPELLA_FORK_EPOCH", "soon"),
                "CAPELLA_FORK_EPOCH",
            ),
            (
                with(&minimal(), "GENESIS_FORK_VERSION", "0x1"),
                "GENESIS_FORK_VERSION",
            ),
        ];
        for (spec, key) in &refused {
            assert_eq!(field(spec), *key);
        }
        for key in [
            "SYNC_COMMITTEE_SIZE",
            "SYNC_COMMITTEE_SUBNET_COUNT",
            "EPOCHS_PER_SYNC_COMMITTEE_PERIOD",
            "TARGET_AGGREGATORS_PER_COMMITTEE",
            "TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE",
        ] {
            assert_eq!(field(&with(&minimal(), key, "0")), key);
            assert_eq!(field(&with(&minimal(), key, "-1")), key);
            // One step inside: 1 is accepted.
            assert!(read(&with(&minimal(), key, "1")).is_ok(), "{key} = 1");
        }
        let error = read(&with(&minimal(), "CAPELLA_FORK_VERSION", "0x400005")).expect_err("short");
        assert_eq!(error.field, "CAPELLA_FORK_VERSION");
        assert!(error.to_string().contains("0x400005"), "{error}");
    }

    #[test]
    fn an_unreadable_deposit_contract_falls_back_to_mainnets() {
        let address = "0x4242424242424242424242424242424242424242";
        let config = read(&with(&minimal(), "DEPOSIT_CONTRACT_ADDRESS", address)).expect("valid");
        assert_eq!(config.network.deposit_contract_address.to_hex(), address);
        let config = read(&with(&minimal(), "DEPOSIT_CONTRACT_ADDRESS", "0x42")).expect("valid");
        assert_eq!(
            config.network.deposit_contract_address,
            MAINNET_DEPOSIT_CONTRACT
        );
    }
}
