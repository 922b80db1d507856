"""The workflow runs unchanged through a real Slurm (scripts/slurm_single_node.sh start)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"


def slurm_is_up() -> bool:
    if shutil.which("sinfo") is None:
        return False
    probe = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True)
    return probe.returncode == 0 and any(s.startswith(("idle", "mix")) for s in probe.stdout.split())


pytestmark = pytest.mark.skipif(
    not slurm_is_up(),
    reason="no running Slurm here (start one with `bash scripts/slurm_single_node.sh start`, "
           "which needs root and Debian's slurm-wlm)")


def test_profile_plans_the_whole_pipeline():
    plan = subprocess.run([str(SNAKEMAKE), "--profile", "workflow/profiles/slurm", "-n",
                           "--forceall"], cwd=ROOT, capture_output=True, text=True)
    assert plan.returncode == 0, plan.stderr
    assert "report" in plan.stdout and "cross_validate" in plan.stdout


def test_jobs_run_as_slurm_jobs(tmp_path):
    work = tmp_path / "repo"
    shutil.copytree(ROOT, work, ignore=shutil.ignore_patterns(
        ".venv", ".git", ".snakemake", "results", "processed", "__pycache__", "*.egg-info"))
    run = subprocess.run(
        [str(SNAKEMAKE), "--profile", "workflow/profiles/slurm",
         "--slurm-init-seconds-before-status-checks", "1", "results/validation.txt"],
        cwd=work, capture_output=True, text=True, timeout=900,
        env={"PATH": f"{SNAKEMAKE.parent}:/usr/bin:/bin:/usr/sbin:/sbin"})
    assert run.returncode == 0, run.stderr[-3000:]
    assert (work / "results" / "validation.txt").read_text().startswith("ok")
    assert "SLURM run ID" in run.stderr or "slurm" in run.stderr.lower()
