//! Monitoring for a Mosaic node: the Prometheus metric families the node records ([`Metrics`]),
//! the node's health as the readiness probe sees it ([`Health`], [`Readyz`]), and the HTTP server
//! that exposes both on the monitoring address ([`serve`]: `GET /metrics`, `/livez`, `/readyz`).
//!
//! Metric names follow Charon's where Charon has one, with the prefix `mosaic_`; the readiness
//! states are Charon's readyz states (beacon node down, syncing, zero peers or far behind, too few
//! cluster peers connected, no validator client, validator client missing validators).

mod error;
mod health;
mod metrics;
mod server;

pub use error::MonitorError;
pub use health::{BeaconSyncState, Health, HealthConfig, Readyz, DEFAULT_FAR_BEHIND_SLOTS};
pub use metrics::{DutyOutcome, Metrics, RequestOutcome};
pub use server::{serve, OPENMETRICS_CONTENT_TYPE};
