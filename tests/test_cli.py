"""The validation command a contributor runs: 'ok', or every problem and a non-zero exit."""

import shutil

from analysis.cli import main


def test_validate_ok(valid_csv, capsys):
    assert main(["validate", str(valid_csv)]) == 0
    assert capsys.readouterr().out.startswith("ok")


def test_validate_names_line_and_column_of_unit_slip(valid_csv, tmp_path, capsys):
    path = tmp_path / "evaluations.csv"
    shutil.copy(valid_csv, path)
    with open(path, "a") as handle:
        handle.write("Bad GPT,wt103,17.0,token,paper,1.5B,4e10,,2020-02-02,Bad paper,arXiv:2002.00003,"
                     "Table 1,,,transformer,true,false,,,,false,true,false,\n")
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "line 6, column 'params': got '1.5B'" in err


def test_help_lists_the_steps(capsys):
    try:
        main(["--help"])
    except SystemExit as stop:
        assert stop.code == 0
    out = capsys.readouterr().out
    for command in ("validate", "preprocess", "cv", "main-fit", "bootstrap", "paper-clustered",
                    "top10-member", "transformer-gain", "cutoff", "shapley", "pareto",
                    "merge-estimates", "calibration-chunk", "figure", "report", "summary"):
        assert command in out


def test_estimator_choices_are_the_fitting_codes_estimators():
    from analysis import cli, fitting
    assert cli.ESTIMATORS == fitting.ESTIMATORS
