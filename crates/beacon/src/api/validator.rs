//! Subnet subscriptions, proposer preparation, builder registration and the
//! distributed-validator selection endpoints.

use mosaic_types::consensus::Preset;
use mosaic_types::SignedValidatorRegistrationV1;

use crate::client::{BeaconClient, Body, Request};
use crate::endpoint;
use crate::error::Error;
use crate::types::{
    BeaconCommitteeSelection, BeaconCommitteeSubscription, ProposerPreparation,
    SyncCommitteeSelection, SyncCommitteeSubscription,
};

impl<P: Preset> BeaconClient<P> {
    /// `POST /eth/v1/validator/beacon_committee_subscriptions`.
    pub async fn subscribe_beacon_committees(
        &self,
        subscriptions: &[BeaconCommitteeSubscription],
    ) -> Result<(), Error> {
        let endpoint = endpoint::BEACON_COMMITTEE_SUBSCRIPTIONS;
        let request = Request::new(endpoint).body(Body::json(endpoint, subscriptions)?);
        self.submit(&request).await
    }

    /// `POST /eth/v1/validator/sync_committee_subscriptions`.
    pub async fn subscribe_sync_committees(
        &self,
        subscriptions: &[SyncCommitteeSubscription],
    ) -> Result<(), Error> {
        let endpoint = endpoint::SYNC_COMMITTEE_SUBSCRIPTIONS;
        let request = Request::new(endpoint).body(Body::json(endpoint, subscriptions)?);
        self.submit(&request).await
    }

    /// `POST /eth/v1/validator/prepare_beacon_proposer`.
    pub async fn prepare_beacon_proposer(
        &self,
        preparations: &[ProposerPreparation],
    ) -> Result<(), Error> {
        let endpoint = endpoint::PREPARE_BEACON_PROPOSER;
        let request = Request::new(endpoint).body(Body::json(endpoint, preparations)?);
        self.submit(&request).await
    }

    /// `POST /eth/v1/validator/register_validator`.
    pub async fn register_validators(
        &self,
        registrations: &[SignedValidatorRegistrationV1],
    ) -> Result<(), Error> {
        let endpoint = endpoint::REGISTER_VALIDATOR;
        let request = Request::new(endpoint).body(Body::json(endpoint, registrations)?);
        self.submit(&request).await
    }

    /// `POST /eth/v1/validator/beacon_committee_selections`: partial selection proofs in,
    /// aggregated ones out (a distributed-validator middleware answers; a plain beacon node
    /// answers 501, see [`Error::is_not_implemented`]).
    pub async fn beacon_committee_selections(
        &self,
        selections: &[BeaconCommitteeSelection],
    ) -> Result<Vec<BeaconCommitteeSelection>, Error> {
        let endpoint = endpoint::BEACON_COMMITTEE_SELECTIONS;
        let request = Request::new(endpoint).body(Body::json(endpoint, selections)?);
        self.call(&request, |r| r.data()).await
    }

    /// `POST /eth/v1/validator/sync_committee_selections` (as
    /// [`BeaconClient::beacon_committee_selections`]).
    pub async fn sync_committee_selections(
        &self,
        selections: &[SyncCommitteeSelection],
    ) -> Result<Vec<SyncCommitteeSelection>, Error> {
        let endpoint = endpoint::SYNC_COMMITTEE_SELECTIONS;
        let request = Request::new(endpoint).body(Body::json(endpoint, selections)?);
        self.call(&request, |r| r.data()).await
    }
}
