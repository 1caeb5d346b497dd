//! Conformance: `obol-dv-spec/parsigex_sender_binding.json` (share index bound
//! to the authenticated sender; peer map completeness).

use std::collections::BTreeMap;

use mosaic_qbft::parsigex_binding::{validate_exchange_peers, verify_peer_share_idx};
use serde_json::Value;

fn share_map(v: &Value) -> BTreeMap<String, u64> {
    v.as_object()
        .expect("share_idx_by_peer")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().expect("share idx")))
        .collect()
}

fn check(case: &Value, verdict: Result<(), mosaic_qbft::parsigex_binding::BindingError>) {
    let name = case["name"].as_str().expect("name");
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

#[test]
fn sender_cases() {
    let Some(suite) = mosaic_test_vectors::load_json("obol-dv-spec/parsigex_sender_binding.json")
    else {
        return;
    };
    let cases = suite["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 6);
    for case in cases {
        let input = &case["input"];
        let map = share_map(&input["share_idx_by_peer"]);
        let sender = input["sender"].as_str().expect("sender");
        check(
            case,
            verify_peer_share_idx(
                &map,
                sender,
                input["share_idx"].as_i64().expect("share_idx"),
            ),
        );
    }
}

#[test]
fn peer_map_cases() {
    let Some(suite) = mosaic_test_vectors::load_json("obol-dv-spec/parsigex_sender_binding.json")
    else {
        return;
    };
    let cases = suite["peer_map"].as_array().expect("peer_map");
    assert_eq!(cases.len(), 3);
    for case in cases {
        let input = &case["input"];
        let peers: Vec<String> = input["peers"]
            .as_array()
            .expect("peers")
            .iter()
            .map(|p| p.as_str().expect("peer").to_owned())
            .collect();
        let map = share_map(&input["share_idx_by_peer"]);
        let peer_idx =
            usize::try_from(input["peer_idx"].as_u64().expect("peer_idx")).expect("usize");
        check(case, validate_exchange_peers(&peers, &map, peer_idx));
    }
}
