"""Each pipeline step, run through the command line in-process on the tiny synthetic table
(tests/tiny/evaluations.csv): what it writes, and that its options reach the analysis."""

import json

import pandas as pd
import pytest

from analysis.cli import main
from analysis.pipeline import SENSITIVITY_VARIANTS

FIT = ["--random-starts", "2", "--seed", "0"]
HEADLINE = [
    "--model", "7", "--delta", "0.0025", *FIT, "--bootstrap-n", "4", "--bootstrap-seed", "0",
    "--top10-models", "2", "--top10-draws", "3", "--cutoff-years", "2016", "2019",
    "--cutoff-draws", "3", "--doubling-year", "2023", "--doubling-compute", "1e25",
    "--ceg-compute", "1e22", "1e25",
    "--shapley-systems", json.dumps({"RNN 2012": [6e6, 9.29e5, "2012-12-01"],
                                     "Chinchilla": [7e10, 1.4e12, "2022-03-29"]}),
    "--shapley-pairs", json.dumps([["RNN 2012", "Chinchilla"]]),
    "--pareto-targets", json.dumps({"GPT-2 (17.48)": 17.48}), "--pareto-years", "2016", "2022",
    "--pareto-log10-data-range", "8", "14", "--pareto-points", "5",
]
RAW_ROWS = 48  # tests/tiny/evaluations.csv


@pytest.fixture(scope="module")
def steps(repo, tmp_path_factory):
    """Runs preprocess, cv (models 1 and 7), merge-cv and headline once; returns the paths."""
    out = tmp_path_factory.mktemp("steps")
    paths = {"raw": repo / "tests" / "tiny" / "evaluations.csv",
             **{name: out / name for name in ("analysis.csv", "exclusions.csv", "cv_1.csv",
                                              "cv_7.csv", "selection.csv", "estimates.json",
                                              "draws.csv")}}
    assert main(["preprocess", "--raw", str(paths["raw"]), "--analysis",
                 str(paths["analysis.csv"]), "--exclusions", str(paths["exclusions.csv"])]) == 0
    for model in (1, 7):
        assert main(["cv", "--model", str(model), "--analysis", str(paths["analysis.csv"]),
                     "--out", str(paths[f"cv_{model}.csv"]), "--deltas", "0.0025", "0.01",
                     "--holdout-fraction", "0.2", *FIT]) == 0
    assert main(["merge-cv", str(paths["cv_1.csv"]), str(paths["cv_7.csv"]), "--out",
                 str(paths["selection.csv"])]) == 0
    assert main(["headline", "--analysis", str(paths["analysis.csv"]), "--selection",
                 str(paths["selection.csv"]), "--estimates", str(paths["estimates.json"]),
                 "--draws", str(paths["draws.csv"]), *HEADLINE]) == 0
    return paths


def test_preprocess_accounts_for_every_row_and_takes_the_selection_options(steps, tmp_path):
    analysis = pd.read_csv(steps["analysis.csv"])
    exclusions = pd.read_csv(steps["exclusions.csv"])
    assert len(analysis) + len(exclusions) == RAW_ROWS and len(exclusions) == 4
    assert main(["preprocess", "--raw", str(steps["raw"]), "--analysis", str(tmp_path / "a.csv"),
                 "--exclusions", str(tmp_path / "e.csv"), "--keep-uncertain",
                 "--per-paper-cap", "none", "--max-publication-date", "none"]) == 0
    reasons = pd.read_csv(tmp_path / "e.csv")["reason"].tolist()
    assert reasons == ["curator excluded (include=false)"]


def test_cross_validation_scores_each_penalty_of_its_model(steps):
    scores = pd.read_csv(steps["cv_7.csv"])
    assert scores["delta"].tolist() == [0.0025, 0.01] and (scores["model"] == 7).all()
    assert (scores["n_loo"] + scores["n_heldout"] == 44).all()
    assert (scores["failed_folds"] == 0).all() and (scores["loocv_r2"] > 0.8).all()


def test_merged_selection_ranks_candidates_by_loocv_error(steps):
    table = pd.read_csv(steps["selection.csv"])
    assert len(table) == 4 and table["rank"].tolist() == [1, 2, 3, 4]
    assert table["loocv_mse"].is_monotonic_increasing


def test_headline_writes_what_its_options_ask_for(steps):
    estimates = json.loads(steps["estimates.json"].read_text())
    draws = pd.read_csv(steps["draws.csv"])
    assert estimates["bootstrap"]["n"] == 4 and len(draws) == 4
    assert [row["cutoff"] for row in estimates["cutoff_years"]] == [2016, 2019]
    assert set(estimates["transformer_ceg"]) == {"point_fit", "1e22", "1e25"}
    assert set(estimates["shapley"]) == {"RNN 2012 -> Chinchilla"}
    assert sum(estimates["shapley"]["RNN 2012 -> Chinchilla"].values()) == pytest.approx(1.0)
    assert set(estimates["pareto"]["frontiers"]["GPT-2 (17.48)"]) == {"2016", "2022"}
    best = pd.read_csv(steps["selection.csv"]).head(2)  # the top-10 pool, cut to two pairs
    assert [(r["model"], r["delta"]) for r in estimates["top10"]] == list(
        zip(best["model"], best["delta"]))
    assert estimates["main_model"]["optimality"]["kkt_residual"] < 1e-6


def test_headline_is_byte_identical_when_rerun(steps, tmp_path):
    assert main(["headline", "--analysis", str(steps["analysis.csv"]), "--selection",
                 str(steps["selection.csv"]), "--estimates", str(tmp_path / "e.json"),
                 "--draws", str(tmp_path / "d.csv"), *HEADLINE]) == 0
    assert (tmp_path / "e.json").read_bytes() == steps["estimates.json"].read_bytes()
    assert (tmp_path / "d.csv").read_bytes() == steps["draws.csv"].read_bytes()


def test_headline_refuses_a_shapley_pair_of_unknown_systems(steps, tmp_path):
    options = list(HEADLINE)
    options[options.index("--shapley-pairs") + 1] = json.dumps([["RNN 2012", "GPT-7"]])
    with pytest.raises(ValueError, match="GPT-7"):
        main(["headline", "--analysis", str(steps["analysis.csv"]), "--selection",
              str(steps["selection.csv"]), "--estimates", str(tmp_path / "e.json"),
              "--draws", str(tmp_path / "d.csv"), *options])


def test_sensitivity_refits_each_alternative_selection(steps, tmp_path):
    out = tmp_path / "sensitivity.json"
    assert main(["sensitivity", "--raw", str(steps["raw"]), "--out", str(out), "--model", "7",
                 "--delta", "0.0025", *FIT, "--draws", "3", "--bootstrap-seed", "0"]) == 0
    result = json.loads(out.read_text())
    assert set(result) == set(SENSITIVITY_VARIANTS)
    counts = {label: row["n_evaluations"] for label, row in result.items()}
    main_n = counts["main selection"]
    assert main_n == 44
    for label in ("with uncertain rows", "extended past 2023", "no per-paper cap"):
        assert counts[label] == main_n + 1, label  # one such row in the tiny table
    assert counts["word-level only"] < main_n and counts["paper evidence only"] < main_n
    assert all(row["compute_doubling"]["n_valid"] <= 3 for row in result.values())


@pytest.mark.parametrize("name", ["data_over_time", "predicted_vs_actual", "doubling_times",
                                  "cutoff_years", "shapley", "pareto", "transformer_gain"])
def test_each_figure_is_drawn(steps, tmp_path, name):
    out = tmp_path / f"{name}.png"
    assert main(["figure", "--name", name, "--analysis", str(steps["analysis.csv"]),
                 "--estimates", str(steps["estimates.json"]), "--draws", str(steps["draws.csv"]),
                 "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 5000


def test_report_and_dataset_summary(steps, tmp_path):
    sensitivity = tmp_path / "sensitivity.json"
    sensitivity.write_text("{}")
    report = tmp_path / "report.md"
    assert main(["report", "--raw", str(steps["raw"]), "--analysis", str(steps["analysis.csv"]),
                 "--exclusions", str(steps["exclusions.csv"]), "--selection",
                 str(steps["selection.csv"]), "--estimates", str(steps["estimates.json"]),
                 "--sensitivity", str(sensitivity), "--out", str(report)]) == 0
    text = report.read_text()
    assert "**44 evaluations**" in text and "| RNN 2012 -> Chinchilla |" in text
    summary, figure = tmp_path / "summary.md", tmp_path / "summary.png"
    assert main(["summary", "--raw", str(steps["raw"]), "--exclusions",
                 str(steps["exclusions.csv"]), "--out", str(summary), "--figure",
                 str(figure)]) == 0
    assert f"- {RAW_ROWS} evaluations" in summary.read_text() and figure.exists()


def test_tiny_table_is_valid_and_comes_from_the_synthetic_generator(repo, tmp_path):
    from analysis.schema import validate_csv
    from analysis.synthetic import raw_evaluations
    committed = repo / "tests" / "tiny" / "evaluations.csv"
    assert validate_csv(committed)[1] == []
    regenerated = tmp_path / "evaluations.csv"
    raw_evaluations().to_csv(regenerated, index=False, float_format="%.10g")
    assert regenerated.read_bytes() == committed.read_bytes()
