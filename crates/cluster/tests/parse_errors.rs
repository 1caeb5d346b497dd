//! Rejections of malformed cluster files, each with a test one step inside the boundary.

use mosaic_cluster::{Definition, Error, Lock, Version};

fn minimal_def(version: &str, extra: &str) -> String {
    format!(
        r#"{{"name":"x","operators":null,"uuid":"U","version":"{version}","num_validators":1,"threshold":1,
        "validators":[{{"fee_recipient_address":"","withdrawal_address":""}}],"dkg_algorithm":"default",
        "fork_version":"0x00000000","config_hash":"0x","definition_hash":"0x"{extra}}}"#
    )
}

#[test]
fn malformed_json_names_the_file() {
    let err = Definition::from_json(b"{\"version\": ", "defs/broken.json").expect_err("must fail");
    assert!(matches!(err, Error::Json { .. }));
    assert!(
        err.to_string()
            .starts_with("defs/broken.json: malformed JSON"),
        "{err}"
    );
    assert!(Definition::from_json(minimal_def("v1.10.0", "").as_bytes(), "ok.json").is_ok());
}

#[test]
fn unknown_version_is_rejected_known_ones_accepted() {
    let err = Definition::from_json(minimal_def("v1.12.0", "").as_bytes(), "d.json")
        .expect_err("unknown");
    assert!(
        matches!(err, Error::UnknownVersion { ref version, .. } if version == "v1.12.0"),
        "{err}"
    );
    assert!(err.to_string().contains("`version`"), "{err}");
    for v in Version::ALL {
        if v >= Version::V1_5 {
            assert!(
                Definition::from_json(minimal_def(v.as_str(), "").as_bytes(), "d.json").is_ok(),
                "{v}"
            );
        }
    }
    let lock = br#"{"cluster_definition":{"version":"v0.9.0"}}"#;
    let err = Lock::from_json(lock, "lock.json").expect_err("unknown");
    assert!(
        err.to_string().contains("cluster_definition.version"),
        "{err}"
    );
}

#[test]
fn wrong_type_names_the_field() {
    let bad = minimal_def("v1.10.0", "").replace("\"threshold\":1", "\"threshold\":\"1\"");
    let err = Definition::from_json(bad.as_bytes(), "d.json").expect_err("string threshold");
    assert_eq!(
        err.to_string(),
        "d.json: field `threshold`: expected a number, found a string"
    );
    let neg = minimal_def("v1.10.0", "").replace("\"threshold\":1", "\"threshold\":-1");
    assert!(Definition::from_json(neg.as_bytes(), "d.json").is_err());
}

#[test]
fn validators_must_match_num_validators() {
    let bad = minimal_def("v1.10.0", "").replace("\"num_validators\":1", "\"num_validators\":2");
    let err = Definition::from_json(bad.as_bytes(), "d.json").expect_err("count mismatch");
    assert!(err.to_string().contains("field `validators`"), "{err}");
}

#[test]
fn deposit_amounts_are_checked() {
    let below = minimal_def(
        "v1.10.0",
        r#","deposit_amounts":["999999999","32000000000"]"#,
    );
    let err = Definition::from_json(below.as_bytes(), "d.json").expect_err("below 1 ETH");
    assert!(err.to_string().contains("deposit_amounts"), "{err}");
    let at_min = minimal_def(
        "v1.10.0",
        r#","deposit_amounts":["1000000000","31000000000"]"#,
    );
    assert!(Definition::from_json(at_min.as_bytes(), "d.json").is_ok());
    let over = minimal_def("v1.10.0", r#","deposit_amounts":["32000000001"]"#);
    assert!(Definition::from_json(over.as_bytes(), "d.json").is_err());
    let over_compounding = minimal_def(
        "v1.10.0",
        r#","deposit_amounts":["32000000001"],"compounding":true"#,
    );
    assert!(Definition::from_json(over_compounding.as_bytes(), "d.json").is_ok());
    let short_sum = minimal_def("v1.10.0", r#","deposit_amounts":["31000000000"]"#);
    assert!(Definition::from_json(short_sum.as_bytes(), "d.json").is_err());
}

#[test]
fn null_and_missing_lists_read_as_empty() {
    let def = minimal_def("v1.10.0", r#","deposit_amounts":null"#);
    let d = Definition::from_json(def.as_bytes(), "d.json").expect("parse");
    assert!(d.operators.is_empty() && d.deposit_amounts.is_empty());
    let lock = format!(
        r#"{{"cluster_definition":{},"distributed_validators":null}}"#,
        minimal_def("v1.10.0", "")
    );
    let l = Lock::from_json(lock.as_bytes(), "l.json").expect("parse");
    assert!(l.validators.is_empty() && l.node_signatures.is_empty());
}

#[test]
fn bad_hex_and_address_lengths_are_rejected() {
    let bad = minimal_def("v1.10.0", "").replace(
        "\"fee_recipient_address\":\"\"",
        "\"fee_recipient_address\":\"0x1234\"",
    );
    let err = Definition::from_json(bad.as_bytes(), "d.json").expect_err("short address");
    assert!(
        err.to_string()
            .contains("validators[0].fee_recipient_address"),
        "{err}"
    );
    let bad = minimal_def("v1.10.0", "").replace(
        "\"fork_version\":\"0x00000000\"",
        "\"fork_version\":\"0xzz\"",
    );
    assert!(Definition::from_json(bad.as_bytes(), "d.json").is_err());
}
