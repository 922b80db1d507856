"""The steps behind the Snakemake rules: each reads files, calls the package, writes files."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .bootstrap import bootstrap, interval
from .crossval import cross_validate_model, rank_models
from .fitting import AugmentedScalingLaw
from .models import CANDIDATES, MODELS, VARIANTS, ModelSpec
from .preprocess import Selection, build_analysis_set, load_analysis_set
from .quantities import (closed_form_doubling, numerical_doubling, pareto_frontier,
                         shapley_shares, transformer_gain)
from .results import System
from .schema import load_evaluations

SIGNIFICANT = 10  # digits kept in results files, so reruns are byte-identical


def _clean(value):
    """Round floats and make NaN/inf JSON-safe, recursively."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return None if not math.isfinite(value) else float(f"{value:.{SIGNIFICANT}g}")
    if isinstance(value, np.integer):
        return int(value)
    return value


def write_json(data: dict, path: str | Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(_clean(data), indent=2, sort_keys=True) + "\n")


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, float_format=f"%.{SIGNIFICANT}g")


# --- steps ---------------------------------------------------------------------------------

def preprocess(raw_csv: str, analysis_csv: str, exclusions_csv: str,
               selection: Selection = Selection()) -> None:
    analysis, exclusions = load_analysis_set(raw_csv, selection)
    write_csv(analysis, analysis_csv)
    write_csv(exclusions, exclusions_csv)


def read_analysis(path: str) -> pd.DataFrame:
    return pd.read_csv(path)


def cross_validation(analysis_csv: str, out_csv: str, *, model: int, deltas: list[float],
                     holdout_fraction: float, random_starts: int, seed: int) -> None:
    scores = cross_validate_model(read_analysis(analysis_csv), model, deltas, holdout_fraction,
                                  seed, random_starts)
    write_csv(scores, out_csv)


def merge_cross_validation(inputs: list[str], out_csv: str) -> None:
    scores = pd.concat([pd.read_csv(p) for p in inputs], ignore_index=True)
    write_csv(rank_models(scores, CANDIDATES), out_csv)


@dataclass(frozen=True)
class FitSettings:
    """How every fit of a step searches: seeded random starts besides θ = 0 and the
    heuristic point."""

    random_starts: int = 16
    seed: int = 0

    def fit(self, frame: pd.DataFrame, spec: ModelSpec, delta: float):
        return AugmentedScalingLaw(spec, delta, self.random_starts, self.seed).fit(frame)


def _closed_form_draws(draws: pd.DataFrame, spec: ModelSpec, **shifts: str) -> pd.DataFrame:
    """Closed-form doubling times of every draw; `shifts` adds a coefficient column to another
    (e.g. alpha_year="alpha_year_post" for the slope after a cutoff)."""
    records = draws[spec.names].to_dict("records")
    return pd.DataFrame([closed_form_doubling({**r, **{k: r[k] + r[v] for k, v in shifts.items()}})
                         for r in records])


def _draw_quantities(spec: ModelSpec, theta: np.ndarray, norm, year: float,
                     compute: float) -> dict:
    out = closed_form_doubling(dict(zip(spec.names, theta)))
    out["compute_numerical"] = numerical_doubling(spec, theta, norm, year, compute)
    return out


def headline(analysis_csv: str, selection_csv: str, estimates_json: str, draws_csv: str, *,
             model: int, delta: float, random_starts: int, seed: int, bootstrap_n: int,
             bootstrap_seed: int, top10_models: int, top10_draws: int,
             cutoff_years: list[float], cutoff_draws: int, doubling_year: float,
             doubling_compute: float, ceg_compute: list[float],
             shapley_systems: dict[str, System], shapley_pairs: list[tuple[str, str]],
             pareto_targets: dict[str, float], pareto_years: list[float],
             pareto_log10_data_range: tuple[float, float], pareto_points: int,
             progress: bool = True) -> None:
    """Main fit, bootstrap, doubling times, top-10 aggregate, CEG, cutoffs, Shapley."""
    frame = read_analysis(analysis_csv)
    settings = FitSettings(random_starts, seed)
    spec = MODELS[model]
    main = settings.fit(frame, spec, delta)

    draws = bootstrap(frame, main, bootstrap_n, bootstrap_seed, "evaluation", progress)
    per_draw = pd.DataFrame([_draw_quantities(spec, draws.loc[i, spec.names].to_numpy(float),
                                              main.normalizer, doubling_year, doubling_compute)
                             for i in draws.index])
    draws = pd.concat([draws, per_draw], axis=1)
    clustered = bootstrap(frame, main, bootstrap_n, bootstrap_seed, "paper", progress)
    cluster_q = _closed_form_draws(clustered, spec)
    write_csv(draws, draws_csv)

    doubling = {key: interval(per_draw[key]) for key in
                ("compute", "compute_numerical", "parameters", "data")}
    doubling["top10_aggregate"], top10_detail = _top10(
        frame, selection_csv, settings, top10_models, top10_draws, bootstrap_seed,
        doubling_year, doubling_compute, progress)
    table = {name: {"estimate": main.params[name], "se": float(draws[name].std(ddof=1)),
                    **interval(draws[name])} for name in spec.names}
    estimates = {
        "main_model": main.to_dict(),
        "parameter_table": table,
        "bootstrap": {"n": bootstrap_n, "seed": bootstrap_seed, "unit": "evaluation",
                      "escalations": {"lbfgs": int((draws["refit"] == 1).sum()),
                                      "multistart": int((draws["refit"] == 2).sum())},
                      "share_alpha_plus_beta_year_negative":
                          float(((draws["alpha_year"] + draws["beta_year"]) < 0).mean())},
        "doubling_time_months": doubling,
        "doubling_time_months_paper_clustered": {
            key: interval(cluster_q[key]) for key in ("compute", "parameters", "data")},
        "top10": top10_detail,
        "transformer_ceg": _transformer_gain(frame, settings, delta, bootstrap_n, bootstrap_seed,
                                             ceg_compute, doubling_year, progress),
        "cutoff_years": _cutoffs(frame, settings, delta, cutoff_years, cutoff_draws,
                                 bootstrap_seed, progress),
        "shapley": _shapley(spec, main, shapley_systems, shapley_pairs),
        "pareto": _pareto(spec, main, pareto_targets, pareto_years, pareto_log10_data_range,
                          pareto_points),
        "n_evaluations": len(frame),
        "n_transformer": int(frame["transformer"].sum()),
    }
    write_json(estimates, estimates_json)


def _top10(frame: pd.DataFrame, selection_csv: str, settings: FitSettings, n_models: int,
           n_draws: int, seed: int, year: float, compute: float, progress: bool):
    table = pd.read_csv(selection_csv)
    best = table[table["candidate"]].nsmallest(n_models, "loocv_mse")
    pooled, detail = [], []
    for k, row in enumerate(best.itertuples()):
        spec = MODELS[int(row.model)]
        result = settings.fit(frame, spec, float(row.delta))
        draws = bootstrap(frame, result, n_draws, seed + 1 + k, "evaluation", progress)
        times = [numerical_doubling(spec, draws.loc[i, spec.names].to_numpy(float),
                                    result.normalizer, year, compute) for i in draws.index]
        pooled += times
        detail.append({"model": int(row.model), "delta": float(row.delta),
                       "loocv_mse": float(row.loocv_mse), **interval(times)})
    return interval(pooled), detail


def _transformer_gain(frame: pd.DataFrame, settings: FitSettings, delta: float, n_draws: int,
                      seed: int, computes: list[float], year: float, progress: bool) -> dict:
    spec = VARIANTS["transformer_gain"]
    result = settings.fit(frame, spec, delta)
    draws = bootstrap(frame, result, n_draws, seed, "evaluation", progress)
    out = {"point_fit": result.params}
    for compute in computes:
        values = [transformer_gain(spec, draws.loc[i, spec.names].to_numpy(float),
                                   result.normalizer, float(compute), year) for i in draws.index]
        gains, reductions = zip(*values)
        out[f"{float(compute):.0e}".replace("+", "")] = {
            **interval(gains), "loss_reduction": interval(reductions)}
    return out


def _cutoffs(frame: pd.DataFrame, settings: FitSettings, delta: float, cutoffs: list[float],
             n_draws: int, seed: int, progress: bool) -> list[dict]:
    rows = []
    for cutoff in cutoffs:
        spec = VARIANTS["hinge"].with_cutoff(float(cutoff))
        result = settings.fit(frame, spec, delta)
        draws = bootstrap(frame, result, n_draws, seed, "evaluation", progress)
        before = _closed_form_draws(draws, spec)["compute"]
        after = _closed_form_draws(draws, spec, alpha_year="alpha_year_post",
                                   beta_year="beta_year_post")["compute"]
        rows.append({"cutoff": cutoff, "before": interval(before), "after": interval(after)})
    return rows


def _shapley(spec: ModelSpec, main, systems: dict[str, System],
             pairs: list[tuple[str, str]]) -> dict:
    unknown = {name for pair in pairs for name in pair} - set(systems)
    if unknown:
        raise ValueError(f"Shapley pairs name systems that are not defined: {sorted(unknown)}")
    out = {}
    for start, end in pairs:
        out[f"{start} -> {end}"] = shapley_shares(spec, main.theta, main.normalizer,
                                                  asdict(systems[start]), asdict(systems[end]))
    return out


def _pareto(spec: ModelSpec, main, targets: dict[str, float], years: list[float],
            log10_data_range: tuple[float, float], points: int) -> dict:
    grid = np.logspace(*log10_data_range, points)
    out = {"tokens": grid.tolist(), "frontiers": {}}
    for label, perplexity in targets.items():
        out["frontiers"][label] = {str(year): pareto_frontier(
            spec, main.theta, main.normalizer, perplexity, year, grid).tolist() for year in years}
    return out


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
                delta: float, random_starts: int, seed: int, draws: int, bootstrap_seed: int,
                progress: bool = True) -> None:
    """The preferred model on alternative selections of rows (docs/method.md §8, curation):
    `selection` (the main one) with each change of `SENSITIVITY_VARIANTS`."""
    raw = load_evaluations(raw_csv)
    settings, spec = FitSettings(random_starts, seed), MODELS[model]
    out = {}
    for label, change in SENSITIVITY_VARIANTS.items():
        frame, _ = build_analysis_set(raw, replace(selection, **change))
        result = settings.fit(frame, spec, delta)
        resampled = bootstrap(frame, result, draws, bootstrap_seed, "evaluation", progress)
        times = _closed_form_draws(resampled, spec)["compute"]
        out[label] = {"n_evaluations": len(frame), "objective": result.objective,
                      "compute_doubling_point": closed_form_doubling(result.params)["compute"],
                      "compute_doubling": interval(times)}
    write_json(out, out_json)
