"""Bootstrap of a fitted model (docs/method.md §5): resample evaluations (or papers) and refit
with the full data's normaliser. A resample is a vector of row counts on the full design, so
draws are refitted in batches (`fitting.refit`), each from several starts and at its
certified optimum."""

from __future__ import annotations

import numpy as np
import pandas as pd
from tqdm import tqdm

from .fitting import SHARED_STARTS, FitResult, problem, refit

#: draws refitted together (a basin found by one draw of a batch is tried by all of them)
BATCH = 250


def resample_indices(frame: pd.DataFrame, rng: np.random.Generator, unit: str) -> np.ndarray:
    """Row indices of one resample: rows with replacement, or whole papers with replacement."""
    if unit == "evaluation":
        return rng.integers(0, len(frame), len(frame))
    if unit != "paper":
        raise ValueError(f"unknown resampling unit {unit!r}; expected 'evaluation' or 'paper'")
    groups = frame.groupby("reference", sort=True).indices
    papers = list(groups)
    chosen = rng.integers(0, len(papers), len(papers))
    return np.concatenate([groups[papers[k]] for k in chosen])


def resample_counts(frame: pd.DataFrame, n_draws: int, seed: int, unit: str) -> np.ndarray:
    """(n_draws, n): how often each row appears in each seeded resample."""
    rng = np.random.default_rng(seed)
    return np.array([np.bincount(resample_indices(frame, rng, unit), minlength=len(frame))
                     for _ in range(n_draws)], dtype=float).reshape(n_draws, len(frame))


def bootstrap_stages(frame: pd.DataFrame, full: FitResult, n_draws: int, seed: int,
                     unit: str = "evaluation", progress: bool = False, n_random: int = 2,
                     n_shared: int = SHARED_STARTS) -> dict[str, pd.DataFrame]:
    """Draws of every stage of `full`'s estimator: {"paper": …} or {"effect": …}, and for
    the ``refit`` estimator both {"paper": its penalised stage, "refit": …}. One row per draw:
    the coefficients, then `draw`, `objective`, `kkt_bound` (`fitting.kkt_bound`), `starts`,
    `agreeing` (starts ending within 1e-7 of the best), `warm_gap` (how far above the best
    the warm start's search ended) and `level` (0 Newton certified, 1 L-BFGS-B needed,
    2 certificate failed)."""
    counts = resample_counts(frame, n_draws, seed, unit)
    ls = problem(frame, full.spec, full.normalizer)
    parts: dict[str, list[pd.DataFrame]] = {}
    batches = range(0, n_draws, BATCH)
    for lo in tqdm(batches, disable=not progress,
                   desc=f"bootstrap model {full.spec.model_id} ({full.estimator})"):
        draws = np.arange(lo, min(n_draws, lo + BATCH))
        result = refit(full, ls, counts[draws], [(seed, int(d)) for d in draws], n_random,
                       n_shared)
        for name, theta in result.theta.items():
            parts.setdefault(name, []).append(pd.concat(
                [pd.DataFrame(theta, columns=full.spec.names), pd.DataFrame({"draw": draws}),
                 result.diagnostics[name]], axis=1))
    return {name: pd.concat(frames, ignore_index=True) for name, frames in parts.items()}


def bootstrap(frame: pd.DataFrame, full: FitResult, n_draws: int, seed: int,
              unit: str = "evaluation", progress: bool = False, n_random: int = 2,
              n_shared: int = SHARED_STARTS) -> pd.DataFrame:
    """Draws of `full`'s own estimator (`bootstrap_stages` has the columns)."""
    return bootstrap_stages(frame, full, n_draws, seed, unit, progress, n_random,
                            n_shared)[full.estimator]
