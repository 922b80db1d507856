"""Robustness appendices that refit a variant of the model family (docs/method.md §8), each
with a bootstrap of evaluations:

- D: the transformer's compute-equivalent gain for each of the top-10 (model, δ) pairs;
- E: vocabulary size, model 7 + γ·ln V (rows that report V; V imputed per benchmark);
- F: training data as tokens seen D·E and as effective data under repetition
  D·(1 + R*·(1 − exp(−(E−1)/R*))) (Muennighoff et al. 2023);
- H: an additive irreducible loss per benchmark;
- the reference-compatible options: the integer-year dummy at cutoff years beside our
  continuous hinge, and the top-10 pool with the reference's unequal weights.

Doubling times are intervals on the rate scale (`intervals.doubling_interval`). A variant
with fewer than `MIN_ROWS_PER_COEFFICIENT` rows per coefficient is reported as "not enough
rows" rather than fitted.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from .intervals import doubling_interval, percentile_interval
from .models import EXTRAS, MODELS, VARIANTS, Coefficient, ModelSpec
from .pipeline import FitSettings, closed_form_rate_draws
from .quantities import closed_form_doubling, numerical_rate, transformer_gain

MIN_ROWS_PER_COEFFICIENT = 2
#: models whose year terms differ by benchmark: the reference pooled one draw per benchmark
PER_BENCHMARK_YEAR = (4, 5, 6, 10, 11)
BENCHMARKS = ("wt103", "ptb", "wt2")
DOUBLING_KEYS = ("compute", "parameters", "data")


def not_enough_rows(frame: pd.DataFrame, spec: ModelSpec) -> str | None:
    need = MIN_ROWS_PER_COEFFICIENT * spec.n_params
    if len(frame) < need:
        return (f"not enough rows: {len(frame)} evaluation(s) for {spec.n_params} "
                f"coefficients (need {need})")
    return None


def doubling_summary(draws: pd.DataFrame, spec: ModelSpec, point: dict[str, float],
                     **shifts: str) -> dict:
    """Closed-form doubling times (months) of a fit and its draws: the point fit's, and the
    interval from the draws' growth rates; `shifts` as in `closed_form_rate_draws`."""
    rates = closed_form_rate_draws(draws, spec, **shifts)
    shifted = {**point, **{k: point[k] + point[v] for k, v in shifts.items()}}
    at_point = closed_form_doubling(shifted)
    return {key: {"point": at_point[key], **doubling_interval(rates[key])}
            for key in DOUBLING_KEYS}


def variant(frame: pd.DataFrame, spec: ModelSpec, settings: FitSettings, delta: float,
            n_draws: int, seed: int, keep: tuple[str, ...] = (), progress: bool = False) -> dict:
    """Fit a variant, bootstrap it, and summarise: point fit, doubling times (point and
    interval) and the intervals of the coefficients named in `keep`."""
    reason = not_enough_rows(frame, spec)
    out = {"model": spec.label, "n_evaluations": len(frame), "delta": delta}
    if reason:
        return {**out, "status": reason}
    result = settings.fit(frame, spec, delta)
    draws = settings.bootstrap(frame, result, n_draws, seed, progress=progress)
    return {**out, "status": "ok", "objective": result.objective, "params": result.params,
            "optimality": result.to_dict()["optimality"], "draws": n_draws,
            "doubling_time_months": doubling_summary(draws, spec, result.params),
            "coefficients": {k: {"point": result.params[k], **percentile_interval(draws[k])}
                             for k in keep}}


# --- D: transformer gain across the top-10 models --------------------------------------------------

def with_transformer(spec: ModelSpec) -> ModelSpec:
    """The model with the transformer multiplier σ(γ) on its prediction for transformers."""
    return replace(spec, label=f"model {spec.model_id} + transformer multiplier σ(γ)",
                   coefficients=spec.coefficients + tuple(EXTRAS["transformer_gain"]))


def top_pairs(selection: pd.DataFrame, n_models: int) -> pd.DataFrame:
    return selection[selection["candidate"]].nsmallest(n_models, "loocv_mse")


def transformer_gain_top10(frame: pd.DataFrame, selection: pd.DataFrame, settings: FitSettings,
                           *, n_models: int, n_draws: int, seed: int, compute: float,
                           year: float, progress: bool = False) -> list[dict]:
    """CEG of the transformer at `compute` FLOP (N = D) for each top (model, δ) pair; every
    draw counts in the interval (an infinite gain too)."""
    rows = []
    for k, pair in enumerate(top_pairs(selection, n_models).itertuples()):
        spec = with_transformer(MODELS[int(pair.model)])
        entry = {"model": int(pair.model), "delta": float(pair.delta),
                 "loocv_mse": float(pair.loocv_mse)}
        reason = not_enough_rows(frame, spec)
        if reason:
            rows.append({**entry, "status": reason})
            continue
        result = settings.fit(frame, spec, float(pair.delta))
        draws = settings.bootstrap(frame, result, n_draws, seed + 1 + k, progress=progress)
        gains = [transformer_gain(spec, theta, result.normalizer, compute, year)
                 for theta in draws[spec.names].to_numpy(float)]
        ceg, reduction = (np.array(v, float) for v in zip(*gains))
        point_ceg, point_reduction = transformer_gain(spec, result.theta, result.normalizer,
                                                      compute, year)
        rows.append({**entry, "status": "ok", "compute": compute, "draws": n_draws,
                     "ceg": {"point": point_ceg, **percentile_interval(ceg),
                             "n_infinite": int(np.isinf(ceg).sum())},
                     "loss_reduction": {"point": point_reduction,
                                        **percentile_interval(reduction)}})
    return rows


# --- E: vocabulary --------------------------------------------------------------------------------

def vocabulary(frame: pd.DataFrame, settings: FitSettings, *, delta: float, n_draws: int,
               seed: int, imputed: dict[str, float], progress: bool = False) -> dict:
    """Model 19 (model 7 + γ·ln V) on rows reporting V, and on all rows with V imputed."""
    spec = MODELS[19]
    known = frame[frame["vocab_size"].notna()].reset_index(drop=True)
    filled = frame.assign(vocab_size=frame["vocab_size"].fillna(frame["benchmark"].map(imputed)))
    return {name: variant(rows, spec, settings, delta, n_draws, seed, ("gamma_vocab",), progress)
            for name, rows in (("known", known), ("imputed", filled))} | {
        "imputed_values": imputed}


# --- F: training data ------------------------------------------------------------------------------

def effective_data(tokens: pd.Series, epochs: pd.Series, r_star: float,
                   repetitions_are_epochs: bool = False) -> pd.Series:
    """D·(1 + R*·(1 − exp(−R/R*))) with R = E − 1 repetitions (Muennighoff et al. 2023); the
    reference used R = E, which credits a single-epoch model with ≈1.85·D at R* = 2.9157."""
    repetitions = epochs if repetitions_are_epochs else epochs - 1.0
    return tokens * (1.0 + r_star * (1.0 - np.exp(-repetitions / r_star)))


def training_data(frame: pd.DataFrame, settings: FitSettings, *, delta: float, n_draws: int,
                  seed: int, r_star: float, r_star_alternative: float,
                  progress: bool = False) -> dict:
    """Model 7 with D replaced by tokens seen or effective data, on rows with known epochs
    and with missing epochs imputed as 1; the reference's E-for-(E−1) and another R* as
    sensitivities."""
    spec = MODELS[20]  # model 7 on the `effective_tokens` column
    known = frame[frame["epochs"].notna()].reset_index(drop=True)
    imputed = frame.assign(epochs=frame["epochs"].fillna(1.0))

    def run(rows: pd.DataFrame, column: pd.Series) -> dict:
        return variant(rows.assign(effective_tokens=column), spec, settings, delta, n_draws,
                       seed, progress=progress)
    return {
        "tokens_seen_known": run(known, known["tokens"] * known["epochs"]),
        "tokens_seen_imputed": run(imputed, imputed["tokens"] * imputed["epochs"]),
        "effective_known": run(known, effective_data(known["tokens"], known["epochs"], r_star)),
        "effective_imputed": run(imputed, effective_data(imputed["tokens"], imputed["epochs"],
                                                         r_star)),
        "effective_imputed_reference_repetitions": run(imputed, effective_data(
            imputed["tokens"], imputed["epochs"], r_star, repetitions_are_epochs=True)),
        "effective_imputed_alternative_r_star": run(imputed, effective_data(
            imputed["tokens"], imputed["epochs"], r_star_alternative)),
        "r_star": r_star, "r_star_alternative": r_star_alternative,
        "rows_with_epochs": len(known),
    }


# --- H: irreducible loss -----------------------------------------------------------------------

def irreducible_loss(frame: pd.DataFrame, settings: FitSettings, *, delta: float, n_draws: int,
                     seed: int, progress: bool = False) -> dict:
    return variant(frame, VARIANTS["irreducible"], settings, delta, n_draws, seed,
                   ("gamma", "gamma_ptb", "gamma_wt2"), progress)


# --- reference-compatible options ------------------------------------------------------------------

def year_dummy(cutoff: float) -> ModelSpec:
    """The reference's cutoff variant: model 7 whose year slopes change by α_year_post,
    β_year_post for evaluations from calendar year `cutoff` on, multiplying t = year − Y₀
    (so the fit jumps at the cutoff)."""
    base = MODELS[7]
    extra = (Coefficient("alpha_year_post", ("u",), ("t", "post"), -1.0),
             Coefficient("beta_year_post", ("v",), ("t", "post"), -1.0))
    return replace(base, label="model 7 with integer-year dummy", cutoff=float(cutoff),
                   coefficients=base.coefficients + extra)


def cutoff_variants(frame: pd.DataFrame, settings: FitSettings, *, delta: float,
                    cutoffs: list[float], n_draws: int, seed: int,
                    progress: bool = False) -> list[dict]:
    """Compute doubling before and after each cutoff: our continuous hinge and the
    reference's integer-year dummy, from bootstraps of the same size and seed."""
    after = {"alpha_year": "alpha_year_post", "beta_year": "beta_year_post"}
    rows = []
    for cutoff in cutoffs:
        entry = {"cutoff": cutoff}
        for label, spec in (("hinge", VARIANTS["hinge"].with_cutoff(float(cutoff))),
                            ("integer_dummy", year_dummy(cutoff))):
            reason = not_enough_rows(frame, spec)
            if reason:
                entry[label] = {"status": reason}
                continue
            result = settings.fit(frame, spec, delta)
            draws = settings.bootstrap(frame, result, n_draws, seed, progress=progress)
            entry[label] = {
                "status": "ok", "objective": result.objective, "draws": n_draws,
                "before": doubling_summary(draws, spec, result.params)["compute"],
                "after": doubling_summary(draws, spec, result.params, **after)["compute"]}
        rows.append(entry)
    return rows


def top10_pools(frame: pd.DataFrame, selection: pd.DataFrame, settings: FitSettings, *,
                n_models: int, n_draws: int, seed: int, year: float, compute: float,
                progress: bool = False) -> dict:
    """The top-10 aggregate of numerical doubling times pooled two ways from the same draws:
    equal weight per (model, δ) on WikiText-103 (ours), and the reference's pool, which
    concatenated every draw and, for models with per-benchmark year terms, one value per
    benchmark, so those models carry three times the weight."""
    ours, reference, detail = [], [], []
    for k, pair in enumerate(top_pairs(selection, n_models).itertuples()):
        spec = MODELS[int(pair.model)]
        result = settings.fit(frame, spec, float(pair.delta))
        draws = settings.bootstrap(frame, result, n_draws, seed + 1 + k, progress=progress)
        thetas = draws[spec.names].to_numpy(float)
        benchmarks = BENCHMARKS if spec.model_id in PER_BENCHMARK_YEAR else ("wt103",)
        rates = {b: np.array([numerical_rate(spec, theta, result.normalizer, year, compute,
                                             benchmark=b) for theta in thetas])
                 for b in benchmarks}
        ours.append(rates["wt103"])
        reference.append(np.concatenate([rates[b] for b in benchmarks]))
        detail.append({"model": spec.model_id, "delta": float(pair.delta),
                       "values_in_reference_pool": int(sum(len(v) for v in rates.values())),
                       **doubling_interval(rates["wt103"])})
    total = sum(d["values_in_reference_pool"] for d in detail)
    for d in detail:
        d["reference_pool_share"] = d["values_in_reference_pool"] / total
    return {"draws_per_pair": n_draws, "pairs": detail,
            "equal_weight": doubling_interval(np.concatenate(ours) if ours else []),
            "reference_unequal_weight": doubling_interval(np.concatenate(reference)
                                                          if reference else [])}
