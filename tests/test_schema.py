"""Every class of bad row is refused with the row's line, the column and the expectation."""

from pathlib import Path

import pytest

from analysis.schema import read_raw, validate_csv, validate_frame

TESTS = Path(__file__).resolve().parent
FIXTURE = TESTS / "data" / "valid.csv"


def problems_after(edit):
    raw = read_raw(FIXTURE)
    edit(raw)
    typed, problems = validate_frame(raw)
    assert typed is None
    return problems


def test_fixture_is_valid():
    typed, problems = validate_csv(FIXTURE)
    assert problems == []
    assert typed["include"].dtype == bool
    assert typed["params"].iloc[0] == pytest.approx(2.4e7)


@pytest.mark.parametrize("column,value,expected", [
    ("params", "1.5B", "plain number"),
    ("tokens", "103M", "plain number"),
    ("perplexity", "0.5", "> 1"),
    ("benchmark", "wt3", "one of"),
    ("perplexity_level", "char", "one of"),
    ("evidence", "blog", "one of"),
    ("evidence", None, "required"),
    ("architecture", "mamba", "one of"),
    ("zero_shot", "yes", "one of"),
    ("publication_date", "2016-13-01", "real calendar date"),
    ("publication_date", "12/05/2016", "YYYY-MM-DD"),
    ("source", "a blog", "matching"),
    ("source", None, "required"),
    ("source_location", None, "required"),
])
def test_bad_value_is_reported_with_line_and_column(column, value, expected):
    def edit(raw):
        raw.loc[1, column] = value
    problems = problems_after(edit)
    hits = [p for p in problems if p.line == 3 and p.column == column]
    assert hits, problems
    assert expected in hits[0].expected
    assert str(hits[0]).startswith(f"line 3, column '{column}'")


def test_pretrained_params_in_wrong_unit_is_caught():
    problems = problems_after(lambda raw: raw.__setitem__("params", raw["params"].where(
        raw.index != 3, "1.5e6")))
    assert any(p.line == 5 and p.column == "params" and "pre-trained" in p.expected
               for p in problems)


def test_duplicate_evaluation_is_caught():
    def edit(raw):
        raw.loc[len(raw)] = raw.loc[0]
    problems = problems_after(edit)
    lines = {p.line for p in problems if p.column == "system+benchmark+reference"}
    assert lines == {2, len(read_raw(FIXTURE)) + 2}


def test_excluded_row_without_reason_is_caught():
    def edit(raw):
        raw.loc[2, "include"] = "false"
        raw.loc[2, "notes"] = None
    assert any(p.line == 4 and p.column == "notes" for p in problems_after(edit))


def test_compute_inconsistent_with_6nd_is_caught():
    def edit(raw):
        raw.loc[3, "training_compute"] = "1e30"
    assert any(p.line == 5 and p.column == "training_compute" for p in problems_after(edit))


def test_missing_column_is_reported_once_as_header_problem():
    def edit(raw):
        del raw["notes"]
    problems = problems_after(edit)
    assert problems and all(p.line is None for p in problems)
    assert any("notes" in p.value for p in problems)


def test_all_problems_reported_at_once():
    def edit(raw):
        raw.loc[0, "params"] = "1.5B"
        raw.loc[2, "benchmark"] = "wt3"
    problems = problems_after(edit)
    assert {(p.line, p.column) for p in problems} >= {(2, "params"), (4, "benchmark")}


def test_repository_dataset_is_valid():
    _, problems = validate_csv(TESTS.parent / "data" / "raw" / "evaluations.csv")
    assert problems == []
