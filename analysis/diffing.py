"""What a change does to the results: `algoprogress diff BASE_RESULTS HEAD_RESULTS`.

Compares every interval summary (a JSON object with a point value and a ``ci…`` interval) and
every top-level number in the results folders' JSON files, and the curated rows of the two
checkouts (``<results>/../data/raw/evaluations.csv`` unless given), as Markdown.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from .schema import read_raw

KEY = ["system", "benchmark", "reference"]
POINT_KEYS = ("median", "estimate", "point", "value")


def _is_interval(node: dict) -> bool:
    return any(k.startswith("ci") for k in node) and any(k in node for k in POINT_KEYS)


def _summaries(node, path: str, out: dict, depth: int = 0) -> None:
    if isinstance(node, dict):
        if _is_interval(node):
            out[path] = node
            return
        for key, value in node.items():
            _summaries(value, f"{path}/{key}" if path else str(key), out, depth + 1)
    elif isinstance(node, (int, float)) and not isinstance(node, bool) and depth <= 1:
        out[path] = {"value": node}


#: folder of the estimates' pieces, which results/estimates.json holds merged
PIECES = "estimates"


def headline_numbers(results: str | Path) -> dict[str, dict]:
    """Interval summaries and top-level numbers of every JSON file under ``results`` (the
    pieces under ``results/estimates/`` only through their merge, ``estimates.json``)."""
    out: dict[str, dict] = {}
    for path in sorted(Path(results).rglob("*.json")):
        if path.relative_to(results).parts[0] == PIECES:
            continue
        with open(path) as handle:
            _summaries(json.load(handle), path.relative_to(results).with_suffix("").as_posix(),
                       out)
    return out


def _fmt(x) -> str:
    if x is None:
        return "—"
    if isinstance(x, str):
        return x
    if isinstance(x, float) and math.isinf(x):
        return "∞" if x > 0 else "−∞"
    return f"{x:.4g}"


def _describe(summary: dict | None) -> str:
    if summary is None:
        return "—"
    point = next((summary[k] for k in POINT_KEYS if k in summary), None)
    ci = next((summary[k] for k in summary if k.startswith("ci")), None)
    # in an interval with defined draws, null is +inf (analysis/intervals.py)
    unbounded = summary.get("n_defined", summary.get("n_valid")) and "median" in summary
    read = (lambda x: math.inf if x is None else x) if unbounded else (lambda x: x)
    text = _fmt(read(point))
    if isinstance(ci, (list, tuple)) and len(ci) == 2:
        text += f" [{_fmt(read(ci[0]))}, {_fmt(read(ci[1]))}]"
    defined = summary.get("n_defined", summary.get("n_valid"))
    if defined is not None:
        text += f" (n={defined})"
    return text


def results_table(base: str | Path, head: str | Path) -> list[str]:
    """Markdown rows: every headline number before and after (changed ones marked)."""
    before, after = headline_numbers(base), headline_numbers(head)
    lines = ["| quantity | base | head | changed |", "|---|---|---|---|"]
    for name in sorted(set(before) | set(after)):
        old, new = _describe(before.get(name)), _describe(after.get(name))
        lines.append(f"| {name} | {old} | {new} | {'yes' if old != new else ''} |")
    return lines


def rows_table(base_csv: str | Path, head_csv: str | Path) -> list[str]:
    """Markdown list of rows added, removed or changed (by system, benchmark, reference)."""
    old, new = (read_raw(p).set_index(KEY) for p in (base_csv, head_csv))
    added = new.index.difference(old.index)
    removed = old.index.difference(new.index)
    common = new.index.intersection(old.index)
    columns = [c for c in new.columns if c in old.columns]
    changed = []
    for key in common:
        a, b = old.loc[key, columns], new.loc[key, columns]
        diff = [c for c in columns if not (pd.isna(a[c]) and pd.isna(b[c])) and a[c] != b[c]]
        if diff:
            changed.append((key, ", ".join(f"{c}: {_fmt(a[c])} → {_fmt(b[c])}" for c in diff)))
    lines = [f"{len(added)} rows added, {len(removed)} removed, {len(changed)} changed.", ""]
    if added.size or removed.size or changed:
        lines += ["| change | system | benchmark | reference | what |", "|---|---|---|---|---|"]
        lines += [f"| added | {s} | {b} | {r} | |" for s, b, r in added]
        lines += [f"| removed | {s} | {b} | {r} | |" for s, b, r in removed]
        lines += [f"| changed | {s} | {b} | {r} | {what} |" for (s, b, r), what in changed]
    return lines


def diff_markdown(base: str | Path, head: str | Path, base_csv: str | Path | None = None,
                  head_csv: str | Path | None = None) -> str:
    """The whole comparison as one Markdown document."""
    base_csv = base_csv or Path(base).parent / "data" / "raw" / "evaluations.csv"
    head_csv = head_csv or Path(head).parent / "data" / "raw" / "evaluations.csv"
    lines = [f"## Results: `{base}` → `{head}`", "", *results_table(base, head), "",
             "## Curated rows", ""]
    if Path(base_csv).is_file() and Path(head_csv).is_file():
        lines += rows_table(base_csv, head_csv)
    else:
        lines.append(f"(rows not compared: {base_csv} or {head_csv} not found)")
    return "\n".join(lines) + "\n"


def _numeric_gap(a: Path, b: Path) -> str:
    """How far two CSV or JSON files are apart: the largest relative difference of any number."""
    try:
        if a.suffix == ".csv":
            x, y = pd.read_csv(a), pd.read_csv(b)
            if x.shape != y.shape or list(x.columns) != list(y.columns):
                return f"shape {x.shape} → {y.shape}"
            nums = x.select_dtypes("number").columns
            gap = ((x[nums] - y[nums]).abs() / x[nums].abs().clip(lower=1e-300)).max().max()
        elif a.suffix == ".json":
            flat = [{}, {}]
            for k, path in enumerate((a, b)):
                _flatten(json.loads(path.read_text()), "", flat[k])
            if flat[0].keys() != flat[1].keys():
                return "different keys"
            changed = [k for k in flat[0] if flat[0][k] != flat[1][k]]
            numbers = {k for k in changed
                       if isinstance(flat[0][k], float) and isinstance(flat[1][k], float)}
            gap = max((abs(flat[0][k] - flat[1][k]) / max(abs(flat[0][k]), 1e-300)
                       for k in numbers), default=0.0)
            others = [k for k in changed if k not in numbers]
            if others:
                return (f"largest relative difference {gap:.3g}; {len(others)} value(s) "
                        f"changed between a number and null or text, first {others[0]}")
        elif a.suffix in (".md", ".txt"):
            return _text_gap(a, b)
        else:
            return "binary difference"
    except (ValueError, TypeError, json.JSONDecodeError) as err:
        return f"not comparable as numbers ({err})"
    return f"largest relative difference {gap:.3g}"


def _text_gap(a: Path, b: Path) -> str:
    """How many lines of two text files differ, and the first that does."""
    x, y = a.read_text().splitlines(), b.read_text().splitlines()
    pairs = list(zip(x, y))
    differ = [i for i, (u, v) in enumerate(pairs) if u != v]
    extra = abs(len(x) - len(y))
    if not differ:
        return f"{extra} line(s) more in one file"
    i = differ[0]
    u, v = pairs[i]
    j = next((k for k, (p, q) in enumerate(zip(u, v)) if p != q), min(len(u), len(v)))
    start = max(0, j - 30) if max(len(u), len(v)) > 80 else 0
    return (f"{len(differ)} of {len(pairs)} lines differ"
            + (f" (and {extra} more in one file)" if extra else "")
            + f"; first at line {i + 1}"
            + (f", column {j + 1}" if start else "")
            + f": {u[start:start + 80]!r} → {v[start:start + 80]!r}")


def _flatten(node, path: str, out: dict) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _flatten(value, f"{path}/{key}", out)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _flatten(value, f"{path}[{i}]", out)
    elif isinstance(node, (int, float)) and not isinstance(node, bool) and math.isfinite(node):
        out[path] = float(node)
    else:
        out[path] = node if isinstance(node, str) else repr(node)


def stale_files(committed: str | Path, regenerated: str | Path,
                ignore: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """Files that differ between two result trees, each with what differs (empty when current).

    ``ignore`` lists path prefixes (relative) that the regeneration does not produce on purpose.
    """
    committed, regenerated = Path(committed), Path(regenerated)
    names = {p.relative_to(committed).as_posix() for p in committed.rglob("*") if p.is_file()}
    names |= {p.relative_to(regenerated).as_posix() for p in regenerated.rglob("*") if p.is_file()}
    out = []
    for name in sorted(n for n in names if not n.startswith(ignore)):
        a, b = committed / name, regenerated / name
        if not b.exists():
            out.append((name, "committed but not produced by the pipeline"))
        elif not a.exists():
            out.append((name, "produced by the pipeline but not committed"))
        elif a.read_bytes() != b.read_bytes():
            out.append((name, _numeric_gap(a, b)))
    return out
