//! Sending: one stream per message, as Charon's `p2p.Send` and `p2p.SendReceive` do.

use futures::AsyncWriteExt;
use libp2p::{PeerId, Stream};

use tokio::sync::OwnedSemaphorePermit;

use crate::framing::{read_frame, write_frame, FrameError};
use crate::node::P2pHandle;
use crate::protocol::{ExchangePattern, Protocol};
use crate::Error;

impl P2pHandle {
    /// Sends one message on a one-way protocol (consensus, parsigex): opens a stream (dialling
    /// if needed), writes one frame and closes it, within the send timeout.
    pub async fn send(&self, peer: PeerId, protocol: Protocol, bytes: &[u8]) -> Result<(), Error> {
        self.check_call(&peer, protocol, ExchangePattern::OneWay, bytes)?;
        let max = self.shared.max_frame_size(protocol);
        self.with_timeout(peer, protocol, async {
            let _slot = self.outbound_slot(peer).await?;
            let mut stream = self.open(peer, protocol).await?;
            write_frame(&mut stream, bytes, max)
                .await
                .map_err(|source| frame_error(peer, protocol, source))?;
            stream
                .close()
                .await
                .map_err(|e| frame_error(peer, protocol, e.into()))
        })
        .await
    }

    /// Sends one message to every other cluster peer concurrently; one result per peer, in lock
    /// order.
    pub async fn broadcast(
        &self,
        protocol: Protocol,
        bytes: &[u8],
    ) -> Vec<(PeerId, Result<(), Error>)> {
        let sends = self
            .shared
            .others
            .iter()
            .map(|peer| async move { (*peer, self.send(*peer, protocol, bytes).await) });
        futures::future::join_all(sends).await
    }

    /// Sends a request on a request-response protocol (peerinfo, priority) and returns the
    /// response frame, all within the send timeout.
    pub async fn request(
        &self,
        peer: PeerId,
        protocol: Protocol,
        bytes: &[u8],
    ) -> Result<Vec<u8>, Error> {
        self.check_call(&peer, protocol, ExchangePattern::RequestResponse, bytes)?;
        let max = self.shared.max_frame_size(protocol);
        self.with_timeout(peer, protocol, async {
            let _slot = self.outbound_slot(peer).await?;
            let mut stream = self.open(peer, protocol).await?;
            write_frame(&mut stream, bytes, max)
                .await
                .map_err(|source| frame_error(peer, protocol, source))?;
            // Half-close: the responder sees the end of the request, the response still flows.
            stream
                .close()
                .await
                .map_err(|e| frame_error(peer, protocol, e.into()))?;
            read_frame(&mut stream, max)
                .await
                .map_err(|source| frame_error(peer, protocol, source))
        })
        .await
    }

    fn check_call(
        &self,
        peer: &PeerId,
        protocol: Protocol,
        expected: ExchangePattern,
        bytes: &[u8],
    ) -> Result<(), Error> {
        if protocol.pattern() != expected {
            return Err(Error::WrongPattern {
                protocol,
                expected,
                actual: protocol.pattern(),
            });
        }
        if self.shared.is_stopped() {
            return Err(Error::Stopped);
        }
        self.shared.check_other_member(peer)?;
        let max = self.shared.max_frame_size(protocol);
        if bytes.len() > max {
            return Err(frame_error(
                *peer,
                protocol,
                FrameError::TooLarge {
                    len: bytes.len() as u64,
                    max,
                },
            ));
        }
        Ok(())
    }

    /// Waits for one of the peer's outbound stream slots.
    async fn outbound_slot(&self, peer: PeerId) -> Result<OwnedSemaphorePermit, Error> {
        let slots = self
            .shared
            .outbound_slots
            .get(&peer)
            .ok_or(Error::NotClusterPeer { peer })?;
        slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::Stopped)
    }

    async fn open(&self, peer: PeerId, protocol: Protocol) -> Result<Stream, Error> {
        self.shared
            .opener
            .open(peer, protocol)
            .await
            .map_err(|e| Error::OpenStream {
                peer,
                protocol,
                reason: e.to_string(),
            })
    }

    async fn with_timeout<T>(
        &self,
        peer: PeerId,
        protocol: Protocol,
        exchange: impl std::future::Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let timeout = self.shared.send_timeout;
        tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| Error::Timeout {
                peer,
                protocol,
                timeout,
            })?
    }
}

fn frame_error(peer: PeerId, protocol: Protocol, source: FrameError) -> Error {
    Error::Frame {
        peer,
        protocol,
        source,
    }
}
