"""The steps behind the appendix rules (workflow/rules/appendices.smk): each reads its
inputs, computes one appendix of docs/method.md §8 and writes results/appendices/<key>.json;
`merge` joins them into results/appendices.json under the keys "A" … "J"."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from . import appendices, appendix_fits
from .clustered import correlated_errors
from .models import MODELS
from .pipeline import read_analysis, write_json
from .preprocess import Selection, build_analysis_set
from .schema import load_evaluations

#: appendix key → one-line title (also the report's section order)
TITLES = {
    "A": "Progress seen directly in the data",
    "B": "Gains from better scaling laws",
    "C": "Parameter table and compute-optimal frontier",
    "D": "Transformer gain across the top-10 models",
    "E": "Vocabulary size",
    "F": "Training data: tokens seen and effective data",
    "H": "Irreducible loss",
    "I": "Errors correlated within a paper",
    "J": "Compute only",
    "reference_compatible": "Integer-year cutoffs and the unequal-weight top-10 pool",
}


def _rows(raw_csv: str, config: dict, **change) -> pd.DataFrame:
    """Analysis rows under the main selection with `change` applied, plus the raw
    `training_compute` column."""
    raw = load_evaluations(raw_csv)
    frame, _ = build_analysis_set(raw, Selection.from_config({**config["selection"], **change}))
    compute = raw["training_compute"].to_numpy(float)
    return frame.assign(training_compute=compute[frame["line"].to_numpy() - 2])


def _preferred(frame: pd.DataFrame, config: dict, delta: float | None = None):
    pref = config["preferred"]
    return appendix_fits.fit(frame, MODELS[pref["model"]],
                             pref["delta"] if delta is None else delta, config)


def direct_progress(raw_csv: str, config: dict) -> dict:
    cfg = config["appendices"]["direct_progress"]
    rows = _rows(raw_csv, config, per_paper_cap=None, keep_uncertain=cfg["keep_uncertain"])
    return {"rows": len(rows), "keep_uncertain": cfg["keep_uncertain"],
            "systems": [appendices.direct_progress(rows, system, float(f), cfg["min_evaluations"])
                        for system, f in cfg["systems"].items()]}


def scaling_gain(config: dict) -> dict:
    cfg = config["appendices"]["scaling_gain"]
    actual = {name: (float(c), float(d)) for name, (c, d) in cfg["actual"].items()}
    return appendices.scaling_law_gains(tuple(map(float, cfg["compute_range"])),
                                        int(cfg["points"]), actual)


def frontier(analysis_csv: str, draws_csv: str, config: dict) -> dict:
    frame = read_analysis(analysis_csv)
    result = _preferred(frame, config)
    draws = pd.read_csv(draws_csv)
    cfg = config["appendices"]["frontier"]
    compute = np.logspace(*cfg["log10_compute_range"], cfg["points"])
    negative = draws["alpha_year"] + draws["beta_year"] < 0
    return {"model": result.spec.model_id, "delta": result.delta, "n_evaluations": len(frame),
            "parameter_table": appendices.parameter_table(result, draws),
            "draws": len(draws),
            "share_alpha_plus_beta_year_negative": float(negative.mean()),
            "frontier": appendices.compute_optimal_frontier(
                result, draws, compute, float(cfg["year"]),
                (6.0 * frame["params"] * frame["tokens"]).to_numpy())}


def transformer_top10(analysis_csv: str, selection_csv: str, config: dict,
                      progress: bool) -> dict:
    compute = float(max(config["transformer_ceg"]["compute"]))
    return {"pairs": appendix_fits.transformer_gain_top10(
        read_analysis(analysis_csv), pd.read_csv(selection_csv), config,
        config["appendices"]["top10_draws"], compute, progress)}


def vocabulary(analysis_csv: str, config: dict, progress: bool) -> dict:
    return appendix_fits.vocabulary(read_analysis(analysis_csv), config,
                                    config["appendices"]["vocabulary_imputed"],
                                    config["appendices"]["draws"], progress)


def training_data(analysis_csv: str, config: dict, progress: bool) -> dict:
    cfg = config["appendices"]["repetition"]
    return appendix_fits.training_data(read_analysis(analysis_csv), config, float(cfg["r_star"]),
                                       float(cfg["r_star_alternative"]),
                                       config["appendices"]["draws"], progress)


def irreducible(analysis_csv: str, config: dict, progress: bool) -> dict:
    return appendix_fits.irreducible_loss(read_analysis(analysis_csv), config,
                                          config["appendices"]["draws"], progress)


def clustered(raw_csv: str, config: dict, progress: bool) -> dict:
    frame = _rows(raw_csv, config, per_paper_cap=None)
    spec = MODELS[config["preferred"]["model"]]
    reason = appendix_fits.not_enough_rows(frame, spec)
    if reason:
        return {"n_evaluations": len(frame), "status": reason}
    start = _preferred(frame, config, delta=0.0).theta  # the ρ = 0 optimum, certified
    return {"status": "ok", **correlated_errors(frame, spec, start, config["appendices"]["draws"],
                                                config["bootstrap"]["seed"], progress)}


def compute_only(analysis_csv: str, selection_csv: str, config: dict) -> dict:
    frame = read_analysis(analysis_csv)
    systems = {k: (float(n), float(d))
               for k, (n, d) in config["appendices"]["tokens_per_parameter"].items()}
    pref = config["preferred"]
    return {"cross_validation": appendices.compute_only_selection(
                pd.read_csv(selection_csv), (pref["model"], pref["delta"])),
            "tokens_per_parameter": appendices.tokens_per_parameter(frame, systems),
            "allocation_spread": appendices.allocation_spread(
                _preferred(frame, config), frame, float(config["appendices"]["frontier"]["year"]))}


def reference_variants(analysis_csv: str, selection_csv: str, config: dict,
                       progress: bool) -> dict:
    frame, selection = read_analysis(analysis_csv), pd.read_csv(selection_csv)
    cfg = config["appendices"]
    return {"cutoffs": appendix_fits.cutoff_variants(frame, config, config["cutoff_years"],
                                                     cfg["draws"], progress),
            "top10_pool": appendix_fits.top10_pools(frame, selection, config, cfg["top10_draws"],
                                                    progress)}


def run(key: str, config: dict, out: str, raw: str | None = None, analysis: str | None = None,
        selection: str | None = None, draws: str | None = None, progress: bool = True) -> None:
    """Compute appendix `key` and write it to `out`."""
    steps = {
        "A": lambda: direct_progress(raw, config),
        "B": lambda: scaling_gain(config),
        "C": lambda: frontier(analysis, draws, config),
        "D": lambda: transformer_top10(analysis, selection, config, progress),
        "E": lambda: vocabulary(analysis, config, progress),
        "F": lambda: training_data(analysis, config, progress),
        "H": lambda: irreducible(analysis, config, progress),
        "I": lambda: clustered(raw, config, progress),
        "J": lambda: compute_only(analysis, selection, config),
        "reference_compatible": lambda: reference_variants(analysis, selection, config, progress),
    }
    if key not in steps:
        raise ValueError(f"unknown appendix {key!r}; expected one of {', '.join(steps)}")
    write_json({"title": TITLES[key], **steps[key]()}, out)


def merge(inputs: list[str], out: str) -> None:
    """Join per-appendix files (named <key>.json) into one file keyed by appendix."""
    merged = {Path(path).stem: json.loads(Path(path).read_text()) for path in inputs}
    write_json(dict(sorted(merged.items())), out)
