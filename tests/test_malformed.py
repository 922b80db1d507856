"""A corpus of malformed CSVs: each is refused without a traceback, naming the physical line and
column (tests/data/malformed/expected.csv lists what each file must produce)."""

import csv
from pathlib import Path

import pytest

from analysis.cli import main
from analysis.schema import validate_csv

HERE = Path(__file__).parent
CORPUS = HERE / "data" / "malformed"
EXPECTED = list(csv.DictReader(open(CORPUS / "expected.csv", newline="")))


def test_every_corpus_file_has_an_expectation():
    files = {p.name for p in CORPUS.glob("*.csv")} - {"expected.csv"}
    assert files == {row["file"] for row in EXPECTED}


@pytest.mark.parametrize("case", EXPECTED, ids=[row["file"] for row in EXPECTED])
def test_malformed_file_is_refused_at_its_line_and_column(case, capsys):
    path = CORPUS / case["file"]
    typed, problems = validate_csv(path)
    assert typed is None
    line = int(case["line"]) if case["line"] else None
    hits = [p for p in problems if p.line == line and p.column == case["column"]]
    assert hits, problems
    assert case["fragment"] in hits[0].expected + hits[0].value
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert str(path) in err and "Traceback" not in err


def test_one_message_per_unparseable_number():
    _, problems = validate_csv(CORPUS / "perplexity_text.csv")
    assert [(p.line, p.column) for p in problems] == [(2, "perplexity")]


@pytest.mark.parametrize("name", ["header_only.csv", "empty.csv", "whitespace_only.csv"])
def test_empty_and_header_only_files_say_so_once(name):
    _, problems = validate_csv(CORPUS / name)
    assert len(problems) == 1 and problems[0].column == "(file)"


@pytest.mark.parametrize("target", ["missing.csv", "."])
def test_missing_path_or_folder_is_a_problem_not_a_crash(target, tmp_path):
    _, problems = validate_csv(tmp_path / target)
    assert len(problems) == 1 and problems[0].column == "(file)"


def test_bom_and_crlf_are_accepted():
    typed, problems = validate_csv(HERE / "data" / "valid_bom_crlf.csv")
    assert problems == [] and len(typed) == 4 and typed["line"].tolist() == [2, 3, 4, 5]


def test_lines_follow_multi_line_records_and_blank_lines(tmp_path):
    text = (CORPUS / "multiline_then_error.csv").read_text().replace("250M", "2.5e8")
    (tmp_path / "ok.csv").write_text(text.replace("\n", "\n\n", 1))
    typed, problems = validate_csv(tmp_path / "ok.csv")
    assert problems == [] and typed["line"].tolist() == [3, 6, 7, 8]
