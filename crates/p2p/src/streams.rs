//! Raw protocol streams: a libp2p behaviour that negotiates Charon's protocol IDs on new
//! substreams and hands the negotiated streams over — inbound ones to per-protocol queues,
//! outbound ones to whoever asked through a [`StreamOpener`].
//!
//! Every stream negotiation runs concurrently (Charon opens one stream per message, so bursts
//! of dozens of streams per peer are normal). Inbound streams wait in a bounded queue per
//! protocol; when a queue is full the stream is dropped and counted rather than buffered
//! without bound.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::convert::Infallible;
use std::future::{ready, Ready};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use libp2p::core::transport::PortUse;
use libp2p::core::{Endpoint, InboundUpgrade, OutboundUpgrade, UpgradeInfo};
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::swarm::handler::{
    ConnectionEvent, DialUpgradeError, FullyNegotiatedInbound, FullyNegotiatedOutbound,
    ListenUpgradeError,
};
use libp2p::swarm::{
    ConnectionClosed, ConnectionDenied, ConnectionHandler, ConnectionHandlerEvent, ConnectionId,
    DialError, DialFailure, FromSwarm, NetworkBehaviour, NotifyHandler, Stream, StreamProtocol,
    StreamUpgradeError, SubstreamProtocol, THandler, THandlerInEvent, THandlerOutEvent, ToSwarm,
};
use libp2p::{Multiaddr, PeerId};
use tokio::sync::{mpsc, oneshot};

use crate::protocol::Protocol;

/// Per-protocol queues of negotiated inbound streams.
pub(crate) type InboundQueues = Arc<BTreeMap<Protocol, mpsc::Sender<(PeerId, Stream)>>>;

/// Why an outbound stream could not be opened.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OpenError {
    /// The peer does not serve the protocol.
    #[error("peer does not support {0}")]
    Unsupported(Protocol),
    /// Negotiation did not finish in time.
    #[error("protocol negotiation timed out")]
    Timeout,
    /// The substream failed.
    #[error("stream i/o failed: {0}")]
    Io(std::io::Error),
    /// No connection could be established.
    #[error("dial failed: {0}")]
    Dial(String),
    /// The connection closed before the stream was opened, or the node stopped.
    #[error("connection closed before the stream opened")]
    ConnectionClosed,
}

type Reply = oneshot::Sender<Result<Stream, OpenError>>;

/// A request to open one outbound stream.
#[derive(Debug)]
pub(crate) struct OpenRequest {
    peer: PeerId,
    protocol: Protocol,
    reply: Reply,
}

/// Opens outbound streams through the running swarm. Cheap to clone.
#[derive(Clone)]
pub(crate) struct StreamOpener {
    requests: mpsc::UnboundedSender<OpenRequest>,
}

impl StreamOpener {
    /// Opens a stream for `protocol` to `peer`, dialling it first if not connected.
    pub(crate) async fn open(&self, peer: PeerId, protocol: Protocol) -> Result<Stream, OpenError> {
        let (reply, response) = oneshot::channel();
        self.requests
            .send(OpenRequest {
                peer,
                protocol,
                reply,
            })
            .map_err(|_| OpenError::ConnectionClosed)?;
        response.await.map_err(|_| OpenError::ConnectionClosed)?
    }
}

/// The behaviour; one per swarm.
pub(crate) struct StreamsBehaviour {
    inbound: InboundQueues,
    dropped_inbound: Arc<AtomicU64>,
    requests: mpsc::UnboundedReceiver<OpenRequest>,
    connections: HashMap<PeerId, Vec<ConnectionId>>,
    awaiting_connection: HashMap<PeerId, Vec<OpenRequest>>,
    actions: VecDeque<ToSwarm<Infallible, OpenRequest>>,
}

impl StreamsBehaviour {
    /// A behaviour serving the protocols of `inbound` and the opener that drives it.
    pub(crate) fn new(
        inbound: InboundQueues,
        dropped_inbound: Arc<AtomicU64>,
    ) -> (Self, StreamOpener) {
        let (requests_tx, requests) = mpsc::unbounded_channel();
        let behaviour = Self {
            inbound,
            dropped_inbound,
            requests,
            connections: HashMap::new(),
            awaiting_connection: HashMap::new(),
            actions: VecDeque::new(),
        };
        (
            behaviour,
            StreamOpener {
                requests: requests_tx,
            },
        )
    }

    fn handler(&self, peer: PeerId) -> StreamsHandler {
        StreamsHandler {
            peer,
            inbound: self.inbound.clone(),
            dropped_inbound: self.dropped_inbound.clone(),
            pending: VecDeque::new(),
        }
    }

    fn route(&mut self, request: OpenRequest) {
        if request.reply.is_closed() {
            return; // The caller gave up (timeout).
        }
        let peer = request.peer;
        // The newest connection is the likeliest to be alive.
        match self.connections.get(&peer).and_then(|c| c.last()) {
            Some(connection) => self.actions.push_back(ToSwarm::NotifyHandler {
                peer_id: peer,
                handler: NotifyHandler::One(*connection),
                event: request,
            }),
            None => {
                self.awaiting_connection
                    .entry(peer)
                    .or_default()
                    .push(request);
                self.actions.push_back(ToSwarm::Dial {
                    opts: DialOpts::peer_id(peer)
                        .condition(PeerCondition::DisconnectedAndNotDialing)
                        .build(),
                });
            }
        }
    }
}

impl NetworkBehaviour for StreamsBehaviour {
    type ConnectionHandler = StreamsHandler;
    type ToSwarm = Infallible;

    fn handle_established_inbound_connection(
        &mut self,
        _connection_id: ConnectionId,
        peer: PeerId,
        _local_addr: &Multiaddr,
        _remote_addr: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        Ok(self.handler(peer))
    }

    fn handle_established_outbound_connection(
        &mut self,
        _connection_id: ConnectionId,
        peer: PeerId,
        _addr: &Multiaddr,
        _role_override: Endpoint,
        _port_use: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        Ok(self.handler(peer))
    }

    fn on_swarm_event(&mut self, event: FromSwarm) {
        match event {
            FromSwarm::ConnectionEstablished(established) => {
                let peer = established.peer_id;
                let connection = established.connection_id;
                self.connections.entry(peer).or_default().push(connection);
                for request in self.awaiting_connection.remove(&peer).unwrap_or_default() {
                    self.actions.push_back(ToSwarm::NotifyHandler {
                        peer_id: peer,
                        handler: NotifyHandler::One(connection),
                        event: request,
                    });
                }
            }
            FromSwarm::ConnectionClosed(ConnectionClosed {
                peer_id,
                connection_id,
                ..
            }) => {
                if let Some(connections) = self.connections.get_mut(&peer_id) {
                    connections.retain(|c| *c != connection_id);
                    if connections.is_empty() {
                        self.connections.remove(&peer_id);
                    }
                }
            }
            FromSwarm::DialFailure(DialFailure {
                peer_id: Some(peer),
                error,
                ..
            }) => {
                // Another dial to the peer is under way (ours or the node's): keep waiting.
                if self.connections.contains_key(&peer)
                    || matches!(error, DialError::DialPeerConditionFalse(_))
                {
                    return;
                }
                let reason = error.to_string();
                for request in self.awaiting_connection.remove(&peer).unwrap_or_default() {
                    let _ = request.reply.send(Err(OpenError::Dial(reason.clone())));
                }
            }
            _ => {}
        }
    }

    fn on_connection_handler_event(
        &mut self,
        _peer_id: PeerId,
        _connection_id: ConnectionId,
        event: THandlerOutEvent<Self>,
    ) {
        match event {}
    }

    fn poll(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<ToSwarm<Self::ToSwarm, THandlerInEvent<Self>>> {
        while let Poll::Ready(Some(request)) = self.requests.poll_recv(cx) {
            self.route(request);
        }
        match self.actions.pop_front() {
            Some(action) => Poll::Ready(action),
            None => Poll::Pending,
        }
    }
}

/// What an outbound substream request carries until it is negotiated.
#[derive(Debug)]
pub(crate) struct PendingOpen {
    protocol: Protocol,
    reply: Reply,
}

/// The per-connection handler.
pub(crate) struct StreamsHandler {
    peer: PeerId,
    inbound: InboundQueues,
    dropped_inbound: Arc<AtomicU64>,
    pending: VecDeque<OpenRequest>,
}

impl ConnectionHandler for StreamsHandler {
    type FromBehaviour = OpenRequest;
    type ToBehaviour = Infallible;
    type InboundProtocol = Upgrade;
    type OutboundProtocol = Upgrade;
    type InboundOpenInfo = ();
    type OutboundOpenInfo = PendingOpen;

    fn listen_protocol(&self) -> SubstreamProtocol<Upgrade, ()> {
        let protocols = self.inbound.keys().map(|p| p.stream_protocol()).collect();
        SubstreamProtocol::new(Upgrade { protocols }, ())
    }

    fn poll(
        &mut self,
        _cx: &mut Context<'_>,
    ) -> Poll<ConnectionHandlerEvent<Upgrade, PendingOpen, Infallible>> {
        while let Some(request) = self.pending.pop_front() {
            if request.reply.is_closed() {
                continue;
            }
            let upgrade = Upgrade {
                protocols: vec![request.protocol.stream_protocol()],
            };
            let info = PendingOpen {
                protocol: request.protocol,
                reply: request.reply,
            };
            return Poll::Ready(ConnectionHandlerEvent::OutboundSubstreamRequest {
                protocol: SubstreamProtocol::new(upgrade, info),
            });
        }
        Poll::Pending
    }

    fn on_behaviour_event(&mut self, request: OpenRequest) {
        self.pending.push_back(request);
    }

    fn on_connection_event(&mut self, event: ConnectionEvent<Upgrade, Upgrade, (), PendingOpen>) {
        match event {
            ConnectionEvent::FullyNegotiatedInbound(FullyNegotiatedInbound {
                protocol: (stream, negotiated),
                ..
            }) => {
                let Some(protocol) = Protocol::from_id(negotiated.as_ref()) else {
                    return;
                };
                let Some(queue) = self.inbound.get(&protocol) else {
                    return;
                };
                match queue.try_send((self.peer, stream)) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        self.dropped_inbound.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(peer = %self.peer, %protocol, "inbound queue full, stream dropped");
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => {}
                }
            }
            ConnectionEvent::FullyNegotiatedOutbound(FullyNegotiatedOutbound {
                protocol: (stream, _),
                info,
            }) => {
                let _ = info.reply.send(Ok(stream));
            }
            ConnectionEvent::DialUpgradeError(DialUpgradeError { info, error }) => {
                let error = match error {
                    StreamUpgradeError::NegotiationFailed => OpenError::Unsupported(info.protocol),
                    StreamUpgradeError::Timeout => OpenError::Timeout,
                    StreamUpgradeError::Io(e) => OpenError::Io(e),
                    StreamUpgradeError::Apply(never) => match never {},
                };
                let _ = info.reply.send(Err(error));
            }
            ConnectionEvent::ListenUpgradeError(ListenUpgradeError { error, .. }) => match error {},
            _ => {}
        }
    }
}

/// Negotiates one of a list of protocol IDs and yields the raw stream.
#[derive(Debug, Clone)]
pub(crate) struct Upgrade {
    protocols: Vec<StreamProtocol>,
}

impl UpgradeInfo for Upgrade {
    type Info = StreamProtocol;
    type InfoIter = std::vec::IntoIter<StreamProtocol>;

    fn protocol_info(&self) -> Self::InfoIter {
        self.protocols.clone().into_iter()
    }
}

impl InboundUpgrade<Stream> for Upgrade {
    type Output = (Stream, StreamProtocol);
    type Error = Infallible;
    type Future = Ready<Result<Self::Output, Infallible>>;

    fn upgrade_inbound(self, stream: Stream, protocol: StreamProtocol) -> Self::Future {
        ready(Ok((stream, protocol)))
    }
}

impl OutboundUpgrade<Stream> for Upgrade {
    type Output = (Stream, StreamProtocol);
    type Error = Infallible;
    type Future = Ready<Result<Self::Output, Infallible>>;

    fn upgrade_outbound(self, stream: Stream, protocol: StreamProtocol) -> Self::Future {
        ready(Ok((stream, protocol)))
    }
}
