//! State and block queries: validators, fork, finality checkpoints, headers, block roots.

use mosaic_types::consensus::phase0::Fork;
use mosaic_types::consensus::Preset;
use mosaic_types::Root;
use serde::Serialize;

use crate::client::{BeaconClient, Body, Query, Request};
use crate::endpoint;
use crate::error::Error;
use crate::ids::{BlockId, StateId, ValidatorId};
use crate::types::{
    BlockHeaderData, FinalityCheckpoints, RootData, StateResponse, ValidatorData, ValidatorStatus,
};

/// How many validator ids one `GET …/validators?id=` request carries when the POST form is
/// not served (96-character public keys: 64 of them keep the URL near 6 kB).
pub(crate) const GET_IDS_PER_REQUEST: usize = 64;

impl<P: Preset> BeaconClient<P> {
    /// `POST /eth/v1/beacon/states/{state_id}/validators`: validators by index or public key
    /// (all if `ids` is empty), optionally filtered by status. Use this for many ids: the body
    /// has no length limit, unlike a URL.
    ///
    /// Beacon nodes older than the POST form (it came in 2023; Lodestar 1.5 lacks it) answer
    /// 404 or 405: then the same query is made with `GET`, 64 ids at a
    /// time so that no URL grows too long, and the answers are joined.
    pub async fn validators(
        &self,
        state: StateId,
        ids: &[ValidatorId],
        statuses: &[ValidatorStatus],
    ) -> Result<StateResponse<Vec<ValidatorData>>, Error> {
        match self.validators_post(state, ids, statuses).await {
            Err(error) if error.is_unsupported_route() => {
                self.validators_get_chunked(state, ids, statuses).await
            }
            other => other,
        }
    }

    async fn validators_get_chunked(
        &self,
        state: StateId,
        ids: &[ValidatorId],
        statuses: &[ValidatorStatus],
    ) -> Result<StateResponse<Vec<ValidatorData>>, Error> {
        if ids.is_empty() {
            return self.validators_get(state, ids, statuses).await;
        }
        let mut joined: Option<StateResponse<Vec<ValidatorData>>> = None;
        for chunk in ids.chunks(GET_IDS_PER_REQUEST) {
            let answer = self.validators_get(state, chunk, statuses).await?;
            match joined.as_mut() {
                None => joined = Some(answer),
                Some(all) => {
                    all.execution_optimistic |= answer.execution_optimistic;
                    all.finalized &= answer.finalized;
                    all.data.extend(answer.data);
                }
            }
        }
        Ok(joined.expect("ids is not empty"))
    }

    async fn validators_post(
        &self,
        state: StateId,
        ids: &[ValidatorId],
        statuses: &[ValidatorStatus],
    ) -> Result<StateResponse<Vec<ValidatorData>>, Error> {
        #[derive(Serialize)]
        struct Filter<'a> {
            #[serde(skip_serializing_if = "<[_]>::is_empty")]
            ids: &'a [ValidatorId],
            #[serde(skip_serializing_if = "<[_]>::is_empty")]
            statuses: &'a [ValidatorStatus],
        }
        let endpoint = endpoint::STATE_VALIDATORS_POST;
        let body = Body::json(endpoint, &Filter { ids, statuses })?;
        let request = Request::with_param(endpoint, state).body(body);
        self.call(&request, |r| r.json()).await
    }

    /// `GET /eth/v1/beacon/states/{state_id}/validators?id=..&status=..` (for a few ids; see
    /// [`BeaconClient::validators`] for many).
    pub async fn validators_get(
        &self,
        state: StateId,
        ids: &[ValidatorId],
        statuses: &[ValidatorStatus],
    ) -> Result<StateResponse<Vec<ValidatorData>>, Error> {
        let mut query = Query::default();
        query.push_list("id", ids).push_list("status", statuses);
        let request = Request::with_param(endpoint::STATE_VALIDATORS, state).query(query);
        self.call(&request, |r| r.json()).await
    }

    /// `GET /eth/v1/beacon/states/{state_id}/fork`.
    pub async fn state_fork(&self, state: StateId) -> Result<StateResponse<Fork>, Error> {
        let request = Request::with_param(endpoint::STATE_FORK, state);
        self.call(&request, |r| r.json()).await
    }

    /// `GET /eth/v1/beacon/states/{state_id}/finality_checkpoints`.
    pub async fn finality_checkpoints(
        &self,
        state: StateId,
    ) -> Result<StateResponse<FinalityCheckpoints>, Error> {
        let request = Request::with_param(endpoint::STATE_FINALITY_CHECKPOINTS, state);
        self.call(&request, |r| r.json()).await
    }

    /// `GET /eth/v1/beacon/headers/{block_id}`.
    pub async fn block_header(
        &self,
        block: BlockId,
    ) -> Result<StateResponse<BlockHeaderData>, Error> {
        let request = Request::with_param(endpoint::BLOCK_HEADER, block);
        self.call(&request, |r| r.json()).await
    }

    /// `GET /eth/v1/beacon/blocks/{block_id}/root`.
    pub async fn block_root(&self, block: BlockId) -> Result<StateResponse<Root>, Error> {
        let request = Request::with_param(endpoint::BLOCK_ROOT, block);
        self.call(&request, |r| {
            r.json::<StateResponse<RootData>>()
                .map(|answer| StateResponse {
                    execution_optimistic: answer.execution_optimistic,
                    finalized: answer.finalized,
                    data: answer.data.root,
                })
        })
        .await
    }
}
