"""Agreement check: every sampled refit (bootstrap draws of the preferred model, both stages
of the refit estimator, and leave-one-out folds across the CV grid) against an independent
multistart on the same data.

    python benchmarks/bench_refits.py [--data synthetic|curated] [--draws 60] [--folds 60]

Bootstrap draws are refitted as `analysis.bootstrap.bootstrap_stages` does in the pipeline
(batches of 250 draws sharing their best points). The independent search shares no starting point with the pipeline's refits: 40 random
points from another seed, θ = 0 and the heuristic point, each searched by Newton, and the
best 8 of them continued by L-BFGS-B + Newton. A refit agrees when its objective is within
1e-7 (relative) of the independent best. Writes benchmarks/out/refits_<data>.csv.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from analysis import solver
from analysis.bootstrap import bootstrap_stages, resample_counts
from analysis.crossval import fit_folds, holdout_split
from analysis.fitting import AugmentedScalingLaw, Estimator, heuristic_start, problem, random_starts
from analysis.models import MODELS, VARIANTS
from analysis.preprocess import build_analysis_set
from analysis.schema import load_evaluations
from analysis.synthetic import REFERENCE_MODEL7, simulate

AGREE = 1e-7


def independent(ls, spec, w, l1, free, seed):
    """Best objective of an independent multistart on one weighted problem."""
    y_mean = float(w @ ls.y)
    starts = np.vstack([np.zeros(spec.n_params), heuristic_start(spec, y_mean),
                        random_starts(spec, y_mean, 40, seed)]) * free
    effect = np.zeros(spec.n_params)
    ends, values, _ = solver.newton(ls, w[None], starts, l1, effect, free)
    best = [values.min()]
    for k in np.argsort(values)[:8]:
        polished = solver.lbfgs(ls, w, ends[k], l1, effect, free)
        best.append(solver.newton(ls, w[None], polished, l1, effect, free)[1][0])
    return min(best)


def load(kind: str) -> pd.DataFrame:
    if kind == "synthetic":
        truth = {**REFERENCE_MODEL7, "gamma_transformer": 3.03}
        return simulate(VARIANTS["transformer_gain"], truth, n=231, noise=0.215, seed=1)
    analysis, _ = build_analysis_set(load_evaluations("data/raw/evaluations.csv"))
    return analysis


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=["synthetic", "curated"], default="synthetic")
    parser.add_argument("--draws", type=int, default=60, help="bootstrap draws sampled")
    parser.add_argument("--folds", type=int, default=60, help="leave-one-out folds sampled")
    args = parser.parse_args()
    config = yaml.safe_load(open("workflow/config.yaml"))
    frame, rng = load(args.data), np.random.default_rng(2024)
    rows = []
    # bootstrap draws of the preferred model, as the pipeline's main bootstrap makes them
    pref, fit_cfg = config["preferred"], config["fit"]
    spec = MODELS[pref["model"]]
    full = AugmentedScalingLaw(spec, pref["delta"], fit_cfg["random_starts"], config["seed"],
                               fit_cfg["estimator"]).fit(frame)
    n_boot = config["bootstrap"]["n"]
    counts = resample_counts(frame, n_boot, config["bootstrap"]["seed"], "evaluation")
    ls = problem(frame, spec, full.normalizer)
    t0 = time.perf_counter()
    stages = bootstrap_stages(frame, full, n_boot, config["bootstrap"]["seed"], "evaluation",
                              False, fit_cfg["refit_random_starts"], fit_cfg["shared_starts"])
    seconds = time.perf_counter() - t0
    l1, _ = Estimator("paper", pref["delta"]).penalty(spec)
    for d in rng.choice(n_boot, args.draws, replace=False):
        w = counts[d] / counts[d].sum()
        checks = [("bootstrap, paper stage", l1, np.ones(spec.n_params, bool), "paper")]
        if "refit" in stages:
            support = stages["paper"].loc[d, spec.names].to_numpy(float) != 0
            checks.append(("bootstrap, refit stage", np.zeros(spec.n_params), support, "refit"))
        for label, lam, free, stage in checks:
            ours = stages[stage].loc[d, "objective"]
            other = independent(ls, spec, w, lam, free, 10_000 + int(d))
            rows.append({"kind": label, "model": spec.model_id, "delta": pref["delta"],
                         "index": int(d), "ours": ours, "independent": other})
    print(f"bootstrap: {n_boot} draws refitted in {seconds:.1f} s", flush=True)
    # leave-one-out folds across the CV grid, as the pipeline's CV makes them
    cv = config["cross_validation"]
    loo_idx, _ = holdout_split(len(frame), cv["holdout_fraction"], config["seed"])
    loo = frame.iloc[loo_idx].reset_index(drop=True)
    cells = [(m, d) for m in cv["models"] for d in cv["deltas"]]
    for k in rng.choice(len(cells), min(args.folds // 3, len(cells)), replace=False):
        model, delta = cells[k]
        spec = MODELS[model]
        base = AugmentedScalingLaw(spec, delta, cv["random_starts"], config["seed"]).fit(loo)
        thetas, norms, diag = fit_folds(loo, spec, base, config["seed"],
                                        cv["fold_random_starts"], cv["fold_shared_starts"])
        for i in rng.choice(len(loo), 3, replace=False):
            fold_ls = problem(loo, spec, norms[i])
            w = np.ones(len(loo))
            w[i] = 0
            w /= w.sum()
            other = independent(fold_ls, spec, w, np.full(spec.n_params, delta),
                                np.ones(spec.n_params, bool), 20_000 + int(i))
            rows.append({"kind": "fold", "model": model, "delta": delta, "index": int(i),
                         "ours": diag["objective"][i], "independent": other})
        print(f"folds of model {model}, δ = {delta} done", flush=True)
    table = pd.DataFrame(rows)
    table["gap"] = table["ours"] / table["independent"] - 1
    table["agree"] = table["gap"] <= AGREE
    out = Path("benchmarks/out")
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / f"refits_{args.data}.csv", index=False)
    print(table.groupby("kind").agg(n=("agree", "size"), agree=("agree", "sum"),
                                    worst_gap=("gap", "max"), best_gap=("gap", "min")).to_string())
    print(f"agreement: {table['agree'].sum()} / {len(table)} within {AGREE:g}")


if __name__ == "__main__":
    main()
