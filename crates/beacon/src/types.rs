//! Request and response bodies of the beacon API that are not consensus containers (those come
//! from [`mosaic_types::consensus`]). Integers are decimal strings on the wire, bytes `0x` hex.

use std::fmt;

use mosaic_types::consensus::phase0::{Checkpoint, SignedBeaconBlockHeader};
use mosaic_types::consensus::primitives::{CommitteeIndex, Uint256, ValidatorIndex};
use mosaic_types::consensus::versioned::ProducedBlock;
use mosaic_types::consensus::Preset;
use mosaic_types::{
    BlsPubkey, BlsSignature, Epoch, ExecutionAddress, ForkName, Root, Slot, Version,
};
use serde::{Deserialize, Serialize};

use crate::config::Encoding;

/// Serde for `Vec<u64>` as a list of decimal strings.
pub(crate) mod quoted_u64_vec {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Quoted(#[serde(with = "mosaic_types::quoted_u64")] u64);

    pub(crate) fn serialize<S: Serializer>(
        values: &[u64],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(values.iter().map(|value| Quoted(*value)))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<u64>, D::Error> {
        Ok(Vec::<Quoted>::deserialize(deserializer)?
            .into_iter()
            .map(|quoted| quoted.0)
            .collect())
    }
}

/// `getGenesis` data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Genesis {
    /// `genesis_time` (unix seconds).
    #[serde(with = "mosaic_types::quoted_u64")]
    pub genesis_time: u64,
    /// `genesis_validators_root`.
    pub genesis_validators_root: Root,
    /// `genesis_fork_version`.
    pub genesis_fork_version: Version,
}

/// `getSyncingStatus` data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    /// `head_slot`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub head_slot: Slot,
    /// `sync_distance`: how many slots behind the wall clock the head is.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub sync_distance: u64,
    /// `is_syncing`.
    pub is_syncing: bool,
    /// `is_optimistic` (absent from older nodes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_optimistic: Option<bool>,
    /// `el_offline` (absent from older nodes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub el_offline: Option<bool>,
}

/// `getHealth` answer, from its status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeHealth {
    /// 200: synced and ready.
    Ready,
    /// 206: syncing, but serving incomplete data.
    Syncing,
    /// 503: not initialised or having issues.
    NotReady,
}

/// `getPeerCount` data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerCount {
    /// `disconnected`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub disconnected: u64,
    /// `connecting`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub connecting: u64,
    /// `connected`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub connected: u64,
    /// `disconnecting`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub disconnecting: u64,
}

/// A state or block query's answer with its `execution_optimistic` and `finalized` flags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateResponse<T> {
    /// `execution_optimistic` (false if absent).
    #[serde(default)]
    pub execution_optimistic: bool,
    /// `finalized` (false if absent).
    #[serde(default)]
    pub finalized: bool,
    /// `data`.
    pub data: T,
}

/// A validator's status (`ValidatorStatus` of the beacon API, including the four general
/// statuses usable as filters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValidatorStatus {
    /// `pending_initialized`.
    PendingInitialized,
    /// `pending_queued`.
    PendingQueued,
    /// `active_ongoing`.
    ActiveOngoing,
    /// `active_exiting`.
    ActiveExiting,
    /// `active_slashed`.
    ActiveSlashed,
    /// `exited_unslashed`.
    ExitedUnslashed,
    /// `exited_slashed`.
    ExitedSlashed,
    /// `withdrawal_possible`.
    WithdrawalPossible,
    /// `withdrawal_done`.
    WithdrawalDone,
    /// `active` (filter: any active status).
    Active,
    /// `pending` (filter).
    Pending,
    /// `exited` (filter).
    Exited,
    /// `withdrawal` (filter).
    Withdrawal,
}

impl ValidatorStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingInitialized => "pending_initialized",
            Self::PendingQueued => "pending_queued",
            Self::ActiveOngoing => "active_ongoing",
            Self::ActiveExiting => "active_exiting",
            Self::ActiveSlashed => "active_slashed",
            Self::ExitedUnslashed => "exited_unslashed",
            Self::ExitedSlashed => "exited_slashed",
            Self::WithdrawalPossible => "withdrawal_possible",
            Self::WithdrawalDone => "withdrawal_done",
            Self::Active => "active",
            Self::Pending => "pending",
            Self::Exited => "exited",
            Self::Withdrawal => "withdrawal",
        }
    }

    /// Whether the validator is active (and so has duties).
    pub fn is_active(self) -> bool {
        matches!(
            self,
            Self::ActiveOngoing | Self::ActiveExiting | Self::ActiveSlashed | Self::Active
        )
    }
}

impl fmt::Display for ValidatorStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `Validator` record of the beacon state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validator {
    /// `pubkey`.
    pub pubkey: BlsPubkey,
    /// `withdrawal_credentials`.
    pub withdrawal_credentials: Root,
    /// `effective_balance` (Gwei).
    #[serde(with = "mosaic_types::quoted_u64")]
    pub effective_balance: u64,
    /// `slashed`.
    pub slashed: bool,
    /// `activation_eligibility_epoch`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub activation_eligibility_epoch: Epoch,
    /// `activation_epoch`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub activation_epoch: Epoch,
    /// `exit_epoch`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub exit_epoch: Epoch,
    /// `withdrawable_epoch`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub withdrawable_epoch: Epoch,
}

/// One entry of `getStateValidators`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatorData {
    /// `index`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub index: ValidatorIndex,
    /// `balance` (Gwei).
    #[serde(with = "mosaic_types::quoted_u64")]
    pub balance: u64,
    /// `status`.
    pub status: ValidatorStatus,
    /// `validator`.
    pub validator: Validator,
}

/// `getStateFinalityCheckpoints` data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalityCheckpoints {
    /// `previous_justified`.
    pub previous_justified: Checkpoint,
    /// `current_justified`.
    pub current_justified: Checkpoint,
    /// `finalized`.
    pub finalized: Checkpoint,
}

/// `getBlockHeader` data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockHeaderData {
    /// `root` of the block.
    pub root: Root,
    /// `canonical`.
    pub canonical: bool,
    /// `header`.
    pub header: SignedBeaconBlockHeader,
}

/// `{ "root": ... }` (`getBlockRoot` data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootData {
    /// `root`.
    pub root: Root,
}

/// Attester or proposer duties with the root they depend on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DutiesResponse<T> {
    /// `dependent_root`: duties must be fetched again if the chain reorgs past this block.
    pub dependent_root: Root,
    /// `execution_optimistic` (false if absent).
    #[serde(default)]
    pub execution_optimistic: bool,
    /// `data`.
    pub data: Vec<T>,
}

/// Sync committee duties (no dependent root: they are fixed for a sync committee period).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncDutiesResponse {
    /// `execution_optimistic` (false if absent).
    #[serde(default)]
    pub execution_optimistic: bool,
    /// `data`.
    pub data: Vec<SyncDuty>,
}

/// `AttesterDuty`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttesterDuty {
    /// `pubkey`.
    pub pubkey: BlsPubkey,
    /// `validator_index`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub validator_index: ValidatorIndex,
    /// `committee_index`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub committee_index: CommitteeIndex,
    /// `committee_length`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub committee_length: u64,
    /// `committees_at_slot`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub committees_at_slot: u64,
    /// `validator_committee_index`: position in the committee.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub validator_committee_index: u64,
    /// `slot`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub slot: Slot,
}

/// `ProposerDuty`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposerDuty {
    /// `pubkey`.
    pub pubkey: BlsPubkey,
    /// `validator_index`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub validator_index: ValidatorIndex,
    /// `slot`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub slot: Slot,
}

/// `SyncDuty`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncDuty {
    /// `pubkey`.
    pub pubkey: BlsPubkey,
    /// `validator_index`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub validator_index: ValidatorIndex,
    /// `validator_sync_committee_indices`: positions in the sync committee.
    #[serde(with = "quoted_u64_vec")]
    pub validator_sync_committee_indices: Vec<u64>,
}

/// `prepareBeaconCommitteeSubnet` item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BeaconCommitteeSubscription {
    /// `validator_index`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub validator_index: ValidatorIndex,
    /// `committee_index`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub committee_index: CommitteeIndex,
    /// `committees_at_slot`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub committees_at_slot: u64,
    /// `slot`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub slot: Slot,
    /// `is_aggregator`.
    pub is_aggregator: bool,
}

/// `prepareSyncCommitteeSubnets` item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncCommitteeSubscription {
    /// `validator_index`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub validator_index: ValidatorIndex,
    /// `sync_committee_indices`.
    #[serde(with = "quoted_u64_vec")]
    pub sync_committee_indices: Vec<u64>,
    /// `until_epoch`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub until_epoch: Epoch,
}

/// `prepareBeaconProposer` item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposerPreparation {
    /// `validator_index`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub validator_index: ValidatorIndex,
    /// `fee_recipient`.
    pub fee_recipient: ExecutionAddress,
}

/// `getLiveness` item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatorLiveness {
    /// `index`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub index: ValidatorIndex,
    /// `is_live`.
    pub is_live: bool,
}

/// `BeaconCommitteeSelection` (distributed validators): a partial or aggregated selection proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BeaconCommitteeSelection {
    /// `validator_index`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub validator_index: ValidatorIndex,
    /// `slot`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub slot: Slot,
    /// `selection_proof`.
    pub selection_proof: BlsSignature,
}

/// `SyncCommitteeSelection` (distributed validators).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncCommitteeSelection {
    /// `validator_index`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub validator_index: ValidatorIndex,
    /// `slot`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub slot: Slot,
    /// `subcommittee_index`.
    #[serde(with = "mosaic_types::quoted_u64")]
    pub subcommittee_index: u64,
    /// `selection_proof`.
    pub selection_proof: BlsSignature,
}

/// `broadcast_validation` of block publication v2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BroadcastValidation {
    /// `gossip`: gossip checks only (the default of beacon nodes).
    Gossip,
    /// `consensus`: full consensus checks before broadcast.
    Consensus,
    /// `consensus_and_equivocation`: consensus checks and no equivocation.
    ConsensusAndEquivocation,
}

impl BroadcastValidation {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gossip => "gossip",
            Self::Consensus => "consensus",
            Self::ConsensusAndEquivocation => "consensus_and_equivocation",
        }
    }
}

/// Parameters of block production.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProduceBlockRequest {
    /// The slot to propose at.
    pub slot: Slot,
    /// The proposer's randao reveal (the point at infinity with `skip_randao_verification`).
    pub randao_reveal: BlsSignature,
    /// 32 bytes of graffiti; the node's default if `None`.
    pub graffiti: Option<Root>,
    /// Send the `skip_randao_verification` flag.
    pub skip_randao_verification: bool,
    /// `builder_boost_factor` (v3 only): percentage weight of the builder's bid; 0 asks for a
    /// local payload, `u64::MAX` for a builder payload.
    pub builder_boost_factor: Option<u64>,
}

impl ProduceBlockRequest {
    /// A request with the node's default graffiti and no other option.
    pub fn new(slot: Slot, randao_reveal: BlsSignature) -> Self {
        Self {
            slot,
            randao_reveal,
            graffiti: None,
            skip_randao_verification: false,
            builder_boost_factor: None,
        }
    }
}

/// A produced block with what the beacon node said about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducedBlockResponse<P: Preset> {
    /// The block (full, contents or blinded).
    pub block: ProducedBlock<P>,
    /// Its fork (`version` / `Eth-Consensus-Version`).
    pub fork: ForkName,
    /// Whether the payload is blinded (`execution_payload_blinded`).
    pub blinded: bool,
    /// `execution_payload_value` in Wei (v3 only).
    pub execution_payload_value: Option<Uint256>,
    /// `consensus_block_value` in Wei (v3 only).
    pub consensus_block_value: Option<Uint256>,
    /// How the node encoded the answer.
    pub encoding: Encoding,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duties_decode_from_the_spec_example_shape() {
        let json = r#"{"dependent_root":"0xcf8e0d4e9587369b2301d0790347320302cc0943d5a1884560367e8208d920f2","execution_optimistic":false,"data":[{"pubkey":"0x93247f2209abcacf57b75a51dafae777f9dd38bc7053d1af526f220a7489a6d3a2753e5f3e8b1cfe39b56f43611df74a","validator_index":"1","committee_index":"1","committee_length":"1","committees_at_slot":"1","validator_committee_index":"0","slot":"1"}]}"#;
        let duties: DutiesResponse<AttesterDuty> = serde_json::from_str(json).unwrap();
        assert_eq!(duties.data[0].validator_index, 1);
        assert_eq!(duties.data[0].validator_committee_index, 0);
        let sync = r#"{"data":[{"pubkey":"0x93247f2209abcacf57b75a51dafae777f9dd38bc7053d1af526f220a7489a6d3a2753e5f3e8b1cfe39b56f43611df74a","validator_index":"1","validator_sync_committee_indices":["0","511"]}]}"#;
        let sync: SyncDutiesResponse = serde_json::from_str(sync).unwrap();
        assert!(!sync.execution_optimistic);
        assert_eq!(sync.data[0].validator_sync_committee_indices, vec![0, 511]);
        assert_eq!(
            serde_json::to_value(&sync.data[0]).unwrap()["validator_sync_committee_indices"],
            serde_json::json!(["0", "511"])
        );
    }

    #[test]
    fn validator_statuses_use_snake_case_names() {
        for status in [
            ValidatorStatus::PendingInitialized,
            ValidatorStatus::ActiveOngoing,
            ValidatorStatus::WithdrawalDone,
            ValidatorStatus::Exited,
        ] {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
            assert_eq!(
                serde_json::from_str::<ValidatorStatus>(&json).unwrap(),
                status
            );
        }
        assert!(serde_json::from_str::<ValidatorStatus>("\"active-ongoing\"").is_err());
        assert!(ValidatorStatus::ActiveSlashed.is_active());
        assert!(!ValidatorStatus::PendingQueued.is_active());
    }
}
