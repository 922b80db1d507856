"""Estimators of the augmented scaling laws and their certified global optima (docs/method.md §3).

Three estimators, all built on the mean squared error over the evaluations:

- ``paper``: J(θ) = MSE + δ·Σ|θ_k|, the reference's L1 penalty on raw coefficients;
- ``effect``: the L1 penalty on each coefficient's effect g(θ_k) on the log prediction; for
  the transformer multiplier that is δ·|log σ(γ)|, which shrinks toward *no* transformer
  effect (raw-γ shrinkage pulls σ(γ) toward 0.5, a larger effect); identical to ``paper``
  for models without such a coefficient;
- ``refit``: the paper's penalised fit selects the support (the non-zero coefficients),
  then an unpenalised least-squares fit on that support gives the estimate.

Every fit is a multistart of damped active-set Newton searches (`solver.newton`) run as one
batch: full-data fits start from θ = 0 (the reference's start), a scale-aware heuristic
point and seeded random points; every refit (a bootstrap draw, a leave-one-out fold) starts
from the full fit (the warm start), the other distinct optima of the full fit's multistart,
the heuristic point and seeded random points, and keeps the best end point. The best end
point must pass the KKT certificate; when it does not, L-BFGS-B on split variables continues
from it. Each fit reports how many starts agreed and its KKT residual, so reaching the
optimum is shown rather than assumed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import solver
from .models import Design, ModelSpec, Normalizer, design

ESTIMATORS = ("paper", "effect", "refit")
#: relative agreement of an objective with the best one for a start to count as agreeing
AGREEMENT = 1e-7
#: an end point violating optimality by more than this is continued by L-BFGS-B
KKT_TOLERANCE = 1e-6
NEWTON_FROM_START = 500  # iteration cap of a Newton search
MAX_BATCH = 4096  # problems solved together (memory bound)


@dataclass(frozen=True)
class Estimator:
    """Which objective a fit minimises: `name` in ESTIMATORS, penalty weight `delta`."""

    name: str = "paper"
    delta: float = 0.0025

    def __post_init__(self):
        if self.name not in ESTIMATORS:
            raise ValueError(f"unknown estimator {self.name!r}; expected one of {ESTIMATORS}")

    def penalty(self, spec: ModelSpec) -> tuple[np.ndarray, np.ndarray]:
        """Weights (L1 on θ_k, L1 on |log σ(θ_k)|) of the penalised stage, per coefficient."""
        logsig = np.array([c.link == "logsigmoid" for c in spec.coefficients])
        if self.name == "effect":
            return np.where(logsig, 0.0, self.delta), np.where(logsig, self.delta, 0.0)
        return np.full(spec.n_params, self.delta), np.zeros(spec.n_params)

    def same_as_paper(self, spec: ModelSpec) -> bool:
        """True when this estimator's answer is the paper's for `spec`."""
        return self.name == "paper" or (
            self.name == "effect" and all(c.link == "identity" for c in spec.coefficients))


def problem(frame, spec: ModelSpec, norm: Normalizer) -> solver.LeastSquares:
    return solver.LeastSquares(design(frame, spec, norm), np.asarray(frame["log_ppl"], float))


# --- scalar helpers (one problem, unit weights) ------------------------------------------

def _unit(des: Design) -> np.ndarray:
    n = des.u.shape[0]
    return np.full((1, n), 1.0 / n)


def objective(des: Design, y: np.ndarray, theta: np.ndarray, delta: float) -> float:
    """The paper's objective MSE + δ·Σ|θ| at θ."""
    ls = solver.LeastSquares(des, y)
    p = len(theta)
    return float(ls.value(_unit(des), np.atleast_2d(theta), np.full(p, delta), np.zeros(p))[0])


def smooth_gradient(des: Design, y: np.ndarray, theta: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean squared error and its gradient."""
    f, grad, _ = solver.LeastSquares(des, y).derivatives(
        _unit(des), np.atleast_2d(theta), np.zeros((1, len(theta))), hessian=False)
    return float(f[0]), grad[0]


def _gradient_hessian(des: Design, y: np.ndarray, theta: np.ndarray
                      ) -> tuple[float, np.ndarray, np.ndarray]:
    """MSE, its gradient and its exact Hessian."""
    f, grad, hess = solver.LeastSquares(des, y).derivatives(
        _unit(des), np.atleast_2d(theta), np.zeros((1, len(theta))))
    return float(f[0]), grad[0], hess[0]


def kkt_bound(kkt):
    """The KKT residual as results files give it: the certificate's tolerance when the residual
    is within it (below that it is rounding noise, different on every BLAS kernel), else the
    residual itself, which marks an uncertified fit."""
    return np.where(np.asarray(kkt) <= KKT_TOLERANCE, KKT_TOLERANCE, kkt)


def kkt_text(kkt: float) -> str:
    """A KKT residual (or its bound) in words, as summaries print it."""
    if kkt <= KKT_TOLERANCE:
        return f"≤ {KKT_TOLERANCE:.0e} (certified)"
    return f"{kkt:.1e} (not certified)"


def kkt_residual(des: Design, y: np.ndarray, theta: np.ndarray, delta: float) -> float:
    """Largest violation of the optimality conditions of the paper's objective."""
    p = len(theta)
    return float(solver.LeastSquares(des, y).kkt(_unit(des), theta, np.full(p, delta),
                                                np.zeros(p), np.ones(p, bool))[0])


def newton_polish(des: Design, y: np.ndarray, delta: float, theta: np.ndarray,
                  max_iter: int = NEWTON_FROM_START) -> np.ndarray:
    """One active-set Newton search of the paper's objective from θ."""
    p = len(theta)
    end, _, _ = solver.newton(solver.LeastSquares(des, y), _unit(des), theta, np.full(p, delta),
                           np.zeros(p), np.ones(p, bool), max_iter=max_iter)
    return end[0]


def _lbfgs(des: Design, y: np.ndarray, delta: float, start: np.ndarray) -> np.ndarray:
    """L-BFGS-B on split variables from `start` (the paper's objective)."""
    p = len(start)
    return solver.lbfgs(solver.LeastSquares(des, y), _unit(des), start, np.full(p, delta),
                        np.zeros(p), np.ones(p, bool))


# --- starting points ----------------------------------------------------------------------

def heuristic_start(spec: ModelSpec, y_mean: float) -> np.ndarray:
    """Intercepts splitting mean log perplexity between the terms, small positive slopes."""
    theta = np.zeros(spec.n_params)
    level = np.log(max(float(y_mean) / (2 if spec.has_v else 1), 1e-3))
    for k, coef in enumerate(spec.coefficients):
        if coef.feature == () and "add" not in coef.terms:
            theta[k] = level
        elif len(coef.feature) == 1 and coef.feature[0] in ("t", "n", "d", "c", "nontr", "tr") \
                and coef.link == "identity" and "add" not in coef.terms:
            theta[k] = 0.05
    return theta


def random_starts(spec: ModelSpec, y_mean: float, n: int, seed) -> np.ndarray:
    """`n` seeded random perturbations of the heuristic point, (n, p)."""
    base = heuristic_start(spec, y_mean)
    rng = np.random.default_rng(seed)
    scale = np.where(np.abs(base) > 0.1, 1.0, 0.1)
    return np.array([base + scale * rng.standard_normal(spec.n_params) for _ in range(n)]
                    ).reshape(n, spec.n_params)


def starting_points(spec: ModelSpec, y: np.ndarray, n_random: int, seed: int,
                    warm: np.ndarray | None = None) -> list[np.ndarray]:
    """θ = 0 (the reference's start), the heuristic point, a warm start if given, and
    seeded random perturbations of the heuristic point."""
    y_mean = float(np.mean(y))
    starts = [np.zeros(spec.n_params), heuristic_start(spec, y_mean)]
    if warm is not None:
        starts.insert(0, np.asarray(warm, float))
    return starts + list(random_starts(spec, y_mean, n_random, seed))


# --- batched multistart -------------------------------------------------------------------

@dataclass
class Solutions:
    """Best end point of each group of starts, with the evidence that it is the optimum."""

    theta: np.ndarray  # (G, p)
    value: np.ndarray  # (G,)
    kkt: np.ndarray  # (G,)
    values: np.ndarray  # (G, K) objective reached from each start
    ends: np.ndarray  # (G, K, p)
    level: np.ndarray  # (G,) 0 Newton certified, 1 after L-BFGS-B, 2 certificate fails

    @property
    def n_agree(self) -> np.ndarray:
        return (self.values <= self.value[:, None] * (1 + AGREEMENT)).sum(axis=1)


def solve(ls: solver.LeastSquares, weights: np.ndarray, starts: np.ndarray, l1: np.ndarray,
          effect: np.ndarray, free: np.ndarray,
          home: tuple[np.ndarray, np.ndarray] | None = None) -> Solutions:
    """Minimise problem g (row weights `weights[g]`) from each of its starts `starts[g]`
    (G, K, p); keep the best end point, certify it, and rescue it with L-BFGS-B + Newton
    when the certificate fails. `home`: known optima of the problems and their objectives
    ((G, p), (G,)); a search that returns to its problem's stops there (`solver.newton`),
    and a problem none of whose searches goes below it keeps it."""
    w = solver.normalise_weights(weights)
    n_groups, k, p = starts.shape
    l1, effect = np.broadcast_to(l1, (n_groups, p)), np.broadcast_to(effect, (n_groups, p))
    free = np.broadcast_to(free, (n_groups, p))
    ends, values = np.empty_like(starts), np.empty((n_groups, k))
    per_batch = max(1, MAX_BATCH // k)
    for lo in range(0, n_groups, per_batch):
        g = slice(lo, min(n_groups, lo + per_batch))
        m = g.stop - g.start
        end, value, _ = solver.newton(
            ls, np.repeat(w[g], k, axis=0), starts[g].reshape(m * k, p),
            np.repeat(l1[g], k, axis=0), np.repeat(effect[g], k, axis=0),
            np.repeat(free[g], k, axis=0), max_iter=NEWTON_FROM_START,
            home=None if home is None else (np.repeat(home[0][g], k, axis=0),
                                            np.repeat(home[1][g], k)))
        ends[g], values[g] = end.reshape(m, k, p), value.reshape(m, k)
    values = np.where(np.isfinite(values), values, np.inf)
    best = values.argmin(axis=1)
    rows = np.arange(n_groups)
    theta, value = ends[rows, best].copy(), values[rows, best].copy()
    if home is not None:
        back = ~(value < home[1])
        theta[back], value[back] = home[0][back], home[1][back]
    kkt = ls.kkt(w, theta, l1, effect, free)
    level = np.zeros(n_groups, int)
    for i in np.flatnonzero(~(kkt <= KKT_TOLERANCE)):
        args = (w[i:i + 1], l1[i:i + 1], effect[i:i + 1], free[i:i + 1])
        rescued = solver.lbfgs(ls, w[i], theta[i], l1[i], effect[i], free[i])
        rescued, rescued_value, _ = solver.newton(ls, args[0], rescued, *args[1:])
        if rescued_value[0] <= value[i]:
            theta[i], value[i] = rescued[0], rescued_value[0]
        kkt[i] = ls.kkt(args[0], theta[i], *args[1:])[0]
        level[i] = 1 if kkt[i] <= KKT_TOLERANCE else 2
    return Solutions(theta, value, kkt, values, ends, level)


def distinct_optima(solutions: np.ndarray, values: np.ndarray, keep: int = 4,
                    tol: float = 1e-9) -> list[np.ndarray]:
    """The best `keep` local optima with distinct objective values, best first."""
    optima, seen = [], []
    for k in np.argsort(values, kind="stable"):
        if np.isfinite(values[k]) and all(abs(values[k] - v) > tol * abs(v) for v in seen):
            optima.append(np.array(solutions[k]))
            seen.append(values[k])
        if len(optima) == keep:
            break
    return optima


# --- full fits ----------------------------------------------------------------------------

@dataclass
class FitResult:
    """A fitted model: coefficients, objective, normaliser and evidence of optimality.
    For the ``refit`` estimator, `penalised` holds the paper's fit that chose the support."""

    spec: ModelSpec
    delta: float
    theta: np.ndarray
    objective: float
    mse: float
    normalizer: Normalizer
    n_obs: int
    kkt: float
    n_starts: int
    n_agree: int
    start_objectives: list[float] = field(default_factory=list, repr=False)
    optima: list[np.ndarray] = field(default_factory=list, repr=False)
    estimator: str = "paper"
    penalised: "FitResult | None" = field(default=None, repr=False)

    @property
    def params(self) -> dict[str, float]:
        return dict(zip(self.spec.names, map(float, self.theta)))

    @property
    def support(self) -> np.ndarray:
        return np.abs(self.theta) > 0

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return solver.LeastSquares(design(frame, self.spec, self.normalizer),
                                   np.zeros(len(frame))).predict(self.theta)[0]

    def to_dict(self) -> dict:
        out = {
            "model": self.spec.model_id, "delta": self.delta, "estimator": self.estimator,
            "objective": self.objective, "mse": self.mse, "n_obs": self.n_obs,
            "params": self.params,
            "normalizer": {"year0": self.normalizer.year0, "params0": self.normalizer.params0,
                           "tokens0": self.normalizer.tokens0},
            "optimality": {"kkt_bound": float(kkt_bound(self.kkt)),
                           "certified": bool(self.kkt <= KKT_TOLERANCE), "starts": self.n_starts,
                           "starts_agreeing": self.n_agree},
        }
        if self.penalised is not None:
            out["penalised_fit"] = self.penalised.to_dict()
        return out

    def summary(self) -> str:
        lines = [f"Model {self.spec.model_id} ({self.spec.label}), estimator {self.estimator}, "
                 f"δ = {self.delta}, n = {self.n_obs}",
                 f"objective {self.objective:.8f}, MSE {self.mse:.6f}, KKT residual "
                 f"{kkt_text(self.kkt)}, {self.n_agree}/{self.n_starts} starts agree"]
        lines += [f"  {name:<20s} {value: .6f}" for name, value in self.params.items()]
        return "\n".join(lines)


class AugmentedScalingLaw:
    """Estimator for one candidate model and penalty (statsmodels-like: fit → results).

    >>> from analysis.models import MODELS
    >>> from analysis.synthetic import REFERENCE_MODEL7, simulate
    >>> frame = simulate(MODELS[7], REFERENCE_MODEL7, n=120, noise=0.05, seed=0)
    >>> fit = AugmentedScalingLaw(MODELS[7], 0.0025, estimator="refit").fit(frame)
    >>> fit.kkt < 1e-6 and fit.penalised.kkt < 1e-6
    True
    """

    def __init__(self, spec: ModelSpec, delta: float = 0.0025, n_random_starts: int = 16,
                 seed: int = 0, estimator: str = "paper"):
        self.spec, self.delta = spec, float(delta)
        self.n_random_starts, self.seed = n_random_starts, seed
        self.estimator = Estimator(estimator, self.delta)

    def fit(self, frame: pd.DataFrame, normalizer: Normalizer | None = None,
            warm: np.ndarray | None = None, n_random_starts: int | None = None) -> FitResult:
        norm = normalizer or Normalizer.of(frame, self.spec.tokens_column)
        ls = problem(frame, self.spec, norm)
        n_random = self.n_random_starts if n_random_starts is None else n_random_starts
        starts = np.array(starting_points(self.spec, ls.y, n_random, self.seed, warm))
        l1, effect = self.estimator.penalty(self.spec)
        p = self.spec.n_params
        weights, every = np.ones((1, len(ls.y))), np.ones(p, bool)
        first = self._result(ls, norm, _explore_neighbours(
            ls, weights, solve(ls, weights, starts[None], l1, effect, every), l1, effect, every),
            "paper" if self.estimator.name == "refit" else self.estimator.name)
        if self.estimator.name != "refit":
            return first
        free = first.support
        second_starts = np.array([first.theta, *first.optima[1:], *starts[1:]]) * free
        zero = np.zeros(p)
        second = self._result(ls, norm, _explore_neighbours(
            ls, weights, solve(ls, weights, second_starts[None], zero, zero, free), zero, zero,
            free), "refit")
        second.penalised = first
        return second

    def _result(self, ls, norm: Normalizer, sol: Solutions, name: str) -> FitResult:
        mse = float(np.mean((ls.y - ls.predict(sol.theta[0])[0]) ** 2))
        return FitResult(self.spec, self.delta, sol.theta[0], float(sol.value[0]), mse, norm,
                         len(ls.y), float(sol.kkt[0]), sol.values.shape[1],
                         int(sol.n_agree[0]), list(sol.values[0]),
                         distinct_optima(sol.ends[0], sol.values[0]), name)


# --- refits: many weight vectors on one design --------------------------------------------

SHARED_STARTS = 6  # diverse best points of the other refits offered to every refit


def diverse_points(points: np.ndarray, k: int, first: int = 0) -> np.ndarray:
    """`k` rows of `points` spread out by farthest-point selection (coordinates scaled by
    their spread), starting from row `first`."""
    scaled = points / (points.std(axis=0) + 1e-12)
    chosen = [first]
    dist = np.linalg.norm(scaled - scaled[first], axis=1)
    while len(chosen) < min(k, len(points)) and dist.max() > 0:
        chosen.append(int(np.argmax(dist)))
        dist = np.minimum(dist, np.linalg.norm(scaled - scaled[chosen[-1]], axis=1))
    return points[chosen]


def _share_basins(ls, weights, sol: Solutions, l1, effect, free, k: int) -> Solutions:
    """Polish every refit from `k` diverse best points of all the refits: a basin that any
    refit's starts found is tried by all of them."""
    if k <= 0 or len(sol.theta) < 2:
        return sol
    nearest = int(np.argmin(sol.value))
    shared = diverse_points(sol.theta, k, nearest)
    mask = np.broadcast_to(free, sol.theta.shape)[:, None, :]
    extra = solve(ls, weights, shared[None] * mask, l1, effect, free)
    better = extra.value < sol.value
    return Solutions(np.where(better[:, None], extra.theta, sol.theta),
                     np.where(better, extra.value, sol.value),
                     np.where(better, extra.kkt, sol.kkt),
                     np.concatenate([sol.values, extra.values], axis=1),
                     np.concatenate([sol.ends, extra.ends], axis=1),
                     np.where(better, extra.level, sol.level))


NEIGHBOUR_STEP = 1.0  # each free coefficient of a best point moved by ± this, one start each
NEIGHBOUR_ROUNDS = 3  # further rounds from the points that improved


def _explore_neighbours(ls, weights, sol: Solutions, l1, effect, free) -> Solutions:
    """Polish every fit from its best point with each free coefficient moved by
    ±`NEIGHBOUR_STEP`, and again from any better point found. This reaches basins next to
    an optimum that random points rarely do (one benchmark's term switched off, a much
    steeper exponent): in the unpenalised refits of the main bootstrap, about 1 draw in 100
    had its optimum there. Only the best point changes; `values` and `ends` stay the
    evidence of the multistart itself."""
    n_groups, p = sol.theta.shape
    free = np.broadcast_to(free, (n_groups, p))
    l1, effect = np.broadcast_to(l1, (n_groups, p)), np.broadcast_to(effect, (n_groups, p))
    moves = np.concatenate([np.eye(p), -np.eye(p)]) * NEIGHBOUR_STEP
    theta, value = sol.theta.copy(), sol.value.copy()
    kkt, level = sol.kkt.copy(), sol.level.copy()
    todo = np.arange(n_groups)
    for _ in range(NEIGHBOUR_ROUNDS):
        if todo.size == 0:
            break
        starts = (theta[todo, None, :] + moves[None]) * free[todo, None, :]
        extra = solve(ls, weights[todo], starts, l1[todo], effect[todo], free[todo],
                      (theta[todo], value[todo]))
        better = extra.value < value[todo] * (1 - AGREEMENT)
        rows = todo[better]
        theta[rows], value[rows] = extra.theta[better], extra.value[better]
        kkt[rows], level[rows] = extra.kkt[better], extra.level[better]
        todo = rows
    return Solutions(theta, value, kkt, sol.values, sol.ends, level)


@dataclass
class Refits:
    """Estimates of G refits (bootstrap draws or folds): `theta[name]` is (G, p) for each
    estimator computed (``refit`` also yields the paper's penalised stage), plus evidence."""

    theta: dict[str, np.ndarray]
    #: per estimator, one row per refit: objective, kkt_bound, starts, agreeing, warm_gap, level
    diagnostics: dict[str, pd.DataFrame]


def refit(full: FitResult, ls: solver.LeastSquares, weights: np.ndarray, seeds,
          n_random: int, n_shared: int = SHARED_STARTS) -> Refits:
    """Refit `full`'s estimator on G row-weightings of the design of `ls` (a bootstrap
    resample as row counts, a fold as a zero weight). Each refit starts from the full fit
    (the warm start), the other distinct optima of its multistart, the heuristic point and
    `n_random` random points seeded by its entry of `seeds`; then from `n_shared` diverse
    best points of all G refits. The best end point is kept and certified."""
    spec, p = full.spec, full.spec.n_params
    weights = np.atleast_2d(np.asarray(weights, float))
    n_groups = len(weights)
    y_mean = solver.normalise_weights(weights) @ ls.y
    estimator = Estimator(full.estimator, full.delta)
    first_fit = full.penalised if full.penalised is not None else full

    def starts_for(anchors: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """(G, A + 1 + n_random, p): the anchors of each group, the heuristic point and
        seeded random points, zeroed outside `mask`."""
        out = np.empty((n_groups, anchors.shape[1] + 1 + n_random, p))
        for g in range(n_groups):
            out[g] = np.vstack([anchors[g], heuristic_start(spec, y_mean[g]),
                                random_starts(spec, y_mean[g], n_random, seeds[g])])
        return out if mask is None else out * mask[:, None, :]

    l1, effect = estimator.penalty(spec)
    warm = np.array([first_fit.theta, *first_fit.optima[1:]])
    every = np.ones(p, bool)
    first = solve(ls, weights, starts_for(np.broadcast_to(warm, (n_groups, *warm.shape))), l1,
                  effect, every)
    first = _share_basins(ls, weights, first, l1, effect, every, n_shared)
    stages = {"paper" if estimator.name == "refit" else estimator.name: first}
    if estimator.name == "refit":
        # the draw's own penalised optimum on its support first, then the full refit
        free = np.abs(first.theta) > 0
        anchors = np.concatenate([first.theta[:, None],
                                  np.broadcast_to(np.array([full.theta, *first_fit.optima]),
                                                  (n_groups, len(first_fit.optima) + 1, p))],
                                 axis=1)
        zero = np.zeros(p)
        second = solve(ls, weights, starts_for(anchors, free), zero, zero, free)
        second = _share_basins(ls, weights, second, zero, zero, free, n_shared)
        second = _explore_neighbours(ls, weights, second, zero, zero, free)
        stages["refit"] = second
    diagnostics = {name: pd.DataFrame({
        "objective": sol.value, "kkt_bound": kkt_bound(sol.kkt),
        "starts": np.full(n_groups, sol.values.shape[1]), "agreeing": sol.n_agree,
        "warm_gap": sol.values[:, 0] / sol.value - 1.0,
        "level": sol.level}) for name, sol in stages.items()}
    return Refits({name: sol.theta for name, sol in stages.items()}, diagnostics)
