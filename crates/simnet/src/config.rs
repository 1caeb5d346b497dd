//! Simulator configuration: the validator set, timing, fork and preset.

use std::time::Duration;

use mosaic_types::{BlsPubkey, ForkName};

use crate::Error;

/// The consensus preset: the constants that differ between `mainnet` and `minimal`
/// (`ethereum/consensus-specs` `presets/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Preset {
    /// The `minimal` preset (small committees, fast shuffling): the default, for speed.
    #[default]
    Minimal,
    /// The `mainnet` preset.
    Mainnet,
}

impl Preset {
    /// The preset's name as in `config/spec` (`PRESET_BASE`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Minimal => "minimal",
            Self::Mainnet => "mainnet",
        }
    }

    /// `SLOTS_PER_EPOCH` of the preset.
    pub fn slots_per_epoch(self) -> u64 {
        match self {
            Self::Minimal => 8,
            Self::Mainnet => 32,
        }
    }

    /// `TARGET_COMMITTEE_SIZE`.
    pub fn target_committee_size(self) -> u64 {
        match self {
            Self::Minimal => 4,
            Self::Mainnet => 128,
        }
    }

    /// `MAX_COMMITTEES_PER_SLOT`.
    pub fn max_committees_per_slot(self) -> u64 {
        match self {
            Self::Minimal => 4,
            Self::Mainnet => 64,
        }
    }

    /// `MAX_VALIDATORS_PER_COMMITTEE`.
    pub fn max_validators_per_committee(self) -> u64 {
        2048
    }

    /// `SHUFFLE_ROUND_COUNT`.
    pub fn shuffle_round_count(self) -> u8 {
        match self {
            Self::Minimal => 10,
            Self::Mainnet => 90,
        }
    }

    /// `SYNC_COMMITTEE_SIZE`.
    pub fn sync_committee_size(self) -> u64 {
        match self {
            Self::Minimal => 32,
            Self::Mainnet => 512,
        }
    }

    /// `EPOCHS_PER_SYNC_COMMITTEE_PERIOD`.
    pub fn epochs_per_sync_committee_period(self) -> u64 {
        match self {
            Self::Minimal => 8,
            Self::Mainnet => 256,
        }
    }

    /// Parses `"minimal"` or `"mainnet"`.
    pub fn from_name(name: &str) -> Result<Self, Error> {
        match name {
            "minimal" => Ok(Self::Minimal),
            "mainnet" => Ok(Self::Mainnet),
            other => Err(Error::Config {
                field: "preset",
                reason: format!("{other:?} is neither \"minimal\" nor \"mainnet\""),
            }),
        }
    }
}

/// How the simulated chain is set up.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Validators whose keys someone outside the simulator holds (for example a cluster lock's
    /// distributed validator public keys). They take indices `0..validators.len()` and are the
    /// ones whose duties are recorded and scored.
    pub validators: Vec<BlsPubkey>,
    /// Extra "virtual" validators with keys derived from [`SimConfig::seed`], indices after the
    /// explicit ones. The simulator proposes for them (unsigned, see
    /// [`SimConfig::virtual_proposals`]) and otherwise does not sign for them.
    pub filler_validators: usize,
    /// Slot duration. One second or more for real validator clients; shorter for tests.
    pub slot_duration: Duration,
    /// `SLOTS_PER_EPOCH`.
    pub slots_per_epoch: u64,
    /// The fork the chain runs: every fork up to this one is active from epoch 0, later ones
    /// are unscheduled. Capella to Fulu.
    pub fork: ForkName,
    /// The preset.
    pub preset: Preset,
    /// The seed of every derived value (filler keys, RANDAO mixes, block roots).
    pub seed: u64,
    /// Genesis time, unix seconds.
    pub genesis_time: u64,
    /// Whether the simulator makes a block for slots whose proposer is a filler validator (so the
    /// head advances without anyone outside proposing).
    pub virtual_proposals: bool,
}

impl SimConfig {
    /// A configuration with the preset's defaults: Fulu, minimal preset, 1 s slots, seed 0,
    /// genesis at `genesis_time`, no validators.
    pub fn new(genesis_time: u64) -> Self {
        Self {
            validators: Vec::new(),
            filler_validators: 0,
            slot_duration: Duration::from_secs(1),
            slots_per_epoch: Preset::Minimal.slots_per_epoch(),
            fork: ForkName::Fulu,
            preset: Preset::Minimal,
            seed: 0,
            genesis_time,
            virtual_proposals: true,
        }
    }

    /// Checks the configuration is one the simulator can run.
    pub fn validate(&self) -> Result<(), Error> {
        if self.fork < ForkName::Capella {
            return Err(Error::Config {
                field: "fork",
                reason: format!(
                    "{} is before capella; the simulator runs capella to fulu",
                    self.fork
                ),
            });
        }
        if self.slot_duration < Duration::from_millis(10) {
            return Err(Error::Config {
                field: "slot_duration",
                reason: format!("{:?} is shorter than 10 ms", self.slot_duration),
            });
        }
        if self.slots_per_epoch == 0 {
            return Err(Error::Config {
                field: "slots_per_epoch",
                reason: "must be at least 1".into(),
            });
        }
        if self.validators.len() + self.filler_validators == 0 {
            return Err(Error::Config {
                field: "validators",
                reason: "the validator set is empty (no explicit and no filler validators)".into(),
            });
        }
        Ok(())
    }

    /// Slot duration in whole milliseconds.
    pub fn slot_ms(&self) -> u64 {
        self.slot_duration.as_millis() as u64
    }
}
