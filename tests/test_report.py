"""The report: each number under its own heading, beside the paper's with its share of defined
draws, unbounded intervals shown as such, what the data can and cannot support in words, the
data's coverage by year × benchmark × evidence, and the calibration study when given."""

import json

import pandas as pd
import pytest

from analysis.intervals import doubling_interval, percentile_interval
from analysis.report import optimum_sentence, write_report

BOUNDED = doubling_interval([0.6, 0.8, 1.0, 1.2, 1.4] * 20)  # rates per year: doubling in months
UNBOUNDED = doubling_interval([-0.2, 0.3, 0.7, 0.9, 1.1] * 20)
CEG = {**percentile_interval([3.0, 5.0, 9.0] * 10), "loss_reduction": percentile_interval(
    [0.03, 0.04, 0.05])}


def write_inputs(tmp_path, doubling: dict, ceg: dict) -> list[str]:
    analysis = pd.DataFrame({"line": [2, 4], "reference": ["a", "b"], "transformer": [0, 1],
                             "year": [2016.3, 2019.0], "benchmark": ["ptb", "wt103"]})
    analysis.to_csv(tmp_path / "analysis.csv", index=False)
    pd.DataFrame({"line": [3], "reason": ["uncertain"]}).to_csv(tmp_path / "exclusions.csv",
                                                                index=False)
    pd.DataFrame({"model": [7], "delta": [0.0025], "n_params": [10], "loocv_mse": [0.05],
                  "loocv_r2": [0.9], "heldout_mse": [0.06], "refits": [0], "rank": [1]}
                 ).to_csv(tmp_path / "selection.csv", index=False)
    shares = {"N": 0.45, "D": 0.33, "parameter efficiency": 0.03, "data efficiency": 0.19}
    estimates = {
        "main_model": {"model": 7, "delta": 0.0025, "objective": 0.05, "n_obs": 2,
                       "optimality": {"kkt_bound": 1e-6, "certified": True, "starts": 18,
                                      "starts_agreeing": 9},
                       "params": {"alpha_N": 0.07}},
        "numerics": {"blas": [{"library": "openblas", "version": "0.3.31", "kernel": "Nehalem",
                               "threads": 1}], "numpy_simd_extensions": [], "pinned": True},
        "parameter_table": {"alpha_N": {"estimate": 0.07, "se": 0.01,
                                        **percentile_interval([0.05, 0.07, 0.09])}},
        "bootstrap": {"n": 100, "seed": 0, "refits": {"refit": {
            "n": 100, "lbfgs_needed": 0, "certificate_failed": 0, "warm_start_not_best": 7,
            "starts_per_refit": 11, "median_starts_agreeing": 4.0}},
                      "share_alpha_plus_beta_year_negative": 0.05},
        "doubling_time_months": doubling,
        "doubling_time_months_paper_clustered": {"compute": BOUNDED},
        "transformer_ceg": ceg,
        "cutoff_years": [{"cutoff": 2018, "before": BOUNDED, "after": UNBOUNDED}], "top10": [],
        "shapley": {"RNN 2012 -> Chinchilla": dict(sorted(shares.items()))},  # as JSON sorts
    }
    from analysis.pieces import write_json  # as the pipeline writes it: inf as null
    write_json(estimates, tmp_path / "estimates.json")
    (tmp_path / "sensitivity.json").write_text(json.dumps({}))
    return [str(tmp_path / f) for f in ("analysis.csv", "exclusions.csv", "selection.csv",
                                        "estimates.json", "sensitivity.json")]


@pytest.fixture
def report(valid_csv, tmp_path):
    doubling = {"compute": BOUNDED, "compute_numerical": BOUNDED, "top10_aggregate": BOUNDED,
                "parameters": UNBOUNDED, "data": doubling_interval([0.5, float("nan")] * 50)}
    ceg = {"1e22": CEG, "1e25": {**percentile_interval([3.0] * 90 + [float("inf")] * 10),
                                 "loss_reduction": CEG["loss_reduction"]}}
    out = tmp_path / "report.md"
    write_report(str(valid_csv), *write_inputs(tmp_path, doubling, ceg), str(out))
    return out.read_text()


def test_shapley_columns_follow_the_header(report):
    assert "| systems | N | D | parameter efficiency | data efficiency |" in report
    assert "| RNN 2012 -> Chinchilla | 0.45 | 0.33 | 0.03 | 0.19 |" in report


def test_headline_numbers_stand_beside_the_paper_with_their_defined_draws(report):
    assert "| compute doubling, closed form (months) | 8.32 [5.94, 13.9] | 100/100 | " \
           "8.4 [4.5, 14.3] |" in report
    assert "| effective-parameter doubling (months) | 11.9 [7.56, ∞) | 100/100 |" in report
    assert "| effective-data doubling (months) | 16.6 [16.6, 16.6] | 50/100 |" in report
    assert "| transformer CEG at 1e25 FLOP | 3× [3, ∞) | 100/100 | 7.2× [3.3, 45.7] |" in report


def test_the_report_says_what_the_data_can_and_cannot_support(report):
    words = report.split("### What the data can and cannot support", 1)[1].split("##", 1)[0]
    assert "support, at the 95% level: the compute doubling, closed form, 5.94 to 13.9 months" \
        in words
    assert "an upper bound on the effective-parameter doubling" in words and "-0.2" in words
    assert "an upper bound on the transformer's compute-equivalent gain at 1e25" in words
    assert "effective-data doubling (months)" in words.split("Draws without a defined value")[1]


def test_the_data_section_counts_the_analysis_set_by_year_benchmark_and_evidence(report):
    table = report.split("### Analysis set by publication year × benchmark × evidence", 1)[1]
    assert "| year | ptb paper | wt103 paper | all |" in table
    assert "| 2016 | 1 | 0 | 1 |" in table and "| 2019 | 0 | 1 | 1 |" in table


def test_the_calibration_study_is_included_when_given(valid_csv, tmp_path):
    doubling = {"compute": BOUNDED}
    inputs = write_inputs(tmp_path, doubling, {"1e25": CEG})
    table = pd.DataFrame([
        {"quantity": "compute_doubling", "design": "n231", "estimator": "paper",
         "method": "rate_percentile", "n_sim": 200, "n_boot": 200, "coverage": 0.75,
         "coverage_se": 0.03, "median_width": 9.0, "relative_bias": -0.3, "truth": "paper",
         "model": "preferred", "truth_value": 8.7},
        {"quantity": "ceg_1e25", "design": "n231", "estimator": "paper", "method": "percentile",
         "n_sim": 200, "n_boot": 200, "coverage": 0.95, "coverage_se": 0.015,
         "median_width": float("inf"), "relative_bias": 0.05, "truth": "paper",
         "model": "transformer_gain", "truth_value": 5.5}])
    table.to_csv(tmp_path / "calibration.csv", index=False)
    out = tmp_path / "report.md"
    write_report(str(valid_csv), *inputs, str(out), calibration_csv=str(tmp_path / "calibration.csv"))
    text = out.read_text()
    assert "| ceg_1e25 | transformer_gain | n231 | paper | paper | percentile | 200 × 200 | " \
           "95% ± 2% | ∞ | +5% |" in text
    assert "Not calibrated: compute_doubling (preferred fit, n231 design, paper truth, paper): " \
           "coverage 75% ± 3%, bias -30%" in text
    assert "favours **paper**" in text


def test_the_optimum_sentence_names_diverging_coefficients_and_neighbour_optima():
    fit = {"optimality": {"starts_agreeing": 0, "starts": 20},
           "params": {"alpha0": 1.26, "alpha0_wt2": -21.43, "beta_D": 0.06}}
    text = optimum_sentence(fit)
    assert "None of the 20 starts" in text and "neighbour starts" in text
    assert "alpha0_wt2 = -21.4" in text and "alpha0 =" not in text and "beta_D" not in text
    fit = {"optimality": {"starts_agreeing": 12, "starts": 18}, "params": {"alpha0": 1.4}}
    assert optimum_sentence(fit) == "12/18 starts reached the same optimum."
