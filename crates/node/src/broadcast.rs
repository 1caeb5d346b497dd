//! Broadcast: submits threshold-signed objects to the beacon node, by duty type.
//!
//! Randao reveals and selection proofs are not broadcast: the node itself consumes them
//! (block production, aggregator selection) and the validator API hands them back to the
//! validator client.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use mosaic_beacon::BeaconClient;
use mosaic_core::chain::ChainSpec;
use mosaic_core::signeddata::{SignedData, SubmittedAttestation};
use mosaic_core::{Duty, DutyType};
use mosaic_crypto::bls::PublicKey;
use mosaic_monitor::{Metrics, RequestOutcome};
use mosaic_types::consensus::versioned::Attestation;
use mosaic_types::consensus::Preset;

use crate::tracker::DutyTracker;

/// Submits aggregated objects to the beacon node(s).
pub struct Broadcaster<P: Preset> {
    client: BeaconClient<P>,
    chain: ChainSpec,
    metrics: Arc<Metrics>,
    tracker: Arc<DutyTracker>,
}

impl<P: Preset> Broadcaster<P> {
    /// A broadcaster over `client`.
    pub fn new(
        client: BeaconClient<P>,
        chain: ChainSpec,
        metrics: Arc<Metrics>,
        tracker: Arc<DutyTracker>,
    ) -> Self {
        Self {
            client,
            chain,
            metrics,
            tracker,
        }
    }

    /// Submits `data`, the aggregated object of `duty` for `dv_pubkey`, and records the outcome.
    pub async fn broadcast(&self, duty: Duty, dv_pubkey: PublicKey, data: SignedData<P>) {
        let started = Instant::now();
        let (endpoint, result) = self.submit(&data).await;
        let Some(endpoint) = endpoint else {
            // Consumed internally; its completion is what matters.
            self.tracker.succeeded(duty, &dv_pubkey);
            return;
        };
        let result = match result {
            Err(error) if error.is_already_known() => {
                // Another node of the cluster broadcast the same object first.
                tracing::debug!(%duty, validator = %short(&dv_pubkey), %error, "already known to the beacon node");
                Ok(())
            }
            other => other,
        };
        let outcome = if result.is_ok() {
            RequestOutcome::Ok
        } else {
            RequestOutcome::Error
        };
        self.metrics
            .beacon_request(endpoint, started.elapsed(), outcome);
        match result {
            Ok(()) => {
                let latency = SystemTime::now()
                    .duration_since(self.chain.slot_start(duty.slot))
                    .unwrap_or_default();
                self.metrics
                    .duty_broadcast_latency(duty.duty_type.name(), latency);
                self.tracker.succeeded(duty, &dv_pubkey);
                tracing::debug!(%duty, validator = %short(&dv_pubkey), "broadcast");
            }
            Err(error) => {
                self.tracker.failed(duty, "broadcast");
                tracing::warn!(%duty, validator = %short(&dv_pubkey), %error, "broadcast failed");
            }
        }
    }

    async fn submit(
        &self,
        data: &SignedData<P>,
    ) -> (Option<&'static str>, Result<(), mosaic_beacon::Error>) {
        let client = &self.client;
        match data {
            SignedData::Attestation(SubmittedAttestation::Single {
                version,
                attestation,
            }) => (
                Some("submit_attestations"),
                client
                    .submit_single_attestations(*version, std::slice::from_ref(attestation))
                    .await,
            ),
            SignedData::Attestation(SubmittedAttestation::Aggregated(attestation)) => {
                let result = match attestation.as_ref() {
                    Attestation::Phase0(a)
                    | Attestation::Altair(a)
                    | Attestation::Bellatrix(a)
                    | Attestation::Capella(a)
                    | Attestation::Deneb(a) => {
                        client.submit_attestations_v1(std::slice::from_ref(a)).await
                    }
                    Attestation::Electra(_) | Attestation::Fulu(_) => {
                        // Electra validators submit single attestations; an aggregated one with
                        // one bit is converted by the validator API before it gets here.
                        tracing::warn!("dropping an electra Attestation submitted as aggregate");
                        Ok(())
                    }
                };
                (Some("submit_attestations"), result)
            }
            SignedData::Proposal(block) => (
                Some("publish_block"),
                client.publish_block_any_version(block, None).await,
            ),
            SignedData::AggregateAndProof(aggregate) => (
                Some("submit_aggregate_and_proofs"),
                client
                    .submit_aggregate_and_proofs_any_version(std::slice::from_ref(
                        aggregate.as_ref(),
                    ))
                    .await,
            ),
            SignedData::SyncMessage(message) => (
                Some("submit_sync_committee_messages"),
                client
                    .submit_sync_committee_messages(std::slice::from_ref(message))
                    .await,
            ),
            SignedData::ContributionAndProof(contribution) => (
                Some("submit_contribution_and_proofs"),
                client
                    .submit_contribution_and_proofs(std::slice::from_ref(contribution.as_ref()))
                    .await,
            ),
            SignedData::VoluntaryExit(exit) => (
                Some("submit_voluntary_exit"),
                client.submit_voluntary_exit(exit).await,
            ),
            SignedData::BuilderRegistration(registration) => (
                Some("register_validators"),
                client
                    .register_validators(std::slice::from_ref(registration))
                    .await,
            ),
            SignedData::Randao(_)
            | SignedData::BeaconCommitteeSelection(_)
            | SignedData::SyncCommitteeSelection(_) => (None, Ok(())),
        }
    }
}

/// The first bytes of a public key, for logs.
pub(crate) fn short(pubkey: &PublicKey) -> String {
    let hex = pubkey.to_hex();
    hex.chars().take(10).collect()
}

/// Whether the duty type's aggregate is submitted to the beacon node.
pub fn is_broadcast(duty_type: DutyType) -> bool {
    !matches!(
        duty_type,
        DutyType::Randao | DutyType::PrepareAggregator | DutyType::PrepareSyncContribution
    )
}
