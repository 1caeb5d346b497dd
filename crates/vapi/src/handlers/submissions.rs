//! Voluntary exits and builder registrations.

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::response::Response;
use mosaic_core::signeddata::SignedData;
use mosaic_crypto::bls::PublicKey;
use mosaic_types::consensus::phase0::SignedVoluntaryExit;
use mosaic_types::consensus::Preset;
use mosaic_types::{BlsPubkey, SignedValidatorRegistrationV1};

use crate::app::AppState;
use crate::backend::Backend;
use crate::encoding::{self, parse_json, require_json_body};
use crate::error::ApiError;

/// `POST /eth/v1/beacon/pool/voluntary_exits`.
pub(crate) async fn voluntary_exit<P: Preset, B: Backend<P>>(
    state: AppState<P, B>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_json_body(&headers, "voluntary exit")?;
    let exit: SignedVoluntaryExit = parse_json(&body, "signed voluntary exit")?;
    let what = format!(
        "voluntary exit at epoch {} of validator index {}",
        exit.message.epoch, exit.message.validator_index
    );
    let dv = state.dv_by_index(exit.message.validator_index, &what)?;
    let data = SignedData::VoluntaryExit(exit);
    let verified = state
        .verify(vec![state.partial_check(&dv, &data, &what)?])
        .await?;
    state.submit(vec![(dv, data)], &verified).await?;
    Ok(encoding::ok())
}

/// `POST /eth/v1/validator/register_validator`: the validator client registers its share key.
/// The registration is rewritten to the DV key; a signature that is this node's partial over
/// the DV's registration is exchanged and combined like any duty. A validator client knows only
/// its share, so it may have signed the registration as it sent it (over its share key): such a
/// registration, checked against the share, is accepted and not used (the node submits the
/// lock's registrations, signed by the whole cluster at creation). Anything else is refused.
pub(crate) async fn register_validator<P: Preset, B: Backend<P>>(
    state: AppState<P, B>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_json_body(&headers, "validator registrations")?;
    let registrations: Vec<SignedValidatorRegistrationV1> =
        parse_json(&body, "validator registration list")?;
    let mut partials = Vec::with_capacity(registrations.len());
    let mut checks = Vec::with_capacity(registrations.len());
    let mut over_share = 0;
    for (position, registration) in registrations.into_iter().enumerate() {
        let share_hex = registration.message.pubkey.to_hex();
        let what = format!("validator registration {position} of {share_hex}");
        let dv = PublicKey::from_bytes(&registration.message.pubkey.0)
            .ok()
            .and_then(|share| state.keys.dv_of(&share).copied())
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "{what}: not a public share of this node's distributed validators"
                ))
            })?;
        let mut rewritten = registration;
        rewritten.message.pubkey = BlsPubkey(dv.to_bytes());
        let data = SignedData::BuilderRegistration(rewritten);
        if !state.holds(state.partial_check(&dv, &data, &what)?).await {
            let as_sent = SignedData::BuilderRegistration(registration);
            if state
                .holds(state.partial_check(&dv, &as_sent, &what)?)
                .await
            {
                over_share += 1;
                continue;
            }
            // Neither reading verifies: refused below, with the DV reading's failure.
            checks.push(state.partial_check(&dv, &data, &what)?);
        }
        partials.push((dv, data));
    }
    if over_share > 0 {
        tracing::debug!(
            count = over_share,
            "builder registrations signed over the share key: accepted, the lock's are used"
        );
    }
    // Only failing checks are left here (each registration was verified above); this refuses
    // the request naming the first.
    let verified = state.verify(checks).await?;
    state.submit(partials, &verified).await?;
    Ok(encoding::ok())
}
