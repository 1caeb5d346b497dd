//! Conformance: `obol-dv-spec/qbft_msg_limits.json` (count and wire-size limits with reason slugs).

use mosaic_qbft::limits::{check_counts, check_wire_size, max_justifications, max_values};

#[test]
fn counts() {
    let Some(suite) = mosaic_test_vectors::load_json("obol-dv-spec/qbft_msg_limits.json") else {
        return;
    };
    let cases = suite["counts"].as_array().expect("counts");
    assert_eq!(cases.len(), 11);
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let n = |k: &str| usize::try_from(case["input"][k].as_u64().expect(k)).expect("usize");
        let (nodes, j, v) = (n("nodes"), n("justification_count"), n("value_count"));
        let verdict = check_counts(nodes, j, v);
        assert_eq!(
            verdict.is_ok(),
            case["accepted"].as_bool().expect("accepted"),
            "{name}"
        );
        assert_eq!(
            verdict.err().map(|e| e.reason()),
            case["reason"].as_str(),
            "{name}: reason"
        );
        assert_eq!(
            max_justifications(nodes) as u64,
            case["max_justifications"].as_u64().expect("mj"),
            "{name}"
        );
        assert_eq!(
            max_values(j) as u64,
            case["max_values"].as_u64().expect("mv"),
            "{name}"
        );
    }
}

#[test]
fn wire_size() {
    let Some(suite) = mosaic_test_vectors::load_json("obol-dv-spec/qbft_msg_limits.json") else {
        return;
    };
    let cases = suite["wire_size"].as_array().expect("wire_size");
    assert_eq!(cases.len(), 4);
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let size = usize::try_from(case["input"]["wire_size_bytes"].as_u64().expect("size"))
            .expect("usize");
        let verdict = check_wire_size(size);
        assert_eq!(
            verdict.is_ok(),
            case["accepted"].as_bool().expect("accepted"),
            "{name}"
        );
        assert_eq!(
            verdict.err().map(|e| e.reason()),
            case["reason"].as_str(),
            "{name}: reason"
        );
    }
}
