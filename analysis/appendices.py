"""Robustness appendices that are regressions or scaling-law comparisons (docs/method.md §8):

- A: progress seen directly in the data: OLS of ln(C/C_s) on date around a reference system;
- B: compute-equivalent gain of Chinchilla's over Kaplan's allocation, and of actual models;
- C: the preferred model's parameter table and its compute-optimal frontier beside
  Chinchilla's and Kaplan's;
- J: compute only: model 18 in cross-validation and the tokens-per-parameter trend.

Model-variant fits (D, E, F, H) live in `appendix_fits`, correlated errors (I) in `clustered`.
Regressions use statsmodels OLS with HC3 (heteroscedasticity-robust) intervals.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm

from .fitting import FitResult
from .intervals import percentile_interval
from .models import ModelSpec, design
from .quantities import point
from .scaling import CHINCHILLA, KAPLAN, ChinchillaLaw, gain_of_allocation, kaplan_vs_chinchilla_gain

LN2 = math.log(2.0)
MONTHS = 12.0


# --- OLS trends ----------------------------------------------------------------------------------

def ols_trend(x, y, x_name: str, y_name: str) -> dict:
    """y = intercept + slope·x by OLS; classical and HC3-robust 95% intervals, R², and the
    statsmodels coefficient table (robust) as text."""
    exog = sm.add_constant(pd.Series(np.asarray(x, float), name=x_name))
    endog = pd.Series(np.asarray(y, float), name=y_name)
    classical = sm.OLS(endog, exog).fit()
    robust = classical.get_robustcov_results(cov_type="HC3")
    ci_robust = np.asarray(robust.conf_int())[1]
    ci_classical = np.asarray(classical.conf_int())[1]
    with warnings.catch_warnings():  # the normality test in the summary wants ≥ 8 rows
        warnings.filterwarnings("ignore", message="omni_normtest")
        table = robust.summary2(xname=["const", x_name], yname=y_name).tables[1].to_string()
    return {"slope": float(classical.params.iloc[1]), "intercept": float(classical.params.iloc[0]),
            "slope_se_hc3": float(robust.bse[1]), "slope_ci95_hc3": ci_robust.tolist(),
            "slope_ci95_classical": ci_classical.tolist(), "r2": float(classical.rsquared),
            "n": int(classical.nobs), "table": table}


def doubling_from_rate(rate: float, ci: list[float], sign: float = 1.0) -> dict:
    """Doubling time (months) of a quantity growing at `sign`·rate per year (natural log),
    with the rate interval inverted; a bound is None when the rate interval reaches 0."""
    def months(r: float) -> float | None:
        return LN2 / r * MONTHS if r > 0 else None
    lo, hi = sorted(sign * np.asarray(ci, float))
    return {"estimate": months(sign * rate), "ci95": [months(hi), months(lo)],
            "rate_per_year": sign * rate, "rate_ci95": [float(lo), float(hi)],
            "defined": bool(lo > 0)}


# --- A: progress seen directly in the data ---------------------------------------------------------

def training_compute(rows: pd.DataFrame) -> pd.Series:
    """Reported training compute where the source gives it, else 6·N·D."""
    reported = rows["training_compute"] if "training_compute" in rows else np.nan
    return pd.Series(reported, index=rows.index).fillna(6.0 * rows["params"] * rows["tokens"])


def direct_progress(rows: pd.DataFrame, system: str, tolerance: float,
                    min_evaluations: int = 6) -> dict:
    """docs/method.md §8 A for one reference system: WikiText-103 evaluations at the system's
    perplexity protocol, published on or after it, with perplexity within ×`tolerance` of
    its own; the highest-compute evaluation per paper; OLS of ln(C/C_s) on date. The
    compute needed for that perplexity halves every −ln2/slope years."""
    wt103 = rows[rows["benchmark"] == "wt103"].assign(compute=training_compute)
    own = wt103[wt103["system"] == system]
    out = {"system": system, "tolerance": tolerance, "min_evaluations": min_evaluations}
    if own.empty:
        return {**out, "status": f"not enough rows: {system} has no WikiText-103 evaluation "
                                 "among the selected rows"}
    ref = own.iloc[0]
    near = wt103[(wt103["perplexity_level"] == ref["perplexity_level"])
                 & (wt103["perplexity"] > ref["perplexity"] / tolerance)
                 & (wt103["perplexity"] < ref["perplexity"] * tolerance)
                 & (wt103["year"] >= ref["year"])]
    near = near.sort_values(["compute", "line"], ascending=[False, True], kind="stable")
    near = near.drop_duplicates("reference")
    out.update({"perplexity": float(ref["perplexity"]), "perplexity_level": ref["perplexity_level"],
                "compute": float(ref["compute"]), "year": float(ref["year"]),
                "n_evaluations": len(near),
                "reported_compute": int(near["training_compute"].notna().sum())
                if "training_compute" in near else 0,
                "evaluations": near[["system", "reference", "year", "perplexity", "compute"]]
                .sort_values(["year", "system"]).to_dict("records")})
    if len(near) < min_evaluations:
        return {**out, "status": f"not enough rows: {len(near)} evaluation(s) within "
                                 f"×{tolerance} of {system}'s perplexity (need {min_evaluations})"}
    trend = ols_trend(near["year"], np.log(near["compute"] / ref["compute"]), "year",
                      "ln(C/C_s)")
    return {**out, "status": "ok", "regression": trend,
            "halving_time_months": doubling_from_rate(trend["slope"], trend["slope_ci95_hc3"],
                                                      sign=-1.0)}


# --- B: gains from better scaling laws -------------------------------------------------------------

def scaling_law_gains(compute_range: tuple[float, float], points: int,
                      actual: dict[str, tuple[float, float]]) -> dict:
    """docs/method.md §8 B: the gain of Chinchilla's over Kaplan's allocation on a log grid of
    compute, the OLS trend of ln CEG on ln C, and the gain over actual allocations
    (name → (C, D))."""
    grid = np.geomspace(*compute_range, points)
    gains = kaplan_vs_chinchilla_gain(grid)
    params, tokens = KAPLAN.joint_optimum(grid)
    trend = ols_trend(np.log(grid), np.log(gains), "ln C", "ln CEG")
    models = {}
    for name, (compute, tok) in actual.items():
        models[name] = {"compute": compute, "tokens": tok, "params": compute / (6.0 * tok),
                        "ceg": gain_of_allocation(compute, tok),
                        "trend_ceg": math.exp(trend["intercept"] + trend["slope"] * math.log(compute)),
                        "kaplan_allocation_ceg": float(kaplan_vs_chinchilla_gain(compute))}
    return {"ceg": {name: m["ceg"] for name, m in models.items()}, "models": models,
            "sweep": {"compute": grid.tolist(), "ceg": gains.tolist(),
                      "kaplan_params": params.tolist(), "kaplan_tokens": tokens.tolist(),
                      "chinchilla_params": CHINCHILLA.optimal_params(grid).tolist(),
                      "chinchilla_tokens": CHINCHILLA.optimal_tokens(grid).tolist()},
            "trend": trend}


# --- C: parameter table and compute-optimal frontier --------------------------------------------

def parameter_table(result: FitResult, draws: pd.DataFrame) -> dict:
    """Estimate, bootstrap SE and percentile interval of every coefficient."""
    return {name: {"estimate": result.params[name], "se": float(draws[name].std(ddof=1)),
                   **percentile_interval(draws[name])} for name in result.spec.names}


def as_chinchilla(spec: ModelSpec, theta: np.ndarray, norm, year: float,
                  benchmark: str = "wt103") -> dict[str, np.ndarray]:
    """A two-term law with N and D entering only as α_N·ln(N/N₀) and β_D·ln(D/D₀) (model 7)
    rewritten, at a year and benchmark, as L = A/N^α_N + B/D^β_D (E = 0); θ may hold one
    draw per row. A = e^{u₀}·N₀^α_N with u₀ the u term at N = N₀, D = D₀ (B likewise)."""
    theta = np.atleast_2d(theta)
    at_origin = design(point(year, norm.params0, norm.tokens0, benchmark), spec, norm)
    names = spec.names
    alpha, beta = theta[:, names.index("alpha_N")], theta[:, names.index("beta_D")]
    return {"A": np.exp(theta @ at_origin.u[0] + alpha * math.log(norm.params0)),
            "B": np.exp(theta @ at_origin.v[0] + beta * math.log(norm.tokens0)),
            "alpha": alpha, "beta": beta}


def frontier_loss(law: dict[str, np.ndarray], compute: np.ndarray) -> np.ndarray:
    """Compute-optimal loss (draws × compute) of laws A/N^α + B/D^β given as arrays; NaN
    where an exponent is not positive (no interior optimum)."""
    a, b, alpha, beta = (np.asarray(law[k], float)[:, None] for k in ("A", "B", "alpha", "beta"))
    ok = (alpha > 0) & (beta > 0)
    alpha, beta = np.where(ok, alpha, np.nan), np.where(ok, beta, np.nan)
    g = (alpha * a / (beta * b)) ** (1.0 / (alpha + beta))
    coefficient = a * g ** -alpha + b * g ** beta
    return coefficient * (compute[None, :] / 6.0) ** (-alpha * beta / (alpha + beta))


def compute_optimal_frontier(result: FitResult, draws: pd.DataFrame, compute: np.ndarray,
                             year: float, data_compute: np.ndarray) -> dict:
    """Our fitted law's compute-optimal loss at `year` on WikiText-103 (point fit and
    bootstrap band) beside Chinchilla's frontier and Kaplan's L(C_min)."""
    spec = result.spec
    point_law = as_chinchilla(spec, result.theta, result.normalizer, year)
    draw_law = as_chinchilla(spec, draws[spec.names].to_numpy(float), result.normalizer, year)
    ours = frontier_loss(draw_law, compute)
    finite = np.isfinite(ours).all(axis=1)
    lo, med, hi = (np.percentile(ours[finite], q, axis=0) if finite.any()
                   else np.full(len(compute), np.nan) for q in (2.5, 50, 97.5))
    return {"compute": compute.tolist(), "year": year,
            "ours": frontier_loss(point_law, compute)[0].tolist(),
            "ours_median": list(med), "ours_ci95": [list(lo), list(hi)],
            "ours_draws_defined": int(finite.sum()), "ours_draws": len(draws),
            "ours_exponents": {"a": float(point_law["beta"][0] / (point_law["alpha"][0]
                                                                  + point_law["beta"][0])),
                               "b": float(point_law["alpha"][0] / (point_law["alpha"][0]
                                                                   + point_law["beta"][0]))},
            "chinchilla": CHINCHILLA.optimal_loss(compute).tolist(),
            "kaplan": KAPLAN.loss_compute(compute).tolist(),
            "data_compute_p10_p90": np.percentile(data_compute, [10, 90]).tolist()}


# --- J: compute only ------------------------------------------------------------------------------

def tokens_per_parameter(frame: pd.DataFrame, systems: dict[str, tuple[float, float]]) -> dict:
    """OLS of ln(D/N) on the publication year, and the ratios of named systems (name →
    (N, D)) for comparison."""
    trend = ols_trend(frame["year"], np.log(frame["tokens"] / frame["params"]), "year", "ln(D/N)")
    ratio = frame["tokens"] / frame["params"]
    return {"regression": trend,
            "doubling_time_months": doubling_from_rate(trend["slope"], trend["slope_ci95_hc3"]),
            "ratio_percentiles": dict(zip(("p10", "p50", "p90"),
                                          np.percentile(ratio, [10, 50, 90]).tolist())),
            "systems": {name: tokens / params for name, (params, tokens) in systems.items()}}


def compute_only_selection(selection: pd.DataFrame, preferred: tuple[int, float],
                           compute_only: int = 18) -> dict:
    """Model 18's best cross-validation row (over δ) beside the preferred (model, δ)."""
    def row(rows: pd.DataFrame) -> dict | None:
        if rows.empty:
            return None
        best = rows.nsmallest(1, "loocv_mse").iloc[0]
        return {"model": int(best["model"]), "delta": float(best["delta"]),
                **{k: float(best[k]) for k in ("loocv_mse", "loocv_r2", "heldout_mse")}}
    model, delta = preferred
    return {"compute_only": row(selection[selection["model"] == compute_only]),
            "preferred": row(selection[(selection["model"] == model)
                                       & np.isclose(selection["delta"], delta)])}


def allocation_spread(result: FitResult, frame: pd.DataFrame, year: float) -> dict:
    """Why one compute figure cannot stand for (N, D): at the median compute of the data,
    the preferred fit's predicted log perplexity at the 10th and 90th percentile of D/N
    against the compute-optimal allocation."""
    compute = float(np.median(6.0 * frame["params"] * frame["tokens"]))
    law = as_chinchilla(result.spec, result.theta, result.normalizer, year)
    chinchilla = ChinchillaLaw(0.0, float(law["A"][0]), float(law["B"][0]),
                               float(law["alpha"][0]), float(law["beta"][0]))
    out = {"compute": compute, "optimal_loss": float(chinchilla.optimal_loss(compute)),
           "optimal_tokens_per_parameter": float(chinchilla.optimal_tokens(compute)
                                                 / chinchilla.optimal_params(compute))}
    for q in (10, 90):
        ratio = float(np.percentile(frame["tokens"] / frame["params"], q))
        params = math.sqrt(compute / (6.0 * ratio))
        out[f"p{q}"] = {"tokens_per_parameter": ratio,
                        "loss": float(chinchilla.loss(params, ratio * params))}
    return out
