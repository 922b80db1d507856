"""Benchmark: this estimator vs the reference approach (SLSQP from θ = 0, numerical
gradients), and both against a brute multistart search, on the same data.

    python benchmarks/bench_fits.py [--data synthetic|curated] [--starts 40] [--folds 10]

Writes benchmarks/out/fits_<data>.csv and prints a summary: per (model, δ) full fit, wall time
and objective of each method, and the relative gap to the best objective found by brute force;
then, for a sample of leave-one-out folds, the same check for the warm-started fold fits.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from tqdm import tqdm

from analysis.crossval import fit_folds, holdout_split
from analysis.fitting import (NEWTON_FROM_START, AugmentedScalingLaw, _lbfgs, newton_polish,
                              objective, starting_points)
from analysis.models import CANDIDATES, MODELS, Normalizer, design
from analysis.preprocess import build_analysis_set
from analysis.schema import load_evaluations
from analysis.synthetic import REFERENCE_MODEL7, simulate

DELTAS = (0.0, 0.0025, 0.02)


def reference_fit(spec, delta, frame):
    """The reference notebooks' approach: SLSQP from zero, finite-difference gradients."""
    norm = Normalizer.of(frame)
    des, y = design(frame, spec, norm), frame["log_ppl"].to_numpy(float)
    result = minimize(lambda th: objective(des, y, th, delta), np.zeros(spec.n_params),
                      method="SLSQP", options={"maxiter": 1000})
    return objective(des, y, result.x, delta)


def brute(spec, delta, frame, starts):
    """Both local searches (L-BFGS-B + Newton, and Newton alone) from many seeded starts."""
    norm = Normalizer.of(frame)
    des, y = design(frame, spec, norm), frame["log_ppl"].to_numpy(float)
    points = starting_points(spec, y, starts, seed=12345)
    ends = [newton_polish(des, y, delta, _lbfgs(des, y, delta, p)) for p in points]
    ends += [newton_polish(des, y, delta, p, max_iter=NEWTON_FROM_START) for p in points]
    return min(objective(des, y, theta, delta) for theta in ends)


def load(kind: str) -> pd.DataFrame:
    if kind == "synthetic":
        return simulate(MODELS[7], REFERENCE_MODEL7, n=231, noise=0.2, seed=1)
    analysis, _ = build_analysis_set(load_evaluations("data/raw/evaluations.csv"))
    return analysis


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=["synthetic", "curated"], default="synthetic")
    parser.add_argument("--starts", type=int, default=40, help="random starts of the brute search")
    parser.add_argument("--folds", type=int, default=10, help="LOO folds checked per (model, δ)")
    args = parser.parse_args()
    frame = load(args.data)
    rows = []
    for model in tqdm(CANDIDATES, desc="models"):
        spec = MODELS[model]
        for delta in DELTAS:
            t0 = time.perf_counter()
            ours = AugmentedScalingLaw(spec, delta, seed=0).fit(frame)
            t_ours = time.perf_counter() - t0
            t0 = time.perf_counter()
            ref = reference_fit(spec, delta, frame)
            t_ref = time.perf_counter() - t0
            best = min(brute(spec, delta, frame, args.starts), ours.objective)
            # warm-started leave-one-out folds against a brute search on the same fold
            loo_idx, _ = holdout_split(len(frame), 0.2, 0)
            loo = frame.iloc[loo_idx].reset_index(drop=True)
            base = AugmentedScalingLaw(spec, delta, seed=0).fit(loo)
            t0 = time.perf_counter()
            thetas, norms, _ = fit_folds(loo, spec, base, 0, 0, 2)
            fold_times = [(time.perf_counter() - t0) / len(loo)]
            gaps = []
            for i in np.random.default_rng(model).choice(len(loo), args.folds, replace=False):
                train = loo.drop(index=i)
                des, y = design(train, spec, norms[i]), train["log_ppl"].to_numpy(float)
                ours_fold = objective(des, y, thetas[i], delta)
                fold_best = min(brute(spec, delta, train, args.starts // 2), ours_fold)
                gaps.append(ours_fold / fold_best - 1)
            rows.append({"model": model, "delta": delta, "ours_objective": ours.objective,
                         "ours_seconds": t_ours, "ours_gap": ours.objective / best - 1,
                         "reference_objective": ref, "reference_seconds": t_ref,
                         "reference_gap": ref / best - 1, "fold_max_gap": max(gaps),
                         "fold_mean_seconds": float(np.mean(fold_times))})
    table = pd.DataFrame(rows)
    out = Path("benchmarks/out")
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / f"fits_{args.data}.csv", index=False)
    print(table.to_string(float_format=lambda v: f"{v:.3g}"))
    print(f"\nfull fits within 1e-7 of brute best: {(table.ours_gap <= 1e-7).mean():.0%}; "
          f"reference within 1e-7: {(table.reference_gap <= 1e-7).mean():.0%}; "
          f"worst reference gap {table.reference_gap.max():.2e}")
    print(f"folds within 1e-7: {(table.fold_max_gap <= 1e-7).mean():.0%} of (model, δ); "
          f"mean fold time {table.fold_mean_seconds.mean() * 1e3:.1f} ms; "
          f"time ratio reference/ours (full fit) {table.reference_seconds.sum() / table.ours_seconds.sum():.2f}")


if __name__ == "__main__":
    main()
