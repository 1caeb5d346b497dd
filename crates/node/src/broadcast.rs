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
use mosaic_types::consensus::altair::SyncCommitteeMessage;
use mosaic_types::consensus::electra::SingleAttestation;
use mosaic_types::consensus::versioned::Attestation;
use mosaic_types::consensus::Preset;
use mosaic_types::ForkName;

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
        self.record_request(endpoint, started, result.is_ok());
        match result {
            Ok(()) => {
                self.record_success(duty, &dv_pubkey);
                tracing::debug!(%duty, validator = %short(&dv_pubkey), "broadcast");
            }
            Err(error) => {
                self.tracker.failed(duty, "broadcast");
                tracing::warn!(%duty, validator = %short(&dv_pubkey), %error, "broadcast failed");
            }
        }
    }

    /// Broadcasts many aggregates at once: single attestations of one fork in one request,
    /// sync committee messages in one request (each again on its own if such a request fails,
    /// so one refusal fails only itself), every other object concurrently.
    pub async fn broadcast_all(&self, items: Vec<Broadcast<P>>) {
        let mut batches: Vec<(Batch, Vec<Broadcast<P>>)> = Vec::new();
        let mut others = Vec::new();
        for item in items {
            let batch = match &item.2 {
                SignedData::Attestation(SubmittedAttestation::Single { version, .. }) => {
                    Batch::Attestations(*version)
                }
                SignedData::SyncMessage(_) => Batch::SyncMessages,
                _ => {
                    others.push(item);
                    continue;
                }
            };
            match batches.iter_mut().find(|(b, _)| *b == batch) {
                Some((_, group)) => group.push(item),
                None => batches.push((batch, vec![item])),
            }
        }
        let batches = batches
            .into_iter()
            .map(|(batch, group)| self.broadcast_batch(batch, group));
        let others = others
            .into_iter()
            .map(|(duty, pubkey, data)| self.broadcast(duty, pubkey, data));
        futures_util::future::join(
            futures_util::future::join_all(batches),
            futures_util::future::join_all(others),
        )
        .await;
    }

    async fn broadcast_batch(&self, batch: Batch, group: Vec<Broadcast<P>>) {
        if group.len() == 1 {
            for (duty, pubkey, data) in group {
                self.broadcast(duty, pubkey, data).await;
            }
            return;
        }
        let started = Instant::now();
        let (endpoint, result) = match batch {
            Batch::Attestations(version) => {
                let attestations: Vec<SingleAttestation> = group
                    .iter()
                    .filter_map(|(_, _, data)| match data {
                        SignedData::Attestation(SubmittedAttestation::Single {
                            attestation,
                            ..
                        }) => Some(*attestation.as_ref()),
                        _ => None,
                    })
                    .collect();
                (
                    "submit_attestations",
                    self.client
                        .submit_single_attestations(version, &attestations)
                        .await,
                )
            }
            Batch::SyncMessages => {
                let messages: Vec<SyncCommitteeMessage> = group
                    .iter()
                    .filter_map(|(_, _, data)| match data {
                        SignedData::SyncMessage(message) => Some(*message),
                        _ => None,
                    })
                    .collect();
                (
                    "submit_sync_committee_messages",
                    self.client.submit_sync_committee_messages(&messages).await,
                )
            }
        };
        self.record_request(endpoint, started, result.is_ok());
        match result {
            Ok(()) => {
                for (duty, pubkey, _) in &group {
                    self.record_success(*duty, pubkey);
                }
                tracing::debug!(endpoint, objects = group.len(), "broadcast together");
            }
            Err(error) => {
                // Refused as a whole (one object the beacon node already has is enough):
                // each again on its own, judged on its own.
                tracing::debug!(endpoint, objects = group.len(), %error, "batch refused; one by one");
                let each = group
                    .into_iter()
                    .map(|(duty, pubkey, data)| self.broadcast(duty, pubkey, data));
                futures_util::future::join_all(each).await;
            }
        }
    }

    fn record_request(&self, endpoint: &'static str, started: Instant, ok: bool) {
        let outcome = if ok {
            RequestOutcome::Ok
        } else {
            RequestOutcome::Error
        };
        self.metrics
            .beacon_request(endpoint, started.elapsed(), outcome);
    }

    /// Counts a duty broadcast: its latency from the slot start and its success.
    fn record_success(&self, duty: Duty, dv_pubkey: &PublicKey) {
        let latency = SystemTime::now()
            .duration_since(self.chain.slot_start(duty.slot))
            .unwrap_or_default();
        self.metrics
            .duty_broadcast_latency(duty.duty_type.name(), latency);
        self.tracker.succeeded(duty, dv_pubkey);
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

/// One aggregate to broadcast: its duty, its validator and the signed object.
pub type Broadcast<P> = (Duty, PublicKey, SignedData<P>);

/// Objects the beacon API takes many of in one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Batch {
    /// Single attestations of one fork.
    Attestations(ForkName),
    /// Sync committee messages.
    SyncMessages,
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use mosaic_beacon::ClientConfig;
    use mosaic_core::signeddata::SigningContext;
    use mosaic_crypto::bls::SecretKey;
    use mosaic_types::consensus::Minimal;
    use mosaic_types::{Network, Root};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// Validator whose sync committee message the test beacon node refuses.
    const REFUSED: u64 = 7;

    /// A beacon node that refuses a request carrying more than `max_batch` sync committee
    /// messages or the message of validator [`REFUSED`], and accepts everything else. It
    /// records the validator indices of every request.
    async fn beacon_node(max_batch: usize) -> (String, Arc<Mutex<Vec<Vec<u64>>>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let record = Arc::clone(&record);
                tokio::spawn(async move {
                    let mut buffer = Vec::new();
                    let mut chunk = [0u8; 4096];
                    let (head, length) = loop {
                        let read = stream.read(&mut chunk).await.unwrap_or(0);
                        if read == 0 {
                            return;
                        }
                        buffer.extend_from_slice(&chunk[..read]);
                        let text = String::from_utf8_lossy(&buffer).into_owned();
                        if let Some(end) = text.find("\r\n\r\n") {
                            let length = text[..end]
                                .lines()
                                .filter_map(|line| line.split_once(':'))
                                .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
                                .and_then(|(_, value)| value.trim().parse::<usize>().ok())
                                .unwrap_or(0);
                            break (end + 4, length);
                        }
                    };
                    while buffer.len() < head + length {
                        let read = stream.read(&mut chunk).await.unwrap_or(0);
                        if read == 0 {
                            return;
                        }
                        buffer.extend_from_slice(&chunk[..read]);
                    }
                    let body: serde_json::Value =
                        serde_json::from_slice(&buffer[head..head + length]).unwrap_or_default();
                    let indices: Vec<u64> = body
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|m| m["validator_index"].as_str()?.parse().ok())
                        .collect();
                    let refuse = indices.len() > max_batch || indices.contains(&REFUSED);
                    record.lock().unwrap().push(indices);
                    let (status, text) = if refuse {
                        (400, r#"{"code":400,"message":"refused"}"#)
                    } else {
                        (200, "")
                    };
                    let answer = format!(
                        "HTTP/1.1 {status} X\r\nConnection: close\r\nContent-Type: \
                         application/json\r\nContent-Length: {}\r\n\r\n{text}",
                        text.len()
                    );
                    let _ = stream.write_all(answer.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        (url, seen)
    }

    /// A minimal-preset chain of 12 s slots from genesis time 0, mainnet's signing domain.
    pub(crate) fn chain() -> ChainSpec {
        let network = Network::mainnet();
        ChainSpec {
            genesis_time: 0,
            slot_duration: Duration::from_secs(12),
            signing: SigningContext {
                network,
                genesis_validators_root: Root::default(),
            },
            preset_base: "minimal".into(),
            epochs_per_sync_committee_period: 8,
            sync_committee_size: 32,
            sync_committee_subnet_count: 4,
            target_aggregators_per_committee: 16,
            target_aggregators_per_sync_subcommittee: 16,
        }
    }

    /// A broadcaster to the beacon node at `url` on [`chain`], and its duty tracker.
    pub(crate) fn broadcaster(url: &str) -> (Broadcaster<Minimal>, Arc<DutyTracker>) {
        let metrics = Arc::new(Metrics::new());
        let tracker = Arc::new(DutyTracker::new(Arc::clone(&metrics)));
        let client = BeaconClient::new([url], ClientConfig::default()).unwrap();
        (
            Broadcaster::new(client, chain(), metrics, Arc::clone(&tracker)),
            tracker,
        )
    }

    fn sync_messages(validators: &[u64]) -> Vec<Broadcast<Minimal>> {
        let duty = Duty::new(5, DutyType::SyncMessage);
        validators
            .iter()
            .map(|&validator_index| {
                let message = SyncCommitteeMessage {
                    slot: 5,
                    validator_index,
                    ..SyncCommitteeMessage::default()
                };
                (
                    duty,
                    SecretKey::random().public_key(),
                    SignedData::SyncMessage(message),
                )
            })
            .collect()
    }

    fn succeeded(tracker: &DutyTracker) -> u64 {
        tracker
            .counts()
            .get(DutyType::SyncMessage.name())
            .map_or(0, |counts| counts.succeeded)
    }

    #[tokio::test]
    async fn a_refused_batch_is_sent_again_one_by_one_and_each_judged_alone() {
        let (url, seen) = beacon_node(1).await;
        let (broadcaster, tracker) = broadcaster(&url);
        // Refused as a batch by this node: sent one by one, each judged on its own.
        broadcaster
            .broadcast_all(sync_messages(&[1, REFUSED, 9]))
            .await;
        let mut requests = seen.lock().unwrap().clone();
        assert_eq!(requests.remove(0), vec![1, REFUSED, 9]);
        requests.sort();
        assert_eq!(requests, vec![vec![1], vec![REFUSED], vec![9]]);
        assert_eq!(succeeded(&tracker), 2, "only the refused message failed");

        // A lone message is sent as it is.
        seen.lock().unwrap().clear();
        broadcaster.broadcast_all(sync_messages(&[3])).await;
        assert_eq!(*seen.lock().unwrap(), vec![vec![3]]);
        assert_eq!(succeeded(&tracker), 3);
    }

    #[tokio::test]
    async fn an_accepted_batch_counts_every_message_once() {
        let (url, seen) = beacon_node(8).await;
        let (broadcaster, tracker) = broadcaster(&url);
        broadcaster.broadcast_all(sync_messages(&[1, 2])).await;
        assert_eq!(*seen.lock().unwrap(), vec![vec![1, 2]]);
        assert_eq!(succeeded(&tracker), 2);
    }
}
