"""The dataset's schema: the executable form of docs/data.md.

`EvaluationSchema` documents every column of ``data/raw/evaluations.csv``;
`validate_csv` checks a file lazily and returns every problem with its CSV line
number, column, offending value and what was expected.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

BENCHMARKS = ("wt103", "wt2", "ptb")
#: `word`: classic word-level protocol; `token`: per sub-word token on raw text;
#: `harness_word`: the evaluation harness's word perplexity over raw documents (comparable with neither).
LEVELS = ("word", "token", "harness_word")
#: Where the perplexity was read: the paper itself, the authors' own material, or a leaderboard.
EVIDENCE = ("paper", "official", "leaderboard")
ARCHITECTURES = ("transformer", "lstm", "rnn", "cnn", "ssm", "ngram", "other")
BOOLEAN_COLUMNS = ("zero_shot", "test_time_adaptation", "uncertain", "include", "outlier")
NUMERIC_COLUMNS = ("perplexity", "params", "tokens", "epochs", "vocab_size", "training_compute")
BOOL_WORDS = ("true", "false")
SOURCE_PATTERN = r"^(arXiv:\d{4}\.\d{4,5}|https?://\S+)$"
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
EARLIEST_DATE = "2000-01-01"
#: A model trained on at least this many tokens was pre-trained on a large corpus ...
PRETRAINING_TOKENS = 1e9
#: ... and has at least this many parameters (catches 1.5e6 written for 1.5e9).
MIN_PRETRAINED_PARAMS = 1e7
#: Reported training compute must lie within this factor of 6ND.
COMPUTE_TOLERANCE = 10.0


class EvaluationSchema(pa.DataFrameModel):
    """One row per (system, benchmark) evaluation; see docs/data.md."""

    system: Series[str] = pa.Field(str_length={"min_value": 1})
    benchmark: Series[str] = pa.Field(isin=BENCHMARKS)
    perplexity: Series[float] = pa.Field(gt=1, lt=5000, coerce=True)
    perplexity_level: Series[str] = pa.Field(isin=LEVELS)
    evidence: Series[str] = pa.Field(isin=EVIDENCE)
    params: Series[float] = pa.Field(gt=1e3, lt=1e14, nullable=True, coerce=True)
    tokens: Series[float] = pa.Field(gt=1e4, lt=1e15, nullable=True, coerce=True)
    epochs: Series[float] = pa.Field(gt=0, nullable=True, coerce=True)
    publication_date: Series[str] = pa.Field(str_matches=DATE_PATTERN)
    reference: Series[str] = pa.Field(str_length={"min_value": 1})
    source: Series[str] = pa.Field(str_matches=SOURCE_PATTERN)
    source_location: Series[str] = pa.Field(str_length={"min_value": 1})
    params_source: Series[str] = pa.Field(nullable=True)
    tokens_source: Series[str] = pa.Field(nullable=True)
    architecture: Series[str] = pa.Field(isin=ARCHITECTURES)
    zero_shot: Series[str] = pa.Field(isin=BOOL_WORDS)
    test_time_adaptation: Series[str] = pa.Field(isin=BOOL_WORDS)
    vocab_size: Series[float] = pa.Field(gt=1, nullable=True, coerce=True)
    tokenizer: Series[str] = pa.Field(nullable=True)
    training_compute: Series[float] = pa.Field(gt=0, nullable=True, coerce=True)
    uncertain: Series[str] = pa.Field(isin=BOOL_WORDS)
    include: Series[str] = pa.Field(isin=BOOL_WORDS)
    outlier: Series[str] = pa.Field(isin=BOOL_WORDS)
    notes: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = True
        ordered = True
        unique = ["system", "benchmark", "reference"]

    @pa.check("publication_date", name="a real calendar date between 2000-01-01 and today")
    def _date_in_range(cls, dates: Series[str]) -> Series[bool]:
        parsed = pd.to_datetime(dates, format="%Y-%m-%d", errors="coerce")
        today = pd.Timestamp(dt.date.today())
        misformatted = ~dates.astype(str).str.match(DATE_PATTERN)  # reported by the pattern check
        in_range = parsed.notna() & (parsed >= pd.Timestamp(EARLIEST_DATE)) & (parsed <= today)
        return misformatted | in_range

    @pa.dataframe_check(name="params: a pre-trained model (tokens >= 1e9) has >= 1e7 parameters")
    def _pretrained_params(cls, df: pd.DataFrame) -> Series[bool]:
        pretrained = df["tokens"] >= PRETRAINING_TOKENS
        return ~pretrained | df["params"].isna() | (df["params"] >= MIN_PRETRAINED_PARAMS)

    @pa.dataframe_check(name="training_compute: within a factor 10 of 6*params*tokens")
    def _compute_consistent(cls, df: pd.DataFrame) -> Series[bool]:
        ratio = df["training_compute"] / (6 * df["params"] * df["tokens"] * df["epochs"].fillna(1))
        known = ratio.notna()
        return ~known | ((ratio <= COMPUTE_TOLERANCE) & (ratio >= 1 / COMPUTE_TOLERANCE))

    @pa.dataframe_check(name="notes: an excluded or outlier row says why")
    def _exclusion_explained(cls, df: pd.DataFrame) -> Series[bool]:
        flagged = (df["include"] == "false") | (df["outlier"] == "true")
        return ~flagged | df["notes"].fillna("").str.strip().ne("")


COLUMNS = tuple(EvaluationSchema.to_schema().columns)
OPTIONAL = {name: col.nullable for name, col in EvaluationSchema.to_schema().columns.items()}
UNIQUENESS_CHECKS = ("field_uniqueness", "multiple_fields_uniqueness")
STRUCTURE_CHECKS = r"column_in_dataframe|column_in_schema|column_ordered"


@dataclass(frozen=True)
class Problem:
    """One validation failure, addressed as a person would look for it."""

    line: int | None
    column: str
    value: str
    expected: str

    def __str__(self) -> str:
        where = f"line {self.line}, " if self.line is not None else ""
        return f"{where}column '{self.column}': got {self.value!r}; expected {self.expected}"


class UnreadableFile(ValueError):
    """The file cannot be read as a CSV table; carries the problems that say why."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _decode(path: Path) -> str:
    """The file's text, or `UnreadableFile` naming what is wrong with it."""
    if not path.exists():
        raise UnreadableFile([Problem(None, "(file)", str(path), "an existing file")])
    if not path.is_file():
        raise UnreadableFile([Problem(None, "(file)", str(path), "a regular file, not a folder")])
    data = path.read_bytes()
    if data.startswith(UTF16_BOMS):
        raise UnreadableFile([Problem(None, "(encoding)", "UTF-16 text",
                                      "UTF-8 text (save the file as UTF-8)")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise UnreadableFile([Problem(line, "(encoding)", repr(data[err.start:err.start + 4]),
                                      "UTF-8 text (save the file as UTF-8)")]) from None
    if not text.strip():
        raise UnreadableFile([Problem(None, "(file)", "an empty file",
                                      "a header line and at least one row")])
    return text


def _records(text: str) -> tuple[list[str], list[int], list[list[str]], list[Problem]]:
    """Header, physical start line of each record, records, and the problems of the layout."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    lines, rows, problems, end = [], [], [], 0
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            problems.append(Problem(start, "(quoting)", str(err),
                                    "properly quoted fields (a quote opened here is not closed, "
                                    "or text follows a closing quote)"))
            break
        end = reader.line_num
        if row and any(cell.strip() for cell in row):
            lines.append(start)
            rows.append(row)
    if not rows:
        raise UnreadableFile(problems or [Problem(None, "(file)", "no header",
                                                  "a header line and at least one row")])
    header = [name.strip() for name in rows[0]]
    for line, row in zip(lines[1:], rows[1:]):
        if len(row) != len(header):
            problems.append(Problem(line, "(row)", f"{len(row)} fields",
                                    f"{len(header)} fields, as in the header "
                                    "(a missing or extra comma, or an unquoted comma in a text)"))
    if len(rows) == 1 and not problems:
        raise UnreadableFile([Problem(None, "(file)", "a header but no rows",
                                      "at least one row below the header")])
    return header, lines[1:], rows[1:], problems


def read_table(path: str | Path) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read the CSV as text, each row addressed by its physical line (``frame.attrs['lines']``).

    Blank or whitespace-only cells are missing; any problem of encoding, quoting or layout is
    returned instead of a frame, addressed by file line.
    """
    try:
        header, lines, rows, problems = _records(_decode(Path(path)))
    except UnreadableFile as err:
        return None, err.problems
    for line, row in zip(lines, rows):
        for name, cell in zip(header, row):
            if CONTROL.search(cell):
                problems.append(Problem(line, name, cell.encode("unicode_escape").decode(),
                                        "text without control characters such as NUL bytes"))
    if problems:
        return None, problems
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    frame = frame.map(lambda cell: cell if cell.strip() else None)
    frame.attrs["lines"] = lines
    return frame, []


def read_raw(path: str | Path) -> pd.DataFrame:
    """`read_table` for a file known to be readable; raises `UnreadableFile` otherwise."""
    frame, problems = read_table(path)
    if frame is None:
        raise UnreadableFile(problems)
    return frame


def _line_of(raw: pd.DataFrame, index: int) -> int:
    """The physical line of a row (the header is line 1); a row added after reading, or a
    frame built in memory, is numbered as if the file had no blank or multi-line records."""
    lines = raw.attrs.get("lines", [])
    return int(lines[index]) if index < len(lines) else int(index) + 2


def _expectation(check: str) -> str:
    """Turn a pandera check description into words for a contributor."""
    match = re.match(r"(\w+)\((.*)\)$", check)
    name, arg = (match.group(1), match.group(2)) if match else (check, "")
    return {
        "coerce_dtype": "a plain number such as 1.5e9 (no unit suffixes like M or B)",
        "greater_than": f"a number > {arg}",
        "less_than": f"a number < {arg}",
        "isin": f"one of {arg}",
        "str_matches": ("a date written YYYY-MM-DD" if arg.strip("'") == DATE_PATTERN
                        else f"text matching {arg}"),
        "str_length": "non-empty text",
        "not_nullable": "a value (this column is required)",
        "column_in_dataframe": "this column in the header",
        "column_in_schema": f"only the columns {', '.join(COLUMNS)}",
        "column_ordered": f"the columns in the order {', '.join(COLUMNS)}",
    }.get(name, check)


def _problems_from(errors: pa.errors.SchemaErrors, raw: pd.DataFrame) -> list[Problem]:
    cases = errors.failure_cases
    structural = cases[cases["check"].astype(str).str.match(STRUCTURE_CHECKS)]
    if len(structural):  # a wrong header makes every row check meaningless
        cases = structural
    problems = []
    for case in cases.to_dict("records"):
        check = str(case["check"])
        index = case["index"]
        column = case["column"]
        if check in UNIQUENESS_CHECKS:
            column, expected = "system+benchmark+reference", "a combination no other row has"
        elif ": " in check:  # a row-level check, named "<column>: <rule>"
            column, _, expected = check.partition(": ")
        else:
            expected = _expectation(check)
        line = None if index is None or pd.isna(index) else _line_of(raw, int(index))
        if line is not None and check in UNIQUENESS_CHECKS:
            value = " | ".join(str(raw.at[int(index), c]) for c in ("system", "benchmark", "reference"))
        elif line is not None and column in raw.columns:
            value = raw.at[int(index), column]
            if value is None and not OPTIONAL.get(column, True):
                expected = "a value (this column is required)"
        else:
            value = case["failure_case"] if line is None else ""
        if line is None and column == EvaluationSchema.__name__:
            column = "(header)"
        problems.append(Problem(line, str(column), "" if pd.isna(value) else str(value), expected))
    return problems


NOT_A_NUMBER = "a plain number such as 1.5e9 (no unit suffixes like M or B)"


def _parse_numbers(raw: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse the numeric columns; unparseable cells become problems (and missing)."""
    frame, problems = raw.copy(), []
    for column in NUMERIC_COLUMNS:
        if column not in frame.columns:
            continue
        parsed = pd.to_numeric(frame[column], errors="coerce")
        bad = frame[column].notna() & parsed.isna()
        problems += [Problem(_line_of(raw, int(i)), column, str(raw.at[i, column]), NOT_A_NUMBER)
                     for i in frame.index[bad]]
        frame[column] = parsed.astype(float)
    return frame, problems


def validate_frame(raw: pd.DataFrame) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Validate a raw (all-text) frame; return the typed frame or every problem found."""
    frame, problems = _parse_numbers(raw)
    try:
        typed = EvaluationSchema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        problems += _problems_from(errors, raw)
    if problems:
        unparsed = {(p.line, p.column) for p in problems if p.expected == NOT_A_NUMBER}
        problems = [p for p in problems if p.expected == NOT_A_NUMBER
                    or (p.line, p.column) not in unparsed]
        unique = {(p.line, p.column, p.expected): p for p in problems}
        return None, sorted(unique.values(), key=lambda p: (p.line or 0, p.column))
    for column in BOOLEAN_COLUMNS:
        typed[column] = typed[column].eq("true")
    typed["publication_date"] = pd.to_datetime(typed["publication_date"], format="%Y-%m-%d")
    typed["line"] = [_line_of(raw, i) for i in range(len(raw))]
    return typed, []


def validate_csv(path: str | Path) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Validate the CSV at ``path``; see `read_table` and `validate_frame`. Never raises."""
    raw, problems = read_table(path)
    return (None, problems) if raw is None else validate_frame(raw)


class InvalidDataset(ValueError):
    """Raised when the dataset fails validation; the message lists every problem."""


def load_evaluations(path: str | Path) -> pd.DataFrame:
    """Return the validated, typed dataset or raise `InvalidDataset` listing all problems."""
    typed, problems = validate_csv(path)
    if problems:
        listing = "\n".join(f"  {p}" for p in problems)
        raise InvalidDataset(f"{path}: {len(problems)} problem(s)\n{listing}")
    return typed
