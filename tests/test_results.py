"""The results API: hyperparameters as given, bootstrap SEs and intervals at any level,
derived quantities, summaries and an exact JSON round trip."""

import doctest
import json
import math

import numpy as np
import pytest

import analysis
import analysis.results
from analysis import (BootstrapResults, NotBootstrapped, ScalingLaw, ScalingLawResults, System,
                      percentile_interval)
from analysis.fitting import kkt_bound
from analysis.quantities import closed_form_doubling, closed_form_rates
from analysis.synthetic import REFERENCE_MODEL7


@pytest.fixture(scope="module")
def fitted(synthetic):
    """Model 7 fitted on the noisy synthetic set, and a 40-draw bootstrap of it."""
    frame = synthetic("model7_noisy")
    results = ScalingLaw(7, delta=0.0, random_starts=4, seed=0).fit(frame)
    return frame, results, results.bootstrap(40, seed=5)


def test_public_names_are_exported():
    for name in analysis.__all__:
        assert hasattr(analysis, name), name
    assert {"ScalingLaw", "ScalingLawResults", "BootstrapResults", "load_analysis_set"} <= set(
        analysis.__all__)


def test_hyperparameters_are_keyword_only_and_kept_as_given(fitted):
    with pytest.raises(TypeError):
        ScalingLaw(7, 0.0025)
    model = ScalingLaw("transformer_gain", delta=0.001, random_starts=3, seed=9,
                       estimator="refit")
    assert model.get_params() == {"model": "transformer_gain", "delta": 0.001,
                                  "random_starts": 3, "seed": 9, "estimator": "refit"}
    assert "gamma_transformer" in model.spec.names
    frame, results, _ = fitted
    assert results.model.get_params() == {"model": 7, "delta": 0.0, "random_starts": 4, "seed": 0,
                                          "estimator": "paper"}
    with pytest.raises(ValueError, match="delta"):
        ScalingLaw(7, delta=-0.1).fit(frame)
    with pytest.raises(ValueError, match="random_starts"):
        ScalingLaw(7, random_starts=1.5).fit(frame)
    with pytest.raises(ValueError, match="unknown estimator"):
        ScalingLaw(7, estimator="lasso").fit(frame)
    with pytest.raises(ValueError, match="unknown model"):
        ScalingLaw(99).spec
    with pytest.raises(ValueError, match="unknown variant"):
        ScalingLaw("hinges").spec


def test_fit_recovers_the_planted_coefficients(fitted):
    _, results, _ = fitted
    assert list(results.params.index) == analysis.MODELS[7].names
    assert results.kkt < 1e-6 and results.nobs == 80
    rate = lambda p: p["alpha_year"] / p["alpha_N"] + p["beta_year"] / p["beta_D"]
    assert rate(results.params) == pytest.approx(rate(REFERENCE_MODEL7), rel=0.3)


def test_point_fit_has_no_standard_errors_until_bootstrapped(fitted):
    _, results, _ = fitted
    with pytest.raises(NotBootstrapped, match="bootstrap"):
        results.bse
    with pytest.raises(NotBootstrapped, match="bootstrap"):
        results.conf_int()


def test_bootstrap_standard_errors_and_intervals_at_any_level(fitted):
    frame, results, boot = fitted
    assert isinstance(boot, BootstrapResults) and boot.n == 40 and boot.unit == "evaluation"
    draws = boot.draws[boot.spec.names]
    assert np.allclose(boot.bse, draws.std(ddof=1))
    ci95, ci80 = boot.conf_int(0.05), boot.conf_int(alpha=0.2)
    assert np.allclose(ci95["lower"], np.percentile(draws, 2.5, axis=0))
    assert (ci80["lower"] >= ci95["lower"]).all() and (ci80["upper"] <= ci95["upper"]).all()
    assert (ci80["upper"] - ci80["lower"] > 0).all()
    # the planted compute-doubling rate lies inside the interval of the doubling time
    truth = closed_form_doubling(REFERENCE_MODEL7)["compute"]
    entry = boot.doubling_time_intervals(level=0.95)["compute"]
    assert entry["ci95"][0] < truth < entry["ci95"][1]
    assert (entry["n_defined"], entry["n_draws"]) == (40, 40)
    # percentiles of the rate, inverted: the doubling-time interval is the rate interval's image
    rates = [closed_form_rates(r)["compute"] for r in draws.to_dict("records")]
    low, high = np.percentile(rates, [2.5, 97.5])
    assert entry["ci95"] == pytest.approx([12 * math.log(2) / high, 12 * math.log(2) / low])
    assert set(boot.doubling_time_intervals(level=0.9)["compute"]) == {
        "median", "ci90", "rate_per_year", "unbounded", "n_defined", "n_draws"}
    with pytest.raises(ValueError, match="alpha"):
        boot.conf_int(1.5)


def test_bootstrap_is_seeded(fitted):
    frame, results, boot = fitted
    again = results.bootstrap(40, seed=5)
    assert again.draws.equals(boot.draws)
    assert not results.bootstrap(5, seed=6).draws.equals(boot.draws.head(5))
    with pytest.raises(ValueError, match="unit"):
        results.bootstrap(3, seed=1, unit="row")


def test_interval_names_its_key_by_the_level():
    values = np.arange(101.0)
    assert percentile_interval(values)["ci95"] == pytest.approx([2.5, 97.5])
    assert percentile_interval(values, level=0.9)["ci90"] == pytest.approx([5.0, 95.0])
    assert "ci99.5" in percentile_interval(values, level=0.995)
    assert percentile_interval([np.nan, np.nan], level=0.8) == {
        "median": None, "ci80": [None, None], "n_defined": 0, "n_draws": 2}
    with pytest.raises(ValueError, match="level"):
        percentile_interval(values, level=95)


def test_derived_quantities_at_the_estimate(fitted, synthetic):
    _, results, _ = fitted
    assert results.doubling_times() == closed_form_doubling(results.params.to_dict())
    numeric = results.numerical_doubling_time(year=2023.0, compute=1e25)
    assert numeric == pytest.approx(results.doubling_times()["compute"], rel=0.5)
    rnn = System.published(6e6, 9.29e5, "2012-12-01")
    assert rnn.year == pytest.approx(2012 + 335 / 365)
    shares = results.shapley(rnn, {"params": 7e10, "tokens": 1.4e12, "year": 2022.2})
    assert sum(shares.values()) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="gamma_transformer"):
        results.transformer_gain(1e25)
    with pytest.raises(ValueError, match="year"):
        results.shapley({"params": 1e7, "tokens": 1e8}, rnn)
    gain = ScalingLaw("transformer_gain", delta=0.0, random_starts=2).fit(
        synthetic("transformer_gain")).transformer_gain(1e25)
    assert gain["gain"] > 1
    assert gain["loss_reduction"] == pytest.approx(1 - 1 / (1 + math.exp(-2.0)), abs=0.03)


def test_summaries_name_what_they_show(fitted):
    _, results, boot = fitted
    text = results.summary()
    assert text.startswith("Model 7") and "alpha_N" in text and "doubling times" in text
    text = boot.summary(level=0.9)
    assert "40 resamples" in text and "ci90 lower" in text and "40/40 defined draws" in text


def test_json_round_trip_is_exact(fitted):
    frame, results, boot = fitted
    again = ScalingLawResults.from_json(results.to_json())
    assert type(again) is ScalingLawResults
    assert again.params.equals(results.params) and again.summary() == results.summary()
    assert again.normalizer == results.normalizer and again.objective == results.objective
    with pytest.raises(ValueError, match="data"):
        again.bootstrap(2, seed=1)
    assert again.bootstrap(3, seed=2, data=frame).draws.equals(results.bootstrap(3, seed=2).draws)
    boot_again = ScalingLawResults.from_json(boot.to_json())
    assert isinstance(boot_again, BootstrapResults)
    assert boot_again.bse.equals(boot.bse) and boot_again.summary() == boot.summary()
    assert boot_again.conf_int(0.1).equals(boot.conf_int(0.1))


def test_rebuilds_the_pipelines_main_model_entry(fitted):
    _, results, _ = fitted
    entry = json.loads(json.dumps(results.fit_result.to_dict()))  # as estimates.json stores it
    again = ScalingLawResults.from_dict(entry)
    assert again.params.equals(results.params)
    assert again.kkt == kkt_bound(results.kkt) == 1e-6  # written as the certificate's bound


def test_module_example_runs():
    failures, tried = doctest.testmod(analysis.results)
    assert tried > 0 and failures == 0
