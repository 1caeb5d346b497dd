#!/usr/bin/env bash
# Builds the QBFT fuzz targets with libFuzzer coverage instrumentation (what
# `cargo fuzz build` does, without needing cargo-fuzz or nightly) and runs each
# for a bounded time. Usage: run.sh [seconds per target, default 30].
# Exits non-zero if a target crashes; the crashing input is left in artifacts/.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-30}"
target="$(rustc -vV | sed -n 's/^host: //p')"
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
cargo build --release --locked --target "$target" --target-dir target/instrumented
for fuzz_target in decode_verify state_machine; do
    mkdir -p "corpus/$fuzz_target" "artifacts/$fuzz_target"
    "target/instrumented/$target/release/$fuzz_target" \
        -max_total_time="$seconds" -max_len=4096 \
        -artifact_prefix="artifacts/$fuzz_target/" "corpus/$fuzz_target"
done
