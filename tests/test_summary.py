"""The dataset summary's coverage table and its naive OLS trend (statsmodels)."""

import re

import numpy as np
import pandas as pd

from analysis.summary import coverage_table, naive_trend


def frame(n=120, slope=-0.2, seed=0):
    rng = np.random.default_rng(seed)
    year = rng.uniform(2012, 2023, n)
    bench = rng.choice(["wt103", "wt2", "ptb"], n)
    offset = pd.Series(bench).map({"wt103": 3.0, "wt2": 4.0, "ptb": 4.2}).to_numpy()
    ppl = np.exp(offset + slope * (year - 2012) + rng.normal(0, 0.05, n))
    dates = pd.to_datetime([f"{int(y)}-01-01" for y in year]) + pd.to_timedelta(
        (year % 1) * 365, unit="D")
    return pd.DataFrame({"perplexity": ppl, "benchmark": bench, "publication_date": dates,
                         "evidence": rng.choice(["paper", "leaderboard"], n)})


def test_naive_trend_recovers_a_planted_halving_time():
    text = " ".join(naive_trend(frame(slope=-0.2)))
    slope, lo, hi = map(float, re.search(r"slope (\S+) per year \[(\S+), (\S+)\]", text).groups())
    assert lo - 0.002 <= -0.2 <= hi + 0.002 and abs(slope + 0.2) < 0.01
    months = int(re.search(r"halves every (\d+) months", text).group(1))
    assert abs(months - np.log(2) / 0.2 * 12) <= 1


def test_coverage_table_counts_every_row_once():
    data = frame()
    lines = coverage_table(data, "t")
    total = lines[-2].split("|")[-2].strip()
    assert int(total) == len(data)
    assert "| year | ptb leaderboard | ptb paper |" in lines[2]


def test_naive_trend_on_too_few_rows_says_so():
    assert "Not estimated" in " ".join(naive_trend(frame(n=5)))
