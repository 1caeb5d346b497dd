#!/usr/bin/env bash
# The project's test command (README): installs what the tests need, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export MOSAIC_VECTORS="${MOSAIC_VECTORS:-$root/../shared/vectors}"
cargo test --workspace --locked "$@"
