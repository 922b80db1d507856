"""Approach 3 of Hoffmann et al. (2022): fit L(N, D) = E + A/N^α + B/D^β to (N, D, loss)
points by the Huber loss of log-loss residuals (docs/method.md §6), shown to reach the optimum.

    log L̂ = LSE(a − α·ln N, b − β·ln D, e),   A = eᵃ, B = eᵇ, E = eᵉ
    objective(θ) = Σᵢ huber_δ(log L̂ᵢ − log Lᵢ),   θ = (a, b, e, α, β)

The reference practice (Hoffmann et al.; Besiroglu et al. 2024) runs L-BFGS from each point
of a grid of starts and keeps the best end point (`grid_lbfgs_fit`). Here instead:

1. **Screen.** For each (α, β) on a grid, the (E, A, B) minimising the relative squared error
   in loss space is a 3-variable linear least-squares problem (variable projection); all
   pairs are solved at once and each candidate is scored by the objective. Optionally the
   reference grid's 3,125 starts are scored too (from factorised terms, all at once).
2. **Local search.** A damped Newton method with the exact (piecewise) Hessian runs from the
   best distinct candidates, all starts advanced together as one batch of arrays.
3. **Certificate.** The answer's Newton decrement (the objective gap to the local optimum
   predicted by the local quadratic model), its gradient, the smallest eigenvalue of its
   Hessian and how many starts reached the same objective are reported with it.

Bootstrap refits start from the full-data optima and the best candidates of the resample's
own (coarser) screen, so the warm start is one start among several. A resample is a vector
of counts used as weights on the points, so fifty draws' starts are refitted as one batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import minimize

NAMES = ("a", "b", "e", "alpha", "beta")  # order of θ
PARAMETERS = ("E", "A", "B", "alpha", "beta", "a", "b")  # what a fit reports
#: exponent grid of the variable-projection screen (full fits; bootstrap refits use half)
SCREEN_EXPONENTS = np.geomspace(0.01, 2.5, 24)
#: the reference practice's grid of starts: 5 values per coordinate, 3,125 starts
REFERENCE_GRID = {"a": np.arange(0, 25, 5.0), "b": np.arange(0, 25, 5.0),
                  "e": np.arange(-1, 1.5, 0.5), "alpha": np.arange(0, 2.5, 0.5),
                  "beta": np.arange(0, 2.5, 0.5)}
AGREEMENT = 1e-9  # relative objective gap for two starts to count as agreeing
DECREMENT = 1e-10  # certified: Newton decrement below this fraction of the objective
EXP_CLIP = 700.0  # keeps exp() finite for absurd starting points


@dataclass(frozen=True)
class Points:
    """Log inputs of a fit: x = ln N, y = ln D, log loss, and a weight per point: shape
    (n,), or (K, n) with one row per θ row when many resamples are fitted as one batch."""

    x: np.ndarray
    y: np.ndarray
    logl: np.ndarray
    weight: np.ndarray

    @classmethod
    def of(cls, params, tokens, loss) -> "Points":
        arrays = [np.asarray(v, float).ravel() for v in (params, tokens, loss)]
        if len({len(a) for a in arrays}) != 1:
            raise ValueError("params, tokens and loss must have the same length")
        if len(arrays[0]) < 5:
            raise ValueError(f"need at least 5 points to fit 5 parameters, got {len(arrays[0])}")
        for name, a in zip(("params", "tokens", "loss"), arrays):
            if not np.all(np.isfinite(a)) or np.any(a <= 0):
                raise ValueError(f"{name} must be finite and positive")
        logs = [np.log(a) for a in arrays]
        return cls(*logs, np.ones(len(logs[0])))

    @property
    def n(self) -> int:
        return int(round(self.weight.sum()))

    def rows(self, index: np.ndarray) -> "Points":
        """The points for a subset of θ rows (only per-row weights change)."""
        if self.weight.ndim == 1:
            return self
        return Points(self.x, self.y, self.logl, self.weight[index])

    def resample(self, rng: np.random.Generator) -> "Points":
        """A bootstrap resample (n points with replacement) as weights on distinct points."""
        counts = _resample_counts(rng, len(self.x))
        keep = counts > 0
        return Points(self.x[keep], self.y[keep], self.logl[keep], counts[keep])


# --- the objective, batched over starts ----------------------------------------------------

def _huber(r: np.ndarray, delta: float) -> np.ndarray:
    absr = np.abs(r)
    return np.where(absr <= delta, 0.5 * r**2, delta * (absr - 0.5 * delta))


def _terms(theta: np.ndarray, pts: Points) -> tuple[np.ndarray, ...]:
    """The terms A/N^α (K, n), B/D^β (K, n) and E (K, 1) of L̂ for each row of θ (K, 5)."""
    t1 = np.exp(np.minimum(theta[:, [0]] - theta[:, [3]] * pts.x, EXP_CLIP))
    t2 = np.exp(np.minimum(theta[:, [1]] - theta[:, [4]] * pts.y, EXP_CLIP))
    return t1, t2, np.exp(np.minimum(theta[:, [2]], EXP_CLIP))


def objectives(theta: np.ndarray, pts: Points, delta: float) -> np.ndarray:
    """Huber objective of each row of θ (K, 5)."""
    t1, t2, t3 = _terms(np.atleast_2d(theta), pts)
    return (_huber(np.log(t1 + t2 + t3) - pts.logl, delta) * pts.weight).sum(axis=-1)


def _derivatives(theta: np.ndarray, pts: Points, delta: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Objective (K,), gradient (K, 5) and exact Hessian (K, 5, 5) for K starts at once.

    With w_k the share of term k in L̂ and g_k the gradient of its exponent,
    ∇r = Σ w_k g_k and ∇²r = Σ w_k g_k g_kᵀ − ∇r∇rᵀ; the Hessian of Σ ρ(r) is
    Σ (ρ'' − ρ') ∇r∇rᵀ + ρ' Σ w_k g_k g_kᵀ."""
    x, y, c = pts.x, pts.y, pts.weight
    t1, t2, t3 = _terms(theta, pts)
    total = t1 + t2 + t3
    w1, w2, w3 = t1 / total, t2 / total, t3 / total
    r = np.log(total) - pts.logl
    inside = np.abs(r) <= delta
    value = (_huber(r, delta) * c).sum(axis=1)
    d1 = np.clip(r, -delta, delta) * c
    jac = np.empty((len(theta), 5, len(x)))  # ∇r, one column per point
    jac[:, 0], jac[:, 1], jac[:, 2] = w1, w2, w3
    jac[:, 3], jac[:, 4] = -x * w1, -y * w2
    grad = (jac @ d1[..., None])[..., 0]
    hess = (jac * (inside * c - d1)[:, None, :]) @ jac.transpose(0, 2, 1)
    # ρ'·Σ w_k g_k g_kᵀ (g_1 = (1,0,0,−x,0), g_2 = (0,1,0,0,−y), g_3 = (0,0,1,0,0))
    s1, s2 = d1 * w1, d1 * w2
    diag = np.arange(5)
    hess[:, diag, diag] += np.stack([s1.sum(1), s2.sum(1), (d1 * w3).sum(1),
                                     s1 @ (x * x), s2 @ (y * y)], axis=1)
    cross_a, cross_b = -(s1 @ x), -(s2 @ y)
    hess[:, 0, 3] += cross_a
    hess[:, 3, 0] += cross_a
    hess[:, 1, 4] += cross_b
    hess[:, 4, 1] += cross_b
    return value, grad, hess


def _newton_step(grad: np.ndarray, hess: np.ndarray, damping: np.ndarray,
                 max_step: float = 5.0) -> np.ndarray:
    """Damped Newton step −(H + μI)⁻¹g, row-wise, from one eigendecomposition of H: μ is
    `damping` plus what makes H + μI positive definite. Steps longer than `max_step` (in θ
    units) are shortened, so where H is nearly singular (all points outside the Huber zone,
    a vanishing term) a step is a bounded move rather than a jump to infinity."""
    eigval, eigvec = np.linalg.eigh(hess)
    scale = np.abs(eigval).max(axis=1) + 1e-300
    shift = np.maximum(0.0, -eigval[:, 0] * 1.1) + damping + 1e-12 * scale
    coef = (eigvec.transpose(0, 2, 1) @ grad[..., None])[..., 0] / (eigval + shift[:, None])
    step = -(eigvec @ coef[..., None])[..., 0]
    length = np.abs(step).max(axis=1, keepdims=True)
    return step * np.minimum(1.0, max_step / np.maximum(length, 1e-300))


def newton(theta: np.ndarray, pts: Points, delta: float, max_iter: int = 500,
           tol: float = 1e-13) -> np.ndarray:
    """Damped Newton (Levenberg–Marquardt damping) from each row of θ (K, 5), all rows
    advanced together.

    The damping starts at 0, is divided by 10 after every full step that lowers the
    objective (so the method ends as plain Newton) and is raised (×10, at least 1e-3·‖g‖∞)
    after a step that had to be halved. A row stops when its predicted decrease falls below `tol` relative to its
    objective or no step lowers it."""
    theta = np.array(np.atleast_2d(theta), float)
    active = np.arange(len(theta))
    damping = None
    for _ in range(max_iter):
        if not active.size:
            break
        th, sub = theta[active], pts.rows(active)
        value, grad, hess = _derivatives(th, sub, delta)
        if damping is None:
            damping = np.zeros(len(th))
        step = _newton_step(grad, hess, damping)
        pending = -(grad * step).sum(1) > tol * np.maximum(value, 1e-300)
        moved = np.zeros(len(th), bool)
        full = np.zeros(len(th), bool)
        for k, fraction in enumerate(0.5 ** np.arange(50)):
            if not pending.any():
                break
            idx = np.flatnonzero(pending)
            trial = th[idx] + fraction * step[idx]
            ok = objectives(trial, sub.rows(idx), delta) < value[idx]
            th[idx[ok]] = trial[ok]
            moved[idx[ok]] = True
            full[idx[ok]] = k == 0
            pending[idx[ok]] = False
        damping = np.where(full, damping * 0.1,
                           np.maximum(damping * 10, 1e-3 * np.abs(grad).max(axis=1)))
        theta[active] = th
        active, damping = active[moved], damping[moved]
    return theta


# --- starting points -------------------------------------------------------------------------

def screen(pts: Points, delta: float, exponents: np.ndarray = SCREEN_EXPONENTS
           ) -> tuple[np.ndarray, np.ndarray]:
    """Candidates (K, 5) and their objectives: for each (α, β) on `exponents`², the
    (E, A, B) minimising Σ cᵢ((E + A·uᵢ + B·vᵢ − Lᵢ)/Lᵢ)², u = (N/N̄)^−α, v = (D/D̄)^−β.
    Coefficients that come out non-positive are set to a negligible size."""
    loss = np.exp(pts.logl)
    xc, yc = pts.x.mean(), pts.y.mean()
    u = np.exp(-np.outer(exponents, pts.x - xc))  # (m, n)
    v = np.exp(-np.outer(exponents, pts.y - yc))
    w = pts.weight / loss**2
    m = len(exponents)
    gram = np.empty((m, m, 3, 3))
    gram[..., 0, 0] = w.sum()
    gram[..., 0, 1] = gram[..., 1, 0] = (u @ w)[:, None]
    gram[..., 0, 2] = gram[..., 2, 0] = (v @ w)[None, :]
    gram[..., 1, 1] = ((u * u) @ w)[:, None]
    gram[..., 2, 2] = ((v * v) @ w)[None, :]
    gram[..., 1, 2] = gram[..., 2, 1] = (u * w) @ v.T
    rhs = np.empty((m, m, 3))
    rhs[..., 0] = w @ loss
    rhs[..., 1] = (u @ (w * loss))[:, None]
    rhs[..., 2] = (v @ (w * loss))[None, :]
    ridge = 1e-12 * np.trace(gram, axis1=-2, axis2=-1)[..., None, None] * np.eye(3)
    coef = np.linalg.solve(gram + ridge, rhs[..., None])[..., 0]
    coef = np.maximum(coef, 1e-6 * loss.min())
    pred = coef[..., [0]] + coef[..., [1]] * u[:, None, :] + coef[..., [2]] * v[None, :, :]
    values = (_huber(np.log(pred) - pts.logl, delta) @ pts.weight).ravel()
    alpha, beta = np.meshgrid(exponents, exponents, indexing="ij")
    cand = np.stack([np.log(coef[..., 1]) + alpha * xc, np.log(coef[..., 2]) + beta * yc,
                     np.log(coef[..., 0]), alpha, beta], axis=-1).reshape(-1, 5)
    return cand, values


def reference_grid_starts(grid: dict[str, np.ndarray] = REFERENCE_GRID) -> np.ndarray:
    """All combinations of a product grid, as rows θ = (a, b, e, α, β)."""
    mesh = np.meshgrid(*(grid[k] for k in NAMES), indexing="ij")
    return np.stack([m.ravel() for m in mesh], axis=-1)


def grid_objectives(pts: Points, delta: float, grid: dict[str, np.ndarray] = REFERENCE_GRID
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Every start of a product grid (in `reference_grid_starts` order) with its objective,
    from the factorised terms e^a·N^−α, e^b·D^−β, e^e. Single precision: the values only
    rank starts, which then go to Newton."""
    f32 = np.float32
    ea, eb, ee = (np.exp(grid[k]).astype(f32) for k in ("a", "b", "e"))
    u = np.exp(-np.outer(grid["alpha"], pts.x)).astype(f32)
    v = np.exp(-np.outer(grid["beta"], pts.y)).astype(f32)
    pred = (ea[:, None, None, None, None, None] * u[None, None, None, :, None, :]
            + eb[None, :, None, None, None, None] * v[None, None, None, None, :, :]
            + ee[None, None, :, None, None, None])
    residual = np.log(pred, out=pred) - pts.logl.astype(f32)
    values = (_huber(residual, f32(delta)) @ pts.weight.astype(f32)).ravel()
    return reference_grid_starts(grid), values.astype(float)


def _distinct(theta: np.ndarray, values: np.ndarray, keep: int, tol: float) -> np.ndarray:
    """Indices of up to `keep` lowest-objective rows that differ from each other (in θ)."""
    chosen: list[int] = []
    for k in np.argsort(values, kind="stable"):
        if not np.isfinite(values[k]):
            continue
        if all(np.max(np.abs(theta[k] - theta[j])) > tol for j in chosen):
            chosen.append(int(k))
        if len(chosen) == keep:
            break
    return np.array(chosen, int)


# --- the fit -----------------------------------------------------------------------------------

@dataclass
class ChinchillaFit:
    """Fitted L(N, D) = E + A/N^α + B/D^β with the evidence that it is the optimum."""

    theta: np.ndarray
    objective: float
    delta: float
    points: Points = field(repr=False)
    newton_decrement: float
    gradient_max: float
    hessian_min_eig: float
    n_starts: int
    n_agree: int
    optima: np.ndarray = field(repr=False)  # distinct local optima found, best first

    @property
    def n(self) -> int:
        return self.points.n

    @property
    def params(self) -> dict[str, float]:
        """E, A, B, α, β and the compute-optimal exponents a = β/(α+β), b = α/(α+β)."""
        log_a, log_b, log_e, alpha, beta = map(float, self.theta)
        return {"E": float(np.exp(log_e)), "A": float(np.exp(log_a)),
                "B": float(np.exp(log_b)), "alpha": alpha, "beta": beta,
                "a": beta / (alpha + beta), "b": alpha / (alpha + beta)}

    @property
    def certified(self) -> bool:
        """Locally optimal (Newton decrement below 1e-10 of the objective, Hessian positive
        definite) and the best objective reached from at least two starts."""
        return bool(self.newton_decrement <= DECREMENT * max(self.objective, 1e-300)
                    and self.hessian_min_eig > 0 and self.n_agree >= 2)

    def optimality(self) -> dict:
        return {"newton_decrement": self.newton_decrement, "gradient_max": self.gradient_max,
                "hessian_min_eigenvalue": self.hessian_min_eig, "starts": self.n_starts,
                "starts_agreeing": self.n_agree, "certified": self.certified}

    def to_dict(self) -> dict:
        return {**self.params, "objective": self.objective, "n": self.n, "delta": self.delta,
                "optimality": self.optimality()}

    def bootstrap(self, n_draws: int = 1000, seed: int = 0, n_jobs: int = 1,
                  progress: bool = False) -> pd.DataFrame:
        """Refit `n_draws` resamples of the points (see `bootstrap_chinchilla`)."""
        return bootstrap_chinchilla(self, n_draws, seed, n_jobs, progress)

    def summary(self, draws: pd.DataFrame, level: float = 0.95) -> dict:
        """Point estimates, objective, n, and percentile intervals per parameter with the
        number of draws behind them (all draws are used: every refit returns an optimum)."""
        lo, hi = 50 * (1 - level), 50 * (1 + level)
        ci = {k: [float(np.percentile(draws[k], lo)), float(np.percentile(draws[k], hi))]
              for k in PARAMETERS}
        return {**self.params, "objective": self.objective, "n": self.n, "delta": self.delta,
                "ci95": ci,
                "bootstrap": {"draws": len(draws), "certified": int(draws["certified"].sum())},
                "optimality": self.optimality()}


def _finish(solutions: np.ndarray, pts: Points, delta: float) -> ChinchillaFit:
    values = objectives(solutions, pts, delta)
    best = int(np.nanargmin(values))
    _, grad, hess = _derivatives(solutions[[best]], pts, delta)
    step = _newton_step(grad, hess, np.zeros(1), max_step=np.inf)
    agree = int(np.sum(values <= values[best] * (1 + AGREEMENT)))
    optima = solutions[_distinct(solutions, values, keep=4, tol=1e-6)]
    return ChinchillaFit(solutions[best], float(values[best]), delta, pts,
                         float(-(grad * step).sum() / 2), float(np.abs(grad).max()),
                         float(np.linalg.eigvalsh(hess[0])[0]), len(solutions), agree, optima)


def fit_points(pts: Points, delta: float = 1e-3, n_starts: int = 8,
               warm: np.ndarray | None = None, reference_grid: bool = False,
               exponents: np.ndarray = SCREEN_EXPONENTS) -> ChinchillaFit:
    """`fit_chinchilla` on prepared `Points`."""
    cand, values = screen(pts, delta, exponents)
    if reference_grid:
        grid, grid_values = grid_objectives(pts, delta)
        cand, values = np.vstack([cand, grid]), np.concatenate([values, grid_values])
    starts = cand[_distinct(cand, values, n_starts, tol=1e-3)]
    if warm is not None:
        starts = np.vstack([np.atleast_2d(warm), starts])
    return _finish(newton(starts, pts, delta), pts, delta)


def fit_chinchilla(params, tokens, loss, delta: float = 1e-3, n_starts: int = 8,
                   warm: np.ndarray | None = None, reference_grid: bool = False) -> ChinchillaFit:
    """Approach 3 fit of L = E + A/N^α + B/D^β.

    Parameters
    ----------
    params, tokens, loss : array-like, positive
        N, D and the final loss of each training run.
    delta : float
        Huber threshold on log-loss residuals (1e-3 as in Hoffmann et al.; ``np.inf`` gives
        least squares).
    n_starts : int
        Distinct screen candidates to run Newton from.
    warm : array (k, 5), optional
        Extra starts θ = (a, b, e, α, β), e.g. the optima of related data.
    reference_grid : bool
        Also score the reference practice's 3,125 grid starts as candidates (about 30 ms
        more on 250 points; the screen alone reached the grid's best in every benchmark).

    Examples
    --------
    >>> import numpy as np
    >>> n = np.geomspace(1e8, 1e10, 20); d = 20 * n[::-1]
    >>> fit = fit_chinchilla(n, d, 1.7 + 400 / n**0.34 + 410 / d**0.28)
    >>> round(fit.params["alpha"], 3), fit.certified
    (0.34, True)
    """
    return fit_points(Points.of(params, tokens, loss), delta, n_starts, warm, reference_grid)


def grid_lbfgs_fit(params, tokens, loss, delta: float = 1e-3,
                   grid: dict[str, np.ndarray] = REFERENCE_GRID, progress: bool = False
                   ) -> tuple[np.ndarray, float, np.ndarray]:
    """The reference practice: scipy L-BFGS-B (default options, numerical gradients) from
    every grid start; returns (best θ, best objective, every run's end objective)."""
    from tqdm import tqdm
    pts = Points.of(params, tokens, loss)
    best, best_value, ends = None, np.inf, []
    for start in tqdm(reference_grid_starts(grid), disable=not progress, desc="L-BFGS grid"):
        result = minimize(lambda th: float(objectives(th, pts, delta)[0]), start,
                          method="L-BFGS-B")
        ends.append(float(result.fun))
        if result.fun < best_value:
            best, best_value = result.x, float(result.fun)
    return best, best_value, np.array(ends)


# --- bootstrap -------------------------------------------------------------------------------------

#: bootstrap refits: starts from the resample's own screen on this coarser exponent grid
BOOTSTRAP_EXPONENTS = SCREEN_EXPONENTS[::2]
BOOTSTRAP_SCREEN_STARTS = 2
BOOTSTRAP_CHUNK = 50  # draws refitted as one batch of Newton rows


def _resample_counts(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.bincount(rng.integers(0, n, n), minlength=n).astype(float)


def _draw_chunk(args) -> list[dict]:
    """Refit a chunk of resamples as one Newton batch: every draw's starts (the full fit's
    optima and its own screen's best candidates) are rows with that draw's counts as
    weights; each draw keeps its best row."""
    pts, delta, warm, seeds = args
    n = len(pts.x)
    counts = np.array([_resample_counts(np.random.default_rng(seed), n) for seed in seeds])
    starts, owner = [], []
    for d, weight in enumerate(counts):
        cand, values = screen(Points(pts.x, pts.y, pts.logl, weight), delta, BOOTSTRAP_EXPONENTS)
        rows = np.vstack([warm, cand[_distinct(cand, values, BOOTSTRAP_SCREEN_STARTS, 1e-3)]])
        starts.append(rows)
        owner += [d] * len(rows)
    owner = np.array(owner)
    batch = Points(pts.x, pts.y, pts.logl, counts[owner])
    ends = newton(np.vstack(starts), batch, delta)
    values = objectives(ends, batch, delta)
    best = np.array([np.flatnonzero(owner == d)[np.argmin(values[owner == d])]
                     for d in range(len(seeds))])
    _, grad, hess = _derivatives(ends[best], batch.rows(best), delta)
    step = _newton_step(grad, hess, np.zeros(len(best)), max_step=np.inf)
    decrement = -(grad * step).sum(axis=1) / 2
    eig_min = np.linalg.eigvalsh(hess)[:, 0]
    rows = []
    for d, k in enumerate(best):
        mine = values[owner == d]
        agree = int(np.sum(mine <= values[k] * (1 + AGREEMENT)))
        log_a, log_b, log_e, alpha, beta = ends[k]
        rows.append({"E": np.exp(log_e), "A": np.exp(log_a), "B": np.exp(log_b),
                     "alpha": alpha, "beta": beta, "a": beta / (alpha + beta),
                     "b": alpha / (alpha + beta), "objective": values[k],
                     "starts_agreeing": agree,
                     "certified": bool(decrement[d] <= DECREMENT * max(values[k], 1e-300)
                                       and eig_min[d] > 0 and agree >= 2)})
    return rows


def bootstrap_chinchilla(full: ChinchillaFit, n_draws: int = 1000, seed: int = 0,
                         n_jobs: int = 1, progress: bool = False) -> pd.DataFrame:
    """Refit `n_draws` resamples of the fit's points (with replacement), in chunks of
    `BOOTSTRAP_CHUNK` draws. Each refit starts from the full fit's distinct optima and the
    best candidates of its own screen. Draw k is seeded by (seed, k) and chunks are fixed by
    draw number, so the draws do not depend on `n_jobs`."""
    from tqdm import tqdm
    seeds = [np.random.SeedSequence([seed, k]) for k in range(n_draws)]
    chunks = [(full.points, full.delta, full.optima, seeds[lo:lo + BOOTSTRAP_CHUNK])
              for lo in range(0, n_draws, BOOTSTRAP_CHUNK)]
    if n_jobs == 1:
        parts = [_draw_chunk(c) for c in tqdm(chunks, disable=not progress, desc="bootstrap")]
    else:
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(n_jobs) as pool:
            parts = list(tqdm(pool.map(_draw_chunk, chunks), total=len(chunks),
                              disable=not progress, desc="bootstrap"))
    frame = pd.DataFrame([row for part in parts for row in part])
    return frame.rename_axis("draw").reset_index()
