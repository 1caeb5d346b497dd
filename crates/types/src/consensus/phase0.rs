//! Phase0 containers (`specs/phase0/beacon-chain.md`, `validator.md`) with the beacon API's
//! JSON field names.

use serde::{Deserialize, Serialize};
use ssz_derive::{Decode, Encode};
use ssz_types::typenum::U33;
use ssz_types::{BitList, FixedVector, VariableList};
use tree_hash_derive::TreeHash;

use super::preset::Preset;
use super::primitives::{CommitteeIndex, ValidatorIndex};
use crate::{BlsSignature, DepositData, Epoch, Root, Slot, Version};

/// `Fork` (phase0 state field; also served by `/eth/v1/beacon/states/{id}/fork`).
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
pub struct Fork {
    /// `previous_version`.
    pub previous_version: Version,
    /// `current_version`.
    pub current_version: Version,
    /// `epoch` of the current fork's activation.
    #[serde(with = "crate::quoted")]
    pub epoch: Epoch,
}

/// `Checkpoint`.
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
pub struct Checkpoint {
    /// `epoch`.
    #[serde(with = "crate::quoted")]
    pub epoch: Epoch,
    /// `root`.
    pub root: Root,
}

/// `AttestationData`: what an attester votes for.
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
pub struct AttestationData {
    /// `slot`.
    #[serde(with = "crate::quoted")]
    pub slot: Slot,
    /// `index` (committee index; always 0 from electra on).
    #[serde(with = "crate::quoted")]
    pub index: CommitteeIndex,
    /// `beacon_block_root` (LMD GHOST vote).
    pub beacon_block_root: Root,
    /// `source` (FFG vote).
    pub source: Checkpoint,
    /// `target` (FFG vote).
    pub target: Checkpoint,
}

/// `Attestation` (phase0 to deneb).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct Attestation<P: Preset> {
    /// `aggregation_bits`: one bit per committee member.
    pub aggregation_bits: BitList<P::MaxValidatorsPerCommittee>,
    /// `data`.
    pub data: AttestationData,
    /// `signature`.
    pub signature: BlsSignature,
}

/// `IndexedAttestation` (phase0 to deneb).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct IndexedAttestation<P: Preset> {
    /// `attesting_indices`.
    #[serde(with = "ssz_types::serde_utils::quoted_u64_var_list")]
    pub attesting_indices: VariableList<ValidatorIndex, P::MaxValidatorsPerCommittee>,
    /// `data`.
    pub data: AttestationData,
    /// `signature`.
    pub signature: BlsSignature,
}

/// `AggregateAndProof` (phase0 to deneb).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct AggregateAndProof<P: Preset> {
    /// `aggregator_index`.
    #[serde(with = "crate::quoted")]
    pub aggregator_index: ValidatorIndex,
    /// `aggregate`.
    pub aggregate: Attestation<P>,
    /// `selection_proof`: the aggregator's signature over the slot.
    pub selection_proof: BlsSignature,
}

/// `SignedAggregateAndProof` (phase0 to deneb).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct SignedAggregateAndProof<P: Preset> {
    /// `message`.
    pub message: AggregateAndProof<P>,
    /// `signature`.
    pub signature: BlsSignature,
}

/// `BeaconBlockHeader`.
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
pub struct BeaconBlockHeader {
    /// `slot`.
    #[serde(with = "crate::quoted")]
    pub slot: Slot,
    /// `proposer_index`.
    #[serde(with = "crate::quoted")]
    pub proposer_index: ValidatorIndex,
    /// `parent_root`.
    pub parent_root: Root,
    /// `state_root`.
    pub state_root: Root,
    /// `body_root`.
    pub body_root: Root,
}

/// `SignedBeaconBlockHeader`.
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
pub struct SignedBeaconBlockHeader {
    /// `message`.
    pub message: BeaconBlockHeader,
    /// `signature`.
    pub signature: BlsSignature,
}

/// `ProposerSlashing`.
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
pub struct ProposerSlashing {
    /// `signed_header_1`.
    pub signed_header_1: SignedBeaconBlockHeader,
    /// `signed_header_2`.
    pub signed_header_2: SignedBeaconBlockHeader,
}

/// `AttesterSlashing` (phase0 to deneb).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct AttesterSlashing<P: Preset> {
    /// `attestation_1`.
    pub attestation_1: IndexedAttestation<P>,
    /// `attestation_2`.
    pub attestation_2: IndexedAttestation<P>,
}

/// `Deposit`: deposit data with its Merkle proof (`DEPOSIT_CONTRACT_TREE_DEPTH + 1` = 33 nodes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
pub struct Deposit {
    /// `proof`.
    pub proof: FixedVector<Root, U33>,
    /// `data`.
    pub data: DepositData,
}

/// `VoluntaryExit`.
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
pub struct VoluntaryExit {
    /// `epoch`: earliest epoch the exit may be processed.
    #[serde(with = "crate::quoted")]
    pub epoch: Epoch,
    /// `validator_index`.
    #[serde(with = "crate::quoted")]
    pub validator_index: ValidatorIndex,
}

/// `SignedVoluntaryExit`.
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
pub struct SignedVoluntaryExit {
    /// `message`.
    pub message: VoluntaryExit,
    /// `signature`.
    pub signature: BlsSignature,
}

/// `Eth1Data`.
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
pub struct Eth1Data {
    /// `deposit_root`.
    pub deposit_root: Root,
    /// `deposit_count`.
    #[serde(with = "crate::quoted")]
    pub deposit_count: u64,
    /// `block_hash`.
    pub block_hash: Root,
}

/// `BeaconBlockBody` (phase0).
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
}

/// Anything with SSZ encoding, decoding and a hash tree root (the bound of the generic
/// containers below).
pub trait SszObject: ssz::Encode + ssz::Decode + tree_hash::TreeHash {}
impl<T: ssz::Encode + ssz::Decode + tree_hash::TreeHash> SszObject for T {}

/// `BeaconBlock` generic over its body (every fork's block has the same header fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
pub struct GenericBeaconBlock<B: SszObject> {
    /// `slot`.
    #[serde(with = "crate::quoted")]
    pub slot: Slot,
    /// `proposer_index`.
    #[serde(with = "crate::quoted")]
    pub proposer_index: ValidatorIndex,
    /// `parent_root`.
    pub parent_root: Root,
    /// `state_root`.
    pub state_root: Root,
    /// `body`.
    pub body: B,
}

/// A signed message: `message` and `signature` (`SignedBeaconBlock`, `SignedBlindedBeaconBlock`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
pub struct GenericSigned<M: SszObject> {
    /// `message`.
    pub message: M,
    /// `signature`.
    pub signature: BlsSignature,
}

/// `BeaconBlock` (phase0).
pub type BeaconBlock<P> = GenericBeaconBlock<BeaconBlockBody<P>>;
/// `SignedBeaconBlock` (phase0).
pub type SignedBeaconBlock<P> = GenericSigned<BeaconBlock<P>>;
