//! SSZ containers needed by cluster files, deposits and builder registrations.

use serde::{Deserialize, Serialize};
use ssz_derive::{Decode, Encode};
use tree_hash::TreeHash;
use tree_hash_derive::TreeHash;

use crate::bytes::{BlsPubkey, BlsSignature, Domain, ExecutionAddress, Root, Version};
use crate::deposit::Gwei;
use crate::domain::{builder_domain, compute_signing_root, deposit_domain};

/// `ForkData` (phase0): hashed to derive signature domains.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
pub struct ForkData {
    /// `current_version`.
    pub current_version: Version,
    /// `genesis_validators_root`.
    pub genesis_validators_root: Root,
}

/// `SigningData` (phase0): what is actually signed, `hash_tree_root(SigningData)`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
pub struct SigningData {
    /// `object_root`: the hash tree root of the signed object.
    pub object_root: Root,
    /// `domain`.
    pub domain: Domain,
}

/// `DepositMessage` (phase0): the part of a deposit the validator key signs.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
pub struct DepositMessage {
    /// `pubkey`: the validator public key.
    pub pubkey: BlsPubkey,
    /// `withdrawal_credentials`.
    pub withdrawal_credentials: Root,
    /// `amount` in gwei.
    #[serde(with = "crate::quoted")]
    pub amount: Gwei,
}

impl DepositMessage {
    /// `hash_tree_root(DepositMessage)` (the `deposit_message_root` of deposit files).
    pub fn root(&self) -> Root {
        self.tree_hash_root().into()
    }

    /// The root the validator key signs: `compute_signing_root(message, deposit_domain)` with the
    /// network's genesis fork version.
    pub fn signing_root(&self, genesis_fork_version: Version) -> Root {
        compute_signing_root(self.root(), deposit_domain(genesis_fork_version))
    }

    /// Attaches a signature, giving the `DepositData` sent to the deposit contract.
    pub fn with_signature(&self, signature: BlsSignature) -> DepositData {
        DepositData {
            pubkey: self.pubkey,
            withdrawal_credentials: self.withdrawal_credentials,
            amount: self.amount,
            signature,
        }
    }
}

/// `DepositData` (phase0): a signed deposit.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
pub struct DepositData {
    /// `pubkey`: the validator public key.
    pub pubkey: BlsPubkey,
    /// `withdrawal_credentials`.
    pub withdrawal_credentials: Root,
    /// `amount` in gwei.
    #[serde(with = "crate::quoted")]
    pub amount: Gwei,
    /// `signature` over [`DepositMessage::signing_root`].
    pub signature: BlsSignature,
}

impl DepositData {
    /// The signed part.
    pub fn message(&self) -> DepositMessage {
        DepositMessage {
            pubkey: self.pubkey,
            withdrawal_credentials: self.withdrawal_credentials,
            amount: self.amount,
        }
    }

    /// `hash_tree_root(DepositData)` (the `deposit_data_root` passed to the deposit contract).
    pub fn root(&self) -> Root {
        self.tree_hash_root().into()
    }
}

/// `ValidatorRegistrationV1` (builder specs): a validator's registration with MEV builders.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
pub struct ValidatorRegistrationV1 {
    /// `fee_recipient`.
    pub fee_recipient: ExecutionAddress,
    /// `gas_limit`.
    #[serde(with = "crate::quoted")]
    pub gas_limit: u64,
    /// `timestamp` (unix seconds).
    #[serde(with = "crate::quoted")]
    pub timestamp: u64,
    /// `pubkey`: the validator public key.
    pub pubkey: BlsPubkey,
}

impl ValidatorRegistrationV1 {
    /// `hash_tree_root(ValidatorRegistrationV1)`.
    pub fn root(&self) -> Root {
        self.tree_hash_root().into()
    }

    /// The root the validator key signs: the builder domain with the genesis fork version and a
    /// zero genesis validators root.
    pub fn signing_root(&self, genesis_fork_version: Version) -> Root {
        compute_signing_root(self.root(), builder_domain(genesis_fork_version))
    }
}

/// `SignedValidatorRegistrationV1` (builder specs).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
pub struct SignedValidatorRegistrationV1 {
    /// `message`.
    pub message: ValidatorRegistrationV1,
    /// `signature` over [`ValidatorRegistrationV1::signing_root`].
    pub signature: BlsSignature,
}

#[cfg(test)]
mod tests {
    use super::*;
    use ssz::{Decode, Encode};

    fn sample_deposit() -> DepositData {
        DepositData {
            pubkey: BlsPubkey([1; 48]),
            withdrawal_credentials: Root([2; 32]),
            amount: 32_000_000_000,
            signature: BlsSignature([3; 96]),
        }
    }

    #[test]
    fn deposit_data_ssz_round_trip_and_layout() {
        let deposit = sample_deposit();
        let bytes = deposit.as_ssz_bytes();
        assert_eq!(bytes.len(), 48 + 32 + 8 + 96);
        assert_eq!(&bytes[80..88], &32_000_000_000u64.to_le_bytes());
        assert_eq!(DepositData::from_ssz_bytes(&bytes).unwrap(), deposit);
        assert!(DepositData::from_ssz_bytes(&bytes[1..]).is_err());
    }

    #[test]
    fn deposit_json_round_trip_quotes_amount() {
        let deposit = sample_deposit();
        let json = serde_json::to_value(deposit).unwrap();
        assert_eq!(json["amount"], "32000000000");
        assert_eq!(json["pubkey"], format!("0x{}", "01".repeat(48)));
        let back: DepositData = serde_json::from_value(json).unwrap();
        assert_eq!(back, deposit);
    }

    #[test]
    fn message_and_with_signature_are_inverse() {
        let deposit = sample_deposit();
        assert_eq!(deposit.message().with_signature(deposit.signature), deposit);
        assert_ne!(deposit.message().root(), deposit.root());
    }

    #[test]
    fn registration_ssz_layout() {
        let registration = ValidatorRegistrationV1 {
            fee_recipient: ExecutionAddress([0xaa; 20]),
            gas_limit: 30_000_000,
            timestamp: 1_655_733_600,
            pubkey: BlsPubkey([0xbb; 48]),
        };
        let bytes = registration.as_ssz_bytes();
        assert_eq!(bytes.len(), 20 + 8 + 8 + 48);
        assert_eq!(
            ValidatorRegistrationV1::from_ssz_bytes(&bytes).unwrap(),
            registration
        );
        let json = serde_json::to_value(registration).unwrap();
        assert_eq!(json["gas_limit"], "30000000");
        // Charon's lock writes these as numbers; both forms are accepted.
        let mut numeric = json.clone();
        numeric["gas_limit"] = serde_json::json!(30_000_000u64);
        numeric["timestamp"] = serde_json::json!(1_655_733_600u64);
        assert_eq!(
            serde_json::from_value::<ValidatorRegistrationV1>(numeric).unwrap(),
            registration
        );
    }
}
