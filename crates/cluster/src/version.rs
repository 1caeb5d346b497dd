//! Cluster file schema versions v1.0.0 to v1.11.0 and the features each one carries.

use std::fmt;
use std::str::FromStr;

/// A cluster definition/lock schema version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    /// v1.0.0
    V1_0,
    /// v1.1.0
    V1_1,
    /// v1.2.0
    V1_2,
    /// v1.3.0
    V1_3,
    /// v1.4.0
    V1_4,
    /// v1.5.0
    V1_5,
    /// v1.6.0
    V1_6,
    /// v1.7.0
    V1_7,
    /// v1.8.0
    V1_8,
    /// v1.9.0
    V1_9,
    /// v1.10.0
    V1_10,
    /// v1.11.0
    V1_11,
}

impl Version {
    /// Every supported version, oldest first.
    pub const ALL: [Version; 12] = [
        Version::V1_0,
        Version::V1_1,
        Version::V1_2,
        Version::V1_3,
        Version::V1_4,
        Version::V1_5,
        Version::V1_6,
        Version::V1_7,
        Version::V1_8,
        Version::V1_9,
        Version::V1_10,
        Version::V1_11,
    ];

    /// The latest version, which `create` writes (Charon's current version).
    pub const LATEST: Version = Version::V1_11;

    /// The version string as it appears in a file, e.g. `v1.10.0`.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V1_0 => "v1.0.0",
            Version::V1_1 => "v1.1.0",
            Version::V1_2 => "v1.2.0",
            Version::V1_3 => "v1.3.0",
            Version::V1_4 => "v1.4.0",
            Version::V1_5 => "v1.5.0",
            Version::V1_6 => "v1.6.0",
            Version::V1_7 => "v1.7.0",
            Version::V1_8 => "v1.8.0",
            Version::V1_9 => "v1.9.0",
            Version::V1_10 => "v1.10.0",
            Version::V1_11 => "v1.11.0",
        }
    }

    /// v1.0 and v1.1 encode byte fields as base64 and operators carry a `nonce`.
    pub fn is_base64_era(self) -> bool {
        self <= Version::V1_1
    }

    /// v1.0 to v1.4 carry one fee recipient and withdrawal address for all validators.
    pub fn has_single_addresses(self) -> bool {
        self <= Version::V1_4
    }

    /// EIP-712 operator signatures exist from v1.3.
    pub fn supports_eip712(self) -> bool {
        self >= Version::V1_3
    }

    /// The creator object exists from v1.4.
    pub fn has_creator(self) -> bool {
        self >= Version::V1_4
    }

    /// Deposit data is part of each validator from v1.6.
    pub fn has_deposit_data(self) -> bool {
        self >= Version::V1_6
    }

    /// Builder registrations and node signatures exist from v1.7.
    pub fn has_builder_registration(self) -> bool {
        self >= Version::V1_7
    }

    /// Node signatures exist from v1.7.
    pub fn has_node_signatures(self) -> bool {
        self >= Version::V1_7
    }

    /// `deposit_amounts` and `partial_deposit_data` exist from v1.8.
    pub fn has_partial_deposits(self) -> bool {
        self >= Version::V1_8
    }

    /// `consensus_protocol` exists from v1.9.
    pub fn has_consensus_protocol(self) -> bool {
        self >= Version::V1_9
    }

    /// `target_gas_limit` and `compounding` exist from v1.10.
    pub fn has_gas_limit_and_compounding(self) -> bool {
        self >= Version::V1_10
    }

    /// v1.11 allows several concatenated 65-byte signatures (Safe multisig).
    pub fn has_multi_signatures(self) -> bool {
        self >= Version::V1_11
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Version {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Version::ALL
            .iter()
            .copied()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown version {s:?} (supported: v1.0.0 to v1.11.0)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_version_and_rejects_unknown() {
        for v in Version::ALL {
            assert_eq!(v.as_str().parse::<Version>(), Ok(v));
        }
        assert!("v1.12.0".parse::<Version>().is_err());
        assert!("v1.10".parse::<Version>().is_err());
    }
}
