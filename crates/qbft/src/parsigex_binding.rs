//! Binding partial signatures to their authenticated sender (spec:
//! `docs/dv-spec/parsigex.md`, reference `subspecs/parsigex/helpers.py`
//! `verify_peer_share_idx` and `validate_exchange_peers`).
//!
//! A peer may contribute partial signatures only under the share index the
//! cluster *assigned* it, looked up in a peer map — never derived from its
//! position, because after operators are removed the survivors keep gapped
//! indices. The DKG lock-hash exchange enforces this at reception; the core
//! workflow instead verifies each partial against the claimed index's public
//! share.

use std::borrow::Borrow;
use std::collections::BTreeMap;

/// Why a sender binding or a peer map was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BindingError {
    /// The sender is not a participating peer.
    #[error("partial signature from unknown peer {sender}")]
    UnknownPeer {
        /// The authenticated sender.
        sender: String,
    },
    /// The claimed share index is not the sender's assigned one (or not positive).
    #[error("peer {sender} claims share index {claimed}, assigned {assigned}")]
    ShareIdxMismatch {
        /// The authenticated sender.
        sender: String,
        /// The share index in the partial signature.
        claimed: i64,
        /// The sender's assigned share index.
        assigned: u64,
    },
    /// A participating peer has no valid (positive) assigned share index.
    #[error("peer map has no valid share index for peer {peer}")]
    MissingShareIdx {
        /// The peer.
        peer: String,
    },
    /// This node's own peer index is outside the peer list.
    #[error("own peer index {peer_idx} is out of range for {peers} peers")]
    PeerIdxOutOfRange {
        /// The index.
        peer_idx: usize,
        /// Number of peers.
        peers: usize,
    },
}

impl BindingError {
    /// The spec's reason slug.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::UnknownPeer { .. } => "unknown_peer",
            Self::ShareIdxMismatch { .. } => "share_idx_mismatch",
            Self::MissingShareIdx { .. } => "missing_share_idx",
            Self::PeerIdxOutOfRange { .. } => "peer_idx_out_of_range",
        }
    }
}

/// Checks that a partial signature claiming `share_idx` from the authenticated
/// `sender` uses the share index assigned to that sender in `share_idx_by_peer`.
pub fn verify_peer_share_idx<K, Q>(
    share_idx_by_peer: &BTreeMap<K, u64>,
    sender: &Q,
    share_idx: i64,
) -> Result<(), BindingError>
where
    K: Ord + Borrow<Q>,
    Q: Ord + std::fmt::Display + ?Sized,
{
    let assigned = *share_idx_by_peer
        .get(sender)
        .ok_or_else(|| BindingError::UnknownPeer {
            sender: sender.to_string(),
        })?;
    if share_idx <= 0 || u64::try_from(share_idx).ok() != Some(assigned) {
        return Err(BindingError::ShareIdxMismatch {
            sender: sender.to_string(),
            claimed: share_idx,
            assigned,
        });
    }
    Ok(())
}

/// Checks an exchange's peer configuration before it starts: `peer_idx` must
/// index `peers`, and every peer needs a positive assigned share index (a
/// missing one would otherwise surface only as a silent exchange timeout).
pub fn validate_exchange_peers<K>(
    peers: &[K],
    share_idx_by_peer: &BTreeMap<K, u64>,
    peer_idx: usize,
) -> Result<(), BindingError>
where
    K: Ord + std::fmt::Display,
{
    if peer_idx >= peers.len() {
        return Err(BindingError::PeerIdxOutOfRange {
            peer_idx,
            peers: peers.len(),
        });
    }
    for peer in peers {
        if share_idx_by_peer.get(peer).is_none_or(|idx| *idx == 0) {
            return Err(BindingError::MissingShareIdx {
                peer: peer.to_string(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_peer_index_bounds() {
        let map: BTreeMap<String, u64> = [("a".to_owned(), 1)].into();
        let peers = ["a".to_owned()];
        assert_eq!(validate_exchange_peers(&peers, &map, 0), Ok(()));
        assert_eq!(
            validate_exchange_peers(&peers, &map, 1).map_err(|e| e.reason()),
            Err("peer_idx_out_of_range")
        );
    }
}
