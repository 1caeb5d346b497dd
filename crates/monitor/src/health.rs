//! The node's health as the readiness probe sees it.
//!
//! The node's components push what they observe into a shared [`Health`] (beacon node status,
//! connected cluster peers, validator-client calls); [`Health::readyz`] turns that into one of
//! Charon's readiness states. The checks run in Charon's order, the first that fails wins:
//! uninitialised, beacon node down, syncing, zero peers, far behind, insufficient cluster peers,
//! validator client not connected, validator client missing validators.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A beacon node this many slots or more behind the head is "far behind" (Charon: 10 epochs).
pub const DEFAULT_FAR_BEHIND_SLOTS: u64 = 320;

/// The outcome of a readiness check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Readyz {
    /// Everything the node needs is there.
    Ready,
    /// No beacon-node check has completed yet.
    Uninitialised,
    /// The beacon node did not answer its syncing endpoint.
    BeaconNodeDown,
    /// The beacon node reports that it is syncing.
    BeaconNodeSyncing,
    /// The beacon node has no peers of its own, so it cannot follow the chain.
    BeaconNodeZeroPeers,
    /// The beacon node is more than the configured number of slots behind the head.
    BeaconNodeFarBehind,
    /// Fewer cluster peers are connected than a quorum needs (threshold minus this node).
    InsufficientPeers,
    /// No validator client has called the validator API within the window.
    VcNotConnected,
    /// A validator client is connected but some of the cluster's validators were not seen in
    /// its requests within the window.
    VcMissingValidators,
}

impl Readyz {
    /// Whether the state is [`Readyz::Ready`].
    pub fn is_ready(self) -> bool {
        self == Self::Ready
    }

    /// The text `/readyz` answers with.
    pub fn message(self) -> &'static str {
        match self {
            Self::Ready => "ready",
            Self::Uninitialised => "ready check uninitialised",
            Self::BeaconNodeDown => "beacon node down",
            Self::BeaconNodeSyncing => "beacon node syncing",
            Self::BeaconNodeZeroPeers => "beacon node has zero peers",
            Self::BeaconNodeFarBehind => "beacon node far behind",
            Self::InsufficientPeers => "insufficient peers",
            Self::VcNotConnected => "vc not connected",
            Self::VcMissingValidators => "vc missing validators",
        }
    }

    /// The HTTP status `/readyz` answers with: 200 when ready, 500 otherwise.
    pub fn http_status(self) -> u16 {
        if self.is_ready() {
            200
        } else {
            500
        }
    }

    /// The numeric state code Charon publishes in its readyz gauge.
    pub fn code(self) -> i64 {
        match self {
            Self::Uninitialised => 0,
            Self::Ready => 1,
            Self::BeaconNodeDown => 2,
            Self::BeaconNodeSyncing => 3,
            Self::InsufficientPeers => 4,
            Self::VcNotConnected => 5,
            Self::VcMissingValidators => 6,
            Self::BeaconNodeZeroPeers => 7,
            Self::BeaconNodeFarBehind => 8,
        }
    }
}

impl std::fmt::Display for Readyz {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

/// What the beacon node said about its sync state (`/eth/v1/node/syncing`) and its peers
/// (`/eth/v1/node/peer_count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BeaconSyncState {
    /// The node's `is_syncing`.
    pub is_syncing: bool,
    /// The node's `sync_distance` in slots.
    pub sync_distance: u64,
    /// Connected peers of the beacon node, if the peer count could be read.
    pub peer_count: Option<u64>,
}

/// The fixed parameters of the readiness checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthConfig {
    /// The cluster's signing threshold; a quorum needs `threshold - 1` other peers connected.
    pub threshold: usize,
    /// The cluster's distributed-validator public keys, as the validator client uses them in its
    /// requests; readiness wants each seen within `vc_window`. Empty disables that check.
    pub validator_pubkeys: Vec<[u8; 48]>,
    /// How recently a validator client must have called the validator API (and mentioned each
    /// validator). The window also serves as grace after start (Charon: one epoch; two epochs,
    /// 768 s on mainnet timing, is a sensible default).
    pub vc_window: Duration,
    /// How long the peer count must stay below quorum, after having once reached it, before
    /// readiness reports insufficient peers (Charon: one minute). Before quorum is first reached
    /// it is reported at once.
    pub peer_grace: Duration,
    /// Sync distance from which the beacon node counts as far behind (exclusive bound:
    /// a distance greater than this fires).
    pub far_behind_slots: u64,
}

impl HealthConfig {
    /// Defaults for a cluster with `threshold` and these validators: a 2-epoch validator-client
    /// window at 12 s slots, one minute of peer grace and Charon's far-behind bound.
    pub fn new(threshold: usize, validator_pubkeys: Vec<[u8; 48]>) -> Self {
        Self {
            threshold,
            validator_pubkeys,
            vc_window: Duration::from_secs(2 * 32 * 12),
            peer_grace: Duration::from_secs(60),
            far_behind_slots: DEFAULT_FAR_BEHIND_SLOTS,
        }
    }

    fn required_peers(&self) -> usize {
        self.threshold.saturating_sub(1)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BeaconStatus {
    Unknown,
    Down,
    Up(BeaconSyncState),
}

#[derive(Debug)]
struct HealthState {
    config: HealthConfig,
    started: Instant,
    beacon: BeaconStatus,
    connected_peers: usize,
    /// When the connected peers last fell below quorum, while they still are.
    peers_short_since: Option<Instant>,
    /// Whether quorum was ever reached; before that, a shortfall is reported without grace.
    peers_ever_sufficient: bool,
    last_vc_call: Option<Instant>,
    validator_last_seen: HashMap<[u8; 48], Option<Instant>>,
}

/// Shared, cheaply cloneable health state; every clone sees the same state.
#[derive(Debug, Clone)]
pub struct Health {
    state: Arc<Mutex<HealthState>>,
}

impl Health {
    /// A fresh health state; the windows are measured from now.
    pub fn new(config: HealthConfig) -> Self {
        Self::new_at(config, Instant::now())
    }

    /// A fresh health state whose windows are measured from `started`.
    pub fn new_at(config: HealthConfig, started: Instant) -> Self {
        let validator_last_seen = config
            .validator_pubkeys
            .iter()
            .map(|pubkey| (*pubkey, None))
            .collect();
        let required = config.required_peers();
        let state = HealthState {
            config,
            started,
            beacon: BeaconStatus::Unknown,
            connected_peers: 0,
            peers_short_since: (required > 0).then_some(started),
            peers_ever_sufficient: required == 0,
            last_vc_call: None,
            validator_last_seen,
        };
        Self {
            state: Arc::new(Mutex::new(state)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HealthState> {
        // The state stays consistent under every update, so a panic elsewhere does not taint it.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The beacon node did not answer its health queries.
    pub fn set_beacon_down(&self) {
        self.lock().beacon = BeaconStatus::Down;
    }

    /// The beacon node answered with this sync state.
    pub fn set_beacon_sync(&self, sync: BeaconSyncState) {
        self.lock().beacon = BeaconStatus::Up(sync);
    }

    /// The number of other cluster peers connected right now.
    pub fn set_connected_peers(&self, connected: usize) {
        self.set_connected_peers_at(connected, Instant::now());
    }

    /// The number of other cluster peers connected at `now`.
    pub fn set_connected_peers_at(&self, connected: usize, now: Instant) {
        let mut state = self.lock();
        state.connected_peers = connected;
        if connected >= state.config.required_peers() {
            state.peers_short_since = None;
            state.peers_ever_sufficient = true;
        } else if state.peers_short_since.is_none() {
            state.peers_short_since = Some(now);
        }
    }

    /// The number of other cluster peers last reported connected.
    pub fn connected_peers(&self) -> usize {
        self.lock().connected_peers
    }

    /// A validator client called the validator API now.
    pub fn record_vc_call(&self) {
        self.record_vc_call_at(Instant::now());
    }

    /// A validator client called the validator API at `now`.
    pub fn record_vc_call_at(&self, now: Instant) {
        self.lock().last_vc_call = Some(now);
    }

    /// A validator client's request mentioned this validator now; unknown keys are ignored.
    pub fn record_vc_validator(&self, pubkey: &[u8; 48]) {
        self.record_vc_validator_at(pubkey, Instant::now());
    }

    /// A validator client's request mentioned this validator at `now`; unknown keys are ignored.
    pub fn record_vc_validator_at(&self, pubkey: &[u8; 48], now: Instant) {
        if let Some(last_seen) = self.lock().validator_last_seen.get_mut(pubkey) {
            *last_seen = Some(now);
        }
    }

    /// The readiness state right now.
    pub fn readyz(&self) -> Readyz {
        self.readyz_at(Instant::now())
    }

    /// The readiness state at `now`.
    pub fn readyz_at(&self, now: Instant) -> Readyz {
        let state = self.lock();
        let config = &state.config;
        let sync = match state.beacon {
            BeaconStatus::Unknown => return Readyz::Uninitialised,
            BeaconStatus::Down => return Readyz::BeaconNodeDown,
            BeaconStatus::Up(sync) => sync,
        };
        if sync.is_syncing {
            return Readyz::BeaconNodeSyncing;
        }
        if sync.peer_count == Some(0) {
            return Readyz::BeaconNodeZeroPeers;
        }
        if sync.sync_distance > config.far_behind_slots {
            return Readyz::BeaconNodeFarBehind;
        }
        if let Some(since) = state.peers_short_since {
            if !state.peers_ever_sufficient
                || now.saturating_duration_since(since) >= config.peer_grace
            {
                return Readyz::InsufficientPeers;
            }
        }
        let within_window = |last: Option<Instant>| {
            now.saturating_duration_since(last.unwrap_or(state.started)) < config.vc_window
        };
        if !within_window(state.last_vc_call) {
            return Readyz::VcNotConnected;
        }
        if !state
            .validator_last_seen
            .values()
            .all(|last_seen| within_window(*last_seen))
        {
            return Readyz::VcMissingValidators;
        }
        Readyz::Ready
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PK_A: [u8; 48] = [0xaa; 48];
    const PK_B: [u8; 48] = [0xbb; 48];
    const WINDOW: Duration = Duration::from_secs(768);
    const GRACE: Duration = Duration::from_secs(60);
    const NANO: Duration = Duration::from_nanos(1);

    fn synced(peer_count: Option<u64>, sync_distance: u64) -> BeaconSyncState {
        BeaconSyncState {
            is_syncing: false,
            sync_distance,
            peer_count,
        }
    }

    /// A 3-of-4 cluster, beacon node synced, 2 peers connected, the VC seen with both validators.
    fn ready_health(t0: Instant) -> Health {
        let health = Health::new_at(HealthConfig::new(3, vec![PK_A, PK_B]), t0);
        health.set_beacon_sync(synced(Some(50), 0));
        health.set_connected_peers_at(2, t0);
        health.record_vc_call_at(t0);
        health.record_vc_validator_at(&PK_A, t0);
        health.record_vc_validator_at(&PK_B, t0);
        health
    }

    #[test]
    fn default_config_matches_the_documented_values() {
        let config = HealthConfig::new(3, vec![]);
        assert_eq!(config.vc_window, WINDOW);
        assert_eq!(config.peer_grace, GRACE);
        assert_eq!(config.far_behind_slots, 320);
        assert_eq!(config.required_peers(), 2);
    }

    #[test]
    fn uninitialised_until_the_first_beacon_check() {
        let t0 = Instant::now();
        let health = Health::new_at(HealthConfig::new(1, vec![]), t0);
        assert_eq!(health.readyz_at(t0), Readyz::Uninitialised);
        health.set_beacon_sync(synced(Some(1), 0));
        assert_eq!(health.readyz_at(t0), Readyz::Ready);
    }

    #[test]
    fn ready_when_everything_is_there() {
        let t0 = Instant::now();
        let health = ready_health(t0);
        assert_eq!(health.readyz_at(t0), Readyz::Ready);
        assert_eq!(Readyz::Ready.http_status(), 200);
        assert_eq!(Readyz::Ready.message(), "ready");
    }

    #[test]
    fn beacon_node_down_and_back() {
        let t0 = Instant::now();
        let health = ready_health(t0);
        health.set_beacon_down();
        assert_eq!(health.readyz_at(t0), Readyz::BeaconNodeDown);
        assert_eq!(Readyz::BeaconNodeDown.http_status(), 500);
        health.set_beacon_sync(synced(Some(50), 0));
        assert_eq!(health.readyz_at(t0), Readyz::Ready);
    }

    #[test]
    fn beacon_node_syncing_fires_and_wins_over_far_behind() {
        let t0 = Instant::now();
        let health = ready_health(t0);
        health.set_beacon_sync(BeaconSyncState {
            is_syncing: true,
            sync_distance: 1_000,
            peer_count: Some(50),
        });
        assert_eq!(health.readyz_at(t0), Readyz::BeaconNodeSyncing);
    }

    #[test]
    fn beacon_node_zero_peers_fires_one_peer_does_not_and_unknown_count_does_not() {
        let t0 = Instant::now();
        let health = ready_health(t0);
        health.set_beacon_sync(synced(Some(0), 0));
        assert_eq!(health.readyz_at(t0), Readyz::BeaconNodeZeroPeers);
        health.set_beacon_sync(synced(Some(1), 0));
        assert_eq!(health.readyz_at(t0), Readyz::Ready);
        health.set_beacon_sync(synced(None, 0));
        assert_eq!(health.readyz_at(t0), Readyz::Ready);
    }

    #[test]
    fn beacon_node_far_behind_fires_past_the_bound_only() {
        let t0 = Instant::now();
        let health = ready_health(t0);
        health.set_beacon_sync(synced(Some(5), DEFAULT_FAR_BEHIND_SLOTS + 1));
        assert_eq!(health.readyz_at(t0), Readyz::BeaconNodeFarBehind);
        health.set_beacon_sync(synced(Some(5), DEFAULT_FAR_BEHIND_SLOTS));
        assert_eq!(health.readyz_at(t0), Readyz::Ready);
    }

    #[test]
    fn exactly_threshold_minus_one_peers_is_enough_one_fewer_is_not() {
        let t0 = Instant::now();
        let health = ready_health(t0);
        // 3-of-4: two other peers are exactly enough.
        health.set_connected_peers_at(2, t0);
        assert_eq!(health.readyz_at(t0), Readyz::Ready);
        health.set_connected_peers_at(3, t0);
        assert_eq!(health.readyz_at(t0), Readyz::Ready);

        let fresh = Health::new_at(HealthConfig::new(3, vec![]), t0);
        fresh.set_beacon_sync(synced(Some(5), 0));
        fresh.record_vc_call_at(t0);
        // Never reached quorum: reported at once, no grace.
        assert_eq!(fresh.readyz_at(t0), Readyz::InsufficientPeers);
        fresh.set_connected_peers_at(1, t0);
        assert_eq!(fresh.readyz_at(t0), Readyz::InsufficientPeers);
        fresh.set_connected_peers_at(2, t0);
        assert_eq!(fresh.readyz_at(t0), Readyz::Ready);
    }

    #[test]
    fn a_drop_below_quorum_fires_only_after_the_grace() {
        let t0 = Instant::now();
        let health = ready_health(t0);
        let drop = t0 + Duration::from_secs(10);
        health.set_connected_peers_at(1, drop);
        assert_eq!(health.readyz_at(drop + GRACE - NANO), Readyz::Ready);
        assert_eq!(health.readyz_at(drop + GRACE), Readyz::InsufficientPeers);
        // A further drop does not restart the grace.
        health.set_connected_peers_at(0, drop + GRACE);
        assert_eq!(health.readyz_at(drop + GRACE), Readyz::InsufficientPeers);
        health.set_connected_peers_at(2, drop + GRACE);
        assert_eq!(health.readyz_at(drop + GRACE), Readyz::Ready);
        assert_eq!(health.connected_peers(), 2);
    }

    #[test]
    fn vc_not_connected_after_the_window_since_the_last_call() {
        let t0 = Instant::now();
        let health = ready_health(t0);
        let call = t0 + Duration::from_secs(100);
        health.record_vc_call_at(call);
        health.record_vc_validator_at(&PK_A, call);
        health.record_vc_validator_at(&PK_B, call);
        assert_eq!(health.readyz_at(call + WINDOW - NANO), Readyz::Ready);
        assert_eq!(health.readyz_at(call + WINDOW), Readyz::VcNotConnected);
        assert_eq!(Readyz::VcNotConnected.message(), "vc not connected");
    }

    #[test]
    fn vc_never_seen_is_forgiven_for_one_window_after_start() {
        let t0 = Instant::now();
        let health = Health::new_at(HealthConfig::new(1, vec![]), t0);
        health.set_beacon_sync(synced(Some(5), 0));
        assert_eq!(health.readyz_at(t0 + WINDOW - NANO), Readyz::Ready);
        assert_eq!(health.readyz_at(t0 + WINDOW), Readyz::VcNotConnected);
    }

    #[test]
    fn vc_missing_a_validator_fires_when_one_key_goes_unseen() {
        let t0 = Instant::now();
        let health = ready_health(t0);
        let later = t0 + Duration::from_secs(500);
        health.record_vc_call_at(later);
        health.record_vc_validator_at(&PK_A, later);
        // PK_B last seen at t0: still inside the window one nanosecond before it closes.
        assert_eq!(health.readyz_at(t0 + WINDOW - NANO), Readyz::Ready);
        assert_eq!(health.readyz_at(t0 + WINDOW), Readyz::VcMissingValidators);
        health.record_vc_validator_at(&PK_B, t0 + WINDOW);
        assert_eq!(health.readyz_at(t0 + WINDOW), Readyz::Ready);
    }

    #[test]
    fn unknown_validator_keys_do_not_count_as_seen() {
        let t0 = Instant::now();
        let health = Health::new_at(HealthConfig::new(1, vec![PK_A]), t0);
        health.set_beacon_sync(synced(Some(5), 0));
        let later = t0 + WINDOW;
        health.record_vc_call_at(later);
        health.record_vc_validator_at(&PK_B, later);
        assert_eq!(health.readyz_at(later), Readyz::VcMissingValidators);
    }

    #[test]
    fn clones_share_one_state() {
        let t0 = Instant::now();
        let health = ready_health(t0);
        let clone = health.clone();
        clone.set_beacon_down();
        assert_eq!(health.readyz_at(t0), Readyz::BeaconNodeDown);
    }

    #[test]
    fn every_state_has_a_distinct_code_and_message() {
        let all = [
            Readyz::Ready,
            Readyz::Uninitialised,
            Readyz::BeaconNodeDown,
            Readyz::BeaconNodeSyncing,
            Readyz::BeaconNodeZeroPeers,
            Readyz::BeaconNodeFarBehind,
            Readyz::InsufficientPeers,
            Readyz::VcNotConnected,
            Readyz::VcMissingValidators,
        ];
        let codes: std::collections::HashSet<_> = all.iter().map(|s| s.code()).collect();
        let messages: std::collections::HashSet<_> = all.iter().map(|s| s.message()).collect();
        assert_eq!(codes.len(), all.len());
        assert_eq!(messages.len(), all.len());
        assert!(all.iter().filter(|s| s.is_ready()).count() == 1);
    }
}
