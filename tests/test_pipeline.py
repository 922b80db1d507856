"""Each pipeline step, run through the command line in-process on the tiny synthetic table
(tests/tiny/evaluations.csv): what it writes, and that its options reach the analysis."""

import json

import pandas as pd
import pytest

from analysis.cli import main
from analysis.pipeline import SENSITIVITY_VARIANTS

FIT = ["--random-starts", "2", "--seed", "0"]
PREFERRED = ["--model", "7", "--delta", "0.0025", *FIT]
DOUBLING = ["--doubling-year", "2023", "--doubling-compute", "1e25"]
SYSTEMS = json.dumps({"RNN 2012": [6e6, 9.29e5, "2012-12-01"],
                      "Chinchilla": [7e10, 1.4e12, "2022-03-29"]})
RAW_ROWS = 48  # tests/tiny/evaluations.csv


def piece_commands(paths: dict) -> dict[str, list[str]]:
    """The command line of every piece of the estimates, as the workflow runs them."""
    a = ["--analysis", str(paths["analysis.csv"])]
    return {
        "main_fit": ["main-fit", *a, "--out", str(paths["main_fit.json"]), *PREFERRED],
        "bootstrap": ["bootstrap", *a, "--out", str(paths["bootstrap.json"]), "--draws",
                      str(paths["draws.csv"]), *PREFERRED, "--n", "4", "--bootstrap-seed", "0",
                      *DOUBLING],
        "paper_clustered": ["paper-clustered", *a, "--out", str(paths["paper_clustered.json"]),
                            *PREFERRED, "--n", "4", "--bootstrap-seed", "0"],
        **{f"top10_{rank}": ["top10-member", *a, "--selection", str(paths["selection.csv"]),
                             "--out", str(paths[f"top10_{rank}.csv"]), "--rank", str(rank),
                             *FIT, "--draws", "3", "--bootstrap-seed", "0", *DOUBLING]
           for rank in (1, 2, 9)},
        "top10": ["top10", *(str(paths[f"top10_{rank}.csv"]) for rank in (1, 2, 9)), "--out",
                  str(paths["top10.json"])],
        "transformer_gain": ["transformer-gain", *a, "--out", str(paths["transformer_gain.json"]),
                             *PREFERRED, "--n", "4", "--bootstrap-seed", "0", "--ceg-compute",
                             "1e22", "1e25", "--doubling-year", "2023"],
        **{f"cutoff_{year}": ["cutoff", *a, "--out", str(paths[f"cutoff_{year}.json"]),
                              "--year", str(year), *PREFERRED, "--draws", "3",
                              "--bootstrap-seed", "0"] for year in (2016, 2019)},
        "shapley": ["shapley", "--main-fit", str(paths["main_fit.json"]), "--out",
                    str(paths["shapley.json"]), "--systems", SYSTEMS, "--pairs",
                    json.dumps([["RNN 2012", "Chinchilla"]])],
        "pareto": ["pareto", "--main-fit", str(paths["main_fit.json"]), "--out",
                   str(paths["pareto.json"]), "--targets", json.dumps({"GPT-2 (17.48)": 17.48}),
                   "--years", "2016", "2022", "--log10-data-range", "8", "14", "--points", "5"],
    }


PIECES = ["main_fit", "bootstrap", "paper_clustered", "top10", "transformer_gain", "cutoff_2016",
          "cutoff_2019", "shapley", "pareto"]


@pytest.fixture(scope="module")
def steps(repo, tmp_path_factory):
    """Runs preprocess, cv (models 1 and 7), merge-cv, every piece of the estimates and their
    merge once; returns the paths."""
    out = tmp_path_factory.mktemp("steps")
    names = ["analysis.csv", "exclusions.csv", "cv_1.csv", "cv_7.csv", "selection.csv",
             "estimates.json", "draws.csv", "top10_1.csv", "top10_2.csv", "top10_9.csv",
             *(f"{piece}.json" for piece in PIECES)]
    paths = {"raw": repo / "tests" / "tiny" / "evaluations.csv",
             **{name: out / name for name in names}}
    assert main(["preprocess", "--raw", str(paths["raw"]), "--analysis",
                 str(paths["analysis.csv"]), "--exclusions", str(paths["exclusions.csv"])]) == 0
    for model in (1, 7):
        assert main(["cv", "--model", str(model), "--analysis", str(paths["analysis.csv"]),
                     "--out", str(paths[f"cv_{model}.csv"]), "--deltas", "0.0025", "0.01",
                     "--holdout-fraction", "0.2", *FIT]) == 0
    assert main(["merge-cv", str(paths["cv_1.csv"]), str(paths["cv_7.csv"]), "--out",
                 str(paths["selection.csv"])]) == 0
    for command in piece_commands(paths).values():
        assert main(command) == 0
    assert main(["merge-estimates", *(str(paths[f"{p}.json"]) for p in PIECES), "--out",
                 str(paths["estimates.json"])]) == 0
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


def test_the_pieces_write_what_their_options_ask_for(steps):
    estimates = json.loads(steps["estimates.json"].read_text())
    draws = pd.read_csv(steps["draws.csv"])
    assert estimates["bootstrap"]["n"] == 4 and len(draws) == 4
    assert {"rate_compute", "rate_compute_numerical", "compute_numerical"} <= set(draws)
    assert [row["cutoff"] for row in estimates["cutoff_years"]] == [2016, 2019]
    assert set(estimates["transformer_ceg"]) == {"point_fit", "1e22", "1e25"}
    assert set(estimates["shapley"]) == {"RNN 2012 -> Chinchilla"}
    assert sum(estimates["shapley"]["RNN 2012 -> Chinchilla"].values()) == pytest.approx(1.0)
    assert set(estimates["pareto"]["frontiers"]["GPT-2 (17.48)"]) == {"2016", "2022"}
    best = pd.read_csv(steps["selection.csv"]).head(2)  # the top-10 pool, cut to two pairs
    assert [(r["model"], r["delta"]) for r in estimates["top10"]] == list(
        zip(best["model"], best["delta"]))
    assert len(pd.read_csv(steps["top10_9.csv"])) == 0  # only 4 pairs were scored
    pooled = estimates["doubling_time_months"]["top10_aggregate"]
    assert (pooled["n_defined"], pooled["n_draws"]) == (6, 6)  # 3 draws of each of 2 pairs
    assert set(estimates["doubling_time_months"]) == {"compute", "compute_numerical",
                                                      "parameters", "data", "top10_aggregate"}
    for entry in estimates["doubling_time_months"].values():
        assert entry["n_draws"] in (4, 6) and "rate_per_year" in entry
    assert estimates["main_model"]["optimality"]["kkt_bound"] <= 1e-6
    assert estimates["n_evaluations"] == 44


def test_the_merged_estimates_hold_every_piece_unchanged(steps):
    from analysis.pieces import read_pieces
    estimates = json.loads(steps["estimates.json"].read_text())
    assert estimates == read_pieces([str(steps[f"{p}.json"]) for p in PIECES])
    shapley = json.loads(steps["shapley.json"].read_text())
    assert estimates["shapley"] == shapley["shapley"]


def test_pieces_are_byte_identical_when_rerun(steps, tmp_path):
    again = {**steps, **{name: tmp_path / name for name in
                         ("draws.csv", "bootstrap.json", "transformer_gain.json")}}
    commands = piece_commands(again)
    for piece in ("bootstrap", "transformer_gain"):
        assert main(commands[piece]) == 0
    for name in ("draws.csv", "bootstrap.json", "transformer_gain.json"):
        assert again[name].read_bytes() == steps[name].read_bytes(), name


def test_merging_refuses_two_pieces_that_give_the_same_number(steps, tmp_path):
    from analysis.pieces import merge_pieces
    with pytest.raises(ValueError, match="n_evaluations"):
        merge_pieces([{"n_evaluations": 4}, {"n_evaluations": 5}])
    assert merge_pieces([{"a": {"b": 1}, "c": [1]}, {"a": {"d": 2}, "c": [2]}]) == {
        "a": {"b": 1, "d": 2}, "c": [1, 2]}


def test_shapley_refuses_a_pair_of_unknown_systems(steps, tmp_path):
    command = piece_commands({**steps, "shapley.json": tmp_path / "s.json"})["shapley"]
    command[command.index("--pairs") + 1] = json.dumps([["RNN 2012", "GPT-7"]])
    with pytest.raises(ValueError, match="GPT-7"):
        main(command)


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
    assert all(row["compute_doubling"]["n_draws"] == 3 for row in result.values())


#: figure -> the files it reads (as the workflow passes them)
FIGURE_FILES = {
    "data_over_time": {"analysis": ["analysis.csv"]},
    "predicted_vs_actual": {"analysis": ["analysis.csv"], "estimates": ["main_fit.json"]},
    "doubling_times": {"draws": ["draws.csv"]},
    "cutoff_years": {"estimates": ["cutoff_2016.json", "cutoff_2019.json"]},
    "shapley": {"estimates": ["shapley.json"]},
    "pareto": {"estimates": ["pareto.json"]},
    "transformer_gain": {"estimates": ["transformer_gain.json"]},
}


@pytest.mark.parametrize("name", list(FIGURE_FILES))
def test_each_figure_is_drawn_from_the_files_it_reads(steps, tmp_path, name):
    out = tmp_path / f"{name}.png"
    options = [word for kind, files in FIGURE_FILES[name].items()
               for word in (f"--{kind}", *(str(steps[f]) for f in files))]
    assert main(["figure", "--name", name, *options, "--out", str(out)]) == 0
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
