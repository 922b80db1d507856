"""Synthetic analysis sets drawn from a model with known coefficients (tests, benchmarks)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .models import ModelSpec, Normalizer, design, predict

#: model 7 coefficients of the paper's reference fit (docs/method.md §5)
REFERENCE_MODEL7 = {
    "alpha0": 0.913, "alpha0_ptb": 0.0004, "alpha0_wt2": 0.055, "alpha_year": 0.0039,
    "alpha_N": 0.068, "beta0": 0.771, "beta0_ptb": 0.176, "beta0_wt2": 0.095,
    "beta_year": 0.0356, "beta_D": 0.0396,
}
BENCHMARK_TOKENS = {"ptb": 929_590.0, "wt2": 2_088_628.0, "wt103": 103_227_021.0}


def synthetic_inputs(n: int, seed: int) -> pd.DataFrame:
    """Inputs resembling the real data: 2012–2023, N from 1e6 to 1e11, benchmark-sized or
    pre-training-sized D, about 45% transformers."""
    rng = np.random.default_rng(seed)
    year = np.sort(rng.uniform(2012.0, 2023.5, n))
    benchmark = rng.choice(["wt103", "wt2", "ptb"], size=n, p=[0.45, 0.25, 0.30])
    params = np.exp(rng.uniform(np.log(5e6), np.log(3e8), n))
    tokens = np.array([BENCHMARK_TOKENS[b] for b in benchmark])
    pretrained = (year > 2019) & (rng.uniform(size=n) < 0.25)
    params[pretrained] = np.exp(rng.uniform(np.log(1e8), np.log(1e11), pretrained.sum()))
    tokens[pretrained] = np.exp(rng.uniform(np.log(1e9), np.log(1.5e12), pretrained.sum()))
    transformer = ((year > 2017.5) & (rng.uniform(size=n) < 0.8)).astype(int)
    return pd.DataFrame({
        "system": [f"synthetic-{i}" for i in range(n)],
        "reference": [f"paper-{i // 2}" for i in range(n)],
        "benchmark": benchmark, "year": year, "params": params, "tokens": tokens,
        "effective_tokens": tokens, "transformer": transformer,
        "ptb": (benchmark == "ptb").astype(int), "wt2": (benchmark == "wt2").astype(int),
        "vocab_size": np.where(benchmark == "ptb", 1e4, np.where(benchmark == "wt2", 33278, 267735)),
    })


def simulate(spec: ModelSpec, theta: dict[str, float] | np.ndarray, n: int = 231,
             noise: float = 0.05, seed: int = 0) -> pd.DataFrame:
    """Draw log perplexities from `spec` with coefficients `theta` plus Gaussian noise."""
    frame = synthetic_inputs(n, seed)
    values = np.array([theta[k] for k in spec.names]) if isinstance(theta, dict) else theta
    mean = predict(design(frame, spec, Normalizer.of(frame, spec.tokens_column)), values)
    rng = np.random.default_rng(seed + 1)
    frame["log_ppl"] = mean + noise * rng.standard_normal(n)
    frame["perplexity"] = np.exp(frame["log_ppl"])
    return frame


def chinchilla_points(law, n: int = 250, noise: float = 0.02, seed: int = 0,
                      tails: str = "gaussian", outlier_share: float = 0.0,
                      outlier_shift: float = 0.3) -> pd.DataFrame:
    """(params, tokens, loss) on isoFLOP profiles like Hoffmann et al.'s Figure 4: nine
    budgets from 6e18 to 3e21 FLOP, N log-uniform within 30× of each budget's optimum under
    `law` (a `scaling.ChinchillaLaw`), D = C/(6N), loss = L(N, D)·exp(ε).

    tails: "gaussian" (ε ~ N(0, noise²)) or "student_t" (noise × t with 2 degrees of
    freedom); a share `outlier_share` of points gets ε + `outlier_shift` on top."""
    rng = np.random.default_rng(seed)
    compute = rng.choice(np.geomspace(6e18, 3e21, 9), size=n)
    params = law.optimal_params(compute) * np.exp(rng.uniform(-np.log(30), np.log(30), n))
    tokens = compute / (6.0 * params)
    if tails == "gaussian":
        eps = noise * rng.standard_normal(n)
    elif tails == "student_t":
        eps = noise * rng.standard_t(2, n)
    else:
        raise ValueError(f"tails must be 'gaussian' or 'student_t', got {tails!r}")
    eps += outlier_shift * (rng.uniform(size=n) < outlier_share)
    return pd.DataFrame({"params": params, "tokens": tokens,
                         "loss": law.loss(params, tokens) * np.exp(eps)})
