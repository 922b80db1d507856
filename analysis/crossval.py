"""Model selection by cross-validation (docs/method.md §4).

A seeded 20% of the analysis set is held out; on the other 80%, leave-one-out. A fold is
the leave-one-out rows with one row's weight set to zero, so all folds that share a
normaliser (Y₀, N₀, D₀ of their fitting data) are refitted together by `fitting.refit`:
each from the distinct optima of the multistart fit on all leave-one-out rows, the
heuristic point and seeded random points, then from the best points of the other folds.
Every fold starts from the same points whatever its position, so folds do not depend on
their order; each is certified by its KKT residual.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .fitting import AugmentedScalingLaw, problem, refit
from .models import MODELS, ModelSpec, Normalizer, design
from .solver import LeastSquares


def holdout_split(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (leave-one-out part, held-out part); the held-out size is ceil(fraction·n).
    The same split as scikit-learn's `train_test_split(range(n), test_size=fraction,
    random_state=seed)`: the first ceil(fraction·n) entries of a seeded permutation."""
    n_held = int(np.ceil(fraction * n))
    perm = np.random.RandomState(seed).permutation(n)
    return np.sort(perm[n_held:]), np.sort(perm[:n_held])


@dataclass(frozen=True)
class CVScore:
    model: int
    delta: float
    n_params: int
    loocv_mse: float
    loocv_r2: float
    heldout_mse: float
    n_loo: int
    n_heldout: int
    refits: int
    kkt_bound: float  # the folds' largest (fitting.kkt_bound)
    failed_folds: int


def fold_normalizers(loo: pd.DataFrame, spec: ModelSpec) -> list[Normalizer]:
    """The normaliser of each leave-one-out fold (its fitting data's minima)."""
    return [Normalizer.of(loo.drop(index=i), spec.tokens_column) for i in range(len(loo))]


def fit_folds(loo: pd.DataFrame, spec: ModelSpec, base, seed: int, n_random: int,
              n_shared: int) -> tuple[np.ndarray, list[Normalizer], pd.DataFrame]:
    """θ (n, p) of every leave-one-out fold, its normaliser and refit diagnostics."""
    norms = fold_normalizers(loo, spec)
    thetas = np.zeros((len(loo), spec.n_params))
    diagnostics = [None] * len(loo)
    for norm in dict.fromkeys(norms):  # folds sharing a normaliser share a design
        folds = np.array([i for i, other in enumerate(norms) if other == norm])
        weights = np.ones((len(folds), len(loo)))
        weights[np.arange(len(folds)), folds] = 0.0
        result = refit(base, problem(loo, spec, norm), weights,
                       [(seed, int(i)) for i in folds], n_random, n_shared)
        thetas[folds] = result.theta[base.estimator]
        for k, i in enumerate(folds):
            diagnostics[i] = result.diagnostics[base.estimator].iloc[k]
    return thetas, norms, pd.DataFrame(diagnostics).reset_index(drop=True)


def cross_validate(frame: pd.DataFrame, spec: ModelSpec, delta: float, fraction: float = 0.2,
                   seed: int = 0, n_random_starts: int = 16, fold_random_starts: int = 0,
                   fold_shared_starts: int = 2) -> CVScore:
    """LOOCV on the 80% part and held-out MSE averaged over folds, for one (model, δ)."""
    loo_idx, held_idx = holdout_split(len(frame), fraction, seed)
    loo, held = frame.iloc[loo_idx].reset_index(drop=True), frame.iloc[held_idx]
    base = AugmentedScalingLaw(spec, delta, n_random_starts, seed).fit(loo)
    thetas, norms, diag = fit_folds(loo, spec, base, seed, fold_random_starts,
                                     fold_shared_starts)
    y, y_held = loo["log_ppl"].to_numpy(float), held["log_ppl"].to_numpy(float)
    predictions = np.empty(len(loo))
    held_mse = np.empty(len(loo))
    for i, norm in enumerate(norms):
        predictions[i] = LeastSquares(design(loo.iloc[[i]], spec, norm), y[[i]]).predict(thetas[i])[0, 0]
        held_pred = LeastSquares(design(held, spec, norm), y_held).predict(thetas[i])[0]
        held_mse[i] = np.mean((y_held - held_pred) ** 2)
    failed = diag["level"].to_numpy() == 2
    ok = np.isfinite(predictions) & ~failed
    mse = float(np.mean((y[ok] - predictions[ok]) ** 2))
    r2 = 1.0 - np.sum((y[ok] - predictions[ok]) ** 2) / np.sum((y[ok] - y[ok].mean()) ** 2)
    return CVScore(spec.model_id, delta, spec.n_params, mse, float(r2),
                   float(np.mean(held_mse[ok])), len(loo), len(held),
                   int((diag["level"] > 0).sum()), float(diag["kkt_bound"].max()),
                   int(failed.sum()))


def cross_validate_model(frame: pd.DataFrame, model_id: int, deltas: list[float],
                         fraction: float, seed: int, n_random_starts: int = 16,
                         fold_random_starts: int = 0, fold_shared_starts: int = 2
                         ) -> pd.DataFrame:
    """One model over the penalty grid (one Snakemake job)."""
    spec = MODELS[model_id]
    rows = [cross_validate(frame, spec, d, fraction, seed, n_random_starts, fold_random_starts,
                           fold_shared_starts).__dict__ for d in deltas]
    return pd.DataFrame(rows)


def rank_models(scores: pd.DataFrame, candidates: tuple[int, ...]) -> pd.DataFrame:
    """Merge per-model scores; rank the candidates by LOOCV MSE (others get no rank)."""
    table = scores.sort_values(["loocv_mse", "model", "delta"]).reset_index(drop=True)
    table["candidate"] = table["model"].isin(candidates)
    table["rank"] = pd.Series(pd.NA, index=table.index, dtype="Int64")
    is_candidate = table["candidate"]
    table.loc[is_candidate, "rank"] = np.arange(1, is_candidate.sum() + 1)
    return table
