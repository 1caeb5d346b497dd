//! Attestations, aggregates, sync committee messages and contributions, voluntary exits: the
//! data a duty signs and where the signed result goes.

use mosaic_types::consensus::altair::{
    SignedContributionAndProof, SyncCommitteeContribution, SyncCommitteeMessage,
};
use mosaic_types::consensus::electra::SingleAttestation;
use mosaic_types::consensus::phase0::{self, AttestationData, SignedVoluntaryExit};
use mosaic_types::consensus::primitives::CommitteeIndex;
use mosaic_types::consensus::versioned::{Attestation, SignedAggregateAndProof};
use mosaic_types::consensus::{ForkVersioned, Preset, Versioned};
use mosaic_types::{ForkName, Root, Slot};

use crate::client::{BeaconClient, Body, Query, Request};
use crate::endpoint::{self, Endpoint};
use crate::error::Error;

fn fork_check(
    endpoint: Endpoint,
    fork: ForkName,
    electra_on: bool,
    what: &str,
) -> Result<(), Error> {
    if (fork >= ForkName::Electra) == electra_on {
        return Ok(());
    }
    let expected = if electra_on {
        "electra on"
    } else {
        "before electra"
    };
    Err(Error::InvalidRequest {
        endpoint,
        reason: format!("{what} are for forks {expected}, not {fork}"),
    })
}

impl<P: Preset> BeaconClient<P> {
    /// `GET /eth/v1/validator/attestation_data?slot=..&committee_index=..`.
    pub async fn attestation_data(
        &self,
        slot: Slot,
        committee_index: CommitteeIndex,
    ) -> Result<AttestationData, Error> {
        let mut query = Query::default();
        query
            .push("slot", slot)
            .push("committee_index", committee_index);
        let request = Request::new(endpoint::ATTESTATION_DATA).query(query);
        self.call(&request, |r| r.data()).await
    }

    /// `POST /eth/v1/beacon/pool/attestations` (phase0 to deneb nodes without v2).
    pub async fn submit_attestations_v1(
        &self,
        attestations: &[phase0::Attestation<P>],
    ) -> Result<(), Error> {
        let endpoint = endpoint::POOL_ATTESTATIONS_V1;
        let request = Request::new(endpoint).body(Body::json(endpoint, attestations)?);
        self.submit(&request).await
    }

    /// `POST /eth/v2/beacon/pool/attestations` before electra: `Attestation`s with
    /// `Eth-Consensus-Version: fork`. Refused for electra and later (use
    /// [`BeaconClient::submit_single_attestations`]).
    pub async fn submit_attestations(
        &self,
        fork: ForkName,
        attestations: &[phase0::Attestation<P>],
    ) -> Result<(), Error> {
        let endpoint = endpoint::POOL_ATTESTATIONS_V2;
        fork_check(endpoint, fork, false, "phase0 attestations")?;
        let request = Request::new(endpoint)
            .body(Body::json(endpoint, attestations)?)
            .consensus_version(fork);
        self.submit(&request).await
    }

    /// `POST /eth/v2/beacon/pool/attestations` from electra on: `SingleAttestation`s with
    /// `Eth-Consensus-Version: fork`. Refused before electra.
    pub async fn submit_single_attestations(
        &self,
        fork: ForkName,
        attestations: &[SingleAttestation],
    ) -> Result<(), Error> {
        let endpoint = endpoint::POOL_ATTESTATIONS_V2;
        fork_check(endpoint, fork, true, "single attestations")?;
        let request = Request::new(endpoint)
            .body(Body::json(endpoint, attestations)?)
            .consensus_version(fork);
        self.submit(&request).await
    }

    /// `GET /eth/v1/validator/aggregate_attestation?attestation_data_root=..&slot=..` (phase0
    /// to deneb).
    pub async fn aggregate_attestation_v1(
        &self,
        slot: Slot,
        attestation_data_root: Root,
    ) -> Result<phase0::Attestation<P>, Error> {
        let mut query = Query::default();
        query
            .push("attestation_data_root", attestation_data_root.to_hex())
            .push("slot", slot);
        let request = Request::new(endpoint::AGGREGATE_ATTESTATION_V1).query(query);
        self.call(&request, |r| r.data()).await
    }

    /// `GET /eth/v2/validator/aggregate_attestation?attestation_data_root=..&slot=..&committee_index=..`:
    /// the aggregate of the fork the node names.
    pub async fn aggregate_attestation(
        &self,
        slot: Slot,
        attestation_data_root: Root,
        committee_index: CommitteeIndex,
    ) -> Result<Attestation<P>, Error> {
        let mut query = Query::default();
        query
            .push("attestation_data_root", attestation_data_root.to_hex())
            .push("slot", slot)
            .push("committee_index", committee_index);
        let request = Request::new(endpoint::AGGREGATE_ATTESTATION_V2).query(query);
        self.call(&request, |r| {
            r.json::<Versioned<Attestation<P>>>().map(|v| v.data)
        })
        .await
    }

    /// `POST /eth/v1/validator/aggregate_and_proofs` (phase0 to deneb nodes without v2).
    pub async fn submit_aggregate_and_proofs_v1(
        &self,
        aggregates: &[phase0::SignedAggregateAndProof<P>],
    ) -> Result<(), Error> {
        let endpoint = endpoint::AGGREGATE_AND_PROOFS_V1;
        let request = Request::new(endpoint).body(Body::json(endpoint, aggregates)?);
        self.submit(&request).await
    }

    /// `POST /eth/v2/validator/aggregate_and_proofs` with `Eth-Consensus-Version` of the
    /// aggregates, which must all be of one fork. An empty list sends nothing.
    pub async fn submit_aggregate_and_proofs(
        &self,
        aggregates: &[SignedAggregateAndProof<P>],
    ) -> Result<(), Error> {
        let endpoint = endpoint::AGGREGATE_AND_PROOFS_V2;
        let Some(first) = aggregates.first() else {
            return Ok(());
        };
        let fork = first.fork_name();
        if let Some(other) = aggregates.iter().find(|a| a.fork_name() != fork) {
            return Err(Error::InvalidRequest {
                endpoint,
                reason: format!(
                    "aggregates of different forks ({fork} and {}) in one request",
                    other.fork_name()
                ),
            });
        }
        let request = Request::new(endpoint)
            .body(Body::json(endpoint, aggregates)?)
            .consensus_version(fork);
        self.submit(&request).await
    }

    /// [`BeaconClient::submit_aggregate_and_proofs`], or for aggregates from before electra
    /// [`BeaconClient::submit_aggregate_and_proofs_v1`] if the node does not serve v2
    /// (404/405: nodes from before 2024).
    pub async fn submit_aggregate_and_proofs_any_version(
        &self,
        aggregates: &[SignedAggregateAndProof<P>],
    ) -> Result<(), Error> {
        match self.submit_aggregate_and_proofs(aggregates).await {
            Err(error) if error.is_unsupported_route() => {
                let pre_electra: Option<Vec<phase0::SignedAggregateAndProof<P>>> = aggregates
                    .iter()
                    .map(|aggregate| match aggregate {
                        SignedAggregateAndProof::Phase0(a)
                        | SignedAggregateAndProof::Altair(a)
                        | SignedAggregateAndProof::Bellatrix(a)
                        | SignedAggregateAndProof::Capella(a)
                        | SignedAggregateAndProof::Deneb(a) => Some(a.clone()),
                        SignedAggregateAndProof::Electra(_) | SignedAggregateAndProof::Fulu(_) => {
                            None
                        }
                    })
                    .collect();
                match pre_electra {
                    Some(aggregates) => self.submit_aggregate_and_proofs_v1(&aggregates).await,
                    None => Err(error),
                }
            }
            other => other,
        }
    }

    /// `POST /eth/v1/beacon/pool/sync_committees`.
    pub async fn submit_sync_committee_messages(
        &self,
        messages: &[SyncCommitteeMessage],
    ) -> Result<(), Error> {
        let endpoint = endpoint::POOL_SYNC_COMMITTEES;
        let request = Request::new(endpoint).body(Body::json(endpoint, messages)?);
        self.submit(&request).await
    }

    /// `GET /eth/v1/validator/sync_committee_contribution?slot=..&subcommittee_index=..&beacon_block_root=..`.
    pub async fn sync_committee_contribution(
        &self,
        slot: Slot,
        subcommittee_index: u64,
        beacon_block_root: Root,
    ) -> Result<SyncCommitteeContribution<P>, Error> {
        let mut query = Query::default();
        query
            .push("slot", slot)
            .push("subcommittee_index", subcommittee_index)
            .push("beacon_block_root", beacon_block_root.to_hex());
        let request = Request::new(endpoint::SYNC_COMMITTEE_CONTRIBUTION).query(query);
        self.call(&request, |r| r.data()).await
    }

    /// `POST /eth/v1/validator/contribution_and_proofs`.
    pub async fn submit_contribution_and_proofs(
        &self,
        contributions: &[SignedContributionAndProof<P>],
    ) -> Result<(), Error> {
        let endpoint = endpoint::CONTRIBUTION_AND_PROOFS;
        let request = Request::new(endpoint).body(Body::json(endpoint, contributions)?);
        self.submit(&request).await
    }

    /// `POST /eth/v1/beacon/pool/voluntary_exits` (one exit per request).
    pub async fn submit_voluntary_exit(&self, exit: &SignedVoluntaryExit) -> Result<(), Error> {
        let endpoint = endpoint::POOL_VOLUNTARY_EXITS;
        let request = Request::new(endpoint).body(Body::json(endpoint, exit)?);
        self.submit(&request).await
    }
}
