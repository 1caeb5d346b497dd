//! What a running node reports: received messages, requests to answer, peer connectivity,
//! ping latency and refused connections.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use libp2p::PeerId;
use tokio::sync::{mpsc, oneshot};

use crate::framing::FrameError;
use crate::protocol::Protocol;
use crate::Error;

/// The direction of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The remote dialled this node.
    Inbound,
    /// This node dialled the remote.
    Outbound,
}

/// Why an inbound stream produced no message.
#[derive(Debug, thiserror::Error)]
pub enum InboundFailure {
    /// The frame was malformed, truncated or over the protocol's limit.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// The frame did not arrive within the receive timeout.
    #[error("no complete frame within {0:?}")]
    Timeout(Duration),
}

/// An event of a running node.
#[derive(Debug)]
pub enum P2pEvent {
    /// A one-way message (consensus, parsigex) from an authenticated cluster peer.
    Received {
        /// The sender, authenticated by the noise handshake.
        from: PeerId,
        /// The protocol it arrived on.
        protocol: Protocol,
        /// The protobuf bytes (frame payload).
        bytes: Vec<u8>,
    },
    /// A request (peerinfo, priority) to answer through `responder` before the receive
    /// timeout; dropping the responder closes the stream without a response.
    Request {
        /// The requester, authenticated by the noise handshake.
        from: PeerId,
        /// The protocol it arrived on.
        protocol: Protocol,
        /// The protobuf bytes (frame payload).
        bytes: Vec<u8>,
        /// Sends the response.
        responder: Responder,
    },
    /// The first connection to a cluster peer opened.
    PeerConnected {
        /// The peer.
        peer: PeerId,
    },
    /// The last connection to a cluster peer closed; it will be redialled.
    PeerDisconnected {
        /// The peer.
        peer: PeerId,
    },
    /// A ping round trip completed.
    PingRtt {
        /// The peer.
        peer: PeerId,
        /// The round-trip time.
        rtt: Duration,
    },
    /// The gate refused a connection with a peer outside the cluster.
    PeerRefused {
        /// The refused peer.
        peer: PeerId,
        /// Who dialled.
        direction: Direction,
    },
    /// An inbound stream from a cluster peer was dropped without a message.
    InboundFailed {
        /// The peer.
        from: PeerId,
        /// The protocol.
        protocol: Protocol,
        /// Why.
        reason: InboundFailure,
    },
}

/// Answers one inbound request.
#[derive(Debug)]
pub struct Responder {
    pub(crate) peer: PeerId,
    pub(crate) protocol: Protocol,
    pub(crate) max_frame_size: usize,
    pub(crate) sender: oneshot::Sender<Vec<u8>>,
}

impl Responder {
    /// Sends `bytes` as the response frame. Fails if it exceeds the protocol's frame limit or
    /// the request can no longer be answered (timeout, stream gone).
    pub fn respond(self, bytes: Vec<u8>) -> Result<(), Error> {
        if bytes.len() > self.max_frame_size {
            return Err(Error::Frame {
                peer: self.peer,
                protocol: self.protocol,
                source: FrameError::TooLarge {
                    len: bytes.len() as u64,
                    max: self.max_frame_size,
                },
            });
        }
        self.sender.send(bytes).map_err(|_| Error::ResponseDropped {
            peer: self.peer,
            protocol: self.protocol,
        })
    }
}

/// The node's event stream; ends when the node stops.
///
/// Connection events and messages travel different paths, so a message can be seen before the
/// `PeerConnected` of its connection.
#[derive(Debug)]
pub struct P2pEvents {
    receiver: mpsc::Receiver<P2pEvent>,
}

impl P2pEvents {
    pub(crate) fn new(receiver: mpsc::Receiver<P2pEvent>) -> Self {
        Self { receiver }
    }

    /// The next event, or `None` once the node has stopped.
    pub async fn recv(&mut self) -> Option<P2pEvent> {
        self.receiver.recv().await
    }
}

impl futures::Stream for P2pEvents {
    type Item = P2pEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<P2pEvent>> {
        self.receiver.poll_recv(cx)
    }
}
