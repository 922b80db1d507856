"""From validated raw rows to the analysis set (docs/method.md §1).

Every raw row ends up either in the analysis set or in the exclusions table with
the first rule that removed it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Benchmark preference used by the reference notebooks when copying one perplexity per system.
REFERENCE_BENCHMARK_ORDER = ("wt103", "wt2", "ptb")


@dataclass(frozen=True)
class Selection:
    """Which rows enter an analysis. Defaults are the main analysis of docs/method.md §1."""

    keep_uncertain: bool = False
    drop_test_time_adaptation: bool = False
    drop_zero_shot: bool = False
    levels: tuple[str, ...] = ("word", "token")
    evidence: tuple[str, ...] | None = None
    max_publication_date: str | None = "2023-12-31"
    per_paper_cap: int | None = 3
    reference_compatible: bool = False


def decimal_year(dates: pd.Series) -> pd.Series:
    """Year + (day_of_year - 1) / 365, the one date convention used everywhere."""
    dates = pd.to_datetime(dates)
    return dates.dt.year + (dates.dt.day_of_year - 1) / 365


def _rules(selection: Selection) -> list[tuple[str, callable]]:
    """Row filters in the order they are applied, each with its exclusion reason."""
    rules = [
        ("curator excluded (include=false)", lambda d: d["include"]),
        ("curator marked outlier", lambda d: ~d["outlier"]),
    ]
    if not selection.keep_uncertain:
        rules.append(("uncertain (a field derived with an unconfirmed assumption)",
                      lambda d: ~d["uncertain"]))
    rules.append(("missing or non-positive perplexity, params, tokens or date",
                  lambda d: (d[["perplexity", "params", "tokens"]] > 0).all(axis=1)
                  & d["publication_date"].notna()))
    if selection.max_publication_date:
        cutoff = pd.Timestamp(selection.max_publication_date)
        rules.append((f"published after {selection.max_publication_date}",
                      lambda d: d["publication_date"] <= cutoff))
    if selection.drop_test_time_adaptation:
        rules.append(("test-time adaptation (robustness run)", lambda d: ~d["test_time_adaptation"]))
    if selection.drop_zero_shot:
        rules.append(("zero-shot evaluation (robustness run)", lambda d: ~d["zero_shot"]))
    rules.append((f"perplexity level not among {', '.join(selection.levels)}",
                  lambda d: d["perplexity_level"].isin(selection.levels)))
    if selection.evidence is not None:
        rules.append((f"perplexity evidence not among {', '.join(selection.evidence)}",
                      lambda d: d["evidence"].isin(selection.evidence)))
    return rules


def _reference_perplexity(frame: pd.DataFrame) -> pd.Series:
    """One perplexity per (system, reference): WT103 if present, else WT2, else PTB."""
    rank = frame["benchmark"].map({b: i for i, b in enumerate(REFERENCE_BENCHMARK_ORDER)})
    best = frame.assign(_rank=rank).sort_values("_rank", kind="stable")
    first = best.groupby(["system", "reference"], sort=False)["perplexity"].first()
    keys = pd.MultiIndex.from_frame(frame[["system", "reference"]])
    return pd.Series(first.reindex(keys).to_numpy(), index=frame.index)


def _derive(frame: pd.DataFrame, selection: Selection) -> pd.DataFrame:
    out = frame.copy()
    perplexity = _reference_perplexity(out) if selection.reference_compatible else out["perplexity"]
    out["log_ppl"] = np.log(perplexity)
    out["year"] = decimal_year(out["publication_date"])
    out["ptb"] = out["benchmark"].eq("ptb").astype(int)
    out["wt2"] = out["benchmark"].eq("wt2").astype(int)
    out["transformer"] = out["architecture"].eq("transformer").astype(int)
    return out


def _cap_per_paper(frame: pd.DataFrame, cap: int) -> pd.Series:
    """True for the `cap` lowest-perplexity evaluations of each reference."""
    order = frame.sort_values(["reference", "perplexity", "line"], kind="stable")
    rank = order.groupby("reference", sort=False).cumcount()
    return (rank < cap).reindex(frame.index)


ANALYSIS_COLUMNS = [
    "line", "system", "reference", "benchmark", "perplexity", "perplexity_level", "evidence", "log_ppl",
    "publication_date", "year", "params", "tokens", "epochs", "architecture", "transformer",
    "ptb", "wt2", "zero_shot", "test_time_adaptation", "uncertain", "vocab_size",
]


def build_analysis_set(raw: pd.DataFrame, selection: Selection = Selection()
                       ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply docs/method.md §1 to validated rows; return (analysis set, exclusions)."""
    frame = raw.copy()
    reason = pd.Series(pd.NA, index=frame.index, dtype="object")
    for why, keep in _rules(selection):
        pending = reason.isna()
        dropped = pending & ~keep(frame).fillna(False).astype(bool)
        reason[dropped] = why
    if selection.per_paper_cap is not None:
        eligible = frame[reason.isna()]
        capped = ~_cap_per_paper(eligible, selection.per_paper_cap)
        reason[capped[capped].index] = (
            f"per-paper cap: not among the {selection.per_paper_cap} lowest-perplexity "
            "evaluations of its reference")
    kept = _derive(frame[reason.isna()], selection)
    analysis = kept[ANALYSIS_COLUMNS].reset_index(drop=True)
    analysis["publication_date"] = analysis["publication_date"].dt.strftime("%Y-%m-%d")
    excluded = frame[reason.notna()].assign(reason=reason[reason.notna()])
    exclusions = excluded[["line", "system", "benchmark", "reference", "perplexity", "reason"]]
    return analysis, exclusions.reset_index(drop=True)


def load_analysis_set(raw_csv: str, selection: Selection = Selection()
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate the raw CSV (raising `InvalidDataset` listing every problem) and return
    (analysis set, exclusions) under `selection`."""
    from .schema import load_evaluations  # pandera: loaded only by the steps that validate
    return build_analysis_set(load_evaluations(raw_csv), selection)
