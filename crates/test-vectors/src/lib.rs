//! Locates the shared conformance vectors (`../shared/vectors`) and runs the consensus-spec
//! oracle (`scripts/ssz_oracle/`) for tests.
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

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Prints a loud notice that `what` is skipped for `reason`.
///
/// # Panics
/// When `MOSAIC_REQUIRE_VECTORS=1` is set: then a missing check is a failure.
pub fn skip_or_fail(what: &str, reason: &str) {
    if vectors_required() {
        panic!("{what} required (MOSAIC_REQUIRE_VECTORS=1) but unavailable: {reason}");
    }
    eprintln!("\n!!! SKIPPING {what}: {reason}\n");
}

/// Runs a consensus-spec oracle script (`scripts/ssz_oracle/<script>`) with the oracle's Python
/// (`$MOSAIC_PYTHON`, or `.venv-ssz/bin/python` under the workspace root, which
/// `scripts/setup-ssz-oracle.sh` creates), feeding it `stdin`, and returns what it printed.
/// Returns `None` after [`skip_or_fail`] when the interpreter is missing, cannot start or the
/// script fails.
///
/// # Panics
/// When the oracle cannot run and `MOSAIC_REQUIRE_VECTORS=1` is set.
pub fn run_oracle(what: &str, script: &str, args: &[&str], stdin: &str) -> Option<String> {
    use std::io::Write;
    use std::process::{Command, Stdio};

    let root = workspace_root();
    let explicit = std::env::var_os("MOSAIC_PYTHON").map(PathBuf::from);
    let python = explicit
        .clone()
        .unwrap_or_else(|| root.join(".venv-ssz/bin/python"));
    let hint = "run scripts/setup-ssz-oracle.sh or set MOSAIC_PYTHON";
    if explicit.is_none() && !python.exists() {
        skip_or_fail(
            what,
            &format!("{} does not exist; {hint}", python.display()),
        );
        return None;
    }
    let child = Command::new(&python)
        .arg(root.join("scripts/ssz_oracle").join(script))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(error) => {
            skip_or_fail(
                what,
                &format!("cannot run {}: {error}; {hint}", python.display()),
            );
            return None;
        }
    };
    // Write stdin from another thread so a large answer cannot deadlock against a large request.
    let writer = child.stdin.take().map(|mut pipe| {
        let input = stdin.to_owned();
        std::thread::spawn(move || pipe.write_all(input.as_bytes()))
    });
    let output = child.wait_with_output();
    if let Some(handle) = writer {
        handle
            .join()
            .expect("the oracle's stdin writer does not panic")
            .unwrap_or_else(|e| panic!("{what}: writing the oracle's input failed: {e}"));
    }
    let output = match output {
        Ok(output) if output.status.success() => output,
        Ok(output) => {
            let stderr = String::from_utf8_lossy(&output.stderr);
            skip_or_fail(
                what,
                &format!("oracle exited with {}: {stderr}", output.status),
            );
            return None;
        }
        Err(error) => {
            skip_or_fail(what, &format!("waiting for the oracle failed: {error}"));
            return None;
        }
    };
    Some(
        String::from_utf8(output.stdout)
            .unwrap_or_else(|e| panic!("{what}: oracle output is not UTF-8: {e}")),
    )
}
