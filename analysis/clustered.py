"""Appendix I (docs/method.md §8): errors correlated within a paper.

All evaluations (no per-paper cap), the preferred model's mean function ŷ(θ), and Gaussian
errors with variance σ² that are equicorrelated (ρ ∈ [0, 1)) within each paper and
independent across papers. For a paper with m rows, R = (1−ρ)I + ρ11ᵀ, and

    −log L = (n/2)·log σ² + ½ Σ_papers [(m−1)·log(1−ρ) + log(1+(m−1)ρ)] + Q(θ, ρ)/(2σ²),

with Q = Σ eᵀR⁻¹e. σ² profiles out (σ̂² = Q/n), and for fixed ρ, Q is a sum of squares of
whitened residuals W·e, W = (I − c·11ᵀ)/√(1−ρ), c = (1 − √((1−ρ)/(1−ρ+mρ)))/m, so θ̂(ρ) is
a nonlinear least-squares fit. The profile over ρ is scanned on a grid and refined by a
bounded scalar search. Intervals resample whole papers (the reference resampled rows).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.optimize import least_squares, minimize_scalar
from tqdm import tqdm

from .appendix_fits import doubling_summary
from .bootstrap import resample_indices
from .intervals import percentile_interval
from .models import ModelSpec, Normalizer, design, predict, predict_and_jacobian

RHO_GRID = np.linspace(0.0, 0.95, 20)
RHO_MAX = 0.99
#: a coefficient this large means a term vanishes for some rows (the optimum is at infinity)
DIVERGED = 30.0


class Equicorrelated:
    """Profile likelihood of the equicorrelated model on one data set."""

    def __init__(self, frame: pd.DataFrame, spec: ModelSpec, norm: Normalizer):
        self.spec, self.norm = spec, norm
        self.des = design(frame, spec, norm)
        self.y = frame["log_ppl"].to_numpy(float)
        codes, _ = pd.factorize(frame["reference"], sort=True)
        self.groups = codes
        self.sizes = np.bincount(codes).astype(float)
        self.n = len(self.y)

    def _whiten(self, values: np.ndarray, rho: float) -> np.ndarray:
        """W·values per paper (values: n or n × p)."""
        m = self.sizes
        c = (1.0 - np.sqrt((1.0 - rho) / (1.0 - rho + m * rho))) / m
        sums = np.zeros((len(m),) + values.shape[1:])
        np.add.at(sums, self.groups, values)
        shift = c[self.groups].reshape((-1,) + (1,) * (values.ndim - 1)) * sums[self.groups]
        return (values - shift) / math.sqrt(1.0 - rho)

    def fit_theta(self, rho: float, start: np.ndarray) -> tuple[np.ndarray, float]:
        """θ̂(ρ) and Q(θ̂, ρ) by least squares on whitened residuals."""
        def residual(theta):
            return self._whiten(predict(self.des, theta) - self.y, rho)

        def jacobian(theta):
            return self._whiten(predict_and_jacobian(self.des, theta)[1], rho)
        result = least_squares(residual, start, jac=jacobian, method="lm", xtol=1e-12,
                               ftol=1e-12, gtol=1e-12)
        return result.x, float(2.0 * result.cost)

    def profile(self, rho: float, start: np.ndarray) -> tuple[float, np.ndarray]:
        """−log L at ρ with θ and σ² profiled out, and θ̂(ρ)."""
        theta, q = self.fit_theta(rho, start)
        m = self.sizes
        log_det = np.sum((m - 1) * np.log1p(-rho) + np.log1p((m - 1) * rho))
        return 0.5 * self.n * math.log(q / self.n) + 0.5 * log_det + 0.5 * self.n, theta

    def fit(self, start: np.ndarray, grid: np.ndarray = RHO_GRID) -> dict:
        """Maximum likelihood: profile over a ρ grid (θ warm-started along it), then a
        bounded search around the best grid point."""
        values, thetas, theta = [], [], np.asarray(start, float)
        for rho in grid:
            value, theta = self.profile(rho, theta)
            values.append(value)
            thetas.append(theta)
        best = int(np.argmin(values))
        lo, hi = grid[max(best - 1, 0)], grid[best + 1] if best + 1 < len(grid) else RHO_MAX
        warm = thetas[best]
        refined = minimize_scalar(lambda r: self.profile(r, warm)[0], bounds=(lo, hi),
                                  method="bounded", options={"xatol": 1e-6})
        rho = float(refined.x) if refined.fun < values[best] else float(grid[best])
        value, theta = self.profile(rho, warm)
        _, q = self.fit_theta(rho, theta)
        return {"theta": theta, "rho": rho, "sigma": math.sqrt(q / self.n),
                "neg_log_likelihood": value, "profile": {"rho": grid.tolist(), "neg_log_likelihood": values}}


def correlated_errors(frame: pd.DataFrame, spec: ModelSpec, start: np.ndarray, n_draws: int,
                      seed: int, progress: bool = False) -> dict:
    """ML fit with equicorrelated errors within papers, and intervals from resampling
    papers (each draw refitted by the same profile search, from the full-data optimum)."""
    norm = Normalizer.of(frame, spec.tokens_column)
    full = Equicorrelated(frame, spec, norm).fit(start)
    params = dict(zip(spec.names, full["theta"]))
    rng = np.random.default_rng(seed)
    rows, failed = [], 0
    for _ in tqdm(range(n_draws), disable=not progress, desc="Appendix I papers bootstrap"):
        sample = frame.iloc[resample_indices(frame, rng, "paper")].reset_index(drop=True)
        try:
            draw = Equicorrelated(sample, spec, norm).fit(full["theta"])
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):
            failed += 1
            continue
        rows.append({**dict(zip(spec.names, draw["theta"])), "rho": draw["rho"],
                     "sigma": draw["sigma"]})
    draws = pd.DataFrame(rows, columns=list(spec.names) + ["rho", "sigma"])
    diverged = [name for name, value in params.items() if abs(value) > DIVERGED]
    return {"n_evaluations": len(frame), "n_papers": int(frame["reference"].nunique()),
            "params": params, "rho": full["rho"], "sigma": full["sigma"],
            "diverged_coefficients": diverged,
            "neg_log_likelihood": full["neg_log_likelihood"], "rho_profile": full["profile"],
            "draws": n_draws, "failed_draws": failed, "unit": "paper",
            "rho_interval": percentile_interval(draws["rho"]),
            "doubling_time_months": doubling_summary(draws, spec, params)}
