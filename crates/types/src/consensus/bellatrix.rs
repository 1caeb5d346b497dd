//! Bellatrix containers (`specs/bellatrix/beacon-chain.md`): the execution payload, and the
//! blinded block of the builder specs.

use serde::{Deserialize, Serialize};
use ssz_derive::{Decode, Encode};
use ssz_types::{FixedVector, VariableList};
use tree_hash_derive::TreeHash;

use super::altair::SyncAggregate;
use super::phase0::{
    Attestation, AttesterSlashing, Deposit, Eth1Data, GenericBeaconBlock, GenericSigned,
    ProposerSlashing, SignedVoluntaryExit,
};
use super::preset::Preset;
use super::primitives::Uint256;
use crate::{BlsSignature, ExecutionAddress, Root};

/// `Transaction`: an opaque RLP-encoded execution transaction.
pub type Transaction<P> = VariableList<u8, <P as Preset>::MaxBytesPerTransaction>;

/// `ExecutionPayload` (bellatrix).
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
}

/// `ExecutionPayloadHeader` (bellatrix).
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
}

/// `BeaconBlockBody` (bellatrix).
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
}

/// `BlindedBeaconBlockBody` (bellatrix, builder specs): the body with the payload header in place of the payload.
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
}

/// `BeaconBlock` (bellatrix).
pub type BeaconBlock<P> = GenericBeaconBlock<BeaconBlockBody<P>>;
/// `SignedBeaconBlock` (bellatrix).
pub type SignedBeaconBlock<P> = GenericSigned<BeaconBlock<P>>;
/// `BlindedBeaconBlock` (bellatrix).
pub type BlindedBeaconBlock<P> = GenericBeaconBlock<BlindedBeaconBlockBody<P>>;
/// `SignedBlindedBeaconBlock` (bellatrix).
pub type SignedBlindedBeaconBlock<P> = GenericSigned<BlindedBeaconBlock<P>>;
