//! Altair containers (`specs/altair/beacon-chain.md`, `validator.md`): sync committees and the
//! block body with `sync_aggregate`.

use serde::{Deserialize, Serialize};
use ssz_derive::{Decode, Encode};
use ssz_types::{BitVector, VariableList};
use tree_hash_derive::TreeHash;

use super::phase0::{
    Attestation, AttesterSlashing, Deposit, Eth1Data, GenericBeaconBlock, GenericSigned,
    ProposerSlashing, SignedVoluntaryExit,
};
use super::preset::Preset;
use super::primitives::ValidatorIndex;
use crate::{BlsSignature, Root, Slot};

/// `SyncAggregate`: the sync committee's aggregate signature over the parent block root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct SyncAggregate<P: Preset> {
    /// `sync_committee_bits`.
    pub sync_committee_bits: BitVector<P::SyncCommitteeSize>,
    /// `sync_committee_signature`.
    pub sync_committee_signature: BlsSignature,
}

/// `SyncCommitteeMessage`: one member's signature over a block root.
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
pub struct SyncCommitteeMessage {
    /// `slot`.
    #[serde(with = "crate::quoted")]
    pub slot: Slot,
    /// `beacon_block_root`.
    pub beacon_block_root: Root,
    /// `validator_index`.
    #[serde(with = "crate::quoted")]
    pub validator_index: ValidatorIndex,
    /// `signature`.
    pub signature: BlsSignature,
}

/// `SyncCommitteeContribution`: a subcommittee's aggregate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct SyncCommitteeContribution<P: Preset> {
    /// `slot`.
    #[serde(with = "crate::quoted")]
    pub slot: Slot,
    /// `beacon_block_root`.
    pub beacon_block_root: Root,
    /// `subcommittee_index`.
    #[serde(with = "crate::quoted")]
    pub subcommittee_index: u64,
    /// `aggregation_bits`: one bit per subcommittee member.
    pub aggregation_bits: BitVector<P::SyncSubcommitteeSize>,
    /// `signature`.
    pub signature: BlsSignature,
}

/// `ContributionAndProof`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct ContributionAndProof<P: Preset> {
    /// `aggregator_index`.
    #[serde(with = "crate::quoted")]
    pub aggregator_index: ValidatorIndex,
    /// `contribution`.
    pub contribution: SyncCommitteeContribution<P>,
    /// `selection_proof`: signature over [`SyncAggregatorSelectionData`].
    pub selection_proof: BlsSignature,
}

/// `SignedContributionAndProof`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct SignedContributionAndProof<P: Preset> {
    /// `message`.
    pub message: ContributionAndProof<P>,
    /// `signature`.
    pub signature: BlsSignature,
}

/// `SyncAggregatorSelectionData`: what a sync aggregator selection proof signs.
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
pub struct SyncAggregatorSelectionData {
    /// `slot`.
    #[serde(with = "crate::quoted")]
    pub slot: Slot,
    /// `subcommittee_index`.
    #[serde(with = "crate::quoted")]
    pub subcommittee_index: u64,
}

/// `BeaconBlockBody` (altair).
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
}

/// `BeaconBlock` (altair).
pub type BeaconBlock<P> = GenericBeaconBlock<BeaconBlockBody<P>>;
/// `SignedBeaconBlock` (altair).
pub type SignedBeaconBlock<P> = GenericSigned<BeaconBlock<P>>;
