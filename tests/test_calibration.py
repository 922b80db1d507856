"""The calibration study: simulated sets from a planted truth, pushed through the fit, the
bootstrap and the intervals; a correctly specified case covers its truth in most sets, a
wrong truth in few; the chunks are seeded and merge into the documented table."""

import math

import pandas as pd
import pytest

from analysis.calibration import (SUMMARY_COLUMNS, ceg_key, design_frame, estimates, paper_truth,
                                  run_chunk, summarise, true_values, write_truths)
from analysis.models import MODELS
from analysis.pieces import write_json
from analysis.pipeline import FitSettings

COMPUTES = [1e22, 1e25]


@pytest.fixture(scope="module")
def unpenalised_rows(tmp_path_factory):
    """Eight simulated 150-row sets from the paper truth with little noise, fitted without a
    penalty (a correctly specified estimator), 25 bootstrap draws each."""
    folder = tmp_path_factory.mktemp("calibration")
    write_json({"paper": paper_truth(0.046)}, folder / "truths.json")
    pd.DataFrame({"line": [1]}).to_csv(folder / "unused.csv", index=False)
    run_chunk(str(folder / "unused.csv"), str(folder / "truths.json"), str(folder / "rows.csv"),
              truth="paper", design_name="n150", chunk=0, chunk_size=8, n_sim=8, n_boot=25,
              noise_sd=0.05, estimators=["paper"], model=7, delta=0.0,
              settings=FitSettings(random_starts=2, seed=0),
              calibration_seed=0, computes=COMPUTES, year=2023.0, progress=False)
    return pd.read_csv(folder / "rows.csv")


def test_a_correctly_specified_case_covers_its_truth_in_most_sets(unpenalised_rows):
    rows = unpenalised_rows
    assert len(rows) == 8 * 6 and rows["sim"].nunique() == 8
    assert (rows["n_draws"] == 25).all() and (rows["n_defined"] == 25).all()
    table = summarise(rows).set_index(["quantity", "model", "method"])
    for key in [("compute_doubling", "transformer_gain", "rate_percentile"),
                ("ceg_1e22", "transformer_gain", "percentile"),
                ("ceg_1e25", "transformer_gain", "percentile")]:
        assert table.loc[key, "coverage"] >= 6 / 8, key
        assert abs(table.loc[key, "relative_bias"]) < 0.15, key
    truth = rows["truth_value"][rows["quantity"] == "ceg_1e25"].iloc[0]
    assert truth == pytest.approx(true_values(paper_truth(0.046), design_frame("n150", None, 0),
                                              COMPUTES, 2023.0)["ceg_1e25"])


def test_a_wrong_truth_is_rarely_covered(unpenalised_rows):
    ceg = unpenalised_rows[unpenalised_rows["quantity"] == "ceg_1e25"]
    wrong = 3 * ceg["truth_value"]
    assert ((ceg["lower"] <= wrong) & (wrong <= ceg["upper"])).sum() <= 2


def test_summary_has_the_documented_columns_and_binomial_errors(unpenalised_rows):
    table = summarise(unpenalised_rows)
    assert list(table.columns) == SUMMARY_COLUMNS
    assert set(table["quantity"]) == {"compute_doubling", "ceg_1e22", "ceg_1e25"}
    assert set(table["method"]) == {"rate_percentile", "time_percentile", "percentile"}
    row = table.iloc[0]
    assert row["coverage_se"] == pytest.approx(math.sqrt(row["coverage"] * (1 - row["coverage"]) / 8))
    assert (table["n_sim"] == 8).all() and (table["n_boot"] == 25).all()


def test_chunks_are_seeded_and_do_not_overlap(tmp_path):
    write_json({"paper": paper_truth(0.046)}, tmp_path / "truths.json")
    pd.DataFrame({"line": [1]}).to_csv(tmp_path / "unused.csv", index=False)
    options = dict(truth="paper", design_name="n60", chunk_size=1, n_sim=3, n_boot=3,
                   noise_sd=0.1, estimators=["paper"], model=7, delta=0.0025,
                   settings=FitSettings(random_starts=1, seed=0), calibration_seed=4, computes=[1e25], year=2023.0, progress=False)
    for name, chunk in (("a", 1), ("b", 1), ("c", 2), ("d", 3)):
        run_chunk(str(tmp_path / "unused.csv"), str(tmp_path / "truths.json"),
                  str(tmp_path / f"{name}.csv"), chunk=chunk, **options)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    a, c = pd.read_csv(tmp_path / "a.csv"), pd.read_csv(tmp_path / "c.csv")
    assert a["sim"].unique().tolist() == [1] and c["sim"].unique().tolist() == [2]
    assert not a["estimate"].equals(c["estimate"])
    assert len(pd.read_csv(tmp_path / "d.csv")) == 0  # past n_sim: no sets


def test_truths_designs_and_estimators_are_checked(tmp_path, synthetic):
    truth = paper_truth(0.046)
    assert 1 - 1 / (1 + math.exp(-truth["gamma_transformer"])) == pytest.approx(0.046)
    with pytest.raises(ValueError, match="loss_reduction"):
        paper_truth(1.5)
    with pytest.raises(ValueError, match="unknown truths"):
        write_truths("unused.csv", str(tmp_path / "t.json"), truths=["mine"], loss_reduction=0.05,
                     delta=0.0, settings=FitSettings(random_starts=1))
    with pytest.raises(ValueError, match="n<rows>"):
        design_frame("large", None, 0)
    frame = synthetic("model7_noisy")
    assert len(design_frame("observed", frame, 0)) == 80 and len(design_frame("n231", None, 0)) == 231
    with pytest.raises(ValueError, match="unknown estimator.*'ridge'.*'paper'"):
        estimates(frame, MODELS[7], ["ridge"], delta=0.0, settings=FitSettings(random_starts=1),
                  n_boot=2, bootstrap_seed=0)
    assert ceg_key(1e25) == "ceg_1e25" and ceg_key(1e22) == "ceg_1e22"


def test_own_truth_is_our_transformer_variant_fit(tmp_path, synthetic):
    frame = synthetic("transformer_gain")
    frame.to_csv(tmp_path / "analysis.csv", index=False)
    write_truths(str(tmp_path / "analysis.csv"), str(tmp_path / "t.json"), truths=["own", "paper"],
                 loss_reduction=0.046, delta=0.0, settings=FitSettings(random_starts=2))
    truths = pd.read_json(tmp_path / "t.json", typ="series")
    assert truths["own"]["gamma_transformer"] == pytest.approx(2.0, abs=0.3)  # planted 2.0
    assert truths["paper"] == pytest.approx(paper_truth(0.046))


def test_the_refit_estimator_brings_the_papers_draws_with_it(synthetic):
    """Asking for `paper` and `refit` runs one bootstrap: the paper's fit and draws are the
    refit's penalised stage, identical to a separate paper-estimator run."""
    frame = synthetic("transformer_gain")
    settings = FitSettings(random_starts=1, seed=0, refit_random_starts=1, shared_starts=2)
    both = estimates(frame, MODELS[7], ["paper", "refit"], delta=0.0025, settings=settings,
                     n_boot=6, bootstrap_seed=3)
    alone = estimates(frame, MODELS[7], ["paper"], delta=0.0025, settings=settings, n_boot=6,
                      bootstrap_seed=3)
    assert set(both) == {"paper", "refit"}
    assert both["paper"][0].theta.tolist() == alone["paper"][0].theta.tolist()
    assert both["paper"][1][MODELS[7].names].equals(alone["paper"][1][MODELS[7].names])
    # model 7 has no log-sigmoid coefficient: the effect penalty is the paper's
    three = estimates(frame, MODELS[7], ["paper", "effect"], delta=0.0025, settings=settings,
                      n_boot=6, bootstrap_seed=3)
    assert three["effect"][1].equals(alone["paper"][1])
    # the refit is unpenalised on the paper fit's support: zeros stay zero
    support = both["paper"][0].theta != 0
    assert (both["refit"][0].theta[~support] == 0).all()
