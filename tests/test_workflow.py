"""The Snakemake workflow end to end, on the tiny configuration of tests/tiny (two models, a
handful of bootstrap draws, 48 synthetic rows), in a temporary copy of that directory:
the whole DAG runs; configuration reaches the results; editing one value plans exactly the
jobs that use it; a bad configuration or table stops the run and marks results stale."""

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "tests" / "tiny"
FIGURES = ["data_over_time", "predicted_vs_actual", "doubling_times", "cutoff_years",
           "shapley", "pareto", "transformer_gain"]
FIGURE_JOBS = {f"figure_{name}": 1 for name in FIGURES}
MODELS = 2  # cross_validation.models in tests/tiny/config.yaml
TOP10, CUTOFFS = 2, 2  # top10.n_models and len(cutoff_years) there
PIECES = ["main_fit", "bootstrap", "paper_clustered", "top10", "transformer_gain", "shapley",
          "pareto"]


def snakemake(workdir: Path, *args: str, configfile: str = "config.yaml",
              check: bool = True) -> subprocess.CompletedProcess:
    """Snakemake of this interpreter's environment, with the repository's Snakefile."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"),
               "--configfile", configfile, *args]
    done = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def planned_jobs(done: subprocess.CompletedProcess) -> dict[str, int]:
    """The 'Job stats' table of a dry run, as {rule: jobs}; {} when nothing is to be done."""
    text = done.stdout + done.stderr
    if "Nothing to be done" in text:
        return {}
    table = text.split("Job stats:", 1)[1].split("\n\n", 1)[0].splitlines()[3:]
    jobs = dict(line.split() for line in table if line.strip())
    jobs.pop("total")
    return {rule: int(count) for rule, count in jobs.items()}


def copy_run(source: Path, target: Path) -> Path:
    """A copy of a finished run, modification times and Snakemake's metadata included."""
    shutil.copytree(source, target, symlinks=True)
    return target


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    """The whole workflow, run once on the tiny configuration with 2 cores."""
    workdir = copy_run(TINY, tmp_path_factory.mktemp("tiny") / "run")
    snakemake(workdir, "--cores", "2")
    return workdir


def test_the_whole_dag_runs_and_leaves_nothing_to_do(tiny_run):
    for path in ("results/validation.txt", "results/dataset_summary.md",
                 "data/processed/analysis_set.csv", "results/model_selection.csv",
                 "results/estimates.json", "results/sensitivity.json", "results/report.md",
                 *(f"results/estimates/{piece}.json" for piece in PIECES),
                 "results/estimates/cutoffs/cutoff_2016.json",
                 *(f"results/figures/{name}.png" for name in FIGURES + ["dataset_over_time"]),
                 "results/appendices.json", "results/figures/appendix_frontier.png"):
        assert (tiny_run / path).stat().st_size > 0, path
    appendices = json.loads((tiny_run / "results" / "appendices.json").read_text())
    assert set(appendices) == {"A", "B", "C", "D", "E", "F", "H", "I", "J", "reference_compatible"}
    logs = {p.relative_to(tiny_run / "logs").as_posix() for p in (tiny_run / "logs").rglob("*.log")}
    assert {"validate.log", "preprocess.log", "estimates/bootstrap.log", "estimates/merge.log",
            "estimates/top10/rank_2.log", "report.log", "cv/model_7.log",
            "figures/pareto.log", "appendices/D.log", "appendices/merge.log"} <= logs
    assert not (tiny_run / "results" / "STALE.txt").exists()
    assert "**44 evaluations**" in (tiny_run / "results" / "report.md").read_text()
    assert planned_jobs(snakemake(tiny_run, "-n")) == {}


def test_config_override_on_the_command_line_changes_the_results(tiny_run, tmp_path):
    run = copy_run(tiny_run, tmp_path / "run")
    before = json.loads((run / "results" / "estimates.json").read_text())
    done = snakemake(run, "--cores", "2", "results/estimates.json",
                     "--config", "bootstrap={n: 50, seed: 1}")
    assert planned_jobs(done) == {"main_bootstrap": 1, "paper_clustered": 1,
                                  "transformer_gain": 1, "top10_member": TOP10, "top10": 1,
                                  "cutoff": CUTOFFS, "estimates": 1}
    after = json.loads((run / "results" / "estimates.json").read_text())
    assert (before["bootstrap"]["n"], before["bootstrap"]["seed"]) == (4, 0)
    assert (after["bootstrap"]["n"], after["bootstrap"]["seed"]) == (50, 1)
    assert len(pd.read_csv(run / "results" / "bootstrap_draws.csv")) == 50
    assert after["main_model"] == before["main_model"]  # the point fit does not depend on it
    assert after["parameter_table"] != before["parameter_table"]


# edit of the tiny config -> the jobs that must rerun (and no others)
REPORT = {"report": 1, "all": 1}
BOOTSTRAP_N = {"main_bootstrap": 1, "paper_clustered": 1, "transformer_gain": 1, "estimates": 1,
               "figure_doubling_times": 1, "figure_transformer_gain": 1, **REPORT,
               # appendix C reads the bootstrap draws
               "appendix": 1, "merge_appendices": 1, "appendix_figure_frontier": 1}
TOP10_JOBS = {"top10_member": TOP10, "top10": 1, "estimates": 1, **REPORT}
CV = {"cross_validate": MODELS, "model_selection": 1}
APPENDIX = {"merge_appendices": 1}  # + "appendix": jobs, and the appendix figures they feed
FRONTIER, TOKENS = {"appendix_figure_frontier": 1}, {"appendix_figure_tokens_per_parameter": 1}
EVERY_FIT = {**BOOTSTRAP_N, **TOP10_JOBS, "main_fit": 1, "cutoff": CUTOFFS, "shapley": 1,
             "pareto": 1, "sensitivity": 1, **{k: 1 for k in FIGURE_JOBS
                                                if k != "figure_data_over_time"},
             "appendix": 8, **TOKENS}  # every appendix but A and B fits
EDITS = {
    "bootstrap.n": ({"bootstrap": {"n": 5}}, BOOTSTRAP_N),
    "bootstrap.seed": ({"bootstrap": {"seed": 3}},
                       {**BOOTSTRAP_N, **TOP10_JOBS, "cutoff": CUTOFFS, "sensitivity": 1,
                        "figure_cutoff_years": 1, "appendix": 7}),  # C, D, E, F, H, I, ref.
    "top10.draws": ({"top10": {"draws": 4}}, TOP10_JOBS),
    # the headline estimator: every pipeline fit but the appendices' (the paper's checks) and
    # cross-validation (which ranks the paper's estimator)
    "fit.estimator": ({"fit": {"estimator": "effect"}},
                      {**{k: v for k, v in EVERY_FIT.items() if k not in TOKENS},
                       "appendix": 1, **APPENDIX, **FRONTIER}),  # C reads the draws
    # how bootstrap refits search: every bootstrap, and the appendices that fit
    "fit.shared_starts": ({"fit": {"shared_starts": 3}},
                          {**BOOTSTRAP_N, **TOP10_JOBS, "cutoff": CUTOFFS, "sensitivity": 1,
                           "figure_cutoff_years": 1, "appendix": 8, **TOKENS}),
    "shapley.pairs": ({"shapley": {"pairs": [["RNN 2012", "GPT-2"]]}},
                      {"shapley": 1, "estimates": 1, "figure_shapley": 1, **REPORT}),
    "sensitivity_draws": ({"sensitivity_draws": 5}, {"sensitivity": 1, **REPORT}),
    "cross_validation.deltas": ({"cross_validation": {"deltas": [0.0025, 0.01]}},
                                {**CV, **TOP10_JOBS, "appendix": 3, **APPENDIX, **TOKENS}),
    "seed": ({"seed": 1}, {**CV, **EVERY_FIT}),
    "selection.per_paper_cap": ({"selection": {"per_paper_cap": 4}},
                                {"preprocess": 1, "dataset_summary": 1, **CV, **EVERY_FIT,
                                 "figure_data_over_time": 1, "appendix": 9,
                                 "appendix_figure_direct_progress": 1}),
    "appendices.draws": ({"appendices": {"draws": 4}},
                         {"appendix": 5, **APPENDIX, **REPORT}),  # E, F, H, I, ref.
    "calibration.n_boot": ({"calibration": {"n_boot": 9}}, {}),  # not part of `all`
}


def merged(base: dict, change: dict) -> dict:
    out = dict(base)
    for key, value in change.items():
        out[key] = merged(base[key], value) if isinstance(value, dict) else value
    return out


@pytest.fixture(scope="module")
def edit_plans(tiny_run, tmp_path_factory) -> dict[str, dict[str, int]]:
    """The dry-run plan after each edit of `EDITS` (a copy of the configuration with one value
    changed), the dry runs side by side: they only read the finished run."""
    config = yaml.safe_load((tiny_run / "config.yaml").read_text())
    folder = tmp_path_factory.mktemp("edits")

    def plan(edit: str) -> dict[str, int]:
        edited = folder / f"{edit}.yaml"
        edited.write_text(yaml.safe_dump(merged(config, EDITS[edit][0]), sort_keys=False))
        return planned_jobs(snakemake(tiny_run, "-n", "--nolock", configfile=str(edited)))

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return dict(zip(EDITS, pool.map(plan, EDITS)))


@pytest.mark.parametrize("edit", list(EDITS))
def test_editing_one_value_plans_exactly_the_jobs_that_use_it(edit_plans, edit):
    assert edit_plans[edit] == EDITS[edit][1]


def test_a_bad_configuration_is_refused_before_anything_runs(tiny_run):
    done = snakemake(tiny_run, "-n", "--nolock", "--config", "bootstrap={n: many, seed: 1}",
                     check=False)
    assert done.returncode != 0 and "'many' is not of type 'integer'" in done.stdout + done.stderr
    done = snakemake(tiny_run, "-n", "--nolock", "--config", "boostrap={n: 5}", check=False)
    assert done.returncode != 0 and "'boostrap' was unexpected" in done.stdout + done.stderr


def test_a_failed_run_marks_results_stale_until_a_run_succeeds(tiny_run, tmp_path):
    run = copy_run(tiny_run, tmp_path / "run")
    raw = run / "evaluations.csv"
    good = raw.read_text()
    lines = good.splitlines(keepends=True)
    lines[6] = lines[6].replace(",Table 1,", ",,", 1)  # line 7 loses its source_location
    raw.write_text("".join(lines))
    done = snakemake(run, "--cores", "1", check=False)
    assert done.returncode != 0
    # the validator's message reaches the terminal, not only the log
    assert "line 7, column 'source_location'" in done.stdout + done.stderr
    stale = (run / "results" / "STALE.txt").read_text()
    assert "has not finished" in stale and "failed" in stale
    assert not (run / "results" / "validation.txt").exists()
    raw.write_text(good)
    snakemake(run, "--cores", "1", "results/validation.txt")
    assert not (run / "results" / "STALE.txt").exists()


def test_the_repository_workflow_lints_clean_and_plans_every_rule():
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    base = [sys.executable, "-m", "snakemake", "--nolock"]
    lint = subprocess.run(base + ["--lint"], cwd=REPO, env=env, capture_output=True, text=True)
    assert lint.returncode == 0, lint.stderr
    assert "Congratulations" in lint.stdout + lint.stderr and "Lints for" not in lint.stdout
    plan = subprocess.run(base + ["-n", "--forceall"], cwd=REPO, env=env, capture_output=True,
                          text=True)
    assert plan.returncode == 0, plan.stderr
    jobs = planned_jobs(plan)
    config = yaml.safe_load((REPO / "workflow" / "config.yaml").read_text())
    assert jobs["cross_validate"] == len(config["cross_validation"]["models"])
    assert {"validate", "preprocess", "dataset_summary", "model_selection", "main_fit",
            "main_bootstrap", "paper_clustered", "transformer_gain", "shapley", "pareto",
            "estimates", "sensitivity", "report", "all", *FIGURE_JOBS} <= set(jobs)
    assert jobs["top10_member"] == config["top10"]["n_models"]
    assert jobs["cutoff"] == len(config["cutoff_years"])
    assert not any(rule.startswith("calibration") for rule in jobs)  # not in `all`
    plan = subprocess.run(base + ["-n", "--forceall", "calibration"], cwd=REPO, env=env,
                          capture_output=True, text=True)
    assert plan.returncode == 0, plan.stderr
    jobs = planned_jobs(plan)
    study = config["calibration"]
    chunks = sum(-(-s["n_sim"] // study["chunk_size"]) for s in study["studies"])
    main_study = [s for s in study["studies"] if s["design"] == "n231" and s["truth"] == "paper"]
    assert main_study and main_study[0]["n_sim"] >= 200 and study["n_boot"] >= 200
    assert jobs["calibration_chunk"] == chunks
    assert {"calibration_truths", "calibration_merge", "figure_calibration",
            "calibration_report"} <= set(jobs)


def test_the_calibration_target_runs_end_to_end(tiny_run, tmp_path):
    run = copy_run(tiny_run, tmp_path / "run")
    done = snakemake(run, "--cores", "2", "calibration")
    jobs = planned_jobs(done)
    assert jobs["calibration_chunk"] == 2  # 2 studies × 1 chunk of 2 sets
    assert "report" not in jobs and "main_bootstrap" not in jobs
    table = pd.read_csv(run / "results" / "calibration.csv")
    assert list(table.columns[:10]) == ["quantity", "design", "estimator", "method", "n_sim",
                                        "n_boot", "coverage", "coverage_se", "median_width",
                                        "relative_bias"]
    assert set(table["quantity"]) == {"compute_doubling", "ceg_1e22", "ceg_1e25"}
    assert set(table["design"]) == {"observed", "n60"}
    assert (table["n_sim"] == 2).all() and (table["n_boot"] == 8).all()
    assert table["coverage"].between(0, 1).all()
    assert (run / "results" / "figures" / "calibration.png").stat().st_size > 5000
    assert "## Calibration of the intervals" in (run / "results" / "calibration.md").read_text()
    # asked for in the report, it becomes an input of the report
    done = snakemake(run, "--cores", "2", "--config", "calibration={in_report: true}")
    assert planned_jobs(done) == {"report": 1, "all": 1}
    assert "| compute_doubling |" in (run / "results" / "report.md").read_text()


def test_conda_environment_lists_the_package_dependencies():
    import tomllib
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    env = yaml.safe_load((REPO / "workflow" / "envs" / "algoprogress.yaml").read_text())
    conda = {d.split(">")[0].split("=")[0] for d in env["dependencies"]} - {"python"}
    names = {d.split(">")[0].split("=")[0] for d in declared}
    names = {n for n in names if not n.startswith("snakemake")}  # the runner, not the steps
    assert conda == {"matplotlib-base" if n == "matplotlib" else n for n in names}
