"""Batched minimisation of penalised least-squares objectives that share one design.

Problem m of a batch is

    J_m(θ) = Σ_i w_mi (y_i − ŷ_i(θ))² / Σ_i w_mi  +  Σ_k λ_mk |θ_k|  +  Σ_k μ_mk |log σ(θ_k)|,

with θ_k held at 0 where `free_mk` is false. Row weights w express a bootstrap resample
(row counts) or a leave-one-out fold (a zero weight) on the design of the full data, so
many refits and many starting points run as one batch of array operations. λ is the
paper's L1 penalty on raw coefficients; μ is the penalty on the effect of a
log-sigmoid coefficient (|log σ(γ)| = softplus(−γ), smooth and convex), used by the
effect-penalised estimator.

`newton` is a damped active-set Newton method with the exact Hessian: coefficients at
zero stay there unless the gradient says they must move (|∂f/∂θ_k| > λ_k); the others
keep their sign (a coefficient whose step would cross zero stops at zero, and the others are
re-solved on that face). `lbfgs` continues a single
problem on split variables θ = p − q when Newton's answer fails its KKT certificate.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit

from .models import EXP_CLIP, Design

ZERO = 1e-12
DECREMENT = 1e-15  # a Newton step predicted to gain less than this (relative) ends a search
LBFGS_OPTIONS = {"maxiter": 20000, "maxfun": 40000, "ftol": 1e-15, "gtol": 1e-11, "maxcor": 30}
LINE_SEARCH_HALVINGS = 30
ORTHANT_HALVINGS = 4  # halvings of the orthant step before falling back to the plain one
HOME_RADIUS = 1e-3  # a search this close to a known optimum (relative, max norm) stops
PIVOT = 1e-10  # smallest Cholesky pivot, relative to H's largest diagonal entry, for a plain solve


def normalise_weights(weights: np.ndarray) -> np.ndarray:
    """Row weights scaled to sum to one per problem (so the loss is a weighted mean)."""
    weights = np.atleast_2d(np.asarray(weights, float))
    return weights / weights.sum(axis=1, keepdims=True)


def _links(links: np.ndarray, theta: np.ndarray):
    """g(θ), g'(θ), g''(θ) coefficient-wise for a batch θ (M, p); `links` marks the
    log-sigmoid coefficients."""
    g, dg, d2g = theta.copy(), np.ones_like(theta), np.zeros_like(theta)
    if links.any():
        t = theta[:, links]
        s = expit(-t)
        g[:, links] = -np.logaddexp(0.0, -t)
        dg[:, links] = s
        d2g[:, links] = -s * (1.0 - s)
    return g, dg, d2g


class LeastSquares:
    """One data set: its design and response, with each term's design restricted to the
    coefficients it uses and the row outer products that turn every Hessian of a batch
    into a few matrix products."""

    def __init__(self, des: Design, y: np.ndarray):
        self.des, self.y = des, np.asarray(y, float)
        self.p = des.u.shape[1]
        self.links = np.array([link == "logsigmoid" for link in des.links], bool) \
            if des.links else np.zeros(self.p, bool)
        mats = {"u": des.u, "v": des.v if des.has_v else None, "a": des.add}
        #: term → (its coefficient indices, its design on them); unused terms left out
        self.terms = {t: (np.flatnonzero(np.abs(x).sum(axis=0) > 0), None) for t, x in mats.items()
                      if x is not None and (t == "u" or np.any(x))}
        self.terms = {t: (cols, np.ascontiguousarray(mats[t][:, cols]))
                      for t, (cols, _) in self.terms.items()}

    @cached_property
    def _outers(self) -> dict[tuple[str, str], np.ndarray]:
        """Row outer products x_s ⊗ x_t of each pair of terms, flattened: (n, |s|·|t|)."""
        out = {}
        names = list(self.terms)
        for i, s in enumerate(names):
            for t in names[i:]:
                xs, xt = self.terms[s][1], self.terms[t][1]
                out[s, t] = (xs[:, :, None] * xt[:, None, :]).reshape(len(xs), -1)
        return out

    def _exps(self, g: np.ndarray):
        """exp of the u and v terms (None if absent) and ŷ, given g(θ)."""
        cols, x = self.terms["u"]
        eu = np.exp(np.minimum(g[:, cols] @ x.T, EXP_CLIP))
        yhat, ev = eu, None
        if "v" in self.terms:
            cols, x = self.terms["v"]
            ev = np.exp(np.minimum(g[:, cols] @ x.T, EXP_CLIP))
            yhat = yhat + ev
        if "a" in self.terms:
            cols, x = self.terms["a"]
            yhat = yhat + g[:, cols] @ x.T
        return eu, ev, yhat

    def _exps_at(self, theta: np.ndarray):
        """`_exps` at a batch of coefficient vectors θ (M, p)."""
        return self._exps(_links(self.links, np.atleast_2d(theta))[0])

    def predict(self, theta: np.ndarray) -> np.ndarray:
        """ŷ (M, n) for a batch of coefficient vectors θ (M, p)."""
        return self._exps_at(theta)[-1]

    def value(self, w: np.ndarray, theta: np.ndarray, l1: np.ndarray,
              effect: np.ndarray, keep: bool = False):
        """J_m for every problem (w normalised); with `keep`, also the terms at θ that
        `derivatives` can reuse."""
        exps = self._exps_at(theta)
        r = self.y - exps[-1]
        value = (w * r * r).sum(axis=1) + (l1 * np.abs(theta)).sum(axis=1)
        value = value + _effect_penalty(theta, effect) if effect.any() else value
        return (value, exps) if keep else value

    def derivatives(self, w: np.ndarray, theta: np.ndarray, effect: np.ndarray,
                    hessian: bool = True, exps=None):
        """Smooth part f (weighted MSE + effect penalty), its gradient (M, p) and, if
        asked, its exact Hessian (M, p, p) = 2(JᵀWJ − Σ_i w_i r_i ∇²ŷ_i) + effect curvature.
        `exps`: the terms at θ, if `value` has computed them."""
        p = self.p
        g, dg, d2g = _links(self.links, theta)
        eu, ev, yhat = self._exps(g) if exps is None else exps
        r = self.y - yhat
        wr = w * r
        f = (wr * r).sum(axis=1)
        # ∂ŷ/∂g of each term, contracted with the weighted residuals
        scale = {"u": eu, "v": ev, "a": None}
        dy_dg = np.zeros_like(theta)
        for t, (cols, x) in self.terms.items():
            dy_dg[:, cols] += (wr if scale[t] is None else wr * scale[t]) @ x
        grad = -2.0 * dy_dg * dg
        hess = None
        if hessian:
            # JᵀWJ − Σ w r ∇²ŷ over g, one block per pair of terms
            hess = np.zeros((len(theta), p, p))
            for (s, t), outer in self._outers.items():
                if s == t:
                    coef = w if s == "a" else w * scale[s] * (scale[s] - r)
                else:
                    coef = w * (scale[s] if scale[s] is not None else 1.0) \
                        * (scale[t] if scale[t] is not None else 1.0)
                cs, ct = self.terms[s][0], self.terms[t][0]
                block = (coef @ outer).reshape(len(theta), len(cs), len(ct))
                hess[:, cs[:, None], ct[None, :]] += block
                if s != t:
                    hess[:, ct[:, None], cs[None, :]] += block.transpose(0, 2, 1)
            hess = 2.0 * hess * dg[:, :, None] * dg[:, None, :]
            if d2g.any():
                hess -= 2.0 * (d2g * dy_dg)[:, :, None] * np.eye(p)[None]
        if effect.any():
            s = expit(-theta)
            f = f + _effect_penalty(theta, effect)
            grad = grad - effect * s
            if hessian:
                hess += (effect * s * (1.0 - s))[:, :, None] * np.eye(p)[None]
        return f, grad, hess

    def kkt(self, w: np.ndarray, theta: np.ndarray, l1: np.ndarray, effect: np.ndarray,
            free: np.ndarray, zero_tol: float = 1e-10) -> np.ndarray:
        """Largest violation of the optimality conditions per problem (fixed coefficients
        excluded)."""
        theta = np.atleast_2d(theta)
        _, grad, _ = self.derivatives(w, theta, effect, hessian=False)
        nonzero = np.abs(theta) > zero_tol
        violation = np.where(nonzero, np.abs(grad + l1 * np.sign(theta)),
                             np.maximum(0.0, np.abs(grad) - l1))
        return np.where(free, violation, 0.0).max(axis=1, initial=0.0)


def _effect_penalty(theta: np.ndarray, effect: np.ndarray) -> np.ndarray:
    return (effect * np.logaddexp(0.0, -theta)).sum(axis=1)


def _broadcast(m: int, p: int, *arrays):
    return [np.broadcast_to(np.asarray(a), (m, p)) for a in arrays]


def _positive_definite(h: np.ndarray) -> np.ndarray:
    """Which matrices of the batch (M, p, p) are safely positive definite: every pivot of
    their Cholesky factorisation exceeds `PIVOT` times the largest diagonal entry. LAPACK
    factorises the batch when it can; otherwise the factorisation runs column by column for
    the whole batch, so that one indefinite matrix does not stop the others."""
    m, p, _ = h.shape
    floor = PIVOT * np.abs(np.diagonal(h, axis1=1, axis2=2)).max(axis=1)
    try:  # LAPACK, when every matrix of the batch is positive definite
        pivots = np.diagonal(np.linalg.cholesky(h), axis1=1, axis2=2) ** 2
        return (pivots > floor[:, None]).all(axis=1)
    except np.linalg.LinAlgError:
        pass
    lower = np.zeros_like(h)
    ok = np.ones(m, bool)
    for j in range(p):
        row = lower[:, j, :j]
        pivot = h[:, j, j] - np.einsum("mk,mk->m", row, row)
        ok &= pivot > floor
        root = np.sqrt(np.where(ok, pivot, 1.0))
        lower[:, j, j] = root
        lower[:, j + 1:, j] = (h[:, j + 1:, j] - np.einsum("mik,mk->mi", lower[:, j + 1:, :j],
                                                          row)) / root[:, None]
    return ok


def _newton_step(hess: np.ndarray, g: np.ndarray, active: np.ndarray) -> np.ndarray:
    """−H⁻¹g on the active coefficients of each problem, zero elsewhere. Where H is not
    safely positive definite it is shifted until it is (damped Newton, from its
    eigendecomposition); elsewhere a Cholesky test and a plain solve, about a fifth of the
    cost of the eigendecomposition for these sizes."""
    p = g.shape[1]
    both = active[:, :, None] & active[:, None, :]
    h = np.where(both, hess, 0.0) + np.eye(p)[None] * (~active)[:, :, None]
    h = 0.5 * (h + h.transpose(0, 2, 1))
    step = np.empty_like(g)
    definite = _positive_definite(h)
    if definite.any():
        step[definite] = -np.linalg.solve(h[definite], g[definite][:, :, None])[:, :, 0]
    other = ~definite
    if other.any():
        eigval, eigvec = np.linalg.eigh(h[other])
        shift = np.maximum(0.0, -eigval[:, :1] * 1.1) + 1e-14
        d = eigval + shift
        keep = d > np.finfo(float).eps * p * d.max(axis=1, keepdims=True)
        coef = np.einsum("mpq,mp->mq", eigvec, g[other]) * \
            np.where(keep, 1.0 / np.where(keep, d, 1), 0)
        step[other] = -np.einsum("mpq,mq->mp", eigvec, coef)
    return step * active


def _orthant_step(hess, g, theta, step, sign, active, entering, lam) -> np.ndarray:
    """The Newton step kept in the orthant of its signs. A coefficient whose step would cross
    zero is moved to zero exactly and the others re-solved on that face (the minimiser of the
    quadratic model there); an entering coefficient whose step points out of its orthant is
    moved by its own diagonal step instead. Without this the line search clips such
    coefficients back to zero and the search zig-zags across zero in tiny steps."""
    p = g.shape[1]
    pinned, alone = np.zeros_like(active), np.zeros_like(active)
    signed = active & (lam > 0) & (sign != 0)
    for _ in range(p):
        left = signed & ~pinned & ~alone
        crossing = left & ~entering & (sign * (theta + step) < 0)
        wrong = left & entering & (sign * step < 0)
        again = np.flatnonzero((crossing | wrong).any(axis=1))
        if again.size == 0:
            break
        pinned[again] |= crossing[again]
        alone[again] |= wrong[again]
        rest = active[again] & ~pinned[again] & ~alone[again]
        fixed = np.where(pinned[again], -theta[again], 0.0)
        rhs = g[again] + np.einsum("mpq,mq->mp", hess[again], fixed)
        step[again] = _newton_step(hess[again], np.where(rest, rhs, 0.0), rest) + fixed
    if alone.any():
        diagonal = np.diagonal(hess, axis1=1, axis2=2)
        floor = 1e-8 * np.abs(diagonal).max(axis=1, keepdims=True) + 1e-300
        step = np.where(alone, -g / np.maximum(diagonal, floor), step)
    return step


def newton(ls: LeastSquares, w: np.ndarray, theta: np.ndarray, l1: np.ndarray,
           effect: np.ndarray, free: np.ndarray, max_iter: int = 500, tol: float = 1e-12,
           home: tuple[np.ndarray, np.ndarray] | None = None
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Active-set Newton on every problem of the batch at once; problems that converge
    (or stop improving) leave the batch. Returns θ (M, p), J (M,) and iterations (M,).
    `home`: a known optimum of each problem and its objective ((M, p), (M,)); a search
    that comes within `HOME_RADIUS` of it without having gone below it stops there, as it
    can only return to it."""
    theta = np.array(np.atleast_2d(theta), float)
    m, p = theta.shape
    w = np.broadcast_to(w, (m, w.shape[-1]))
    l1, effect, free = _broadcast(m, p, l1, effect, free)
    theta[~free] = 0.0
    current, terms = ls.value(w, theta, l1, effect, keep=True)
    #: the terms at each problem's current θ, which the next derivatives reuse
    terms = [None if t is None else np.array(t) for t in terms]
    running = np.isfinite(current)
    iterations = np.zeros(m, int)
    for _ in range(max_iter):
        if home is not None:
            near = np.abs(theta - home[0]).max(axis=1) <= HOME_RADIUS * (
                1 + np.abs(home[0]).max(axis=1))
            running &= ~(near & (current >= home[1]))
        idx = np.flatnonzero(running)
        if idx.size == 0:
            break
        iterations[idx] += 1
        th, lam, fr, wi = theta[idx], l1[idx], free[idx], w[idx]
        _, grad, hess = ls.derivatives(wi, th, effect[idx], exps=[
            None if t is None else t[idx] for t in terms])
        sign = np.sign(th)
        entering = (np.abs(th) <= ZERO) & fr & (np.abs(grad) > lam)
        sign = np.where(entering, -np.sign(grad), sign)
        active = fr & ((np.abs(th) > ZERO) | entering | (lam == 0))
        g = np.where(active, grad + lam * sign, 0.0)
        converged = np.abs(g).max(axis=1) < tol
        step = _newton_step(hess, g, active)
        gain = -(g * step).sum(axis=1)
        stop = converged | (gain <= DECREMENT * current[idx]) | ~np.isfinite(gain)
        running[idx[stop]] = False
        search = np.flatnonzero(~stop)
        orthant = _orthant_step(hess[search], g[search], th[search], step[search].copy(),
                                sign[search], active[search], entering[search], lam[search])

        def line_search(pending: np.ndarray, direction: np.ndarray, strict: bool) -> np.ndarray:
            """Halve the step along `direction` (one row per entry of `pending`) until the
            objective does not rise (falls, if `strict`, trying fewer halvings); the entries
            that never did."""
            scale = np.ones(pending.size)
            for _ in range(ORTHANT_HALVINGS if strict else LINE_SEARCH_HALVINGS):
                if pending.size == 0:
                    break
                trial = th[pending] + scale[:, None] * direction
                crossed = (lam[pending] > 0) & (sign[pending] != 0) & \
                    (np.sign(trial) != sign[pending])
                trial[crossed] = 0.0
                value, at = ls.value(wi[pending], trial, lam[pending], effect[idx[pending]],
                                     keep=True)
                ok = value < current[idx[pending]] if strict else value <= current[idx[pending]]
                rows = idx[pending[ok]]
                if not strict:
                    running[rows[value[ok] >= current[rows]]] = False
                theta[rows], current[rows] = trial[ok], value[ok]
                for t, new in zip(terms, at):
                    if t is not None:
                        t[rows] = new[ok]
                pending, scale, direction = pending[~ok], scale[~ok] * 0.5, direction[~ok]
            return pending

        # where the orthant step differs, it first; where it gains nothing, or is the same,
        # the plain step, clipped at zero
        differs = np.any(orthant != step[search], axis=1)
        failed = line_search(search[differs], orthant[differs], strict=True)
        failed = np.sort(np.concatenate([failed, search[~differs]]))
        failed = line_search(failed, step[failed], strict=False)
        running[idx[failed]] = False  # no acceptable step
    return theta, current, iterations


def lbfgs(ls: LeastSquares, w: np.ndarray, theta: np.ndarray, l1: np.ndarray,
          effect: np.ndarray, free: np.ndarray) -> np.ndarray:
    """L-BFGS-B from θ for one problem, on split variables θ = p − q (p, q ≥ 0 where the L1
    term applies, q = 0 elsewhere), which makes the objective smooth."""
    w = np.atleast_2d(w)
    p = len(theta)
    fixed_q = (np.asarray(l1) == 0) | ~np.asarray(free)
    bounds = [(0.0, None) if (fr and lam > 0) else ((None, None) if fr else (0.0, 0.0))
              for fr, lam in zip(free, l1)]
    bounds += [(0.0, 0.0) if fq else (0.0, None) for fq in fixed_q]

    def fun(z: np.ndarray) -> tuple[float, np.ndarray]:
        th = (z[:p] - z[p:])[None]
        f, grad, _ = ls.derivatives(w, th, np.atleast_2d(effect), hessian=False)
        grad = grad[0] * free
        return float(f[0]) + float(np.dot(l1, z[:p] + z[p:])), np.concatenate([grad + l1, -grad + l1])

    start = np.where(free, theta, 0.0)
    z0 = np.concatenate([np.where(fixed_q, start, np.maximum(start, 0)),
                         np.where(fixed_q, 0.0, np.maximum(-start, 0))])
    result = minimize(fun, z0, jac=True, method="L-BFGS-B", bounds=bounds, options=LBFGS_OPTIONS)
    return result.x[:p] - result.x[p:]
