//! The validator API of a Mosaic distributed validator node (DESIGN §1, Obol spec
//! `docs/dv-spec/validatorapi.md`): an HTTP server that a standard validator client (holding
//! one key share per validator) talks to as if it were a beacon node.
//!
//! - Duty data requests (attestation data, blocks, aggregates, sync contributions) block until
//!   the cluster decided, then answer with the decided data from the [`Backend`].
//! - Every partially signed object the validator client submits is verified against this
//!   node's public share over its signing root before it reaches [`Backend::submit_partials`];
//!   one invalid partial rejects the whole request (400, nothing submitted).
//! - Public keys are rewritten share ↔ DV ([`KeyMap`]) in duties and validator queries.
//! - Every other request is reverse-proxied to the beacon node unchanged (the event stream
//!   is streamed).
//!
//! Error answers are beacon-API style: `{"code": <status>, "message": "..."}`.

mod app;
mod backend;
mod encoding;
mod error;
mod handlers;
mod keys;
mod proxy;
mod router;
mod upstream;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use mosaic_core::signeddata::SigningContext;
use mosaic_types::consensus::Preset;
use tokio::task::JoinHandle;

pub use backend::Backend;
pub use error::{BackendError, VapiError};
pub use keys::{KeyMap, KeyMapError};

/// How the validator API is set up.
#[derive(Debug, Clone)]
pub struct VapiConfig {
    /// Address to listen on (the validator client's "beacon node" URL).
    pub listen: SocketAddr,
    /// Beacon nodes to proxy to; the first that answers wins (the last one that answered is
    /// tried first next time).
    pub beacon_node_urls: Vec<String>,
    /// DV public key ↔ this node's public share.
    pub keys: KeyMap,
    /// Fork schedule and genesis validators root for signing roots.
    pub signing: SigningContext,
    /// Longest wait for the cluster (decided data, combined selections) and for a proxied
    /// beacon node answer (the event stream excepted).
    pub request_timeout: Duration,
    /// Refuse the aggregation endpoints (aggregate and contribution data and submissions, the
    /// selection endpoints) with a 400 at once: the node aggregates with its own client
    /// (`mosaic run --builtin-aggregator`) behind another listener, and the validator client
    /// here cannot aggregate for a distributed validator (no distributed mode). Without this,
    /// such a client would wait for the cluster's decided aggregate only to have its own
    /// aggregate refused, and fall behind on its next duties while it waits.
    pub aggregation_elsewhere: bool,
}

/// Starts the validator API. Returns the address it listens on (useful with port 0) and the
/// server task, which ends after `shutdown` resolves and open requests finish.
pub async fn serve<P: Preset, B: Backend<P>>(
    config: VapiConfig,
    backend: Arc<B>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(SocketAddr, JoinHandle<()>), VapiError> {
    let upstream = upstream::Upstream::new(&config.beacon_node_urls, config.request_timeout)?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| VapiError::Bind {
            address: config.listen,
            source,
        })?;
    let address = listener.local_addr().map_err(|source| VapiError::Bind {
        address: config.listen,
        source,
    })?;
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let app = Arc::new(app::App {
        keys: config.keys,
        signing: config.signing,
        backend,
        upstream,
        request_timeout: config.request_timeout,
        aggregation_elsewhere: config.aggregation_elsewhere,
        stopping: stopping.clone(),
        preset: std::marker::PhantomData,
    });
    let router = router::router(app);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
    });
    let mut stopped = stopping;
    let handle = tokio::spawn(async move {
        let stopped = async move {
            let _ = stopped.wait_for(|stopped| *stopped).await;
        };
        if let Err(error) = axum::serve(listener, router)
            .with_graceful_shutdown(stopped)
            .await
        {
            tracing::error!(%error, "validator API server stopped");
        }
    });
    tracing::info!(%address, "validator API listening");
    Ok((address, handle))
}
