"""The robustness appendices: direct-progress regressions, the compute-optimal frontier of a
fitted law, effective data, the integer-year cutoff, correlated errors, report sections."""

import json
import math

import yaml

import numpy as np
import pandas as pd
import pytest

from analysis.appendices import (as_chinchilla, direct_progress, doubling_from_rate,
                                 frontier_loss, ols_trend)
from analysis.appendix_fits import (doubling_summary, effective_data, not_enough_rows,
                                    year_dummy)
from analysis.appendix_steps import merge, run
from analysis.cli import main
from analysis.clustered import Equicorrelated
from analysis.fitting import AugmentedScalingLaw
from analysis.models import MODELS, VARIANTS, Normalizer, design, predict
from analysis.quantities import optimal_allocation
from analysis.report_appendices import appendix_sections
from analysis.scaling import BESIROGLU
from analysis.synthetic import REFERENCE_MODEL7, chinchilla_points, simulate, synthetic_inputs


def wt103_rows(n, halving_years=1.0, seed=0):
    """WikiText-103 rows at perplexity 20 ± 3% whose compute halves every `halving_years`."""
    rng = np.random.default_rng(seed)
    year = 2019.0 + np.arange(n) * 0.5
    compute = 1e20 * 2.0 ** (-(year - 2019.0) / halving_years) * np.exp(0.05 * rng.standard_normal(n))
    return pd.DataFrame({
        "system": ["Reference"] + [f"S{i}" for i in range(1, n)],
        "reference": [f"paper {i}" for i in range(n)], "benchmark": "wt103",
        "perplexity": 20.0 * (1 + 0.03 * rng.uniform(-1, 1, n)), "perplexity_level": "word",
        "year": year, "params": compute / 6e9, "tokens": 1e9, "training_compute": np.nan,
        "line": np.arange(n) + 2})


def test_direct_progress_recovers_a_planted_halving_time():
    out = direct_progress(wt103_rows(12, halving_years=1.0), "Reference", 1.1)
    assert out["status"] == "ok" and out["n_evaluations"] == 12
    halving = out["halving_time_months"]
    assert halving["estimate"] == pytest.approx(12.0, rel=0.05)
    assert halving["ci95"][0] < 12.0 < halving["ci95"][1]
    assert "year" in out["regression"]["table"]


def test_direct_progress_says_when_rows_are_too_few():
    rows = wt103_rows(5)
    assert direct_progress(rows, "Reference", 1.1)["status"].startswith("not enough rows: 5")
    assert direct_progress(rows, "Gopher (280B)", 1.1)["status"].startswith("not enough rows")
    other_paper = wt103_rows(8).assign(reference="one paper")  # one evaluation per paper
    assert direct_progress(other_paper, "Reference", 1.1)["n_evaluations"] == 1


def test_rate_intervals_reaching_zero_are_unbounded():
    assert doubling_from_rate(0.5, [0.2, 0.8])["ci95"] == pytest.approx(
        [math.log(2) / 0.8 * 12, math.log(2) / 0.2 * 12])
    assert doubling_from_rate(0.5, [-0.1, 0.8])["ci95"][1] is None
    spec = MODELS[3]  # α year term only: compute doubling = parameter doubling
    draws = pd.DataFrame({"alpha0": 1.0, "alpha_year": [0.01, 0.02, -0.03], "alpha_N": 0.1,
                          "beta0": 1.0, "beta_D": 0.1})
    summary = doubling_summary(draws, spec, draws.iloc[1].to_dict())["compute"]
    assert summary["point"] == pytest.approx(12 * math.log(2) / 0.2)
    assert summary["unbounded"] and math.isinf(summary["ci95"][1])
    assert summary["n_defined"] == summary["n_draws"] == 3
    trend = ols_trend([1, 2, 3, 4], [2.0, 4.1, 5.9, 8.0], "x", "y")
    assert trend["slope"] == pytest.approx(1.98) and trend["n"] == 4


def test_model7_frontier_matches_a_numerical_optimum():
    frame = simulate(MODELS[7], REFERENCE_MODEL7, n=120, noise=0.0, seed=1)
    fit = AugmentedScalingLaw(MODELS[7], 0.0, n_random_starts=0).fit(frame)
    law = as_chinchilla(MODELS[7], fit.theta, fit.normalizer, 2023.0)
    closed = frontier_loss(law, np.array([1e22]))[0, 0]
    _, _, numeric = optimal_allocation(MODELS[7], fit.theta, fit.normalizer, 1e22, 2023.0)
    assert closed == pytest.approx(numeric, rel=1e-6)


def test_effective_data_counts_repetitions_not_epochs():
    tokens, one = pd.Series([1e9]), pd.Series([1.0])
    assert effective_data(tokens, one, 2.9157)[0] == pytest.approx(1e9)
    reference = effective_data(tokens, one, 2.9157, repetitions_are_epochs=True)[0]
    assert reference == pytest.approx(1.846e9, rel=1e-3)  # the reference's single-epoch credit
    many = effective_data(tokens, pd.Series([1000.0]), 2.9157)[0]
    assert many == pytest.approx(1e9 * (1 + 2.9157), rel=1e-6)  # saturates at (1 + R*)·D


def test_integer_year_dummy_jumps_at_the_cutoff_and_the_hinge_does_not():
    frame = synthetic_inputs(4, seed=0).assign(year=[2017.99, 2018.0, 2017.999, 2018.01])
    theta7 = [REFERENCE_MODEL7[k] for k in MODELS[7].names]
    norm = Normalizer(2012.0, 1e6, 1e6)
    for spec, jumps in ((year_dummy(2018), True), (VARIANTS["hinge"].with_cutoff(2018.0), False)):
        theta = np.array(theta7 + [0.05, 0.05])
        pred = predict(design(frame, spec, norm), theta)
        same_rest = predict(design(frame, MODELS[7], norm), np.array(theta7))
        step = abs((pred[1] - same_rest[1]) - (pred[2] - same_rest[2]))
        assert (step > 1e-3) == jumps
    assert not_enough_rows(frame, year_dummy(2018)).startswith("not enough rows: 4")


def test_whitening_gives_the_equicorrelated_quadratic_form():
    frame = simulate(MODELS[7], REFERENCE_MODEL7, n=9, noise=0.0, seed=4)
    frame["reference"] = ["a", "b", "b", "b", "c", "c", "c", "c", "c"]
    model = Equicorrelated(frame, MODELS[7], Normalizer.of(frame))
    e = np.random.default_rng(1).standard_normal(9)
    rho = 0.4
    same = frame["reference"].to_numpy()[:, None] == frame["reference"].to_numpy()[None, :]
    corr = np.where(same, rho, 0.0) + (1 - rho) * np.eye(9)
    assert np.sum(model._whiten(e, rho) ** 2) == pytest.approx(e @ np.linalg.solve(corr, e))


def test_equicorrelated_likelihood_recovers_the_correlation():
    rng = np.random.default_rng(0)
    frame = simulate(MODELS[7], REFERENCE_MODEL7, n=600, noise=0.0, seed=4)
    frame["reference"] = [f"paper {i}" for i in rng.permutation(np.arange(600) % 100)]
    sigma, rho = 0.1, 0.6
    shared = rng.standard_normal(100)[frame["reference"].str[6:].astype(int)]
    frame["log_ppl"] += sigma * (math.sqrt(rho) * shared
                                 + math.sqrt(1 - rho) * rng.standard_normal(len(frame)))
    norm = Normalizer.of(frame)
    start = AugmentedScalingLaw(MODELS[7], 0.0, n_random_starts=2).fit(frame, norm).theta
    fit = Equicorrelated(frame, MODELS[7], norm).fit(start)
    assert fit["rho"] == pytest.approx(rho, abs=0.1)
    assert fit["sigma"] == pytest.approx(sigma, rel=0.2)
    assert min(fit["profile"]["neg_log_likelihood"]) >= fit["neg_log_likelihood"] - 1e-9


def test_appendix_files_merge_into_report_sections(tmp_path):
    config = yaml.safe_load(open("workflow/config.yaml"))
    run("B", str(tmp_path / "B.json"), {"scaling_gain": config["appendices"]["scaling_gain"]})
    with pytest.raises(ValueError, match="needs the settings selection"):
        run("A", str(tmp_path / "A.json"), {"direct_progress": {}}, raw="tests/data/valid.csv")
    run("A", str(tmp_path / "A.json"), {"direct_progress": config["appendices"]["direct_progress"],
                                        "selection": config["selection"]},
        raw="tests/data/valid.csv")
    merge([str(tmp_path / "A.json"), str(tmp_path / "B.json")], str(tmp_path / "all.json"))
    merged = json.loads((tmp_path / "all.json").read_text())
    assert list(merged) == ["A", "B"]
    assert merged["B"]["ceg"]["GPT-3"] == pytest.approx(2.90, rel=0.02)
    text = "\n".join(appendix_sections(str(tmp_path / "all.json")))
    assert "### Appendix A" in text and "### Appendix B" in text
    assert "not enough rows" in text and "| GPT-3 | 3e+23 | 3e+11 | 2.896× |" in text


def test_scaling_fit_command(tmp_path, capsys):
    path = tmp_path / "points.csv"
    chinchilla_points(BESIROGLU, 60, 0.01, seed=2).to_csv(path, index=False)
    assert main(["scaling-fit", str(path), "--form", "chinchilla", "--bootstrap", "20"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("E", "A", "B", "alpha", "beta", "a", "b", "objective", "n", "ci95"):
        assert key in out
    assert out["n"] == 60 and set(out["ci95"]) == {"E", "A", "B", "alpha", "beta", "a", "b"}
    pd.DataFrame({"params": [1e8], "loss": [3.0]}).to_csv(path, index=False)
    assert main(["scaling-fit", str(path)]) == 1
    assert "missing column(s) tokens" in capsys.readouterr().err
