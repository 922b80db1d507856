#!/usr/bin/env bash
# Create .venv (Python >= 3.11) and install the package with its test extras, at the versions
# pinned in requirements.lock (the results depend on them; see scripts/lock.sh to update).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -d .venv ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -c requirements.lock -e ".[test]"
