//! Amounts in gwei and withdrawal credentials.

use crate::bytes::{ExecutionAddress, Root};
use crate::Error;

/// An amount of ether in gwei (10⁻⁹ ETH), the consensus layer's unit.
pub type Gwei = u64;

/// Gwei in one ether.
pub const GWEI_PER_ETH: Gwei = 1_000_000_000;
/// `MIN_DEPOSIT_AMOUNT`: 1 ETH.
pub const MIN_DEPOSIT_AMOUNT: Gwei = GWEI_PER_ETH;
/// `MAX_EFFECTIVE_BALANCE` (phase0) and `MIN_ACTIVATION_BALANCE` (electra): 32 ETH.
pub const MAX_EFFECTIVE_BALANCE: Gwei = 32 * GWEI_PER_ETH;
/// `MAX_EFFECTIVE_BALANCE_ELECTRA`: 2048 ETH, for compounding (0x02) validators.
pub const MAX_EFFECTIVE_BALANCE_ELECTRA: Gwei = 2048 * GWEI_PER_ETH;

/// Converts whole ether to gwei, failing on overflow.
pub fn eth_to_gwei(eth: u64) -> Result<Gwei, Error> {
    eth.checked_mul(GWEI_PER_ETH)
        .ok_or(Error::AmountOverflow { eth })
}

/// `BLS_WITHDRAWAL_PREFIX`.
pub const BLS_WITHDRAWAL_PREFIX: u8 = 0x00;
/// `ETH1_ADDRESS_WITHDRAWAL_PREFIX`.
pub const ETH1_ADDRESS_WITHDRAWAL_PREFIX: u8 = 0x01;
/// `COMPOUNDING_WITHDRAWAL_PREFIX` (electra).
pub const COMPOUNDING_WITHDRAWAL_PREFIX: u8 = 0x02;

/// The kind of withdrawal credentials, from their first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WithdrawalCredentialsKind {
    /// `0x00`: hash of a BLS withdrawal key.
    Bls,
    /// `0x01`: an execution address, 32 ETH maximum effective balance.
    Eth1Address,
    /// `0x02`: an execution address, compounding up to 2048 ETH.
    Compounding,
    /// Any other prefix byte.
    Unknown(u8),
}

impl WithdrawalCredentialsKind {
    /// Classifies credentials by their prefix byte.
    pub fn of(credentials: &Root) -> Self {
        match credentials.as_bytes()[0] {
            BLS_WITHDRAWAL_PREFIX => Self::Bls,
            ETH1_ADDRESS_WITHDRAWAL_PREFIX => Self::Eth1Address,
            COMPOUNDING_WITHDRAWAL_PREFIX => Self::Compounding,
            other => Self::Unknown(other),
        }
    }
}

fn address_credentials(prefix: u8, address: &ExecutionAddress) -> Root {
    let mut credentials = [0u8; 32];
    credentials[0] = prefix;
    credentials[12..].copy_from_slice(address.as_bytes());
    Root(credentials)
}

/// `0x01 || 0x00 * 11 || address`: execution-address withdrawal credentials.
pub fn eth1_withdrawal_credentials(address: &ExecutionAddress) -> Root {
    address_credentials(ETH1_ADDRESS_WITHDRAWAL_PREFIX, address)
}

/// `0x02 || 0x00 * 11 || address`: compounding withdrawal credentials (electra).
pub fn compounding_withdrawal_credentials(address: &ExecutionAddress) -> Root {
    address_credentials(COMPOUNDING_WITHDRAWAL_PREFIX, address)
}

/// The execution address of `0x01` or `0x02` credentials whose bytes 1..12 are zero, else `None`.
pub fn withdrawal_address(credentials: &Root) -> Option<ExecutionAddress> {
    let bytes = credentials.as_bytes();
    let has_address_prefix = matches!(
        WithdrawalCredentialsKind::of(credentials),
        WithdrawalCredentialsKind::Eth1Address | WithdrawalCredentialsKind::Compounding
    );
    if !has_address_prefix || bytes[1..12].iter().any(|byte| *byte != 0) {
        return None;
    }
    let mut address = [0u8; 20];
    address.copy_from_slice(&bytes[12..]);
    Some(ExecutionAddress(address))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address() -> ExecutionAddress {
        "0xf0179dec45a37423ead4fad5fcb136197872ead9"
            .parse()
            .unwrap()
    }

    #[test]
    fn eth1_credentials_layout() {
        let credentials = eth1_withdrawal_credentials(&address());
        assert_eq!(
            credentials.to_string(),
            "0x010000000000000000000000f0179dec45a37423ead4fad5fcb136197872ead9"
        );
        assert_eq!(
            WithdrawalCredentialsKind::of(&credentials),
            WithdrawalCredentialsKind::Eth1Address
        );
        assert_eq!(withdrawal_address(&credentials), Some(address()));
    }

    #[test]
    fn compounding_credentials_layout() {
        let credentials = compounding_withdrawal_credentials(&address());
        assert_eq!(
            credentials.to_string(),
            "0x020000000000000000000000f0179dec45a37423ead4fad5fcb136197872ead9"
        );
        assert_eq!(
            WithdrawalCredentialsKind::of(&credentials),
            WithdrawalCredentialsKind::Compounding
        );
        assert_eq!(withdrawal_address(&credentials), Some(address()));
    }

    #[test]
    fn withdrawal_address_rejects_bls_unknown_and_dirty_padding() {
        let mut bytes = *eth1_withdrawal_credentials(&address()).as_bytes();
        bytes[0] = 0x00;
        assert_eq!(
            WithdrawalCredentialsKind::of(&Root(bytes)),
            WithdrawalCredentialsKind::Bls
        );
        assert_eq!(withdrawal_address(&Root(bytes)), None);
        bytes[0] = 0x03;
        assert_eq!(
            WithdrawalCredentialsKind::of(&Root(bytes)),
            WithdrawalCredentialsKind::Unknown(3)
        );
        assert_eq!(withdrawal_address(&Root(bytes)), None);
        bytes[0] = 0x01;
        bytes[11] = 0x01;
        assert_eq!(withdrawal_address(&Root(bytes)), None);
        bytes[11] = 0x00;
        assert_eq!(withdrawal_address(&Root(bytes)), Some(address()));
    }

    #[test]
    fn gwei_conversions() {
        assert_eq!(eth_to_gwei(32).unwrap(), MAX_EFFECTIVE_BALANCE);
        assert_eq!(eth_to_gwei(2048).unwrap(), MAX_EFFECTIVE_BALANCE_ELECTRA);
        assert_eq!(eth_to_gwei(1).unwrap(), MIN_DEPOSIT_AMOUNT);
        assert!(eth_to_gwei(u64::MAX / GWEI_PER_ETH).is_ok());
        assert_eq!(
            eth_to_gwei(u64::MAX / GWEI_PER_ETH + 1),
            Err(Error::AmountOverflow {
                eth: u64::MAX / GWEI_PER_ETH + 1
            })
        );
    }
}
