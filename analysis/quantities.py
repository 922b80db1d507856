"""Quantities derived from a fitted model (docs/method.md §5): doubling times, the transformer's
compute-equivalent gain, Shapley shares of improvement and Pareto frontiers."""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy.optimize import brentq, minimize_scalar

from .intervals import LN2, doubling_months
from .models import ModelSpec, Normalizer, design, _link



def point(year: float, params: float, tokens: float, benchmark: str = "wt103",
          transformer: int = 1, vocab_size: float = 267_735.0) -> dict[str, np.ndarray]:
    """One input point as the dict of arrays that `design` accepts."""
    return {"year": [year], "params": [params], "tokens": [tokens],
            "effective_tokens": [tokens], "transformer": [transformer],
            "ptb": [float(benchmark == "ptb")], "wt2": [float(benchmark == "wt2")],
            "vocab_size": [vocab_size]}


def predict_split(spec: ModelSpec, theta: np.ndarray, norm: Normalizer, inputs_u: dict,
                  inputs_v: dict) -> float:
    """ŷ with the u term evaluated at `inputs_u` and the v term at `inputs_v` (Shapley)."""
    g, _ = _link(theta, tuple(c.link for c in spec.coefficients))
    du, dv = design(inputs_u, spec, norm), design(inputs_v, spec, norm)
    value = float(np.exp(du.u @ g)[0] + (du.add @ g)[0])
    return value + (float(np.exp(dv.v @ g)[0]) if dv.has_v else 0.0)


def predict_point(spec: ModelSpec, theta: np.ndarray, norm: Normalizer, **kwargs) -> float:
    inputs = point(**kwargs)
    return predict_split(spec, theta, norm, inputs, inputs)


def closed_form_rates(params: dict[str, float]) -> dict[str, float]:
    """Growth rates per year (natural log) of effective parameters, data and compute:
    r_N = α_year/α_N, r_D = β_year/β_D, r_C = r_N + r_D (= ln2 / doubling time). A missing
    year term means no progress (rate 0); a zero exponent gives ±inf or NaN (undefined)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rate_n = np.float64(params.get("alpha_year", 0.0)) / np.float64(params["alpha_N"])
        rate_d = np.float64(params.get("beta_year", 0.0)) / np.float64(params["beta_D"])
        rate_c = rate_n + rate_d
    return {"parameters": float(rate_n), "data": float(rate_d), "compute": float(rate_c)}


def closed_form_doubling(params: dict[str, float]) -> dict[str, float]:
    """Doubling times in months of effective parameters, data and compute,
    T = ln2/r of the rates of `closed_form_rates` (T_C = 1/(1/T_N + 1/T_D)); +∞ where the
    rate is not positive (the quantity never doubles)."""
    return {key: doubling_months(rate) for key, rate in closed_form_rates(params).items()}


def optimal_allocation(spec: ModelSpec, theta: np.ndarray, norm: Normalizer, compute: float,
                       year: float, benchmark: str = "wt103", transformer: int = 1
                       ) -> tuple[float, float, float]:
    """(N*, D*, loss) minimising predicted loss at compute C = 6ND."""
    def loss(log_n: float) -> float:
        n = math.exp(log_n)
        return predict_point(spec, theta, norm, year=year, params=n, tokens=compute / (6 * n),
                             benchmark=benchmark, transformer=transformer)
    upper = math.log(compute / 6.0)
    best = minimize_scalar(loss, bounds=(math.log(1e3), upper - math.log(1e3)),
                           method="bounded", options={"xatol": 1e-9})
    n = math.exp(best.x)
    return n, compute / (6 * n), float(best.fun)


#: first step (years) of the outward search for the numerical doubling time, its growth
#: factor, and how far (years) it looks
FIRST_STEP, STEP_GROWTH, HORIZON = 1.0 / 12.0, 2.0, 100.0


def root_nearest_zero(gap, horizon: float = HORIZON, first_step: float = FIRST_STEP,
                      growth: float = STEP_GROWTH) -> float:
    """A root of `gap` near Δ = 0: step outward on both sides (±first_step, ±first_step·growth,
    … up to ±horizon) until the sign differs from gap(0), then bracket the root (Brent).
    When both sides change sign at the same step, the root closer to 0 wins. NaN when
    no sign change is found within the horizon. A non-monotone `gap` (a negative year
    coefficient) is no obstacle as long as it changes sign."""
    at_zero = gap(0.0)
    if at_zero == 0:
        return 0.0
    if not math.isfinite(at_zero):
        return math.nan
    inner = {1.0: 0.0, -1.0: 0.0}
    step = first_step
    while True:
        step = min(step, horizon)
        roots = []
        for side in (1.0, -1.0):
            outer = side * step
            value = gap(outer)
            if not math.isfinite(value):
                continue
            if np.sign(value) != np.sign(at_zero):
                lo, hi = sorted((inner[side], outer))
                roots.append(brentq(gap, lo, hi, xtol=1e-10))
            inner[side] = outer
        if roots:
            return min(roots, key=abs)
        if step >= horizon:
            return math.nan
        step *= growth


def numerical_rate(spec: ModelSpec, theta: np.ndarray, norm: Normalizer, year: float = 2023.0,
                   compute: float = 1e25, benchmark: str = "wt103", transformer: int = 1,
                   horizon: float = HORIZON) -> float:
    """Growth rate per year of effective compute found numerically (docs/method.md §5,
    Appendix G): ln2/Δ, where Δ (years) is the shift in time at which the C-optimal model
    matches the 2C-optimal loss at `year`, found from Δ = 0 outward (`root_nearest_zero`).
    A root at Δ < 0 (algorithms getting worse) gives a negative rate; no root within
    `horizon` years gives rate 0 (effective compute does not double within the horizon);
    NaN (undefined) when doubling the compute does not change the predicted loss."""
    n, d, _ = optimal_allocation(spec, theta, norm, compute, year, benchmark, transformer)
    _, _, target = optimal_allocation(spec, theta, norm, 2 * compute, year, benchmark, transformer)

    def gap(delta: float) -> float:
        return predict_point(spec, theta, norm, year=year + delta, params=n, tokens=d,
                             benchmark=benchmark, transformer=transformer) - target
    root = root_nearest_zero(gap, horizon)
    if math.isnan(root):
        return 0.0
    return math.nan if root == 0 else LN2 / root


def numerical_doubling(spec: ModelSpec, theta: np.ndarray, norm: Normalizer,
                       year: float = 2023.0, compute: float = 1e25, benchmark: str = "wt103",
                       transformer: int = 1, horizon: float = HORIZON) -> float:
    """Months Δ such that the C-optimal model at year+Δ matches the 2C-optimal loss at year
    (the doubling time of `numerical_rate`; +∞ when the rate is not positive)."""
    return doubling_months(numerical_rate(spec, theta, norm, year, compute, benchmark,
                                          transformer, horizon))


def transformer_gain(spec: ModelSpec, theta: np.ndarray, norm: Normalizer, compute: float,
                     year: float = 2023.0) -> tuple[float, float]:
    """(compute-equivalent gain a², relative loss reduction 1 − σ(γ)) at C with N = D."""
    size = math.sqrt(compute / 6.0)
    with_tr = predict_point(spec, theta, norm, year=year, params=size, tokens=size, transformer=1)

    def gap(log_a: float) -> float:
        a = math.exp(log_a)
        return predict_point(spec, theta, norm, year=year, params=a * size, tokens=a * size,
                             transformer=0) - with_tr
    without = predict_point(spec, theta, norm, year=year, params=size, tokens=size, transformer=0)
    reduction = 1.0 - with_tr / without
    if gap(0.0) <= 0:  # the transformer does not help: no compute is saved
        return 1.0, reduction
    if gap(50.0) > 0:
        return math.inf, reduction
    return math.exp(2 * brentq(gap, 0.0, 50.0, xtol=1e-12)), reduction


PLAYERS = ("N", "D", "parameter efficiency", "data efficiency")


def shapley_shares(spec: ModelSpec, theta: np.ndarray, norm: Normalizer, start: dict,
                   end: dict, transformer: int = 1) -> dict[str, float]:
    """Share of the predicted WT103 improvement from `start` to `end` due to each player.

    Systems are dicts with `params`, `tokens`, `year`; the efficiency players move the
    year inside the α (u) term and the β (v) term separately."""
    def value(moved: frozenset) -> float:
        pick = {p: (end if p in moved else start) for p in PLAYERS}
        common = {"params": pick["N"]["params"], "tokens": pick["D"]["tokens"],
                  "transformer": transformer}
        inputs_u = point(year=pick["parameter efficiency"]["year"], **common)
        inputs_v = point(year=pick["data efficiency"]["year"], **common)
        return predict_split(spec, theta, norm, inputs_u, inputs_v)

    contributions = dict.fromkeys(PLAYERS, 0.0)
    orders = list(itertools.permutations(PLAYERS))
    for order in orders:
        moved: frozenset = frozenset()
        for player in order:
            after = moved | {player}
            contributions[player] += value(after) - value(moved)
            moved = after
    total = value(frozenset(PLAYERS)) - value(frozenset())
    return {p: contributions[p] / len(orders) / total for p in PLAYERS}


def pareto_frontier(spec: ModelSpec, theta: np.ndarray, norm: Normalizer, perplexity: float,
                    year: float, data_grid: np.ndarray, transformer: int = 1) -> np.ndarray:
    """N needed at each D of `data_grid` to reach `perplexity` on WT103 in `year` (NaN if
    unreachable within 1e3..1e16 parameters)."""
    target = math.log(perplexity)
    needed = []
    for tokens in data_grid:
        def gap(log_n: float) -> float:
            return predict_point(spec, theta, norm, year=year, params=math.exp(log_n),
                                 tokens=tokens, transformer=transformer) - target
        lo, hi = math.log(1e3), math.log(1e16)
        needed.append(math.exp(brentq(gap, lo, hi)) if gap(lo) > 0 > gap(hi) else math.nan)
    return np.array(needed)
