//! The running node: [`P2pNode::start`] builds the libp2p swarm (TCP, noise, yamux, ping, the
//! cluster gate and generic streams), runs it on a tokio task, and returns a [`P2pHandle`] to
//! send with and a [`P2pEvents`] stream of what happens.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures::StreamExt;
use libp2p::core::ConnectedPoint;
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::swarm::{DialError, ListenError, NetworkBehaviour, SwarmEvent};
use libp2p::{noise, ping, tcp, yamux, Multiaddr, PeerId, Swarm, SwarmBuilder};
use tokio::sync::{mpsc, oneshot, Semaphore};
use tokio::task::JoinHandle;

use crate::config::P2pConfig;
use crate::dialer::DialSchedule;
use crate::error::NotClusterMember;
use crate::events::{Direction, P2pEvent, P2pEvents};
use crate::gate::ClusterGate;
use crate::identity::keypair_from_secret;
use crate::inbound::{accept_loop, InboundContext};
use crate::peers::ClusterPeer;
use crate::protocol::Protocol;
use crate::streams::{StreamOpener, StreamsBehaviour};
use crate::Error;

/// How long [`P2pNode::start`] waits for its listeners to report their addresses.
const LISTEN_READY_TIMEOUT: Duration = Duration::from_secs(5);
/// Queued connection events beyond which ping and refusal events are dropped (their values stay
/// readable through the handle) so a stalled consumer cannot grow memory without bound.
const MAX_QUEUED_STATUS_EVENTS: usize = 4096;
/// Yamux streams per connection (rust-yamux's default is 512, go-yamux accepts 1000 inbound).
/// rust-yamux closes the whole connection when a peer exceeds it, hence the margin over
/// [`crate::P2pConfig::max_concurrent_outbound_per_peer`].
const MAX_STREAMS_PER_CONNECTION: usize = 1024;
/// Inbound substreams negotiating at once per connection (libp2p's default is 128).
const MAX_NEGOTIATING_INBOUND_STREAMS: usize = 1024;

#[derive(NetworkBehaviour)]
#[behaviour(prelude = "libp2p::swarm::derive_prelude")]
struct Behaviour {
    gate: ClusterGate,
    ping: ping::Behaviour,
    streams: StreamsBehaviour,
}

/// Commands from handles to the node task.
enum Command {
    AddPeerAddrs {
        peer: PeerId,
        addrs: Vec<Multiaddr>,
        done: oneshot::Sender<()>,
    },
    Shutdown,
}

/// Observable state the node task keeps up to date.
#[derive(Default)]
struct Status {
    connected: HashSet<PeerId>,
    rtts: BTreeMap<PeerId, Duration>,
    listen_addrs: Vec<Multiaddr>,
}

/// State shared by every handle clone.
pub(crate) struct Shared {
    pub(crate) local_peer_id: PeerId,
    pub(crate) peers: Vec<ClusterPeer>,
    pub(crate) others: Vec<PeerId>,
    pub(crate) opener: StreamOpener,
    pub(crate) max_frame_sizes: BTreeMap<Protocol, usize>,
    pub(crate) send_timeout: Duration,
    /// Limits the streams this node has open to each peer at once.
    pub(crate) outbound_slots: HashMap<PeerId, Arc<Semaphore>>,
    commands: mpsc::UnboundedSender<Command>,
    status: Arc<Mutex<Status>>,
    refused: Arc<AtomicU64>,
    dropped_inbound: Arc<AtomicU64>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Shared {
    fn status(&self) -> MutexGuard<'_, Status> {
        lock(&self.status)
    }

    pub(crate) fn max_frame_size(&self, protocol: Protocol) -> usize {
        self.max_frame_sizes
            .get(&protocol)
            .copied()
            .unwrap_or_else(|| protocol.default_max_frame_size())
    }

    /// Whether the node task has ended.
    pub(crate) fn is_stopped(&self) -> bool {
        self.commands.is_closed()
    }

    /// `peer` is another member of the cluster.
    pub(crate) fn check_other_member(&self, peer: &PeerId) -> Result<(), Error> {
        if self.others.contains(peer) {
            Ok(())
        } else {
            Err(Error::NotClusterPeer { peer: *peer })
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The status holds plain values that every writer leaves consistent, so a panic elsewhere
    // while holding the lock does not invalidate it.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A cloneable handle to a running node. The node stops when [`P2pHandle::shutdown`] is called
/// or the last handle is dropped.
#[derive(Clone)]
pub struct P2pHandle {
    pub(crate) shared: Arc<Shared>,
}

/// Entry point: starts nodes.
pub struct P2pNode;

impl P2pNode {
    /// Builds the swarm, binds every listen address (waiting until each reports its address),
    /// starts dialling the other cluster peers and serving Charon's protocols.
    pub async fn start(config: P2pConfig) -> Result<(P2pHandle, P2pEvents), Error> {
        let keypair = keypair_from_secret(&config.secret_key)?;
        let local_peer_id = keypair.public().to_peer_id();
        if !config.peers.iter().any(|p| p.peer_id == local_peer_id) {
            return Err(Error::LocalNotInCluster {
                peer: local_peer_id,
            });
        }
        let others: Vec<PeerId> = config
            .peers
            .iter()
            .map(|p| p.peer_id)
            .filter(|p| *p != local_peer_id)
            .collect();

        let refused = Arc::new(AtomicU64::new(0));
        let mut gate = ClusterGate::new(config.peers.iter().map(|p| p.peer_id), refused.clone());
        for (peer, addrs) in &config.peer_addrs {
            if !others.contains(peer) {
                return Err(Error::NotClusterPeer { peer: *peer });
            }
            gate.add_addrs(*peer, addrs.iter().cloned());
        }
        for peer in config.peers.iter().filter(|p| p.peer_id != local_peer_id) {
            gate.add_addrs(peer.peer_id, peer.enr_addrs.iter().cloned());
        }

        let (events_tx, events_rx) = mpsc::channel(config.event_buffer.max(1));
        let members: HashSet<PeerId> = others.iter().copied().collect();
        let max_frame_sizes: BTreeMap<Protocol, usize> = Protocol::ALL
            .into_iter()
            .map(|p| (p, config.max_frame_size(p)))
            .collect();
        let mut queues = BTreeMap::new();
        let mut accept_tasks = Vec::new();
        for protocol in Protocol::ALL {
            let (queue, incoming) = mpsc::channel(config.max_queued_inbound.max(1));
            queues.insert(protocol, queue);
            let ctx = Arc::new(InboundContext {
                protocol,
                members: members.clone(),
                max_frame_size: max_frame_sizes[&protocol],
                receive_timeout: config.receive_timeout,
                events: events_tx.clone(),
                max_concurrent: config.max_concurrent_inbound.max(1),
            });
            accept_tasks.push(tokio::spawn(accept_loop(incoming, ctx)));
        }
        let dropped_inbound = Arc::new(AtomicU64::new(0));
        let (streams, opener) = StreamsBehaviour::new(Arc::new(queues), dropped_inbound.clone());

        let ping_config = ping::Config::new()
            .with_interval(config.ping_interval)
            .with_timeout(config.ping_timeout);
        let mut swarm = SwarmBuilder::with_existing_identity(keypair)
            .with_tokio()
            .with_tcp(
                tcp::Config::default().nodelay(true),
                noise::Config::new,
                || {
                    let mut yamux = yamux::Config::default();
                    yamux.set_max_num_streams(MAX_STREAMS_PER_CONNECTION);
                    yamux
                },
            )
            .map_err(|e| Error::Transport(e.to_string()))?
            .with_behaviour(|_| Behaviour {
                gate,
                ping: ping::Behaviour::new(ping_config),
                streams,
            })
            .map_err(|e: Infallible| match e {})?
            .with_swarm_config(|c| {
                // Cluster connections are permanent: keep them open while idle. Charon opens a
                // stream per message, so allow bursts of concurrent stream negotiations.
                c.with_idle_connection_timeout(Duration::from_secs(u64::MAX))
                    .with_max_negotiating_inbound_streams(MAX_NEGOTIATING_INBOUND_STREAMS)
            })
            .build();

        let mut listeners = HashSet::new();
        for addr in &config.listen_addrs {
            let id = swarm.listen_on(addr.clone()).map_err(|e| Error::Listen {
                addr: addr.to_string(),
                reason: e.to_string(),
            })?;
            listeners.insert(id);
        }

        let status = Arc::new(Mutex::new(Status::default()));
        let (commands_tx, commands_rx) = mpsc::unbounded_channel();
        let mut node = NodeLoop {
            swarm,
            schedule: DialSchedule::new(
                config.dial_backoff,
                others.iter().copied(),
                Instant::now(),
            ),
            status: status.clone(),
            events: events_tx,
            events_closed: false,
            queued: VecDeque::new(),
            unready_listeners: listeners,
        };
        node.wait_for_listeners().await?;

        let task = tokio::spawn(node.run(commands_rx, accept_tasks));
        let per_peer = config.max_concurrent_outbound_per_peer.max(1);
        let outbound_slots = others
            .iter()
            .map(|p| (*p, Arc::new(Semaphore::new(per_peer))))
            .collect();
        let shared = Arc::new(Shared {
            local_peer_id,
            peers: config.peers,
            others,
            opener,
            max_frame_sizes,
            send_timeout: config.send_timeout,
            outbound_slots,
            commands: commands_tx,
            status,
            refused,
            dropped_inbound,
            task: Mutex::new(Some(task)),
        });
        Ok((P2pHandle { shared }, P2pEvents::new(events_rx)))
    }
}

impl P2pHandle {
    /// This node's peer ID.
    pub fn local_peer_id(&self) -> PeerId {
        self.shared.local_peer_id
    }

    /// The cluster's peers in lock order (this node included).
    pub fn peers(&self) -> &[ClusterPeer] {
        &self.shared.peers
    }

    /// The addresses the node listens on (as reported by its listeners).
    pub fn listen_addrs(&self) -> Vec<Multiaddr> {
        self.shared.status().listen_addrs.clone()
    }

    /// Peers with at least one open connection.
    pub fn connected_peers(&self) -> Vec<PeerId> {
        let mut peers: Vec<PeerId> = self.shared.status().connected.iter().copied().collect();
        peers.sort();
        peers
    }

    /// Whether `peer` has at least one open connection.
    pub fn is_connected(&self, peer: &PeerId) -> bool {
        self.shared.status().connected.contains(peer)
    }

    /// The latest ping round-trip time to `peer`, while connected.
    pub fn ping_rtt(&self, peer: &PeerId) -> Option<Duration> {
        self.shared.status().rtts.get(peer).copied()
    }

    /// Connections the gate refused because the remote is not a cluster member.
    pub fn refused_connections(&self) -> u64 {
        self.shared.refused.load(Ordering::Relaxed)
    }

    /// Inbound streams dropped because their protocol's queue was full (overload).
    pub fn dropped_inbound_streams(&self) -> u64 {
        self.shared.dropped_inbound.load(Ordering::Relaxed)
    }

    /// Adds dial addresses for another cluster member; it is dialled now if not connected.
    /// Returns once the addresses are in use, so a send that follows can dial them.
    pub async fn add_peer_addrs(&self, peer: PeerId, addrs: Vec<Multiaddr>) -> Result<(), Error> {
        self.shared.check_other_member(&peer)?;
        let (done, added) = oneshot::channel();
        self.shared
            .commands
            .send(Command::AddPeerAddrs { peer, addrs, done })
            .map_err(|_| Error::Stopped)?;
        added.await.map_err(|_| Error::Stopped)
    }

    /// Stops the node: closes listeners and connections and ends the event stream. Other
    /// handles then fail with [`Error::Stopped`]. Idempotent.
    pub async fn shutdown(&self) {
        // Sending fails only if the node task already ended.
        let _ = self.shared.commands.send(Command::Shutdown);
        let task = lock(&self.shared.task).take();
        if let Some(task) = task {
            if let Err(e) = task.await {
                tracing::warn!(error = %e, "p2p node task ended abnormally");
            }
        }
    }
}

/// The swarm and its bookkeeping, owned by the node task.
struct NodeLoop {
    swarm: Swarm<Behaviour>,
    schedule: DialSchedule,
    status: Arc<Mutex<Status>>,
    events: mpsc::Sender<P2pEvent>,
    events_closed: bool,
    queued: VecDeque<P2pEvent>,
    unready_listeners: HashSet<libp2p::core::transport::ListenerId>,
}

impl NodeLoop {
    async fn wait_for_listeners(&mut self) -> Result<(), Error> {
        let deadline = tokio::time::Instant::now() + LISTEN_READY_TIMEOUT;
        while !self.unready_listeners.is_empty() {
            match tokio::time::timeout_at(deadline, self.swarm.select_next_some()).await {
                Ok(SwarmEvent::ListenerError { error, .. }) => {
                    return Err(Error::Listen {
                        addr: "listener".into(),
                        reason: error.to_string(),
                    })
                }
                Ok(SwarmEvent::ListenerClosed {
                    addresses, reason, ..
                }) => {
                    return Err(Error::Listen {
                        addr: format!("{addresses:?}"),
                        reason: format!("closed: {reason:?}"),
                    })
                }
                Ok(event) => self.on_swarm_event(event),
                Err(_) => {
                    return Err(Error::Listen {
                        addr: "listener".into(),
                        reason: format!("no address reported within {LISTEN_READY_TIMEOUT:?}"),
                    })
                }
            }
        }
        Ok(())
    }

    async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        accept_tasks: Vec<JoinHandle<()>>,
    ) {
        loop {
            let next_due = self.schedule.next_due();
            let dial_timer = async move {
                match next_due {
                    Some(due) => tokio::time::sleep_until(due.into()).await,
                    None => futures::future::pending().await,
                }
            };
            // A clone, so the pending reservation does not borrow `self`.
            let events = self.events.clone();
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                command = commands.recv() => match command {
                    Some(Command::AddPeerAddrs { peer, addrs, done }) => {
                        self.swarm.behaviour_mut().gate.add_addrs(peer, addrs);
                        self.schedule.on_new_addrs(&peer, Instant::now());
                        let _ = done.send(());
                    }
                    Some(Command::Shutdown) | None => break,
                },
                () = dial_timer => self.dial_due(),
                permit = events.reserve(), if !self.queued.is_empty() => match permit {
                    Ok(permit) => {
                        if let Some(event) = self.queued.pop_front() {
                            permit.send(event);
                        }
                    }
                    Err(_) => {
                        self.events_closed = true;
                        self.queued.clear();
                    }
                },
            }
        }
        for task in accept_tasks {
            task.abort();
        }
        tracing::debug!("p2p node stopped");
    }

    fn emit(&mut self, event: P2pEvent) {
        if self.events_closed {
            return;
        }
        let droppable = matches!(
            event,
            P2pEvent::PingRtt { .. } | P2pEvent::PeerRefused { .. }
        );
        if droppable && self.queued.len() >= MAX_QUEUED_STATUS_EVENTS {
            return;
        }
        self.queued.push_back(event);
    }

    fn dial_due(&mut self) {
        let now = Instant::now();
        for peer in self.schedule.take_due(now) {
            if self.schedule.is_connected(&peer) {
                continue;
            }
            if self.swarm.behaviour().gate.addrs(&peer).is_empty() {
                // Nothing to dial until addresses are added; the peer may still dial us.
                continue;
            }
            let opts = DialOpts::peer_id(peer)
                .condition(PeerCondition::DisconnectedAndNotDialing)
                .build();
            match self.swarm.dial(opts) {
                Ok(()) => tracing::debug!(%peer, "dialling cluster peer"),
                Err(DialError::DialPeerConditionFalse(_)) => {}
                Err(e) => {
                    tracing::debug!(%peer, error = %e, "dial refused");
                    self.schedule.on_dial_failure(&peer, now);
                }
            }
        }
    }

    fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        let now = Instant::now();
        match event {
            SwarmEvent::ConnectionEstablished {
                peer_id, endpoint, ..
            } => {
                tracing::debug!(peer = %peer_id, addr = %endpoint_addr(&endpoint), "connected");
                if self.schedule.on_connected(&peer_id) {
                    lock(&self.status).connected.insert(peer_id);
                    self.emit(P2pEvent::PeerConnected { peer: peer_id });
                }
            }
            SwarmEvent::ConnectionClosed { peer_id, cause, .. } => {
                tracing::debug!(peer = %peer_id, ?cause, "connection closed");
                if self.schedule.on_disconnected(&peer_id, now) {
                    let mut status = lock(&self.status);
                    status.connected.remove(&peer_id);
                    status.rtts.remove(&peer_id);
                    drop(status);
                    self.emit(P2pEvent::PeerDisconnected { peer: peer_id });
                }
            }
            SwarmEvent::OutgoingConnectionError { peer_id, error, .. } => {
                if let DialError::Denied { cause } = &error {
                    if let Some(refusal) = cause.downcast_ref::<NotClusterMember>() {
                        let peer = refusal.peer;
                        self.emit(P2pEvent::PeerRefused {
                            peer,
                            direction: Direction::Outbound,
                        });
                    }
                }
                if let Some(peer) = peer_id {
                    tracing::debug!(%peer, error = %error, "dial failed");
                    self.schedule.on_dial_failure(&peer, now);
                }
            }
            SwarmEvent::IncomingConnectionError {
                error: ListenError::Denied { cause },
                send_back_addr,
                ..
            } => {
                if let Some(refusal) = cause.downcast_ref::<NotClusterMember>() {
                    let peer = refusal.peer;
                    tracing::info!(%peer, addr = %send_back_addr, "refused non-member connection");
                    self.emit(P2pEvent::PeerRefused {
                        peer,
                        direction: Direction::Inbound,
                    });
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Ping(ping::Event {
                peer,
                connection,
                result,
            })) => match result {
                Ok(rtt) => {
                    lock(&self.status).rtts.insert(peer, rtt);
                    self.emit(P2pEvent::PingRtt { peer, rtt });
                }
                Err(ping::Failure::Timeout) => {
                    tracing::info!(%peer, "ping timed out, closing connection");
                    self.swarm.close_connection(connection);
                }
                Err(e) => tracing::debug!(%peer, error = %e, "ping failed"),
            },
            SwarmEvent::NewListenAddr {
                listener_id,
                address,
            } => {
                tracing::info!(%address, "listening");
                self.unready_listeners.remove(&listener_id);
                lock(&self.status).listen_addrs.push(address);
            }
            SwarmEvent::ExpiredListenAddr { address, .. } => {
                lock(&self.status).listen_addrs.retain(|a| *a != address);
            }
            SwarmEvent::ListenerClosed {
                addresses, reason, ..
            } => {
                tracing::warn!(?addresses, ?reason, "listener closed");
                lock(&self.status)
                    .listen_addrs
                    .retain(|a| !addresses.contains(a));
            }
            SwarmEvent::ListenerError { error, .. } => {
                tracing::warn!(%error, "listener error");
            }
            _ => {}
        }
    }
}

fn endpoint_addr(endpoint: &ConnectedPoint) -> &Multiaddr {
    match endpoint {
        ConnectedPoint::Dialer { address, .. } => address,
        ConnectedPoint::Listener { send_back_addr, .. } => send_back_addr,
    }
}
