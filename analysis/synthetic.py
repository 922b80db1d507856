"""Synthetic analysis sets drawn from a model with known coefficients (tests, benchmarks)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .models import MODELS, ModelSpec, Normalizer, design, predict

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


def raw_evaluations(n: int = 48, seed: int = 0) -> pd.DataFrame:
    """A raw table in the schema of data/raw/evaluations.csv, drawn from model 7 with the
    reference coefficients, for running the whole workflow on a small input. Besides
    plain rows it holds one of each kind the selection acts on: excluded by the curator,
    uncertain, zero-shot, test-time adaptation, published after 2023, a token-level and
    a leaderboard perplexity, and a paper with four evaluations (the cap keeps three)."""
    frame = simulate(MODELS[7], REFERENCE_MODEL7, n=n, noise=0.05, seed=seed)
    year = np.floor(frame["year"]).astype(int)
    day = np.floor((frame["year"] - year) * 365).astype(int)
    dates = pd.to_datetime(year.astype(str) + "-01-01") + pd.to_timedelta(day, unit="D")
    flags = {name: np.zeros(n, bool) for name in ("uncertain", "zero_shot",
                                                  "test_time_adaptation", "excluded")}
    for k, name in enumerate(flags):
        flags[name][6 + 5 * k] = True
    dates.iloc[-1] = pd.Timestamp("2024-03-01")
    reference = frame["reference"].copy()
    reference.iloc[[0, 1, 2, 3]] = "paper-0"  # one paper with four evaluations
    return pd.DataFrame({
        "system": frame["system"], "benchmark": frame["benchmark"],
        "perplexity": np.exp(frame["log_ppl"]).round(4),
        "perplexity_level": np.where(np.arange(n) % 11 == 7, "token", "word"),
        "evidence": np.where(np.arange(n) % 7 == 5, "leaderboard", "paper"),
        "params": frame["params"].map(lambda v: float(f"{v:.3g}")),
        "tokens": frame["tokens"], "epochs": None,
        "publication_date": dates.dt.strftime("%Y-%m-%d"), "reference": reference,
        "source": [f"arXiv:{2000 + i:04d}.{i:05d}" for i in range(n)],
        "source_location": "Table 1", "params_source": None, "tokens_source": None,
        "architecture": np.where(frame["transformer"] == 1, "transformer", "lstm"),
        "zero_shot": _words(flags["zero_shot"]),
        "test_time_adaptation": _words(flags["test_time_adaptation"]),
        "vocab_size": frame["vocab_size"], "tokenizer": None, "training_compute": None,
        "uncertain": _words(flags["uncertain"]), "include": _words(~flags["excluded"]),
        "outlier": "false",
        "notes": np.where(flags["excluded"], "synthetic: excluded by the curator", "synthetic"),
    })


def _words(flags: np.ndarray) -> list[str]:
    return ["true" if flag else "false" for flag in flags]


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
