//! Starting a node: loads the cluster, connects to the beacon node and the peers, and runs the
//! consensus loop, the p2p event loop, the scheduler, the validator API and the monitoring
//! server until shut down.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mosaic_beacon::{BeaconClient, ClientConfig};
use mosaic_cluster::Lock;
use mosaic_core::chain::ChainSpec;
use mosaic_core::consensus::{Action, Consensus, ConsensusConfig};
use mosaic_core::dutydb::DutyDb;
use mosaic_core::keys::validators_from_lock;
use mosaic_core::parsigdb::ParSigDb;
use mosaic_core::unsigned::UnsignedDataSet;
use mosaic_core::Duty;
use mosaic_crypto::bls::PublicKey;
use mosaic_crypto::secp256k1::SecretKey;
use mosaic_monitor::{BeaconSyncState, Health, HealthConfig, Metrics};
use mosaic_p2p::{
    cluster_peers_from_lock, Multiaddr, P2pConfig, P2pEvent, P2pEvents, P2pNode, PeerId, Protocol,
};
use mosaic_qbft::duty::DutyType;
use mosaic_qbft::signing::{Secp256k1Signer, Secp256k1Verifier};
use mosaic_qbft::timer::TimerType;
use mosaic_types::consensus::Preset;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::broadcast::Broadcaster;
use crate::core::{ConsensusInput, Core};
use crate::infosync::{InfoSync, InfoSyncConfig, LocalPriorities, PriorityVerifier};
use crate::schedule::Schedule;
use crate::sigpipe::SigPipe;
use crate::tracker::DutyTracker;

/// Why a node could not start.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The cluster lock is unusable.
    #[error("cluster lock: {0}")]
    Lock(String),
    /// This node's key is not one of the lock's operators.
    #[error("the private key's peer {0} is not an operator of the cluster lock")]
    NotAnOperator(PeerId),
    /// The beacon node client could not be built or read.
    #[error("beacon node: {0}")]
    Beacon(String),
    /// The p2p host failed to start.
    #[error("p2p: {0}")]
    P2p(#[from] mosaic_p2p::Error),
    /// The monitoring server failed to start.
    #[error("monitoring: {0}")]
    Monitor(#[from] mosaic_monitor::MonitorError),
    /// The validator API failed to start.
    #[error("validator API: {0}")]
    ValidatorApi(String),
    /// The beacon node serves another network than the cluster's.
    #[error(
        "the cluster lock is for fork version 0x{lock} ({lock_network}) but the beacon node's \
         chain has genesis fork version 0x{beacon} ({beacon_network}): the cluster was made for \
         another network"
    )]
    WrongNetwork {
        /// The lock's fork version, hex.
        lock: String,
        /// The network it names, or "unknown network".
        lock_network: String,
        /// The beacon node's genesis fork version, hex.
        beacon: String,
        /// The network it names, or "unknown network".
        beacon_network: String,
    },
}

/// Checks that the beacon node's chain is the cluster's network: the lock's `fork_version` is
/// the chain's genesis fork version (it signs deposits and builder registrations, and names
/// the network the validators were made for).
pub fn check_network(lock: &Lock, chain: &ChainSpec) -> Result<(), NodeError> {
    same_network(
        &lock.definition.fork_version,
        &chain.signing.network.genesis_fork_version.0,
    )
}

/// [`check_network`] on the two fork versions.
fn same_network(lock: &[u8], beacon: &[u8]) -> Result<(), NodeError> {
    if lock == beacon {
        return Ok(());
    }
    let name = |version: &[u8]| {
        mosaic_cluster::network::network_name(version)
            .unwrap_or("unknown network")
            .to_string()
    };
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    Err(NodeError::WrongNetwork {
        lock: hex(lock),
        lock_network: name(lock),
        beacon: hex(beacon),
        beacon_network: name(beacon),
    })
}

#[cfg(test)]
mod network_tests {
    use super::*;

    #[test]
    fn a_lock_runs_only_against_its_own_network() {
        let hoodi = [0x10, 0x00, 0x09, 0x10];
        assert!(same_network(&hoodi, &hoodi).is_ok());
        let error = same_network(&hoodi, &[0, 0, 0, 1]).unwrap_err().to_string();
        assert!(
            error.contains("0x10000910 (hoodi)") && error.contains("0x00000001 (unknown network)"),
            "{error}"
        );
        // One byte off is another network too.
        assert!(same_network(&hoodi, &[0x10, 0x00, 0x09, 0x11]).is_err());
        assert!(same_network(&hoodi[..3], &hoodi).is_err());
    }
}

/// Everything a node needs.
#[derive(Clone)]
pub struct NodeConfig {
    /// The verified cluster lock.
    pub lock: Lock,
    /// This node's ENR (identity) key.
    pub enr_key: SecretKey,
    /// Beacon node URLs, in fallback order.
    pub beacon_urls: Vec<String>,
    /// Where the validator API listens.
    pub validator_api: SocketAddr,
    /// p2p listen addresses.
    pub p2p_listen: Vec<Multiaddr>,
    /// Known peer addresses (besides those in the lock's ENRs).
    pub p2p_peers: HashMap<PeerId, Vec<Multiaddr>>,
    /// Where Prometheus metrics and health endpoints listen.
    pub monitoring: SocketAddr,
    /// Submit the lock's builder registrations and produce blinded blocks.
    pub builder: bool,
    /// Test clusters only: send corrupt partial signatures to peers.
    pub byzantine: bool,
    /// Scale consensus round timeouts to the slot (see
    /// [`mosaic_qbft::timer::timeout_scale_per_mille`]) instead of the spec's, which are made
    /// for 12 s slots. Every node of the cluster must agree (Charon nodes use the spec's).
    pub scale_consensus_timers: bool,
}

impl std::fmt::Debug for NodeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeConfig")
            .field("beacon_urls", &self.beacon_urls)
            .field("validator_api", &self.validator_api)
            .field("p2p_listen", &self.p2p_listen)
            .field("monitoring", &self.monitoring)
            .field("builder", &self.builder)
            .field("byzantine", &self.byzantine)
            .field("scale_consensus_timers", &self.scale_consensus_timers)
            .finish_non_exhaustive()
    }
}

/// A running node.
pub struct RunningNode<P: Preset> {
    /// The shared state (for the validator API backend and tests).
    pub core: Arc<Core<P>>,
    /// The monitoring server's bound address.
    pub monitoring: SocketAddr,
    /// The p2p listen addresses.
    pub p2p_addrs: Vec<Multiaddr>,
    /// Where the validator API is to listen.
    pub validator_api: SocketAddr,
    /// The beacon nodes (proxied by the validator API).
    pub beacon_urls: Vec<String>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl<P: Preset> RunningNode<P> {
    /// A future that resolves when [`RunningNode::stop`] is called (for servers' graceful
    /// shutdown).
    pub fn shutdown_signal(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut receiver = self.shutdown.subscribe();
        async move {
            while !*receiver.borrow() {
                if receiver.changed().await.is_err() {
                    return;
                }
            }
        }
    }

    /// Stops every task of the node.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        self.core.p2p.shutdown().await;
        for task in &self.tasks {
            task.abort();
        }
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Reads the chain description from the first answering beacon node.
pub async fn fetch_chain(beacon_urls: &[String]) -> Result<ChainSpec, NodeError> {
    let client = BeaconClient::<mosaic_types::consensus::Mainnet>::new(
        beacon_urls.iter().map(String::as_str),
        ClientConfig::default(),
    )
    .map_err(|e| NodeError::Beacon(e.to_string()))?;
    ChainSpec::fetch(&client)
        .await
        .map_err(|e| NodeError::Beacon(e.to_string()))
}

/// Starts a node for a chain with preset `P` (see [`fetch_chain`] for choosing it).
///
/// `config.lock` must have passed [`mosaic_cluster::Lock::verify`] (as `mosaic run` does
/// before it starts a node): the signature pipeline relies on every validator's public shares
/// lying on its DV key's polynomial when it lets an aggregate's check stand in for the check of
/// the partial that completed it.
pub async fn start<P: Preset>(
    config: NodeConfig,
    chain: ChainSpec,
) -> Result<RunningNode<P>, NodeError> {
    let lock = &config.lock;
    let validators_shares =
        validators_from_lock(lock).map_err(|e| NodeError::Lock(e.to_string()))?;
    let validators: Vec<PublicKey> = validators_shares.iter().map(|v| *v.dv_pubkey()).collect();
    let peers = cluster_peers_from_lock(lock)?;
    let own_peer = mosaic_p2p::identity::peer_id_from_public_key(&config.enr_key.public_key())?;
    let own = peers
        .iter()
        .find(|peer| peer.peer_id == own_peer)
        .ok_or(NodeError::NotAnOperator(own_peer))?
        .clone();
    let own_shares: Vec<(PublicKey, PublicKey)> = validators_shares
        .iter()
        .filter_map(|v| {
            v.public_share(own.index as u64 + 1)
                .map(|share| (*v.dv_pubkey(), *share))
        })
        .collect();
    let threshold = lock.definition.threshold;
    let parsigdb =
        ParSigDb::new(threshold, validators_shares).map_err(|e| NodeError::Lock(e.to_string()))?;
    let share_index_by_peer: BTreeMap<String, u64> = peers
        .iter()
        .map(|peer| (peer.peer_id.to_string(), peer.index as u64 + 1))
        .collect();
    let peer_labels: HashMap<PeerId, usize> = peers
        .iter()
        .map(|peer| (peer.peer_id, peer.index))
        .collect();

    let client = BeaconClient::<P>::new(
        config.beacon_urls.iter().map(String::as_str),
        ClientConfig::default(),
    )
    .map_err(|e| NodeError::Beacon(e.to_string()))?;

    let metrics = Arc::new(Metrics::new());
    let health = Health::new(HealthConfig::new(
        usize::try_from(threshold).unwrap_or(usize::MAX),
        // The validator API reports calls, not which validators they named.
        Vec::new(),
    ));
    let tracker = Arc::new(DutyTracker::new(metrics.clone()));

    let mut p2p_config = P2pConfig::new(config.enr_key.clone(), peers.clone());
    p2p_config.listen_addrs = config.p2p_listen.clone();
    p2p_config.peer_addrs = config.p2p_peers.clone();
    let (p2p, events) = P2pNode::start(p2p_config).await?;

    let (shutdown, _) = watch::channel(false);
    let shutdown_signal = {
        let mut receiver = shutdown.subscribe();
        async move {
            while !*receiver.borrow() {
                if receiver.changed().await.is_err() {
                    return;
                }
            }
        }
    };
    let (monitoring, monitor_task) = mosaic_monitor::serve(
        config.monitoring,
        metrics.clone(),
        health.clone(),
        shutdown_signal,
    )
    .await?;

    let registrations = if config.builder {
        crate::registrations::from_lock(lock)
    } else {
        Vec::new()
    };

    let (consensus_tx, consensus_rx) = mpsc::channel(4096);
    let infosync = Arc::new(InfoSync::new(
        InfoSyncConfig {
            signer: Secp256k1Signer::new(config.enr_key.clone()),
            verifier: PriorityVerifier::new(
                &peers
                    .iter()
                    .map(|p| (p.peer_id, p.public_key))
                    .collect::<Vec<_>>(),
                chain.slots_per_epoch() * 2,
            ),
            nodes: peers.len(),
            min_required: usize::try_from(threshold).unwrap_or(usize::MAX),
            exchange_timeout: crate::infosync::exchange_timeout(chain.slot_duration),
            local: LocalPriorities::new(config.builder, &lock.definition.consensus_protocol),
        },
        p2p.clone(),
        consensus_tx.clone(),
        metrics.clone(),
        peer_labels
            .iter()
            .map(|(peer, index)| (*peer, format!("peer{index}")))
            .collect(),
    ));
    let broadcaster = Broadcaster::new(
        client.clone(),
        chain.clone(),
        metrics.clone(),
        tracker.clone(),
    );
    let core = Arc::new(Core {
        chain: chain.clone(),
        client,
        schedule: Schedule::new(),
        dutydb: DutyDb::new(),
        sigpipe: SigPipe::new(
            chain.clone(),
            parsigdb,
            broadcaster,
            metrics.clone(),
            tracker.clone(),
        ),
        tracker,
        metrics,
        health,
        p2p: p2p.clone(),
        consensus: consensus_tx.clone(),
        share_index: own.index as u64 + 1,
        share_index_by_peer: Arc::new(share_index_by_peer),
        known_keys: Arc::new(mosaic_core::keys::KnownKeys::new(
            validators.iter().copied(),
        )),
        validators,
        own_shares,
        registrations,
        builder: config.builder,
        proposals_started: Default::default(),
        byzantine: config.byzantine,
        infosync,
        peer_sets: crate::gate::SetGate::new(threshold),
    });

    let consensus = Consensus::new(ConsensusConfig {
        process: own.index as u64,
        signer: Secp256k1Signer::new(config.enr_key.clone()),
        verifier: Secp256k1Verifier::new(peers.iter().map(|p| p.public_key).collect()),
        timer: TimerType::EagerDoubleLinear,
        timing: chain.timing(),
        timeout_scale_per_mille: if config.scale_consensus_timers {
            mosaic_qbft::timer::timeout_scale_per_mille(chain.timing().slot_duration_nanos)
        } else {
            1000
        },
        horizon_behind: chain.slots_per_epoch() * 2,
        horizon_ahead: chain.slots_per_epoch() * 2,
        value_check: Some(slashability_check(core.clone())),
    });

    let p2p_addrs = p2p.listen_addrs();
    let peer_info = Arc::new(crate::peerinfo::OwnInfo {
        lock_hash: config.lock.lock_hash.clone(),
        builder_api_enabled: config.builder,
        started_at: SystemTime::now(),
    });
    let tasks = vec![
        tokio::spawn(run_consensus(
            core.clone(),
            consensus,
            consensus_rx,
            consensus_tx,
            config
                .byzantine
                .then(|| Secp256k1Signer::new(config.enr_key.clone())),
        )),
        tokio::spawn(run_p2p_events(
            core.clone(),
            events,
            peer_labels,
            peers.len(),
            peer_info.clone(),
        )),
        tokio::spawn(crate::peerinfo::run_exchange(p2p.clone(), peer_info)),
        tokio::spawn(crate::duties::run_scheduler(core.clone())),
        tokio::spawn(run_beacon_health(core.clone())),
        tokio::spawn(async move {
            if let Ok(Err(error)) = monitor_task.await {
                tracing::error!(%error, "monitoring server stopped");
            }
        }),
    ];
    tracing::info!(
        peer = %own_peer,
        share_index = own.index + 1,
        validators = core.validators.len(),
        threshold,
        "node started"
    );
    Ok(RunningNode {
        core,
        monitoring,
        p2p_addrs,
        validator_api: config.validator_api,
        beacon_urls: config.beacon_urls.clone(),
        shutdown,
        tasks,
    })
}

/// The cluster's own guard in consensus: a proposal that does not decode, or whose attestation
/// data or block would make one of the cluster's validators slashable against what was already
/// decided (double or surround vote, a second block for a slot), is not prepared (the round
/// times out and another leader proposes).
fn slashability_check<P: Preset>(core: Arc<Core<P>>) -> mosaic_core::consensus::DutyValueCheck {
    Arc::new(move |duty: Duty, value: &mosaic_qbft::pb::Any| {
        if duty.duty_type == DutyType::InfoSync {
            return crate::infosync::decode_result(value)
                .map(|_| ())
                .map_err(|error| format!("undecodable priority result: {error}"));
        }
        let set = UnsignedDataSet::<P>::from_any(duty.duty_type, value, &core.known_keys)
            .map_err(|error| format!("undecodable proposal: {error}"))?;
        for (pubkey, datum) in &set.data {
            let verdict = match datum {
                mosaic_core::unsigned::UnsignedData::Attestation(datum) => core
                    .dutydb
                    .check_attestation(pubkey, &datum.attestation_data),
                mosaic_core::unsigned::UnsignedData::Proposal(datum) => core
                    .dutydb
                    .check_proposal(duty.slot, datum.block.block_root()),
                _ => Ok(()),
            };
            verdict.map_err(|reason| {
                tracing::error!(%duty, validator = %pubkey.to_hex(), %reason, "leader's proposal refused: slashable");
                core.metrics.duty_outcome(
                    duty.duty_type.name(),
                    mosaic_monitor::DutyOutcome::Failed {
                        reason: "slashable_proposal",
                    },
                );
                reason
            })?;
        }
        Ok(())
    })
}

fn unix_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

async fn run_consensus<P: Preset>(
    core: Arc<Core<P>>,
    mut consensus: Consensus,
    mut inputs: mpsc::Receiver<ConsensusInput>,
    loopback: mpsc::Sender<ConsensusInput>,
    equivocate_with: Option<Secp256k1Signer>,
) {
    let mut started: HashMap<Duty, Instant> = HashMap::new();
    let mut timers: HashMap<Duty, JoinHandle<()>> = HashMap::new();
    let mut last_trim = 0;
    while let Some(input) = inputs.recv().await {
        let slot = core.current_slot();
        let now = unix_nanos();
        let result = match input {
            ConsensusInput::Propose { duty, value } => {
                started.entry(duty).or_insert_with(Instant::now);
                consensus.propose(duty, value, slot, now)
            }
            ConsensusInput::Received { from, bytes } => {
                consensus.receive(&bytes, slot, now).map_err(|error| {
                    tracing::debug!(peer = %from, %error, "consensus message dropped");
                    error
                })
            }
            ConsensusInput::Timeout { duty, round } => {
                core.metrics
                    .consensus_timeout(duty.duty_type.name(), TimerType::EagerDoubleLinear.name());
                Ok(consensus.timeout(duty, round, now))
            }
        };
        let actions = match result {
            Ok(actions) => actions,
            Err(error) => {
                if let mosaic_core::consensus::ConsensusError::Engine(_) = error {
                    tracing::warn!(%error, "consensus input refused");
                }
                continue;
            }
        };
        for action in actions {
            match action {
                Action::Broadcast(bytes) => {
                    let p2p = core.p2p.clone();
                    let conflicting = equivocate_with.as_ref().and_then(|signer| {
                        crate::byzantine::conflicting_pre_prepare(&bytes, signer)
                    });
                    tokio::spawn(async move {
                        match conflicting {
                            // Equivocate: the real proposal to half the peers, a conflicting
                            // one to the others.
                            Some(conflicting) => {
                                let own = p2p.local_peer_id();
                                let others: Vec<PeerId> = p2p
                                    .peers()
                                    .iter()
                                    .map(|peer| peer.peer_id)
                                    .filter(|peer| *peer != own)
                                    .collect();
                                for (i, peer) in others.into_iter().enumerate() {
                                    let message = if i % 2 == 0 { &bytes } else { &conflicting };
                                    let _ = p2p.send(peer, Protocol::Consensus, message).await;
                                }
                            }
                            None => {
                                p2p.broadcast(Protocol::Consensus, &bytes).await;
                            }
                        }
                    });
                }
                Action::ArmTimer {
                    duty,
                    round,
                    deadline_nanos,
                } => {
                    let wait = Duration::from_nanos(deadline_nanos.saturating_sub(unix_nanos()));
                    let sender = loopback.clone();
                    if let Some(previous) = timers.insert(
                        duty,
                        tokio::spawn(async move {
                            tokio::time::sleep(wait).await;
                            let _ = sender.send(ConsensusInput::Timeout { duty, round }).await;
                        }),
                    ) {
                        previous.abort();
                    }
                }
                Action::StopTimer(duty) => {
                    if let Some(timer) = timers.remove(&duty) {
                        timer.abort();
                    }
                }
                Action::Decided { duty, value, round } => {
                    if let Some(timer) = timers.remove(&duty) {
                        timer.abort();
                    }
                    let elapsed = started.get(&duty).map(Instant::elapsed).unwrap_or_default();
                    core.metrics.consensus_decided(
                        duty.duty_type.name(),
                        elapsed,
                        u64::try_from(round).unwrap_or(0),
                    );
                    if duty.duty_type == DutyType::InfoSync {
                        core.infosync.decided(duty, &value);
                        continue;
                    }
                    match UnsignedDataSet::<P>::from_any(duty.duty_type, &value, &core.known_keys) {
                        Ok(set) => {
                            match core.dutydb.store(duty, &set) {
                                Ok(()) => {}
                                Err(error @ mosaic_core::dutydb::DutyDbError::Slashable { .. }) => {
                                    core.tracker.failed(duty, "slashable");
                                    core.metrics.duty_outcome(
                                        duty.duty_type.name(),
                                        mosaic_monitor::DutyOutcome::Failed {
                                            reason: "slashable_refused",
                                        },
                                    );
                                    tracing::error!(%duty, %error, "decided data refused by the slashability guard");
                                }
                                Err(error) => {
                                    tracing::error!(%duty, %error, "decided value not stored");
                                }
                            }
                            tracing::debug!(%duty, round, validators = set.data.len(), elapsed_ms = elapsed.as_millis() as u64, "decided");
                        }
                        Err(error) => {
                            core.tracker.failed(duty, "undecodable_decision");
                            tracing::error!(%duty, %error, "decided value does not decode");
                        }
                    }
                }
            }
        }
        if slot > last_trim {
            last_trim = slot;
            let keep_from = slot.saturating_sub(core.chain.slots_per_epoch() * 2);
            consensus.trim(keep_from);
            started.retain(|duty, _| duty.slot >= keep_from);
            timers.retain(|duty, timer| {
                let keep = duty.slot >= keep_from;
                if !keep {
                    timer.abort();
                }
                keep
            });
        }
    }
}

async fn run_p2p_events<P: Preset>(
    core: Arc<Core<P>>,
    mut events: P2pEvents,
    labels: HashMap<PeerId, usize>,
    cluster_size: usize,
    peer_info: Arc<crate::peerinfo::OwnInfo>,
) {
    let mut connected = std::collections::HashSet::new();
    let label = |peer: &PeerId| {
        labels
            .get(peer)
            .map(|index| format!("peer{index}"))
            .unwrap_or_else(|| peer.to_string())
    };
    core.health.set_connected_peers(0);
    while let Some(event) = events.recv().await {
        match event {
            P2pEvent::Received {
                from,
                protocol: Protocol::Consensus,
                bytes,
            } => {
                let _ = core
                    .consensus
                    .send(ConsensusInput::Received {
                        from: label(&from),
                        bytes,
                    })
                    .await;
            }
            P2pEvent::Received {
                from,
                protocol: Protocol::Parsigex,
                bytes,
            } => {
                let core = core.clone();
                let from = from.to_string();
                tokio::spawn(async move { core.receive_partials(from, bytes).await });
            }
            P2pEvent::Request {
                from,
                protocol: Protocol::PeerInfo,
                bytes,
                responder,
            } => peer_info.answer(&from, &bytes, responder),
            P2pEvent::Request {
                from,
                protocol: Protocol::Priority,
                bytes,
                responder,
            } => core
                .infosync
                .answer(&from, &bytes, responder, core.current_slot()),
            P2pEvent::Received { .. } | P2pEvent::Request { .. } => {}
            P2pEvent::PeerConnected { peer } => {
                connected.insert(peer);
                core.metrics.peer_connected(&label(&peer), true);
                core.health
                    .set_connected_peers(connected.len().min(cluster_size));
            }
            P2pEvent::PeerDisconnected { peer } => {
                connected.remove(&peer);
                core.metrics.peer_connected(&label(&peer), false);
                core.health.set_connected_peers(connected.len());
            }
            P2pEvent::PingRtt { peer, rtt } => core.metrics.peer_ping(&label(&peer), rtt),
            P2pEvent::PeerRefused { .. } | P2pEvent::InboundFailed { .. } => {}
        }
    }
}

async fn run_beacon_health<P: Preset>(core: Arc<Core<P>>) {
    loop {
        match core.client.syncing().await {
            Ok(status) => {
                let peer_count = core.client.peer_count().await.ok().map(|p| p.connected);
                core.health.set_beacon_sync(BeaconSyncState {
                    is_syncing: status.is_syncing,
                    sync_distance: status.sync_distance,
                    peer_count,
                });
            }
            Err(_) => core.health.set_beacon_down(),
        }
        tokio::time::sleep(core.chain.slot_duration.max(Duration::from_millis(500))).await;
    }
}
