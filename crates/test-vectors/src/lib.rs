//! Locates the shared conformance vectors (`../shared/vectors`) for tests.
//!
//! Tests find the vectors through the `MOSAIC_VECTORS` environment variable, falling back to
//! `../shared/vectors` beside the workspace root. When a vector is missing, a test skips loudly,
//! unless `MOSAIC_REQUIRE_VECTORS=1` is set (CI sets it), in which case it fails.

use std::path::{Path, PathBuf};

/// The directory holding the shared vectors, if it exists.
pub fn vectors_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("MOSAIC_VECTORS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors"),
    };
    dir.is_dir().then_some(dir)
}

/// Whether missing vectors must fail the test instead of skipping it.
pub fn vectors_required() -> bool {
    std::env::var("MOSAIC_REQUIRE_VECTORS").is_ok_and(|v| v == "1")
}

/// The path of a vector file relative to the vectors directory (for example
/// `obol-dv-spec/bls_threshold.json`), or `None` after printing a loud skip notice.
///
/// # Panics
/// When the file is missing and `MOSAIC_REQUIRE_VECTORS=1` is set.
pub fn vector_path(relative: &str) -> Option<PathBuf> {
    let found = vectors_dir()
        .map(|dir| dir.join(relative))
        .filter(|path| path.exists());
    if found.is_none() {
        if vectors_required() {
            panic!("conformance vector {relative} not found (MOSAIC_VECTORS, MOSAIC_REQUIRE_VECTORS=1)");
        }
        eprintln!("SKIPPED: conformance vector {relative} not found; set MOSAIC_VECTORS to run it");
    }
    found
}

/// Reads and parses a JSON vector file, or `None` after a loud skip notice.
///
/// # Panics
/// When the file is missing and vectors are required, or when it is not valid JSON.
pub fn load_json(relative: &str) -> Option<serde_json::Value> {
    let path = vector_path(relative)?;
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", path.display()));
    Some(value)
}
