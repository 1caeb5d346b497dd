//! Network presets: mainnet, hoodi, sepolia, ephemery and a configurable dev network.
//!
//! Values are from each network's published configuration (`ethereum/consensus-specs`
//! `configs/mainnet.yaml`, `eth-clients/hoodi`, `eth-clients/sepolia`,
//! `ephemery-testnet/ephemery-genesis`).

use std::time::{SystemTime, UNIX_EPOCH};

use crate::bytes::{Domain, DomainType, ExecutionAddress, Root, Version};
use crate::domain::{builder_domain, compute_domain, deposit_domain};
use crate::ephemery;
use crate::Error;

/// A consensus-layer epoch number.
pub type Epoch = u64;
/// A consensus-layer slot number.
pub type Slot = u64;

/// `FAR_FUTURE_EPOCH`: an epoch that never comes (a fork not scheduled).
pub const FAR_FUTURE_EPOCH: Epoch = u64::MAX;

/// The canonical deposit contract address (mainnet, hoodi, ephemery).
pub const MAINNET_DEPOSIT_CONTRACT: ExecutionAddress = ExecutionAddress([
    0x00, 0x00, 0x00, 0x00, 0x21, 0x9a, 0xb5, 0x40, 0x35, 0x6c, 0xbb, 0x83, 0x9c, 0xbe, 0x05, 0x30,
    0x3d, 0x77, 0x05, 0xfa,
]);

/// Consensus forks, in activation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ForkName {
    /// Genesis.
    Phase0,
    /// Altair.
    Altair,
    /// Bellatrix (the merge).
    Bellatrix,
    /// Capella.
    Capella,
    /// Deneb.
    Deneb,
    /// Electra.
    Electra,
    /// Fulu.
    Fulu,
}

impl ForkName {
    /// Lower-case name as the beacon API writes it (`"phase0"`, `"altair"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Phase0 => "phase0",
            Self::Altair => "altair",
            Self::Bellatrix => "bellatrix",
            Self::Capella => "capella",
            Self::Deneb => "deneb",
            Self::Electra => "electra",
            Self::Fulu => "fulu",
        }
    }
}

impl std::fmt::Display for ForkName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One scheduled fork: its version and activation epoch ([`FAR_FUTURE_EPOCH`] if unscheduled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fork {
    /// Fork version.
    pub version: Version,
    /// Activation epoch.
    pub epoch: Epoch,
}

impl Fork {
    const fn new(version: [u8; 4], epoch: Epoch) -> Self {
        Self {
            version: Version(version),
            epoch,
        }
    }
}

/// The forks after genesis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ForkSchedule {
    /// Altair.
    pub altair: Fork,
    /// Bellatrix.
    pub bellatrix: Fork,
    /// Capella.
    pub capella: Fork,
    /// Deneb.
    pub deneb: Fork,
    /// Electra.
    pub electra: Fork,
    /// Fulu.
    pub fulu: Fork,
}

impl ForkSchedule {
    /// The forks with their names, in activation order.
    pub fn forks(&self) -> [(ForkName, Fork); 6] {
        [
            (ForkName::Altair, self.altair),
            (ForkName::Bellatrix, self.bellatrix),
            (ForkName::Capella, self.capella),
            (ForkName::Deneb, self.deneb),
            (ForkName::Electra, self.electra),
            (ForkName::Fulu, self.fulu),
        ]
    }

    /// Every fork at epoch 0, with versions `[n, suffix...]` for fork number `n` = 2..=7
    /// (the layout of hoodi and ephemery).
    const fn all_at_genesis(suffix: [u8; 3]) -> Self {
        let [a, b, c] = suffix;
        Self {
            altair: Fork::new([0x20, a, b, c], 0),
            bellatrix: Fork::new([0x30, a, b, c], 0),
            capella: Fork::new([0x40, a, b, c], 0),
            deneb: Fork::new([0x50, a, b, c], 0),
            electra: Fork::new([0x60, a, b, c], 0),
            fulu: Fork::new([0x70, a, b, c], 0),
        }
    }
}

/// A network's parameters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Network {
    /// Lower-case name (`"mainnet"`, `"hoodi"`, ...).
    pub name: String,
    /// Execution chain id (`DEPOSIT_CHAIN_ID`).
    pub chain_id: u64,
    /// `GENESIS_FORK_VERSION`.
    pub genesis_fork_version: Version,
    /// Beacon chain genesis time (unix seconds).
    pub genesis_time: u64,
    /// Genesis validators root, where fixed in advance (known public networks).
    pub genesis_validators_root: Option<Root>,
    /// The forks after genesis.
    pub forks: ForkSchedule,
    /// `SECONDS_PER_SLOT`.
    pub seconds_per_slot: u64,
    /// `SLOTS_PER_EPOCH`.
    pub slots_per_epoch: u64,
    /// `DEPOSIT_CONTRACT_ADDRESS`.
    pub deposit_contract_address: ExecutionAddress,
}

/// Names [`Network::by_name`] knows.
pub const KNOWN_NETWORKS: [&str; 5] = ["mainnet", "hoodi", "sepolia", "ephemery", "dev"];

fn now_unix() -> Result<u64, Error> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .map_err(|_| Error::ClockBeforeUnixEpoch)
}

impl Network {
    /// Ethereum mainnet.
    pub fn mainnet() -> Self {
        Self {
            name: "mainnet".into(),
            chain_id: 1,
            genesis_fork_version: Version([0x00, 0x00, 0x00, 0x00]),
            genesis_time: 1_606_824_023,
            genesis_validators_root: Some(Root([
                0x4b, 0x36, 0x3d, 0xb9, 0x4e, 0x28, 0x61, 0x20, 0xd7, 0x6e, 0xb9, 0x05, 0x34, 0x0f,
                0xdd, 0x4e, 0x54, 0xbf, 0xe9, 0xf0, 0x6b, 0xf3, 0x3f, 0xf6, 0xcf, 0x5a, 0xd2, 0x7f,
                0x51, 0x1b, 0xfe, 0x95,
            ])),
            forks: ForkSchedule {
                altair: Fork::new([0x01, 0, 0, 0], 74_240),
                bellatrix: Fork::new([0x02, 0, 0, 0], 144_896),
                capella: Fork::new([0x03, 0, 0, 0], 194_048),
                deneb: Fork::new([0x04, 0, 0, 0], 269_568),
                electra: Fork::new([0x05, 0, 0, 0], 364_032),
                fulu: Fork::new([0x06, 0, 0, 0], 411_392),
            },
            seconds_per_slot: 12,
            slots_per_epoch: 32,
            deposit_contract_address: MAINNET_DEPOSIT_CONTRACT,
        }
    }

    /// The Hoodi testnet.
    pub fn hoodi() -> Self {
        let mut forks = ForkSchedule::all_at_genesis([0x00, 0x09, 0x10]);
        forks.electra.epoch = 2_048;
        forks.fulu.epoch = 50_688;
        Self {
            name: "hoodi".into(),
            chain_id: 560_048,
            genesis_fork_version: Version([0x10, 0x00, 0x09, 0x10]),
            genesis_time: 1_742_213_400,
            genesis_validators_root: Some(Root([
                0x21, 0x2f, 0x13, 0xfc, 0x4d, 0xf0, 0x78, 0xb6, 0xcb, 0x7d, 0xb2, 0x28, 0xf1, 0xc8,
                0x30, 0x75, 0x66, 0xdc, 0xec, 0xf9, 0x00, 0x86, 0x74, 0x01, 0xa9, 0x20, 0x23, 0xd7,
                0xba, 0x99, 0xcb, 0x5f,
            ])),
            forks,
            seconds_per_slot: 12,
            slots_per_epoch: 32,
            deposit_contract_address: MAINNET_DEPOSIT_CONTRACT,
        }
    }

    /// The Sepolia testnet.
    pub fn sepolia() -> Self {
        Self {
            name: "sepolia".into(),
            chain_id: 11_155_111,
            genesis_fork_version: Version([0x90, 0x00, 0x00, 0x69]),
            genesis_time: 1_655_733_600,
            genesis_validators_root: Some(Root([
                0xd8, 0xea, 0x17, 0x1f, 0x3c, 0x94, 0xae, 0xa2, 0x1e, 0xbc, 0x42, 0xa1, 0xed, 0x61,
                0x05, 0x2a, 0xcf, 0x3f, 0x92, 0x09, 0xc0, 0x0e, 0x4e, 0xfb, 0xaa, 0xdd, 0xac, 0x09,
                0xed, 0x9b, 0x80, 0x78,
            ])),
            forks: ForkSchedule {
                altair: Fork::new([0x90, 0, 0, 0x70], 50),
                bellatrix: Fork::new([0x90, 0, 0, 0x71], 100),
                capella: Fork::new([0x90, 0, 0, 0x72], 56_832),
                deneb: Fork::new([0x90, 0, 0, 0x73], 132_608),
                electra: Fork::new([0x90, 0, 0, 0x74], 222_464),
                fulu: Fork::new([0x90, 0, 0, 0x75], 272_640),
            },
            seconds_per_slot: 12,
            slots_per_epoch: 32,
            deposit_contract_address: ExecutionAddress([
                0x7f, 0x02, 0xc3, 0xe3, 0xc9, 0x8b, 0x13, 0x30, 0x55, 0xb8, 0xb3, 0x48, 0xb2, 0xac,
                0x62, 0x56, 0x69, 0xed, 0x29, 0x5d,
            ]),
        }
    }

    /// Ephemery for one iteration: chain id and genesis time change every reset, the genesis
    /// validators root is not known in advance, every fork is active from genesis.
    pub fn ephemery(iteration: &ephemery::Iteration) -> Self {
        Self {
            name: "ephemery".into(),
            chain_id: iteration.chain_id,
            genesis_fork_version: ephemery::GENESIS_FORK_VERSION,
            genesis_time: iteration.beacon_genesis_time,
            genesis_validators_root: None,
            forks: ForkSchedule::all_at_genesis([0x00, 0x10, 0x1b]),
            seconds_per_slot: 12,
            slots_per_epoch: 32,
            deposit_contract_address: MAINNET_DEPOSIT_CONTRACT,
        }
    }

    /// A local development network (the simulator's), as configured.
    pub fn dev(config: &DevConfig) -> Self {
        Self {
            name: "dev".into(),
            chain_id: config.chain_id,
            genesis_fork_version: DevConfig::GENESIS_FORK_VERSION,
            genesis_time: config.genesis_time,
            genesis_validators_root: config.genesis_validators_root,
            forks: ForkSchedule::all_at_genesis([0x00, 0x05, 0x39]),
            seconds_per_slot: config.seconds_per_slot,
            slots_per_epoch: config.slots_per_epoch,
            deposit_contract_address: MAINNET_DEPOSIT_CONTRACT,
        }
    }

    /// The network called `name` (ASCII case-insensitive), with ephemery resolved for the
    /// current time and dev with [`DevConfig::default`].
    pub fn by_name(name: &str) -> Result<Self, Error> {
        Self::by_name_at(name, now_unix()?)
    }

    /// Like [`Network::by_name`], resolving ephemery's iteration at `unix_time`.
    pub fn by_name_at(name: &str, unix_time: u64) -> Result<Self, Error> {
        match name.to_ascii_lowercase().as_str() {
            "mainnet" => Ok(Self::mainnet()),
            "hoodi" => Ok(Self::hoodi()),
            "sepolia" => Ok(Self::sepolia()),
            "ephemery" => Ok(Self::ephemery(&ephemery::Iteration::at(unix_time)?)),
            "dev" => Ok(Self::dev(&DevConfig::default())),
            _ => Err(Error::UnknownNetwork {
                name: name.to_owned(),
                known: KNOWN_NETWORKS.join(", "),
            }),
        }
    }

    /// The network whose genesis fork version is `version` (cluster files store that version),
    /// with ephemery resolved for the current time.
    pub fn by_fork_version(version: Version) -> Result<Self, Error> {
        Self::by_fork_version_at(version, now_unix()?)
    }

    /// Like [`Network::by_fork_version`], resolving ephemery's iteration at `unix_time`.
    pub fn by_fork_version_at(version: Version, unix_time: u64) -> Result<Self, Error> {
        match Self::name_by_fork_version(version) {
            Some(name) => Self::by_name_at(name, unix_time),
            None => Err(Error::UnknownForkVersion {
                version: version.to_string(),
                known: KNOWN_NETWORKS
                    .iter()
                    .filter_map(|name| {
                        Self::genesis_fork_version_of(name).map(|v| format!("{name}={v}"))
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// The name of the network whose genesis fork version is `version`.
    pub fn name_by_fork_version(version: Version) -> Option<&'static str> {
        KNOWN_NETWORKS
            .into_iter()
            .find(|name| Self::genesis_fork_version_of(name) == Some(version))
    }

    fn genesis_fork_version_of(name: &str) -> Option<Version> {
        match name {
            "mainnet" => Some(Self::mainnet().genesis_fork_version),
            "hoodi" => Some(Self::hoodi().genesis_fork_version),
            "sepolia" => Some(Self::sepolia().genesis_fork_version),
            "ephemery" => Some(ephemery::GENESIS_FORK_VERSION),
            "dev" => Some(DevConfig::GENESIS_FORK_VERSION),
            _ => None,
        }
    }

    /// The fork active at `epoch` and its version.
    pub fn fork_at_epoch(&self, epoch: Epoch) -> (ForkName, Version) {
        self.forks
            .forks()
            .into_iter()
            .rev()
            .find(|(_, fork)| fork.epoch != FAR_FUTURE_EPOCH && fork.epoch <= epoch)
            .map(|(name, fork)| (name, fork.version))
            .unwrap_or((ForkName::Phase0, self.genesis_fork_version))
    }

    /// The fork version active at `epoch`.
    pub fn fork_version_at_epoch(&self, epoch: Epoch) -> Version {
        self.fork_at_epoch(epoch).1
    }

    /// The fork whose version is `version`, genesis included.
    pub fn fork_by_version(&self, version: Version) -> Option<ForkName> {
        if version == self.genesis_fork_version {
            return Some(ForkName::Phase0);
        }
        self.forks
            .forks()
            .into_iter()
            .find(|(_, fork)| fork.version == version)
            .map(|(name, _)| name)
    }

    /// The epoch of `slot`.
    pub fn epoch_of_slot(&self, slot: Slot) -> Epoch {
        slot / self.slots_per_epoch.max(1)
    }

    /// Unix time at which `slot` starts, `None` on overflow.
    pub fn slot_start_time(&self, slot: Slot) -> Option<u64> {
        slot.checked_mul(self.seconds_per_slot)?
            .checked_add(self.genesis_time)
    }

    /// The slot in progress at `unix_time`, `None` before genesis.
    pub fn slot_at_time(&self, unix_time: u64) -> Option<Slot> {
        let since_genesis = unix_time.checked_sub(self.genesis_time)?;
        Some(since_genesis / self.seconds_per_slot.max(1))
    }

    /// The deposit domain (genesis fork version, zero genesis validators root).
    pub fn deposit_domain(&self) -> Domain {
        deposit_domain(self.genesis_fork_version)
    }

    /// The builder registration domain (genesis fork version, zero genesis validators root).
    pub fn builder_domain(&self) -> Domain {
        builder_domain(self.genesis_fork_version)
    }

    /// `get_domain` for `domain_type` at `epoch`: the fork version active then and the genesis
    /// validators root. `None` when the root is not known in advance (ephemery): ask the beacon
    /// node and call [`compute_domain`] directly.
    pub fn domain_at_epoch(&self, domain_type: DomainType, epoch: Epoch) -> Option<Domain> {
        let genesis_validators_root = self.genesis_validators_root?;
        Some(compute_domain(
            domain_type,
            self.fork_version_at_epoch(epoch),
            genesis_validators_root,
        ))
    }
}

/// Parameters of the dev network the simulator makes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DevConfig {
    /// Execution chain id.
    pub chain_id: u64,
    /// Beacon genesis time (unix seconds).
    pub genesis_time: u64,
    /// Genesis validators root, once the simulator has made its genesis state.
    pub genesis_validators_root: Option<Root>,
    /// `SECONDS_PER_SLOT`.
    pub seconds_per_slot: u64,
    /// `SLOTS_PER_EPOCH`.
    pub slots_per_epoch: u64,
}

impl DevConfig {
    /// The dev network's genesis fork version; its forks are `0x20000539` .. `0x70000539`,
    /// all active from genesis.
    pub const GENESIS_FORK_VERSION: Version = Version([0x10, 0x00, 0x05, 0x39]);
}

impl Default for DevConfig {
    fn default() -> Self {
        Self {
            chain_id: 1337,
            genesis_time: 0,
            genesis_validators_root: None,
            seconds_per_slot: 12,
            slots_per_epoch: 32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_name_finds_every_known_network_case_insensitively() {
        let t = ephemery::FIRST_SUPPORTED_TIME;
        for name in KNOWN_NETWORKS {
            assert_eq!(Network::by_name_at(name, t).unwrap().name, name);
            assert_eq!(
                Network::by_name_at(&name.to_uppercase(), t).unwrap().name,
                name
            );
        }
    }

    #[test]
    fn unknown_name_lists_known_ones() {
        let err = Network::by_name_at("holesky", 0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown network \"holesky\"; known networks: mainnet, hoodi, sepolia, ephemery, dev"
        );
    }

    #[test]
    fn ephemery_by_name_needs_a_supported_time() {
        assert!(matches!(
            Network::by_name_at("ephemery", ephemery::FIRST_SUPPORTED_TIME - 1),
            Err(Error::EphemeryTimeTooEarly { .. })
        ));
        let network = Network::by_name_at("ephemery", ephemery::FIRST_SUPPORTED_TIME).unwrap();
        assert_eq!(network.chain_id, 39_438_135);
        assert_eq!(network.genesis_time, 1_720_119_600 + 600);
    }

    #[test]
    fn lookup_by_genesis_fork_version() {
        let t = ephemery::FIRST_SUPPORTED_TIME;
        for (version, name) in [
            ("0x00000000", "mainnet"),
            ("0x10000910", "hoodi"),
            ("0x90000069", "sepolia"),
            ("0x1000101b", "ephemery"),
            ("0x10000539", "dev"),
        ] {
            let version: Version = version.parse().unwrap();
            assert_eq!(Network::name_by_fork_version(version), Some(name));
            assert_eq!(Network::by_fork_version_at(version, t).unwrap().name, name);
        }
        let err = Network::by_fork_version_at(Version([0x01, 0x01, 0x70, 0x00]), t).unwrap_err();
        assert!(err.to_string().contains("0x01017000"), "{err}");
        assert!(err.to_string().contains("sepolia=0x90000069"), "{err}");
        // A later fork's version is not a genesis fork version.
        assert_eq!(
            Network::name_by_fork_version(Version([0x01, 0, 0, 0])),
            None
        );
    }

    #[test]
    fn fork_schedule_boundaries() {
        let mainnet = Network::mainnet();
        assert_eq!(mainnet.fork_at_epoch(0), (ForkName::Phase0, Version::ZERO));
        assert_eq!(mainnet.fork_at_epoch(74_239).0, ForkName::Phase0);
        assert_eq!(mainnet.fork_at_epoch(74_240).0, ForkName::Altair);
        assert_eq!(mainnet.fork_at_epoch(364_031).0, ForkName::Deneb);
        assert_eq!(
            mainnet.fork_at_epoch(364_032),
            (ForkName::Electra, Version([5, 0, 0, 0]))
        );
        assert_eq!(mainnet.fork_at_epoch(411_392).0, ForkName::Fulu);
        assert_eq!(
            mainnet.fork_by_version(Version([4, 0, 0, 0])),
            Some(ForkName::Deneb)
        );
        assert_eq!(mainnet.fork_by_version(Version([9, 0, 0, 0])), None);

        let hoodi = Network::hoodi();
        assert_eq!(hoodi.fork_at_epoch(0).0, ForkName::Deneb);
        assert_eq!(hoodi.fork_at_epoch(2_047).0, ForkName::Deneb);
        assert_eq!(
            hoodi.fork_at_epoch(2_048),
            (ForkName::Electra, Version([0x60, 0, 9, 0x10]))
        );

        let mut unscheduled = Network::sepolia();
        unscheduled.forks.fulu.epoch = FAR_FUTURE_EPOCH;
        assert_eq!(unscheduled.fork_at_epoch(u64::MAX).0, ForkName::Electra);
    }

    #[test]
    fn slot_timing() {
        let sepolia = Network::sepolia();
        assert_eq!(sepolia.slot_start_time(0), Some(1_655_733_600));
        assert_eq!(sepolia.slot_start_time(10), Some(1_655_733_720));
        assert_eq!(sepolia.slot_start_time(u64::MAX), None);
        assert_eq!(sepolia.slot_at_time(1_655_733_599), None);
        assert_eq!(sepolia.slot_at_time(1_655_733_600), Some(0));
        assert_eq!(sepolia.slot_at_time(1_655_733_611), Some(0));
        assert_eq!(sepolia.slot_at_time(1_655_733_612), Some(1));
        assert_eq!(sepolia.epoch_of_slot(31), 0);
        assert_eq!(sepolia.epoch_of_slot(32), 1);
    }

    #[test]
    fn domains_follow_the_network() {
        let mainnet = Network::mainnet();
        assert_eq!(
            mainnet.deposit_domain().to_string(),
            "0x03000000f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a9"
        );
        let gvr = mainnet.genesis_validators_root.unwrap();
        assert_eq!(
            mainnet.domain_at_epoch(crate::DOMAIN_BEACON_ATTESTER, 364_032),
            Some(compute_domain(
                crate::DOMAIN_BEACON_ATTESTER,
                Version([5, 0, 0, 0]),
                gvr
            ))
        );
        let ephemery_network =
            Network::by_name_at("ephemery", ephemery::FIRST_SUPPORTED_TIME).unwrap();
        assert_eq!(
            ephemery_network.domain_at_epoch(crate::DOMAIN_RANDAO, 0),
            None
        );
    }

    #[test]
    fn dev_network_is_configurable() {
        let config = DevConfig {
            chain_id: 9,
            genesis_time: 1_000,
            genesis_validators_root: Some(Root([1; 32])),
            seconds_per_slot: 2,
            slots_per_epoch: 8,
        };
        let dev = Network::dev(&config);
        assert_eq!(dev.chain_id, 9);
        assert_eq!(dev.slot_at_time(1_004), Some(2));
        assert_eq!(dev.epoch_of_slot(8), 1);
        assert_eq!(
            dev.fork_at_epoch(0),
            (ForkName::Fulu, Version([0x70, 0, 5, 0x39]))
        );
    }
}
