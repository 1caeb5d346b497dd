#!/usr/bin/env bash
# Creates .venv-ssz (the SSZ oracle's Python environment, see scripts/ssz_oracle/) and installs
# the pinned requirements. Idempotent: when the venv already matches requirements.txt it exits
# at once. The interpreter must be Python >= 3.12 (eth-consensus-specs 1.7 requires it); set
# MOSAIC_SSZ_BOOTSTRAP_PYTHON to choose one, otherwise python3.13, python3.12, pyenv's 3.12+
# installs and python3 are tried in that order.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
venv="$root/.venv-ssz"
requirements="$root/scripts/ssz_oracle/requirements.txt"
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$requirements" | cut -d' ' -f1)

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    exit 0
fi

is_312_or_later() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null
}

python=""
candidates=()
[[ -n "${MOSAIC_SSZ_BOOTSTRAP_PYTHON:-}" ]] && candidates+=("$MOSAIC_SSZ_BOOTSTRAP_PYTHON")
candidates+=(python3.13 python3.12)
for dir in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*; do
    [[ -x "$dir/bin/python" ]] && candidates+=("$dir/bin/python")
done
candidates+=(python3)
for candidate in "${candidates[@]}"; do
    if command -v "$candidate" >/dev/null 2>&1 && is_312_or_later "$candidate"; then
        python=$(command -v "$candidate")
        break
    fi
done
if [[ -z "$python" ]]; then
    echo "setup-ssz-oracle: no Python >= 3.12 found (tried: ${candidates[*]});" \
        "set MOSAIC_SSZ_BOOTSTRAP_PYTHON" >&2
    exit 1
fi

echo "setup-ssz-oracle: creating $venv with $python" >&2
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    -r "$requirements"
echo "$want" >"$stamp"
