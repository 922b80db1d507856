"""Model selection by cross-validation (docs/method.md §4).

A seeded 20% of the analysis set is held out; on the other 80%, leave-one-out. Each fold is
polished by Newton from every distinct local optimum of the multistart fit on the 80% (never
from the previous fold, so folds do not depend on their order), continues from the best of
those, is certified by its KKT residual and escalates (L-BFGS-B, then a full multistart)
only when the certificate fails (`fit_fold`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .fitting import AugmentedScalingLaw, certified_refit, newton_polish, objective
from .models import MODELS, ModelSpec, Normalizer, design, predict


def holdout_split(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (leave-one-out part, held-out part); the held-out size is ceil(fraction·n)."""
    from sklearn.model_selection import train_test_split  # slow import: only where used
    loo, held = train_test_split(np.arange(n), test_size=fraction, random_state=seed,
                                 shuffle=True)
    return np.sort(loo), np.sort(held)


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
    max_kkt: float
    failed_folds: int


def fit_fold(spec: ModelSpec, delta: float, train: pd.DataFrame, warm: list[np.ndarray],
             seed: int) -> tuple[np.ndarray, Normalizer, bool, float]:
    """Fit one fold: a Newton polish from each warm start (the distinct local optima of the
    fit on all leave-one-out rows, so a removed point that switches the global basin is
    caught), then `certified_refit` from the best one.
    Returns (θ, normaliser, whether more than a Newton polish was needed, KKT residual)."""
    norm = Normalizer.of(train, spec.tokens_column)
    des, y = design(train, spec, norm), train["log_ppl"].to_numpy(float)
    polished = [newton_polish(des, y, delta, start) for start in warm]
    values = [objective(des, y, theta, delta) for theta in polished]
    best = polished[int(np.nanargmin(values))]
    theta, level, kkt = certified_refit(spec, delta, train, norm, best, seed)
    return theta, norm, level > 0, kkt


def cross_validate(frame: pd.DataFrame, spec: ModelSpec, delta: float, fraction: float = 0.2,
                   seed: int = 0, n_random_starts: int = 16) -> CVScore:
    """LOOCV on the 80% part and held-out MSE averaged over folds, for one (model, δ)."""
    loo_idx, held_idx = holdout_split(len(frame), fraction, seed)
    loo, held = frame.iloc[loo_idx].reset_index(drop=True), frame.iloc[held_idx]
    base = AugmentedScalingLaw(spec, delta, n_random_starts, seed).fit(loo)
    y = loo["log_ppl"].to_numpy(float)
    y_held = held["log_ppl"].to_numpy(float)
    predictions, held_mse, kkts = np.full(len(loo), np.nan), [], []
    refits = failed = 0
    for i in range(len(loo)):
        train = loo.drop(index=i)
        try:
            theta, norm, refit, kkt = fit_fold(spec, delta, train, base.optima, seed)
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):
            failed += 1
            continue
        refits += refit
        kkts.append(kkt)
        predictions[i] = predict(design(loo.iloc[[i]], spec, norm), theta)[0]
        held_mse.append(np.mean((y_held - predict(design(held, spec, norm), theta)) ** 2))
    ok = np.isfinite(predictions)
    mse = float(np.mean((y[ok] - predictions[ok]) ** 2))
    r2 = 1.0 - np.sum((y[ok] - predictions[ok]) ** 2) / np.sum((y[ok] - y[ok].mean()) ** 2)
    return CVScore(spec.model_id, delta, spec.n_params, mse, float(r2),
                   float(np.mean(held_mse)), len(loo), len(held), refits,
                   float(max(kkts, default=np.nan)), failed)


def cross_validate_model(frame: pd.DataFrame, model_id: int, deltas: list[float],
                         fraction: float, seed: int, n_random_starts: int = 16) -> pd.DataFrame:
    """One model over the penalty grid (one Snakemake job)."""
    spec = MODELS[model_id]
    rows = [cross_validate(frame, spec, d, fraction, seed, n_random_starts).__dict__
            for d in deltas]
    return pd.DataFrame(rows)


def rank_models(scores: pd.DataFrame, candidates: tuple[int, ...]) -> pd.DataFrame:
    """Merge per-model scores; rank the candidates by LOOCV MSE (others get no rank)."""
    table = scores.sort_values(["loocv_mse", "model", "delta"]).reset_index(drop=True)
    table["candidate"] = table["model"].isin(candidates)
    table["rank"] = pd.Series(pd.NA, index=table.index, dtype="Int64")
    is_candidate = table["candidate"]
    table.loc[is_candidate, "rank"] = np.arange(1, is_candidate.sum() + 1)
    return table
