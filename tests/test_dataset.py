"""The curated table and its audit files agree with each other."""

from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


def test_coverage_map_points_at_existing_rows():
    rows = pd.read_csv(DATA / "raw" / "evaluations.csv")
    coverage = pd.read_csv(DATA / "audit" / "paper_systems_coverage.csv")
    keys = set(zip(rows["system"], rows["benchmark"], rows["reference"]))
    sourced = coverage[coverage["status"] == "sourced"]
    dangling = [k for k in zip(sourced["system"], sourced["benchmark"], sourced["reference"])
                if k not in keys]
    assert dangling == []
    assert coverage["paper_system"].nunique() == 226


def test_every_missing_paper_system_says_what_was_tried():
    coverage = pd.read_csv(DATA / "audit" / "paper_systems_coverage.csv")
    unsourced = pd.read_csv(DATA / "audit" / "unsourced.csv")
    missing = set(coverage.loc[coverage["status"] == "missing", "paper_system"])
    sourced = set(coverage.loc[coverage["status"] == "sourced", "paper_system"])
    assert set(unsourced["paper_system"]) == missing - sourced
    assert unsourced["what_tried"].fillna("").str.len().min() > 20


def test_uncertain_rows_say_why():
    rows = pd.read_csv(DATA / "raw" / "evaluations.csv")
    uncertain = rows[rows["uncertain"]]
    assert uncertain["notes"].fillna("").str.contains("ncertain").all()
