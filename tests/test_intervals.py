"""Intervals on the scale where they are intervals: percentiles of growth rates inverted to
doubling times, unbounded when the rate interval reaches zero; every draw counted; the
numerical doubling time's root found outward from Δ = 0."""

import doctest
import json
import math

import numpy as np
import pytest

import analysis.intervals
from analysis.intervals import (bounds, covers, doubling_interval, doubling_months,
                                format_interval, percentile_interval, quantiles)
from analysis.models import MODELS, Normalizer
from analysis.pieces import write_json
from analysis.quantities import (numerical_doubling, numerical_rate, optimal_allocation,
                                 predict_point, root_nearest_zero)
from analysis.synthetic import REFERENCE_MODEL7

MONTHS_LN2 = 12 * math.log(2)


def test_a_rate_interval_containing_zero_gives_an_unbounded_doubling_time(tmp_path):
    rates = np.linspace(-0.1, 0.9, 101)  # 2.5th percentile -0.075: no doubling is possible
    entry = doubling_interval(rates)
    lower, upper = entry["ci95"]
    assert lower == pytest.approx(MONTHS_LN2 / 0.875) and math.isinf(upper)
    assert entry["unbounded"] and entry["rate_per_year"]["ci95"] == pytest.approx([-0.075, 0.875])
    assert entry["median"] == pytest.approx(MONTHS_LN2 / 0.4)
    assert format_interval(entry) == f"{MONTHS_LN2 / 0.4:.3g} [{MONTHS_LN2 / 0.875:.3g}, ∞)"
    # written as null in JSON, read back as +inf
    write_json({"compute": entry}, tmp_path / "e.json")
    stored = json.loads((tmp_path / "e.json").read_text())["compute"]
    assert stored["ci95"][1] is None and math.isinf(bounds(stored)[1])
    assert covers(stored, 1e6) and not covers(stored, 1.0)


def test_a_positive_rate_interval_inverts_to_a_bounded_one():
    entry = doubling_interval(np.linspace(0.2, 1.2, 101))
    assert entry["ci95"] == pytest.approx([MONTHS_LN2 / 1.175, MONTHS_LN2 / 0.225])
    assert not entry["unbounded"]
    # the interval of the rate maps to the interval of the time, not to a range of times
    # that includes negative months as percentiles of 12·ln2/r would
    signed = percentile_interval([MONTHS_LN2 / r for r in np.linspace(-0.1, 0.9, 100)])
    assert signed["ci95"][0] < 0


def test_an_entirely_negative_rate_interval_means_no_doubling():
    entry = doubling_interval([-0.3, -0.2, -0.1])
    assert entry["median"] == math.inf and entry["ci95"] == [math.inf, math.inf]
    assert format_interval(entry).startswith("no doubling")


def test_every_draw_is_counted_and_infinite_draws_are_kept():
    values = [1.0, 2.0, 3.0, np.inf, np.inf, np.nan]
    entry = percentile_interval(values)
    assert (entry["n_defined"], entry["n_draws"]) == (5, 6)
    assert entry["median"] == 3.0 and math.isinf(entry["ci95"][1])
    # with a tenth of the draws infinite the upper bound is infinite, not the largest finite
    gains = [float(k) for k in range(1, 91)] + [np.inf] * 10
    assert math.isinf(percentile_interval(gains)["ci95"][1])
    assert percentile_interval(gains)["n_defined"] == 100
    rate_entry = doubling_interval([0.5, 0.6, np.nan, 0.7])
    assert (rate_entry["n_defined"], rate_entry["n_draws"]) == (3, 4)


def test_quantiles_agree_with_numpy_on_finite_values():
    values = np.random.default_rng(0).normal(size=257)
    probs = [0.025, 0.3, 0.5, 0.975]
    assert quantiles(values, probs) == pytest.approx(list(np.percentile(values, [2.5, 30, 50, 97.5])))
    assert quantiles([1.0, np.inf], [0.0, 0.5, 1.0]) == [1.0, math.inf, math.inf]


def test_doubling_months_of_non_positive_rates_is_infinite():
    assert doubling_months(MONTHS_LN2 / 8.0) == pytest.approx(8.0)
    assert math.isinf(doubling_months(0.0)) and math.isinf(doubling_months(-0.2))
    assert math.isnan(doubling_months(math.nan))


def test_root_is_found_outward_from_zero_on_a_non_monotone_curve():
    # a gap that is positive at ±60 (the old bracket) but crosses zero at 0.9 and 3.1
    gap = lambda x: (x - 2.0) ** 2 - 1.21
    assert np.sign(gap(-60)) == np.sign(gap(60))
    assert root_nearest_zero(gap) == pytest.approx(0.9)
    assert root_nearest_zero(lambda x: x + 0.5) == pytest.approx(-0.5)  # root below zero
    assert math.isnan(root_nearest_zero(lambda x: x * x + 1))  # no root at all


def non_monotone_model7() -> tuple[np.ndarray, Normalizer]:
    """Model 7 whose u term grows with the year (α_year < 0): predicted loss first falls,
    then rises, so at ±60 years the prediction lies above the 2C loss on both sides."""
    params = {**REFERENCE_MODEL7, "alpha_year": -0.03, "beta_year": 0.12}
    theta = np.array([params[k] for k in MODELS[7].names])
    return theta, Normalizer(year0=2012.0, params0=1e6, tokens0=1e6)


def test_numerical_doubling_of_a_non_monotone_prediction_is_found():
    spec = MODELS[7]
    theta, norm = non_monotone_model7()
    n, d, _ = optimal_allocation(spec, theta, norm, 1e25, 2023.0)
    _, _, target = optimal_allocation(spec, theta, norm, 2e25, 2023.0)
    gap = lambda delta: predict_point(spec, theta, norm, year=2023.0 + delta, params=n,
                                      tokens=d) - target
    assert gap(-60) > 0 and gap(60) > 0  # the old ±60-year bracket had no sign change: NaN
    months = numerical_doubling(spec, theta, norm, 2023.0, 1e25)
    assert math.isfinite(months) and months > 0
    assert gap(months / 12) == pytest.approx(0, abs=1e-9)
    assert numerical_rate(spec, theta, norm, 2023.0, 1e25) == pytest.approx(MONTHS_LN2 / months)


def test_module_examples_run():
    failures, tried = doctest.testmod(analysis.intervals)
    assert tried > 0 and failures == 0
