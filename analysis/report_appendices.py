"""Report sections for the appendices (docs/method.md §8): ours beside the paper's numbers, with
a sentence on why they differ. `appendix_sections` returns Markdown lines for `report.py`."""

from __future__ import annotations

import json

from .intervals import defined_share, format_interval

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

#: the paper's numbers (Ho et al. 2024 and its appendices notebook, 2024-03-06)
PAPER = {
    "A": {"Gopher (280B)": 6.9, "GPT-2 (1542M)": 5.9, "Megatron-LM (355M)": 14.9},
    "B": {"GPT-3": 2.90, "PaLM 540B": 3.64},
    "C_share": 0.048,
    "D": {(10, 0.001): "3.96× [1.91, 16.2]", (7, 0.0025): "7.57× [2.99, 159]",
          (15, 0.01): "35.5× [11.3, 248]", (8, 0.005): "17.7× [5.89, 96.4]",
          (15, 0.005): "14.1× [5.52, 99.4]", (7, 0.01): "40.1× [11.9, 929]",
          (12, 0.02): "251× [64.1, 2322]", (10, 0.0025): "7.88× [3.46, 32.3]",
          (10, 0.005): "13.1× [5.46, 61.6]", (12, 0.005): "16.4× [7.65, 67.5]"},
    "E_known": "n = 185; γ 0.011 [−0.034, 0.059]; compute doubling 4.1 [1.8, 10.9] months",
    "F": {"tokens_seen_known": "4.6 [1.8, 9.8]", "effective_known": "3.1 [−60.8, 30.1]",
          "effective_imputed": "8.6 [4.3, 18.8]"},
    "H": "≈ 8.9 (point fit)",
    "J_model18": 0.72, "J_model7": 0.0486,
    "top10": "7.9 [1.4, 17.1] (notebook); 7.8 [1.5, 17.6] (text)",
}


def _num(value, digits: int = 3) -> str:
    return "∞" if value is None else f"{value:.{digits}g}"


def _doubling(entry: dict | None) -> str:
    """A doubling-time interval on the rate scale, with its defined draws."""
    if not entry:
        return "not computed"
    return f"{format_interval(entry)} ({defined_share(entry)} draws)"


def _interval(entry: dict | None, unit: str = "") -> str:
    """A percentile interval of draws, with its defined draws."""
    if not entry:
        return "not computed"
    return f"{format_interval(entry, unit)} ({defined_share(entry)} draws)"


def _status(entry: dict) -> str | None:
    return None if entry.get("status") == "ok" else entry.get("status", "not computed")


def section_a(data: dict) -> list[str]:
    lines = ["| reference system | tolerance | evaluations | halving time of compute (months) "
             "| paper |", "|---|---|---|---|---|"]
    for entry in data["systems"]:
        paper = PAPER["A"].get(entry["system"], "—")
        if _status(entry):
            ours = entry["status"]
        else:
            h = entry["halving_time_months"]
            lo, hi = h["ci95"]
            ours = f"{_num(h['estimate'])} [{_num(lo)}, {_num(hi)}] (HC3)"
        lines.append(f"| {entry['system']} | ×{entry['tolerance']} | "
                     f"{entry.get('n_evaluations', 0)} | {ours} | {paper} |")
    reported = sum(e.get("reported_compute", 0) for e in data["systems"])
    counted = sum(e.get("n_evaluations", 0) for e in data["systems"])
    lines += ["", f"Rows: the main selection without the per-paper cap "
                  f"({'with' if data['keep_uncertain'] else 'without'} `uncertain` rows, as the "
                  "reference), WikiText-103 at the reference system's perplexity protocol. Why "
                  "ours differ: the reference took training compute from Epoch's database, which "
                  "covers many large pre-trained models; here compute is the reported value for "
                  f"{reported} of the {counted} evaluations used and 6ND otherwise, and fewer "
                  "evaluations fall near each reference perplexity."]
    return lines


def section_b(data: dict) -> list[str]:
    lines = ["| allocation | compute (FLOP) | tokens | CEG (ours) | trend at that C | paper |",
             "|---|---|---|---|---|---|"]
    for name, model in data["models"].items():
        lines.append(f"| {name} | {model['compute']:.3g} | {model['tokens']:.3g} | "
                     f"{model['ceg']:.3f}× | {model['trend_ceg']:.3f}× | "
                     f"{PAPER['B'].get(name, '—')}× |")
    trend = data["trend"]
    sweep = data["sweep"]
    lines += ["", f"Kaplan- vs Chinchilla-optimal allocation: CEG {sweep['ceg'][0]:.3f}× at "
                  f"{sweep['compute'][0]:.0e} FLOP to {sweep['ceg'][-1]:.3f}× at "
                  f"{sweep['compute'][-1]:.0e}; OLS trend ln CEG = {trend['intercept']:.3f} + "
                  f"{trend['slope']:.4f}·ln C (R² {trend['r2']:.4f}). Why ours differ "
                  "(slightly): both optima are in closed form and C′ is the exact inverse of "
                  "Chinchilla's optimal-loss curve, where the reference searched with basin-hopping "
                  "and stopped at a loss tolerance of 1e-4."]
    return lines


def section_c(data: dict) -> list[str]:
    lines = [f"Model {data['model']}, δ = {data['delta']}, estimator "
             f"{data.get('estimator', 'paper')} (the headline's), {data['n_evaluations']} "
             f"evaluations; bootstrap from the headline's {data['draws']} draws.", "",
             "| coefficient | estimate | SE | 95% interval |", "|---|---|---|---|"]
    for name, row in data["parameter_table"].items():
        lines.append(f"| {name} | {row['estimate']:.4f} | {row['se']:.4f} | "
                     f"[{row['ci95'][0]:.4f}, {row['ci95'][1]:.4f}] |")
    front = data["frontier"]
    exps = front["ours_exponents"]
    lines += ["", f"Share of draws with α_year + β_year < 0: "
                  f"{data['share_alpha_plus_beta_year_negative']:.1%} (paper: 4.8%).",
              f"Compute-optimal allocation implied by our fit (WikiText-103, {front['year']:.0f}): "
              f"N ∝ C^{exps['a']:.2f}, D ∝ C^{exps['b']:.2f} (Chinchilla: 0.45, 0.55; Kaplan: "
              f"0.73, 0.27); frontier defined in {front['ours_draws_defined']}/"
              f"{front['ours_draws']} draws (both exponents positive). Figure: "
              "`results/figures/appendix_frontier.png`. Why ours differ: our data and fit; "
              "we use the fit's own normalisers (the reference fixed 2012, 1e8, 1e8 and added "
              "0.1 to the loss), and Kaplan's L(C_min) of Kaplan et al. 2020 where the reference "
              "plotted Henighan et al.'s 2.57·C^−0.048. Our loss is log perplexity per word on "
              "WikiText-103, Chinchilla's per token on MassiveText: levels are not comparable, "
              "slopes are."]
    return lines


def section_d(data: dict) -> list[str]:
    lines = ["| model | δ | LOOCV MSE | CEG at 1e25 (ours) | loss reduction | paper |",
             "|---|---|---|---|---|---|"]
    for row in data["pairs"]:
        paper = PAPER["D"].get((row["model"], row["delta"]), "— (not in the paper's top 10)")
        if _status(row):
            lines.append(f"| {row['model']} | {row['delta']} | {row['loocv_mse']:.4f} | "
                         f"{row['status']} | | {paper} |")
            continue
        lines.append(f"| {row['model']} | {row['delta']} | {row['loocv_mse']:.4f} | "
                     f"{_interval(row['ceg'], '×')}, {row['ceg']['n_infinite']} infinite | "
                     f"{_interval(row['loss_reduction'])} | {paper} |")
    lines += ["", "Why ours differ: our top 10 is ranked on our data; our fits and refits are "
                  "multistart fits with a KKT certificate, where the reference ran SLSQP from "
                  "θ = 0; and the L1 penalty on raw γ pulls σ(γ) toward 0.5 (a larger effect), so "
                  "penalised pairs show larger gains in both."]
    return lines


def _variant_row(label: str, entry: dict, paper: str = "—", extra: str = "") -> str:
    ours = entry["status"] if _status(entry) else _doubling(entry["doubling_time_months"]["compute"])
    return f"| {label} | {entry['n_evaluations']} | {ours} | {extra} | {paper} |"


def section_e(data: dict) -> list[str]:
    lines = ["| rows | evaluations | compute doubling (months) | γ (ln V) | paper |",
             "|---|---|---|---|---|"]
    for key, label in (("known", "vocabulary reported"), ("imputed", "vocabulary imputed")):
        entry = data[key]
        gamma = "" if _status(entry) else _interval(entry["coefficients"]["gamma_vocab"])
        paper = PAPER["E_known"] if key == "known" else "—"
        lines.append(_variant_row(label, entry, paper, gamma))
    imputed = ", ".join(f"{k} {v:,}" for k, v in data["imputed_values"].items())
    lines += ["", f"Imputed vocabulary per benchmark: {imputed}. Why ours differ: "
                  f"{data['known']['n_evaluations']} of our rows report a vocabulary size (the "
                  "paper had 185); with imputation, V is nearly a benchmark indicator, so γ is "
                  "confounded with the benchmark offsets."]
    return lines


def section_f(data: dict) -> list[str]:
    lines = ["| data measure | evaluations | compute doubling (months) | | paper |",
             "|---|---|---|---|---|"]
    labels = {"tokens_seen_known": "tokens seen D·E, epochs known",
              "tokens_seen_imputed": "tokens seen, missing epochs = 1",
              "effective_known": f"effective data (R = E−1, R* = {data['r_star']}), epochs known",
              "effective_imputed": "effective data, missing epochs = 1",
              "effective_imputed_reference_repetitions": "effective data with the reference's R = E",
              "effective_imputed_alternative_r_star":
                  f"effective data, R* = {data['r_star_alternative']}"}
    for key, label in labels.items():
        lines.append(_variant_row(label, data[key], PAPER["F"].get(key, "—")))
    lines += ["", f"{data['rows_with_epochs']} analysis rows report epochs. Why ours differ: the "
                  "reference counted E repetitions for E epochs, crediting every single-epoch "
                  "model with ≈1.85·D (we use E−1; the reference's form is the sensitivity row), "
                  "ran its epochs-known fits on rows without the per-paper cap, and had more "
                  "rows with epochs."]
    return lines


def section_h(data: dict) -> list[str]:
    if _status(data):
        return [f"Not computed: {data['status']}."]
    gammas = "; ".join(f"{k} {_interval(v)}" for k, v in data["coefficients"].items())
    return ["| model | evaluations | compute doubling (months) | irreducible terms | paper |",
            "|---|---|---|---|---|",
            _variant_row("model 7 + γ + γ_ptb·ptb + γ_wt2·wt2", data, PAPER["H"], gammas), "",
            "Why ours differ: our data; the L1 penalty shrinks the additive constants toward 0, "
            "so the doubling time moves little from the preferred model's."]


def section_i(data: dict) -> list[str]:
    if _status(data):
        return [f"Not computed: {data['status']}."]
    lines = ["| quantity | ours | paper |", "|---|---|---|",
             f"| compute doubling (months), papers resampled | "
             f"{_doubling(data['doubling_time_months']['compute'])} | — (not recorded) |",
             f"| within-paper correlation ρ | {data['rho']:.3f}; {_interval(data['rho_interval'])}"
             " | — |", f"| error SD σ | {data['sigma']:.3f} | — |"]
    note = ""
    if data["diverged_coefficients"]:
        note = (" The maximum-likelihood fit sends " + ", ".join(data["diverged_coefficients"])
                + " toward infinity (a term vanishes for some benchmark): without the L1 penalty "
                  "the optimum is at the boundary; the slopes behind the doubling times stay finite.")
    lines += ["", f"{data['n_evaluations']} evaluations from {data['n_papers']} papers (no "
                  f"per-paper cap), {data['draws']} resamples of papers ({data['failed_draws']} "
                  "failed). Why ours differ: the reference resampled rows, which treats "
                  "correlated rows as independent; we resample papers." + note]
    return lines


def section_j(data: dict) -> list[str]:
    cv = data["cross_validation"]
    rows = ["| quantity | ours | paper |", "|---|---|---|"]
    for key, label, paper in (("compute_only", "model 18 (compute only), best δ",
                               PAPER["J_model18"]),
                              ("preferred", "preferred model", PAPER["J_model7"])):
        entry = cv[key]
        ours = "not in the cross-validation table" if entry is None else (
            f"LOOCV MSE {entry['loocv_mse']:.4f} (model {entry['model']}, δ {entry['delta']}, "
            f"R² {entry['loocv_r2']:.3f})")
        rows.append(f"| {label} | {ours} | {paper} |")
    tpp = data["tokens_per_parameter"]
    d = tpp["doubling_time_months"]
    rows.append(f"| tokens per parameter D/N: doubling time (months, HC3) | "
                f"{_num(d['estimate'])} [{_num(d['ci95'][0])}, {_num(d['ci95'][1])}] "
                f"(n = {tpp['regression']['n']}) | figure only |")
    spread = data["allocation_spread"]
    rows += ["", f"Why a compute-only law fits worse: D/N in our data spans "
                 f"{tpp['ratio_percentiles']['p10']:.3g}–{tpp['ratio_percentiles']['p90']:.3g} "
                 f"(10th–90th percentile); at the median compute ({spread['compute']:.2g} FLOP) our "
                 f"fit predicts log perplexity {spread['p10']['loss']:.3f} at the 10th-percentile "
                 f"ratio and {spread['p90']['loss']:.3f} at the 90th against "
                 f"{spread['optimal_loss']:.3f} at the optimum, a spread one compute figure cannot "
                 "represent. The reference's model 18 error (0.72) was inflated by recomputing "
                 "C₀ from the predicted rows; we use C₀ of the fitting data."]
    return rows


def section_reference(data: dict) -> list[str]:
    lines = ["Cutoff years: compute doubling (months) before → after, our continuous hinge "
             "and the reference's integer-year dummy (same draws and seed).", "",
             "| cutoff | hinge: before | hinge: after | dummy: before | dummy: after |",
             "|---|---|---|---|---|"]
    for row in data["cutoffs"]:
        cells = []
        for label in ("hinge", "integer_dummy"):
            entry = row[label]
            cells += ([entry["status"], ""] if _status(entry)
                      else [_doubling(entry["before"]), _doubling(entry["after"])])
        lines.append(f"| {row['cutoff']} | " + " | ".join(cells) + " |")
    pool = data["top10_pool"]
    lines += ["", "Paper: no strong evidence of acceleration (post-cutoff slightly faster at every "
                  "cutoff). The dummy multiplies t = year − Y₀, so the fitted curve jumps at the "
                  "cutoff; the hinge keeps it continuous.", "",
              "Top-10 aggregate of numerical doubling times (months), pooled from the same "
              f"draws ({pool['draws_per_pair']} per pair):", "",
              "| pool | median [95% CI] | paper |", "|---|---|---|",
              f"| equal weight per (model, δ), WikiText-103 (ours) | "
              f"{_interval(pool['equal_weight'])} | — |",
              f"| reference weights (all draws; 3 benchmarks for per-benchmark year terms) | "
              f"{_interval(pool['reference_unequal_weight'])} | {PAPER['top10']} |", ""]
    shares = ", ".join(f"{p['model']}/{p['delta']}: {p['reference_pool_share']:.0%}"
                       for p in pool["pairs"] if p.get("reference_pool_share") is not None)
    lines.append(f"Share of the reference pool by pair: {shares}. (In the paper's run model 10 "
                 "carried about 56%.)")
    return lines


SECTIONS = {"A": section_a, "B": section_b, "C": section_c, "D": section_d, "E": section_e,
            "F": section_f, "H": section_h, "I": section_i, "J": section_j,
            "reference_compatible": section_reference}


def appendix_sections(appendices_json: str) -> list[str]:
    """Markdown lines: one subsection per appendix present in the merged file."""
    with open(appendices_json) as handle:
        data = json.load(handle)
    lines = ["## Robustness appendices (docs/method.md §8)", "",
             "Doubling-time intervals are percentiles of growth rates, inverted (∞: the rate "
             "interval reaches 0); every interval gives the number of finite draws. Regressions "
             "are OLS with HC3 intervals. Full numbers: `results/appendices.json`.", ""]
    for key, section in SECTIONS.items():
        if key not in data:
            continue
        heading = f"Appendix {key}" if len(key) == 1 else "Reference-compatible options"
        lines += [f"### {heading}: {TITLES[key]}", ""] + section(data[key]) + [""]
    return lines
