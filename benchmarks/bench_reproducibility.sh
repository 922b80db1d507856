#!/usr/bin/env bash
# Do the results depend on the BLAS kernel, numpy's SIMD level or the thread count? Runs a
# workflow from a clean state under several settings of OpenBLAS (the BLAS numpy and scipy ship
# with) and numpy, and compares every results file with the first setting's, byte for byte
# (`algoprogress check-results`). The package pins the kernels (analysis/numerics.py), so the
# pinned settings must all agree; the last one opts out of the pin, to show what the pin prevents.
#
#   bash benchmarks/bench_reproducibility.sh          # the tiny configuration of tests/tiny
#   bash benchmarks/bench_reproducibility.sh full     # the repository's own pipeline (slow)
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-tiny}
settings=(
    "default"
    "OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 OPENBLAS_CORETYPE=Sandybridge"
    "OPENBLAS_CORETYPE=Prescott NPY_DISABLE_CPU_FEATURES="
    "ALGOPROGRESS_NATIVE_NUMERICS=1 OPENBLAS_CORETYPE=Sandybridge"
)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
for k in "${!settings[@]}"; do
    run="$scratch/run$k"
    mkdir -p "$run"
    if [ "$what" = full ]; then
        git ls-files -z | grep -zv -e '^results/' -e '^data/processed/' | xargs -0 cp --parents -t "$run"
        args=(--cores 2 all)
    else
        cp -r tests/tiny/. "$run"
        args=(-s "$PWD/Snakefile" --configfile config.yaml --cores 2)
    fi
    setting=${settings[$k]}
    [ "$setting" = default ] && setting=""
    start=$(date +%s)
    (cd "$run" && env $setting PATH="$OLDPWD/.venv/bin:$PATH" snakemake "${args[@]}") \
        > "$scratch/log$k" 2>&1 || { tail -n 30 "$scratch/log$k"; exit 1; }
    echo "setting ${settings[$k]}: $(( $(date +%s) - start )) s"
    if [ "$k" -gt 0 ]; then
        if [[ $setting == *ALGOPROGRESS_NATIVE_NUMERICS=1* ]]; then  # expected to differ
            .venv/bin/algoprogress check-results "$scratch/run0/results" "$run/results" \
                --ignore report.html || echo "(without the pin: the differences above are expected)"
        else
            .venv/bin/algoprogress check-results "$scratch/run0/results" "$run/results" \
                --ignore report.html || status=1
        fi
    fi
done
exit $status
