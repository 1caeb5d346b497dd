//! The validator API of a running node: `mosaic-vapi`'s server over this node's [`Core`].

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use mosaic_core::signeddata::SignedData;
use mosaic_core::Duty;
use mosaic_crypto::bls::{PublicKey, Signature};
use mosaic_types::consensus::altair::SyncCommitteeContribution;
use mosaic_types::consensus::phase0::AttestationData;
use mosaic_types::consensus::versioned::{Attestation, ProducedBlock};
use mosaic_types::consensus::Preset;
use mosaic_types::{Root, Slot};
use mosaic_vapi::{Backend, BackendError, KeyMap, VapiConfig};

use crate::core::{Core, WaitError};
use crate::node::{NodeError, RunningNode};

/// The node side of the validator API.
pub struct NodeBackend<P: Preset> {
    core: Arc<Core<P>>,
}

impl<P: Preset> NodeBackend<P> {
    /// A backend over `core`.
    pub fn new(core: Arc<Core<P>>) -> Self {
        Self { core }
    }

    /// The duty a partially signed object belongs to.
    fn duty_of(&self, dv_pubkey: &PublicKey, data: &SignedData<P>) -> Option<Duty> {
        let chain = &self.core.chain;
        let slot = match data {
            // A randao reveal is for the epoch of the block: the duty is the slot this
            // validator proposes at in that epoch (the next one, if it proposes twice).
            SignedData::Randao(randao) => {
                let current = self.core.current_slot();
                let duties = self.core.schedule.epoch(randao.epoch)?;
                duties
                    .proposers
                    .iter()
                    .filter(|(_, (key, _))| key == dv_pubkey)
                    .map(|(slot, _)| *slot)
                    .find(|slot| *slot >= current)
                    .or_else(|| {
                        duties
                            .proposers
                            .iter()
                            .filter(|(_, (key, _))| key == dv_pubkey)
                            .map(|(slot, _)| *slot)
                            .next_back()
                    })?
            }
            // The lock's pre-signed registrations are submitted instead (spec: accepted and
            // discarded).
            SignedData::BuilderRegistration(_) => return None,
            other => other.slot(chain.slots_per_epoch()),
        };
        Some(Duty::new(slot, data.duty_type()))
    }
}

fn waited(error: WaitError) -> BackendError {
    match error {
        WaitError::Deadline(_) => BackendError::Timeout,
    }
}

impl<P: Preset> Backend<P> for NodeBackend<P> {
    async fn attestation_data(
        &self,
        slot: Slot,
        committee_index: u64,
    ) -> Result<AttestationData, BackendError> {
        self.core
            .attestation_data(slot, committee_index)
            .await
            .map_err(waited)
    }

    async fn proposer(&self, slot: Slot) -> Option<PublicKey> {
        if let Some(pubkey) = self.core.schedule.proposer(&self.core.chain, slot) {
            return Some(pubkey);
        }
        // Not ours as resolved: ask again, the duties may have changed since (this also starts
        // the proposal if the slot just became ours).
        crate::duties::refresh_proposers(&self.core, slot).await;
        self.core.schedule.proposer(&self.core.chain, slot)
    }

    async fn proposal(&self, slot: Slot) -> Result<ProducedBlock<P>, BackendError> {
        self.core.proposal(slot).await.map_err(waited)
    }

    async fn aggregate_attestation(
        &self,
        slot: Slot,
        attestation_data_root: Root,
        committee_index: Option<u64>,
    ) -> Result<Attestation<P>, BackendError> {
        self.core
            .aggregate_attestation(slot, attestation_data_root, committee_index)
            .await
            .map_err(waited)
    }

    async fn sync_contribution(
        &self,
        slot: Slot,
        subcommittee_index: u64,
        beacon_block_root: Root,
    ) -> Result<SyncCommitteeContribution<P>, BackendError> {
        self.core
            .sync_contribution(slot, subcommittee_index, beacon_block_root)
            .await
            .map_err(waited)
    }

    async fn submit_partials(
        &self,
        partials: Vec<(PublicKey, SignedData<P>, Signature)>,
    ) -> Result<(), BackendError> {
        let mut by_duty: BTreeMap<Duty, Vec<(PublicKey, SignedData<P>, Signature)>> =
            BTreeMap::new();
        for (dv_pubkey, data, signature) in partials {
            if matches!(data, SignedData::BuilderRegistration(_)) {
                continue;
            }
            let duty = self.duty_of(&dv_pubkey, &data).ok_or_else(|| {
                BackendError::NotFound(format!(
                    "no {} duty of validator {} for this object",
                    data.duty_type(),
                    dv_pubkey.to_hex()
                ))
            })?;
            by_duty
                .entry(duty)
                .or_default()
                .push((dv_pubkey, data, signature));
        }
        for (duty, partials) in by_duty {
            self.core.submit_own(duty, partials).await;
        }
        Ok(())
    }

    async fn await_aggregate(
        &self,
        duty: Duty,
        dv_pubkey: PublicKey,
        message_root: Option<Root>,
    ) -> Result<SignedData<P>, BackendError> {
        self.core
            .await_aggregate(duty, dv_pubkey, message_root)
            .await
            .map_err(waited)
    }

    fn dv_pubkey_by_index(&self, validator_index: u64) -> Option<PublicKey> {
        self.core.schedule.pubkey_by_index(validator_index)
    }

    fn attester_pubkey(
        &self,
        slot: Slot,
        committee_index: u64,
        validator_committee_index: u64,
    ) -> Option<PublicKey> {
        self.core
            .dutydb
            .attester_pubkey(slot, committee_index, validator_committee_index)
            .or_else(|| {
                let duties = self.core.schedule.epoch(self.core.chain.epoch_of(slot))?;
                duties.attesters.get(&slot)?.iter().find_map(|(key, duty)| {
                    (duty.committee_index == committee_index
                        && duty.validator_committee_index == validator_committee_index)
                        .then_some(*key)
                })
            })
    }

    fn validator_client_seen(&self) {
        self.core.health.record_vc_call();
    }
}

/// Starts the validator API of `node` on its configured address; returns the bound address.
pub async fn serve<P: Preset>(node: &RunningNode<P>) -> Result<SocketAddr, NodeError> {
    serve_on(node, node.validator_api, false).await
}

/// Starts a validator API of `node` on `listen`; returns the bound address. With
/// `aggregation_elsewhere` it refuses the aggregation endpoints at once (see
/// [`VapiConfig::aggregation_elsewhere`]): the public API beside `mosaic run
/// --builtin-aggregator`, whose own client gets a second, internal API without that refusal.
pub async fn serve_on<P: Preset>(
    node: &RunningNode<P>,
    listen: SocketAddr,
    aggregation_elsewhere: bool,
) -> Result<SocketAddr, NodeError> {
    let keys = KeyMap::new(node.core.own_shares.iter().copied())
        .map_err(|e| NodeError::ValidatorApi(e.to_string()))?;
    let config = VapiConfig {
        listen,
        beacon_node_urls: node.beacon_urls.clone(),
        keys,
        signing: node.core.chain.signing.clone(),
        request_timeout: (node.core.chain.slot_duration * 2).max(Duration::from_secs(2)),
        aggregation_elsewhere,
    };
    let backend = Arc::new(NodeBackend::new(node.core.clone()));
    let (address, _task) = mosaic_vapi::serve(config, backend, node.shutdown_signal())
        .await
        .map_err(|e| NodeError::ValidatorApi(e.to_string()))?;
    Ok(address)
}
