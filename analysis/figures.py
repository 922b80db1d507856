"""Figures, one function per figure; `draw` dispatches by name. A figure function takes the
inputs it reads (`Inputs`: the analysis set, the estimates' pieces, the bootstrap draws, the
calibration table) and an axis; each figure's rule passes only the files it reads."""

from __future__ import annotations

import math
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

PALETTE = {"wt103": "tab:blue", "wt2": "tab:orange", "ptb": "tab:green"}


@dataclass
class Inputs:
    """The files a figure reads, loaded on first use."""

    analysis: str | None = None
    estimates: list[str] | None = None
    draws: str | None = None
    calibration: str | None = None

    def _need(self, name: str):
        path = getattr(self, name)
        if not path:
            raise ValueError(f"this figure reads --{name}; pass it")
        return path

    @property
    def frame(self) -> pd.DataFrame:
        return pd.read_csv(self._need("analysis"))

    @property
    def results(self) -> dict:
        from .pieces import read_pieces
        return read_pieces(self._need("estimates"))

    @property
    def bootstrap_draws(self) -> pd.DataFrame:
        return pd.read_csv(self._need("draws"))

    @property
    def table(self) -> pd.DataFrame:
        return pd.read_csv(self._need("calibration"))


def data_over_time(inputs: Inputs, ax):
    frame = inputs.frame
    compute = 6 * frame["params"] * frame["tokens"]
    sizes = 10 + 150 * (np.log10(compute) - np.log10(compute).min()) / np.ptp(np.log10(compute))
    for bench, group in frame.groupby("benchmark"):
        ax.scatter(group["year"], group["log_ppl"], s=sizes[group.index], alpha=0.6,
                   color=PALETTE[bench], label=bench)
    ax.set(xlabel="publication date", ylabel="log test perplexity",
           title="Evaluations (marker area ~ log training compute 6ND)")
    ax.legend(title="benchmark")


def predicted_vs_actual(inputs: Inputs, ax):
    from .results import ScalingLawResults
    frame, main = inputs.frame, inputs.results["main_model"]
    yhat = ScalingLawResults.from_dict(main).predict(frame)
    for bench, group in frame.groupby("benchmark"):
        ax.scatter(group["log_ppl"], yhat[group.index], color=PALETTE[bench], label=bench, s=15)
    lims = [frame["log_ppl"].min() - 0.1, frame["log_ppl"].max() + 0.1]
    ax.plot(lims, lims, color="grey", lw=1)
    ax.set(xlabel="observed log perplexity", ylabel="predicted",
           title=f"Model {main['model']}, δ = {main['delta']}: fit on {main['n_obs']} evaluations")
    ax.legend()


def _months_axis(ax) -> None:
    """A top axis labelling growth rates per year by their doubling times in months."""
    top = ax.secondary_xaxis("top", functions=(lambda r: r, lambda r: r))
    months = np.array([3, 6, 12, 24, 48])
    top.set_xticks(12 * math.log(2) / months)
    top.set_xticklabels([f"{m}" for m in months])
    top.set_xlabel("doubling time (months)")


def doubling_times(inputs: Inputs, ax):
    import seaborn as sns  # slow to import: only this figure uses it
    draws = inputs.bootstrap_draws
    for column, label in (("rate_compute", "closed form"),
                          ("rate_compute_numerical", "numerical")):
        values = draws[column].to_numpy(float)
        finite = values[np.isfinite(values)]
        sns.kdeplot(finite, ax=ax, label=f"{label} ({len(finite)}/{len(values)} draws finite)")
    ax.axvline(0, color="grey", lw=1, ls=":")
    ax.set(xlabel="growth rate of effective compute (per year, ln)",
           title="Bootstrap distributions")
    _months_axis(ax)
    ax.legend()


def _rate_errorbars(ax, x, entries, **style) -> None:
    rates = [e["rate_per_year"] for e in entries]
    med = np.array([r["median"] for r in rates], float)
    lo = np.array([r["ci95"][0] for r in rates], float)
    hi = np.array([r["ci95"][1] for r in rates], float)
    ax.errorbar(x, med, yerr=[med - lo, hi - med], fmt="o", capsize=3, **style)


def cutoff_years(inputs: Inputs, ax):
    rows = inputs.results["cutoff_years"]
    for offset, key in ((-0.1, "before"), (0.1, "after")):
        _rate_errorbars(ax, [r["cutoff"] + offset for r in rows], [r[key] for r in rows],
                        label=f"{key} cutoff")
    ax.axhline(0, color="grey", lw=1, ls=":")
    ax.set(xlabel="cutoff year", ylabel="growth rate of effective compute (per year)",
           title="Effective-compute growth around a cutoff (95% intervals)")
    ax.legend()


def shapley(inputs: Inputs, ax):
    table = pd.DataFrame(inputs.results["shapley"]).T
    table.plot(kind="barh", stacked=True, ax=ax)
    ax.set(xlabel="share of predicted improvement", title="Shapley decomposition")


def pareto(inputs: Inputs, ax):
    data = inputs.results["pareto"]
    tokens = np.array(data["tokens"])
    label, frontiers = next(iter(data["frontiers"].items()))
    for year, params in frontiers.items():
        ax.plot(tokens, np.array(params, dtype=float), label=year)
    ax.set(xscale="log", yscale="log", xlabel="training tokens D", ylabel="parameters N",
           title=f"(D, N) reaching {label} on WikiText-103")
    ax.legend(title="year", fontsize=7)


def transformer_gain(inputs: Inputs, ax):
    from .intervals import bounds, point
    ceg = {k: v for k, v in inputs.results["transformer_ceg"].items() if k != "point_fit"}
    for x, (name, entry) in enumerate(ceg.items()):
        lower, upper = bounds(entry)
        mid = point(entry)
        shown = min(upper, 1e4)
        ax.errorbar([x], [mid], yerr=[[mid - lower], [shown - mid]], fmt="o", capsize=4,
                    color="tab:blue")
        if math.isinf(upper):
            ax.annotate("∞", (x, shown), textcoords="offset points", xytext=(6, -4))
    ax.set(xticks=range(len(ceg)), xticklabels=[f"C = {n} FLOP" for n in ceg],
           yscale="log", ylabel="compute-equivalent gain",
           title="Transformer gain (median, 95% interval over all draws)")


def calibration(inputs: Inputs, ax):
    table = inputs.table
    table = table[table["method"].isin(["rate_percentile", "percentile"])]
    labels, x = [], 0
    for (quantity, model), group in table.groupby(["quantity", "model"], sort=True):
        for (design, estimator, truth), row in group.groupby(["design", "estimator", "truth"]):
            r = row.iloc[0]
            colour = "tab:blue" if design == "observed" else "tab:orange"
            spread = 2 * r["coverage_se"]
            ax.errorbar([x], [r["coverage"]], yerr=[[min(spread, r["coverage"])],
                                                    [min(spread, 1 - r["coverage"])]],
                        fmt="o", color=colour, capsize=3)
            labels.append(f"{quantity} ({model})\n{design}, {estimator}, truth {truth}")
            x += 1
    ax.axhline(0.95, color="grey", ls="--", lw=1)
    ax.axhspan(0.93, 0.97, color="grey", alpha=0.15)
    ax.set(xticks=range(len(labels)), ylim=(0, 1.02), ylabel="coverage of nominal 95% interval",
           title="Calibration: coverage ± 2 SE (blue: observed design, orange: synthetic)")
    ax.set_xticklabels(labels, rotation=90, fontsize=6)


FIGURES = {f.__name__: f for f in (data_over_time, predicted_vs_actual, doubling_times,
                                   cutoff_years, shapley, pareto, transformer_gain, calibration)}


def draw(name: str, out: str, **paths) -> None:
    """Draw figure `name` from the files in `paths` (analysis, estimates, draws,
    calibration) to `out`."""
    if name not in FIGURES:
        raise ValueError(f"unknown figure {name!r}; expected one of {sorted(FIGURES)}")
    fig, ax = plt.subplots(figsize=(9, 6) if name == "calibration" else (7, 4.5))
    FIGURES[name](Inputs(**paths), ax)
    fig.tight_layout()
    fig.savefig(out, dpi=120, metadata={"Software": None})
    plt.close(fig)
