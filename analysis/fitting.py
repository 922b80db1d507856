"""Penalised least-squares fits of the augmented scaling laws (docs/method.md §3).

    J(θ) = (1/n)·Σ (y − ŷ(θ))² + δ·Σ|θ_k|

A fit runs a damped active-set Newton method with the exact Hessian (`newton_polish`)
from every starting point: the reference's θ = 0, a scale-aware heuristic point, any warm
start given, and seeded random points. When the best end point fails its KKT optimality
certificate, L-BFGS-B on the split variables θ = p − q (p, q ≥ 0, which makes the L1 term
smooth) continues from it, followed by another Newton polish. A fit reports how many local
searches agreed and the KKT residual of the answer, so that reaching the optimum is shown
rather than assumed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from .models import (Design, ModelSpec, Normalizer, design, predict, predict_and_jacobian,
                     weighted_hessian)

#: relative agreement of an objective with the best one for a start to count as agreeing
AGREEMENT = 1e-7
LBFGS_OPTIONS = {"maxiter": 20000, "maxfun": 40000, "ftol": 1e-15, "gtol": 1e-11, "maxcor": 30}


def objective(des: Design, y: np.ndarray, theta: np.ndarray, delta: float) -> float:
    residual = y - predict(des, theta)
    return float(np.mean(residual**2) + delta * np.abs(theta).sum())


def smooth_gradient(des: Design, y: np.ndarray, theta: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean squared error and its gradient."""
    yhat, jac = predict_and_jacobian(des, theta)
    residual = y - yhat
    return float(np.mean(residual**2)), -2.0 * (jac.T @ residual) / len(y)


def kkt_residual(des: Design, y: np.ndarray, theta: np.ndarray, delta: float,
                 zero_tol: float = 1e-10) -> float:
    """Largest violation of the optimality conditions of the L1-penalised objective."""
    _, grad = smooth_gradient(des, y, theta)
    nonzero = np.abs(theta) > zero_tol
    violation = np.where(nonzero, np.abs(grad + delta * np.sign(theta)),
                         np.maximum(0.0, np.abs(grad) - delta))
    return float(violation.max()) if violation.size else 0.0


def _gradient_hessian(des: Design, y: np.ndarray, theta: np.ndarray
                      ) -> tuple[float, np.ndarray, np.ndarray]:
    """MSE, its gradient and its exact Hessian (2/n)(JᵀJ − Σ r_i ∇²ŷ_i)."""
    yhat, jac = predict_and_jacobian(des, theta)
    residual = y - yhat
    n = len(y)
    hess = 2.0 / n * (jac.T @ jac - weighted_hessian(des, theta, residual))
    return float(np.mean(residual**2)), -2.0 * (jac.T @ residual) / n, hess


ZERO = 1e-12
DECREMENT = 1e-15  # a Newton step predicted to gain less than this (relative) ends a search
NEWTON_FROM_START = 500  # iteration cap of a Newton search started far from the optimum


def newton_polish(des: Design, y: np.ndarray, delta: float, theta: np.ndarray,
                  max_iter: int = 60, tol: float = 1e-12) -> np.ndarray:
    """Active-set Newton on J: coefficients at zero stay there unless the gradient says
    they must move (|∂MSE/∂θ_k| > δ); the others keep their sign (a step that would cross
    zero stops at zero). Exact Hessian, damped when not positive definite, backtracking."""
    theta = np.array(theta, float)
    current = objective(des, y, theta, delta)
    for _ in range(max_iter):
        _, grad, hess = _gradient_hessian(des, y, theta)
        sign = np.sign(theta)
        free = np.abs(theta) > ZERO
        entering = ~free & (np.abs(grad) > delta)
        sign[entering] = -np.sign(grad[entering])
        active = free | entering
        if delta == 0:
            active[:] = True
        g_active = (grad + delta * sign)[active]
        if np.max(np.abs(g_active), initial=0.0) < tol:
            break
        h = hess[np.ix_(active, active)]
        shift = max(0.0, -np.linalg.eigvalsh(h).min() * 1.1) + 1e-14
        step_active = -np.linalg.lstsq(h + shift * np.eye(len(h)), g_active, rcond=None)[0]
        if -g_active @ step_active <= DECREMENT * current:  # predicted gain below precision
            break
        step = np.zeros_like(theta)
        step[active] = step_active
        improved = False
        for scale in 0.5 ** np.arange(30):
            trial = theta + scale * step
            if delta > 0:  # do not cross zero: clip to zero instead
                crossed = (sign != 0) & (np.sign(trial) != sign)
                trial[crossed] = 0.0
            value = objective(des, y, trial, delta)
            if value <= current:
                improved = value < current
                theta, current = trial, value
                break
        if not improved:
            break
    return theta


def _local_fit(des: Design, y: np.ndarray, delta: float, start: np.ndarray) -> np.ndarray:
    """L-BFGS-B from `start` on the split variables (θ directly when δ = 0), then an
    exact-Hessian Newton polish."""
    return newton_polish(des, y, delta, _lbfgs(des, y, delta, start))


def _lbfgs(des: Design, y: np.ndarray, delta: float, start: np.ndarray) -> np.ndarray:
    p = len(start)
    if delta == 0:
        return minimize(lambda th: smooth_gradient(des, y, th), start, jac=True,
                        method="L-BFGS-B", options=LBFGS_OPTIONS).x

    def fun(z: np.ndarray) -> tuple[float, np.ndarray]:
        theta = z[:p] - z[p:]
        loss, grad = smooth_gradient(des, y, theta)
        return loss + delta * z.sum(), np.concatenate([grad + delta, -grad + delta])

    z0 = np.concatenate([np.maximum(start, 0), np.maximum(-start, 0)])
    result = minimize(fun, z0, jac=True, method="L-BFGS-B", bounds=[(0, None)] * (2 * p),
                      options=LBFGS_OPTIONS)
    return result.x[:p] - result.x[p:]


def heuristic_start(spec: ModelSpec, y: np.ndarray) -> np.ndarray:
    """Intercepts splitting mean log perplexity between the terms, small positive slopes."""
    theta = np.zeros(spec.n_params)
    level = np.log(max(float(np.mean(y)) / (2 if spec.has_v else 1), 1e-3))
    for k, coef in enumerate(spec.coefficients):
        if coef.feature == () and "add" not in coef.terms:
            theta[k] = level
        elif len(coef.feature) == 1 and coef.feature[0] in ("t", "n", "d", "c", "nontr", "tr") \
                and coef.link == "identity" and "add" not in coef.terms:
            theta[k] = 0.05
    return theta


def starting_points(spec: ModelSpec, y: np.ndarray, n_random: int, seed: int,
                    warm: np.ndarray | None = None) -> list[np.ndarray]:
    """θ = 0 (the reference's start), the heuristic point, a warm start, and seeded
    random perturbations of the heuristic point."""
    base = heuristic_start(spec, y)
    rng = np.random.default_rng(seed)
    starts = [np.zeros(spec.n_params), base]
    if warm is not None:
        starts.insert(0, np.asarray(warm, float))
    scale = np.where(np.abs(base) > 0.1, 1.0, 0.1)
    starts += [base + scale * rng.standard_normal(spec.n_params) for _ in range(n_random)]
    return starts


@dataclass
class FitResult:
    """A fitted model: coefficients, objective, normaliser and evidence of optimality."""

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

    @property
    def params(self) -> dict[str, float]:
        return dict(zip(self.spec.names, map(float, self.theta)))

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return predict(design(frame, self.spec, self.normalizer), self.theta)

    def to_dict(self) -> dict:
        return {
            "model": self.spec.model_id, "delta": self.delta, "objective": self.objective,
            "mse": self.mse, "n_obs": self.n_obs, "params": self.params,
            "normalizer": {"year0": self.normalizer.year0, "params0": self.normalizer.params0,
                           "tokens0": self.normalizer.tokens0},
            "optimality": {"kkt_residual": self.kkt, "starts": self.n_starts,
                           "starts_agreeing": self.n_agree},
        }

    def summary(self) -> str:
        lines = [f"Model {self.spec.model_id} ({self.spec.label}), δ = {self.delta}, "
                 f"n = {self.n_obs}",
                 f"objective {self.objective:.8f}, MSE {self.mse:.6f}, KKT residual "
                 f"{self.kkt:.1e}, {self.n_agree}/{self.n_starts} starts agree"]
        lines += [f"  {name:<20s} {value: .6f}" for name, value in self.params.items()]
        return "\n".join(lines)


#: a warm-started solution violating optimality by more than this is refitted
KKT_TOLERANCE = 1e-6


def certified_refit(spec: ModelSpec, delta: float, frame: pd.DataFrame, norm: Normalizer,
                    warm: np.ndarray, seed: int) -> tuple[np.ndarray, int, float]:
    """Optimum of J on `frame` starting near `warm` (a fold or a resample of data whose
    optimum is `warm`), escalating only while the KKT certificate fails:
    Newton from `warm`, then L-BFGS-B + Newton from it, then a full multistart.
    Returns (θ, escalation level 0/1/2, KKT residual of θ)."""
    des = design(frame, spec, norm)
    y = frame["log_ppl"].to_numpy(float)

    def certified(theta: np.ndarray) -> tuple[bool, float]:
        kkt = kkt_residual(des, y, theta, delta)
        return bool(np.isfinite(objective(des, y, theta, delta)) and kkt <= KKT_TOLERANCE), kkt

    theta = newton_polish(des, y, delta, warm)
    ok, kkt = certified(theta)
    if ok:
        return theta, 0, kkt
    theta = _local_fit(des, y, delta, theta)
    ok, kkt = certified(theta)
    if ok:
        return theta, 1, kkt
    result = AugmentedScalingLaw(spec, delta, seed=seed).fit(frame, norm, warm=theta)
    return result.theta, 2, result.kkt


class AugmentedScalingLaw:
    """Estimator for one candidate model and penalty (statsmodels-like: fit → results)."""

    def __init__(self, spec: ModelSpec, delta: float = 0.0025, n_random_starts: int = 16,
                 seed: int = 0):
        self.spec, self.delta = spec, float(delta)
        self.n_random_starts, self.seed = n_random_starts, seed

    def fit(self, frame: pd.DataFrame, normalizer: Normalizer | None = None,
            warm: np.ndarray | None = None, n_random_starts: int | None = None) -> FitResult:
        norm = normalizer or Normalizer.of(frame, self.spec.tokens_column)
        des = design(frame, self.spec, norm)
        y = frame["log_ppl"].to_numpy(float)
        n_random = self.n_random_starts if n_random_starts is None else n_random_starts
        starts = starting_points(self.spec, y, n_random, self.seed, warm)
        solutions = [newton_polish(des, y, self.delta, s, max_iter=NEWTON_FROM_START)
                     for s in starts]
        values = [objective(des, y, th, self.delta) for th in solutions]
        best = int(np.nanargmin(values))
        if not kkt_residual(des, y, solutions[best], self.delta) <= KKT_TOLERANCE:
            solutions.append(_local_fit(des, y, self.delta, solutions[best]))
            values.append(objective(des, y, solutions[-1], self.delta))
            best = int(np.nanargmin(values))
        theta = solutions[best]
        agree = sum(v <= values[best] * (1 + AGREEMENT) for v in values)
        mse, _ = smooth_gradient(des, y, theta)
        return FitResult(self.spec, self.delta, theta, values[best], mse, norm, len(y),
                         kkt_residual(des, y, theta, self.delta), len(solutions), agree, values,
                         distinct_optima(solutions, values))


def distinct_optima(solutions: list[np.ndarray], values: list[float], keep: int = 4,
                    tol: float = 1e-9) -> list[np.ndarray]:
    """The best `keep` local optima with distinct objective values, best first."""
    optima, seen = [], []
    for k in np.argsort(values, kind="stable"):
        if np.isfinite(values[k]) and all(abs(values[k] - v) > tol * abs(v) for v in seen):
            optima.append(solutions[k])
            seen.append(values[k])
        if len(optima) == keep:
            break
    return optima
