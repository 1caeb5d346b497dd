//! Guards against a published `obol-dv-spec/` suite that no test consumes: an
//! unconsumed suite is indistinguishable from a passing one. Every `*.json`
//! there must be listed below with the test file that loads it, and that file
//! must exist and load it.

use std::collections::BTreeSet;
use std::path::Path;

/// Suite -> the workspace test that consumes it.
const CONSUMED: &[(&str, &str)] = &[
    (
        "bls_threshold",
        "crates/crypto/tests/bls_threshold_vectors.rs",
    ),
    (
        "secp256k1_signatures",
        "crates/crypto/tests/secp256k1_vectors.rs",
    ),
    ("cluster_hashing", "crates/cluster/tests/cluster_hashing.rs"),
    ("qbft_hashing", "crates/qbft/tests/qbft_hashing.rs"),
    ("qbft_msg_limits", "crates/qbft/tests/qbft_msg_limits.rs"),
    ("qbft_decided_resends", "crates/qbft/tests/engine.rs"),
    ("timer_deadlines", "crates/qbft/tests/timer_deadlines.rs"),
    ("priority_scoring", "crates/qbft/tests/priority_scoring.rs"),
    (
        "parsigex_sender_binding",
        "crates/qbft/tests/parsigex_sender_binding.rs",
    ),
];

#[test]
fn every_obol_dv_spec_suite_is_consumed() {
    let Some(dir) = mosaic_test_vectors::vector_path("obol-dv-spec") else {
        return;
    };
    let published: BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("read obol-dv-spec")
        .filter_map(|entry| {
            let path = entry.expect("dir entry").path();
            (path.extension()? == "json").then(|| path.file_stem()?.to_str().map(str::to_owned))?
        })
        .collect();
    let consumed: BTreeSet<String> = CONSUMED.iter().map(|(s, _)| (*s).to_owned()).collect();
    let unconsumed: Vec<_> = published.difference(&consumed).collect();
    assert!(
        unconsumed.is_empty(),
        "suites no test consumes: {unconsumed:?}"
    );
    let stale: Vec<_> = consumed.difference(&published).collect();
    assert!(
        stale.is_empty(),
        "listed suites that are not published: {stale:?}"
    );

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for (suite, file) in CONSUMED {
        let text = std::fs::read_to_string(root.join(file))
            .unwrap_or_else(|e| panic!("{suite}: consumer {file} is missing: {e}"));
        assert!(
            text.contains(&format!("obol-dv-spec/{suite}.json")),
            "{suite}: {file} does not load obol-dv-spec/{suite}.json"
        );
    }
}
