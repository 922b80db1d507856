"""Trustworthy estimates: every refit at its global optimum (the warm start is one start among
several), and the estimators that are not made by their penalty."""

import numpy as np
import pytest

from analysis import solver
from analysis.bootstrap import bootstrap, resample_counts
from analysis.fitting import (AugmentedScalingLaw, FitResult, _explore_neighbours, problem,
                              refit, solve)
from analysis.models import MODELS, VARIANTS
from analysis.synthetic import REFERENCE_MODEL7, simulate

SPEC, DELTA = MODELS[7], 0.0025


@pytest.fixture(scope="module")
def two_basins():
    """A synthetic set whose objective has two local minima (seen in development)."""
    frame = simulate(SPEC, REFERENCE_MODEL7, n=231, noise=0.2, seed=1)
    fit = AugmentedScalingLaw(SPEC, DELTA, n_random_starts=10, seed=0).fit(frame)
    assert len(fit.optima) >= 2
    return frame, fit


def test_refit_escapes_a_warm_start_planted_in_the_worse_basin(two_basins):
    frame, fit = two_basins
    worse = fit.optima[1]
    planted = FitResult(SPEC, DELTA, worse, 0.0, 0.0, fit.normalizer, len(frame), 0.0, 1, 1,
                        optima=[worse])
    ls = problem(frame, SPEC, fit.normalizer)
    weights = np.ones((1, len(frame)))
    # a Newton search from the planted warm start stays in the worse basin ...
    stuck, stuck_value, _ = solver.newton(ls, solver.normalise_weights(weights), worse,
                                          np.full(SPEC.n_params, DELTA), np.zeros(SPEC.n_params),
                                          np.ones(SPEC.n_params, bool))
    assert stuck_value[0] > fit.objective * (1 + 1e-4)
    # ... the refit, with the warm start as one start among several, does not
    result = refit(planted, ls, weights, [(0, 0)], n_random=2, n_shared=0)
    assert result.diagnostics["paper"]["objective"][0] == pytest.approx(fit.objective, rel=1e-9)
    assert result.diagnostics["paper"]["warm_gap"][0] > 1e-4


def test_neighbour_starts_leave_a_basin_that_its_own_search_cannot(two_basins):
    frame, fit = two_basins
    ls, weights = problem(frame, SPEC, fit.normalizer), np.ones((1, len(frame)))
    l1, effect = np.full(SPEC.n_params, DELTA), np.zeros(SPEC.n_params)
    free = np.ones(SPEC.n_params, bool)
    stuck = solve(ls, weights, fit.optima[1][None, None], l1, effect, free)
    assert stuck.value[0] > fit.objective * (1 + 1e-3)  # certified, but in the worse basin
    moved = _explore_neighbours(ls, weights, stuck, l1, effect, free)
    assert moved.value[0] == pytest.approx(fit.objective, rel=1e-9)


def test_bootstrap_draws_whose_warm_start_fails_reach_an_independent_multistart(two_basins):
    frame, fit = two_basins
    draws = bootstrap(frame, fit, 40, seed=5, n_random=2)
    escaped = draws[draws["warm_gap"] > 1e-7]
    assert len(escaped) > 0, "the set must contain draws the warm start alone gets wrong"
    counts = resample_counts(frame, 40, 5, "evaluation")
    for row in escaped.head(3).itertuples():
        sample = frame.loc[frame.index.repeat(counts[row.draw].astype(int))].reset_index(drop=True)
        independent = AugmentedScalingLaw(SPEC, DELTA, n_random_starts=30, seed=99).fit(
            sample, fit.normalizer)
        assert row.objective <= independent.objective * (1 + 1e-7)
    assert (draws["level"] < 2).all() and (draws["kkt_bound"] <= 1e-6).all()


def test_refit_estimator_is_unpenalised_on_the_penalised_support():
    frame = simulate(SPEC, REFERENCE_MODEL7, n=231, noise=0.05, seed=4)
    fit = AugmentedScalingLaw(SPEC, 0.01, n_random_starts=4, estimator="refit").fit(frame)
    support = np.abs(fit.penalised.theta) > 0
    assert not support.all(), "δ = 0.01 should zero some coefficients"
    assert np.array_equal(np.abs(fit.theta) > 0, support)
    ls = problem(frame, SPEC, fit.normalizer)
    zero = np.zeros(SPEC.n_params)
    assert ls.kkt(np.full((1, len(frame)), 1 / len(frame)), fit.theta, zero, zero, support)[0] < 1e-6
    # without the shrinkage the fit is at least as close to the data
    assert fit.mse <= fit.penalised.mse


def test_effect_penalty_shrinks_toward_no_transformer_effect():
    spec = VARIANTS["transformer_gain"]
    truth = {**REFERENCE_MODEL7, "gamma_transformer": 3.0}
    frame = simulate(spec, truth, n=231, noise=0.05, seed=8)
    paper = AugmentedScalingLaw(spec, 0.02, n_random_starts=4, estimator="paper").fit(frame)
    effect = AugmentedScalingLaw(spec, 0.02, n_random_starts=4, estimator="effect").fit(frame)
    unpenalised = AugmentedScalingLaw(spec, 0.0, n_random_starts=4).fit(frame)
    k = spec.names.index("gamma_transformer")
    # the paper's penalty pulls γ toward 0, i.e. σ(γ) toward 0.5: a larger effect
    assert paper.theta[k] < unpenalised.theta[k] < effect.theta[k]
