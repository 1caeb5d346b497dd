//! The node's shared state and the operations every component calls: proposing to consensus,
//! taking in own and peers' partial signatures, and waiting for decided data and aggregates.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use mosaic_beacon::BeaconClient;
use mosaic_core::chain::ChainSpec;
use mosaic_core::dutydb::DutyDb;
use mosaic_core::parsigex::{self, PartialSigned, Received, SlotHorizon};
use mosaic_core::signeddata::SignedData;
use mosaic_core::unsigned::UnsignedDataSet;
use mosaic_core::{Duty, ShareIndex};
use mosaic_crypto::bls::{PublicKey, Signature};
use mosaic_monitor::{Health, Metrics};
use mosaic_p2p::{P2pHandle, Protocol};
use mosaic_types::consensus::Preset;
use mosaic_types::{BlsSignature, Root, Slot};
use tokio::sync::mpsc;

use crate::schedule::Schedule;
use crate::sigpipe::{SigPipe, Source};
use crate::tracker::DutyTracker;

/// Inputs of the consensus loop.
#[derive(Debug)]
pub enum ConsensusInput {
    /// This node's proposal for a duty.
    Propose {
        /// The duty.
        duty: Duty,
        /// The `Any`-wrapped unsigned data set.
        value: mosaic_qbft::pb::Any,
    },
    /// A `QBFTConsensusMsg` from a peer.
    Received {
        /// The peer label.
        from: String,
        /// The message bytes.
        bytes: Vec<u8>,
    },
    /// A round timer expired.
    Timeout {
        /// The duty.
        duty: Duty,
        /// The round.
        round: i64,
    },
}

/// Why a validator client's request could not be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WaitError {
    /// The duty's deadline passed before the cluster decided.
    #[error("{0}: not decided before the duty's deadline")]
    Deadline(Duty),
}

/// Shared state of a running node.
pub struct Core<P: Preset> {
    /// The chain.
    pub chain: ChainSpec,
    /// The beacon node client.
    pub client: BeaconClient<P>,
    /// Resolved duties.
    pub schedule: Schedule,
    /// Decided data.
    pub dutydb: DutyDb<P>,
    /// Partial and aggregated signatures.
    pub sigpipe: SigPipe<P>,
    /// Duty outcomes.
    pub tracker: Arc<DutyTracker>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Readiness.
    pub health: Health,
    /// The p2p host.
    pub p2p: P2pHandle,
    /// Consensus loop input.
    pub consensus: mpsc::Sender<ConsensusInput>,
    /// This node's share index.
    pub share_index: ShareIndex,
    /// Share index assigned to each peer, by peer ID text (shared with the checks of peers'
    /// messages on the blocking pool).
    pub share_index_by_peer: Arc<BTreeMap<String, u64>>,
    /// The cluster's validators.
    pub validators: Vec<PublicKey>,
    /// The validators' keys by compressed bytes (decoding them from peers is a lookup).
    pub known_keys: Arc<mosaic_core::keys::KnownKeys>,
    /// Each validator's public share held by this node: `(DV key, share key)`.
    pub own_shares: Vec<(PublicKey, PublicKey)>,
    /// The lock's pre-signed builder registrations (empty unless the builder API is enabled).
    pub registrations: Vec<mosaic_types::SignedValidatorRegistrationV1>,
    /// Whether the builder API is on (blinded blocks where the beacon node lacks v3
    /// production).
    pub builder: bool,
    /// Slots whose proposal was started (one per slot, however the duty was found).
    pub proposals_started: std::sync::Mutex<std::collections::BTreeSet<Slot>>,
    /// Behave Byzantine (test clusters only): corrupt the partial signatures sent to peers.
    pub byzantine: bool,
    /// The cluster's InfoSync agreements (which proposal types the cluster may use).
    pub infosync: Arc<crate::infosync::InfoSync>,
    /// Peers' partial-signature sets held back while enough of their duty's sets are in
    /// progress (see [`crate::gate`]): their parsed messages, the gate keeping their senders.
    pub peer_sets: crate::gate::SetGate<Received>,
}

impl<P: Preset> Core<P> {
    /// Records that the proposal of `slot` starts; false if it had started already. Keeps
    /// the last two epochs' slots.
    pub fn begin_proposal(&self, slot: Slot) -> bool {
        let mut started = self
            .proposals_started
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let keep_from = slot.saturating_sub(2 * self.chain.slots_per_epoch());
        started.retain(|s| *s >= keep_from);
        started.insert(slot)
    }

    /// The current slot by the wall clock.
    pub fn current_slot(&self) -> Slot {
        self.chain.slot_at(SystemTime::now())
    }

    /// The slot horizon for partials and consensus.
    pub fn horizon(&self) -> SlotHorizon {
        SlotHorizon::for_epoch_length(self.chain.slots_per_epoch())
    }

    /// The deadline of `duty` (spec: duty-scheduling.md "Duty Deadlines").
    pub fn deadline(&self, duty: Duty) -> SystemTime {
        use mosaic_core::DutyType as T;
        let slot = self.chain.slot_duration;
        let duration = match duty.duty_type {
            // A third of the slot (spec), but at least the two first consensus rounds (a dead
            // round-1 leader) on short test slots, and at most the slot.
            T::Proposer | T::BuilderProposer | T::Randao => {
                (slot / 3).max(Duration::from_millis(2_500)).min(slot)
            }
            T::Attester | T::Aggregator | T::PrepareAggregator => slot * 2,
            T::SyncMessage => slot * 2 / 3,
            T::SyncContribution | T::PrepareSyncContribution | T::InfoSync => slot,
            T::Exit | T::BuilderRegistration | T::Signature => slot * 64,
        };
        self.chain.slot_start(duty.slot) + duration + slot / 12
    }

    async fn until_deadline<T>(
        &self,
        duty: Duty,
        future: impl std::future::Future<Output = T>,
    ) -> Result<T, WaitError> {
        let remaining = self
            .deadline(duty)
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO);
        tokio::time::timeout(remaining, future)
            .await
            .map_err(|_| WaitError::Deadline(duty))
    }

    /// Proposes `set` for `duty` to consensus.
    pub async fn propose(&self, duty: Duty, set: &UnsignedDataSet<P>) {
        let value = set.to_any();
        if self
            .consensus
            .send(ConsensusInput::Propose { duty, value })
            .await
            .is_err()
        {
            tracing::error!(%duty, "consensus loop stopped; proposal dropped");
        }
    }

    /// Takes this node's own partial signatures of `duty` (verified, and decoded, by the
    /// validator API), stores them and sends them to the peers.
    pub async fn submit_own(
        &self,
        duty: Duty,
        partials: Vec<(PublicKey, SignedData<P>, Signature)>,
    ) {
        let partials: Vec<PartialSigned<P>> = partials
            .into_iter()
            .map(|(dv_pubkey, data, signature)| PartialSigned {
                dv_pubkey,
                data,
                signature,
                share_index: self.share_index,
            })
            .collect();
        for partial in &partials {
            self.tracker.expect(duty, &partial.dv_pubkey);
        }
        let outgoing = if self.byzantine {
            partials
                .iter()
                .map(|partial| PartialSigned {
                    data: partial
                        .data
                        .with_signature(corrupt(partial.data.signature())),
                    ..partial.clone()
                })
                .collect()
        } else {
            partials.clone()
        };
        let messages = parsigex::encode_all(duty, &outgoing);
        let p2p = self.p2p.clone();
        tokio::spawn(async move {
            for bytes in messages {
                for (peer, result) in p2p.broadcast(Protocol::Parsigex, &bytes).await {
                    if let Err(error) = result {
                        tracing::debug!(%peer, %error, "partial signatures not sent");
                    }
                }
            }
        });
        self.peer_sets.begin_own(duty);
        self.sigpipe.ingest(duty, &partials, Source::Own).await;
        let released = self.peer_sets.end_own(duty);
        self.process_peer_sets(duty, released).await;
        self.trim_peer_sets();
    }

    /// Takes a peer's `ParSigExMsg`. A set is held back while enough other sets of its duty
    /// are in progress to reach the threshold (see [`crate::gate`]); the sets released when
    /// those end are processed here too.
    pub async fn receive_partials(&self, from: String, bytes: Vec<u8>) {
        // Undecodable, without a duty, empty or outside the horizon: refused at once, never
        // kept in the gate's bookkeeping.
        let received = match Received::parse(&bytes, self.current_slot(), self.horizon()) {
            Ok(received) => received,
            Err(error) => {
                self.refuse_message(&from, &error);
                return;
            }
        };
        let duty = received.duty();
        let Some(received) = self.peer_sets.admit_peer(duty, &from, received) else {
            return;
        };
        self.process_peer_sets(duty, vec![(from, received)]).await;
        self.trim_peer_sets();
    }

    /// Counts and logs a peer's message dropped for `error`.
    fn refuse_message(&self, from: &str, error: &parsigex::ParSigExError) {
        self.metrics
            .parsig_rejected("unknown", error.reason(), from);
        tracing::warn!(peer = %from, %error, "partial signature message dropped");
    }

    /// Forgets the gate's bookkeeping of duties more than two epochs old.
    fn trim_peer_sets(&self) {
        self.peer_sets.trim(
            self.current_slot()
                .saturating_sub(self.chain.slots_per_epoch() * 2),
        );
    }

    /// Processes peers' sets of `duty` that are in progress, and the sets their ending
    /// releases, until none is left.
    async fn process_peer_sets(&self, duty: Duty, mut ready: Vec<(String, Received)>) {
        while !ready.is_empty() {
            let outcomes =
                futures_util::future::join_all(ready.drain(..).map(|(from, received)| async {
                    let accepted = self.check_and_ingest(from.clone(), received).await;
                    (from, accepted)
                }))
                .await;
            for (from, accepted) in outcomes {
                ready.extend(self.peer_sets.end_peer(duty, &from, accepted));
            }
        }
    }

    /// Checks a peer's parsed `ParSigExMsg` (every signature's subgroup membership among
    /// the rest, so on the blocking pool, not on the async runtime's workers) and ingests its
    /// partials. True if every partial in it was accepted.
    async fn check_and_ingest(&self, from: String, received: Received) -> bool {
        let share_index_by_peer = Arc::clone(&self.share_index_by_peer);
        let known_keys = Arc::clone(&self.known_keys);
        let sender = from.clone();
        let checked = tokio::task::spawn_blocking(move || {
            received.check::<P, String>(&sender, &share_index_by_peer, &known_keys)
        })
        .await;
        match checked {
            Ok(Ok((duty, partials))) => {
                self.sigpipe
                    .ingest(duty, &partials, Source::Peer(from))
                    .await
                    == 0
            }
            Ok(Err(error)) => {
                self.refuse_message(&from, &error);
                false
            }
            // The runtime is shutting down: the message was not judged.
            Err(error) => {
                tracing::debug!(peer = %from, %error, "partial signature message left unchecked");
                false
            }
        }
    }

    /// Decided attestation data of a committee (waits until the attester duty's deadline).
    pub async fn attestation_data(
        &self,
        slot: Slot,
        committee_index: u64,
    ) -> Result<mosaic_types::consensus::phase0::AttestationData, WaitError> {
        let duty = Duty::new(slot, mosaic_core::DutyType::Attester);
        self.until_deadline(
            duty,
            self.dutydb.await_attestation_data(slot, committee_index),
        )
        .await
    }

    /// The decided block of `slot` (waits until the proposer duty's deadline).
    pub async fn proposal(
        &self,
        slot: Slot,
    ) -> Result<mosaic_types::consensus::versioned::ProducedBlock<P>, WaitError> {
        let duty = Duty::new(slot, mosaic_core::DutyType::Proposer);
        self.until_deadline(duty, self.dutydb.await_proposal(slot))
            .await
            .map(|(_, block)| block)
    }

    /// The decided aggregate attestation for attestation data root `data_root`.
    pub async fn aggregate_attestation(
        &self,
        slot: Slot,
        data_root: Root,
        committee_index: Option<u64>,
    ) -> Result<mosaic_types::consensus::versioned::Attestation<P>, WaitError> {
        let duty = Duty::new(slot, mosaic_core::DutyType::Aggregator);
        self.until_deadline(
            duty,
            self.dutydb
                .await_aggregate(slot, data_root, committee_index),
        )
        .await
    }

    /// The decided sync contribution.
    pub async fn sync_contribution(
        &self,
        slot: Slot,
        subcommittee_index: u64,
        beacon_block_root: Root,
    ) -> Result<mosaic_types::consensus::altair::SyncCommitteeContribution<P>, WaitError> {
        let duty = Duty::new(slot, mosaic_core::DutyType::SyncContribution);
        self.until_deadline(
            duty,
            self.dutydb
                .await_contribution(slot, subcommittee_index, beacon_block_root),
        )
        .await
    }

    /// The threshold-signed object of `duty` for `dv_pubkey` (with `message_root`, if given).
    pub async fn await_aggregate(
        &self,
        duty: Duty,
        dv_pubkey: PublicKey,
        message_root: Option<Root>,
    ) -> Result<SignedData<P>, WaitError> {
        self.until_deadline(
            duty,
            self.sigpipe.await_aggregate(duty, dv_pubkey, message_root),
        )
        .await
    }
}

/// A different, still well-formed signature: what a Byzantine node sends in place of its
/// real partial (a valid G2 point that does not verify).
fn corrupt(signature: BlsSignature) -> BlsSignature {
    let key = mosaic_crypto::bls::SecretKey::from_bytes(&[0x42; 32]);
    match key {
        Ok(key) => BlsSignature(key.sign(&signature.0).to_bytes()),
        Err(_) => signature,
    }
}
