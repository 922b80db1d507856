"""The benchmarks' solver counters (benchmarks/solver_counts.py): they count exactly the work
the solver reports, and the sitecustomize hook counts a pipeline step's work without loading
numpy before the kernels are pinned."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from analysis import solver
from analysis.fitting import problem, random_starts
from analysis.models import MODELS, Normalizer
from analysis.synthetic import REFERENCE_MODEL7, simulate

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
import solver_counts  # noqa: E402

SEARCH = """
from analysis import numerics, solver
from analysis.fitting import problem, random_starts
from analysis.models import MODELS, Normalizer
from analysis.synthetic import REFERENCE_MODEL7, simulate
import numpy as np
frame = simulate(MODELS[7], REFERENCE_MODEL7, n=60, noise=0.1, seed=1)
ls = problem(frame, MODELS[7], Normalizer.of(frame, MODELS[7].tokens_column))
starts = random_starts(MODELS[7], float(ls.y.mean()), 3, 0)
_, _, its = solver.newton(ls, np.ones(len(ls.y)) / len(ls.y), starts, 0.0025, 0.0, True)
print(int(its.sum()), numerics.describe()["pinned"])
"""


@pytest.fixture
def counted(monkeypatch):
    """analysis.solver instrumented for one test, counters at zero."""
    monkeypatch.setattr(solver, "newton", solver.newton)
    for name in ("value", "derivatives"):
        monkeypatch.setattr(solver.LeastSquares, name, getattr(solver.LeastSquares, name))
    monkeypatch.setattr(solver_counts, "COUNTS", dict.fromkeys(solver_counts.KEYS, 0))
    solver_counts.instrument(solver)
    return solver_counts.COUNTS


def test_counts_match_the_solvers_own_iterations(counted):
    frame = simulate(MODELS[7], REFERENCE_MODEL7, n=60, noise=0.1, seed=1)
    ls = problem(frame, MODELS[7], Normalizer.of(frame, MODELS[7].tokens_column))
    starts = random_starts(MODELS[7], float(ls.y.mean()), 5, 0)
    _, _, iterations = solver.newton(ls, np.ones(len(ls.y)) / len(ls.y), starts, 0.0025,
                                     0.0, True)
    assert counted["searches"] == 5
    assert counted["iterations"] == iterations.sum() > 5
    # one derivative evaluation per problem and iteration; one value per start, and at least
    # one line-search trial in every iteration but each search's last
    assert counted["derivatives"] == iterations.sum()
    assert counted["values"] >= 5 + counted["iterations"] - 5


def test_sitecustomize_counts_a_step_with_pinned_kernels(tmp_path):
    (tmp_path / "hook").mkdir()
    (tmp_path / "counts").mkdir()
    (tmp_path / "hook" / "sitecustomize.py").write_text(
        solver_counts.sitecustomize_source(str(BENCHMARKS)))
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "hook"),
           "SOLVER_COUNTS_DIR": str(tmp_path / "counts")}
    out = subprocess.run([sys.executable, "-c", SEARCH], env=env, capture_output=True,
                         text=True, check=True, cwd=Path(__file__).resolve().parents[1])
    iterations, pinned = out.stdout.split()
    assert pinned == "True"
    [record] = [json.loads(p.read_text()) for p in (tmp_path / "counts").glob("*.json")]
    assert record["searches"] == 3
    assert record["iterations"] == int(iterations) > 0
    assert record["derivatives"] == record["iterations"]
