//! Endpoints forwarded to the beacon node with public keys rewritten: duties (DV → share in
//! answers) and validator queries (share → DV in requests, DV → share in answers).

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::Method;
use axum::response::Response;
use mosaic_beacon::{
    AttesterDuty, DutiesResponse, ProposerDuty, StateResponse, SyncDutiesResponse, ValidatorData,
};
use mosaic_types::consensus::Preset;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::app::AppState;
use crate::backend::Backend;
use crate::encoding::{self, require_json_body};
use crate::error::ApiError;
use crate::keys::KeyMap;

/// Largest request body forwarded by these handlers.
const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// The path and query of a request.
fn path_and_query(request: &Request) -> String {
    request.uri().path_and_query().map_or_else(
        || request.uri().path().to_owned(),
        |pq| pq.as_str().to_owned(),
    )
}

async fn body_of(request: Request) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(request.into_body(), BODY_LIMIT)
        .await
        .map_err(|error| ApiError::bad_request(format!("request body: {error}")))
}

/// Forwards `request` (JSON) and rewrites the 2xx answer with `rewrite`; other answers pass
/// through unchanged.
async fn forward<P, B, T>(
    state: &AppState<P, B>,
    method: Method,
    target: &str,
    body: Option<Bytes>,
    rewrite: impl FnOnce(&mut T, &KeyMap),
) -> Result<Response, ApiError>
where
    P: Preset,
    B: Backend<P>,
    T: DeserializeOwned + serde::Serialize,
{
    match state.upstream.json(method, target, body).await? {
        Ok(bytes) => {
            let mut answer: T = serde_json::from_slice(&bytes).map_err(|error| {
                ApiError::bad_gateway(format!(
                    "beacon node answer to {target} does not decode: {error}"
                ))
            })?;
            rewrite(&mut answer, &state.keys);
            encoding::json(&answer)
        }
        Err(upstream_error) => Ok(upstream_error),
    }
}

/// `POST /eth/v1/validator/duties/attester/{epoch}`.
pub(crate) async fn attester_duties<P: Preset, B: Backend<P>>(
    state: AppState<P, B>,
    request: Request,
) -> Result<Response, ApiError> {
    require_json_body(request.headers(), "attester duty request")?;
    let target = path_and_query(&request);
    let body = body_of(request).await?;
    forward(
        &state,
        Method::POST,
        &target,
        Some(body),
        |answer: &mut DutiesResponse<AttesterDuty>, keys| {
            for duty in &mut answer.data {
                duty.pubkey = keys.to_share(duty.pubkey);
            }
        },
    )
    .await
}

/// `GET /eth/v1/validator/duties/proposer/{epoch}` (other validators' duties pass unchanged).
pub(crate) async fn proposer_duties<P: Preset, B: Backend<P>>(
    state: AppState<P, B>,
    request: Request,
) -> Result<Response, ApiError> {
    let target = path_and_query(&request);
    forward(
        &state,
        Method::GET,
        &target,
        None,
        |answer: &mut DutiesResponse<ProposerDuty>, keys| {
            for duty in &mut answer.data {
                duty.pubkey = keys.to_share(duty.pubkey);
            }
        },
    )
    .await
}

/// `POST /eth/v1/validator/duties/sync/{epoch}`.
pub(crate) async fn sync_duties<P: Preset, B: Backend<P>>(
    state: AppState<P, B>,
    request: Request,
) -> Result<Response, ApiError> {
    require_json_body(request.headers(), "sync duty request")?;
    let target = path_and_query(&request);
    let body = body_of(request).await?;
    forward(
        &state,
        Method::POST,
        &target,
        Some(body),
        |answer: &mut SyncDutiesResponse, keys| {
            for duty in &mut answer.data {
                duty.pubkey = keys.to_share(duty.pubkey);
            }
        },
    )
    .await
}

/// Decodes `%XX` escapes (ids are hex, decimal and commas, so nothing else matters).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escaped = (bytes[index] == b'%')
            .then(|| text.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                index += 3;
            }
            None => {
                out.push(if bytes[index] == b'+' {
                    b' '
                } else {
                    bytes[index]
                });
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A comma-separated id list with every public share replaced by its DV key.
fn rewrite_id_list(ids: &str, keys: &KeyMap) -> String {
    ids.split(',')
        .map(|id| keys.hex_to_dv(id.trim()))
        .collect::<Vec<_>>()
        .join(",")
}

/// The query string with the values of `id` parameters rewritten share → DV.
fn rewrite_id_query(query: &str, keys: &KeyMap) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) if name == "id" || name == "id[]" || name == "id%5B%5D" => {
                format!("{name}={}", rewrite_id_list(&percent_decode(value), keys))
            }
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn validators_to_shares(answer: &mut StateResponse<Vec<ValidatorData>>, keys: &KeyMap) {
    for validator in &mut answer.data {
        validator.validator.pubkey = keys.to_share(validator.validator.pubkey);
    }
}

/// `GET /eth/v1/beacon/states/{state_id}/validators`.
pub(crate) async fn get_validators<P: Preset, B: Backend<P>>(
    state: AppState<P, B>,
    request: Request,
) -> Result<Response, ApiError> {
    let target = match request.uri().query() {
        Some(query) => format!(
            "{}?{}",
            request.uri().path(),
            rewrite_id_query(query, &state.keys)
        ),
        None => request.uri().path().to_owned(),
    };
    forward(&state, Method::GET, &target, None, validators_to_shares).await
}

/// `POST /eth/v1/beacon/states/{state_id}/validators` (`{"ids": [...], "statuses": [...]}`).
pub(crate) async fn post_validators<P: Preset, B: Backend<P>>(
    state: AppState<P, B>,
    request: Request,
) -> Result<Response, ApiError> {
    require_json_body(request.headers(), "validator query")?;
    let target = path_and_query(&request);
    let body = body_of(request).await?;
    let body = if body.is_empty() {
        body
    } else {
        let mut query: Value = encoding::parse_json(&body, "validator query")?;
        if let Some(ids) = query.get_mut("ids").and_then(Value::as_array_mut) {
            for id in ids {
                if let Value::String(text) = id {
                    *text = state.keys.hex_to_dv(text);
                }
            }
        }
        Bytes::from(serde_json::to_vec(&query).map_err(|e| ApiError::internal(e.to_string()))?)
    };
    forward(
        &state,
        Method::POST,
        &target,
        Some(body),
        validators_to_shares,
    )
    .await
}

/// `GET /eth/v1/beacon/states/{state_id}/validators/{validator_id}`.
pub(crate) async fn get_validator<P: Preset, B: Backend<P>>(
    state: AppState<P, B>,
    request: Request,
) -> Result<Response, ApiError> {
    let path = request.uri().path();
    let (prefix, id) = path.rsplit_once('/').unwrap_or(("", path));
    let mut target = format!("{prefix}/{}", state.keys.hex_to_dv(&percent_decode(id)));
    if let Some(query) = request.uri().query() {
        target = format!("{target}?{query}");
    }
    forward(
        &state,
        Method::GET,
        &target,
        None,
        |answer: &mut StateResponse<ValidatorData>, keys| {
            answer.data.validator.pubkey = keys.to_share(answer.data.validator.pubkey);
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use mosaic_crypto::bls::SecretKey;

    use super::*;

    #[test]
    fn id_queries_rewrite_only_shares() {
        let dv = SecretKey::from_bytes(&[1; 32]).unwrap().public_key();
        let share = SecretKey::from_bytes(&[2; 32]).unwrap().public_key();
        let keys = KeyMap::new([(dv, share)]).unwrap();
        let query = format!("id={}%2C5&status=active&id=7", share.to_hex());
        assert_eq!(
            rewrite_id_query(&query, &keys),
            format!("id={},5&status=active&id=7", dv.to_hex())
        );
        assert_eq!(rewrite_id_query("status=active", &keys), "status=active");
        assert_eq!(percent_decode("a%2cb%zz"), "a,b%zz");
    }
}
