"""The reviewer's report: ours beside the paper's, how many draws stand behind each interval,
what the data can and cannot support, and the calibration study when it has been run."""

from __future__ import annotations

import json
import math

import pandas as pd

from .fitting import kkt_text
from .intervals import bounds, defined_share, format_interval, point
from .quantities import PLAYERS
from .report_appendices import appendix_sections
from .schema import load_evaluations, read_raw
from .summary import coverage_table

PAPER = {  # docs/method.md §7
    "compute": "8.4 [4.5, 14.3]",
    "compute_numerical": "8.6 [4.5, 14.5]",
    "top10_aggregate": "7.8 [1.5, 17.6] (text); 7.9 [1.4, 17.1] (notebook)",
    "parameters": "interval spans zero",
    "data": "interval spans zero",
    "1e22": "6.6× [3.2, 28.2]",
    "1e25": "7.2× [3.3, 45.7]",
    "loss_reduction_1e25": "4.6% [3.0, 7.0]",
}
DOUBLING_LABELS = {
    "compute": "compute doubling, closed form (months)",
    "compute_numerical": "compute doubling, numerical (months)",
    "top10_aggregate": "top-10 aggregate (months)",
    "parameters": "effective-parameter doubling (months)",
    "data": "effective-data doubling (months)",
}
#: coverage band and median bias within which a quantity counts as calibrated
CALIBRATED_COVERAGE, CALIBRATED_BIAS = (0.93, 0.97), 0.10



def numerics_sentence(numerics: dict) -> str:
    """Which kernels the fits ran on (`numerics.describe`), and what that means for the bytes."""
    blas = "; ".join(f"{b['library']} {b['version']}, {b['kernel']} kernel, {b['threads']} "
                     f"thread(s)" for b in numerics["blas"])
    simd = ", ".join(numerics["numpy_simd_extensions"]) or "baseline only"
    if numerics["pinned"]:
        tail = ("the pinned kernels (`analysis/numerics.py`): with the locked library versions "
                "another x86-64 machine writes these same bytes (checked across BLAS kernels and "
                "thread counts on one machine; docs/method.md §11).")
    else:
        tail = ("NOT the pinned kernels (`ALGOPROGRESS_NATIVE_NUMERICS=1` or another "
                "architecture): the last digits of these files may differ from a pinned run.")
    return f"Numerical kernels: {blas}; numpy SIMD: {simd}. These are {tail}"


#: a coefficient this large in absolute value switches its term off (or on) by a factor e^10
DIVERGING = 10.0


def optimum_sentence(fit: dict) -> str:
    """How the fit reached its optimum, and which coefficients run off toward ±∞ there."""
    opt = fit["optimality"]
    if opt["starts_agreeing"] > 0:
        text = f"{opt['starts_agreeing']}/{opt['starts']} starts reached the same optimum."
    else:
        text = (f"None of the {opt['starts']} starts reached this optimum directly: the "
                "neighbour starts (each free coefficient of the best end point moved by ±1) "
                "found it below all of them.")
    far = {name: value for name, value in fit["params"].items() if abs(value) > DIVERGING}
    if far:
        listed = ", ".join(f"{name} = {value:.1f}" for name, value in far.items())
        text += (f" At this optimum {listed}: the fit switches that coefficient's term off "
                 "for the evaluations it applies to, and the objective keeps falling, ever more "
                 "slowly, as the coefficient goes to infinity. Its value is where the search "
                 "stopped, not an estimate: the term it multiplies is already negligible there, "
                 "so the other coefficients and the derived quantities do not depend on it.")
    return text


def refits_sentence(refits: dict) -> str:
    """How the bootstrap refits reached their optima, per estimator stage."""
    parts = []
    for name, r in refits.items():
        parts.append(
            f"{name} stage: each of the {r['n']} refits ran {r['starts_per_refit']} starts (the "
            f"full fit's optima, the heuristic point, random and shared points); the warm start "
            f"alone was not the best in {r['warm_start_not_best']}, {r['lbfgs_needed']} needed "
            f"L-BFGS-B after Newton and {r['certificate_failed']} failed the KKT certificate")
    return "; ".join(parts) + "."

def _scaled(entry: dict, factor: float) -> dict:
    """An interval record with its median and bounds multiplied by `factor`."""
    lower, upper = bounds(entry)
    return {**entry, "median": point(entry) * factor, "ci95": [lower * factor, upper * factor]}


def _headline_rows(est: dict) -> list[tuple[str, dict, str, str]]:
    """(label, interval record, unit, paper's number) of every headline quantity."""
    dt = est["doubling_time_months"]
    rows = [(DOUBLING_LABELS[key], dt[key], "", PAPER[key]) for key in DOUBLING_LABELS
            if key in dt]
    clustered = est.get("doubling_time_months_paper_clustered", {}).get("compute")
    if clustered:
        rows.append(("compute doubling, papers resampled (months)", clustered, "", "—"))
    for key in ("1e22", "1e25"):
        ceg = est["transformer_ceg"].get(key)
        if ceg:
            rows.append((f"transformer CEG at {key} FLOP", ceg, "×", PAPER[key]))
            rows.append((f"transformer loss reduction at {key} FLOP (%)",
                         _scaled(ceg["loss_reduction"], 100), "%",
                         PAPER.get(f"loss_reduction_{key}", "—")))
            if "paper_estimator" in ceg:  # the paper's estimator, for comparison
                rows.append((f"transformer CEG at {key} FLOP, paper's estimator",
                             ceg["paper_estimator"], "×", PAPER[key]))
    other = est.get("doubling_time_months_other_estimators", {}).get("paper", {})
    if "compute" in other:
        rows.append(("compute doubling, paper's estimator (months)", other["compute"], "",
                     PAPER["compute"]))
    return rows


def support_paragraph(est: dict) -> list[str]:
    """Plain words: which headline numbers the data pin down and which they do not."""
    supported, unsupported = [], []
    dt = est["doubling_time_months"]
    for key, label in DOUBLING_LABELS.items():
        entry = dt.get(key)
        if not entry:
            continue
        name = label.replace(" (months)", "")
        if not entry.get("n_defined"):
            unsupported.append(f"the {name} (undefined in every draw)")
            continue
        lower, upper = bounds(entry)
        rate_lo, rate_hi = bounds(entry["rate_per_year"])
        rate = f"[{rate_lo:.3g}, {rate_hi:.3g}] per year"
        if math.isinf(lower):
            unsupported.append(f"any {name}: its growth rate's 95% interval {rate} lies at or "
                               "below zero")
        elif math.isinf(upper):
            unsupported.append(
                f"an upper bound on the {name}: its growth rate's 95% interval {rate} includes "
                f"zero, so the data are consistent with no doubling at all; they say only that "
                f"it is at least {lower:.3g} months")
        else:
            spread = upper / lower
            width = f", a factor of {spread:.1f} between its ends" if spread > 3 else ""
            supported.append(f"the {name}, {lower:.3g} to {upper:.3g} months{width}")
    for key in ("1e22", "1e25"):
        entry = est["transformer_ceg"].get(key)
        if not entry:
            continue
        lower, upper = bounds(entry)
        if math.isinf(upper):
            unsupported.append(f"an upper bound on the transformer's compute-equivalent gain at "
                               f"{key} FLOP: more than 2.5% of draws find no finite compute that "
                               "matches the transformer, so the interval is open above")
        elif lower <= 1:
            unsupported.append(f"a transformer gain at {key} FLOP: the interval [{lower:.3g}, "
                               f"{upper:.3g}] includes no gain (1×)")
        else:
            supported.append(f"a transformer gain at {key} FLOP of {lower:.3g}× to {upper:.3g}×")
    lines = ["### What the data can and cannot support", ""]
    if supported:
        lines.append("The data support, at the 95% level: " + "; ".join(supported) + ".")
    if unsupported:
        lines += ["", "They do not support " + "; nor ".join(unsupported) + ". An unbounded "
                  "interval is not a failure of the computation: it says that these evaluations "
                  "do not identify the quantity, however precise its point estimate looks."]
    undefined = [label for label, entry, _, _ in _headline_rows(est)
                 if entry.get("n_defined", 0) < entry.get("n_draws", 0)]
    lines += ["", ("Draws without a defined value (counted in the 'defined draws' column, never "
                   "dropped silently): " + ", ".join(undefined) + ".") if undefined else
              "Every draw gave a defined value for every headline quantity.", ""]
    return lines


# --- calibration --------------------------------------------------------------------------

def _calibrated(row) -> bool:
    low, high = CALIBRATED_COVERAGE
    return low <= row.coverage <= high and abs(row.relative_bias) <= CALIBRATED_BIAS


HEADLINE_CALIBRATION = [("compute_doubling", "preferred", "rate_percentile"),
                        ("ceg_1e25", "transformer_gain", "percentile")]


def preferred_estimator(table: pd.DataFrame) -> tuple[str, str] | None:
    """(estimator, design) the calibration study favours: at the largest synthetic design
    (else the observed one), the estimator whose headline intervals (compute doubling,
    CEG at 1e25) are closest to 95% coverage, ties broken by the smaller bias."""
    synthetic = sorted({d for d in table["design"] if d != "observed"},
                       key=lambda d: int(d[1:]))
    design = synthetic[-1] if synthetic else "observed"
    scores = {}
    for estimator, group in table[table["design"] == design].groupby("estimator"):
        picked = [group[(group["quantity"] == q) & (group["model"] == m) & (group["method"] == k)]
                  for q, m, k in HEADLINE_CALIBRATION]
        picked = pd.concat(picked)
        if len(picked):
            scores[estimator] = ((picked["coverage"] - 0.95).abs().max(),
                                 picked["relative_bias"].abs().max())
    if not scores:
        return None
    return min(scores, key=lambda e: scores[e]), design


def calibration_section(table: pd.DataFrame) -> list[str]:
    """The calibration study's table and what it says, in words."""
    lines = ["## Calibration of the intervals (simulation study)", "",
             "Log perplexities simulated from a known truth on a fixed design (noise SD and "
             "sizes in `workflow/config.yaml`, `calibration`), each set fitted and bootstrapped "
             "as the pipeline does (`analysis/calibration.py`). Coverage: share of sets whose "
             "nominal 95% interval contains the truth (± binomial SE); width: median over sets "
             "(∞ when most intervals are unbounded); bias: median point estimate / truth − 1.",
             "", "| quantity | fit | design | truth | estimator | method | sets × draws | "
             "coverage | median width | bias |", "|---|---|---|---|---|---|---|---|---|---|"]
    for row in table.itertuples():
        width = "∞" if math.isinf(row.median_width) else f"{row.median_width:.3g}"
        lines.append(f"| {row.quantity} | {row.model} | {row.design} | {row.truth} | "
                     f"{row.estimator} | {row.method} | {row.n_sim} × {row.n_boot} | "
                     f"{row.coverage:.0%} ± {row.coverage_se:.0%} | {width} | "
                     f"{row.relative_bias:+.0%} |")
    main = table[table["method"].isin(["rate_percentile", "percentile"])]
    good = [r for r in main.itertuples() if _calibrated(r)]
    bad = [r for r in main.itertuples() if not _calibrated(r)]
    describe = lambda r: (f"{r.quantity} ({r.model} fit, {r.design} design, {r.truth} truth, "
                          f"{r.estimator}): coverage {r.coverage:.0%} ± {r.coverage_se:.0%}, "
                          f"bias {r.relative_bias:+.0%}")
    low, high = CALIBRATED_COVERAGE
    lines += ["", f"Calibrated (coverage {low:.0%}–{high:.0%} and median point estimate within "
                  f"{CALIBRATED_BIAS:.0%} of the truth): "
              + ("; ".join(map(describe, good)) if good else "none") + ".", "",
              "Not calibrated: " + ("; ".join(map(describe, bad)) if bad else "none") + "."]
    choice = preferred_estimator(table)
    if choice:
        lines += ["", f"Of the estimators run, the study favours **{choice[0]}** for the "
                      f"headline (closest to 95% coverage of compute doubling and CEG at 1e25 "
                      f"at the {choice[1]} design)."]
    return lines + [""]


def write_calibration_section(calibration_csv: str, out_md: str) -> None:
    """results/calibration.md: the report section of the calibration study on its own."""
    with open(out_md, "w") as handle:
        handle.write("\n".join(calibration_section(pd.read_csv(calibration_csv))))


# --- the report ---------------------------------------------------------------------------

def _data_section(raw_csv: str, analysis: pd.DataFrame, exclusions: pd.DataFrame) -> list[str]:
    raw = read_raw(raw_csv)
    lines = [
        "## Data", "",
        f"- Raw evaluations: {len(raw)} rows ({(raw['include'] == 'true').sum()} marked include).",
        f"- Analysis set: **{len(analysis)} evaluations** ({int(analysis['transformer'].sum())} "
        f"transformer), {analysis['reference'].nunique()} papers, "
        f"{analysis['year'].min():.1f}–{analysis['year'].max():.1f}. Paper: 231 (104 transformer).",
        f"- Excluded rows: {len(exclusions)}, each with its reason in "
        "`data/processed/exclusions.csv`:", "",
    ]
    for reason, count in exclusions["reason"].value_counts().items():
        lines.append(f"  - {count} × {reason}")
    lines += ["", "By benchmark: " + ", ".join(
        f"{b} {n}" for b, n in analysis["benchmark"].value_counts().items()), ""]
    typed = load_evaluations(raw_csv)
    lines += coverage_table(typed[typed["line"].isin(analysis["line"])],
                            "Analysis set by publication year × benchmark × evidence")
    return lines


def write_report(raw_csv: str, analysis_csv: str, exclusions_csv: str, selection_csv: str,
                 estimates_json: str, sensitivity_json: str, out: str,
                 calibration_csv: str | None = None, appendices_json: str | None = None) -> None:
    analysis = pd.read_csv(analysis_csv)
    exclusions = pd.read_csv(exclusions_csv)
    selection = pd.read_csv(selection_csv)
    with open(estimates_json) as handle:
        est = json.load(handle)
    with open(sensitivity_json) as handle:
        sensitivity = json.load(handle)
    main = est["main_model"]
    lines = ["# Algorithmic progress in language models: re-derivation report", "",
             "Generated by `snakemake`; do not edit by hand. Method: `docs/method.md`.", ""]
    lines += _data_section(raw_csv, analysis, exclusions)
    top = selection.head(12)
    lines += ["## Model selection (leave-one-out cross-validation)", "",
              "| rank | model | δ | # coef | LOOCV MSE | LOOCV R² | held-out MSE | refits |",
              "|---|---|---|---|---|---|---|---|"]
    for row in top.itertuples():
        rank = "" if pd.isna(row.rank) else int(row.rank)
        lines.append(f"| {rank} | {row.model} | {row.delta} | {row.n_params} | "
                     f"{row.loocv_mse:.4f} | {row.loocv_r2:.3f} | {row.heldout_mse:.4f} | "
                     f"{row.refits} |")
    m7 = selection[(selection["model"] == main["model"]) & (selection["delta"] == main["delta"])]
    if len(m7):
        lines += ["", f"Preferred model {main['model']} (δ = {main['delta']}): LOOCV MSE "
                      f"{m7['loocv_mse'].iloc[0]:.4f}, R² {m7['loocv_r2'].iloc[0]:.3f} "
                      "(paper: 0.0486, 0.911). Full table: `results/model_selection.csv`."]
    estimator = main.get("estimator", "paper")
    lines += ["", "## Preferred model fit", "",
              f"Estimator: **{estimator}** (`fit.estimator`; docs/method.md §3: `paper` is the "
              "reference's L1 penalty on raw coefficients, `refit` an unpenalised fit on the "
              "coefficients that penalty keeps; the choice follows the calibration study, "
              "`results/calibration.md`). "
              f"Objective {main['objective']:.6f} on {main['n_obs']} "
              f"evaluations (paper: 0.0518 on 231); KKT residual "
              f"{kkt_text(main['optimality']['kkt_bound'])}. " + optimum_sentence(main) + " "
              + numerics_sentence(est["numerics"]), "",
              "| coefficient | estimate | bootstrap SE | 95% interval |", "|---|---|---|---|"]
    for name, row in est["parameter_table"].items():
        lower, upper = bounds(row)
        lines.append(f"| {name} | {row['estimate']:.4f} | {row['se']:.4f} | "
                     f"[{lower:.4f}, {upper:.4f}] |")
    boot = est["bootstrap"]
    lines += ["", f"Bootstrap: {boot['n']} resamples of evaluations, seed {boot['seed']}. "
                  + refits_sentence(boot["refits"]) + " Share of draws with "
                  f"α_year + β_year < 0: {boot['share_alpha_plus_beta_year_negative']:.1%} "
                  "(paper: 4.8%).", "",
              "## Headline quantities: ours beside the paper's", "",
              f"Estimator {estimator}. Doubling-time intervals are percentiles of the growth rate "
              "r = ln2 / doubling time, inverted; an interval written `[a, ∞)` has a rate "
              "interval that reaches zero (no doubling is consistent with the data). "
              "Compute-equivalent gains use every draw, infinite ones included. 'Defined "
              "draws' counts the draws in which the quantity has a value.", "",
              "| quantity | ours: median [95% CI] | defined draws | paper |", "|---|---|---|---|"]
    for label, entry, unit, paper in _headline_rows(est):
        lines.append(f"| {label} | {format_interval(entry, unit)} | {defined_share(entry)} | "
                     f"{paper} |")
    lines += [""] + support_paragraph(est)
    if calibration_csv:
        lines += calibration_section(pd.read_csv(calibration_csv))
    else:
        lines += ["## Calibration of the intervals", "",
                  "Not part of this run: `snakemake calibration` simulates from known truths and "
                  "writes `results/calibration.csv`, its figure and `results/calibration.md`; set "
                  "`calibration: {in_report: true}` to include it here.", ""]
    lines += ["Why ours may differ: (1) different data — our analysis set is built only from "
              "rows whose sources we read; (2) every fit here is certified to reach the optimum "
              "of the objective (multistart + KKT check), whereas the reference stopped SLSQP "
              "from θ = 0; (3) ten times more bootstrap resamples; (4) intervals for doubling "
              "times built on growth rates (the paper's percentiles of the doubling time itself "
              "span negative values whenever a draw's rate is negative); (5) the deliberate "
              "departures listed in docs/method.md §9 (own-benchmark perplexity, order-free "
              "folds, equal-weight top-10 pool, continuous hinge at cutoffs).", "",
              "## Cutoff years (continuous hinge)", "",
              "| cutoff | before (months) | after (months) | defined draws |", "|---|---|---|---|"]
    for row in est["cutoff_years"]:
        lines.append(f"| {row['cutoff']} | {format_interval(row['before'])} | "
                     f"{format_interval(row['after'])} | {defined_share(row['before'])} |")
    lines += ["", "## Shapley decomposition (share of predicted WT103 improvement)", "",
              "| systems | N | D | parameter efficiency | data efficiency |", "|---|---|---|---|---|"]
    for pair, shares in est["shapley"].items():
        lines.append(f"| {pair} | " + " | ".join(f"{shares[p]:.2f}" for p in PLAYERS) + " |")
    lines += ["", "Paper: compute scaling (N + D) explains 60–95%; RNN 2012 → Chinchilla: "
                  "N 0.45, D 0.33, parameter efficiency 0.03, data efficiency 0.20.", "",
              "## Top-10 models behind the aggregate", "",
              "| model | δ | LOOCV MSE | numerical doubling (months) | defined draws |",
              "|---|---|---|---|---|"]
    for row in est["top10"]:
        lines.append(f"| {row['model']} | {row['delta']} | {row['loocv_mse']:.4f} | "
                     f"{format_interval(row)} | {defined_share(row)} |")
    lines += ["", "## Sensitivity to curation (preferred model, bootstrap of evaluations)", "",
              "| selection | evaluations | compute doubling, point (months) | median [95% CI] | "
              "defined draws |", "|---|---|---|---|---|"]
    for label, row in sensitivity.items():
        value = row["compute_doubling_point"]
        value = "∞" if value is None else f"{value:.3g}"
        lines.append(f"| {label} | {row['n_evaluations']} | {value} | "
                     f"{format_interval(row['compute_doubling'])} | "
                     f"{defined_share(row['compute_doubling'])} |")
    lines += [""]
    if appendices_json:
        lines += appendix_sections(appendices_json)
    lines += ["Figures: `results/figures/`.", ""]
    with open(out, "w") as handle:
        handle.write("\n".join(lines))
