//! Mosaic's built-in validator client: an ordinary Beacon-API validator client over HTTP.
//!
//! It holds BLS secret keys (key *shares* when it runs behind a Mosaic distributed-validator
//! node, whose validator API rewrites public shares to the distributed validator's key) and
//! performs every duty of its validators through [`mosaic_beacon::BeaconClient`], following
//! `ethereum/consensus-specs` `validator.md` and the beacon-APIs:
//!
//! | duty | when | endpoints |
//! |---|---|---|
//! | proposal | slot start | randao → `produceBlockV3` (v2 / blinded v1 fallback) → guard → `publishBlockV2` (v1 fallback) |
//! | attestation | 1/3 of the slot | `attestation_data` → guard → pool v2 `SingleAttestation` (electra on) or v1 `Attestation` |
//! | aggregation | selection at slot start, aggregate at 2/3 | `beacon_committee_selections` (DV; own proofs on 501/404) → `aggregate_attestation` → `aggregate_and_proofs` |
//! | sync message | the slot's block (`head` event), 1/3 of the slot at the latest | head root → `pool/sync_committees` |
//! | sync contribution | selection at slot start, contribution at 2/3 | `sync_committee_selections` → `sync_committee_contribution` → `contribution_and_proofs` |
//! | per epoch | epoch start | `prepare_beacon_proposer`, `register_validator` (builder), subnet subscriptions |
//!
//! Duties are fetched for the current and next epoch and fetched again when their dependent
//! root changes. Sync committee duties at slot `s` are those of the epoch of `s + 1` (the
//! block that includes the message verifies it against its own sync committee). A validator
//! aggregates only if the selection proof the node returns selects it (a distributed-validator
//! node returns the cluster's aggregated proof; a plain beacon node answers 501/404 and the
//! client's own proof decides). Signature batches are made on the blocking pool. Every duty runs in its own task with its slot's end as deadline; failures are
//! logged (never with secrets) and counted in [`VcStats`]. A [`SigningGuard`] is asked before
//! every block and attestation signature.

mod attest;
mod blocks;
mod chain;
mod client;
mod config;
mod duties;
mod epoch;
mod error;
mod guard;
mod head;
mod keys;
mod propose;
mod selection;
mod stats;
mod sync;

pub use client::ValidatorClient;
pub use config::{DutySelection, VcConfig, DEFAULT_GAS_LIMIT};
pub use error::VcError;
pub use guard::{AttestationToSign, GuardRefusal, NoGuard, SigningGuard};
pub use stats::{DutyCounts, DutyKind, VcStats};

use std::future::Future;
use std::sync::Arc;

use mosaic_types::consensus::Preset;

/// Starts a [`ValidatorClient`] for `config` and runs it until `shutdown` completes
/// (`ValidatorClient::new` then `ValidatorClient::run`).
pub async fn run<P: Preset>(
    config: VcConfig,
    guard: Arc<dyn SigningGuard>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), VcError> {
    ValidatorClient::<P>::new(config, guard)
        .await?
        .run(shutdown)
        .await
}
