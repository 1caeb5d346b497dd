//! The peer info protocol (`/charon/peerinfo/2.0.0`, Obol spec peerinfo.md): answers peers'
//! requests with this node's `PeerInfo`, and asks every peer for theirs each minute, warning
//! when a peer runs a different cluster lock or its clock is far off.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mosaic_p2p::{P2pHandle, PeerId, Protocol, Responder};
use mosaic_qbft::pb::google::protobuf::Timestamp;
use mosaic_qbft::pb::PeerInfo;
use prost::Message;

/// How often every peer is asked (Charon: one minute).
pub const EXCHANGE_INTERVAL: Duration = Duration::from_secs(60);
/// Clock offsets beyond this are logged.
const CLOCK_OFFSET_WARNING: Duration = Duration::from_secs(1);

/// This node's description.
#[derive(Debug, Clone)]
pub struct OwnInfo {
    /// The cluster lock hash.
    pub lock_hash: Vec<u8>,
    /// Whether the builder API is enabled.
    pub builder_api_enabled: bool,
    /// When the node started.
    pub started_at: SystemTime,
}

fn timestamp(time: SystemTime) -> Timestamp {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    Timestamp {
        seconds: i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
        nanos: i32::try_from(since.subsec_nanos()).unwrap_or(0),
    }
}

fn to_time(timestamp: &Timestamp) -> Option<SystemTime> {
    let seconds = u64::try_from(timestamp.seconds).ok()?;
    let nanos = u32::try_from(timestamp.nanos).ok()?;
    Some(UNIX_EPOCH + Duration::new(seconds, nanos))
}

impl OwnInfo {
    /// The `PeerInfo` message, sent now.
    pub fn message(&self) -> PeerInfo {
        PeerInfo {
            charon_version: format!("v{}", env!("CARGO_PKG_VERSION")),
            lock_hash: self.lock_hash.clone(),
            sent_at: Some(timestamp(SystemTime::now())),
            git_hash: String::new(),
            started_at: Some(timestamp(self.started_at)),
            builder_api_enabled: self.builder_api_enabled,
            nickname: format!("mosaic-{}", env!("CARGO_PKG_VERSION")),
        }
    }

    fn check(&self, peer: &PeerId, info: &PeerInfo) {
        if info.lock_hash != self.lock_hash {
            tracing::warn!(
                %peer,
                theirs = %hex_of(&info.lock_hash),
                ours = %hex_of(&self.lock_hash),
                "peer runs a different cluster lock"
            );
        }
        if let Some(sent_at) = info.sent_at.as_ref().and_then(to_time) {
            let now = SystemTime::now();
            let offset = now
                .duration_since(sent_at)
                .or_else(|_| sent_at.duration_since(now))
                .unwrap_or_default();
            if offset > CLOCK_OFFSET_WARNING {
                tracing::warn!(%peer, ?offset, "peer clock differs from ours");
            }
        }
    }

    /// Answers a peer's request (checking what it sent about itself).
    pub fn answer(&self, peer: &PeerId, request: &[u8], responder: Responder) {
        match PeerInfo::decode(request) {
            Ok(info) => self.check(peer, &info),
            Err(error) => tracing::debug!(%peer, %error, "undecodable peer info request"),
        }
        if let Err(error) = responder.respond(self.message().encode_to_vec()) {
            tracing::debug!(%peer, %error, "peer info answer not sent");
        }
    }
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Asks every connected peer for its info each [`EXCHANGE_INTERVAL`].
pub(crate) async fn run_exchange(p2p: P2pHandle, own: Arc<OwnInfo>) {
    loop {
        tokio::time::sleep(EXCHANGE_INTERVAL).await;
        for peer in p2p.connected_peers() {
            let request = own.message().encode_to_vec();
            match p2p.request(peer, Protocol::PeerInfo, &request).await {
                Ok(answer) => match PeerInfo::decode(answer.as_slice()) {
                    Ok(info) => own.check(&peer, &info),
                    Err(error) => tracing::debug!(%peer, %error, "undecodable peer info"),
                },
                Err(error) => tracing::debug!(%peer, %error, "peer info request failed"),
            }
        }
    }
}
