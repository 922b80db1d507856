#!/usr/bin/env bash
# Re-pin every dependency (requirements.lock) from a fresh environment built from pyproject.toml.
# Do this deliberately: results can move with library versions, so regenerate results/ after it.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"${PYTHON:-python3}" -m venv "$scratch/venv"
"$scratch/venv/bin/python" -m pip install --quiet --upgrade pip
"$scratch/venv/bin/python" -m pip install --quiet ".[test]"
{
    echo "# Pinned versions the results depend on; installed by scripts/setup.sh as pip constraints."
    echo "# Update deliberately with 'bash scripts/lock.sh', then regenerate results/ and commit both."
    "$scratch/venv/bin/python" -m pip freeze --exclude-editable | grep -iv '^algoprogress'
} > requirements.lock
echo "requirements.lock: $(grep -vc '^#' requirements.lock) pinned packages"
