"""Bootstrap intervals that lose no draw (docs/method.md §3, §5).

- `percentile_interval`: median and percentile interval over *all* draws. Infinite values
  are values (an infinite compute-equivalent gain is a draw in which no finite compute
  matches the transformer) and take part in the percentiles; NaN marks a draw whose
  quantity is undefined and is counted, not used: every interval records ``n_defined`` and
  ``n_draws``.
- `doubling_interval`: a doubling time from draws of the growth *rate* r (per year, natural
  log: r = ln2 / doubling time in years). Percentiles are taken of r, where the bootstrap
  distribution is smooth through zero, and inverted to months. A rate bound at or below
  zero means no doubling, so the doubling-time interval is unbounded above:
  rate [0.12, 0.55] per year gives [15.1, 69.3] months; rate [−0.2, 0.9] gives [9.2, ∞).

In the results files +∞ is written as null (JSON has no infinity); `bounds` reads it back.
Percentiles interpolate linearly between order statistics (numpy's default), with
inf − inf treated as no gap, so an interval over draws that include inf is well defined.

>>> entry = doubling_interval([0.3, 0.5, 0.7, 0.9, 1.1], level=0.5)
>>> [round(b, 1) for b in entry["ci50"]], entry["n_defined"], entry["n_draws"]
([9.2, 16.6], 5, 5)
>>> format_interval(doubling_interval([-0.1, 0.2, 0.5, 0.9]))
'23.8 [9.56, ∞)'
"""

from __future__ import annotations

import math

import numpy as np

LN2 = math.log(2.0)
MONTHS = 12.0


def interval_key(level: float) -> str:
    """The key an interval at `level` is stored under: 0.95 -> 'ci95', 0.9 -> 'ci90'."""
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    return f"ci{100 * level:g}"


def quantiles(values, probs) -> list[float]:
    """Linear-interpolation quantiles of `values` (no NaN; ±inf allowed) at `probs`."""
    ordered = np.sort(np.asarray(values, float))
    if ordered.size == 0:
        return [math.nan for _ in probs]
    out = []
    for p in probs:
        position = (ordered.size - 1) * float(p)
        lower = int(math.floor(position))
        upper = min(lower + 1, ordered.size - 1)
        a, b, frac = ordered[lower], ordered[upper], position - lower
        if frac == 0 or a == b:  # also inf == inf: no interpolation needed
            out.append(float(a))
        elif math.isinf(a) or math.isinf(b):
            out.append(float(a if math.isinf(a) else b))
        else:
            out.append(float(a + frac * (b - a)))
    return out


def _split(values) -> tuple[np.ndarray, int]:
    arr = np.asarray(values, float).ravel()
    return arr[~np.isnan(arr)], int(arr.size)


def percentile_interval(values, level: float = 0.95) -> dict:
    """Median and percentile interval at `level` over every draw that is not NaN (±inf
    included), with ``n_defined`` (draws not NaN) and ``n_draws``."""
    key = interval_key(level)
    defined, n_draws = _split(values)
    median, lower, upper = quantiles(defined, [0.5, (1 - level) / 2, (1 + level) / 2])
    return {"median": _value(median), key: [_value(lower), _value(upper)],
            "n_defined": int(defined.size), "n_draws": n_draws}


def doubling_months(rate: float) -> float:
    """Doubling time in months of a quantity growing at `rate` per year (natural log):
    12·ln2/rate, and +∞ when the rate is not positive (it never doubles)."""
    rate = float(rate)
    if math.isnan(rate):
        return math.nan
    return MONTHS * LN2 / rate if rate > 0 else math.inf


def rate_per_year(months: float) -> float:
    """The growth rate per year of a doubling time in months (inverse of `doubling_months`
    for positive rates)."""
    return LN2 * MONTHS / float(months)


def doubling_interval(rates, level: float = 0.95) -> dict:
    """Doubling time in months (median and interval) from draws of the growth rate per
    year: percentiles of the rate, inverted. The rate interval is kept under
    ``rate_per_year``; ``unbounded`` says the doubling-time interval has no upper end
    (the rate interval reaches zero or below)."""
    key = interval_key(level)
    rate = percentile_interval(rates, level)
    r_lower, r_upper = rate[key]
    if rate["n_defined"] == 0:
        return {"median": None, key: [None, None], "rate_per_year": rate, "unbounded": False,
                "n_defined": 0, "n_draws": rate["n_draws"]}
    return {"median": doubling_months(rate["median"]),
            key: [doubling_months(r_upper), doubling_months(r_lower)],
            "rate_per_year": rate, "unbounded": not r_lower > 0,
            "n_defined": rate["n_defined"], "n_draws": rate["n_draws"]}


def bounds(entry: dict, level: float = 0.95) -> tuple[float, float]:
    """(lower, upper) of an interval record as floats; null (as written to JSON) is +∞ when
    the record has defined draws, NaN when it has none."""
    lower, upper = entry[interval_key(level)]
    return _read(lower, entry), _read(upper, entry)


def point(entry: dict) -> float:
    """The median of an interval record as a float (null read as in `bounds`)."""
    return _read(entry.get("median"), entry)


def covers(entry: dict, truth: float, level: float = 0.95) -> bool:
    """Whether the interval of `entry` contains `truth` (closed at both ends)."""
    lower, upper = bounds(entry, level)
    return bool(lower <= truth <= upper)


def _read(value, entry: dict) -> float:
    if value is not None:
        return float(value)
    defined = entry.get("n_defined", entry.get("n_valid", 0))
    return math.inf if defined else math.nan


def _value(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def _number(x: float, digits: int) -> str:
    if math.isnan(x):
        return "undefined"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    return f"{x:.{digits}g}"


def format_interval(entry: dict | None, unit: str = "", level: float = 0.95,
                    digits: int = 3) -> str:
    """'8.4 [4.5, 14.3]', '8.4 [4.5, ∞)' for an unbounded interval, 'undefined (0 of N
    draws defined)' when no draw is, and for a doubling time whose whole rate interval is
    at or below zero 'no doubling: growth rate … per year'."""
    if not entry or entry.get("median", None) is None and not entry.get("n_defined"):
        n = (entry or {}).get("n_draws", 0)
        return f"undefined (0 of {n} draws defined)"
    lower, upper = bounds(entry, level)
    if math.isinf(lower) and "rate_per_year" in entry:
        rate = format_interval(entry["rate_per_year"], level=level, digits=digits)
        return f"no doubling: growth rate {rate} per year"
    mid = point(entry)
    close = ")" if math.isinf(upper) else "]"
    return (f"{_number(mid, digits)}{unit} [{_number(lower, digits)}, "
            f"{_number(upper, digits)}{close}")


def defined_share(entry: dict) -> str:
    """'1000/1000' style count of defined draws."""
    return f"{entry.get('n_defined', 0)}/{entry.get('n_draws', 0)}"
