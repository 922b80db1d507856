"""The calibration study (docs/method.md §3): do the nominal 95% intervals cover the truth?

Log perplexities are simulated from a known truth on a fixed design, with Gaussian noise,
and every simulated set goes through the package's own fit, bootstrap and derived
quantities; coverage is the share of sets whose interval contains the truth.

- Truths (the transformer variant: model 7 with the multiplier σ(γ) on transformers):
  ``paper``, the reference fit of docs/method.md §5 with γ set so that the transformer
  lowers the predicted loss by `loss_reduction` (4.6% in the paper); ``own``, our
  transformer-variant fit of the analysis set.
- Designs: ``observed``, the analysis set's N, D, dates, benchmarks and architectures;
  ``n<K>`` (e.g. ``n231``), K synthetic rows of `synthetic.synthetic_inputs`.
- Quantities: ``compute_doubling`` (closed form, months) from the preferred model's fit, as
  the headline computes it (``model`` column ``preferred``), and from the transformer
  variant's fit, which is the correctly specified model (``transformer_gain``);
  ``ceg_<C>`` (e.g. ``ceg_1e25``), the transformer's compute-equivalent gain at C FLOP.
- Interval methods: ``rate_percentile``, percentiles of the growth rate inverted to a
  doubling time (the pipeline's intervals); ``time_percentile``, percentiles of the
  doubling time itself (what the pipeline did before, for comparison); ``percentile``
  (the CEG), over every draw, infinite gains included.
- Estimators: names given in the configuration, any of ``fitting.ESTIMATORS`` (``paper``,
  ``effect``, ``refit``). The ``refit`` estimator's bootstrap also yields its penalised
  stage, which is the ``paper`` estimator, so asking for both costs one bootstrap.

Each (truth, design, chunk) is one Snakemake job writing one row per simulated set,
estimator, quantity and method (`run_chunk`); `summarise` turns the rows into coverage
(with its binomial SE), median interval width and relative bias of the point estimate.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from dataclasses import replace

import numpy as np
import pandas as pd
from tqdm import tqdm

from . import fitting
from .fitting import FitResult
from .intervals import (covers, doubling_interval, doubling_months, percentile_interval,
                        quantiles)
from .models import MODELS, VARIANTS, ModelSpec, Normalizer, design, predict
from .pieces import write_csv, write_json
from .pipeline import FitSettings
from .quantities import closed_form_rates, transformer_gain
from .synthetic import REFERENCE_MODEL7, synthetic_inputs

TRUTHS = ("paper", "own")
TRANSFORMER = VARIANTS["transformer_gain"]
#: columns of the design the simulation keeps from the analysis set
DESIGN_COLUMNS = ["reference", "benchmark", "year", "params", "tokens", "transformer", "ptb",
                  "wt2"]
#: columns of results/calibration.csv
SUMMARY_COLUMNS = ["quantity", "design", "estimator", "method", "n_sim", "n_boot", "coverage",
                   "coverage_se", "median_width", "relative_bias", "truth", "model",
                   "truth_value"]
LEVEL = 0.95


# --- truths and designs ----------------------------------------------------------------------

def paper_truth(loss_reduction: float) -> dict[str, float]:
    """The paper's model 7 reference fit plus γ with 1 − σ(γ) = `loss_reduction`."""
    if not 0 < loss_reduction < 1:
        raise ValueError(f"loss_reduction must lie in (0, 1), got {loss_reduction}")
    gamma = math.log((1 - loss_reduction) / loss_reduction)
    return {**REFERENCE_MODEL7, "gamma_transformer": gamma}


def write_truths(analysis_csv: str, out_json: str, *, truths: list[str], loss_reduction: float,
                 delta: float, settings: FitSettings) -> None:
    """Coefficients of each truth, by name (the ``own`` truth needs one fit, with the
    estimator of `settings`)."""
    unknown = set(truths) - set(TRUTHS)
    if unknown:
        raise ValueError(f"unknown truths {sorted(unknown)}; expected some of {TRUTHS}")
    out = {}
    for name in truths:
        if name == "paper":
            out[name] = paper_truth(loss_reduction)
        else:
            frame = pd.read_csv(analysis_csv)
            out[name] = settings.fit(frame, TRANSFORMER, delta).params
    write_json(out, out_json)


def design_frame(name: str, analysis: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The inputs of design `name`: ``observed`` (the analysis set's) or ``n<K>``."""
    if name == "observed":
        return analysis[DESIGN_COLUMNS].reset_index(drop=True)
    match = re.fullmatch(r"n(\d+)", name)
    if not match:
        raise ValueError(f"unknown design {name!r}; expected 'observed' or 'n<rows>', e.g. n231")
    return synthetic_inputs(int(match.group(1)), seed)[DESIGN_COLUMNS]


def ceg_key(compute: float) -> str:
    """1e25 -> 'ceg_1e25'."""
    return "ceg_" + f"{float(compute):.0e}".replace("+", "")


def true_values(theta: dict[str, float], frame: pd.DataFrame, computes: list[float],
                year: float) -> dict[str, float]:
    """The quantities of the truth on a design: compute doubling (months) and each CEG."""
    values = {"compute_doubling": doubling_months(closed_form_rates(theta)["compute"])}
    norm = Normalizer.of(frame)
    vector = np.array([theta[k] for k in TRANSFORMER.names])
    for compute in computes:
        values[ceg_key(compute)] = transformer_gain(TRANSFORMER, vector, norm, float(compute),
                                                    year)[0]
    return values


def simulate_set(frame: pd.DataFrame, theta: dict[str, float], noise_sd: float,
                 rng: np.random.Generator) -> pd.DataFrame:
    """The design with log perplexities drawn from the truth plus N(0, noise_sd²) noise."""
    vector = np.array([theta[k] for k in TRANSFORMER.names])
    mean = predict(design(frame, TRANSFORMER, Normalizer.of(frame)), vector)
    return frame.assign(log_ppl=mean + noise_sd * rng.standard_normal(len(frame)))


# --- estimators -------------------------------------------------------------------------------

def check_estimators(estimators: list[str]) -> None:
    unknown = [e for e in estimators if e not in fitting.ESTIMATORS]
    if unknown:
        raise ValueError(f"unknown estimator(s) {unknown}; analysis.fitting offers "
                         f"{list(fitting.ESTIMATORS)}")


def estimates(frame: pd.DataFrame, spec: ModelSpec, estimators: list[str], *, delta: float,
              settings: FitSettings, n_boot: int, bootstrap_seed: int
              ) -> dict[str, tuple[FitResult, pd.DataFrame]]:
    """Point fit and bootstrap draws of each named estimator of `spec` on `frame`."""
    check_estimators(estimators)
    out = {}
    for name in ("refit", "paper", "effect"):
        if name not in estimators or name in out:
            continue
        if name == "effect" and "paper" in out and \
                fitting.Estimator("effect", delta).same_as_paper(spec):
            out[name] = out["paper"]  # no log-sigmoid coefficient: the same objective
            continue
        fit = replace(settings, estimator=name).fit(frame, spec, delta)
        stages = settings.bootstrap(frame, fit, n_boot, bootstrap_seed, progress=False,
                                    stages=True)
        out[name] = (fit, stages[name])
        if name == "refit" and "paper" in estimators:
            out["paper"] = (fit.penalised, stages["paper"])
    return out


# --- one simulated set ------------------------------------------------------------------------

def _interval_row(quantity: str, model: str, method: str, estimate: float, entry: dict,
                  truth: float) -> dict:
    lower, upper = (math.inf if b is None else b for b in entry[f"ci{100 * LEVEL:g}"])
    return {"quantity": quantity, "model": model, "method": method, "estimate": estimate,
            "lower": lower, "upper": upper, "n_defined": entry["n_defined"],
            "n_draws": entry["n_draws"], "covered": covers(entry, truth, LEVEL)}


def _doubling_rows(model: str, point_rate: float, rates: np.ndarray, truth: float) -> list[dict]:
    estimate = doubling_months(point_rate)
    months = [12 * math.log(2) / r if r != 0 else math.inf for r in rates]  # signed, as before
    return [_interval_row("compute_doubling", model, "rate_percentile", estimate,
                          doubling_interval(rates, LEVEL), truth),
            _interval_row("compute_doubling", model, "time_percentile", estimate,
                          percentile_interval(months, LEVEL), truth)]


def analyse_set(frame: pd.DataFrame, truth: dict[str, float], *, estimators: list[str],
                preferred: ModelSpec, delta: float, settings: FitSettings, n_boot: int,
                bootstrap_seed: int, computes: list[float], year: float) -> list[dict]:
    """Fit, bootstrap and interval rows of every estimator, quantity and method for one
    simulated set."""
    rows = []
    kwargs = dict(delta=delta, settings=settings, n_boot=n_boot, bootstrap_seed=bootstrap_seed)
    for estimator, (fit, draws) in estimates(frame, preferred, estimators, **kwargs).items():
        rates = np.array([closed_form_rates(r)["compute"]
                          for r in draws[preferred.names].to_dict("records")])
        rows += [{"estimator": estimator, **row} for row in _doubling_rows(
            "preferred", closed_form_rates(fit.params)["compute"], rates,
            truth["compute_doubling"])]
    for estimator, (fit, draws) in estimates(frame, TRANSFORMER, estimators, **kwargs).items():
        thetas = draws[TRANSFORMER.names].to_numpy(float)
        rates = np.array([closed_form_rates(dict(zip(TRANSFORMER.names, th)))["compute"]
                          for th in thetas])
        rows += [{"estimator": estimator, **row} for row in _doubling_rows(
            "transformer_gain", closed_form_rates(fit.params)["compute"], rates,
            truth["compute_doubling"])]
        for compute in computes:
            key = ceg_key(compute)
            gains = [transformer_gain(TRANSFORMER, th, fit.normalizer, float(compute), year)[0]
                     for th in thetas]
            estimate = transformer_gain(TRANSFORMER, fit.theta, fit.normalizer,
                                        float(compute), year)[0]
            rows.append({"estimator": estimator, **_interval_row(
                key, "transformer_gain", "percentile", estimate,
                percentile_interval(gains, LEVEL), truth[key])})
    return rows


def _seed(*parts) -> np.random.SeedSequence:
    """A seed sequence from integers and names (names hashed with CRC-32, stable across
    runs and machines)."""
    return np.random.SeedSequence([p if isinstance(p, int) else zlib.crc32(str(p).encode())
                                   for p in parts])


def run_chunk(analysis_csv: str, truths_json: str, out_csv: str, *, truth: str, design_name: str,
              chunk: int, chunk_size: int, n_sim: int, n_boot: int, noise_sd: float,
              estimators: list[str], model: int, delta: float, settings: FitSettings,
              calibration_seed: int, computes: list[float], year: float,
              progress: bool = True) -> None:
    """Simulated sets chunk·chunk_size … (chunk+1)·chunk_size − 1 (at most n_sim in all) of
    one truth and design: one row per set, estimator, quantity, model and method."""
    with open(truths_json) as handle:
        theta = json.load(handle)[truth]
    frame = design_frame(design_name, pd.read_csv(analysis_csv), calibration_seed)
    truth_values = true_values(theta, frame, computes, year)
    rows = []
    check_estimators(estimators)
    sims = range(chunk * chunk_size, min(n_sim, (chunk + 1) * chunk_size))
    for sim in tqdm(sims, disable=not progress, desc=f"calibration {truth}/{design_name}"):
        sequence = _seed(calibration_seed, truth, design_name, sim)
        noise_seed, boot_seed = sequence.generate_state(2)
        data = simulate_set(frame, theta, noise_sd, np.random.default_rng(noise_seed))
        for row in analyse_set(data, truth_values, estimators=estimators,
                               preferred=MODELS[model], delta=delta, settings=settings,
                               n_boot=n_boot, bootstrap_seed=int(boot_seed), computes=computes,
                               year=year):
            rows.append({"truth": truth, "design": design_name, "sim": sim, **row,
                         "truth_value": truth_values[row["quantity"]]})
    columns = ["truth", "design", "sim", "estimator", "quantity", "model", "method",
               "truth_value", "estimate", "lower", "upper", "n_defined", "n_draws", "covered"]
    write_csv(pd.DataFrame(rows, columns=columns), out_csv)


# --- summary ----------------------------------------------------------------------------------

def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Coverage, its binomial SE, median width and relative bias of the point estimate
    (median estimate / truth − 1) per truth, design, estimator, quantity, model and method."""
    keys = ["truth", "design", "estimator", "quantity", "model", "method"]
    out = []
    for key, group in rows.groupby(keys, sort=True):
        record = dict(zip(keys, key))
        coverage = float(group["covered"].astype(bool).mean())
        n_sim = len(group)
        width = (group["upper"] - group["lower"]).to_numpy(float)
        truth_value = float(group["truth_value"].iloc[0])
        median_estimate = quantiles(group["estimate"].to_numpy(float), [0.5])[0]
        out.append({**record, "n_sim": n_sim, "n_boot": int(group["n_draws"].max()),
                    "coverage": coverage,
                    "coverage_se": math.sqrt(coverage * (1 - coverage) / n_sim),
                    "median_width": quantiles(width[~np.isnan(width)], [0.5])[0],
                    "relative_bias": median_estimate / truth_value - 1,
                    "truth_value": truth_value})
    return pd.DataFrame(out, columns=SUMMARY_COLUMNS)


def merge_chunks(chunk_csvs: list[str], out_csv: str) -> None:
    """results/calibration.csv from the chunks' rows."""
    rows = pd.concat([pd.read_csv(p) for p in chunk_csvs], ignore_index=True)
    write_csv(summarise(rows), out_csv)
