//! The intercepted endpoints, by duty.

pub(crate) mod attestation;
pub(crate) mod proposal;
pub(crate) mod rewrite;
pub(crate) mod selections;
pub(crate) mod submissions;
pub(crate) mod sync;

use axum::extract::rejection::QueryRejection;
use axum::extract::Query;
use mosaic_types::Slot;
use serde_json::Value;

use crate::error::ApiError;

/// The parsed query, or a 400 saying what is wrong with it.
pub(crate) fn query<T>(params: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    params
        .map(|Query(params)| params)
        .map_err(|rejection| ApiError::bad_request(rejection.body_text()))
}

/// The slot at `path` in a JSON object (a decimal string or a number).
pub(crate) fn slot_of_json(value: &Value, path: &[&str]) -> Result<Slot, ApiError> {
    let mut field = value;
    for key in path {
        field = field.get(key).unwrap_or(&Value::Null);
    }
    match field {
        Value::String(text) => text.parse().ok(),
        Value::Number(number) => number.as_u64(),
        _ => None,
    }
    .ok_or_else(|| ApiError::bad_request(format!("missing or invalid {}", path.join("."))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_is_read_from_strings_and_numbers() {
        let value = serde_json::json!({"data": {"slot": "12"}, "n": {"slot": 3}});
        assert_eq!(slot_of_json(&value, &["data", "slot"]).unwrap(), 12);
        assert_eq!(slot_of_json(&value, &["n", "slot"]).unwrap(), 3);
        assert!(slot_of_json(&value, &["message", "slot"]).is_err());
    }
}
