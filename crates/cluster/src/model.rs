//! The cluster definition and lock data model, one struct set for every version v1.0 to v1.11.
//! Fields a version does not have stay empty; `version` decides what is read, written and hashed.

use crate::version::Version;

/// A node operator of the cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Operator {
    /// The operator's Ethereum address (`0x`-hex as written in the file, may be empty).
    pub address: String,
    /// The node's ENR (`enr:…`).
    pub enr: String,
    /// EIP-712 signature of the config hash (65 bytes; v1.11 allows several concatenated).
    pub config_signature: Vec<u8>,
    /// EIP-712 signature of the ENR (65 bytes; v1.11 allows several concatenated).
    pub enr_signature: Vec<u8>,
    /// v1.0/v1.1 only: empty signatures were written as `""` rather than `null`.
    pub legacy_empty_signature_strings: bool,
}

/// The creator of a cluster definition (v1.4 and later).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Creator {
    /// The creator's Ethereum address.
    pub address: String,
    /// EIP-712 signature of the config hash.
    pub config_signature: Vec<u8>,
}

/// Fee recipient and withdrawal address of one validator.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidatorAddresses {
    /// The fee recipient address.
    pub fee_recipient_address: String,
    /// The withdrawal address.
    pub withdrawal_address: String,
}

/// A cluster definition (`cluster-definition.json`, or `cluster_definition` inside a lock).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definition {
    /// Schema version.
    pub version: Version,
    /// Cosmetic name.
    pub name: String,
    /// Random unique identifier.
    pub uuid: String,
    /// Creation time (RFC 3339), empty in v1.0.
    pub timestamp: String,
    /// Number of distributed validators.
    pub num_validators: u64,
    /// Signature threshold.
    pub threshold: u64,
    /// DKG algorithm name.
    pub dkg_algorithm: String,
    /// Genesis fork version (4 bytes).
    pub fork_version: Vec<u8>,
    /// The operators, in share-index order (operator i holds share i+1).
    pub operators: Vec<Operator>,
    /// The creator (v1.4+).
    pub creator: Creator,
    /// Per-validator addresses (v1.0–v1.4 hold one pair, repeated for every validator).
    pub validator_addresses: Vec<ValidatorAddresses>,
    /// Partial deposit amounts in gwei (v1.8+).
    pub deposit_amounts: Vec<u64>,
    /// v1.8+: an empty `deposit_amounts` was written as `[]` rather than `null`.
    pub deposit_amounts_empty_array: bool,
    /// Preferred consensus protocol (v1.9+).
    pub consensus_protocol: String,
    /// Target block gas limit (v1.10+).
    pub target_gas_limit: u64,
    /// Whether validators use 0x02 compounding withdrawal credentials (v1.10+).
    pub compounding: bool,
    /// The stored config hash.
    pub config_hash: Vec<u8>,
    /// The stored definition hash.
    pub definition_hash: Vec<u8>,
}

/// Signed deposit data of one (partial) deposit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DepositData {
    /// The validator public key (48 bytes).
    pub pubkey: Vec<u8>,
    /// Withdrawal credentials (32 bytes).
    pub withdrawal_credentials: Vec<u8>,
    /// Amount in gwei.
    pub amount: u64,
    /// BLS signature over the deposit message signing root (96 bytes).
    pub signature: Vec<u8>,
}

/// A validator registration message (builder API `ValidatorRegistrationV1`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Registration {
    /// Fee recipient (20 bytes).
    pub fee_recipient: Vec<u8>,
    /// Gas limit.
    pub gas_limit: u64,
    /// Unix timestamp in seconds.
    pub timestamp: u64,
    /// Validator public key (48 bytes).
    pub pubkey: Vec<u8>,
}

/// A signed, pre-generated builder registration (v1.7+).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuilderRegistration {
    /// The message.
    pub message: Registration,
    /// BLS signature by the DV key (96 bytes).
    pub signature: Vec<u8>,
}

impl BuilderRegistration {
    /// True if no registration is present (all fields empty/zero).
    pub fn is_empty(&self) -> bool {
        self.signature.is_empty()
            && self.message.fee_recipient.is_empty()
            && self.message.pubkey.is_empty()
            && self.message.gas_limit == 0
            && self.message.timestamp == 0
    }
}

/// A distributed validator of a lock.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DistValidator {
    /// The DV (group) public key, 48 bytes.
    pub public_key: Vec<u8>,
    /// One public share per operator, in operator order.
    pub public_shares: Vec<Vec<u8>>,
    /// Deposit data (v1.6/v1.7 hold exactly one; v1.8+ one per partial amount).
    pub partial_deposit_data: Vec<DepositData>,
    /// Pre-generated builder registration (v1.7+).
    pub builder_registration: BuilderRegistration,
}

/// A cluster lock (`cluster-lock.json`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lock {
    /// The definition the lock was made from.
    pub definition: Definition,
    /// The distributed validators.
    pub validators: Vec<DistValidator>,
    /// BLS aggregate of every share's signature over the lock hash (96 bytes).
    pub signature_aggregate: Vec<u8>,
    /// v1.0/v1.1 only: an empty `signature_aggregate` was written as `""` rather than `null`.
    pub legacy_empty_aggregate_string: bool,
    /// The stored lock hash.
    pub lock_hash: Vec<u8>,
    /// secp256k1 signatures of the lock hash by each operator's ENR key (v1.7+).
    pub node_signatures: Vec<Vec<u8>>,
}

impl Lock {
    /// The lock's version (the definition's).
    pub fn version(&self) -> Version {
        self.definition.version
    }
}
