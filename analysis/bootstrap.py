"""Bootstrap of a fitted model (docs/method.md §5): resample evaluations (or papers), refit with
the full data's normaliser, and certify each refit's optimality."""

from __future__ import annotations

import numpy as np
import pandas as pd
from tqdm import tqdm

from .fitting import FitResult, certified_refit


def resample_indices(frame: pd.DataFrame, rng: np.random.Generator, unit: str) -> np.ndarray:
    """Row indices of one resample: rows with replacement, or whole papers with replacement."""
    if unit == "evaluation":
        return rng.integers(0, len(frame), len(frame))
    groups = frame.groupby("reference", sort=True).indices
    papers = list(groups)
    chosen = rng.integers(0, len(papers), len(papers))
    return np.concatenate([groups[papers[k]] for k in chosen])


def bootstrap(frame: pd.DataFrame, full: FitResult, n_draws: int, seed: int,
              unit: str = "evaluation", progress: bool = False) -> pd.DataFrame:
    """Coefficients of `n_draws` refits; columns are coefficient names plus diagnostics."""
    rng = np.random.default_rng(seed)
    spec, delta, norm = full.spec, full.delta, full.normalizer
    rows = []
    for draw in tqdm(range(n_draws), disable=not progress, desc=f"bootstrap model {spec.model_id}"):
        sample = frame.iloc[resample_indices(frame, rng, unit)].reset_index(drop=True)
        theta, level, kkt = certified_refit(spec, delta, sample, norm, full.theta, seed + draw)
        rows.append({**dict(zip(spec.names, theta)), "draw": draw, "refit": level, "kkt": kkt})
    return pd.DataFrame(rows)


def interval_key(level: float) -> str:
    """The key an interval at `level` is stored under: 0.95 -> 'ci95', 0.9 -> 'ci90'."""
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    return f"ci{100 * level:g}"


def interval(values, level: float = 0.95) -> dict:
    """Median and percentile interval at `level` (key from `interval_key`) of the finite
    values, and how many there were (``n_valid``)."""
    key = interval_key(level)
    arr = np.asarray(values, float)
    finite = arr[np.isfinite(arr)]
    if finite.size == 0:
        return {"median": None, key: [None, None], "n_valid": 0}
    lo, hi = np.percentile(finite, [50 * (1 - level), 50 * (1 + level)])
    return {"median": float(np.median(finite)), key: [float(lo), float(hi)],
            "n_valid": int(finite.size)}
