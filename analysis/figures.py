"""Figures, one function per figure; `draw` dispatches by name."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

PALETTE = {"wt103": "tab:blue", "wt2": "tab:orange", "ptb": "tab:green"}


def data_over_time(frame, estimates, draws, ax):
    compute = 6 * frame["params"] * frame["tokens"]
    sizes = 10 + 150 * (np.log10(compute) - np.log10(compute).min()) / np.ptp(np.log10(compute))
    for bench, group in frame.groupby("benchmark"):
        ax.scatter(group["year"], group["log_ppl"], s=sizes[group.index], alpha=0.6,
                   color=PALETTE[bench], label=bench)
    ax.set(xlabel="publication date", ylabel="log test perplexity",
           title="Evaluations (marker area ~ log training compute 6ND)")
    ax.legend(title="benchmark")


def predicted_vs_actual(frame, estimates, draws, ax):
    from .results import ScalingLawResults
    main = estimates["main_model"]
    yhat = ScalingLawResults.from_dict(main).predict(frame)
    for bench, group in frame.groupby("benchmark"):
        ax.scatter(group["log_ppl"], yhat[group.index], color=PALETTE[bench], label=bench, s=15)
    lims = [frame["log_ppl"].min() - 0.1, frame["log_ppl"].max() + 0.1]
    ax.plot(lims, lims, color="grey", lw=1)
    ax.set(xlabel="observed log perplexity", ylabel="predicted",
           title=f"Model {main['model']}, δ = {main['delta']}: fit on {main['n_obs']} evaluations")
    ax.legend()


def doubling_times(frame, estimates, draws, ax):
    import seaborn as sns  # slow to import: only this figure uses it
    for column, label in (("compute", "closed form"), ("compute_numerical", "numerical")):
        values = draws[column].replace([np.inf, -np.inf], np.nan).dropna()
        values = values[(values > 0) & (values < 120)]
        sns.kdeplot(values, ax=ax, label=f"{label} (n={len(values)})", clip=(0, 120))
    ax.set(xlabel="effective-compute doubling time (months)", title="Bootstrap distributions")
    ax.legend()


def cutoff_years(frame, estimates, draws, ax):
    rows = estimates["cutoff_years"]
    for offset, key in ((-0.1, "before"), (0.1, "after")):
        x = [r["cutoff"] + offset for r in rows]
        med = [r[key]["median"] for r in rows]
        lo = [r[key]["median"] - r[key]["ci95"][0] for r in rows]
        hi = [r[key]["ci95"][1] - r[key]["median"] for r in rows]
        ax.errorbar(x, med, yerr=[lo, hi], fmt="o", capsize=3, label=f"{key} cutoff")
    ax.set(xlabel="cutoff year", ylabel="doubling time (months)", yscale="symlog",
           title="Effective-compute doubling time around a cutoff")
    ax.legend()


def shapley(frame, estimates, draws, ax):
    table = pd.DataFrame(estimates["shapley"]).T
    table.plot(kind="barh", stacked=True, ax=ax)
    ax.set(xlabel="share of predicted improvement", title="Shapley decomposition")


def pareto(frame, estimates, draws, ax):
    data = estimates["pareto"]
    tokens = np.array(data["tokens"])
    label, frontiers = next(iter(data["frontiers"].items()))
    for year, params in frontiers.items():
        ax.plot(tokens, np.array(params, dtype=float), label=year)
    ax.set(xscale="log", yscale="log", xlabel="training tokens D", ylabel="parameters N",
           title=f"(D, N) reaching {label} on WikiText-103")
    ax.legend(title="year", fontsize=7)


def transformer_gain(frame, estimates, draws, ax):
    ceg = {k: v for k, v in estimates["transformer_ceg"].items() if k != "point_fit"}
    names = list(ceg)
    med = [ceg[k]["median"] for k in names]
    lo = [ceg[k]["median"] - ceg[k]["ci95"][0] for k in names]
    hi = [ceg[k]["ci95"][1] - ceg[k]["median"] for k in names]
    ax.errorbar(range(len(names)), med, yerr=[lo, hi], fmt="o", capsize=4)
    ax.set(xticks=range(len(names)), xticklabels=[f"C = {n} FLOP" for n in names],
           yscale="log", ylabel="compute-equivalent gain", title="Transformer gain")


FIGURES = {f.__name__: f for f in (data_over_time, predicted_vs_actual, doubling_times,
                                   cutoff_years, shapley, pareto, transformer_gain)}


def draw(name: str, analysis_csv: str, estimates_json: str, draws_csv: str, out: str) -> None:
    frame = pd.read_csv(analysis_csv)
    with open(estimates_json) as handle:
        estimates = json.load(handle)
    draws = pd.read_csv(draws_csv)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    FIGURES[name](frame, estimates, draws, ax)
    fig.tight_layout()
    fig.savefig(out, dpi=120, metadata={"Software": None})
    plt.close(fig)
