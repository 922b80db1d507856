"""The pinned numerical kernels (analysis/numerics.py): whatever BLAS kernel, thread count or
SIMD level the environment asks for, a step runs on the pinned ones and writes the same bytes;
`ALGOPROGRESS_NATIVE_NUMERICS=1` leaves the environment alone. Each case runs in a fresh
interpreter, since the libraries read these variables only when they load."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import numpy as np
import pytest

from analysis.fitting import KKT_TOLERANCE, kkt_bound, kkt_text
from analysis.numerics import NATIVE, PINNED

x86 = pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"),
                         reason="the pinned kernel names are x86-64 OpenBLAS kernels")

#: environments a user might run with; every one differs from the pin
HOSTILE = [
    {"OPENBLAS_CORETYPE": "Sandybridge", "OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2"},
    {"OPENBLAS_CORETYPE": "Prescott", "NPY_DISABLE_CPU_FEATURES": ""},
]

DESCRIBE = ("import json, analysis, scipy.linalg; from analysis import numerics; "
            "print(json.dumps(numerics.describe()))")

#: a seeded fit and bootstrap of model 7 on synthetic data, written as the pipeline writes CSV
BOOTSTRAP = """
import sys
from analysis import MODELS, REFERENCE_MODEL7, ScalingLaw, simulate
from analysis.pieces import write_csv
frame = simulate(MODELS[7], REFERENCE_MODEL7, n=120, noise=0.2, seed=3)
results = ScalingLaw(7, delta=0.0025, seed=0, estimator="refit").fit(frame)
write_csv(results.bootstrap(24, seed=5).draws, sys.argv[1])
"""


def _run(code: str, env: dict[str, str], *args: str) -> str:
    base = {k: v for k, v in os.environ.items() if k not in PINNED and k != NATIVE}
    done = subprocess.run([sys.executable, "-c", code, *args], env={**base, **env},
                          capture_output=True, text=True, check=True)
    return done.stdout


@x86
@pytest.mark.parametrize("env", HOSTILE)
def test_importing_the_package_pins_the_kernels(env):
    described = json.loads(_run(DESCRIBE, env))
    assert described["pinned"] and described["numpy_simd_extensions"] == []
    assert {b["kernel"] for b in described["blas"]} == {PINNED["OPENBLAS_CORETYPE"]}
    assert {b["threads"] for b in described["blas"]} == {1}


@x86
def test_native_numerics_leave_the_environment_alone():
    described = json.loads(_run(DESCRIBE, {**HOSTILE[0], NATIVE: "1"}))
    assert {b["kernel"] for b in described["blas"]} == {"Sandybridge"}
    assert not described["pinned"]


@x86
def test_bootstrap_draws_are_the_same_bytes_under_any_kernel_setting(tmp_path):
    written = []
    for k, env in enumerate(HOSTILE):
        out = tmp_path / f"draws_{k}.csv"
        _run(BOOTSTRAP, env, str(out))
        written.append(out.read_bytes())
    assert written[0] == written[1] and written[0].count(b"\n") == 25


def test_kkt_residuals_are_written_as_the_certificates_bound():
    residuals = np.array([2.3e-13, 7.1e-10, KKT_TOLERANCE, 3e-5])
    assert kkt_bound(residuals).tolist() == [KKT_TOLERANCE] * 3 + [3e-5]
    assert kkt_text(2.3e-13) == kkt_text(7.1e-10) == "≤ 1e-06 (certified)"
    assert kkt_text(3e-5) == "3.0e-05 (not certified)"
