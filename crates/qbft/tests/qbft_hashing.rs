//! Conformance: `obol-dv-spec/qbft_hashing.json` (deterministic encodings and hash roots).

use mosaic_qbft::encoding::{any_string, DeterministicEncode};
use mosaic_qbft::hashing::hash_proto;
use mosaic_qbft::{pb, signing, value};
use serde_json::Value;

fn suite() -> Option<Value> {
    mosaic_test_vectors::load_json("obol-dv-spec/qbft_hashing.json")
}

fn cases<'a>(suite: &'a Value, group: &str, expected: usize) -> &'a [Value] {
    let cases = suite[group].as_array().expect("group array");
    assert_eq!(cases.len(), expected, "case count of {group}");
    cases
}

fn unhex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("valid hex")
}

fn check(name: &str, encoding: &[u8], hash: [u8; 32], case: &Value) {
    assert_eq!(
        hex::encode(encoding),
        case["encoding_hex"].as_str().expect("encoding"),
        "{name}: encoding"
    );
    assert_eq!(
        hex::encode(hash),
        case["hash_hex"].as_str().expect("hash"),
        "{name}: hash"
    );
}

#[test]
fn duty() {
    let Some(suite) = suite() else { return };
    for case in cases(&suite, "duty", 3) {
        let input = &case["input"];
        let duty = pb::Duty {
            slot: input["slot"].as_u64().expect("slot"),
            r#type: i32::try_from(input["type"].as_i64().expect("type")).expect("i32"),
        };
        check(
            case["name"].as_str().expect("name"),
            &duty.to_deterministic_bytes(),
            hash_proto(&duty),
            case,
        );
    }
}

#[test]
fn unsigned_data_set() {
    let Some(suite) = suite() else { return };
    for case in cases(&suite, "unsigned_data_set", 12) {
        let name = case["name"].as_str().expect("name");
        let mut set = pb::UnsignedDataSet::default();
        for (key, val) in case["input"]["set"].as_object().expect("set") {
            set.set.insert(key.clone(), unhex(val));
        }
        check(name, &set.to_deterministic_bytes(), hash_proto(&set), case);
        // The consensus convention hashes the inner message of the Any.
        let (any, hash) = value::wrap_unsigned_data_set(&set);
        assert_eq!(
            hex::encode(hash),
            case["hash_hex"].as_str().expect("hash"),
            "{name}: wrapped"
        );
        assert_eq!(
            value::consensus_value_hash(&any),
            Ok(hash),
            "{name}: rehash"
        );
    }
}

fn hash32(v: &Value) -> Vec<u8> {
    let bytes = unhex(v);
    assert_eq!(bytes.len(), 32);
    bytes
}

#[test]
fn qbft_signing_root() {
    let Some(suite) = suite() else { return };
    for case in cases(&suite, "qbft_signing_root", 6) {
        let name = case["name"].as_str().expect("name");
        let input = &case["input"];
        let msg = pb::QbftMsg {
            r#type: input["type"].as_i64().expect("type"),
            duty: Some(pb::Duty {
                slot: input["slot"].as_u64().expect("slot"),
                r#type: i32::try_from(input["duty_type"].as_i64().expect("duty type"))
                    .expect("i32"),
            }),
            peer_idx: input["peer_idx"].as_i64().expect("peer"),
            round: input["round"].as_i64().expect("round"),
            prepared_round: input["prepared_round"].as_i64().expect("pr"),
            signature: if input["signature"].is_null() {
                Vec::new()
            } else {
                unhex(&input["signature"])
            },
            value_hash: hash32(&input["value_hash"]),
            prepared_value_hash: hash32(&input["prepared_value_hash"]),
        };
        let mut unsigned = msg.clone();
        unsigned.signature.clear();
        check(
            name,
            &unsigned.to_deterministic_bytes(),
            signing::signing_root(&msg),
            case,
        );
    }
}

#[test]
fn any_string_priority_convention() {
    let Some(suite) = suite() else { return };
    for case in cases(&suite, "any_string", 4) {
        let s = case["input"]["string_value"].as_str().expect("string");
        let any = any_string(s);
        check(
            case["name"].as_str().expect("name"),
            &any.to_deterministic_bytes(),
            value::priority_hash(&any),
            case,
        );
        assert_eq!(value::priority_string_hash(s), value::priority_hash(&any));
    }
}
