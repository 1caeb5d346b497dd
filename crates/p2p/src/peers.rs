//! The cluster's peers, in lock operator order, with the addresses their ENRs advertise.

use libp2p::multiaddr::Protocol as AddrProtocol;
use libp2p::{Multiaddr, PeerId};
use mosaic_cluster::Lock;
use mosaic_crypto::secp256k1::PublicKey;
use mosaic_enr::Enr;

use crate::identity::peer_id_from_public_key;
use crate::Error;

/// One cluster member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterPeer {
    /// Zero-based operator index in the lock (Charon's peer index; share index is `index + 1`).
    pub index: usize,
    /// The peer ID derived from the operator's ENR key.
    pub peer_id: PeerId,
    /// The operator's ENR public key.
    pub public_key: PublicKey,
    /// `/ip4/<ip>/tcp/<tcp>` when the ENR carries both `ip` and `tcp`, else empty.
    pub enr_addrs: Vec<Multiaddr>,
}

impl ClusterPeer {
    /// The peer described by a parsed (hence verified) ENR.
    pub fn from_enr(index: usize, enr: &Enr) -> Result<Self, Error> {
        let enr_addrs = match (enr.ip(), enr.tcp()) {
            (Some(ip), Some(port)) => vec![Multiaddr::empty()
                .with(AddrProtocol::Ip4(ip))
                .with(AddrProtocol::Tcp(port))],
            _ => Vec::new(),
        };
        Ok(Self {
            index,
            peer_id: peer_id_from_public_key(enr.public_key())?,
            public_key: *enr.public_key(),
            enr_addrs,
        })
    }

    /// A peer known only by its key (no ENR addresses).
    pub fn from_public_key(index: usize, public_key: PublicKey) -> Result<Self, Error> {
        Ok(Self {
            index,
            peer_id: peer_id_from_public_key(&public_key)?,
            public_key,
            enr_addrs: Vec::new(),
        })
    }
}

/// Parses each `enr:` text in order into a [`ClusterPeer`]; duplicate keys are refused.
pub fn cluster_peers_from_enrs<'a>(
    enrs: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<ClusterPeer>, Error> {
    let mut peers: Vec<ClusterPeer> = Vec::new();
    for (index, text) in enrs.into_iter().enumerate() {
        let enr = Enr::from_text(text).map_err(|source| Error::OperatorEnr {
            index,
            reason: source.to_string(),
        })?;
        let peer = ClusterPeer::from_enr(index, &enr)?;
        if let Some(first) = peers.iter().find(|p| p.peer_id == peer.peer_id) {
            return Err(Error::DuplicatePeer {
                peer: peer.peer_id,
                first: first.index,
                second: index,
            });
        }
        peers.push(peer);
    }
    Ok(peers)
}

/// The cluster peers of a lock, from its operators' ENRs in order.
pub fn cluster_peers_from_lock(lock: &Lock) -> Result<Vec<ClusterPeer>, Error> {
    cluster_peers_from_enrs(lock.definition.operators.iter().map(|o| o.enr.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mosaic_crypto::secp256k1::SecretKey;

    #[test]
    fn enr_ip_and_tcp_become_an_address() {
        let key = SecretKey::random();
        let enr = Enr::create(
            &key,
            1,
            Some("127.0.0.1".parse().expect("ip")),
            Some(3610),
            None,
        )
        .expect("enr");
        let peer = ClusterPeer::from_enr(2, &enr).expect("peer");
        assert_eq!(peer.index, 2);
        assert_eq!(
            peer.enr_addrs,
            vec!["/ip4/127.0.0.1/tcp/3610"
                .parse::<Multiaddr>()
                .expect("addr")]
        );
        let bare =
            Enr::create(&key, 1, Some("127.0.0.1".parse().expect("ip")), None, None).expect("enr");
        assert!(ClusterPeer::from_enr(0, &bare)
            .expect("peer")
            .enr_addrs
            .is_empty());
    }

    #[test]
    fn duplicate_operators_are_refused() {
        let key = SecretKey::random();
        let text = Enr::create(&key, 1, None, None, None)
            .expect("enr")
            .to_text();
        let err = cluster_peers_from_enrs([text.as_str(), text.as_str()]).expect_err("dup");
        assert!(matches!(
            err,
            Error::DuplicatePeer {
                first: 0,
                second: 1,
                ..
            }
        ));
        assert_eq!(
            cluster_peers_from_enrs([text.as_str()]).expect("one").len(),
            1
        );
    }

    #[test]
    fn bad_enrs_name_their_operator() {
        let good = Enr::create(&SecretKey::random(), 1, None, None, None)
            .expect("enr")
            .to_text();
        let err = cluster_peers_from_enrs([good.as_str(), "enr:bogus"]).expect_err("bad");
        assert!(matches!(err, Error::OperatorEnr { index: 1, .. }));
    }
}
