"""The steps behind the Snakemake rules: each reads files, calls the package, writes files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .bootstrap import bootstrap, interval
from .crossval import cross_validate_model, rank_models
from .fitting import AugmentedScalingLaw
from .models import CANDIDATES, MODELS, VARIANTS, ModelSpec
from .preprocess import Selection, build_analysis_set, decimal_year
from .quantities import (closed_form_doubling, numerical_doubling, pareto_frontier,
                         shapley_shares, transformer_gain)
from .schema import load_evaluations

SIGNIFICANT = 10  # digits kept in results files, so reruns are byte-identical


def load_config(path: str | Path) -> dict:
    with open(path) as handle:
        return yaml.safe_load(handle)


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

def preprocess(raw_csv: str, config: dict, analysis_csv: str, exclusions_csv: str) -> None:
    raw = load_evaluations(raw_csv)
    analysis, exclusions = build_analysis_set(raw, Selection.from_config(config["selection"]))
    write_csv(analysis, analysis_csv)
    write_csv(exclusions, exclusions_csv)


def read_analysis(path: str) -> pd.DataFrame:
    return pd.read_csv(path)


def cross_validation(analysis_csv: str, model: int, config: dict, out_csv: str) -> None:
    cv = config["cross_validation"]
    scores = cross_validate_model(read_analysis(analysis_csv), model, cv["deltas"],
                                  cv["holdout_fraction"], config["seed"], cv["random_starts"])
    write_csv(scores, out_csv)


def merge_cross_validation(inputs: list[str], out_csv: str) -> None:
    scores = pd.concat([pd.read_csv(p) for p in inputs], ignore_index=True)
    write_csv(rank_models(scores, CANDIDATES), out_csv)


def fit(frame: pd.DataFrame, spec: ModelSpec, delta: float, config: dict):
    return AugmentedScalingLaw(spec, delta, config["fit"]["random_starts"],
                               config["seed"]).fit(frame)


def _reference_systems(config: dict) -> dict[str, dict]:
    systems = {}
    for name, (params, tokens, date) in config["shapley"]["systems"].items():
        year = float(decimal_year(pd.Series([pd.Timestamp(date)])).iloc[0])
        systems[name] = {"params": float(params), "tokens": float(tokens), "year": year}
    return systems


def _closed_form_draws(draws: pd.DataFrame, spec: ModelSpec, **shifts: str) -> pd.DataFrame:
    """Closed-form doubling times of every draw; `shifts` adds a coefficient column to another
    (e.g. alpha_year="alpha_year_post" for the slope after a cutoff)."""
    records = draws[spec.names].to_dict("records")
    return pd.DataFrame([closed_form_doubling({**r, **{k: r[k] + r[v] for k, v in shifts.items()}})
                         for r in records])


def _draw_quantities(spec: ModelSpec, theta: np.ndarray, norm, config: dict) -> dict:
    params = dict(zip(spec.names, theta))
    out = closed_form_doubling(params)
    doubling = config["doubling"]
    out["compute_numerical"] = numerical_doubling(spec, theta, norm, doubling["year"],
                                                  float(doubling["compute"]))
    return out


def headline(analysis_csv: str, selection_csv: str, config: dict, estimates_json: str,
             draws_csv: str, progress: bool = True) -> None:
    """Main fit, bootstrap, doubling times, top-10 aggregate, CEG, cutoffs, Shapley."""
    frame = read_analysis(analysis_csv)
    pref = config["preferred"]
    spec = MODELS[pref["model"]]
    main = fit(frame, spec, pref["delta"], config)
    boot_cfg = config["bootstrap"]
    seed, n_boot = boot_cfg["seed"], boot_cfg["n"]

    draws = bootstrap(frame, main, n_boot, seed, "evaluation", progress)
    per_draw = pd.DataFrame([_draw_quantities(spec, draws.loc[i, spec.names].to_numpy(float),
                                              main.normalizer, config) for i in draws.index])
    draws = pd.concat([draws, per_draw], axis=1)
    clustered = bootstrap(frame, main, n_boot, seed, "paper", progress)
    cluster_q = _closed_form_draws(clustered, spec)
    write_csv(draws, draws_csv)

    doubling = {key: interval(per_draw[key]) for key in
                ("compute", "compute_numerical", "parameters", "data")}
    doubling["top10_aggregate"], top10_detail = _top10(frame, selection_csv, config, progress)
    table = {name: {"estimate": main.params[name], "se": float(draws[name].std(ddof=1)),
                    **interval(draws[name])} for name in spec.names}
    estimates = {
        "main_model": main.to_dict(),
        "parameter_table": table,
        "bootstrap": {"n": n_boot, "seed": seed, "unit": "evaluation",
                      "escalations": {"lbfgs": int((draws["refit"] == 1).sum()),
                                      "multistart": int((draws["refit"] == 2).sum())},
                      "share_alpha_plus_beta_year_negative":
                          float(((draws["alpha_year"] + draws["beta_year"]) < 0).mean())},
        "doubling_time_months": doubling,
        "doubling_time_months_paper_clustered": {
            key: interval(cluster_q[key]) for key in ("compute", "parameters", "data")},
        "top10": top10_detail,
        "transformer_ceg": _transformer_gain(frame, config, progress),
        "cutoff_years": _cutoffs(frame, config, progress),
        "shapley": _shapley(spec, main, config),
        "pareto": _pareto(spec, main, config),
        "n_evaluations": len(frame),
        "n_transformer": int(frame["transformer"].sum()),
    }
    write_json(estimates, estimates_json)


def _top10(frame: pd.DataFrame, selection_csv: str, config: dict, progress: bool):
    cfg = config["top10"]
    table = pd.read_csv(selection_csv)
    best = table[table["candidate"]].nsmallest(cfg["n_models"], "loocv_mse")
    pooled, detail = [], []
    for k, row in enumerate(best.itertuples()):
        spec = MODELS[int(row.model)]
        result = fit(frame, spec, float(row.delta), config)
        draws = bootstrap(frame, result, cfg["draws"], config["bootstrap"]["seed"] + 1 + k,
                          "evaluation", progress)
        times = [numerical_doubling(spec, draws.loc[i, spec.names].to_numpy(float),
                                    result.normalizer, config["doubling"]["year"],
                                    float(config["doubling"]["compute"])) for i in draws.index]
        pooled += times
        detail.append({"model": int(row.model), "delta": float(row.delta),
                       "loocv_mse": float(row.loocv_mse), **interval(times)})
    return interval(pooled), detail


def _transformer_gain(frame: pd.DataFrame, config: dict, progress: bool) -> dict:
    spec = VARIANTS["transformer_gain"]
    result = fit(frame, spec, config["preferred"]["delta"], config)
    draws = bootstrap(frame, result, config["bootstrap"]["n"], config["bootstrap"]["seed"],
                      "evaluation", progress)
    out = {"point_fit": result.params}
    for compute in config["transformer_ceg"]["compute"]:
        values = [transformer_gain(spec, draws.loc[i, spec.names].to_numpy(float),
                                   result.normalizer, float(compute),
                                   config["doubling"]["year"]) for i in draws.index]
        gains, reductions = zip(*values)
        out[f"{float(compute):.0e}".replace("+", "")] = {
            **interval(gains), "loss_reduction": interval(reductions)}
    return out


def _cutoffs(frame: pd.DataFrame, config: dict, progress: bool) -> list[dict]:
    rows = []
    for cutoff in config["cutoff_years"]:
        spec = VARIANTS["hinge"].with_cutoff(float(cutoff))
        result = fit(frame, spec, config["preferred"]["delta"], config)
        draws = bootstrap(frame, result, config["cutoff_draws"], config["bootstrap"]["seed"],
                          "evaluation", progress)
        before = _closed_form_draws(draws, spec)["compute"]
        after = _closed_form_draws(draws, spec, alpha_year="alpha_year_post",
                                   beta_year="beta_year_post")["compute"]
        rows.append({"cutoff": cutoff, "before": interval(before), "after": interval(after)})
    return rows


def _shapley(spec: ModelSpec, main, config: dict) -> dict:
    systems = _reference_systems(config)
    out = {}
    for start, end in config["shapley"]["pairs"]:
        out[f"{start} -> {end}"] = shapley_shares(spec, main.theta, main.normalizer,
                                                  systems[start], systems[end])
    return out


def _pareto(spec: ModelSpec, main, config: dict) -> dict:
    cfg = config["pareto"]
    grid = np.logspace(*cfg["log10_data_range"], cfg["points"])
    out = {"tokens": grid.tolist(), "frontiers": {}}
    for label, perplexity in cfg["targets"].items():
        out["frontiers"][label] = {str(year): pareto_frontier(spec, main.theta, main.normalizer,
                                                              perplexity, year, grid).tolist()
                                   for year in cfg["years"]}
    return out


SENSITIVITY_VARIANTS = {
    "main selection": {},
    "without test-time adaptation": {"drop_test_time_adaptation": True},
    "without zero-shot": {"drop_zero_shot": True},
    "with uncertain rows": {"keep_uncertain": True},
    "word-level only": {"levels": ["word"]},
    "paper evidence only": {"evidence": ["paper"]},
    "extended past 2023": {"max_publication_date": None},
    "no per-paper cap": {"per_paper_cap": None},
    "reference-compatible perplexity": {"reference_compatible": True},
}


def sensitivity(raw_csv: str, config: dict, out_json: str, progress: bool = True) -> None:
    """The preferred model on alternative selections of rows (docs/method.md §8, curation)."""
    raw = load_evaluations(raw_csv)
    pref, draws_n = config["preferred"], config["sensitivity_draws"]
    spec = MODELS[pref["model"]]
    out = {}
    for label, change in SENSITIVITY_VARIANTS.items():
        selection = Selection.from_config({**config["selection"], **change})
        frame, _ = build_analysis_set(raw, selection)
        result = fit(frame, spec, pref["delta"], config)
        draws = bootstrap(frame, result, draws_n, config["bootstrap"]["seed"], "evaluation",
                          progress)
        times = _closed_form_draws(draws, spec)["compute"]
        out[label] = {"n_evaluations": len(frame), "objective": result.objective,
                      "compute_doubling_point": closed_form_doubling(result.params)["compute"],
                      "compute_doubling": interval(times)}
    write_json(out, out_json)
