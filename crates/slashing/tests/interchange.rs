//! EIP-3076 conformance: the 38 cases of eth-clients/slashing-protection-interchange-tests
//! v5.3.0 under `should_succeed_complete`, plus schema checks of exported interchanges.

use std::path::{Path, PathBuf};

use mosaic_slashing::{Interchange, SlashingDb};
use serde_json::Value;

const EXPECTED_CASES: usize = 38;

fn hex_bytes<const N: usize>(value: &Value) -> [u8; N] {
    let text = value.as_str().expect("hex string");
    let mut out = [0u8; N];
    hex::decode_to_slice(text.strip_prefix("0x").expect("0x prefix"), &mut out).expect("hex");
    out
}

fn decimal(value: &Value) -> u64 {
    value
        .as_str()
        .expect("decimal string")
        .parse()
        .expect("u64")
}

fn case_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read slashing-interchange directory")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| {
            path.extension().is_some_and(|ext| ext == "json")
                && path.file_name().is_some_and(|name| name != "schema.json")
        })
        .collect();
    files.sort();
    files
}

/// Checks `value` against the parts of the interchange JSON schema that matter: `type`,
/// `required` and `properties` of objects, and the item schema of arrays.
fn check_schema(schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
    match schema["type"].as_str() {
        Some("object") => {
            let Some(object) = value.as_object() else {
                problems.push(format!("{at}: expected an object"));
                return;
            };
            for field in schema["required"].as_array().into_iter().flatten() {
                let field = field.as_str().expect("required field name");
                if !object.contains_key(field) {
                    problems.push(format!("{at}: missing required field {field}"));
                }
            }
            if let Some(properties) = schema["properties"].as_object() {
                for (name, property) in properties {
                    if let Some(child) = object.get(name) {
                        check_schema(property, child, &format!("{at}.{name}"), problems);
                    }
                }
            }
        }
        Some("array") => {
            let Some(items) = value.as_array() else {
                problems.push(format!("{at}: expected an array"));
                return;
            };
            // The schema gives `items` in tuple form with one schema; it applies to every item.
            let item_schema = match &schema["items"] {
                Value::Array(schemas) => schemas.first().cloned().unwrap_or(Value::Null),
                other => other.clone(),
            };
            for (index, item) in items.iter().enumerate() {
                check_schema(&item_schema, item, &format!("{at}[{index}]"), problems);
            }
        }
        Some("string") if !value.is_string() => problems.push(format!("{at}: expected a string")),
        _ => {}
    }
}

fn load_schema(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("schema.json")).expect("read schema.json");
    serde_json::from_str(&text).expect("schema.json is JSON")
}

/// Runs one case; returns the reasons it failed (empty when it passed).
fn run_case(case: &Value, schema: &Value) -> Vec<String> {
    let mut failures = Vec::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut db = SlashingDb::open(dir.path().join("slashing.sqlite")).expect("open database");
    let gvr: [u8; 32] = hex_bytes(&case["genesis_validators_root"]);
    let mut chain = db.namespace(gvr).expect("namespace");

    for (step_index, step) in case["steps"].as_array().expect("steps").iter().enumerate() {
        let should_succeed = step["should_succeed"].as_bool().expect("should_succeed");
        let imported = Interchange::from_json_value(step["interchange"].clone())
            .and_then(|interchange| chain.import_interchange(&interchange));
        if imported.is_ok() != should_succeed {
            failures.push(format!(
                "step {step_index}: import expected success={should_succeed}, got {imported:?}"
            ));
        }

        for (index, block) in step["blocks"]
            .as_array()
            .expect("blocks")
            .iter()
            .enumerate()
        {
            let expected = block["should_succeed_complete"].as_bool().expect("flag");
            let root = block.get("signing_root").map(hex_bytes::<32>);
            let verdict = chain.check_and_insert_block(
                &hex_bytes(&block["pubkey"]),
                decimal(&block["slot"]),
                root,
            );
            if verdict.is_ok() != expected {
                failures.push(format!(
                    "step {step_index} block {index} (slot {}): expected success={expected}, got {verdict:?}",
                    block["slot"]
                ));
            }
        }

        for (index, att) in step["attestations"]
            .as_array()
            .expect("attestations")
            .iter()
            .enumerate()
        {
            let expected = att["should_succeed_complete"].as_bool().expect("flag");
            let root = att.get("signing_root").map(hex_bytes::<32>);
            let verdict = chain.check_and_insert_attestation(
                &hex_bytes(&att["pubkey"]),
                decimal(&att["source_epoch"]),
                decimal(&att["target_epoch"]),
                root,
            );
            if verdict.is_ok() != expected {
                failures.push(format!(
                    "step {step_index} attestation {index} ({}->{}): expected success={expected}, got {verdict:?}",
                    att["source_epoch"], att["target_epoch"]
                ));
            }
        }
    }

    // The export of the final state satisfies the schema and protects as much as the original.
    let exported = chain.export_interchange(None).expect("export");
    let json: Value =
        serde_json::from_str(&exported.to_json_string().expect("serialise")).expect("JSON");
    let mut problems = Vec::new();
    check_schema(schema, &json, "$", &mut problems);
    failures.extend(problems.into_iter().map(|p| format!("export schema: {p}")));
    failures.extend(replay_against_export(case, &exported, gvr));
    failures
}

/// Imports `exported` into a fresh database and checks that every attempt the case expected to
/// be refused at the end is still refused (the export keeps all protection).
fn replay_against_export(case: &Value, exported: &Interchange, gvr: [u8; 32]) -> Vec<String> {
    let mut failures = Vec::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut db = SlashingDb::open(dir.path().join("slashing.sqlite")).expect("open database");
    if let Err(err) = db.import_interchange(exported, gvr) {
        return vec![format!("re-import of export failed: {err}")];
    }
    let mut chain = db.namespace(gvr).expect("namespace");
    for step in case["steps"].as_array().expect("steps") {
        for block in step["blocks"].as_array().expect("blocks") {
            if block["should_succeed_complete"].as_bool() == Some(false) {
                let root = block.get("signing_root").map(hex_bytes::<32>);
                let verdict = chain.check_and_insert_block(
                    &hex_bytes(&block["pubkey"]),
                    decimal(&block["slot"]),
                    root,
                );
                if verdict.is_ok() {
                    failures.push(format!("after round trip, block {block} was allowed"));
                }
            }
        }
        for att in step["attestations"].as_array().expect("attestations") {
            if att["should_succeed_complete"].as_bool() == Some(false) {
                let root = att.get("signing_root").map(hex_bytes::<32>);
                let verdict = chain.check_and_insert_attestation(
                    &hex_bytes(&att["pubkey"]),
                    decimal(&att["source_epoch"]),
                    decimal(&att["target_epoch"]),
                    root,
                );
                if verdict.is_ok() {
                    failures.push(format!("after round trip, attestation {att} was allowed"));
                }
            }
        }
    }
    failures
}

#[test]
fn all_interchange_cases_pass_complete() {
    let Some(dir) = mosaic_test_vectors::vector_path("slashing-interchange") else {
        return;
    };
    let schema = load_schema(&dir);
    let files = case_files(&dir);
    assert_eq!(
        files.len(),
        EXPECTED_CASES,
        "expected {EXPECTED_CASES} cases in {}",
        dir.display()
    );

    let mut failed = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read case");
        let case: Value = serde_json::from_str(&text).expect("case is JSON");
        let name = case["name"].as_str().expect("case name").to_owned();
        let failures = run_case(&case, &schema);
        if !failures.is_empty() {
            failed.push(format!("{name}:\n    {}", failures.join("\n    ")));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} cases failed:\n{}",
        failed.len(),
        files.len(),
        failed.join("\n")
    );
}

#[test]
fn schema_check_reports_missing_required_fields() {
    let Some(dir) = mosaic_test_vectors::vector_path("slashing-interchange") else {
        return;
    };
    let schema = load_schema(&dir);
    let broken: Value = serde_json::json!({
        "metadata": {"interchange_format_version": "5"},
        "data": [{"pubkey": "0x00", "signed_blocks": [{"signing_root": "0x00"}]}]
    });
    let mut problems = Vec::new();
    check_schema(&schema, &broken, "$", &mut problems);
    problems.sort();
    assert_eq!(
        problems,
        vec![
            "$.data[0].signed_blocks[0]: missing required field slot".to_owned(),
            "$.data[0]: missing required field signed_attestations".to_owned(),
            "$.metadata: missing required field genesis_validators_root".to_owned(),
        ]
    );
}
