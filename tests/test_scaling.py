"""The published scaling laws, their compute-optimal allocations, and Appendix B."""

import math

import numpy as np
import pytest
from scipy.optimize import brentq, minimize_scalar

from analysis.scaling import (CHINCHILLA, KAPLAN, ChinchillaLaw, gain_of_allocation,
                              kaplan_vs_chinchilla_gain)


def test_chinchilla_exponents_use_the_correct_b():
    assert CHINCHILLA.a == pytest.approx(0.28 / 0.62)
    assert CHINCHILLA.b == pytest.approx(0.34 / 0.62)  # not α/(β+β) = 0.607
    assert CHINCHILLA.a + CHINCHILLA.b == pytest.approx(1.0)


@pytest.mark.parametrize("compute", [1e19, 1e22, 1e25])
def test_chinchilla_optimum_spends_the_budget_and_minimises_loss(compute):
    n, d = CHINCHILLA.optimal_params(compute), CHINCHILLA.optimal_tokens(compute)
    assert 6 * n * d == pytest.approx(compute)
    best = minimize_scalar(lambda ln: CHINCHILLA.loss(math.exp(ln), compute / (6 * math.exp(ln))),
                           bounds=(5, math.log(compute / 6) - 5), method="bounded",
                           options={"xatol": 1e-10})
    assert math.exp(best.x) == pytest.approx(n, rel=1e-4)
    assert CHINCHILLA.optimal_loss(compute) == pytest.approx(best.fun, rel=1e-12)


def test_compute_for_loss_inverts_the_frontier_like_a_root_find():
    law = ChinchillaLaw(1.82, 482.0, 2085.0, 0.348, 0.366)
    for compute in (3e20, 5e23):
        loss = law.optimal_loss(compute)
        root = brentq(lambda lc: law.optimal_loss(math.exp(lc)) - loss, math.log(1e15),
                      math.log(1e30), xtol=1e-13)
        assert law.compute_for_loss(loss) == pytest.approx(compute, rel=1e-9)
        assert math.exp(root) == pytest.approx(compute, rel=1e-9)
    assert np.isinf(law.compute_for_loss(law.E))  # the irreducible loss is never reached


def test_kaplan_laws_at_their_constants():
    assert KAPLAN.loss_params(KAPLAN.N_c) == pytest.approx(1.0)
    assert KAPLAN.loss_tokens(KAPLAN.D_c) == pytest.approx(1.0)
    # ten times the compute: ~5.4× the parameters and ~1.9× the data
    assert KAPLAN.optimal_params(1e23) / KAPLAN.optimal_params(1e22) == pytest.approx(10**0.73)
    assert KAPLAN.optimal_tokens(1e23) / KAPLAN.optimal_tokens(1e22) == pytest.approx(10**0.27)
    assert KAPLAN.loss_compute(KAPLAN.C_c * 1e15 * 86400) == pytest.approx(1.0)


def test_kaplan_joint_optimum_minimises_the_joint_law():
    compute = 1e21
    n, d = KAPLAN.joint_optimum(compute)
    assert 6 * n * d == pytest.approx(compute)
    best = minimize_scalar(lambda ln: KAPLAN.loss(math.exp(ln), compute / (6 * math.exp(ln))),
                           bounds=(10, 30), method="bounded", options={"xatol": 1e-10})
    assert math.exp(best.x) == pytest.approx(n, rel=1e-4)


def test_appendix_b_reproduces_the_papers_gains():
    assert gain_of_allocation(3e23, 3e11) == pytest.approx(2.90, rel=0.02)  # GPT-3
    assert gain_of_allocation(2.53e24, 7.8e11) == pytest.approx(3.64, rel=0.02)  # PaLM 540B
    gains = kaplan_vs_chinchilla_gain(np.geomspace(1e19, 1e25, 7))
    assert np.all(np.diff(gains) > 0) and gains[0] > 1
    # any allocation is at best as good as the Chinchilla optimum
    assert gain_of_allocation(1e22, CHINCHILLA.optimal_tokens(1e22)) == pytest.approx(1.0)
