"""Robustness appendices that refit a variant of the model family (docs/method.md §8), each with
a bootstrap of evaluations:

- D: the transformer's compute-equivalent gain for each of the top-10 (model, δ) pairs;
- E: vocabulary size, model 7 + γ·ln V (rows that report V; V imputed per benchmark);
- F: training data as tokens seen D·E and as effective data under repetition
  D·(1 + R*·(1 − exp(−(E−1)/R*))) (Muennighoff et al. 2023);
- H: an additive irreducible loss per benchmark;
- the reference-compatible options: the integer-year dummy at cutoff years beside our
  continuous hinge, and the top-10 pool with the reference's unequal weights.

A variant with fewer than `MIN_ROWS_PER_COEFFICIENT` rows per coefficient is reported as
"not enough rows" rather than fitted.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from .bootstrap import bootstrap, interval
from .fitting import AugmentedScalingLaw, FitResult
from .models import EXTRAS, MODELS, VARIANTS, Coefficient, ModelSpec
from .quantities import LN2, MONTHS, numerical_doubling, transformer_gain

MIN_ROWS_PER_COEFFICIENT = 2
#: models whose year terms differ by benchmark: the reference pooled one draw per benchmark
PER_BENCHMARK_YEAR = (4, 5, 6, 10, 11)
BENCHMARKS = ("wt103", "ptb", "wt2")


def fit(frame: pd.DataFrame, spec: ModelSpec, delta: float, config: dict) -> FitResult:
    return AugmentedScalingLaw(spec, delta, config["fit"]["random_starts"],
                               config["seed"]).fit(frame)


def not_enough_rows(frame: pd.DataFrame, spec: ModelSpec) -> str | None:
    need = MIN_ROWS_PER_COEFFICIENT * spec.n_params
    if len(frame) < need:
        return (f"not enough rows: {len(frame)} evaluation(s) for {spec.n_params} "
                f"coefficients (need {need})")
    return None


# --- adapters: the shared bootstrap and interval summaries ------------------------------------

def draws_of(frame: pd.DataFrame, result: FitResult, n_draws: int, seed: int,
             unit: str = "evaluation", progress: bool = False) -> pd.DataFrame:
    """Coefficient draws of `result` refitted on `n_draws` seeded resamples."""
    return bootstrap(frame, result, n_draws, seed, unit, progress)


def summary(values) -> dict:
    """Median and 95% percentile interval of draws, with how many were finite."""
    return {**interval(values), "n_draws": int(np.size(values))}


def growth_rates(coefficients: pd.DataFrame, **shifts: str) -> pd.DataFrame:
    """Doublings per year of effective parameters (α_year/(ln2·α_N)), data and compute (their
    sum), one row per row of `coefficients`; a missing year term is no progress. `shifts`
    adds one coefficient to another first (alpha_year="alpha_year_post": after a cutoff)."""
    table = coefficients.copy()
    for target, extra in shifts.items():
        table[target] = table[target] + table[extra]
    zero = pd.Series(0.0, index=table.index)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate_n = table.get("alpha_year", zero) / (LN2 * table["alpha_N"])
        rate_d = table.get("beta_year", zero) / (LN2 * table["beta_D"])
    return pd.DataFrame({"parameters": rate_n, "data": rate_d, "compute": rate_n + rate_d})


def doubling_summary(draws: pd.DataFrame, point: dict[str, float], **shifts: str) -> dict:
    """Doubling times in months built on growth rates (docs/method.md §3): percentiles of the
    rate, inverted; a rate interval reaching 0 leaves the doubling time unbounded (None)."""
    rates = growth_rates(draws, **shifts)
    point_rates = growth_rates(pd.DataFrame([point]), **shifts).iloc[0]
    out = {}
    for key in ("compute", "parameters", "data"):
        values = rates[key].to_numpy(float)
        finite = values[np.isfinite(values)]
        entry = {"point": _months(point_rates[key]), "n_valid": int(finite.size),
                 "n_draws": len(values)}
        if finite.size:
            lo, med, hi = np.percentile(finite, [2.5, 50, 97.5])
            entry.update({"median": _months(med), "ci95": [_months(hi), _months(lo)],
                          "rate_per_year": {"median": float(med), "ci95": [float(lo), float(hi)]},
                          "bounded": bool(lo > 0)})
        out[key] = entry
    return out


def _months(rate: float) -> float | None:
    """12/rate for a positive rate; None (no finite doubling time) otherwise."""
    return float(MONTHS / rate) if np.isfinite(rate) and rate > 0 else None


def variant(frame: pd.DataFrame, spec: ModelSpec, config: dict, n_draws: int, seed: int,
            progress: bool = False, keep: tuple[str, ...] = ()) -> dict:
    """Fit a variant, bootstrap it, and summarise: point fit, doubling times (point and
    interval) and the intervals of the coefficients named in `keep`."""
    delta = config["preferred"]["delta"]
    reason = not_enough_rows(frame, spec)
    out = {"model": spec.label, "n_evaluations": len(frame), "delta": delta}
    if reason:
        return {**out, "status": reason}
    result = fit(frame, spec, delta, config)
    draws = draws_of(frame, result, n_draws, seed, progress=progress)
    return {**out, "status": "ok", "objective": result.objective, "params": result.params,
            "optimality": result.to_dict()["optimality"], "draws": n_draws,
            "doubling_time_months": doubling_summary(draws, result.params),
            "coefficients": {k: {"point": result.params[k], **summary(draws[k])} for k in keep}}


# --- D: transformer gain across the top-10 models --------------------------------------------------

def with_transformer(spec: ModelSpec) -> ModelSpec:
    """The model with the transformer multiplier σ(γ) on its prediction for transformers."""
    return replace(spec, label=f"model {spec.model_id} + transformer multiplier σ(γ)",
                   coefficients=spec.coefficients + tuple(EXTRAS["transformer_gain"]))


def top_pairs(selection: pd.DataFrame, n_models: int) -> pd.DataFrame:
    return selection[selection["candidate"]].nsmallest(n_models, "loocv_mse")


def transformer_gain_top10(frame: pd.DataFrame, selection: pd.DataFrame, config: dict,
                           n_draws: int, compute: float, progress: bool = False) -> list[dict]:
    """CEG of the transformer at `compute` FLOP (N = D) for each top-10 (model, δ) pair."""
    rows = []
    seed = config["bootstrap"]["seed"]
    for k, pair in enumerate(top_pairs(selection, config["top10"]["n_models"]).itertuples()):
        spec = with_transformer(MODELS[int(pair.model)])
        entry = {"model": int(pair.model), "delta": float(pair.delta),
                 "loocv_mse": float(pair.loocv_mse)}
        reason = not_enough_rows(frame, spec)
        if reason:
            rows.append({**entry, "status": reason})
            continue
        result = fit(frame, spec, float(pair.delta), config)
        draws = draws_of(frame, result, n_draws, seed + 1 + k, progress=progress)
        gains = [transformer_gain(spec, draws.loc[i, spec.names].to_numpy(float),
                                  result.normalizer, compute)
                 for i in draws.index]
        ceg, reduction = (np.array(v, float) for v in zip(*gains))
        point_ceg, point_reduction = transformer_gain(spec, result.theta, result.normalizer,
                                                      compute)
        rows.append({**entry, "status": "ok", "compute": compute, "draws": n_draws,
                     "ceg": {"point": point_ceg, **summary(ceg),
                             "n_infinite": int(np.isinf(ceg).sum())},
                     "loss_reduction": {"point": point_reduction, **summary(reduction)}})
    return rows


# --- E: vocabulary --------------------------------------------------------------------------------

def vocabulary(frame: pd.DataFrame, config: dict, imputed: dict[str, float], n_draws: int,
               progress: bool = False) -> dict:
    """Model 19 (model 7 + γ·ln V) on rows reporting V, and on all rows with V imputed."""
    spec, seed = MODELS[19], config["bootstrap"]["seed"]
    known = frame[frame["vocab_size"].notna()].reset_index(drop=True)
    filled = frame.assign(vocab_size=frame["vocab_size"].fillna(frame["benchmark"].map(imputed)))
    return {"known": variant(known, spec, config, n_draws, seed, progress, ("gamma_vocab",)),
            "imputed": variant(filled, spec, config, n_draws, seed, progress, ("gamma_vocab",)),
            "imputed_values": imputed}


# --- F: training data ------------------------------------------------------------------------------

def effective_data(tokens: pd.Series, epochs: pd.Series, r_star: float,
                   repetitions_are_epochs: bool = False) -> pd.Series:
    """D·(1 + R*·(1 − exp(−R/R*))) with R = E − 1 repetitions (Muennighoff et al. 2023); the
    reference used R = E, which credits a single-epoch model with ≈1.85·D at R* = 2.9157."""
    repetitions = epochs if repetitions_are_epochs else epochs - 1.0
    return tokens * (1.0 + r_star * (1.0 - np.exp(-repetitions / r_star)))


def training_data(frame: pd.DataFrame, config: dict, r_star: float, r_star_alternative: float,
                  n_draws: int, progress: bool = False) -> dict:
    """Model 7 with D replaced by tokens seen or effective data, on rows with known epochs
    and with missing epochs imputed as 1; the reference's E-for-(E−1) and another R* as
    sensitivities."""
    spec, seed = MODELS[20], config["bootstrap"]["seed"]  # model 7 on `effective_tokens`
    known = frame[frame["epochs"].notna()].reset_index(drop=True)
    imputed = frame.assign(epochs=frame["epochs"].fillna(1.0))

    def run(rows: pd.DataFrame, column: pd.Series) -> dict:
        return variant(rows.assign(effective_tokens=column), spec, config, n_draws, seed,
                       progress)
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

def irreducible_loss(frame: pd.DataFrame, config: dict, n_draws: int,
                     progress: bool = False) -> dict:
    return variant(frame, VARIANTS["irreducible"], config, n_draws, config["bootstrap"]["seed"],
                   progress, ("gamma", "gamma_ptb", "gamma_wt2"))


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


def cutoff_variants(frame: pd.DataFrame, config: dict, cutoffs: list[float], n_draws: int,
                    progress: bool = False) -> list[dict]:
    """Compute doubling before and after each cutoff: our continuous hinge and the
    reference's integer-year dummy, from bootstraps of the same size and seed."""
    rows, delta, seed = [], config["preferred"]["delta"], config["bootstrap"]["seed"]
    for cutoff in cutoffs:
        entry = {"cutoff": cutoff}
        for label, spec in (("hinge", VARIANTS["hinge"].with_cutoff(float(cutoff))),
                            ("integer_dummy", year_dummy(cutoff))):
            reason = not_enough_rows(frame, spec)
            if reason:
                entry[label] = {"status": reason}
                continue
            result = fit(frame, spec, delta, config)
            draws = draws_of(frame, result, n_draws, seed, progress=progress)
            after = {"alpha_year": "alpha_year_post", "beta_year": "beta_year_post"}
            entry[label] = {"status": "ok", "objective": result.objective, "draws": n_draws,
                            "before": doubling_summary(draws, result.params)["compute"],
                            "after": doubling_summary(draws, result.params, **after)["compute"]}
        rows.append(entry)
    return rows


def top10_pools(frame: pd.DataFrame, selection: pd.DataFrame, config: dict, n_draws: int,
                progress: bool = False) -> dict:
    """The top-10 aggregate of numerical doubling times pooled two ways from the same draws:
    equal weight per (model, δ) on WikiText-103 (ours), and the reference's pool, which
    concatenated every draw and, for models with per-benchmark year terms, one value per
    benchmark, so those models carry three times the weight."""
    doubling = config["doubling"]
    seed = config["bootstrap"]["seed"]
    ours, reference, detail = [], [], []
    for k, pair in enumerate(top_pairs(selection, config["top10"]["n_models"]).itertuples()):
        spec = MODELS[int(pair.model)]
        result = fit(frame, spec, float(pair.delta), config)
        draws = draws_of(frame, result, n_draws, seed + 1 + k, progress=progress)
        benchmarks = BENCHMARKS if spec.model_id in PER_BENCHMARK_YEAR else ("wt103",)
        values = {b: np.array([numerical_doubling(spec, draws.loc[i, spec.names].to_numpy(float),
                                                  result.normalizer, doubling["year"],
                                                  float(doubling["compute"]), benchmark=b)
                               for i in draws.index]) for b in benchmarks}
        ours.append(values["wt103"])
        reference.append(np.concatenate([values[b] for b in benchmarks]))
        detail.append({"model": spec.model_id, "delta": float(pair.delta),
                       "values_in_reference_pool": int(sum(len(v) for v in values.values())),
                       **summary(values["wt103"])})
    total = sum(d["values_in_reference_pool"] for d in detail)
    for d in detail:
        d["reference_pool_share"] = d["values_in_reference_pool"] / total if total else None
    return {"draws_per_pair": n_draws, "equal_weight": summary(np.concatenate(ours or [[]])),
            "reference_unequal_weight": summary(np.concatenate(reference or [[]])),
            "pairs": detail}
