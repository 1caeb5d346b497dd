//! When to dial which peer: immediately at start, again after each disconnect, and with capped
//! exponential backoff after failed attempts. Pure bookkeeping; the node loop performs the dials.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use libp2p::PeerId;

use crate::config::Backoff;

#[derive(Debug)]
struct PeerDialState {
    connections: usize,
    /// Delay before the next attempt should the current one fail.
    delay: Duration,
    /// When the next attempt is due; `None` while connected, dialling or without addresses.
    due: Option<Instant>,
}

/// Dial schedule of every other cluster peer.
#[derive(Debug)]
pub(crate) struct DialSchedule {
    backoff: Backoff,
    peers: HashMap<PeerId, PeerDialState>,
}

impl DialSchedule {
    /// Every peer in `peers` is due at `now`.
    pub(crate) fn new(
        backoff: Backoff,
        peers: impl IntoIterator<Item = PeerId>,
        now: Instant,
    ) -> Self {
        let peers = peers
            .into_iter()
            .map(|p| {
                let state = PeerDialState {
                    connections: 0,
                    delay: backoff.initial,
                    due: Some(now),
                };
                (p, state)
            })
            .collect();
        Self { backoff, peers }
    }

    /// A connection to `peer` was established; returns true if it is the first one.
    pub(crate) fn on_connected(&mut self, peer: &PeerId) -> bool {
        let Some(state) = self.peers.get_mut(peer) else {
            return false;
        };
        state.connections += 1;
        state.delay = self.backoff.initial;
        state.due = None;
        state.connections == 1
    }

    /// A connection to `peer` closed; returns true if it was the last one, in which case a
    /// redial is scheduled after the current (reset) delay.
    pub(crate) fn on_disconnected(&mut self, peer: &PeerId, now: Instant) -> bool {
        let Some(state) = self.peers.get_mut(peer) else {
            return false;
        };
        state.connections = state.connections.saturating_sub(1);
        if state.connections > 0 {
            return false;
        }
        state.due = Some(now + state.delay);
        true
    }

    /// A dial to `peer` failed: retry after the current delay, then double it (capped).
    pub(crate) fn on_dial_failure(&mut self, peer: &PeerId, now: Instant) {
        let max = self.backoff.max;
        let Some(state) = self.peers.get_mut(peer) else {
            return;
        };
        if state.connections > 0 {
            return;
        }
        state.due = Some(now + state.delay);
        state.delay = state.delay.saturating_mul(2).min(max);
    }

    /// New addresses for `peer`: dial now if it is not connected.
    pub(crate) fn on_new_addrs(&mut self, peer: &PeerId, now: Instant) {
        if let Some(state) = self.peers.get_mut(peer) {
            if state.connections == 0 {
                state.due = Some(now);
            }
        }
    }

    /// Takes the peers due at `now` (they are not due again until a failure or disconnect).
    pub(crate) fn take_due(&mut self, now: Instant) -> Vec<PeerId> {
        let mut due = Vec::new();
        for (peer, state) in &mut self.peers {
            if state.due.is_some_and(|d| d <= now) {
                state.due = None;
                due.push(*peer);
            }
        }
        due
    }

    /// The earliest pending deadline.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.peers.values().filter_map(|s| s.due).min()
    }

    /// Whether `peer` has at least one connection.
    pub(crate) fn is_connected(&self, peer: &PeerId) -> bool {
        self.peers.get(peer).is_some_and(|s| s.connections > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn schedule(peer: PeerId, now: Instant) -> DialSchedule {
        let backoff = Backoff {
            initial: 100 * MS,
            max: 350 * MS,
        };
        DialSchedule::new(backoff, [peer], now)
    }

    #[test]
    fn failures_back_off_exponentially_up_to_the_cap() {
        let peer = PeerId::random();
        let t0 = Instant::now();
        let mut s = schedule(peer, t0);
        assert_eq!(s.take_due(t0), vec![peer]);
        assert!(s.take_due(t0).is_empty(), "not due twice");

        let mut expected = [100, 200, 350, 350].into_iter();
        let mut now = t0;
        for _ in 0..4 {
            s.on_dial_failure(&peer, now);
            let due = s.next_due().expect("scheduled");
            let delay = expected.next().expect("case");
            assert_eq!(due - now, delay * MS);
            assert!(
                s.take_due(due - MS).is_empty(),
                "one step before is not due"
            );
            assert_eq!(s.take_due(due), vec![peer]);
            now = due;
        }
    }

    #[test]
    fn connecting_resets_and_disconnecting_redials() {
        let peer = PeerId::random();
        let t0 = Instant::now();
        let mut s = schedule(peer, t0);
        s.take_due(t0);
        s.on_dial_failure(&peer, t0);
        s.on_dial_failure(&peer, t0);
        assert!(s.on_connected(&peer));
        assert!(!s.on_connected(&peer), "second connection");
        assert_eq!(s.next_due(), None);
        assert!(!s.on_disconnected(&peer, t0), "one connection left");
        assert!(s.is_connected(&peer));
        assert!(s.on_disconnected(&peer, t0));
        assert_eq!(s.next_due(), Some(t0 + 100 * MS), "delay was reset");
        assert!(!s.is_connected(&peer));
    }

    #[test]
    fn unknown_peers_are_ignored_and_new_addrs_dial_now() {
        let peer = PeerId::random();
        let t0 = Instant::now();
        let mut s = schedule(peer, t0);
        assert!(!s.on_connected(&PeerId::random()));
        s.take_due(t0);
        s.on_dial_failure(&peer, t0);
        let later = t0 + 10 * MS;
        s.on_new_addrs(&peer, later);
        assert_eq!(s.take_due(later), vec![peer]);
    }
}
