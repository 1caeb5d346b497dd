//! Deneb containers (`specs/deneb/beacon-chain.md`): blob gas in the payload, blob KZG
//! commitments in the body, and the beacon API's block contents (block, proofs, blobs).

use serde::{Deserialize, Serialize};
use ssz_derive::{Decode, Encode};
use ssz_types::{FixedVector, VariableList};
use tree_hash_derive::TreeHash;

use super::altair::SyncAggregate;
use super::bellatrix::Transaction;
use super::capella::{SignedBlsToExecutionChange, Withdrawal};
use super::phase0::{
    Attestation, AttesterSlashing, Deposit, Eth1Data, GenericBeaconBlock, GenericSigned,
    ProposerSlashing, SignedVoluntaryExit, SszObject,
};
use super::preset::{Length, Preset};
use super::primitives::{KzgCommitment, KzgProof, Uint256};
use crate::{BlsSignature, ExecutionAddress, Root};

/// `Blob`: `FIELD_ELEMENTS_PER_BLOB` field elements, 131072 bytes.
pub type Blob<P> = FixedVector<u8, <P as Preset>::BytesPerBlob>;

/// `ExecutionPayload` (deneb).
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
    /// `blob_gas_used`.
    #[serde(with = "crate::quoted")]
    pub blob_gas_used: u64,
    /// `excess_blob_gas`.
    #[serde(with = "crate::quoted")]
    pub excess_blob_gas: u64,
}

/// `ExecutionPayloadHeader` (deneb).
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
    /// `blob_gas_used`.
    #[serde(with = "crate::quoted")]
    pub blob_gas_used: u64,
    /// `excess_blob_gas`.
    #[serde(with = "crate::quoted")]
    pub excess_blob_gas: u64,
}

/// `BeaconBlockBody` (deneb).
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
    /// `blob_kzg_commitments`.
    pub blob_kzg_commitments: VariableList<KzgCommitment, P::MaxBlobCommitmentsPerBlock>,
}

/// `BlindedBeaconBlockBody` (deneb, builder specs): the body with the payload header in place of the payload.
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
    /// `blob_kzg_commitments`.
    pub blob_kzg_commitments: VariableList<KzgCommitment, P::MaxBlobCommitmentsPerBlock>,
}

/// `BeaconBlock` (deneb).
pub type BeaconBlock<P> = GenericBeaconBlock<BeaconBlockBody<P>>;
/// `SignedBeaconBlock` (deneb).
pub type SignedBeaconBlock<P> = GenericSigned<BeaconBlock<P>>;
/// `BlindedBeaconBlock` (deneb).
pub type BlindedBeaconBlock<P> = GenericBeaconBlock<BlindedBeaconBlockBody<P>>;
/// `SignedBlindedBeaconBlock` (deneb).
pub type SignedBlindedBeaconBlock<P> = GenericSigned<BlindedBeaconBlock<P>>;

/// Block contents as the beacon API produces them (`produceBlockV3`, unblinded deneb+):
/// `{ block, kzg_proofs, blobs }`. `N` bounds the proofs (one per blob before fulu, one per cell
/// from fulu on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound(
    serialize = "B: Serialize",
    deserialize = "B: serde::de::DeserializeOwned"
))]
pub struct GenericBlockContents<B: SszObject, P: Preset, N: Length> {
    /// `block`.
    pub block: B,
    /// `kzg_proofs`.
    pub kzg_proofs: VariableList<KzgProof, N>,
    /// `blobs`.
    #[serde(with = "ssz_types::serde_utils::list_of_hex_fixed_vec")]
    pub blobs: VariableList<Blob<P>, P::MaxBlobCommitmentsPerBlock>,
}

/// Signed block contents as the beacon API publishes them (`publishBlockV2`, deneb+):
/// `{ signed_block, kzg_proofs, blobs }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound(
    serialize = "B: Serialize",
    deserialize = "B: serde::de::DeserializeOwned"
))]
pub struct GenericSignedBlockContents<B: SszObject, P: Preset, N: Length> {
    /// `signed_block`.
    pub signed_block: GenericSigned<B>,
    /// `kzg_proofs`.
    pub kzg_proofs: VariableList<KzgProof, N>,
    /// `blobs`.
    #[serde(with = "ssz_types::serde_utils::list_of_hex_fixed_vec")]
    pub blobs: VariableList<Blob<P>, P::MaxBlobCommitmentsPerBlock>,
}

/// `BlockContents` (deneb): one KZG proof per blob.
pub type BlockContents<P> =
    GenericBlockContents<BeaconBlock<P>, P, <P as Preset>::MaxBlobCommitmentsPerBlock>;
/// `SignedBlockContents` (deneb): one KZG proof per blob.
pub type SignedBlockContents<P> =
    GenericSignedBlockContents<BeaconBlock<P>, P, <P as Preset>::MaxBlobCommitmentsPerBlock>;
