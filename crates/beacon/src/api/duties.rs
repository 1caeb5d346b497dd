//! Duties and liveness.

use mosaic_types::consensus::primitives::ValidatorIndex;
use mosaic_types::consensus::Preset;
use mosaic_types::Epoch;

use crate::client::{BeaconClient, Body, Request};
use crate::endpoint;
use crate::error::Error;
use crate::types::{
    AttesterDuty, DutiesResponse, ProposerDuty, SyncDutiesResponse, ValidatorLiveness,
};

impl<P: Preset> BeaconClient<P> {
    /// `POST /eth/v1/validator/duties/attester/{epoch}` for the given validators.
    pub async fn attester_duties(
        &self,
        epoch: Epoch,
        indices: &[ValidatorIndex],
    ) -> Result<DutiesResponse<AttesterDuty>, Error> {
        let request =
            Request::with_param(endpoint::ATTESTER_DUTIES, epoch).body(Body::indices(indices));
        self.call(&request, |r| r.json()).await
    }

    /// `GET /eth/v1/validator/duties/proposer/{epoch}`: every proposer of the epoch.
    pub async fn proposer_duties(
        &self,
        epoch: Epoch,
    ) -> Result<DutiesResponse<ProposerDuty>, Error> {
        let request = Request::with_param(endpoint::PROPOSER_DUTIES, epoch);
        self.call(&request, |r| r.json()).await
    }

    /// `POST /eth/v1/validator/duties/sync/{epoch}` for the given validators.
    pub async fn sync_duties(
        &self,
        epoch: Epoch,
        indices: &[ValidatorIndex],
    ) -> Result<SyncDutiesResponse, Error> {
        let request =
            Request::with_param(endpoint::SYNC_DUTIES, epoch).body(Body::indices(indices));
        self.call(&request, |r| r.json()).await
    }

    /// `POST /eth/v1/validator/liveness/{epoch}`.
    pub async fn liveness(
        &self,
        epoch: Epoch,
        indices: &[ValidatorIndex],
    ) -> Result<Vec<ValidatorLiveness>, Error> {
        let request = Request::with_param(endpoint::LIVENESS, epoch).body(Body::indices(indices));
        self.call(&request, |r| r.data()).await
    }
}
