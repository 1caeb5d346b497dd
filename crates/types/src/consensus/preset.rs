//! Compile-time presets: the list limits and vector lengths that differ between the `mainnet`
//! and `minimal` presets of `ethereum/consensus-specs` (`presets/{mainnet,minimal}/*.yaml`).
//!
//! Limits change SSZ `hash_tree_root`s (a list's limit fixes its Merkle depth), so every
//! container that holds a preset-sized list or vector is generic over a [`Preset`].

use std::fmt::Debug;
use std::hash::Hash;

use ssz_types::typenum::{
    Prod, Unsigned, U1, U1048576, U1073741824, U128, U131072, U16, U2, U2048, U256, U32, U33, U4,
    U4096, U512, U64, U8, U8192,
};

/// Marker bounds every preset length type satisfies.
pub trait Length:
    Unsigned + Clone + Copy + Debug + PartialEq + Eq + Hash + Send + Sync + 'static
{
}
impl<T: Unsigned + Clone + Copy + Debug + PartialEq + Eq + Hash + Send + Sync + 'static> Length
    for T
{
}

/// A consensus preset. Each associated type is a `typenum` integer named after the spec
/// constant it stands for.
pub trait Preset:
    Clone + Copy + Debug + Default + PartialEq + Eq + Hash + Send + Sync + 'static
{
    /// Preset name as in the spec's `presets/` directory (`"mainnet"`, `"minimal"`).
    const NAME: &'static str;

    /// `MAX_VALIDATORS_PER_COMMITTEE` (phase0 attestation aggregation bits).
    type MaxValidatorsPerCommittee: Length;
    /// `MAX_COMMITTEES_PER_SLOT` (electra `committee_bits`).
    type MaxCommitteesPerSlot: Length;
    /// `MAX_VALIDATORS_PER_COMMITTEE * MAX_COMMITTEES_PER_SLOT` (electra aggregation bits and
    /// attesting indices).
    type MaxValidatorsPerSlot: Length;
    /// `MAX_PROPOSER_SLASHINGS`.
    type MaxProposerSlashings: Length;
    /// `MAX_ATTESTER_SLASHINGS`.
    type MaxAttesterSlashings: Length;
    /// `MAX_ATTESTATIONS`.
    type MaxAttestations: Length;
    /// `MAX_DEPOSITS`.
    type MaxDeposits: Length;
    /// `MAX_VOLUNTARY_EXITS`.
    type MaxVoluntaryExits: Length;
    /// `DEPOSIT_CONTRACT_TREE_DEPTH + 1` (deposit proof length).
    type DepositProofLength: Length;
    /// `SYNC_COMMITTEE_SIZE`.
    type SyncCommitteeSize: Length;
    /// `SYNC_COMMITTEE_SIZE // SYNC_COMMITTEE_SUBNET_COUNT` (contribution aggregation bits).
    type SyncSubcommitteeSize: Length;
    /// `MAX_BYTES_PER_TRANSACTION`.
    type MaxBytesPerTransaction: Length;
    /// `MAX_TRANSACTIONS_PER_PAYLOAD`.
    type MaxTransactionsPerPayload: Length;
    /// `BYTES_PER_LOGS_BLOOM`.
    type BytesPerLogsBloom: Length;
    /// `MAX_EXTRA_DATA_BYTES`.
    type MaxExtraDataBytes: Length;
    /// `MAX_WITHDRAWALS_PER_PAYLOAD`.
    type MaxWithdrawalsPerPayload: Length;
    /// `MAX_BLS_TO_EXECUTION_CHANGES`.
    type MaxBlsToExecutionChanges: Length;
    /// `MAX_BLOB_COMMITMENTS_PER_BLOCK`.
    type MaxBlobCommitmentsPerBlock: Length;
    /// `BYTES_PER_FIELD_ELEMENT * FIELD_ELEMENTS_PER_BLOB` (bytes in a blob).
    type BytesPerBlob: Length;
    /// `CELLS_PER_EXT_BLOB * MAX_BLOB_COMMITMENTS_PER_BLOCK` (fulu cell proofs per block).
    type MaxCellProofsPerBlock: Length;
    /// `MAX_ATTESTER_SLASHINGS_ELECTRA`.
    type MaxAttesterSlashingsElectra: Length;
    /// `MAX_ATTESTATIONS_ELECTRA`.
    type MaxAttestationsElectra: Length;
    /// `MAX_DEPOSIT_REQUESTS_PER_PAYLOAD`.
    type MaxDepositRequestsPerPayload: Length;
    /// `MAX_WITHDRAWAL_REQUESTS_PER_PAYLOAD`.
    type MaxWithdrawalRequestsPerPayload: Length;
    /// `MAX_CONSOLIDATION_REQUESTS_PER_PAYLOAD`.
    type MaxConsolidationRequestsPerPayload: Length;

    /// `SLOTS_PER_EPOCH`.
    const SLOTS_PER_EPOCH: u64;
    /// `SYNC_COMMITTEE_SUBNET_COUNT` (a constant, the same in every preset).
    const SYNC_COMMITTEE_SUBNET_COUNT: u64 = 4;

    /// `SYNC_COMMITTEE_SIZE` as a number.
    fn sync_committee_size() -> usize {
        Self::SyncCommitteeSize::to_usize()
    }

    /// Size of one sync subcommittee as a number.
    fn sync_subcommittee_size() -> usize {
        Self::SyncSubcommitteeSize::to_usize()
    }
}

/// The `mainnet` preset (every public network).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Mainnet;

/// The `minimal` preset (the simulator and Lodestar's dev chain).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Minimal;

/// `2**17`: `MAX_VALIDATORS_PER_COMMITTEE * MAX_COMMITTEES_PER_SLOT` on mainnet.
type MainnetValidatorsPerSlot = Prod<U2048, U64>;
/// `CELLS_PER_EXT_BLOB (128) * MAX_BLOB_COMMITMENTS_PER_BLOCK (4096)`.
type CellProofs4096 = Prod<U128, U4096>;

impl Preset for Mainnet {
    const NAME: &'static str = "mainnet";
    type MaxValidatorsPerCommittee = U2048;
    type MaxCommitteesPerSlot = U64;
    type MaxValidatorsPerSlot = MainnetValidatorsPerSlot;
    type MaxProposerSlashings = U16;
    type MaxAttesterSlashings = U2;
    type MaxAttestations = U128;
    type MaxDeposits = U16;
    type MaxVoluntaryExits = U16;
    type DepositProofLength = U33;
    type SyncCommitteeSize = U512;
    type SyncSubcommitteeSize = U128;
    type MaxBytesPerTransaction = U1073741824;
    type MaxTransactionsPerPayload = U1048576;
    type BytesPerLogsBloom = U256;
    type MaxExtraDataBytes = U32;
    type MaxWithdrawalsPerPayload = U16;
    type MaxBlsToExecutionChanges = U16;
    type MaxBlobCommitmentsPerBlock = U4096;
    type BytesPerBlob = U131072;
    type MaxCellProofsPerBlock = CellProofs4096;
    type MaxAttesterSlashingsElectra = U1;
    type MaxAttestationsElectra = U8;
    type MaxDepositRequestsPerPayload = U8192;
    type MaxWithdrawalRequestsPerPayload = U16;
    type MaxConsolidationRequestsPerPayload = U2;
    const SLOTS_PER_EPOCH: u64 = 32;
}

impl Preset for Minimal {
    const NAME: &'static str = "minimal";
    type MaxValidatorsPerCommittee = U2048;
    type MaxCommitteesPerSlot = U4;
    type MaxValidatorsPerSlot = U8192;
    type MaxProposerSlashings = U16;
    type MaxAttesterSlashings = U2;
    type MaxAttestations = U128;
    type MaxDeposits = U16;
    type MaxVoluntaryExits = U16;
    type DepositProofLength = U33;
    type SyncCommitteeSize = U32;
    type SyncSubcommitteeSize = U8;
    type MaxBytesPerTransaction = U1073741824;
    type MaxTransactionsPerPayload = U1048576;
    type BytesPerLogsBloom = U256;
    type MaxExtraDataBytes = U32;
    type MaxWithdrawalsPerPayload = U4;
    type MaxBlsToExecutionChanges = U16;
    // The spec's minimal preset uses the mainnet value since consensus-specs v1.6
    // (it was 16/32 in earlier releases).
    type MaxBlobCommitmentsPerBlock = U4096;
    type BytesPerBlob = U131072;
    type MaxCellProofsPerBlock = CellProofs4096;
    type MaxAttesterSlashingsElectra = U1;
    type MaxAttestationsElectra = U8;
    type MaxDepositRequestsPerPayload = U8192;
    type MaxWithdrawalRequestsPerPayload = U16;
    type MaxConsolidationRequestsPerPayload = U2;
    const SLOTS_PER_EPOCH: u64 = 8;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_lengths_match_the_spec_products() {
        assert_eq!(
            <Mainnet as Preset>::MaxValidatorsPerSlot::to_u64(),
            2048 * 64
        );
        assert_eq!(
            <Minimal as Preset>::MaxValidatorsPerSlot::to_u64(),
            2048 * 4
        );
        assert_eq!(
            <Mainnet as Preset>::MaxCellProofsPerBlock::to_u64(),
            128 * 4096
        );
        assert_eq!(Mainnet::sync_committee_size(), 512);
        assert_eq!(Minimal::sync_committee_size(), 32);
        assert_eq!(
            Mainnet::sync_subcommittee_size() as u64 * Mainnet::SYNC_COMMITTEE_SUBNET_COUNT,
            512
        );
        assert_eq!(
            Minimal::sync_subcommittee_size() as u64 * Minimal::SYNC_COMMITTEE_SUBNET_COUNT,
            32
        );
    }
}
