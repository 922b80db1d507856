#!/usr/bin/env bash
# Are the committed results/ and data/processed/ what the code and data produce?
# Regenerates them from a clean state in a scratch copy of the tracked files and names every
# file that differs (and by how much). The calibration study is not part of `all` and is left out.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
git ls-files -z | grep -zv -e '^results/' -e '^data/processed/' | xargs -0 cp --parents -t "$scratch"
log="$scratch/snakemake.log"
if ! (cd "$scratch" && PATH="$OLDPWD/.venv/bin:$PATH" snakemake --cores "${CORES:-2}" all) >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "check_results: the pipeline failed in the scratch copy" >&2
    exit 1
fi
status=0
.venv/bin/algoprogress check-results results "$scratch/results" --ignore calibration \
    --ignore figures/calibration.png --ignore report.html || status=1
.venv/bin/algoprogress check-results data/processed "$scratch/data/processed" || status=1
exit $status
