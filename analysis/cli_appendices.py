"""Command-line entry points for the scaling laws and the appendices, registered on the
`algoprogress` parser by `cli.main`: `scaling-fit`, `appendix`, `merge-appendices`,
`appendix-figure`."""

from __future__ import annotations

import argparse
import json
import sys

import pandas as pd

COLUMNS = ("params", "tokens", "loss")


def scaling_fit(args: argparse.Namespace) -> int:
    """Fit the chosen law to POINTS.csv and print its JSON summary."""
    from .approach3 import fit_chinchilla
    from .pieces import _clean
    try:
        points = pd.read_csv(args.points)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        print(f"{args.points}: cannot read as CSV ({error})", file=sys.stderr)
        return 1
    missing = [c for c in COLUMNS if c not in points.columns]
    if missing:
        print(f"{args.points}: missing column(s) {', '.join(missing)}; expected columns "
              f"{', '.join(COLUMNS)} (N, D and final loss of each run)", file=sys.stderr)
        return 1
    values = points[list(COLUMNS)].apply(pd.to_numeric, errors="coerce")
    bad = values.index[~((values > 0) & values.notna()).all(axis=1)]
    if len(bad):
        lines = ", ".join(str(i + 2) for i in bad[:10])
        print(f"{args.points}: {len(bad)} row(s) with a missing, non-numeric or non-positive "
              f"value in {', '.join(COLUMNS)} (lines {lines}{', …' if len(bad) > 10 else ''})",
              file=sys.stderr)
        return 1
    try:
        fit = fit_chinchilla(values["params"], values["tokens"], values["loss"], args.delta,
                             reference_grid=args.reference_grid)
    except ValueError as error:
        print(f"{args.points}: {error}", file=sys.stderr)
        return 1
    draws = fit.bootstrap(args.bootstrap, args.seed, args.jobs, progress=args.progress)
    print(json.dumps(_clean(fit.summary(draws)), indent=2, sort_keys=True))
    return 0


def _appendix(args: argparse.Namespace) -> None:
    from .appendix_steps import run
    run(args.name, args.out, args.settings, args.raw, args.analysis, args.selection, args.draws)


def _merge(args: argparse.Namespace) -> None:
    from .appendix_steps import merge
    merge(args.inputs, args.out)


def _figure(args: argparse.Namespace) -> None:
    from .figures_appendices import draw
    draw(args.name, args.appendix, args.analysis, args.out)


def register(sub) -> None:
    """Add the subcommands to the `algoprogress` subparsers."""
    p = sub.add_parser(
        "scaling-fit", help="fit a scaling law to (params, tokens, loss) points; print JSON",
        description="Approach 3 of Hoffmann et al. (2022): minimise the Huber loss of log-loss "
                    "residuals of L = E + A/N^alpha + B/D^beta, certified global optimum, with "
                    "bootstrap 95%% intervals. Prints E, A, B, alpha, beta, the compute-optimal "
                    "exponents a = beta/(alpha+beta), b = alpha/(alpha+beta), objective, n, ci95.")
    p.add_argument("points", help="CSV with columns params, tokens, loss (one row per run)")
    p.add_argument("--form", choices=["chinchilla"], default="chinchilla",
                   help="the law to fit (default: chinchilla, E + A/N^alpha + B/D^beta)")
    p.add_argument("--delta", type=float, default=1e-3,
                   help="Huber threshold on log-loss residuals (default 1e-3; inf = least squares)")
    p.add_argument("--bootstrap", type=int, default=1000, help="resamples (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--jobs", type=int, default=1, help="processes for the bootstrap (default 1)")
    p.add_argument("--reference-grid", action="store_true",
                   help="also score the reference's 3,125 grid starts as candidates")
    p.add_argument("--progress", action="store_true", help="show a progress bar")
    p.set_defaults(func=scaling_fit)

    p = sub.add_parser("appendix", help="compute one robustness appendix (docs/method.md §8)")
    p.add_argument("--name", required=True, help="A, B, C, D, E, F, H, I, J or reference_compatible")
    p.add_argument("--out", required=True, metavar="PATH")
    p.add_argument("--settings", type=json.loads, required=True, metavar="JSON",
                   help="the configuration values the appendix uses, as JSON "
                        "(analysis.appendix_steps.SETTINGS; Snakemake passes them)")
    for name in ("raw", "analysis", "selection", "draws"):
        p.add_argument(f"--{name}", help=f"input file ({name}) when the appendix needs it")
    p.set_defaults(func=_appendix)

    p = sub.add_parser("merge-appendices", help="merge per-appendix JSON files into one")
    p.add_argument("inputs", nargs="+")
    p.add_argument("--out", required=True)
    p.set_defaults(func=_merge)

    p = sub.add_parser("appendix-figure", help="draw one appendix figure")
    for name in ("name", "appendix", "out"):
        p.add_argument(f"--{name}", required=True)
    p.add_argument("--analysis", metavar="PATH", help="the analysis set (figures that plot it)")
    p.set_defaults(func=_figure)
