"""The steps behind the Snakemake rules: each reads files, calls the package, writes files."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from . import numerics
from .bootstrap import bootstrap, bootstrap_stages
from .crossval import cross_validate_model, rank_models
from .fitting import AugmentedScalingLaw
from .intervals import doubling_interval, doubling_months, percentile_interval
from .models import CANDIDATES, MODELS, VARIANTS, ModelSpec
from .pieces import TOP10_COLUMNS, write_csv, write_json
from .preprocess import Selection, build_analysis_set, load_analysis_set
from .quantities import (closed_form_doubling, closed_form_rates, numerical_rate,
                         transformer_gain)
from .results import ScalingLawResults, System
from .schema import load_evaluations

# --- steps ---------------------------------------------------------------------------------

def preprocess(raw_csv: str, analysis_csv: str, exclusions_csv: str,
               selection: Selection = Selection()) -> None:
    analysis, exclusions = load_analysis_set(raw_csv, selection)
    write_csv(analysis, analysis_csv)
    write_csv(exclusions, exclusions_csv)


def read_analysis(path: str) -> pd.DataFrame:
    return pd.read_csv(path)


def cross_validation(analysis_csv: str, out_csv: str, *, model: int, deltas: list[float],
                     holdout_fraction: float, random_starts: int, seed: int,
                     fold_random_starts: int, fold_shared_starts: int) -> None:
    scores = cross_validate_model(read_analysis(analysis_csv), model, deltas, holdout_fraction,
                                  seed, random_starts, fold_random_starts, fold_shared_starts)
    write_csv(scores, out_csv)


def merge_cross_validation(inputs: list[str], out_csv: str) -> None:
    scores = pd.concat([pd.read_csv(p) for p in inputs], ignore_index=True)
    write_csv(rank_models(scores, CANDIDATES), out_csv)


@dataclass(frozen=True)
class FitSettings:
    """How a step fits and refits (docs/method.md §3): the estimator (`fitting.ESTIMATORS`),
    seeded random starts of a full fit besides θ = 0 and the heuristic point, and the starts
    of each bootstrap refit besides the full fit's optima and the heuristic point (random
    ones of its own, and diverse end points shared between the draws)."""

    random_starts: int = 16
    seed: int = 0
    estimator: str = "paper"
    refit_random_starts: int = 2
    shared_starts: int = 6

    def fit(self, frame: pd.DataFrame, spec: ModelSpec, delta: float):
        return AugmentedScalingLaw(spec, delta, self.random_starts, self.seed,
                                   self.estimator).fit(frame)

    def bootstrap(self, frame: pd.DataFrame, fit, n: int, seed: int, unit: str = "evaluation",
                  progress: bool = True, stages: bool = False):
        """Draws of `fit`'s estimator, or with `stages` every stage's (`bootstrap_stages`)."""
        run = bootstrap_stages if stages else bootstrap
        return run(frame, fit, n, seed, unit, progress, self.refit_random_starts,
                   self.shared_starts)


DOUBLING_KEYS = ("compute", "parameters", "data")


def closed_form_rate_draws(draws: pd.DataFrame, spec: ModelSpec, **shifts: str) -> pd.DataFrame:
    """Closed-form growth rates (per year) of every draw; `shifts` adds a coefficient column
    to another (e.g. alpha_year="alpha_year_post" for the slope after a cutoff)."""
    records = draws[spec.names].to_dict("records")
    return pd.DataFrame([closed_form_rates({**r, **{k: r[k] + r[v] for k, v in shifts.items()}})
                         for r in records], columns=list(DOUBLING_KEYS))


def _theta(draws: pd.DataFrame, spec: ModelSpec) -> np.ndarray:
    return draws[spec.names].to_numpy(float)


# --- the pieces of the estimates, one Snakemake rule each ----------------------------------

def main_fit(analysis_csv: str, out_json: str, *, model: int, delta: float,
             settings: FitSettings) -> None:
    """The preferred model's fit on the full analysis set (the point estimates)."""
    frame = read_analysis(analysis_csv)
    fit = settings.fit(frame, MODELS[model], delta)
    write_json({"main_model": fit.to_dict(), "n_evaluations": len(frame),
                "n_transformer": int(frame["transformer"].sum()),
                "numerics": numerics.describe()}, out_json)


def refit_diagnostics(draws: pd.DataFrame) -> dict:
    """How the draws' refits went: certificate levels, and how often the warm start (the
    full fit) was not the best start, i.e. how often a warm-started refit would have stopped
    in the wrong basin."""
    return {"n": len(draws), "lbfgs_needed": int((draws["level"] == 1).sum()),
            "certificate_failed": int((draws["level"] == 2).sum()),
            "warm_start_not_best": int((draws["warm_gap"] > 1e-7).sum()),
            "starts_per_refit": int(draws["starts"].median()),
            "median_starts_agreeing": float(draws["agreeing"].median())}


def main_bootstrap(analysis_csv: str, out_json: str, draws_csv: str, *, model: int,
                   delta: float, settings: FitSettings, n: int, bootstrap_seed: int,
                   doubling_year: float, doubling_compute: float, progress: bool = True) -> None:
    """Bootstrap of the preferred model (resampled evaluations): the parameter table and
    the doubling times (closed form and numerical), each interval from growth rates. With
    the ``refit`` estimator, the doubling times of its penalised stage (the paper's
    estimator) are given beside."""
    frame = read_analysis(analysis_csv)
    spec = MODELS[model]
    fit = settings.fit(frame, spec, delta)
    stages = settings.bootstrap(frame, fit, n, bootstrap_seed, progress=progress, stages=True)
    draws = stages[fit.estimator]
    rates = closed_form_rate_draws(draws, spec)
    rates["compute_numerical"] = [numerical_rate(spec, theta, fit.normalizer, doubling_year,
                                                 doubling_compute)
                                  for theta in _theta(draws, spec)]
    months = rates.apply(lambda column: column.map(doubling_months))
    write_csv(pd.concat([draws, rates.add_prefix("rate_"), months], axis=1), draws_csv)
    table = {name: {"estimate": fit.params[name], "se": float(draws[name].std(ddof=1)),
                    **percentile_interval(draws[name])} for name in spec.names}
    other = {name: {key: doubling_interval(value) for key, value
                    in closed_form_rate_draws(stage, spec).items()}
             for name, stage in stages.items() if name != fit.estimator}
    write_json({
        "parameter_table": table,
        "bootstrap": {"n": n, "seed": bootstrap_seed, "unit": "evaluation",
                      "estimator": fit.estimator,
                      "refits": {name: refit_diagnostics(stage) for name, stage in stages.items()},
                      "share_alpha_plus_beta_year_negative":
                          float(((draws["alpha_year"] + draws["beta_year"]) < 0).mean())},
        "doubling_time_months": {key: doubling_interval(rates[key]) for key in rates},
        "doubling_time_months_other_estimators": other,
    }, out_json)


def paper_clustered(analysis_csv: str, out_json: str, *, model: int, delta: float,
                    settings: FitSettings, n: int, bootstrap_seed: int,
                    progress: bool = True) -> None:
    """Closed-form doubling times with papers resampled instead of evaluations."""
    frame = read_analysis(analysis_csv)
    spec = MODELS[model]
    fit = settings.fit(frame, spec, delta)
    rates = closed_form_rate_draws(settings.bootstrap(frame, fit, n, bootstrap_seed, "paper",
                                                      progress), spec)
    write_json({"doubling_time_months_paper_clustered":
                    {key: doubling_interval(rates[key]) for key in DOUBLING_KEYS}}, out_json)


def top10_member(analysis_csv: str, selection_csv: str, out_csv: str, *, rank: int,
                 settings: FitSettings, draws: int, bootstrap_seed: int,
                 doubling_year: float, doubling_compute: float, progress: bool = True) -> None:
    """Numerical compute-growth rate of each bootstrap draw of the candidate (model, δ) pair
    ranked `rank` (1 = best) by LOOCV error; no rows when fewer pairs were scored."""
    table = pd.read_csv(selection_csv)
    best = table[table["candidate"]].nsmallest(rank, "loocv_mse")
    if len(best) < rank:
        write_csv(pd.DataFrame(columns=TOP10_COLUMNS), out_csv)
        return
    row = best.iloc[rank - 1]
    frame, spec = read_analysis(analysis_csv), MODELS[int(row["model"])]
    fit = settings.fit(frame, spec, float(row["delta"]))
    resampled = settings.bootstrap(frame, fit, draws, bootstrap_seed + rank, progress=progress)
    rates = [numerical_rate(spec, theta, fit.normalizer, doubling_year, doubling_compute)
             for theta in _theta(resampled, spec)]
    write_csv(pd.DataFrame({"rank": rank, "model": int(row["model"]), "delta": float(row["delta"]),
                            "loocv_mse": float(row["loocv_mse"]), "draw": np.arange(draws),
                            "rate": rates}, columns=TOP10_COLUMNS), out_csv)


def transformer_variant(analysis_csv: str, out_json: str, *, delta: float,
                        settings: FitSettings, n: int, bootstrap_seed: int,
                        computes: list[float], year: float, progress: bool = True) -> None:
    """Model 7 with the transformer multiplier: compute-equivalent gain and loss reduction
    at each compute, with intervals over every draw (an infinite gain counts). With the
    ``refit`` estimator, its penalised stage (the paper's estimator) is given beside."""
    frame, spec = read_analysis(analysis_csv), VARIANTS["transformer_gain"]
    fit = settings.fit(frame, spec, delta)
    stages = settings.bootstrap(frame, fit, n, bootstrap_seed, progress=progress, stages=True)
    points = {fit.estimator: fit}
    if fit.penalised is not None:
        points["paper"] = fit.penalised

    def gains_at(compute: float, name: str) -> dict:
        gains, reductions = zip(*(transformer_gain(spec, theta, fit.normalizer, compute, year)
                                  for theta in _theta(stages[name], spec)))
        point_gain, point_reduction = transformer_gain(spec, points[name].theta,
                                                       fit.normalizer, compute, year)
        return {**percentile_interval(gains), "point": point_gain,
                "loss_reduction": {**percentile_interval(reductions), "point": point_reduction}}

    out = {"point_fit": fit.params}
    for compute in computes:
        out[compute_label(compute)] = gains_at(float(compute), fit.estimator)
        for name in stages:
            if name != fit.estimator:
                out[compute_label(compute)][f"{name}_estimator"] = gains_at(float(compute), name)
    write_json({"transformer_ceg": out,
                "transformer_gain_fit": {"estimator": fit.estimator, "refits": {
                    name: refit_diagnostics(stage) for name, stage in stages.items()}}},
               out_json)


def compute_label(compute: float) -> str:
    """1e+25 -> '1e25', the key of a compute level in the results."""
    return f"{float(compute):.0e}".replace("+", "")


def cutoff(analysis_csv: str, out_json: str, *, year: float, delta: float,
           settings: FitSettings, draws: int, bootstrap_seed: int, progress: bool = True) -> None:
    """Model 7 with hinge year terms at `year`: compute doubling before and after it."""
    frame, spec = read_analysis(analysis_csv), VARIANTS["hinge"].with_cutoff(float(year))
    fit = settings.fit(frame, spec, delta)
    resampled = settings.bootstrap(frame, fit, draws, bootstrap_seed, progress=progress)
    before = closed_form_rate_draws(resampled, spec)["compute"]
    after = closed_form_rate_draws(resampled, spec, alpha_year="alpha_year_post",
                                   beta_year="beta_year_post")["compute"]
    write_json({"cutoff_years": [{"cutoff": year, "before": doubling_interval(before),
                                  "after": doubling_interval(after)}]}, out_json)


def _main_fit(main_fit_json: str) -> ScalingLawResults:
    with open(main_fit_json) as handle:
        return ScalingLawResults.from_dict(json.load(handle)["main_model"])


def shapley(main_fit_json: str, out_json: str, *, systems: dict[str, System],
            pairs: list[tuple[str, str]]) -> None:
    """Shapley shares of the predicted improvement between each pair of systems."""
    unknown = {name for pair in pairs for name in pair} - set(systems)
    if unknown:
        raise ValueError(f"Shapley pairs name systems that are not defined: {sorted(unknown)}")
    main = _main_fit(main_fit_json)
    write_json({"shapley": {f"{start} -> {end}": main.shapley(systems[start], systems[end])
                            for start, end in pairs}}, out_json)


def pareto(main_fit_json: str, out_json: str, *, targets: dict[str, float], years: list[float],
           log10_data_range: tuple[float, float], points: int) -> None:
    """(D, N) frontiers reaching each target perplexity in each year."""
    main = _main_fit(main_fit_json)
    grid = np.logspace(*log10_data_range, points)
    frontiers = {label: {str(year): main.pareto_frontier(perplexity, year, grid).tolist()
                         for year in years} for label, perplexity in targets.items()}
    write_json({"pareto": {"tokens": grid.tolist(), "frontiers": frontiers}}, out_json)


SENSITIVITY_VARIANTS = {
    "main selection": {},
    "without test-time adaptation": {"drop_test_time_adaptation": True},
    "without zero-shot": {"drop_zero_shot": True},
    "with uncertain rows": {"keep_uncertain": True},
    "word-level only": {"levels": ("word",)},
    "paper evidence only": {"evidence": ("paper",)},
    "extended past 2023": {"max_publication_date": None},
    "no per-paper cap": {"per_paper_cap": None},
    "reference-compatible perplexity": {"reference_compatible": True},
}


def sensitivity(raw_csv: str, out_json: str, *, selection: Selection, model: int,
                delta: float, settings: FitSettings, draws: int, bootstrap_seed: int,
                progress: bool = True) -> None:
    """The preferred model on alternative selections of rows (docs/method.md §8, curation):
    `selection` (the main one) with each change of `SENSITIVITY_VARIANTS`."""
    raw = load_evaluations(raw_csv)
    spec = MODELS[model]
    out = {}
    for label, change in SENSITIVITY_VARIANTS.items():
        frame, _ = build_analysis_set(raw, replace(selection, **change))
        result = settings.fit(frame, spec, delta)
        resampled = settings.bootstrap(frame, result, draws, bootstrap_seed, progress=progress)
        rates = closed_form_rate_draws(resampled, spec)["compute"]
        out[label] = {"n_evaluations": len(frame), "objective": result.objective,
                      "compute_doubling_point": closed_form_doubling(result.params)["compute"],
                      "compute_doubling": doubling_interval(rates)}
    write_json(out, out_json)
