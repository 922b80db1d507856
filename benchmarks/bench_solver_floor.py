"""How fast could the solver's work be? The package's batched numpy solver against the same
work in compiled code (`iteration_floor.c`, plain C loops, one problem at a time).

1. Times the main bootstrap's refits (model 7, `refit` estimator, both stages, the pipeline's
   starts) on the curated analysis set and counts their work (`solver_counts.py`): Newton
   searches, iterations, objective values, derivative evaluations.
2. Compiles `iteration_floor.c` twice (`-O2`, portable like the pinned kernels; `-O3
   -march=native`) and times one objective value and one derivative evaluation with its
   Newton solve, at the analysis set's number of rows.
3. Prices the same counts at the compiled costs. If `benchmarks/out/solver_work_curated.json`
   exists (`bench_workflow.py --count-work`), also prices the whole pipeline's solver work,
   adds the CPU the pipeline spends outside the solver (as measured there), and divides the
   sum by 2 cores: what `snakemake --cores 2` would take with a compiled solver and perfect
   sharing of the cores.

    python benchmarks/bench_solver_floor.py --draws 100
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))  # this folder is on the path already: the script runs from it

from analysis import bootstrap, fitting, pipeline, solver  # noqa: E402  (pins the kernels)
from analysis.models import MODELS  # noqa: E402

import solver_counts  # noqa: E402

FLAGS = {"portable (-O2)": ["-O2"], "native (-O3 -march=native)": ["-O3", "-march=native"]}


def compiled_costs(rows: int, reps: int) -> dict[str, dict[str, float]]:
    """µs per objective value and per derivative evaluation (+ Newton solve), per flag set."""
    out = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, flags in FLAGS.items():
            binary = Path(folder) / "floor"
            subprocess.run([os.environ.get("CC", "cc"), *flags, "-o", str(binary),
                            str(HERE / "iteration_floor.c"), "-lm"], check=True)
            printed = subprocess.run([str(binary), str(rows), str(reps)], check=True,
                                     capture_output=True, text=True).stdout
            costs = dict(line.split() for line in printed.splitlines())
            out[name] = {"value": float(costs["value_us"]),
                         "derivative": float(costs["derivative_us"])}
    return out


def priced(counts: dict, costs: dict[str, float]) -> float:
    """Seconds the counted work takes at the compiled costs."""
    return 1e-6 * (counts["values"] * costs["value"] + counts["derivatives"] * costs["derivative"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--draws", type=int, default=100, help="bootstrap draws to refit")
    parser.add_argument("--reps", type=int, default=20000, help="timed calls of the C kernels")
    args = parser.parse_args()
    frame = pipeline.read_analysis(REPO / "data" / "processed" / "analysis_set.csv")
    full = fitting.AugmentedScalingLaw(MODELS[7], 0.0025, estimator="refit").fit(frame)
    solver_counts.instrument(solver)
    start = time.perf_counter()
    bootstrap.bootstrap_stages(frame, full, args.draws, 0)
    elapsed = time.perf_counter() - start
    counts = dict(solver_counts.COUNTS)
    numpy_seconds = counts["solver_seconds"]
    print(f"main bootstrap, {args.draws} draws of model 7 on {len(frame)} rows: {elapsed:.1f} s, "
          f"{numpy_seconds:.1f} s of it in the package's solver; per draw " + ", ".join(
              f"{k} {counts[k] / args.draws:.0f}" for k in solver_counts.WORK))
    print(f"  per problem-iteration: {1e6 * numpy_seconds / counts['iterations']:.1f} µs, "
          f"{counts['values'] / counts['iterations']:.2f} objective values")
    work_file = HERE / "out" / "solver_work_curated.json"
    pipeline_work = json.loads(work_file.read_text()) if work_file.exists() else None
    for name, costs in compiled_costs(len(frame), args.reps).items():
        floor = priced(counts, costs)
        print(f"compiled, {name}: value {costs['value']:.2f} µs, derivatives + Newton solve "
              f"{costs['derivative']:.2f} µs; the same {args.draws} draws would take "
              f"{floor:.1f} s ({numpy_seconds / floor:.1f}× faster than the package's solver)")
        if pipeline_work:
            total = pipeline_work["total"]
            solver_cpu = priced(total, costs)
            rest = total["cpu_seconds"] - total["solver_seconds"]
            print(f"  the whole pipeline's solver work ({total['iterations']:,.0f} iterations, "
                  f"{total['values']:,.0f} values, {total['derivatives']:,.0f} derivative "
                  f"evaluations; {total['solver_seconds']:.0f} s in the package's solver): "
                  f"{solver_cpu:.0f} s compiled; with the {rest:.0f} s of CPU spent outside "
                  f"the solver, {(solver_cpu + rest) / 2:.0f} s on 2 perfectly shared cores "
                  f"(the solver alone: {solver_cpu / 2:.0f} s)")


if __name__ == "__main__":
    main()
