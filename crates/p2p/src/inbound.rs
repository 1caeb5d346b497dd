//! Serving inbound streams: one frame per stream, then (request-response protocols) one
//! response frame on the same stream, as Charon's `p2p.RegisterHandler` does.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures::AsyncWriteExt;
use libp2p::{PeerId, Stream};
use tokio::sync::{mpsc, oneshot, Semaphore};

use crate::events::{InboundFailure, P2pEvent, Responder};
use crate::framing::{read_frame, write_frame};
use crate::protocol::{ExchangePattern, Protocol};

/// What the handler of one protocol needs.
pub(crate) struct InboundContext {
    pub(crate) protocol: Protocol,
    pub(crate) members: HashSet<PeerId>,
    pub(crate) max_frame_size: usize,
    pub(crate) receive_timeout: Duration,
    pub(crate) events: mpsc::Sender<P2pEvent>,
    pub(crate) max_concurrent: usize,
}

/// Accepts streams of one protocol, handling at most `max_concurrent` at once.
pub(crate) async fn accept_loop(
    mut incoming: mpsc::Receiver<(PeerId, Stream)>,
    ctx: Arc<InboundContext>,
) {
    let slots = Arc::new(Semaphore::new(ctx.max_concurrent));
    while let Some((peer, stream)) = incoming.recv().await {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let ctx = ctx.clone();
        tokio::spawn(async move {
            handle_stream(peer, stream, &ctx).await;
            drop(slot);
        });
    }
}

async fn handle_stream(peer: PeerId, mut stream: Stream, ctx: &InboundContext) {
    let protocol = ctx.protocol;
    if !ctx.members.contains(&peer) {
        // The gate admits only members; a stream from anyone else is dropped unread.
        tracing::warn!(%peer, %protocol, "stream from a non-member dropped");
        return;
    }
    let deadline = tokio::time::Instant::now() + ctx.receive_timeout;
    let frame =
        tokio::time::timeout_at(deadline, read_frame(&mut stream, ctx.max_frame_size)).await;
    let bytes = match frame {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(error)) => {
            tracing::debug!(%peer, %protocol, %error, "inbound frame rejected");
            let reason = InboundFailure::Frame(error);
            report_failure(ctx, peer, reason).await;
            return;
        }
        Err(_) => {
            let reason = InboundFailure::Timeout(ctx.receive_timeout);
            report_failure(ctx, peer, reason).await;
            return;
        }
    };

    match protocol.pattern() {
        ExchangePattern::OneWay => {
            let event = P2pEvent::Received {
                from: peer,
                protocol,
                bytes,
            };
            // Fails only when the consumer dropped the event stream.
            let _ = ctx.events.send(event).await;
            let _ = stream.close().await;
        }
        ExchangePattern::RequestResponse => {
            let (sender, receiver) = oneshot::channel();
            let responder = Responder {
                peer,
                protocol,
                max_frame_size: ctx.max_frame_size,
                sender,
            };
            let event = P2pEvent::Request {
                from: peer,
                protocol,
                bytes,
                responder,
            };
            if tokio::time::timeout_at(deadline, ctx.events.send(event))
                .await
                .is_err()
            {
                return;
            }
            match tokio::time::timeout_at(deadline, receiver).await {
                Ok(Ok(response)) => {
                    if let Err(error) =
                        write_frame(&mut stream, &response, ctx.max_frame_size).await
                    {
                        tracing::debug!(%peer, %protocol, %error, "writing response failed");
                        return;
                    }
                    let _ = stream.close().await;
                }
                // Responder dropped or deadline passed: close without a response.
                Ok(Err(_)) | Err(_) => {
                    let _ = stream.close().await;
                }
            }
        }
    }
}

async fn report_failure(ctx: &InboundContext, peer: PeerId, reason: InboundFailure) {
    let event = P2pEvent::InboundFailed {
        from: peer,
        protocol: ctx.protocol,
        reason,
    };
    // Never block an inbound task on a full channel for a diagnostic event.
    let _ = ctx.events.try_send(event);
}
