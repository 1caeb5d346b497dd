//! Deterministic protobuf encoding, byte-identical to Go's
//! `proto.MarshalOptions{Deterministic: true}` for the DV protos.
//!
//! Three rules make the encoding canonical (spec: `docs/dv-spec/hashing.md`):
//! fields in ascending field-number order; map entries in ascending key order;
//! a singular scalar equal to its zero value is omitted, but a map entry's key
//! and value, an embedded message that is present, and a `oneof` member are
//! always emitted, even when empty. `prost` omits empty map keys and values, so
//! it cannot be used for anything that is hashed.

use crate::pb;

const WIRE_VARINT: u64 = 0;
const WIRE_LEN: u64 = 2;

/// Type URL of `google.protobuf.Value`, which the priority protocol wraps strings in.
pub const VALUE_TYPE_URL: &str = "type.googleapis.com/google.protobuf.Value";

/// A message with a Go-compatible deterministic protobuf encoding.
pub trait DeterministicEncode {
    /// Appends the deterministic encoding of `self` to `out`.
    fn encode_deterministic(&self, out: &mut Vec<u8>);

    /// Returns the deterministic encoding of `self`.
    fn to_deterministic_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_deterministic(&mut out);
        out
    }
}

/// Appends `value` as a base-128 varint.
pub fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn put_tag(out: &mut Vec<u8>, field: u32, wire_type: u64) {
    put_varint(out, (u64::from(field) << 3) | wire_type);
}

/// Appends a singular varint field, omitted when zero.
pub fn put_uint_field(out: &mut Vec<u8>, field: u32, value: u64) {
    if value != 0 {
        put_tag(out, field, WIRE_VARINT);
        put_varint(out, value);
    }
}

/// Appends a singular `int64` field (negative values take ten bytes), omitted when zero.
pub fn put_int64_field(out: &mut Vec<u8>, field: u32, value: i64) {
    put_uint_field(out, field, value as u64);
}

/// Appends a singular `int32` field, sign-extended to 64 bits as Go does, omitted when zero.
pub fn put_int32_field(out: &mut Vec<u8>, field: u32, value: i32) {
    put_uint_field(out, field, i64::from(value) as u64);
}

/// Appends a length-delimited field unconditionally, even when `payload` is empty.
pub fn put_len_field(out: &mut Vec<u8>, field: u32, payload: &[u8]) {
    put_tag(out, field, WIRE_LEN);
    put_varint(out, payload.len() as u64);
    out.extend_from_slice(payload);
}

/// Appends a singular `bytes`/`string` field, omitted when empty.
pub fn put_bytes_field(out: &mut Vec<u8>, field: u32, value: &[u8]) {
    if !value.is_empty() {
        put_len_field(out, field, value);
    }
}

/// Appends an embedded message field when present (even if its encoding is empty).
pub fn put_message_field<M: DeterministicEncode>(out: &mut Vec<u8>, field: u32, msg: Option<&M>) {
    if let Some(msg) = msg {
        put_len_field(out, field, &msg.to_deterministic_bytes());
    }
}

impl DeterministicEncode for pb::Duty {
    fn encode_deterministic(&self, out: &mut Vec<u8>) {
        put_uint_field(out, 1, self.slot);
        put_int32_field(out, 2, self.r#type);
    }
}

impl DeterministicEncode for pb::UnsignedDataSet {
    fn encode_deterministic(&self, out: &mut Vec<u8>) {
        // BTreeMap<String, _> iterates in byte order of the keys, as Go sorts strings.
        for (key, value) in &self.set {
            let mut entry = Vec::with_capacity(key.len() + value.len() + 8);
            put_len_field(&mut entry, 1, key.as_bytes());
            put_len_field(&mut entry, 2, value);
            put_len_field(out, 1, &entry);
        }
    }
}

impl DeterministicEncode for pb::ParSignedData {
    fn encode_deterministic(&self, out: &mut Vec<u8>) {
        put_bytes_field(out, 1, &self.data);
        put_bytes_field(out, 2, &self.signature);
        put_int32_field(out, 3, self.share_idx);
    }
}

impl DeterministicEncode for pb::ParSignedDataSet {
    fn encode_deterministic(&self, out: &mut Vec<u8>) {
        for (key, value) in &self.set {
            let mut entry = Vec::new();
            put_len_field(&mut entry, 1, key.as_bytes());
            put_len_field(&mut entry, 2, &value.to_deterministic_bytes());
            put_len_field(out, 1, &entry);
        }
    }
}

impl DeterministicEncode for pb::Any {
    fn encode_deterministic(&self, out: &mut Vec<u8>) {
        // Go emits an Any's value bytes verbatim; it does not re-encode the inner message.
        put_bytes_field(out, 1, self.type_url.as_bytes());
        put_bytes_field(out, 2, &self.value);
    }
}

/// Encodes a `QBFTMsg`, with or without field 8 (`signature`).
///
/// Excluding the signature gives the bytes the signing root is computed over.
/// Fields 5, 7, 9 and 10 are reserved and never emitted. Every field is encoded
/// exactly as decoded: an empty hash field is omitted, a 32-byte zero hash is not.
pub fn encode_qbft_msg(msg: &pb::QbftMsg, include_signature: bool, out: &mut Vec<u8>) {
    put_int64_field(out, 1, msg.r#type);
    put_message_field(out, 2, msg.duty.as_ref());
    put_int64_field(out, 3, msg.peer_idx);
    put_int64_field(out, 4, msg.round);
    put_int64_field(out, 6, msg.prepared_round);
    if include_signature {
        put_bytes_field(out, 8, &msg.signature);
    }
    put_bytes_field(out, 11, &msg.value_hash);
    put_bytes_field(out, 12, &msg.prepared_value_hash);
}

impl DeterministicEncode for pb::QbftMsg {
    fn encode_deterministic(&self, out: &mut Vec<u8>) {
        encode_qbft_msg(self, true, out);
    }
}

impl DeterministicEncode for pb::QbftConsensusMsg {
    fn encode_deterministic(&self, out: &mut Vec<u8>) {
        put_message_field(out, 1, self.msg.as_ref());
        for j in &self.justification {
            put_len_field(out, 2, &j.to_deterministic_bytes());
        }
        for v in &self.values {
            put_len_field(out, 3, &v.to_deterministic_bytes());
        }
    }
}

impl DeterministicEncode for pb::PriorityTopicProposal {
    fn encode_deterministic(&self, out: &mut Vec<u8>) {
        put_message_field(out, 1, self.topic.as_ref());
        for p in &self.priorities {
            put_len_field(out, 2, &p.to_deterministic_bytes());
        }
    }
}

impl DeterministicEncode for pb::PriorityMsg {
    fn encode_deterministic(&self, out: &mut Vec<u8>) {
        put_message_field(out, 1, self.duty.as_ref());
        for t in &self.topics {
            put_len_field(out, 2, &t.to_deterministic_bytes());
        }
        put_bytes_field(out, 3, self.peer_id.as_bytes());
        put_bytes_field(out, 4, &self.signature);
    }
}

impl DeterministicEncode for pb::PriorityScoredResult {
    fn encode_deterministic(&self, out: &mut Vec<u8>) {
        put_message_field(out, 1, self.priority.as_ref());
        put_int64_field(out, 2, self.score);
    }
}

impl DeterministicEncode for pb::PriorityTopicResult {
    fn encode_deterministic(&self, out: &mut Vec<u8>) {
        put_message_field(out, 1, self.topic.as_ref());
        for p in &self.priorities {
            put_len_field(out, 2, &p.to_deterministic_bytes());
        }
    }
}

impl DeterministicEncode for pb::PriorityResult {
    fn encode_deterministic(&self, out: &mut Vec<u8>) {
        for m in &self.msgs {
            put_len_field(out, 1, &m.to_deterministic_bytes());
        }
        for t in &self.topics {
            put_len_field(out, 2, &t.to_deterministic_bytes());
        }
    }
}

/// Encodes a `google.protobuf.Value` holding `string_value` (field 3 of its `kind`
/// oneof; a oneof member is emitted even when the string is empty).
pub fn encode_string_value(value: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 2);
    put_len_field(&mut out, 3, value.as_bytes());
    out
}

/// Wraps a string the way the priority protocol does: an `Any` holding a
/// `google.protobuf.Value` string.
pub fn any_string(value: &str) -> pb::Any {
    pb::Any {
        type_url: VALUE_TYPE_URL.to_owned(),
        value: encode_string_value(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_match_go() {
        let mut out = Vec::new();
        put_varint(&mut out, u64::MAX);
        assert_eq!(hex::encode(&out), "ffffffffffffffffff01");
        let mut out = Vec::new();
        put_int64_field(&mut out, 1, -1);
        assert_eq!(
            out.len(),
            11,
            "negative int64 occupies ten bytes plus the tag"
        );
        let mut out = Vec::new();
        put_int32_field(&mut out, 1, -1);
        assert_eq!(out.len(), 11, "negative int32 is sign-extended like Go");
    }

    #[test]
    fn zero_scalars_are_omitted_but_present_messages_are_not() {
        let duty = pb::Duty { slot: 0, r#type: 0 };
        assert!(duty.to_deterministic_bytes().is_empty());
        let msg = pb::QbftMsg {
            duty: Some(duty),
            ..Default::default()
        };
        assert_eq!(msg.to_deterministic_bytes(), vec![0x12, 0x00]);
        assert!(pb::QbftMsg::default().to_deterministic_bytes().is_empty());
    }

    #[test]
    fn empty_map_entry_key_and_value_are_emitted() {
        let mut set = pb::UnsignedDataSet::default();
        set.set.insert(String::new(), Vec::new());
        assert_eq!(hex::encode(set.to_deterministic_bytes()), "0a040a001200");
    }
}
