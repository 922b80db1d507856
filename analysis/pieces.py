"""Results files: writers that round floats so reruns are byte-identical, and the pieces of
the estimates (one file per Snakemake rule) merged into one. Kept free of the fitting code, so
that the merging steps start quickly."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from .intervals import doubling_interval

#: digits kept in results files. Fits stop where the Newton step gains less than 1e-15 of the
#: objective, so a certified optimum is reproduced to far more than 7 digits on any machine,
#: while BLAS kernels and thread counts move the last of 10+ digits (benchmarks/RESULTS.md).
SIGNIFICANT = 7


def _clean(value):
    """Round floats and make NaN/inf JSON-safe, recursively."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return None if not math.isfinite(value) else float(f"{value:.{SIGNIFICANT}g}")
    if isinstance(value, np.integer):
        return int(value)
    return value


def write_json(data: dict, path: str | Path) -> None:
    """JSON with sorted keys and floats to SIGNIFICANT digits; ±inf and NaN as null."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(_clean(data), indent=2, sort_keys=True) + "\n")


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """CSV with floats to SIGNIFICANT digits."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, float_format=f"%.{SIGNIFICANT}g")


def merge_pieces(pieces: list[dict]) -> dict:
    """One dict from the pieces: objects merged key by key, lists concatenated in order;
    two pieces giving the same plain value is an error."""
    out: dict = {}
    for piece in pieces:
        for key, value in piece.items():
            if key not in out:
                out[key] = value
            elif isinstance(out[key], dict) and isinstance(value, dict):
                out[key] = merge_pieces([out[key], value])
            elif isinstance(out[key], list) and isinstance(value, list):
                out[key] = out[key] + value
            else:
                raise ValueError(f"two pieces of the estimates both give {key!r}")
    return out


def read_pieces(paths: list[str]) -> dict:
    """The JSON files of the estimates' pieces, merged (`merge_pieces`)."""
    pieces = []
    for path in paths:
        with open(path) as handle:
            pieces.append(json.load(handle))
    return merge_pieces(pieces)


def merge_estimates(piece_jsons: list[str], out_json: str) -> None:
    """results/estimates.json: every piece in one file, as readers of the results expect."""
    write_json(read_pieces(piece_jsons), out_json)


TOP10_COLUMNS = ["rank", "model", "delta", "loocv_mse", "draw", "rate"]


def top10_pool(member_csvs: list[str], out_json: str) -> None:
    """The top-10 aggregate: every pair's draws pooled with equal weight (each pair has the
    same number of draws), and each pair's own interval."""
    members = [pd.read_csv(path) for path in member_csvs]
    members = [m for m in members if len(m)]
    detail = [{"model": int(m["model"].iloc[0]), "delta": float(m["delta"].iloc[0]),
               "loocv_mse": float(m["loocv_mse"].iloc[0]), **doubling_interval(m["rate"])}
              for m in members]
    pooled = np.concatenate([m["rate"].to_numpy(float) for m in members]) if members else []
    write_json({"top10": detail,
                "doubling_time_months": {"top10_aggregate": doubling_interval(pooled)}}, out_json)
