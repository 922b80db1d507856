"""Wall time of the whole workflow (`snakemake all`, the calibration study aside) from a clean
state, at several core counts, on the curated table or a synthetic one.

Each run is a scratch copy of the tracked files without results/ and data/processed/ (as
scripts/check_results.sh makes it); `--data synthetic231` replaces the curated table in the
copy with `analysis.synthetic.raw_evaluations(235)`, whose analysis set has 231 rows like the
paper's. Prints, per run, the wall time, the load average of the machine before and after,
and the summed wall time of each rule's jobs (from Snakemake's log).

    python benchmarks/bench_workflow.py --data curated --cores 1 2
    python benchmarks/bench_workflow.py --data synthetic231 --cores 1 2
"""

from __future__ import annotations

import argparse
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

REPO = Path(__file__).resolve().parents[1]
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


def run(data: str, cores: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench_workflow_") as folder:
        workdir = Path(folder)
        scratch_copy(workdir, data)
        env = {**os.environ,
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
        load_before = os.getloadavg()
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "snakemake", "--cores", str(cores), "all"],
                              cwd=workdir, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(done.stderr[-3000:])
        rows = sum(1 for _ in open(workdir / "data" / "processed" / "analysis_set.csv")) - 1
        return {"data": data, "rows": rows, "cores": cores, "wall": wall,
                "load_before": load_before, "load_after": os.getloadavg(),
                "rules": rule_times(workdir)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", choices=["curated", "synthetic231"], default="curated")
    parser.add_argument("--cores", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    for cores in args.cores:
        result = run(args.data, cores)
        load = lambda triple: "/".join(f"{x:.2f}" for x in triple)
        print(f"{result['data']} ({result['rows']} rows), --cores {cores}: "
              f"{result['wall']:.0f} s wall; load average (1/5/15 min) before "
              f"{load(result['load_before'])}, after {load(result['load_after'])}", flush=True)
        print("  job time by rule (s): " + ", ".join(
            f"{rule} {seconds:.0f}" for rule, seconds in result["rules"].items()), flush=True)


if __name__ == "__main__":
    main()
