//! Node and configuration endpoints: genesis, spec, fork schedule, syncing, version, health,
//! peer count.

use std::collections::BTreeMap;

use mosaic_types::consensus::phase0::Fork;
use mosaic_types::consensus::Preset;
use serde::Deserialize;

use crate::client::{BeaconClient, Request};
use crate::endpoint;
use crate::error::Error;
use crate::types::{Genesis, NodeHealth, PeerCount, SyncStatus};

impl<P: Preset> BeaconClient<P> {
    /// `GET /eth/v1/beacon/genesis`.
    pub async fn genesis(&self) -> Result<Genesis, Error> {
        self.call(&Request::new(endpoint::GENESIS), |r| r.data())
            .await
    }

    /// `GET /eth/v1/config/spec`: every constant as text. Values that are not JSON strings
    /// (fulu's `BLOB_SCHEDULE` list, numbers some nodes write bare) are kept as their JSON text.
    pub async fn spec(&self) -> Result<BTreeMap<String, String>, Error> {
        self.call(&Request::new(endpoint::SPEC), |r| {
            let raw: BTreeMap<String, serde_json::Value> = r.data()?;
            Ok(raw
                .into_iter()
                .map(|(key, value)| match value {
                    serde_json::Value::String(text) => (key, text),
                    other => (key, other.to_string()),
                })
                .collect())
        })
        .await
    }

    /// `GET /eth/v1/config/fork_schedule`.
    pub async fn fork_schedule(&self) -> Result<Vec<Fork>, Error> {
        self.call(&Request::new(endpoint::FORK_SCHEDULE), |r| r.data())
            .await
    }

    /// `GET /eth/v1/node/syncing`.
    pub async fn syncing(&self) -> Result<SyncStatus, Error> {
        self.call(&Request::new(endpoint::NODE_SYNCING), |r| r.data())
            .await
    }

    /// `GET /eth/v1/node/version`: the node's version string.
    pub async fn node_version(&self) -> Result<String, Error> {
        #[derive(Deserialize)]
        struct Version {
            version: String,
        }
        self.call(&Request::new(endpoint::NODE_VERSION), |r| {
            r.data::<Version>().map(|v| v.version)
        })
        .await
    }

    /// `GET /eth/v1/node/peer_count` (optional for beacon nodes).
    pub async fn peer_count(&self) -> Result<PeerCount, Error> {
        self.call(&Request::new(endpoint::NODE_PEER_COUNT), |r| r.data())
            .await
    }

    /// `GET /eth/v1/node/health` of the first node that answers (200 ready, 206 syncing, 503
    /// not ready); unreachable or slow nodes are skipped as for any request.
    pub async fn health(&self) -> Result<NodeHealth, Error> {
        let mut errors = Vec::new();
        for index in self.order() {
            match self.node_health(index).await {
                Ok(health) => return Ok(health),
                Err(error) => errors.push(error),
            }
        }
        Err(match errors.len() {
            1 => errors.remove(0),
            _ => Error::AllNodesFailed {
                endpoint: endpoint::NODE_HEALTH,
                errors,
            },
        })
    }

    /// `GET /eth/v1/node/health` of every node at once, in configured order, with each node's
    /// name (as [`BeaconClient::node_names`]).
    pub async fn health_of_each(&self) -> Vec<(String, Result<NodeHealth, Error>)> {
        let checks = (0..self.nodes().len()).map(|index| async move {
            (
                self.nodes()[index].name.clone(),
                self.node_health(index).await,
            )
        });
        futures_util::future::join_all(checks).await
    }

    async fn node_health(&self, index: usize) -> Result<NodeHealth, Error> {
        let node = &self.nodes()[index];
        let request = Request::new(endpoint::NODE_HEALTH);
        let health = match self.send_once(node, &request).await {
            Ok(response) if response.status == 206 => Ok(NodeHealth::Syncing),
            Ok(_) => Ok(NodeHealth::Ready),
            Err(Error::Status { status: 503, .. }) => Ok(NodeHealth::NotReady),
            Err(error) => Err(error),
        };
        match &health {
            Ok(NodeHealth::Ready) => self.record(index, Ok(())),
            Ok(_) => {}
            Err(error) => self.record(index, Err(error)),
        }
        health
    }
}
