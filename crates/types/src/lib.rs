//! Ethereum consensus types for Mosaic: fixed-size byte strings, the SSZ containers that cluster
//! files, deposits and builder registrations need, signature domains and signing roots (as in
//! `ethereum/consensus-specs`), withdrawal credentials, and network presets including Ephemery.

mod bytes;
pub mod consensus;
mod containers;
mod deposit;
mod domain;
pub mod ephemery;
mod error;
mod network;
mod quoted;

pub use bytes::{
    BlsPubkey, BlsSignature, Bytes32, Domain, DomainType, ExecutionAddress, Root, Version, B256,
};
pub use containers::{
    DepositData, DepositMessage, ForkData, SignedValidatorRegistrationV1, SigningData,
    ValidatorRegistrationV1,
};
pub use deposit::{
    compounding_withdrawal_credentials, eth1_withdrawal_credentials, eth_to_gwei,
    withdrawal_address, Gwei, WithdrawalCredentialsKind, BLS_WITHDRAWAL_PREFIX,
    COMPOUNDING_WITHDRAWAL_PREFIX, ETH1_ADDRESS_WITHDRAWAL_PREFIX, GWEI_PER_ETH,
    MAX_EFFECTIVE_BALANCE, MAX_EFFECTIVE_BALANCE_ELECTRA, MIN_DEPOSIT_AMOUNT,
};
pub use domain::{
    builder_domain, compute_domain, compute_fork_data_root, compute_signing_root, deposit_domain,
    signing_root_of, DOMAIN_AGGREGATE_AND_PROOF, DOMAIN_APPLICATION_BUILDER,
    DOMAIN_APPLICATION_MASK, DOMAIN_BEACON_ATTESTER, DOMAIN_BEACON_PROPOSER,
    DOMAIN_CONTRIBUTION_AND_PROOF, DOMAIN_DEPOSIT, DOMAIN_RANDAO, DOMAIN_SELECTION_PROOF,
    DOMAIN_SYNC_COMMITTEE, DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF, DOMAIN_VOLUNTARY_EXIT,
};
pub use error::Error;
pub use network::{
    DevConfig, Epoch, Fork, ForkName, ForkSchedule, Network, Slot, FAR_FUTURE_EPOCH,
    KNOWN_NETWORKS, MAINNET_DEPOSIT_CONTRACT,
};

/// Serde helpers for `u64` fields written as decimal strings (beacon API style), accepting
/// numbers too. Use with `#[serde(with = "mosaic_types::quoted_u64")]`.
pub mod quoted_u64 {
    pub use crate::quoted::{deserialize, serialize};
}
