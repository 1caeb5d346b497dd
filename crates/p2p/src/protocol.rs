//! Charon's application protocols: their libp2p protocol IDs, exchange pattern and read limits.
//!
//! Every protocol uses one libp2p stream per message, framed as an unsigned LEB128 length followed
//! by the protobuf bytes (see [`crate::framing`]). One-way protocols write one frame and close
//! the stream; request-response protocols write a request frame, half-close, and read one
//! response frame from the same stream.

use std::fmt;

use libp2p::StreamProtocol;

/// One mebibyte.
const MIB: usize = 1 << 20;

/// Charon's transport-wide default read limit (`maxMsgSize` in `p2p/sender.go`): 128 MiB.
pub const DEFAULT_MAX_FRAME_SIZE: usize = 128 * MIB;
/// Consensus narrows the read limit to 32 MiB (`maxConsensusMsgSize`).
pub const CONSENSUS_MAX_FRAME_SIZE: usize = 32 * MIB;
/// PeerInfo narrows the read limit to 1 MiB (`maxPeerInfoMsgSize`).
pub const PEERINFO_MAX_FRAME_SIZE: usize = MIB;

/// QBFT consensus messages (`QBFTConsensusMsg`).
pub const CONSENSUS_PROTOCOL_ID: &str = "/charon/consensus/qbft/2.0.0";
/// Partial signature exchange (`ParSigExMsg`).
pub const PARSIGEX_PROTOCOL_ID: &str = "/charon/parsigex/2.0.0";
/// Peer metadata exchange (`PeerInfo`).
pub const PEERINFO_PROTOCOL_ID: &str = "/charon/peerinfo/2.0.0";
/// Priority exchange (`PriorityMsg`), the preferred spelling.
pub const PRIORITY_PROTOCOL_ID: &str = "/charon/priority/2.0.0";
/// The legacy priority spelling without a leading `/` that Charon releases up to v1.11 speak.
///
/// rust-libp2p's multistream-select refuses protocol names that do not start with `/`, both
/// when proposing and when answering, so this node can neither offer nor serve this spelling:
/// priority works only with Charon versions that serve [`PRIORITY_PROTOCOL_ID`].
pub const PRIORITY_LEGACY_PROTOCOL_ID: &str = "charon/priority/2.0.0";

/// How a protocol uses its stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExchangePattern {
    /// The sender writes one frame and closes the stream (Charon's `p2p.Send`).
    OneWay,
    /// The sender writes one request frame and reads one response frame on the same stream
    /// (Charon's `p2p.SendReceive`).
    RequestResponse,
}

/// One of Charon's application protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    /// `/charon/consensus/qbft/2.0.0`, one-way.
    Consensus,
    /// `/charon/parsigex/2.0.0`, one-way.
    Parsigex,
    /// `/charon/peerinfo/2.0.0`, request-response.
    PeerInfo,
    /// `/charon/priority/2.0.0`, request-response.
    Priority,
}

impl Protocol {
    /// Every protocol, in a fixed order.
    pub const ALL: [Protocol; 4] = [
        Protocol::Consensus,
        Protocol::Parsigex,
        Protocol::PeerInfo,
        Protocol::Priority,
    ];

    /// The libp2p protocol ID this node offers and serves.
    pub fn id(self) -> &'static str {
        match self {
            Protocol::Consensus => CONSENSUS_PROTOCOL_ID,
            Protocol::Parsigex => PARSIGEX_PROTOCOL_ID,
            Protocol::PeerInfo => PEERINFO_PROTOCOL_ID,
            Protocol::Priority => PRIORITY_PROTOCOL_ID,
        }
    }

    /// The protocol ID as a libp2p [`StreamProtocol`].
    pub fn stream_protocol(self) -> StreamProtocol {
        StreamProtocol::new(self.id())
    }

    /// The protocol whose ID is `id`, if any.
    pub fn from_id(id: &str) -> Option<Protocol> {
        Protocol::ALL.into_iter().find(|p| p.id() == id)
    }

    /// How the protocol uses its stream.
    pub fn pattern(self) -> ExchangePattern {
        match self {
            Protocol::Consensus | Protocol::Parsigex => ExchangePattern::OneWay,
            Protocol::PeerInfo | Protocol::Priority => ExchangePattern::RequestResponse,
        }
    }

    /// Charon's read limit for one frame of this protocol, in bytes (inclusive).
    pub fn default_max_frame_size(self) -> usize {
        match self {
            Protocol::Consensus => CONSENSUS_MAX_FRAME_SIZE,
            Protocol::PeerInfo => PEERINFO_MAX_FRAME_SIZE,
            Protocol::Parsigex | Protocol::Priority => DEFAULT_MAX_FRAME_SIZE,
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_valid_stream_protocols() {
        for p in Protocol::ALL {
            assert_eq!(Protocol::from_id(p.id()), Some(p));
            assert_eq!(p.stream_protocol().as_ref(), p.id());
        }
        assert_eq!(Protocol::from_id(PRIORITY_LEGACY_PROTOCOL_ID), None);
        assert_eq!(Protocol::from_id("/charon/parsigex/1.0.0"), None);
    }

    #[test]
    fn limits_and_patterns_follow_charon() {
        assert_eq!(
            Protocol::Consensus.default_max_frame_size(),
            32 * 1024 * 1024
        );
        assert_eq!(Protocol::PeerInfo.default_max_frame_size(), 1024 * 1024);
        assert_eq!(
            Protocol::Parsigex.default_max_frame_size(),
            128 * 1024 * 1024
        );
        assert_eq!(
            Protocol::Priority.default_max_frame_size(),
            128 * 1024 * 1024
        );
        assert_eq!(Protocol::Consensus.pattern(), ExchangePattern::OneWay);
        assert_eq!(Protocol::Parsigex.pattern(), ExchangePattern::OneWay);
        assert_eq!(
            Protocol::PeerInfo.pattern(),
            ExchangePattern::RequestResponse
        );
        assert_eq!(
            Protocol::Priority.pattern(),
            ExchangePattern::RequestResponse
        );
    }
}
