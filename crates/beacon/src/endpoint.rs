//! The beacon API endpoints the client calls: method, path template and timeout class.
//!
//! Errors name an endpoint by its [`Endpoint`] (`"POST /eth/v1/validator/duties/attester/{epoch}"`),
//! and the simulator can use the same constants to route requests.

use std::fmt;

/// HTTP method of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
}

impl Method {
    /// The method as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }
}

/// Which timeout applies to an endpoint (see [`crate::Timeouts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndpointClass {
    /// Node and chain metadata: genesis, spec, version, syncing, health, states, headers.
    Node,
    /// Duties (attester, proposer, sync) and liveness.
    Duties,
    /// Data a duty signs: attestation data, aggregates, contributions, selections.
    Data,
    /// Block production.
    BlockProduction,
    /// Block publication.
    BlockPublication,
    /// Other submissions: attestations, aggregates, sync messages, subscriptions, exits,
    /// proposer preparations and builder registrations.
    Submission,
    /// Opening the events stream (time until the response headers arrive).
    Events,
}

/// One beacon API endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// HTTP method.
    pub method: Method,
    /// Path template as in `ethereum/beacon-APIs`, e.g. `/eth/v1/beacon/states/{state_id}/fork`.
    pub path: &'static str,
    /// Timeout class.
    pub class: EndpointClass,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method.as_str(), self.path)
    }
}

macro_rules! endpoints {
    ($($(#[$meta:meta])* $name:ident = $method:ident $path:literal $class:ident;)+) => {
        $(
            $(#[$meta])*
            pub const $name: Endpoint = Endpoint {
                method: Method::$method,
                path: $path,
                class: EndpointClass::$class,
            };
        )+

        /// Every endpoint the client calls.
        pub const ALL: &[Endpoint] = &[$($name),+];
    };
}

endpoints! {
    /// `getGenesis`.
    GENESIS = Get "/eth/v1/beacon/genesis" Node;
    /// `getSpec`.
    SPEC = Get "/eth/v1/config/spec" Node;
    /// `getForkSchedule`.
    FORK_SCHEDULE = Get "/eth/v1/config/fork_schedule" Node;
    /// `getSyncingStatus`.
    NODE_SYNCING = Get "/eth/v1/node/syncing" Node;
    /// `getNodeVersion`.
    NODE_VERSION = Get "/eth/v1/node/version" Node;
    /// `getHealth`.
    NODE_HEALTH = Get "/eth/v1/node/health" Node;
    /// `getPeerCount`.
    NODE_PEER_COUNT = Get "/eth/v1/node/peer_count" Node;
    /// `getStateValidators`.
    STATE_VALIDATORS = Get "/eth/v1/beacon/states/{state_id}/validators" Node;
    /// `postStateValidators`.
    STATE_VALIDATORS_POST = Post "/eth/v1/beacon/states/{state_id}/validators" Node;
    /// `getStateFork`.
    STATE_FORK = Get "/eth/v1/beacon/states/{state_id}/fork" Node;
    /// `getStateFinalityCheckpoints`.
    STATE_FINALITY_CHECKPOINTS = Get "/eth/v1/beacon/states/{state_id}/finality_checkpoints" Node;
    /// `getBlockHeader`.
    BLOCK_HEADER = Get "/eth/v1/beacon/headers/{block_id}" Node;
    /// `getBlockRoot`.
    BLOCK_ROOT = Get "/eth/v1/beacon/blocks/{block_id}/root" Node;
    /// `getAttesterDuties`.
    ATTESTER_DUTIES = Post "/eth/v1/validator/duties/attester/{epoch}" Duties;
    /// `getProposerDuties`.
    PROPOSER_DUTIES = Get "/eth/v1/validator/duties/proposer/{epoch}" Duties;
    /// `getSyncCommitteeDuties`.
    SYNC_DUTIES = Post "/eth/v1/validator/duties/sync/{epoch}" Duties;
    /// `getLiveness`.
    LIVENESS = Post "/eth/v1/validator/liveness/{epoch}" Duties;
    /// `produceAttestationData`.
    ATTESTATION_DATA = Get "/eth/v1/validator/attestation_data" Data;
    /// `getAggregatedAttestation` (phase0 to deneb).
    AGGREGATE_ATTESTATION_V1 = Get "/eth/v1/validator/aggregate_attestation" Data;
    /// `getAggregatedAttestationV2`.
    AGGREGATE_ATTESTATION_V2 = Get "/eth/v2/validator/aggregate_attestation" Data;
    /// `produceSyncCommitteeContribution`.
    SYNC_COMMITTEE_CONTRIBUTION = Get "/eth/v1/validator/sync_committee_contribution" Data;
    /// `submitBeaconCommitteeSelections` (distributed validators; most beacon nodes answer 501).
    BEACON_COMMITTEE_SELECTIONS = Post "/eth/v1/validator/beacon_committee_selections" Data;
    /// `submitSyncCommitteeSelections` (distributed validators; most beacon nodes answer 501).
    SYNC_COMMITTEE_SELECTIONS = Post "/eth/v1/validator/sync_committee_selections" Data;
    /// `produceBlockV3`.
    PRODUCE_BLOCK_V3 = Get "/eth/v3/validator/blocks/{slot}" BlockProduction;
    /// `produceBlockV2` (full payload only).
    PRODUCE_BLOCK_V2 = Get "/eth/v2/validator/blocks/{slot}" BlockProduction;
    /// `produceBlindedBlock`.
    PRODUCE_BLINDED_BLOCK = Get "/eth/v1/validator/blinded_blocks/{slot}" BlockProduction;
    /// `publishBlock` (v1).
    PUBLISH_BLOCK_V1 = Post "/eth/v1/beacon/blocks" BlockPublication;
    /// `publishBlindedBlock` (v1).
    PUBLISH_BLINDED_BLOCK_V1 = Post "/eth/v1/beacon/blinded_blocks" BlockPublication;
    /// `publishBlockV2`.
    PUBLISH_BLOCK_V2 = Post "/eth/v2/beacon/blocks" BlockPublication;
    /// `publishBlindedBlockV2`.
    PUBLISH_BLINDED_BLOCK_V2 = Post "/eth/v2/beacon/blinded_blocks" BlockPublication;
    /// `submitPoolAttestations` (phase0 to deneb).
    POOL_ATTESTATIONS_V1 = Post "/eth/v1/beacon/pool/attestations" Submission;
    /// `submitPoolAttestationsV2` (`SingleAttestation` from electra on).
    POOL_ATTESTATIONS_V2 = Post "/eth/v2/beacon/pool/attestations" Submission;
    /// `publishAggregateAndProofs` (phase0 to deneb).
    AGGREGATE_AND_PROOFS_V1 = Post "/eth/v1/validator/aggregate_and_proofs" Submission;
    /// `publishAggregateAndProofsV2`.
    AGGREGATE_AND_PROOFS_V2 = Post "/eth/v2/validator/aggregate_and_proofs" Submission;
    /// `prepareBeaconCommitteeSubnet`.
    BEACON_COMMITTEE_SUBSCRIPTIONS = Post "/eth/v1/validator/beacon_committee_subscriptions" Submission;
    /// `prepareSyncCommitteeSubnets`.
    SYNC_COMMITTEE_SUBSCRIPTIONS = Post "/eth/v1/validator/sync_committee_subscriptions" Submission;
    /// `submitPoolSyncCommitteeSignatures`.
    POOL_SYNC_COMMITTEES = Post "/eth/v1/beacon/pool/sync_committees" Submission;
    /// `publishContributionAndProofs`.
    CONTRIBUTION_AND_PROOFS = Post "/eth/v1/validator/contribution_and_proofs" Submission;
    /// `prepareBeaconProposer`.
    PREPARE_BEACON_PROPOSER = Post "/eth/v1/validator/prepare_beacon_proposer" Submission;
    /// `registerValidator`.
    REGISTER_VALIDATOR = Post "/eth/v1/validator/register_validator" Submission;
    /// `submitPoolVoluntaryExit`.
    POOL_VOLUNTARY_EXITS = Post "/eth/v1/beacon/pool/voluntary_exits" Submission;
    /// `eventstream`.
    EVENTS = Get "/eth/v1/events" Events;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_display_method_and_template() {
        assert_eq!(
            ATTESTER_DUTIES.to_string(),
            "POST /eth/v1/validator/duties/attester/{epoch}"
        );
        assert_eq!(GENESIS.to_string(), "GET /eth/v1/beacon/genesis");
    }

    #[test]
    fn endpoint_table_has_no_duplicates() {
        for (i, a) in ALL.iter().enumerate() {
            for b in &ALL[i + 1..] {
                assert!((a.method, a.path) != (b.method, b.path), "{a} listed twice");
            }
        }
        assert_eq!(ALL.len(), 42);
    }
}
