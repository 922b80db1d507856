"""Filters, derived columns and the per-paper cap of docs/method.md §1."""

import numpy as np
import pandas as pd
import pytest

from analysis.preprocess import Selection, build_analysis_set, decimal_year


def raw_rows(n_per_paper=5):
    rows = []
    for paper in ("P1", "P2"):
        for k in range(n_per_paper):
            rows.append({
                "line": len(rows) + 2, "system": f"{paper}-s{k}", "benchmark": ["wt103", "ptb", "wt2"][k % 3],
                "perplexity": 20.0 + k, "perplexity_level": "word", "evidence": "paper", "params": 1e7 * (k + 1),
                "tokens": 1e8, "epochs": np.nan, "publication_date": pd.Timestamp("2019-03-01"),
                "reference": paper, "architecture": "transformer" if k % 2 else "lstm",
                "zero_shot": False, "test_time_adaptation": k == 4, "uncertain": False,
                "include": True, "outlier": False, "vocab_size": np.nan,
            })
    return pd.DataFrame(rows)


def test_decimal_year_convention():
    years = decimal_year(pd.Series(pd.to_datetime(["2020-01-01", "2019-12-31", "2021-07-02"])))
    assert years.tolist() == pytest.approx([2020.0, 2019 + 364 / 365, 2021 + 182 / 365])


def test_cap_keeps_three_lowest_perplexities_per_paper():
    analysis, exclusions = build_analysis_set(raw_rows())
    assert len(analysis) == 6
    for _, group in analysis.groupby("reference"):
        assert sorted(group["perplexity"]) == [20.0, 21.0, 22.0]
    assert len(exclusions) == 4
    assert exclusions["reason"].str.startswith("per-paper cap").all()


def test_every_raw_row_is_accounted_for_with_first_reason():
    raw = raw_rows()
    raw.loc[0, "include"] = False
    raw.loc[1, "uncertain"] = True
    raw.loc[2, "params"] = np.nan
    raw.loc[3, "outlier"] = True
    raw.loc[5, "publication_date"] = pd.Timestamp("2024-05-01")
    analysis, exclusions = build_analysis_set(raw)
    assert len(analysis) + len(exclusions) == len(raw)
    reasons = dict(zip(exclusions["line"], exclusions["reason"]))
    assert reasons[2].startswith("curator excluded")
    assert reasons[3].startswith("uncertain")
    assert reasons[4].startswith("missing")
    assert reasons[5].startswith("curator marked outlier")
    assert reasons[7].startswith("published after")


def test_uncertain_rows_kept_in_robustness_selection():
    raw = raw_rows()
    raw["uncertain"] = True
    analysis, _ = build_analysis_set(raw, Selection(keep_uncertain=True, per_paper_cap=None))
    assert len(analysis) == len(raw)


def test_derived_columns():
    analysis, _ = build_analysis_set(raw_rows(), Selection(per_paper_cap=None))
    assert np.allclose(analysis["log_ppl"], np.log(analysis["perplexity"]))
    assert (analysis["ptb"] == (analysis["benchmark"] == "ptb")).all()
    assert (analysis["wt2"] == (analysis["benchmark"] == "wt2")).all()
    assert (analysis["transformer"] == (analysis["architecture"] == "transformer")).all()


def test_reference_compatible_copies_wt103_perplexity():
    raw = raw_rows(3)
    raw["system"] = raw["reference"]  # one system per paper, three benchmarks
    analysis, _ = build_analysis_set(raw, Selection(reference_compatible=True))
    wt103 = raw[raw["benchmark"] == "wt103"].set_index("reference")["perplexity"]
    assert np.allclose(analysis["log_ppl"], np.log(analysis["reference"].map(wt103)))


def test_test_time_adaptation_dropped_in_robustness_run():
    analysis, exclusions = build_analysis_set(raw_rows(), Selection(drop_test_time_adaptation=True,
                                                                    per_paper_cap=None))
    assert not analysis["test_time_adaptation"].any()
    assert exclusions["reason"].str.contains("test-time").sum() == 2
