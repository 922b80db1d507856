"""Wall time of the whole workflow (`snakemake all`, the calibration study aside) from a clean
state, at several core counts, on the curated table or a synthetic one.

Each run is a scratch copy of the tracked files without results/ and data/processed/ (as
scripts/check_results.sh makes it); `--data synthetic231` replaces the curated table in the
copy with `analysis.synthetic.raw_evaluations(235)`, whose analysis set has 231 rows like the
paper's. Prints, per run, the wall time, the load average of the machine before and after,
and the summed wall time of each rule's jobs (from Snakemake's log).

    python benchmarks/bench_workflow.py --data curated --cores 1 2
    python benchmarks/bench_workflow.py --data synthetic231 --cores 1 2

`--count-work` also counts the solver's work in every pipeline step (`solver_counts.py`:
Newton searches, iterations, objective values, derivative evaluations, seconds in the solver)
and every process's CPU seconds, prints them by step and writes them to
benchmarks/out/solver_work_<data>.json, which `bench_solver_floor.py` prices.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

from solver_counts import sitecustomize_source  # this folder: the script runs from it

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
SYNTHETIC_RAW_ROWS = 235  # four rows fall to the selection rules: 231 in the analysis set


def scratch_copy(target: Path, data: str) -> None:
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for name in files:
        if not name or name.startswith(("results/", "data/processed/")):
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target / name)
    if data == "synthetic231":
        from analysis.synthetic import raw_evaluations
        raw_evaluations(SYNTHETIC_RAW_ROWS, seed=0).to_csv(
            target / "data" / "raw" / "evaluations.csv", index=False, float_format="%.10g")


def rule_times(workdir: Path) -> dict[str, float]:
    """Summed wall time (s) of each rule's jobs, from the newest Snakemake log."""
    log = sorted((workdir / ".snakemake" / "log").glob("*.log"))[-1].read_text()
    stamp = r"\[(\w{3} \w{3} +\d+ [\d:]+ \d{4})\]"
    started = {job: (when, rule) for when, rule, job in re.findall(
        stamp + r"\n(?:localrule|rule) (\w+):.*?jobid: (\d+)", log, re.S)}
    parse = lambda s: datetime.strptime(" ".join(s.split()), "%a %b %d %H:%M:%S %Y")
    totals: dict[str, float] = defaultdict(float)
    for when, job in re.findall(stamp + r"\nFinished jobid: (\d+)", log):
        if job in started:
            begin, rule = started[job]
            totals[rule] += (parse(when) - parse(begin)).total_seconds()
    return dict(sorted(totals.items(), key=lambda kv: -kv[1]))


def count_environment(folder: Path) -> dict[str, str]:
    """Environment under which every pipeline step counts its solver work into `folder`."""
    (folder / "hook").mkdir()
    (folder / "counts").mkdir()
    (folder / "hook" / "sitecustomize.py").write_text(sitecustomize_source(str(HERE)))
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(folder / "hook"),
                                                        os.environ.get("PYTHONPATH")])),
            "SOLVER_COUNTS_DIR": str(folder / "counts")}


def summed_counts(folder: Path) -> dict:
    """The counts and CPU seconds of every process, summed in all and by step (the step's
    command word; Snakemake and other processes by their program's name)."""
    total: dict[str, float] = defaultdict(float)
    by_step: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for path in folder.glob("*.json"):
        record = json.loads(path.read_text())
        argv = record.pop("argv")
        program = Path(argv[0]).parent.name if argv[0].endswith("__main__.py") else argv[0]
        step = argv[1] if program == "analysis" and len(argv) > 1 else Path(program).name
        for key, value in record.items():
            total[key] += value
            by_step[step][key] += value
    return {"total": dict(total), "by_step": {k: dict(v) for k, v in sorted(by_step.items())}}


def run(data: str, cores: int, count_work: bool = False) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench_workflow_") as folder:
        workdir = Path(folder) / "repo"
        workdir.mkdir()
        scratch_copy(workdir, data)
        env = {**os.environ,
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
        if count_work:
            env.update(count_environment(Path(folder)))
        load_before = os.getloadavg()
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "snakemake", "--cores", str(cores), "all"],
                              cwd=workdir, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(done.stderr[-3000:])
        rows = sum(1 for _ in open(workdir / "data" / "processed" / "analysis_set.csv")) - 1
        result = {"data": data, "rows": rows, "cores": cores, "wall": wall,
                  "load_before": load_before, "load_after": os.getloadavg(),
                  "rules": rule_times(workdir)}
        if count_work:
            result["work"] = summed_counts(Path(folder) / "counts")
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", choices=["curated", "synthetic231"], default="curated")
    parser.add_argument("--cores", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--count-work", action="store_true",
                        help="count the solver's work of every step (slightly slower)")
    args = parser.parse_args()
    for cores in args.cores:
        result = run(args.data, cores, args.count_work)
        load = lambda triple: "/".join(f"{x:.2f}" for x in triple)
        print(f"{result['data']} ({result['rows']} rows), --cores {cores}: "
              f"{result['wall']:.0f} s wall; load average (1/5/15 min) before "
              f"{load(result['load_before'])}, after {load(result['load_after'])}", flush=True)
        print("  job time by rule (s): " + ", ".join(
            f"{rule} {seconds:.0f}" for rule, seconds in result["rules"].items()), flush=True)
        if args.count_work:
            work = result["work"]
            for step, counts in [("all processes", work["total"]), *work["by_step"].items()]:
                print(f"  {step}: " + ", ".join(
                    f"{k} {v:,.0f}" for k, v in counts.items()))
            out = HERE / "out" / f"solver_work_{args.data}.json"
            out.parent.mkdir(exist_ok=True)
            out.write_text(json.dumps({"rows": result["rows"], "cores": cores, **work},
                                      indent=1) + "\n")


if __name__ == "__main__":
    main()
