//! Which Ethereum network a cluster belongs to, from its genesis fork version.
//!
//! The networks Mosaic runs on come from `mosaic_types::Network` (mainnet, hoodi, sepolia,
//! ephemery, dev); this module adds nothing for them. It only keeps the three networks Charon
//! still accepts in cluster files that Mosaic does not run on (goerli, gnosis, chiado), so their
//! existing locks can still be read, inspected and have their EIP-712 signatures checked.
//!
//! Ephemery resets every 28 days with a new chain id, and Charon has no chain id for it at all.
//! We take the iteration that was running at the definition's `timestamp`: operators sign the
//! definition while it is being assembled, so its creation time selects the chain id their
//! wallets used. A definition whose timestamp is missing, unparseable or older than Mosaic's
//! first supported Ephemery iteration has no chain id, and its EIP-712 signatures fail to verify.

use mosaic_types::{ephemery, Network};

use crate::error::{Error, Result};
use crate::timestamp::parse_rfc3339;

/// A network Charon accepts in cluster files that `mosaic_types` does not describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CharonOnlyNetwork {
    /// Name as Charon spells it.
    pub name: &'static str,
    /// Execution chain id (the EIP-712 `chainId`).
    pub chain_id: u64,
    /// Genesis fork version.
    pub genesis_fork_version: [u8; 4],
}

/// Charon's networks that Mosaic cannot run on, kept only to read their cluster files.
pub const CHARON_ONLY_NETWORKS: [CharonOnlyNetwork; 3] = [
    CharonOnlyNetwork {
        name: "goerli",
        chain_id: 5,
        genesis_fork_version: [0x00, 0x00, 0x10, 0x20],
    },
    CharonOnlyNetwork {
        name: "gnosis",
        chain_id: 100,
        genesis_fork_version: [0x00, 0x00, 0x00, 0x64],
    },
    CharonOnlyNetwork {
        name: "chiado",
        chain_id: 10_200,
        genesis_fork_version: [0x00, 0x00, 0x00, 0x6f],
    },
];

fn charon_only(fork_version: &[u8]) -> Option<&'static CharonOnlyNetwork> {
    CHARON_ONLY_NETWORKS
        .iter()
        .find(|n| n.genesis_fork_version[..] == *fork_version)
}

fn version4(fork_version: &[u8]) -> Option<mosaic_types::Version> {
    mosaic_types::Version::from_slice(fork_version).ok()
}

/// The name of the network whose genesis fork version is `fork_version`, if known.
pub fn network_name(fork_version: &[u8]) -> Option<&'static str> {
    version4(fork_version)
        .and_then(Network::name_by_fork_version)
        .or_else(|| charon_only(fork_version).map(|n| n.name))
}

/// The chain id EIP-712 signatures of a definition with this fork version and `timestamp`
/// (RFC 3339) were made for. Ephemery's comes from the iteration running at `timestamp`;
/// dev uses `mosaic_types::DevConfig::default()`'s chain id.
pub fn eip712_chain_id(fork_version: &[u8], timestamp: &str) -> std::result::Result<u64, String> {
    if let Some(n) = charon_only(fork_version) {
        return Ok(n.chain_id);
    }
    let version = version4(fork_version)
        .ok_or_else(|| format!("fork version must be 4 bytes, found {}", fork_version.len()))?;
    if version == ephemery::GENESIS_FORK_VERSION {
        let unix = parse_rfc3339(timestamp).map_err(|e| {
            format!("Ephemery chain id depends on the definition timestamp, which is invalid: {e}")
        })?;
        return ephemery::Iteration::at(unix)
            .map(|it| it.chain_id)
            .map_err(|e| format!("no Ephemery chain id for timestamp {timestamp:?}: {e}"));
    }
    // Only ephemery's parameters depend on the time; any time resolves the others.
    Network::by_fork_version_at(version, ephemery::FIRST_SUPPORTED_TIME)
        .map(|n| n.chain_id)
        .map_err(|e| format!("no chain id for EIP-712: {e}"))
}

/// A network none of `mosaic_types::KNOWN_NETWORKS` describes (a devnet, a local testnet), as
/// `charon create cluster --testnet-*` takes it: what a cluster's lock, deposit data and builder
/// registrations depend on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Testnet {
    /// Name, written into the deposit data files.
    pub name: String,
    /// `GENESIS_FORK_VERSION`: recorded in the lock, signs deposits and registrations.
    pub genesis_fork_version: [u8; 4],
    /// Execution chain id (the deposit contract's chain).
    pub chain_id: u64,
    /// Genesis time, unix seconds (the timestamp of new validators' builder registrations).
    pub genesis_time: u64,
}

/// The network `create` makes a cluster for: `testnet` if given, else `name`, one of
/// `mosaic_types::KNOWN_NETWORKS` (with Ephemery's current iteration). A testnet may not reuse
/// a known network's fork version (its cluster files would claim to be that network's).
pub fn create_network(name: &str, testnet: Option<&Testnet>) -> Result<Network> {
    let Some(testnet) = testnet else {
        return Network::by_name(name).map_err(|e| Error::param("network", e.to_string()));
    };
    if let Some(known) = network_name(&testnet.genesis_fork_version) {
        return Err(Error::param(
            "testnet.genesis_fork_version",
            format!(
                "0x{} is {known}'s genesis fork version; use that network instead",
                hex::encode(testnet.genesis_fork_version)
            ),
        ));
    }
    if testnet.name.trim().is_empty() {
        return Err(Error::param("testnet.name", "must not be empty"));
    }
    let mut network = Network::dev(&mosaic_types::DevConfig::default());
    network.name = testnet.name.clone();
    network.genesis_fork_version = mosaic_types::Version(testnet.genesis_fork_version);
    network.chain_id = testnet.chain_id;
    network.genesis_time = testnet.genesis_time;
    network.genesis_validators_root = None;
    Ok(network)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_mosaic_types_then_charon_only_networks() {
        assert_eq!(network_name(&[0, 0, 0, 0]), Some("mainnet"));
        assert_eq!(network_name(&[0x10, 0, 0x09, 0x10]), Some("hoodi"));
        assert_eq!(network_name(&[0x10, 0, 0x10, 0x1b]), Some("ephemery"));
        assert_eq!(network_name(&[0, 0, 0x10, 0x20]), Some("goerli"));
        assert_eq!(network_name(&[0, 0, 0, 0x64]), Some("gnosis"));
        assert_eq!(network_name(&[9, 9, 9, 9]), None);
        assert_eq!(network_name(&[0, 0, 0]), None);
    }

    #[test]
    fn chain_ids() {
        let t = "2025-01-01T00:00:00Z";
        assert_eq!(eip712_chain_id(&[0, 0, 0, 0], t), Ok(1));
        assert_eq!(eip712_chain_id(&[0x90, 0, 0, 0x69], t), Ok(11_155_111));
        assert_eq!(eip712_chain_id(&[0x10, 0, 0x09, 0x10], ""), Ok(560_048));
        assert_eq!(eip712_chain_id(&[0, 0, 0x10, 0x20], ""), Ok(5));
        assert!(eip712_chain_id(&[9, 9, 9, 9], t).is_err());
        assert!(eip712_chain_id(&[0, 0, 0], t).is_err());
    }

    #[test]
    fn ephemery_chain_id_follows_the_definition_timestamp() {
        let ephemery = ephemery::GENESIS_FORK_VERSION.0;
        // The first supported iteration starts exactly at FIRST_SUPPORTED_TIME (2024-07-04T19:00:00Z).
        let first = ephemery::Iteration::number(ephemery::FIRST_SUPPORTED_ITERATION)
            .expect("first iteration");
        assert_eq!(
            eip712_chain_id(&ephemery, "2024-07-04T19:00:00Z"),
            Ok(first.chain_id)
        );
        // One second before the next reset: still the same iteration; at the reset: the next one.
        assert_eq!(
            eip712_chain_id(&ephemery, "2024-08-01T18:59:59Z"),
            Ok(first.chain_id)
        );
        assert_eq!(
            eip712_chain_id(&ephemery, "2024-08-01T19:00:00Z"),
            Ok(first.chain_id + 1)
        );
        // Offsets are honoured: 21:00+02:00 is 19:00Z.
        assert_eq!(
            eip712_chain_id(&ephemery, "2024-08-01T21:00:00+02:00"),
            Ok(first.chain_id + 1)
        );
        // Before the first supported iteration, or without a timestamp: no chain id.
        assert!(eip712_chain_id(&ephemery, "2024-07-04T18:59:59Z").is_err());
        assert!(eip712_chain_id(&ephemery, "").is_err());
    }

    #[test]
    fn create_networks_are_mosaic_types_networks() {
        assert_eq!(
            create_network("hoodi", None).expect("hoodi").chain_id,
            560_048
        );
        assert!(create_network("goerli", None).is_err());
        assert!(create_network("nonsense", None).is_err());
    }

    #[test]
    fn a_testnet_has_its_own_fork_version_and_not_a_known_one() {
        let testnet = Testnet {
            name: "lodestar-dev".into(),
            genesis_fork_version: [0, 0, 0, 1],
            chain_id: 1337,
            genesis_time: 1_700_000_000,
        };
        // The name given is ignored beside a testnet.
        let network = create_network("mainnet", Some(&testnet)).unwrap();
        assert_eq!(network.name, "lodestar-dev");
        assert_eq!(network.genesis_fork_version.0, [0, 0, 0, 1]);
        assert_eq!(
            (network.chain_id, network.genesis_time),
            (1337, 1_700_000_000)
        );
        let hoodi = Testnet {
            genesis_fork_version: [0x10, 0, 0x09, 0x10],
            ..testnet.clone()
        };
        let error = create_network("dev", Some(&hoodi)).unwrap_err().to_string();
        assert!(error.contains("hoodi"), "{error}");
        let unnamed = Testnet {
            name: " ".into(),
            ..testnet
        };
        assert!(create_network("dev", Some(&unnamed)).is_err());
    }
}
