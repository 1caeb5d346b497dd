//! The connection gater and address book: a libp2p behaviour that admits only the cluster's
//! peers and tells the swarm where to dial them.
//!
//! Like Charon's `InterceptSecured`, the check runs once the noise handshake has authenticated
//! the remote peer ID, for inbound and outbound connections alike; a dial to a known non-member
//! peer ID is refused before it starts. Every refusal is counted.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use libp2p::core::transport::PortUse;
use libp2p::core::Endpoint;
use libp2p::swarm::{
    dummy, ConnectionDenied, ConnectionId, FromSwarm, NetworkBehaviour, THandler, THandlerInEvent,
    THandlerOutEvent, ToSwarm,
};
use libp2p::{Multiaddr, PeerId};

use crate::error::NotClusterMember;

/// Admits only cluster members; holds their dial addresses.
pub(crate) struct ClusterGate {
    members: HashSet<PeerId>,
    addrs: HashMap<PeerId, Vec<Multiaddr>>,
    refused: Arc<AtomicU64>,
}

impl ClusterGate {
    /// A gate for `members`, counting refusals into `refused`.
    pub(crate) fn new(members: impl IntoIterator<Item = PeerId>, refused: Arc<AtomicU64>) -> Self {
        Self {
            members: members.into_iter().collect(),
            addrs: HashMap::new(),
            refused,
        }
    }

    /// Whether `peer` is a member.
    pub(crate) fn is_member(&self, peer: &PeerId) -> bool {
        self.members.contains(peer)
    }

    /// Appends addresses for a member (duplicates ignored). Returns false for non-members.
    pub(crate) fn add_addrs(
        &mut self,
        peer: PeerId,
        addrs: impl IntoIterator<Item = Multiaddr>,
    ) -> bool {
        if !self.is_member(&peer) {
            return false;
        }
        let known = self.addrs.entry(peer).or_default();
        for addr in addrs {
            if !known.contains(&addr) {
                known.push(addr);
            }
        }
        true
    }

    /// The known addresses of `peer`, in preference order.
    pub(crate) fn addrs(&self, peer: &PeerId) -> &[Multiaddr] {
        self.addrs.get(peer).map(Vec::as_slice).unwrap_or_default()
    }

    fn admit(&self, peer: PeerId) -> Result<(), ConnectionDenied> {
        if self.is_member(&peer) {
            Ok(())
        } else {
            self.refused.fetch_add(1, Ordering::Relaxed);
            Err(ConnectionDenied::new(NotClusterMember { peer }))
        }
    }
}

impl NetworkBehaviour for ClusterGate {
    type ConnectionHandler = dummy::ConnectionHandler;
    type ToSwarm = Infallible;

    fn handle_established_inbound_connection(
        &mut self,
        _connection_id: ConnectionId,
        peer: PeerId,
        _local_addr: &Multiaddr,
        _remote_addr: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.admit(peer)?;
        Ok(dummy::ConnectionHandler)
    }

    fn handle_pending_outbound_connection(
        &mut self,
        _connection_id: ConnectionId,
        maybe_peer: Option<PeerId>,
        _addresses: &[Multiaddr],
        _effective_role: Endpoint,
    ) -> Result<Vec<Multiaddr>, ConnectionDenied> {
        match maybe_peer {
            Some(peer) => {
                self.admit(peer)?;
                Ok(self.addrs(&peer).to_vec())
            }
            None => Ok(Vec::new()),
        }
    }

    fn handle_established_outbound_connection(
        &mut self,
        _connection_id: ConnectionId,
        peer: PeerId,
        _addr: &Multiaddr,
        _role_override: Endpoint,
        _port_use: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.admit(peer)?;
        Ok(dummy::ConnectionHandler)
    }

    fn on_swarm_event(&mut self, _event: FromSwarm) {}

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
        _cx: &mut Context<'_>,
    ) -> Poll<ToSwarm<Self::ToSwarm, THandlerInEvent<Self>>> {
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr() -> Multiaddr {
        "/ip4/127.0.0.1/tcp/1".parse().expect("addr")
    }

    #[test]
    fn members_pass_and_outsiders_are_refused_and_counted() {
        let member = PeerId::random();
        let outsider = PeerId::random();
        let refused = Arc::new(AtomicU64::new(0));
        let mut gate = ClusterGate::new([member], refused.clone());
        let id = ConnectionId::new_unchecked(1);

        assert!(gate
            .handle_established_inbound_connection(id, member, &addr(), &addr())
            .is_ok());
        assert!(gate
            .handle_established_outbound_connection(
                id,
                member,
                &addr(),
                Endpoint::Dialer,
                PortUse::New
            )
            .is_ok());
        assert_eq!(refused.load(Ordering::Relaxed), 0);

        let Err(denied) =
            gate.handle_established_inbound_connection(id, outsider, &addr(), &addr())
        else {
            panic!("inbound outsider admitted");
        };
        let cause = denied
            .downcast_ref::<NotClusterMember>()
            .expect("gate's own cause");
        assert_eq!(cause.peer, outsider);
        assert!(gate
            .handle_established_outbound_connection(
                id,
                outsider,
                &addr(),
                Endpoint::Dialer,
                PortUse::New
            )
            .is_err());
        assert!(gate
            .handle_pending_outbound_connection(id, Some(outsider), &[], Endpoint::Dialer)
            .is_err());
        assert_eq!(refused.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn dial_addresses_come_from_the_book() {
        let member = PeerId::random();
        let mut gate = ClusterGate::new([member], Arc::new(AtomicU64::new(0)));
        let id = ConnectionId::new_unchecked(1);
        assert!(gate.add_addrs(member, [addr(), addr()]));
        assert!(!gate.add_addrs(PeerId::random(), [addr()]));
        let addrs = gate
            .handle_pending_outbound_connection(id, Some(member), &[], Endpoint::Dialer)
            .expect("member dial");
        assert_eq!(addrs, vec![addr()]);
        // A dial by address only (no peer ID yet) is left to the established check.
        assert!(gate
            .handle_pending_outbound_connection(id, None, &[addr()], Endpoint::Dialer)
            .expect("address dial")
            .is_empty());
    }
}
