"""The steps behind the appendix rules (workflow/rules/appendices.smk): each reads its
input files, computes one appendix of docs/method.md §8 from the settings the rule passes
(no step reads the configuration file) and writes results/appendices/<key>.json; `merge`
joins them into results/appendices.json under the keys "A" … "J".

`SETTINGS` names, per appendix, the configuration values it uses; the rule passes exactly
those, so changing one reruns only the appendices that use it."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from . import appendices, appendix_fits
from .clustered import correlated_errors
from .models import MODELS
from .pieces import write_json
from .pipeline import FitSettings, read_analysis
from .preprocess import Selection, build_analysis_set
from .report_appendices import TITLES
from .schema import load_evaluations

#: appendix key → the names of the settings it uses (workflow/rules/appendices.smk passes
#: exactly these, from the configuration, as one JSON option)
_STARTS = ("random_starts", "seed", "refit_random_starts", "shared_starts")
_FIT = _STARTS + ("model", "delta")
_DRAWS = ("draws", "bootstrap_seed")
SETTINGS = {
    "A": ("direct_progress", "selection"),
    "B": ("scaling_gain",),
    "C": _FIT + ("estimator", "frontier"),
    "D": _STARTS + ("draws", "bootstrap_seed", "n_models", "ceg_compute", "year"),
    "E": _FIT + _DRAWS + ("vocabulary_imputed",),
    "F": _FIT + _DRAWS + ("repetition",),
    "H": _FIT + _DRAWS,
    "I": _FIT + _DRAWS + ("selection",),
    "J": _FIT + ("tokens_per_parameter", "year"),
    "reference_compatible": _FIT + _DRAWS + ("top10_draws", "n_models", "cutoff_years",
                                             "doubling"),
}


def _fit_settings(s: dict) -> FitSettings:
    """The paper's estimator (the appendices are the paper's checks) with the configured
    starts."""
    return FitSettings(s["random_starts"], s["seed"], "paper", s["refit_random_starts"],
                       s["shared_starts"])


def _selection(s: dict, **change) -> Selection:
    values = {**s["selection"], **change}
    for key in ("levels", "evidence"):
        if values.get(key) is not None:
            values[key] = tuple(values[key])
    return Selection(**values)


def _rows(raw_csv: str, selection: Selection) -> pd.DataFrame:
    """Analysis rows under `selection`, with the raw `training_compute` column."""
    raw = load_evaluations(raw_csv)
    frame, _ = build_analysis_set(raw, selection)
    compute = raw.set_index("line")["training_compute"]
    return frame.assign(training_compute=frame["line"].map(compute).astype(float))


def direct_progress(s: dict, raw: str) -> dict:
    cfg = s["direct_progress"]
    rows = _rows(raw, _selection(s, per_paper_cap=None, keep_uncertain=cfg["keep_uncertain"]))
    return {"rows": len(rows), "keep_uncertain": cfg["keep_uncertain"],
            "systems": [appendices.direct_progress(rows, system, float(f), cfg["min_evaluations"])
                        for system, f in cfg["systems"].items()]}


def scaling_gain(s: dict) -> dict:
    cfg = s["scaling_gain"]
    actual = {name: (float(c), float(d)) for name, (c, d) in cfg["actual"].items()}
    return appendices.scaling_law_gains(tuple(map(float, cfg["compute_range"])),
                                        int(cfg["points"]), actual)


def frontier(s: dict, analysis: str, draws: str) -> dict:
    """The headline's fit (its estimator) and its bootstrap draws."""
    frame = read_analysis(analysis)
    result = replace(_fit_settings(s), estimator=s["estimator"]).fit(frame, MODELS[s["model"]],
                                                                     s["delta"])
    resampled = pd.read_csv(draws)
    cfg = s["frontier"]
    compute = np.logspace(*cfg["log10_compute_range"], cfg["points"])
    negative = resampled["alpha_year"] + resampled["beta_year"] < 0
    return {"model": s["model"], "delta": s["delta"], "estimator": s["estimator"],
            "n_evaluations": len(frame),
            "parameter_table": appendices.parameter_table(result, resampled),
            "draws": len(resampled),
            "share_alpha_plus_beta_year_negative": float(negative.mean()),
            "frontier": appendices.compute_optimal_frontier(
                result, resampled, compute, float(cfg["year"]),
                (6.0 * frame["params"] * frame["tokens"]).to_numpy())}


def transformer_top10(s: dict, analysis: str, selection: str, progress: bool) -> dict:
    return {"pairs": appendix_fits.transformer_gain_top10(
        read_analysis(analysis), pd.read_csv(selection), _fit_settings(s),
        n_models=s["n_models"], n_draws=s["draws"], seed=s["bootstrap_seed"],
        compute=float(max(s["ceg_compute"])), year=float(s["year"]), progress=progress)}


def _variant_options(s: dict) -> dict:
    return {"delta": s["delta"], "n_draws": s["draws"], "seed": s["bootstrap_seed"]}


def vocabulary(s: dict, analysis: str, progress: bool) -> dict:
    return appendix_fits.vocabulary(read_analysis(analysis), _fit_settings(s),
                                    **_variant_options(s), imputed=s["vocabulary_imputed"],
                                    progress=progress)


def training_data(s: dict, analysis: str, progress: bool) -> dict:
    cfg = s["repetition"]
    return appendix_fits.training_data(read_analysis(analysis), _fit_settings(s),
                                       **_variant_options(s), r_star=float(cfg["r_star"]),
                                       r_star_alternative=float(cfg["r_star_alternative"]),
                                       progress=progress)


def irreducible(s: dict, analysis: str, progress: bool) -> dict:
    return appendix_fits.irreducible_loss(read_analysis(analysis), _fit_settings(s),
                                          **_variant_options(s), progress=progress)


def clustered(s: dict, raw: str, progress: bool) -> dict:
    frame = _rows(raw, _selection(s, per_paper_cap=None))
    spec = MODELS[s["model"]]
    reason = appendix_fits.not_enough_rows(frame, spec)
    if reason:
        return {"n_evaluations": len(frame), "status": reason}
    start = _fit_settings(s).fit(frame, spec, 0.0).theta  # the ρ = 0 optimum, certified
    return {"status": "ok", **correlated_errors(frame, spec, start, s["draws"],
                                                s["bootstrap_seed"], progress)}


def compute_only(s: dict, analysis: str, selection: str) -> dict:
    frame = read_analysis(analysis)
    systems = {k: (float(n), float(d)) for k, (n, d) in s["tokens_per_parameter"].items()}
    result = _fit_settings(s).fit(frame, MODELS[s["model"]], s["delta"])
    return {"cross_validation": appendices.compute_only_selection(
                pd.read_csv(selection), (s["model"], s["delta"])),
            "tokens_per_parameter": appendices.tokens_per_parameter(frame, systems),
            "allocation_spread": appendices.allocation_spread(result, frame, float(s["year"]))}


def reference_variants(s: dict, analysis: str, selection: str, progress: bool) -> dict:
    frame, table, settings = read_analysis(analysis), pd.read_csv(selection), _fit_settings(s)
    seed, doubling = s["bootstrap_seed"], s["doubling"]
    return {"cutoffs": appendix_fits.cutoff_variants(
                frame, settings, delta=s["delta"], cutoffs=s["cutoff_years"],
                n_draws=s["draws"], seed=seed, progress=progress),
            "top10_pool": appendix_fits.top10_pools(
                frame, table, settings, n_models=s["n_models"],
                n_draws=s["top10_draws"], seed=seed, year=float(doubling["year"]),
                compute=float(doubling["compute"]), progress=progress)}


def run(key: str, out: str, settings: dict, raw: str | None = None,
        analysis: str | None = None, selection: str | None = None, draws: str | None = None,
        progress: bool = True) -> None:
    """Compute appendix `key` from its `settings` (the names in `SETTINGS`) and write it to
    `out`."""
    steps = {
        "A": lambda: direct_progress(settings, raw),
        "B": lambda: scaling_gain(settings),
        "C": lambda: frontier(settings, analysis, draws),
        "D": lambda: transformer_top10(settings, analysis, selection, progress),
        "E": lambda: vocabulary(settings, analysis, progress),
        "F": lambda: training_data(settings, analysis, progress),
        "H": lambda: irreducible(settings, analysis, progress),
        "I": lambda: clustered(settings, raw, progress),
        "J": lambda: compute_only(settings, analysis, selection),
        "reference_compatible": lambda: reference_variants(settings, analysis, selection,
                                                           progress),
    }
    if key not in steps:
        raise ValueError(f"unknown appendix {key!r}; expected one of {', '.join(steps)}")
    missing = set(SETTINGS[key]) - set(settings)
    if missing:
        raise ValueError(f"appendix {key} needs the settings {', '.join(sorted(missing))}")
    write_json({"title": TITLES[key], **steps[key]()}, out)


def merge(inputs: list[str], out: str) -> None:
    """Join per-appendix files (named <key>.json) into one file keyed by appendix."""
    merged = {Path(path).stem: json.loads(Path(path).read_text()) for path in inputs}
    write_json(dict(sorted(merged.items())), out)
