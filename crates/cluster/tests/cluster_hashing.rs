//! Conformance: every case of `obol-dv-spec/cluster_hashing.json` (config, definition and lock
//! hashes of Charon-written v1.10 files), plus JSON round trips of each input.

use mosaic_cluster::{Definition, Lock};
use serde_json::Value;

fn cases(section: &str) -> Vec<Value> {
    let Some(v) = mosaic_test_vectors::load_json("obol-dv-spec/cluster_hashing.json") else {
        return Vec::new();
    };
    v[section].as_array().expect("section array").clone()
}

fn input_bytes(case: &Value) -> Vec<u8> {
    serde_json::to_vec(&case["input"]).expect("serialize input")
}

#[test]
fn definition_hashes_match_every_case() {
    let cases = cases("definition");
    for case in &cases {
        let name = case["name"].as_str().expect("name");
        let def = Definition::from_json(&input_bytes(case), name).expect("parse definition");
        let config = def.compute_config_hash().expect("config hash");
        let definition = def.compute_definition_hash().expect("definition hash");
        assert_eq!(
            hex::encode(config),
            case["config_hash"].as_str().expect("hex"),
            "{name}: config_hash"
        );
        assert_eq!(
            hex::encode(definition),
            case["definition_hash"].as_str().expect("hex"),
            "{name}: definition_hash"
        );
        assert_eq!(
            def.config_hash,
            config.to_vec(),
            "{name}: stored config hash"
        );
        assert_eq!(
            def.definition_hash,
            definition.to_vec(),
            "{name}: stored definition hash"
        );
        assert!(def.verify_hashes().is_ok(), "{name}: verify_hashes");
    }
    if !cases.is_empty() {
        assert_eq!(cases.len(), 6);
    }
}

#[test]
fn lock_hashes_match_every_case() {
    let cases = cases("lock");
    for case in &cases {
        let name = case["name"].as_str().expect("name");
        let lock = Lock::from_json(&input_bytes(case), name).expect("parse lock");
        let hash = lock.compute_lock_hash().expect("lock hash");
        assert_eq!(
            hex::encode(hash),
            case["lock_hash"].as_str().expect("hex"),
            "{name}: lock_hash"
        );
        assert!(lock.verify_hashes().is_ok(), "{name}: verify_hashes");
    }
    if !cases.is_empty() {
        assert_eq!(cases.len(), 4);
    }
}

#[test]
fn written_json_is_the_input_and_is_stable() {
    for section in ["definition", "lock"] {
        for case in cases(section) {
            let name = case["name"].as_str().expect("name");
            let bytes = input_bytes(&case);
            let written = if section == "definition" {
                Definition::from_json(&bytes, name)
                    .expect("parse")
                    .to_json()
            } else {
                Lock::from_json(&bytes, name).expect("parse").to_json()
            };
            let reparsed: Value = serde_json::from_str(&written).expect("written JSON parses");
            assert_eq!(
                reparsed, case["input"],
                "{name}: written JSON differs from the input"
            );
            let again = if section == "definition" {
                Definition::from_json(written.as_bytes(), name)
                    .expect("parse")
                    .to_json()
            } else {
                Lock::from_json(written.as_bytes(), name)
                    .expect("parse")
                    .to_json()
            };
            assert_eq!(again, written, "{name}: second write differs");
        }
    }
}
