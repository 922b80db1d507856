"""Counters of the solver's work, for benchmarks: Newton searches, their iterations, how many
objective values and derivative evaluations (one per problem) they computed, and the seconds
spent in the solver (`newton` and the L-BFGS-B rescues).

`instrument(analysis.solver)` wraps the module's `newton`, `lbfgs` and `LeastSquares.value` /
`LeastSquares.derivatives` in place; the package itself carries no counters. For a whole
workflow run, `sitecustomize_source(path)` gives a `sitecustomize.py` that instruments every
pipeline step when it imports `analysis.solver` and, when any Python process exits (every
step, and Snakemake itself), writes its counts and its CPU seconds to a JSON file in the
folder named by `$SOLVER_COUNTS_DIR`.
"""

from __future__ import annotations

import functools
import time

WORK = ("searches", "iterations", "values", "derivatives")
KEYS = (*WORK, "solver_seconds")
COUNTS = dict.fromkeys(KEYS, 0)


def _problems(theta) -> int:
    """Problems in a batch θ, (M, p) or (p,). No numpy here: a pipeline step must load numpy
    only after `analysis.numerics.pin`."""
    return len(theta) if getattr(theta, "ndim", 1) == 2 else 1


def instrument(solver) -> None:
    """Count the work of `solver` (the module analysis.solver) into `COUNTS`."""
    newton, lbfgs = solver.newton, solver.lbfgs
    value, derivatives = solver.LeastSquares.value, solver.LeastSquares.derivatives

    @functools.wraps(newton)
    def counted_newton(*args, **kwargs):
        start = time.perf_counter()
        out = newton(*args, **kwargs)
        COUNTS["solver_seconds"] += time.perf_counter() - start
        COUNTS["searches"] += len(out[2])
        COUNTS["iterations"] += int(out[2].sum())
        return out

    @functools.wraps(lbfgs)
    def timed_lbfgs(*args, **kwargs):
        start = time.perf_counter()
        out = lbfgs(*args, **kwargs)
        COUNTS["solver_seconds"] += time.perf_counter() - start
        return out

    @functools.wraps(value)
    def counted_value(self, w, theta, *args, **kwargs):
        COUNTS["values"] += _problems(theta)
        return value(self, w, theta, *args, **kwargs)

    @functools.wraps(derivatives)
    def counted_derivatives(self, w, theta, *args, **kwargs):
        COUNTS["derivatives"] += _problems(theta)
        return derivatives(self, w, theta, *args, **kwargs)

    solver.newton, solver.lbfgs = counted_newton, timed_lbfgs
    solver.LeastSquares.value = counted_value
    solver.LeastSquares.derivatives = counted_derivatives


def sitecustomize_source(here: str) -> str:
    """Source of a sitecustomize.py that instruments `analysis.solver` on import (this
    module is imported from the folder `here`)."""
    return f'''
import atexit, importlib.abc, importlib.util, json, os, resource, sys
sys.path.insert(0, {here!r})
import solver_counts
sys.path.remove({here!r})


class _Hook(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "analysis.solver":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            solver_counts.instrument(module)
        spec.loader.exec_module = exec_module
        return spec


def _write():
    path = os.path.join(os.environ["SOLVER_COUNTS_DIR"], f"{{os.getpid()}}.json")
    with open(path, "w") as out:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        json.dump({{"argv": sys.argv, "cpu_seconds": usage.ru_utime + usage.ru_stime,
                    **solver_counts.COUNTS}}, out)


if os.environ.get("SOLVER_COUNTS_DIR"):
    sys.meta_path.insert(0, _Hook())
    atexit.register(_write)
'''
