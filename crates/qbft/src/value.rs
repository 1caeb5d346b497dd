//! Consensus values and the two `Any` conventions.
//!
//! **Consensus** (`core/consensus/qbft`): a value travels as an `Any`, but its
//! hash is the hash root of the *inner* message's deterministic encoding. The
//! inner message is decoded by type URL and re-encoded, because a Go sender
//! builds the `Any` with a non-deterministic marshal (map order varies).
//!
//! **Priority** (`core/priority`): topics and priorities are hashed as the `Any`
//! itself, type URL included (see [`priority_hash`]).

use prost::Message;

use crate::encoding::{any_string, DeterministicEncode};
use crate::hashing::{hash_proto, Hash};
use crate::pb;

/// Type URL of an `UnsignedDataSet`, the consensus value of beacon duties.
pub const UNSIGNED_DATA_SET_TYPE_URL: &str = "type.googleapis.com/core.corepb.v1.UnsignedDataSet";
/// Type URL of a `PriorityResult`, the consensus value of the priority protocol.
pub const PRIORITY_RESULT_TYPE_URL: &str = "type.googleapis.com/core.corepb.v1.PriorityResult";
/// Type URL of a `ParSignedDataSet`.
pub const PAR_SIGNED_DATA_SET_TYPE_URL: &str =
    "type.googleapis.com/core.corepb.v1.ParSignedDataSet";

/// Why a consensus value could not be hashed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// The `Any` names a type that is not a consensus value.
    #[error("consensus value has unsupported type URL {type_url:?}")]
    UnsupportedType {
        /// The offending type URL.
        type_url: String,
    },
    /// The `Any`'s bytes do not decode as the named type.
    #[error("consensus value of type {type_url:?} does not decode: {reason}")]
    Malformed {
        /// The type URL the value claimed.
        type_url: String,
        /// The decoder's message.
        reason: String,
    },
}

fn canonical<M: Message + Default + DeterministicEncode>(
    any: &pb::Any,
) -> Result<Hash, ValueError> {
    let inner = M::decode(any.value.as_slice()).map_err(|e| ValueError::Malformed {
        type_url: any.type_url.clone(),
        reason: e.to_string(),
    })?;
    Ok(hash_proto(&inner))
}

/// Returns the consensus hash of an `Any`-wrapped value: the hash root of the
/// inner message's deterministic encoding (never of the `Any`).
pub fn consensus_value_hash(any: &pb::Any) -> Result<Hash, ValueError> {
    match any.type_url.as_str() {
        UNSIGNED_DATA_SET_TYPE_URL => canonical::<pb::UnsignedDataSet>(any),
        PRIORITY_RESULT_TYPE_URL => canonical::<pb::PriorityResult>(any),
        PAR_SIGNED_DATA_SET_TYPE_URL => canonical::<pb::ParSignedDataSet>(any),
        other => Err(ValueError::UnsupportedType {
            type_url: other.to_owned(),
        }),
    }
}

fn wrap<M: DeterministicEncode>(type_url: &str, msg: &M) -> (pb::Any, Hash) {
    let value = msg.to_deterministic_bytes();
    let hash = crate::hashing::hash_proto_bytes(&value);
    (
        pb::Any {
            type_url: type_url.to_owned(),
            value,
        },
        hash,
    )
}

/// Wraps an `UnsignedDataSet` as a consensus value, returning it and its hash.
pub fn wrap_unsigned_data_set(set: &pb::UnsignedDataSet) -> (pb::Any, Hash) {
    wrap(UNSIGNED_DATA_SET_TYPE_URL, set)
}

/// Wraps a `PriorityResult` as a consensus value, returning it and its hash.
pub fn wrap_priority_result(result: &pb::PriorityResult) -> (pb::Any, Hash) {
    wrap(PRIORITY_RESULT_TYPE_URL, result)
}

/// Returns the priority-protocol hash of an `Any`: the hash root of the `Any`
/// itself, type URL included.
pub fn priority_hash(any: &pb::Any) -> Hash {
    hash_proto(any)
}

/// Returns the priority-protocol hash of a string topic or priority.
pub fn priority_string_hash(value: &str) -> Hash {
    priority_hash(&any_string(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consensus_hash_ignores_sender_map_order() {
        let mut set = pb::UnsignedDataSet::default();
        set.set.insert("0xbb".into(), vec![2]);
        set.set.insert("0xaa".into(), vec![1]);
        let (any, hash) = wrap_unsigned_data_set(&set);
        // Re-encode the entries in reverse order, as a Go sender might.
        let mut reversed = Vec::new();
        for (k, v) in set.set.iter().rev() {
            let mut entry = Vec::new();
            crate::encoding::put_len_field(&mut entry, 1, k.as_bytes());
            crate::encoding::put_len_field(&mut entry, 2, v);
            crate::encoding::put_len_field(&mut reversed, 1, &entry);
        }
        assert_ne!(reversed, any.value);
        let shuffled = pb::Any {
            type_url: any.type_url.clone(),
            value: reversed,
        };
        assert_eq!(consensus_value_hash(&shuffled), Ok(hash));
        assert_eq!(consensus_value_hash(&any), Ok(hash));
    }

    #[test]
    fn consensus_hash_rejects_unknown_and_malformed() {
        let unknown = pb::Any {
            type_url: "type.googleapis.com/x.Y".into(),
            value: vec![],
        };
        assert!(matches!(
            consensus_value_hash(&unknown),
            Err(ValueError::UnsupportedType { .. })
        ));
        let bad = pb::Any {
            type_url: UNSIGNED_DATA_SET_TYPE_URL.into(),
            value: vec![0x0a, 0x05],
        };
        assert!(matches!(
            consensus_value_hash(&bad),
            Err(ValueError::Malformed { .. })
        ));
    }

    #[test]
    fn the_two_conventions_differ() {
        let (any, consensus) = wrap_unsigned_data_set(&pb::UnsignedDataSet::default());
        assert_ne!(priority_hash(&any), consensus);
    }
}
