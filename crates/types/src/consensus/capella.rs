//! Capella containers (`specs/capella/beacon-chain.md`): withdrawals and BLS-to-execution
//! credential changes.

use serde::{Deserialize, Serialize};
use ssz_derive::{Decode, Encode};
use ssz_types::{FixedVector, VariableList};
use tree_hash_derive::TreeHash;

use super::altair::SyncAggregate;
use super::bellatrix::Transaction;
use super::phase0::{
    Attestation, AttesterSlashing, Deposit, Eth1Data, GenericBeaconBlock, GenericSigned,
    ProposerSlashing, SignedVoluntaryExit,
};
use super::preset::Preset;
use super::primitives::{Gwei, Uint256, ValidatorIndex, WithdrawalIndex};
use crate::{BlsPubkey, BlsSignature, ExecutionAddress, Root};

/// `Withdrawal`: a payment from the beacon chain to an execution address.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    Serialize,
    Deserialize,
    Encode,
    Decode,
    TreeHash,
)]
pub struct Withdrawal {
    /// `index`.
    #[serde(with = "crate::quoted")]
    pub index: WithdrawalIndex,
    /// `validator_index`.
    #[serde(with = "crate::quoted")]
    pub validator_index: ValidatorIndex,
    /// `address`.
    pub address: ExecutionAddress,
    /// `amount`.
    #[serde(with = "crate::quoted")]
    pub amount: Gwei,
}

/// `BLSToExecutionChange`: moves a validator's withdrawal credentials from BLS to an address.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    Serialize,
    Deserialize,
    Encode,
    Decode,
    TreeHash,
)]
pub struct BlsToExecutionChange {
    /// `validator_index`.
    #[serde(with = "crate::quoted")]
    pub validator_index: ValidatorIndex,
    /// `from_bls_pubkey`.
    pub from_bls_pubkey: BlsPubkey,
    /// `to_execution_address`.
    pub to_execution_address: ExecutionAddress,
}

/// `SignedBLSToExecutionChange`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    Serialize,
    Deserialize,
    Encode,
    Decode,
    TreeHash,
)]
pub struct SignedBlsToExecutionChange {
    /// `message`.
    pub message: BlsToExecutionChange,
    /// `signature`.
    pub signature: BlsSignature,
}

/// `ExecutionPayload` (capella).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct ExecutionPayload<P: Preset> {
    /// `parent_hash`.
    pub parent_hash: Root,
    /// `fee_recipient`.
    pub fee_recipient: ExecutionAddress,
    /// `state_root`.
    pub state_root: Root,
    /// `receipts_root`.
    pub receipts_root: Root,
    /// `logs_bloom`.
    #[serde(with = "ssz_types::serde_utils::hex_fixed_vec")]
    pub logs_bloom: FixedVector<u8, P::BytesPerLogsBloom>,
    /// `prev_randao`.
    pub prev_randao: Root,
    /// `block_number`.
    #[serde(with = "crate::quoted")]
    pub block_number: u64,
    /// `gas_limit`.
    #[serde(with = "crate::quoted")]
    pub gas_limit: u64,
    /// `gas_used`.
    #[serde(with = "crate::quoted")]
    pub gas_used: u64,
    /// `timestamp`.
    #[serde(with = "crate::quoted")]
    pub timestamp: u64,
    /// `extra_data`.
    #[serde(with = "ssz_types::serde_utils::hex_var_list")]
    pub extra_data: VariableList<u8, P::MaxExtraDataBytes>,
    /// `base_fee_per_gas`.
    pub base_fee_per_gas: Uint256,
    /// `block_hash`.
    pub block_hash: Root,
    /// `transactions`.
    #[serde(with = "ssz_types::serde_utils::list_of_hex_var_list")]
    pub transactions: VariableList<Transaction<P>, P::MaxTransactionsPerPayload>,
    /// `withdrawals`.
    pub withdrawals: VariableList<Withdrawal, P::MaxWithdrawalsPerPayload>,
}

/// `ExecutionPayloadHeader` (capella).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct ExecutionPayloadHeader<P: Preset> {
    /// `parent_hash`.
    pub parent_hash: Root,
    /// `fee_recipient`.
    pub fee_recipient: ExecutionAddress,
    /// `state_root`.
    pub state_root: Root,
    /// `receipts_root`.
    pub receipts_root: Root,
    /// `logs_bloom`.
    #[serde(with = "ssz_types::serde_utils::hex_fixed_vec")]
    pub logs_bloom: FixedVector<u8, P::BytesPerLogsBloom>,
    /// `prev_randao`.
    pub prev_randao: Root,
    /// `block_number`.
    #[serde(with = "crate::quoted")]
    pub block_number: u64,
    /// `gas_limit`.
    #[serde(with = "crate::quoted")]
    pub gas_limit: u64,
    /// `gas_used`.
    #[serde(with = "crate::quoted")]
    pub gas_used: u64,
    /// `timestamp`.
    #[serde(with = "crate::quoted")]
    pub timestamp: u64,
    /// `extra_data`.
    #[serde(with = "ssz_types::serde_utils::hex_var_list")]
    pub extra_data: VariableList<u8, P::MaxExtraDataBytes>,
    /// `base_fee_per_gas`.
    pub base_fee_per_gas: Uint256,
    /// `block_hash`.
    pub block_hash: Root,
    /// `transactions_root`.
    pub transactions_root: Root,
    /// `withdrawals_root`.
    pub withdrawals_root: Root,
}

/// `BeaconBlockBody` (capella).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct BeaconBlockBody<P: Preset> {
    /// `randao_reveal`.
    pub randao_reveal: BlsSignature,
    /// `eth1_data`.
    pub eth1_data: Eth1Data,
    /// `graffiti`.
    pub graffiti: Root,
    /// `proposer_slashings`.
    pub proposer_slashings: VariableList<ProposerSlashing, P::MaxProposerSlashings>,
    /// `attester_slashings`.
    pub attester_slashings: VariableList<AttesterSlashing<P>, P::MaxAttesterSlashings>,
    /// `attestations`.
    pub attestations: VariableList<Attestation<P>, P::MaxAttestations>,
    /// `deposits`.
    pub deposits: VariableList<Deposit, P::MaxDeposits>,
    /// `voluntary_exits`.
    pub voluntary_exits: VariableList<SignedVoluntaryExit, P::MaxVoluntaryExits>,
    /// `sync_aggregate`.
    pub sync_aggregate: SyncAggregate<P>,
    /// `execution_payload`.
    pub execution_payload: ExecutionPayload<P>,
    /// `bls_to_execution_changes`.
    pub bls_to_execution_changes:
        VariableList<SignedBlsToExecutionChange, P::MaxBlsToExecutionChanges>,
}

/// `BlindedBeaconBlockBody` (capella, builder specs): the body with the payload header in place of the payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct BlindedBeaconBlockBody<P: Preset> {
    /// `randao_reveal`.
    pub randao_reveal: BlsSignature,
    /// `eth1_data`.
    pub eth1_data: Eth1Data,
    /// `graffiti`.
    pub graffiti: Root,
    /// `proposer_slashings`.
    pub proposer_slashings: VariableList<ProposerSlashing, P::MaxProposerSlashings>,
    /// `attester_slashings`.
    pub attester_slashings: VariableList<AttesterSlashing<P>, P::MaxAttesterSlashings>,
    /// `attestations`.
    pub attestations: VariableList<Attestation<P>, P::MaxAttestations>,
    /// `deposits`.
    pub deposits: VariableList<Deposit, P::MaxDeposits>,
    /// `voluntary_exits`.
    pub voluntary_exits: VariableList<SignedVoluntaryExit, P::MaxVoluntaryExits>,
    /// `sync_aggregate`.
    pub sync_aggregate: SyncAggregate<P>,
    /// `execution_payload_header`.
    pub execution_payload_header: ExecutionPayloadHeader<P>,
    /// `bls_to_execution_changes`.
    pub bls_to_execution_changes:
        VariableList<SignedBlsToExecutionChange, P::MaxBlsToExecutionChanges>,
}

/// `BeaconBlock` (capella).
pub type BeaconBlock<P> = GenericBeaconBlock<BeaconBlockBody<P>>;
/// `SignedBeaconBlock` (capella).
pub type SignedBeaconBlock<P> = GenericSigned<BeaconBlock<P>>;
/// `BlindedBeaconBlock` (capella).
pub type BlindedBeaconBlock<P> = GenericBeaconBlock<BlindedBeaconBlockBody<P>>;
/// `SignedBlindedBeaconBlock` (capella).
pub type SignedBlindedBeaconBlock<P> = GenericSigned<BlindedBeaconBlock<P>>;
