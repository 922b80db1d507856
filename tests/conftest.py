"""Shared fixtures: repository paths from this file's location (not the working directory)
and synthetic analysis sets, each built once per session and copied for every test."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.models import MODELS, VARIANTS
from analysis.synthetic import REFERENCE_MODEL7, simulate

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
VALID_CSV = TESTS / "data" / "valid.csv"

#: name -> (spec, truth, rows, noise SD, seed) of the synthetic sets the tests share
SYNTHETIC = {
    "model7_exact": (MODELS[7], REFERENCE_MODEL7, 231, 0.0, 1),
    "model7_noisy": (MODELS[7], REFERENCE_MODEL7, 80, 0.05, 2),
    "model7_two_minima": (MODELS[7], REFERENCE_MODEL7, 231, 0.2, 1),
    "transformer_gain": (VARIANTS["transformer_gain"],
                         {**REFERENCE_MODEL7, "gamma_transformer": 2.0}, 400, 0.01, 6),
}


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def valid_csv() -> Path:
    """Four fictional rows that pass the schema."""
    return VALID_CSV


@pytest.fixture(scope="session")
def synthetic():
    """`synthetic(name)`: a fresh copy of the named set of `SYNTHETIC` (each built once)."""
    built: dict[str, pd.DataFrame] = {}

    def get(name: str) -> pd.DataFrame:
        if name not in built:
            spec, truth, n, noise, seed = SYNTHETIC[name]
            built[name] = simulate(spec, truth, n=n, noise=noise, seed=seed)
        return built[name].copy()
    return get
