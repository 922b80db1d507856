"""`algoprogress diff`: headline numbers before/after with intervals, and the rows changed."""

import json
import shutil
from pathlib import Path

from analysis.cli import main

VALID = Path(__file__).parent / "data" / "valid.csv"


def checkout(root: Path, compute_median: float, edit_rows=None) -> Path:
    (root / "results").mkdir(parents=True)
    (root / "data" / "raw").mkdir(parents=True)
    estimates = {"n_evaluations": 4,
                 "doubling_time_months": {"compute": {"median": compute_median,
                                                      "ci95": [4.0, None],  # +inf
                                                      "n_defined": 990, "n_draws": 1000}},
                 "pareto": {"tokens": [1.0, 2.0]}}
    (root / "results" / "estimates.json").write_text(json.dumps(estimates))
    (root / "results" / "estimates").mkdir()  # a piece, held merged in estimates.json
    (root / "results" / "estimates" / "main_fit.json").write_text(
        json.dumps({"n_evaluations": 4}))
    text = VALID.read_text()
    (root / "data" / "raw" / "evaluations.csv").write_text(edit_rows(text) if edit_rows else text)
    return root / "results"


def test_diff_reports_changed_numbers_and_rows(tmp_path, capsys):
    base = checkout(tmp_path / "base", 8.0)
    head = checkout(tmp_path / "head", 9.5, lambda t: t.replace("80.5", "81.5").replace(
        "Fictional Transformer,", "Renamed Transformer,"))
    assert main(["diff", str(base), str(head)]) == 0
    out = capsys.readouterr().out
    assert "| estimates/doubling_time_months/compute | 8 [4, ∞] (n=990) | 9.5 [4, ∞] (n=990) | yes |" in out
    assert "| estimates/n_evaluations | 4 | 4 |  |" in out
    assert "main_fit" not in out  # pieces are compared through their merge only
    assert "pareto" not in out  # lists are not headline numbers
    assert "1 rows added, 1 removed, 1 changed." in out
    assert "| changed | Fictional LSTM | ptb | A fictional paper | perplexity: 80.5 → 81.5 |" in out


def test_diff_refuses_a_missing_folder(tmp_path, capsys):
    base = checkout(tmp_path / "base", 8.0)
    assert main(["diff", str(base), str(tmp_path / "nowhere")]) == 2
    assert "not a results folder" in capsys.readouterr().err


def test_diff_without_rows_says_so(tmp_path, capsys):
    base = checkout(tmp_path / "base", 8.0)
    head = checkout(tmp_path / "head", 8.0)
    shutil.rmtree(tmp_path / "head" / "data")
    assert main(["diff", str(base), str(head)]) == 0
    assert "rows not compared" in capsys.readouterr().out


def test_check_results_names_stale_files_and_by_how_much(tmp_path, capsys):
    committed, fresh = tmp_path / "committed", tmp_path / "fresh"
    for root, value in ((committed, 1.0), (fresh, 1.001)):
        (root / "cv").mkdir(parents=True)
        (root / "estimates.json").write_text(json.dumps({"a": {"b": [value, 2.0]}}))
        (root / "cutoff.json").write_text(json.dumps({"upper": None if value == 1.0 else 3.0}))
        (root / "notes.md").write_text("x" * 100 + f" T = {value}\n")
        (root / "cv" / "m.csv").write_text("x,y\n1,2\n")
    (committed / "old.png").write_bytes(b"\x89PNG")
    (committed / "report.md").write_text("# R\n\nCEG 4.4×\nend\n")
    (fresh / "report.md").write_text("# R\n\nCEG 4.5×\nend\n")
    (fresh / "calibration.csv").write_text("q\n1\n")
    assert main(["check-results", str(committed), str(fresh), "--ignore", "calibration"]) == 1
    err = capsys.readouterr().err
    assert "stale: estimates.json: largest relative difference 0.001" in err
    assert "stale: old.png: committed but not produced by the pipeline" in err
    assert "stale: report.md: 1 of 4 lines differ; first at line 3: 'CEG 4.4×' → 'CEG 4.5×'" in err
    assert ("stale: cutoff.json: largest relative difference 0; 1 value(s) changed between a "
            "number and null or text, first /upper") in err
    assert "stale: notes.md: 1 of 1 lines differ; first at line 1, column 109: 'xx" in err
    assert "cv/m.csv" not in err and "calibration" not in err
    (committed / "old.png").unlink()
    for name in ("report.md", "cutoff.json", "notes.md"):
        (committed / name).write_text((fresh / name).read_text())
    (committed / "estimates.json").write_text((fresh / "estimates.json").read_text())
    assert main(["check-results", str(committed), str(fresh), "--ignore", "calibration"]) == 0
