//! Electra containers (`specs/electra/beacon-chain.md`, `validator.md`): multi-committee
//! attestations (`committee_bits`), `SingleAttestation`, larger slashing and attestation
//! limits, and execution requests.

use serde::{Deserialize, Serialize};
use ssz_derive::{Decode, Encode};
use ssz_types::{BitList, BitVector, VariableList};
use tree_hash_derive::TreeHash;

use super::altair::SyncAggregate;
use super::capella::SignedBlsToExecutionChange;
use super::deneb::{
    ExecutionPayload, ExecutionPayloadHeader, GenericBlockContents, GenericSignedBlockContents,
};
use super::phase0::{
    AttestationData, Deposit, Eth1Data, GenericBeaconBlock, GenericSigned, ProposerSlashing,
    SignedVoluntaryExit,
};
use super::preset::Preset;
use super::primitives::{CommitteeIndex, Gwei, KzgCommitment, ValidatorIndex};
use crate::{BlsPubkey, BlsSignature, ExecutionAddress, Root};

/// `Attestation` (electra): aggregation bits span every committee in `committee_bits`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct Attestation<P: Preset> {
    /// `aggregation_bits`.
    pub aggregation_bits: BitList<P::MaxValidatorsPerSlot>,
    /// `data`.
    pub data: AttestationData,
    /// `signature`.
    pub signature: BlsSignature,
    /// `committee_bits`.
    pub committee_bits: BitVector<P::MaxCommitteesPerSlot>,
}

/// `IndexedAttestation` (electra).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct IndexedAttestation<P: Preset> {
    /// `attesting_indices`.
    #[serde(with = "ssz_types::serde_utils::quoted_u64_var_list")]
    pub attesting_indices: VariableList<ValidatorIndex, P::MaxValidatorsPerSlot>,
    /// `data`.
    pub data: AttestationData,
    /// `signature`.
    pub signature: BlsSignature,
}

/// `AttesterSlashing` (electra).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct AttesterSlashing<P: Preset> {
    /// `attestation_1`.
    pub attestation_1: IndexedAttestation<P>,
    /// `attestation_2`.
    pub attestation_2: IndexedAttestation<P>,
}

/// `AggregateAndProof` (electra).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct AggregateAndProof<P: Preset> {
    /// `aggregator_index`.
    #[serde(with = "crate::quoted")]
    pub aggregator_index: ValidatorIndex,
    /// `aggregate`.
    pub aggregate: Attestation<P>,
    /// `selection_proof`.
    pub selection_proof: BlsSignature,
}

/// `SignedAggregateAndProof` (electra).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct SignedAggregateAndProof<P: Preset> {
    /// `message`.
    pub message: AggregateAndProof<P>,
    /// `signature`.
    pub signature: BlsSignature,
}

/// `SingleAttestation` (electra): one attester's unaggregated vote, as gossiped and submitted.
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
pub struct SingleAttestation {
    /// `committee_index`.
    #[serde(with = "crate::quoted")]
    pub committee_index: CommitteeIndex,
    /// `attester_index`.
    #[serde(with = "crate::quoted")]
    pub attester_index: ValidatorIndex,
    /// `data`.
    pub data: AttestationData,
    /// `signature`.
    pub signature: BlsSignature,
}

/// `DepositRequest` (EIP-6110).
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
pub struct DepositRequest {
    /// `pubkey`.
    pub pubkey: BlsPubkey,
    /// `withdrawal_credentials`.
    pub withdrawal_credentials: Root,
    /// `amount`.
    #[serde(with = "crate::quoted")]
    pub amount: Gwei,
    /// `signature`.
    pub signature: BlsSignature,
    /// `index`.
    #[serde(with = "crate::quoted")]
    pub index: u64,
}

/// `WithdrawalRequest` (EIP-7002).
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
pub struct WithdrawalRequest {
    /// `source_address`.
    pub source_address: ExecutionAddress,
    /// `validator_pubkey`.
    pub validator_pubkey: BlsPubkey,
    /// `amount`.
    #[serde(with = "crate::quoted")]
    pub amount: Gwei,
}

/// `ConsolidationRequest` (EIP-7251).
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
pub struct ConsolidationRequest {
    /// `source_address`.
    pub source_address: ExecutionAddress,
    /// `source_pubkey`.
    pub source_pubkey: BlsPubkey,
    /// `target_pubkey`.
    pub target_pubkey: BlsPubkey,
}

/// `ExecutionRequests`: the execution layer's requests to the beacon chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct ExecutionRequests<P: Preset> {
    /// `deposits`.
    pub deposits: VariableList<DepositRequest, P::MaxDepositRequestsPerPayload>,
    /// `withdrawals`.
    pub withdrawals: VariableList<WithdrawalRequest, P::MaxWithdrawalRequestsPerPayload>,
    /// `consolidations`.
    pub consolidations: VariableList<ConsolidationRequest, P::MaxConsolidationRequestsPerPayload>,
}

/// `BeaconBlockBody` (electra).
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
    pub attester_slashings: VariableList<AttesterSlashing<P>, P::MaxAttesterSlashingsElectra>,
    /// `attestations`.
    pub attestations: VariableList<Attestation<P>, P::MaxAttestationsElectra>,
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
    /// `execution_requests`.
    pub execution_requests: ExecutionRequests<P>,
}

/// `BlindedBeaconBlockBody` (electra, builder specs): the body with the payload header in place of the payload.
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
    pub attester_slashings: VariableList<AttesterSlashing<P>, P::MaxAttesterSlashingsElectra>,
    /// `attestations`.
    pub attestations: VariableList<Attestation<P>, P::MaxAttestationsElectra>,
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
    /// `execution_requests`.
    pub execution_requests: ExecutionRequests<P>,
}

/// `BeaconBlock` (electra).
pub type BeaconBlock<P> = GenericBeaconBlock<BeaconBlockBody<P>>;
/// `SignedBeaconBlock` (electra).
pub type SignedBeaconBlock<P> = GenericSigned<BeaconBlock<P>>;
/// `BlindedBeaconBlock` (electra).
pub type BlindedBeaconBlock<P> = GenericBeaconBlock<BlindedBeaconBlockBody<P>>;
/// `SignedBlindedBeaconBlock` (electra).
pub type SignedBlindedBeaconBlock<P> = GenericSigned<BlindedBeaconBlock<P>>;

/// `BlockContents` (electra): one KZG proof per blob.
pub type BlockContents<P> =
    GenericBlockContents<BeaconBlock<P>, P, <P as Preset>::MaxBlobCommitmentsPerBlock>;
/// `SignedBlockContents` (electra): one KZG proof per blob.
pub type SignedBlockContents<P> =
    GenericSignedBlockContents<BeaconBlock<P>, P, <P as Preset>::MaxBlobCommitmentsPerBlock>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consensus::Minimal;

    fn indexed_json(count: u64) -> serde_json::Value {
        serde_json::json!({
            "attesting_indices": (0..count).map(|i| i.to_string()).collect::<Vec<_>>(),
            "data": serde_json::to_value(AttestationData::default()).unwrap(),
            "signature": format!("0x{}", "00".repeat(96)),
        })
    }

    #[test]
    fn attesting_indices_limit_is_validators_per_slot() {
        // Minimal: MAX_VALIDATORS_PER_COMMITTEE (2048) * MAX_COMMITTEES_PER_SLOT (4) = 8192.
        let at_limit: IndexedAttestation<Minimal> =
            serde_json::from_value(indexed_json(8192)).unwrap();
        assert_eq!(at_limit.attesting_indices.len(), 8192);
        assert!(serde_json::from_value::<IndexedAttestation<Minimal>>(indexed_json(8193)).is_err());
    }

    #[test]
    fn committee_bits_must_have_the_preset_length() {
        let attestation = Attestation::<Minimal> {
            aggregation_bits: BitList::with_capacity(3).unwrap(),
            data: AttestationData::default(),
            signature: BlsSignature::ZERO,
            committee_bits: BitVector::new(),
        };
        let mut json = serde_json::to_value(&attestation).unwrap();
        // Minimal has 4 committees per slot: one byte.
        assert_eq!(json["committee_bits"], "0x00");
        assert_eq!(
            serde_json::from_value::<Attestation<Minimal>>(json.clone()).unwrap(),
            attestation
        );
        json["committee_bits"] = "0x0000".into();
        assert!(serde_json::from_value::<Attestation<Minimal>>(json.clone()).is_err());
        // A bit past the fourth committee does not fit either.
        json["committee_bits"] = "0x10".into();
        assert!(serde_json::from_value::<Attestation<Minimal>>(json).is_err());
    }
}
