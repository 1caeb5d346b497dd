//! The node's Prometheus metric families and the typed methods that record them.
//!
//! Callers never build label sets: each method takes the label values as arguments (a duty type
//! such as `attester`, a peer name, a beacon-node endpoint, ...) and updates the right family.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use crate::health::Readyz;
use crate::MonitorError;

/// The prefix of every metric name.
const PREFIX: &str = "mosaic";

/// Consensus and duty latencies: 5 ms to one 12 s slot.
const DUTY_LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 12.0,
];
/// QBFT rounds until a decision.
const ROUND_BUCKETS: &[f64] = &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0];
/// Partial-signature arrival after slot start: 100 ms to two slots.
const ARRIVAL_BUCKETS: &[f64] = &[
    0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 10.0, 12.0, 16.0, 24.0,
];
/// Beacon-node request latency: 1 ms to 10 s.
const BEACON_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Peer round-trip time: 0.5 ms to 1 s.
const PING_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
];

/// How one duty of one validator ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DutyOutcome<'a> {
    /// The aggregated signature was broadcast to the beacon node.
    Success,
    /// The duty failed; `reason` is a short, stable, low-cardinality label value
    /// (for example `consensus_timeout`, `insufficient_partials`, `broadcast_error`).
    Failed {
        /// Why it failed.
        reason: &'a str,
    },
    /// The duty's deadline passed before it completed.
    Expired,
}

impl DutyOutcome<'_> {
    /// The `outcome` label value: `success`, `failed` or `expired`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failed { .. } => "failed",
            Self::Expired => "expired",
        }
    }
}

/// Whether a request to the beacon node succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestOutcome {
    /// The beacon node answered successfully.
    Ok,
    /// The request failed (transport error, timeout or error status).
    Error,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DutyLabels {
    duty: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GuardLabels {
    object: String,
    decision: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DutyOutcomeLabels {
    duty: String,
    outcome: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DutyReasonLabels {
    duty: String,
    reason: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DutyTimerLabels {
    duty: String,
    timer: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DutyPeerLabels {
    duty: String,
    peer: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DutyReasonPeerLabels {
    duty: String,
    reason: String,
    peer: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabels {
    endpoint: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointStatusLabels {
    endpoint: String,
    status: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PeerLabels {
    peer: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonPeerLabels {
    reason: String,
    peer: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProposalTypesLabels {
    proposals: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn histogram_family<L>(buckets: fn() -> Histogram) -> HistogramFamily<L>
where
    L: Clone + std::hash::Hash + Eq,
{
    Family::new_with_constructor(buckets)
}

/// The node's metric registry and every metric family it records.
///
/// Create one per node with [`Metrics::new`], share it as `Arc<Metrics>`; every recording method
/// takes `&self` and is cheap (one hash-map lookup and an atomic update).
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    duty_total: Family<DutyOutcomeLabels, Counter>,
    duty_failed_total: Family<DutyReasonLabels, Counter>,
    consensus_duration: HistogramFamily<DutyLabels>,
    consensus_decided_rounds: HistogramFamily<DutyLabels>,
    consensus_timeout_total: Family<DutyTimerLabels, Counter>,
    parsig_arrival: HistogramFamily<DutyPeerLabels>,
    parsig_rejected_total: Family<DutyReasonPeerLabels, Counter>,
    beacon_request_duration: HistogramFamily<EndpointLabels>,
    beacon_errors_total: Family<EndpointLabels, Counter>,
    ping_latency: HistogramFamily<PeerLabels>,
    peer_connected: Family<PeerLabels, Gauge>,
    vapi_requests_total: Family<EndpointStatusLabels, Counter>,
    duty_broadcast_latency: HistogramFamily<DutyLabels>,
    signer_guard_total: Family<GuardLabels, Counter>,
    priority_rejected_total: Family<ReasonPeerLabels, Counter>,
    infosync_agreed_total: Family<ProposalTypesLabels, Counter>,
    app_ready: Gauge,
    app_readyz: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry holding every node metric family, all empty.
    pub fn new() -> Self {
        let mut metrics = Self {
            registry: Registry::with_prefix(PREFIX),
            duty_total: Family::default(),
            duty_failed_total: Family::default(),
            consensus_duration: histogram_family(|| {
                Histogram::new(DUTY_LATENCY_BUCKETS.iter().copied())
            }),
            consensus_decided_rounds: histogram_family(|| {
                Histogram::new(ROUND_BUCKETS.iter().copied())
            }),
            consensus_timeout_total: Family::default(),
            parsig_arrival: histogram_family(|| Histogram::new(ARRIVAL_BUCKETS.iter().copied())),
            parsig_rejected_total: Family::default(),
            beacon_request_duration: histogram_family(|| {
                Histogram::new(BEACON_BUCKETS.iter().copied())
            }),
            beacon_errors_total: Family::default(),
            ping_latency: histogram_family(|| Histogram::new(PING_BUCKETS.iter().copied())),
            peer_connected: Family::default(),
            vapi_requests_total: Family::default(),
            duty_broadcast_latency: histogram_family(|| {
                Histogram::new(DUTY_LATENCY_BUCKETS.iter().copied())
            }),
            signer_guard_total: Family::default(),
            priority_rejected_total: Family::default(),
            infosync_agreed_total: Family::default(),
            app_ready: Gauge::default(),
            app_readyz: Gauge::default(),
        };
        metrics.register_families();
        metrics
    }

    /// Register every family under its name (families share their storage with the clones).
    fn register_families(&mut self) {
        let registry = &mut self.registry;
        // Counters get the `_total` suffix from the encoder; units are appended to the name.
        registry.register(
            "duty",
            "Duties completed per validator, by duty type and outcome (success, failed, expired)",
            self.duty_total.clone(),
        );
        registry.register(
            "duty_failed",
            "Failed duties per validator, by duty type and reason",
            self.duty_failed_total.clone(),
        );
        registry.register_with_unit(
            "consensus_duration",
            "Time from the start of a consensus instance until it decided, by duty type",
            Unit::Seconds,
            self.consensus_duration.clone(),
        );
        registry.register(
            "consensus_decided_rounds",
            "QBFT round in which a consensus instance decided, by duty type",
            self.consensus_decided_rounds.clone(),
        );
        registry.register(
            "consensus_timeout",
            "Consensus round timer expiries, by duty type and timer",
            self.consensus_timeout_total.clone(),
        );
        registry.register_with_unit(
            "parsig_arrival",
            "Arrival of partial signatures after the start of the duty's slot, by duty type and peer",
            Unit::Seconds,
            self.parsig_arrival.clone(),
        );
        registry.register(
            "parsig_rejected",
            "Partial signatures rejected, by duty type, reason and sending peer",
            self.parsig_rejected_total.clone(),
        );
        registry.register_with_unit(
            "beacon_request_duration",
            "Latency of requests to the beacon node, by endpoint",
            Unit::Seconds,
            self.beacon_request_duration.clone(),
        );
        registry.register(
            "beacon_errors",
            "Failed requests to the beacon node, by endpoint",
            self.beacon_errors_total.clone(),
        );
        registry.register_with_unit(
            "p2p_ping_latency",
            "Round-trip time of libp2p pings to cluster peers",
            Unit::Seconds,
            self.ping_latency.clone(),
        );
        registry.register(
            "p2p_peer_connected",
            "1 while a cluster peer is connected, 0 otherwise",
            self.peer_connected.clone(),
        );
        registry.register(
            "vapi_requests",
            "Validator API requests, by endpoint and HTTP status",
            self.vapi_requests_total.clone(),
        );
        registry.register_with_unit(
            "duty_broadcast_latency",
            "Time from a duty's trigger until its aggregated signature was broadcast, by duty type",
            Unit::Seconds,
            self.duty_broadcast_latency.clone(),
        );
        registry.register(
            "signer_guard",
            "Signer mode: the slashing-protection database's decisions before a signature, by \
             object (block, attestation) and decision (allowed, repeated, refused; \
             database_error for object any)",
            self.signer_guard_total.clone(),
        );
        registry.register(
            "priority_rejected",
            "Priority protocol (InfoSync) messages refused, by reason and peer",
            self.priority_rejected_total.clone(),
        );
        registry.register(
            "infosync_agreed",
            "Cluster-wide InfoSync agreements recorded, by the agreed proposal types",
            self.infosync_agreed_total.clone(),
        );
        registry.register(
            "app_ready",
            "1 when the node is ready (readyz returns 200), 0 otherwise",
            self.app_ready.clone(),
        );
        registry.register(
            "app_monitoring_readyz",
            "Readiness state code as in Charon: 0 uninitialised, 1 ready, 2 beacon node down, \
             3 beacon node syncing, 4 insufficient peers, 5 vc not connected, \
             6 vc missing validators, 7 beacon node zero peers, 8 beacon node far behind",
            self.app_readyz.clone(),
        );
    }

    /// The registry, to register further metric families before the metrics are shared.
    pub fn registry_mut(&mut self) -> &mut Registry {
        &mut self.registry
    }

    /// Record how one duty of one validator ended: `mosaic_duty_total{duty,outcome}`, and for a
    /// failure also `mosaic_duty_failed_total{duty,reason}`.
    pub fn duty_outcome(&self, duty: &str, outcome: DutyOutcome<'_>) {
        self.duty_total
            .get_or_create(&DutyOutcomeLabels {
                duty: duty.to_owned(),
                outcome: outcome.as_str().to_owned(),
            })
            .inc();
        if let DutyOutcome::Failed { reason } = outcome {
            self.duty_failed_total
                .get_or_create(&DutyReasonLabels {
                    duty: duty.to_owned(),
                    reason: reason.to_owned(),
                })
                .inc();
        }
    }

    /// Record a decided consensus instance: its duration
    /// (`mosaic_consensus_duration_seconds{duty}`) and the round it decided in
    /// (`mosaic_consensus_decided_rounds{duty}`).
    pub fn consensus_decided(&self, duty: &str, duration: Duration, round: u64) {
        let labels = DutyLabels {
            duty: duty.to_owned(),
        };
        self.consensus_duration
            .get_or_create(&labels)
            .observe(duration.as_secs_f64());
        // Rounds are small integers; the conversion to f64 is exact for them.
        self.consensus_decided_rounds
            .get_or_create(&labels)
            .observe(round as f64);
    }

    /// Record an expiry of a consensus timer (`mosaic_consensus_timeout_total{duty,timer}`);
    /// `timer` names the timer strategy or kind (for example `round`, `eager_double_linear`).
    pub fn consensus_timeout(&self, duty: &str, timer: &str) {
        self.consensus_timeout_total
            .get_or_create(&DutyTimerLabels {
                duty: duty.to_owned(),
                timer: timer.to_owned(),
            })
            .inc();
    }

    /// Record a valid partial signature from `peer` arriving `since_slot_start` after the start
    /// of the duty's slot (`mosaic_parsig_arrival_seconds{duty,peer}`).
    pub fn parsig_arrival(&self, duty: &str, peer: &str, since_slot_start: Duration) {
        self.parsig_arrival
            .get_or_create(&DutyPeerLabels {
                duty: duty.to_owned(),
                peer: peer.to_owned(),
            })
            .observe(since_slot_start.as_secs_f64());
    }

    /// Record a rejected partial signature from `peer`
    /// (`mosaic_parsig_rejected_total{duty,reason,peer}`); `reason` is a short stable label value
    /// such as `invalid_signature` or `share_index_mismatch`.
    pub fn parsig_rejected(&self, duty: &str, reason: &str, peer: &str) {
        self.parsig_rejected_total
            .get_or_create(&DutyReasonPeerLabels {
                duty: duty.to_owned(),
                reason: reason.to_owned(),
                peer: peer.to_owned(),
            })
            .inc();
    }

    /// Record one request to the beacon node: its latency
    /// (`mosaic_beacon_request_duration_seconds{endpoint}`) and, if it failed,
    /// `mosaic_beacon_errors_total{endpoint}`. `endpoint` is the route template or operation name
    /// (for example `attestation_data`), never a URL with parameters, to keep cardinality low.
    pub fn beacon_request(&self, endpoint: &str, elapsed: Duration, outcome: RequestOutcome) {
        let labels = EndpointLabels {
            endpoint: endpoint.to_owned(),
        };
        self.beacon_request_duration
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
        if outcome == RequestOutcome::Error {
            self.beacon_errors_total.get_or_create(&labels).inc();
        }
    }

    /// Record a ping round-trip time to `peer` (`mosaic_p2p_ping_latency_seconds{peer}`).
    pub fn peer_ping(&self, peer: &str, rtt: Duration) {
        self.ping_latency
            .get_or_create(&PeerLabels {
                peer: peer.to_owned(),
            })
            .observe(rtt.as_secs_f64());
    }

    /// Set whether `peer` is connected (`mosaic_p2p_peer_connected{peer}` = 1 or 0).
    pub fn peer_connected(&self, peer: &str, connected: bool) {
        self.peer_connected
            .get_or_create(&PeerLabels {
                peer: peer.to_owned(),
            })
            .set(i64::from(connected));
    }

    /// Record one validator API request and its HTTP status
    /// (`mosaic_vapi_requests_total{endpoint,status}`); `endpoint` is the route template.
    pub fn vapi_request(&self, endpoint: &str, status: u16) {
        self.vapi_requests_total
            .get_or_create(&EndpointStatusLabels {
                endpoint: endpoint.to_owned(),
                status: status.to_string(),
            })
            .inc();
    }

    /// Record the time from a duty's trigger to the broadcast of its aggregated signature
    /// (`mosaic_duty_broadcast_latency_seconds{duty}`).
    pub fn duty_broadcast_latency(&self, duty: &str, latency: Duration) {
        self.duty_broadcast_latency
            .get_or_create(&DutyLabels {
                duty: duty.to_owned(),
            })
            .observe(latency.as_secs_f64());
    }

    /// Raise `mosaic_signer_guard_total{object,decision}` to `total`, the guard's own running
    /// count (a lower value, which a counter cannot take, is ignored).
    pub fn signer_guard(&self, object: &str, decision: &str, total: u64) {
        let counter = self.signer_guard_total.get_or_create(&GuardLabels {
            object: object.to_owned(),
            decision: decision.to_owned(),
        });
        let current = counter.get();
        if total > current {
            counter.inc_by(total - current);
        }
    }

    /// Count `mosaic_priority_rejected_total{reason,peer}`: a peer's priority message refused.
    pub fn priority_rejected(&self, reason: &str, peer: &str) {
        self.priority_rejected_total
            .get_or_create(&ReasonPeerLabels {
                reason: reason.to_owned(),
                peer: peer.to_owned(),
            })
            .inc();
    }

    /// Count `mosaic_infosync_agreed_total{proposals}`: an InfoSync agreement recorded, its
    /// proposal types joined with `,` in agreed order.
    pub fn infosync_agreed(&self, proposals: &str) {
        self.infosync_agreed_total
            .get_or_create(&ProposalTypesLabels {
                proposals: proposals.to_owned(),
            })
            .inc();
    }

    /// Publish the readiness state: `mosaic_app_ready` (1 when ready) and
    /// `mosaic_app_monitoring_readyz` (Charon's numeric state code).
    pub fn set_readyz(&self, state: Readyz) {
        self.app_ready.set(i64::from(state.is_ready()));
        self.app_readyz.set(state.code());
    }

    /// The whole registry in the OpenMetrics text format (ends with `# EOF`).
    pub fn encode(&self) -> Result<String, MonitorError> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .map_err(|_| MonitorError::Encode)?;
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_value(text: &str, prefix: &str) -> Option<f64> {
        text.lines()
            .find(|line| line.starts_with(prefix))
            .and_then(|line| line.rsplit(' ').next())
            .and_then(|value| value.parse().ok())
    }

    #[test]
    fn signer_guard_counts_follow_the_guard_totals_and_never_go_down() {
        let metrics = Metrics::new();
        let line = |metrics: &Metrics| {
            metrics
                .encode()
                .unwrap()
                .lines()
                .find(|l| l.starts_with("mosaic_signer_guard_total{"))
                .map(str::to_owned)
        };
        metrics.signer_guard("attestation", "refused", 3);
        assert_eq!(
            line(&metrics).as_deref(),
            Some("mosaic_signer_guard_total{object=\"attestation\",decision=\"refused\"} 3")
        );
        metrics.signer_guard("attestation", "refused", 5);
        assert!(line(&metrics).unwrap().ends_with(" 5"));
        // A lower total (a restarted guard's count, say) leaves the counter as it was.
        metrics.signer_guard("attestation", "refused", 2);
        assert!(line(&metrics).unwrap().ends_with(" 5"));
    }

    #[test]
    fn every_family_is_described_with_its_final_name() {
        // Families without any label set are left out of the exposition; record one of each.
        let metrics = Metrics::new();
        let ms = Duration::from_millis(1);
        metrics.duty_outcome("attester", DutyOutcome::Failed { reason: "r" });
        metrics.consensus_decided("attester", ms, 1);
        metrics.consensus_timeout("attester", "round");
        metrics.parsig_arrival("attester", "p", ms);
        metrics.parsig_rejected("attester", "r", "p");
        metrics.beacon_request("e", ms, RequestOutcome::Error);
        metrics.peer_ping("p", ms);
        metrics.peer_connected("p", true);
        metrics.vapi_request("e", 200);
        metrics.duty_broadcast_latency("attester", ms);
        metrics.signer_guard("block", "refused", 1);
        let text = metrics.encode().unwrap();
        for (name, kind) in [
            ("mosaic_duty", "counter"),
            ("mosaic_duty_failed", "counter"),
            ("mosaic_consensus_duration_seconds", "histogram"),
            ("mosaic_consensus_decided_rounds", "histogram"),
            ("mosaic_consensus_timeout", "counter"),
            ("mosaic_parsig_arrival_seconds", "histogram"),
            ("mosaic_parsig_rejected", "counter"),
            ("mosaic_beacon_request_duration_seconds", "histogram"),
            ("mosaic_beacon_errors", "counter"),
            ("mosaic_p2p_ping_latency_seconds", "histogram"),
            ("mosaic_p2p_peer_connected", "gauge"),
            ("mosaic_vapi_requests", "counter"),
            ("mosaic_duty_broadcast_latency_seconds", "histogram"),
            ("mosaic_signer_guard", "counter"),
            ("mosaic_app_ready", "gauge"),
            ("mosaic_app_monitoring_readyz", "gauge"),
        ] {
            assert!(
                text.contains(&format!("# TYPE {name} {kind}\n")),
                "missing {name} {kind} in\n{text}"
            );
        }
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn failed_duty_counts_outcome_and_reason_but_success_has_no_reason() {
        let metrics = Metrics::new();
        metrics.duty_outcome("attester", DutyOutcome::Success);
        metrics.duty_outcome("attester", DutyOutcome::Success);
        metrics.duty_outcome(
            "proposer",
            DutyOutcome::Failed {
                reason: "consensus_timeout",
            },
        );
        metrics.duty_outcome("attester", DutyOutcome::Expired);
        let text = metrics.encode().unwrap();
        assert_eq!(
            line_value(
                &text,
                r#"mosaic_duty_total{duty="attester",outcome="success"}"#
            ),
            Some(2.0)
        );
        assert_eq!(
            line_value(
                &text,
                r#"mosaic_duty_total{duty="proposer",outcome="failed"}"#
            ),
            Some(1.0)
        );
        assert_eq!(
            line_value(
                &text,
                r#"mosaic_duty_total{duty="attester",outcome="expired"}"#
            ),
            Some(1.0)
        );
        assert_eq!(
            line_value(
                &text,
                r#"mosaic_duty_failed_total{duty="proposer",reason="consensus_timeout"}"#
            ),
            Some(1.0)
        );
        assert!(!text.contains(r#"mosaic_duty_failed_total{duty="attester""#));
    }

    #[test]
    fn beacon_errors_count_only_failed_requests() {
        let metrics = Metrics::new();
        let ms = Duration::from_millis(3);
        metrics.beacon_request("attestation_data", ms, RequestOutcome::Ok);
        metrics.beacon_request("attestation_data", ms, RequestOutcome::Error);
        metrics.beacon_request("proposer_duties", ms, RequestOutcome::Ok);
        let text = metrics.encode().unwrap();
        assert_eq!(
            line_value(
                &text,
                r#"mosaic_beacon_request_duration_seconds_count{endpoint="attestation_data"}"#
            ),
            Some(2.0)
        );
        assert_eq!(
            line_value(
                &text,
                r#"mosaic_beacon_errors_total{endpoint="attestation_data"}"#
            ),
            Some(1.0)
        );
        assert!(!text.contains(r#"mosaic_beacon_errors_total{endpoint="proposer_duties"}"#));
    }

    #[test]
    fn histograms_bucket_observations_at_millisecond_resolution() {
        let metrics = Metrics::new();
        metrics.consensus_decided("attester", Duration::from_millis(40), 2);
        let text = metrics.encode().unwrap();
        // 40 ms falls in the 0.05 bucket, not the 0.025 one.
        assert_eq!(
            line_value(
                &text,
                r#"mosaic_consensus_duration_seconds_bucket{le="0.025",duty="attester"}"#
            ),
            Some(0.0)
        );
        assert_eq!(
            line_value(
                &text,
                r#"mosaic_consensus_duration_seconds_bucket{le="0.05",duty="attester"}"#
            ),
            Some(1.0)
        );
        assert_eq!(
            line_value(
                &text,
                r#"mosaic_consensus_decided_rounds_bucket{le="1.0",duty="attester"}"#
            ),
            Some(0.0)
        );
        assert_eq!(
            line_value(
                &text,
                r#"mosaic_consensus_decided_rounds_bucket{le="2.0",duty="attester"}"#
            ),
            Some(1.0)
        );
    }

    #[test]
    fn peer_gauge_follows_connection_state_and_label_values_are_escaped() {
        let metrics = Metrics::new();
        metrics.peer_connected("peer \"a\"", true);
        let text = metrics.encode().unwrap();
        assert_eq!(
            line_value(&text, r#"mosaic_p2p_peer_connected{peer="peer \"a\""}"#),
            Some(1.0)
        );
        metrics.peer_connected("peer \"a\"", false);
        let text = metrics.encode().unwrap();
        assert_eq!(
            line_value(&text, r#"mosaic_p2p_peer_connected{peer="peer \"a\""}"#),
            Some(0.0)
        );
    }

    #[test]
    fn extra_families_registered_before_sharing_are_exposed_with_the_prefix() {
        let mut metrics = Metrics::new();
        let extra: Counter = Counter::default();
        metrics
            .registry_mut()
            .register("qbft_messages", "QBFT messages", extra.clone());
        extra.inc_by(3);
        let text = metrics.encode().unwrap();
        assert_eq!(line_value(&text, "mosaic_qbft_messages_total "), Some(3.0));
    }

    #[test]
    fn readyz_gauges_follow_the_state() {
        let metrics = Metrics::new();
        metrics.set_readyz(Readyz::Ready);
        let text = metrics.encode().unwrap();
        assert_eq!(line_value(&text, "mosaic_app_ready "), Some(1.0));
        assert_eq!(
            line_value(&text, "mosaic_app_monitoring_readyz "),
            Some(1.0)
        );
        metrics.set_readyz(Readyz::InsufficientPeers);
        let text = metrics.encode().unwrap();
        assert_eq!(line_value(&text, "mosaic_app_ready "), Some(0.0));
        assert_eq!(
            line_value(&text, "mosaic_app_monitoring_readyz "),
            Some(4.0)
        );
    }
}
