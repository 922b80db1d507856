"""Figures of the appendices (docs/method.md §8), one function per figure; `draw` dispatches by
name. Each reads its appendix's JSON (results/appendices/<key>.json)."""

from __future__ import annotations

import json
import math
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def direct_progress(data: dict, frame: pd.DataFrame, fig) -> None:
    """Appendix A: ln(C/C_s) against date around each reference system, with the OLS line."""
    systems = data["systems"]
    axes = fig.subplots(1, len(systems), squeeze=False)[0]
    for ax, entry in zip(axes, systems):
        ax.set_title(f"{entry['system']} (×{entry['tolerance']})", fontsize=9)
        ax.set_xlabel("publication date")
        points = pd.DataFrame(entry.get("evaluations", []))
        if not points.empty:
            ratio = points["compute"] / entry["compute"]
            ax.scatter(points["year"], ratio, s=18)
            ax.set_yscale("log")
        ax.ticklabel_format(axis="x", useOffset=False)
        if entry["status"] != "ok":
            ax.text(0.5, 0.5, textwrap.fill(entry["status"], 30), transform=ax.transAxes,
                    ha="center", va="center", fontsize=8)
            continue
        reg = entry["regression"]
        years = np.linspace(points["year"].min(), points["year"].max(), 50)
        ax.plot(years, np.exp(reg["intercept"] + reg["slope"] * years), color="black", lw=1)
        halving = entry["halving_time_months"]["estimate"]
        label = "no decline" if halving is None else f"halving every {halving:.1f} months"
        ax.text(0.03, 0.04, f"{label}, n = {reg['n']}", transform=ax.transAxes, fontsize=8)
    axes[0].set_ylabel("training compute / reference system's")


def scaling_law_gain(data: dict, frame: pd.DataFrame, fig) -> None:
    """Appendix B: gain of Chinchilla's over Kaplan's allocation against compute."""
    ax = fig.subplots()
    sweep, trend = data["sweep"], data["trend"]
    compute = np.array(sweep["compute"])
    ax.plot(compute, sweep["ceg"], "o", ms=3, label="Kaplan-optimal allocation")
    ax.plot(compute, np.exp(trend["intercept"] + trend["slope"] * np.log(compute)), lw=1,
            color="black", label=f"trend: CEG ∝ C^{trend['slope']:.3f}")
    for name, model in data["models"].items():
        ax.plot(model["compute"], model["ceg"], "s", color="tab:red")
        ax.annotate(f"{name}: {model['ceg']:.2f}×", (model["compute"], model["ceg"]),
                    xytext=(4, -12), textcoords="offset points", fontsize=8)
    ax.set(xscale="log", xlabel="training compute C (FLOP)",
           ylabel="compute-equivalent gain of Chinchilla scaling",
           title="Gain from Chinchilla's over Kaplan's allocation")
    ax.legend(fontsize=8)


def frontier(data: dict, frame: pd.DataFrame, fig) -> None:
    """Appendix C: compute-optimal loss of our fit (WikiText-103, one year) beside
    Chinchilla's frontier and Kaplan's L(C_min)."""
    ax = fig.subplots()
    front = data["frontier"]
    compute = np.array(front["compute"])
    lo, hi = (np.array(v, dtype=float) for v in front["ours_ci95"])
    ax.fill_between(compute, lo, hi, alpha=0.25, color="tab:purple",
                    label=f"ours, 95% band ({front['ours_draws_defined']}/{front['ours_draws']} draws)")
    ax.plot(compute, front["ours"], color="tab:purple",
            label=f"ours (model {data['model']}, {front['year']:.0f}, log perplexity WT103)")
    ax.plot(compute, front["chinchilla"], color="tab:cyan", label="Chinchilla (Hoffmann et al.)")
    ax.plot(compute, front["kaplan"], color="tab:blue", label="Kaplan L(C_min)")
    for x in front["data_compute_p10_p90"]:
        ax.axvline(x, color="grey", ls="--", lw=0.8)
    ax.set(xscale="log", xlabel="training compute (FLOP)", ylabel="loss (nats)",
           ylim=(0, max(8.0, float(front["chinchilla"][0]))),
           title="Compute-optimal frontiers (dashed: 10th–90th percentile of our data)")
    ax.legend(fontsize=7)


def tokens_per_parameter(data: dict, frame: pd.DataFrame, fig) -> None:
    """Appendix J: tokens per parameter against date, with the OLS trend."""
    ax = fig.subplots()
    ratio = frame["tokens"] / frame["params"]
    ax.scatter(frame["year"], ratio, s=14, alpha=0.6)
    reg = data["tokens_per_parameter"]["regression"]
    years = np.linspace(frame["year"].min(), frame["year"].max(), 50)
    ax.plot(years, np.exp(reg["intercept"] + reg["slope"] * years), color="black", lw=1,
            label=f"OLS trend: ×{math.exp(reg['slope']):.2f} per year")
    for (name, value), color in zip(data["tokens_per_parameter"]["systems"].items(),
                                    ("tab:cyan", "tab:blue", "tab:green")):
        ax.axhline(value, ls="--", color=color, lw=1, label=f"{name}: {value:.1f}")
    ax.set(yscale="log", xlabel="publication date", ylabel="tokens per parameter D/N",
           title="Tokens per parameter over time")
    ax.legend(fontsize=8)


FIGURES = {f.__name__: f for f in (direct_progress, scaling_law_gain, frontier,
                                   tokens_per_parameter)}


def draw(name: str, appendix_json: str, analysis_csv: str | None, out: str) -> None:
    with open(appendix_json) as handle:
        data = json.load(handle)
    frame = pd.read_csv(analysis_csv) if analysis_csv else None
    fig = plt.figure(figsize=(10, 3.8) if name == "direct_progress" else (7, 4.5))
    FIGURES[name](data, frame, fig)
    fig.tight_layout()
    fig.savefig(out, dpi=120, metadata={"Software": None})
    plt.close(fig)
