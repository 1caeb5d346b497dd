//! The routes: intercepted endpoints (other methods on their paths are proxied), everything
//! else proxied.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use mosaic_types::consensus::Preset;

use crate::app::App;
use crate::backend::Backend;
use crate::handlers::{attestation, proposal, rewrite, selections, submissions, sync};
use crate::proxy::proxy;

/// Largest request body (JSON blocks with blobs run to several MiB).
const BODY_LIMIT: usize = 64 * 1024 * 1024;

/// Tells the backend a validator client is connected.
async fn seen<P: Preset, B: Backend<P>>(
    State(app): State<Arc<App<P, B>>>,
    request: Request,
    next: Next,
) -> Response {
    app.backend.validator_client_seen();
    next.run(request).await
}

/// The endpoints of aggregation duties.
const AGGREGATION_PATHS: [&str; 8] = [
    "/eth/v1/validator/aggregate_attestation",
    "/eth/v2/validator/aggregate_attestation",
    "/eth/v1/validator/aggregate_and_proofs",
    "/eth/v2/validator/aggregate_and_proofs",
    "/eth/v1/validator/sync_committee_contribution",
    "/eth/v1/validator/contribution_and_proofs",
    "/eth/v1/validator/beacon_committee_selections",
    "/eth/v1/validator/sync_committee_selections",
];

/// Refuses the aggregation endpoints when the node aggregates elsewhere
/// ([`crate::VapiConfig::aggregation_elsewhere`]).
async fn aggregation_gate<P: Preset, B: Backend<P>>(
    State(app): State<Arc<App<P, B>>>,
    request: Request,
    next: Next,
) -> Response {
    if app.aggregation_elsewhere && AGGREGATION_PATHS.contains(&request.uri().path()) {
        return crate::error::ApiError::bad_request(
            "this node performs the aggregation duties with its own validator client (mosaic \
             run --builtin-aggregator): a validator client without distributed mode cannot \
             aggregate for a distributed validator",
        )
        .into_response();
    }
    next.run(request).await
}

/// The router of the validator API.
pub(crate) fn router<P: Preset, B: Backend<P>>(app: Arc<App<P, B>>) -> Router {
    let with_proxy = |route: MethodRouter<Arc<App<P, B>>>| route.fallback(proxy::<P, B>);
    Router::new()
        .route(
            "/eth/v1/validator/attestation_data",
            with_proxy(get(attestation::attestation_data::<P, B>)),
        )
        .route(
            "/eth/v1/beacon/pool/attestations",
            with_proxy(post(attestation::submit_attestations_v1::<P, B>)),
        )
        .route(
            "/eth/v2/beacon/pool/attestations",
            with_proxy(post(attestation::submit_attestations_v2::<P, B>)),
        )
        .route(
            "/eth/v1/validator/aggregate_attestation",
            with_proxy(get(attestation::aggregate_attestation_v1::<P, B>)),
        )
        .route(
            "/eth/v2/validator/aggregate_attestation",
            with_proxy(get(attestation::aggregate_attestation_v2::<P, B>)),
        )
        .route(
            "/eth/v1/validator/aggregate_and_proofs",
            with_proxy(post(attestation::aggregate_and_proofs_v1::<P, B>)),
        )
        .route(
            "/eth/v2/validator/aggregate_and_proofs",
            with_proxy(post(attestation::aggregate_and_proofs_v2::<P, B>)),
        )
        .route(
            "/eth/v2/validator/blocks/{slot}",
            with_proxy(get(proposal::produce_v2::<P, B>)),
        )
        .route(
            "/eth/v3/validator/blocks/{slot}",
            with_proxy(get(proposal::produce_v3::<P, B>)),
        )
        .route(
            "/eth/v1/validator/blinded_blocks/{slot}",
            with_proxy(get(proposal::produce_blinded::<P, B>)),
        )
        .route(
            "/eth/v1/beacon/blocks",
            with_proxy(post(proposal::publish_block::<P, B>)),
        )
        .route(
            "/eth/v2/beacon/blocks",
            with_proxy(post(proposal::publish_block::<P, B>)),
        )
        .route(
            "/eth/v1/beacon/blinded_blocks",
            with_proxy(post(proposal::publish_blinded_block::<P, B>)),
        )
        .route(
            "/eth/v2/beacon/blinded_blocks",
            with_proxy(post(proposal::publish_blinded_block::<P, B>)),
        )
        .route(
            "/eth/v1/beacon/pool/sync_committees",
            with_proxy(post(sync::submit_sync_messages::<P, B>)),
        )
        .route(
            "/eth/v1/validator/sync_committee_contribution",
            with_proxy(get(sync::sync_contribution::<P, B>)),
        )
        .route(
            "/eth/v1/validator/contribution_and_proofs",
            with_proxy(post(sync::contribution_and_proofs::<P, B>)),
        )
        .route(
            "/eth/v1/validator/beacon_committee_selections",
            with_proxy(post(selections::beacon_committee_selections::<P, B>)),
        )
        .route(
            "/eth/v1/validator/sync_committee_selections",
            with_proxy(post(selections::sync_committee_selections::<P, B>)),
        )
        .route(
            "/eth/v1/beacon/pool/voluntary_exits",
            with_proxy(post(submissions::voluntary_exit::<P, B>)),
        )
        .route(
            "/eth/v1/validator/register_validator",
            with_proxy(post(submissions::register_validator::<P, B>)),
        )
        .route(
            "/eth/v1/validator/duties/attester/{epoch}",
            with_proxy(post(rewrite::attester_duties::<P, B>)),
        )
        .route(
            "/eth/v1/validator/duties/proposer/{epoch}",
            with_proxy(get(rewrite::proposer_duties::<P, B>)),
        )
        .route(
            "/eth/v1/validator/duties/sync/{epoch}",
            with_proxy(post(rewrite::sync_duties::<P, B>)),
        )
        .route(
            "/eth/v1/beacon/states/{state_id}/validators",
            with_proxy(get(rewrite::get_validators::<P, B>).post(rewrite::post_validators::<P, B>)),
        )
        .route(
            "/eth/v1/beacon/states/{state_id}/validators/{validator_id}",
            with_proxy(get(rewrite::get_validator::<P, B>)),
        )
        .fallback(proxy::<P, B>)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(
            app.clone(),
            aggregation_gate::<P, B>,
        ))
        .layer(middleware::from_fn_with_state(app.clone(), seen::<P, B>))
        .with_state(app)
}
