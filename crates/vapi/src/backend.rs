//! What the validator API needs from the rest of the node: decided data to hand out, duties
//! to resolve who signed what, and a sink for verified partial signatures.

use std::future::Future;

use mosaic_core::signeddata::SignedData;
use mosaic_core::Duty;
use mosaic_crypto::bls::{PublicKey, Signature};
use mosaic_types::consensus::altair::SyncCommitteeContribution;
use mosaic_types::consensus::phase0::AttestationData;
use mosaic_types::consensus::versioned::{Attestation, ProducedBlock};
use mosaic_types::consensus::Preset;
use mosaic_types::{Root, Slot};

use crate::error::BackendError;

/// The node side of the validator API. Public keys are DV keys throughout; the validator API
/// translates to and from the validator client's shares. The awaiting methods may block until
/// the cluster decided; the server bounds each wait with its request timeout.
pub trait Backend<P: Preset>: Send + Sync + 'static {
    /// The attestation data decided for `(slot, committee_index)`; waits until decided.
    fn attestation_data(
        &self,
        slot: Slot,
        committee_index: u64,
    ) -> impl Future<Output = Result<AttestationData, BackendError>> + Send;

    /// The distributed validator scheduled to propose at `slot`, if it is one of the cluster's
    /// (the backend may check with its beacon node again before saying no: proposer duties
    /// can change once the epoch's dependent block is known).
    fn proposer(&self, slot: Slot) -> impl Future<Output = Option<PublicKey>> + Send;

    /// The block proposal decided for `slot`; waits until decided.
    fn proposal(
        &self,
        slot: Slot,
    ) -> impl Future<Output = Result<ProducedBlock<P>, BackendError>> + Send;

    /// The aggregate attestation decided for `slot` whose data has root `attestation_data_root`
    /// (and, from electra, for `committee_index`); waits until decided.
    fn aggregate_attestation(
        &self,
        slot: Slot,
        attestation_data_root: Root,
        committee_index: Option<u64>,
    ) -> impl Future<Output = Result<Attestation<P>, BackendError>> + Send;

    /// The sync committee contribution decided for `(slot, subcommittee_index,
    /// beacon_block_root)`; waits until decided.
    fn sync_contribution(
        &self,
        slot: Slot,
        subcommittee_index: u64,
        beacon_block_root: Root,
    ) -> impl Future<Output = Result<SyncCommitteeContribution<P>, BackendError>> + Send;

    /// Stores partially signed objects, each for the DV it belongs to, with its signature
    /// decoded. Every partial signature has been verified against this node's public share
    /// before this is called.
    fn submit_partials(
        &self,
        partials: Vec<(PublicKey, SignedData<P>, Signature)>,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;

    /// The threshold-combined object of `dv_pubkey` for `duty` whose message root is
    /// `message_root` (any, when `None`); used for selection proofs, of which a sync committee
    /// member may have one per subcommittee. Waits until the cluster's partials combined.
    fn await_aggregate(
        &self,
        duty: Duty,
        dv_pubkey: PublicKey,
        message_root: Option<Root>,
    ) -> impl Future<Output = Result<SignedData<P>, BackendError>> + Send;

    /// The distributed validator with beacon-chain index `validator_index`, if it is one of the
    /// cluster's.
    fn dv_pubkey_by_index(&self, validator_index: u64) -> Option<PublicKey>;

    /// The distributed validator at position `validator_committee_index` of committee
    /// `committee_index` at `slot`, from the node's attester duties.
    fn attester_pubkey(
        &self,
        slot: Slot,
        committee_index: u64,
        validator_committee_index: u64,
    ) -> Option<PublicKey>;

    /// Called on every request the validator client makes (readiness: "validator client
    /// connected").
    fn validator_client_seen(&self);
}
