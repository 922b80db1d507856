"""The report puts each number under its own heading."""

import json

import pandas as pd

from analysis.report import write_report

INTERVAL = {"median": 8.0, "ci95": [4.0, 14.0], "n_valid": 10}


def test_shapley_columns_follow_the_header(valid_csv, tmp_path):
    analysis = pd.DataFrame({"reference": ["a", "b"], "transformer": [1, 0], "year": [2019.0, 2020.0],
                             "benchmark": ["wt103", "ptb"]})
    analysis.to_csv(tmp_path / "analysis.csv", index=False)
    pd.DataFrame({"reason": ["uncertain"]}).to_csv(tmp_path / "exclusions.csv", index=False)
    pd.DataFrame({"model": [7], "delta": [0.0025], "n_params": [10], "loocv_mse": [0.05],
                  "loocv_r2": [0.9], "heldout_mse": [0.06], "refits": [0], "rank": [1]}
                 ).to_csv(tmp_path / "selection.csv", index=False)
    shares = {"N": 0.45, "D": 0.33, "parameter efficiency": 0.03, "data efficiency": 0.19}
    estimates = {
        "main_model": {"model": 7, "delta": 0.0025, "objective": 0.05, "n_obs": 2,
                       "optimality": {"kkt_residual": 1e-9, "starts": 18, "starts_agreeing": 9}},
        "parameter_table": {"alpha_N": {"estimate": 0.07, "se": 0.01, "ci95": [0.05, 0.09]}},
        "bootstrap": {"n": 10, "seed": 0, "escalations": {"lbfgs": 0, "multistart": 0},
                      "share_alpha_plus_beta_year_negative": 0.05},
        "doubling_time_months": {k: INTERVAL for k in ("compute", "compute_numerical",
                                                       "top10_aggregate", "parameters", "data")},
        "doubling_time_months_paper_clustered": {"compute": INTERVAL},
        "transformer_ceg": {k: {**INTERVAL, "loss_reduction": INTERVAL} for k in ("1e22", "1e25")},
        "cutoff_years": [], "top10": [],
        "shapley": {"RNN 2012 -> Chinchilla": dict(sorted(shares.items()))},  # as JSON sorts
    }
    (tmp_path / "estimates.json").write_text(json.dumps(estimates, sort_keys=True))
    (tmp_path / "sensitivity.json").write_text(json.dumps({}))
    out = tmp_path / "report.md"
    write_report(str(valid_csv), *(str(tmp_path / f) for f in (
        "analysis.csv", "exclusions.csv", "selection.csv", "estimates.json", "sensitivity.json")),
        str(out))
    text = out.read_text()
    assert "| systems | N | D | parameter efficiency | data efficiency |" in text
    assert "| RNN 2012 -> Chinchilla | 0.45 | 0.33 | 0.03 | 0.19 |" in text
