"""Command line: `algoprogress validate data/raw/evaluations.csv`, and the pipeline steps.

Every setting a step uses is one of its options (Snakemake passes them from
workflow/config.yaml); no step reads the configuration file itself.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .preprocess import Selection


def _validate(args: argparse.Namespace) -> int:
    from .schema import validate_csv
    _, problems = validate_csv(args.csv)
    if not problems:
        print(f"ok: {args.csv} is valid")
        return 0
    print(f"{args.csv}: {len(problems)} problem(s)", file=sys.stderr)
    for problem in problems:
        print(f"  {args.csv}, {problem}", file=sys.stderr)
    return 1


def _diff(args: argparse.Namespace) -> int:
    from .diffing import diff_markdown
    for folder in (args.base, args.head):
        if not Path(folder).is_dir():
            print(f"algoprogress diff: {folder} is not a results folder", file=sys.stderr)
            return 2
    print(diff_markdown(args.base, args.head, args.base_csv, args.head_csv), end="")
    return 0


def _check_results(args: argparse.Namespace) -> int:
    from .diffing import stale_files
    stale = stale_files(args.committed, args.regenerated, tuple(args.ignore))
    for name, what in stale:
        print(f"stale: {name}: {what}", file=sys.stderr)
    if stale:
        print(f"{len(stale)} file(s) under {args.committed} are not what the code and data produce; "
              "regenerate them (snakemake --cores 2) and commit", file=sys.stderr)
        return 1
    print(f"ok: every file under {args.committed} is current")
    return 0


# Each step imports what it needs when it runs, so that `validate` or `figure` does not pay
# for loading the fitting and cross-validation code.

def _preprocess(a: argparse.Namespace) -> None:
    from .pipeline import preprocess
    preprocess(a.raw, a.analysis, a.exclusions, selection_from(a))


def _cross_validation(a: argparse.Namespace) -> None:
    from .pipeline import cross_validation
    cross_validation(a.analysis, a.out, model=a.model, deltas=a.deltas,
                     holdout_fraction=a.holdout_fraction, random_starts=a.random_starts,
                     seed=a.seed)


def _merge_cross_validation(a: argparse.Namespace) -> None:
    from .pipeline import merge_cross_validation
    merge_cross_validation(a.inputs, a.out)


def _headline(a: argparse.Namespace) -> None:
    from .pipeline import headline
    from .results import System
    headline(a.analysis, a.selection, a.estimates, a.draws,
             model=a.model, delta=a.delta, random_starts=a.random_starts, seed=a.seed,
             bootstrap_n=a.bootstrap_n, bootstrap_seed=a.bootstrap_seed,
             top10_models=a.top10_models, top10_draws=a.top10_draws,
             cutoff_years=a.cutoff_years, cutoff_draws=a.cutoff_draws,
             doubling_year=a.doubling_year, doubling_compute=a.doubling_compute,
             ceg_compute=a.ceg_compute,
             shapley_systems={name: System.published(*value)
                              for name, value in a.shapley_systems.items()},
             shapley_pairs=a.shapley_pairs,
             pareto_targets={k: float(v) for k, v in a.pareto_targets.items()},
             pareto_years=a.pareto_years,
             pareto_log10_data_range=tuple(a.pareto_log10_data_range),
             pareto_points=a.pareto_points)


def _sensitivity(a: argparse.Namespace) -> None:
    from .pipeline import sensitivity
    sensitivity(a.raw, a.out, selection=selection_from(a), model=a.model, delta=a.delta,
                random_starts=a.random_starts, seed=a.seed, draws=a.draws,
                bootstrap_seed=a.bootstrap_seed)


def _figure(args: argparse.Namespace) -> None:
    from .figures import draw  # matplotlib only for the commands that draw
    draw(args.name, args.analysis, args.estimates, args.draws, args.out)


def _report(args: argparse.Namespace) -> None:
    from .report import write_report
    write_report(args.raw, args.analysis, args.exclusions, args.selection, args.estimates,
                 args.sensitivity, args.out)


def _summary(args: argparse.Namespace) -> None:
    from .summary import write_summary
    write_summary(args.raw, args.exclusions, args.out, args.figure)


# --- option types ----------------------------------------------------------------------------

def optional(kind):
    """`kind`, or None for the word 'none'."""
    def parse(text: str):
        return None if text.lower() == "none" else kind(text)
    parse.__name__ = getattr(kind, "__name__", "value")
    return parse


def number(text: str) -> int | float:
    """An integer when written as one (years stay 2016, not 2016.0), else a float."""
    try:
        return int(text)
    except ValueError:
        return float(text)


def json_object(text: str) -> dict:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"expected a JSON object, got {text!r}")
    return value


def json_pairs(text: str) -> list[tuple[str, str]]:
    value = json.loads(text)
    if not all(isinstance(p, list) and len(p) == 2 for p in value):
        raise argparse.ArgumentTypeError(
            f"expected a JSON list of [start, end] pairs, got {text!r}")
    return [tuple(p) for p in value]


def add_selection(parser: argparse.ArgumentParser) -> None:
    """Options of `Selection` (defaults: the main analysis of docs/method.md §1)."""
    default = Selection()
    group = parser.add_argument_group("row selection (docs/method.md §1)")
    for flag in ("keep_uncertain", "drop_test_time_adaptation", "drop_zero_shot",
                 "reference_compatible"):
        group.add_argument(f"--{flag.replace('_', '-')}", action=argparse.BooleanOptionalAction,
                           default=getattr(default, flag))
    group.add_argument("--levels", nargs="+", default=list(default.levels),
                       help="perplexity levels kept (default: %(default)s)")
    group.add_argument("--evidence", nargs="+", default=None,
                       help="evidence kinds kept; 'none' or absent: any")
    group.add_argument("--max-publication-date", type=optional(str),
                       default=default.max_publication_date, help="YYYY-MM-DD or 'none'")
    group.add_argument("--per-paper-cap", type=optional(int), default=default.per_paper_cap,
                       help="evaluations kept per paper, or 'none'")


def selection_from(args: argparse.Namespace) -> Selection:
    evidence = None if args.evidence in (None, ["none"]) else tuple(args.evidence)
    return Selection(keep_uncertain=args.keep_uncertain,
                     drop_test_time_adaptation=args.drop_test_time_adaptation,
                     drop_zero_shot=args.drop_zero_shot, levels=tuple(args.levels),
                     evidence=evidence, max_publication_date=args.max_publication_date,
                     per_paper_cap=args.per_paper_cap,
                     reference_compatible=args.reference_compatible)


def add_fit(parser: argparse.ArgumentParser, *, preferred: bool = True) -> None:
    group = parser.add_argument_group("fit (docs/method.md §3)")
    if preferred:
        group.add_argument("--model", type=int, default=7, help="preferred model (default 7)")
        group.add_argument("--delta", type=float, default=0.0025,
                           help="penalty δ (default 0.0025)")
    group.add_argument("--random-starts", type=int, default=16,
                       help="seeded random starts of each fit (default 16)")
    group.add_argument("--seed", type=int, default=0, help="seed of the random starts (default 0)")


# --- the parser ------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="algoprogress",
        description="Validate the evaluations table and run the steps of the analysis "
                    "(normally called by Snakemake with the values of workflow/config.yaml; "
                    "see README.md).")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="check the CSV; print 'ok' or every problem")
    p.add_argument("csv", nargs="?", default="data/raw/evaluations.csv")
    p.set_defaults(func=_validate)

    p = sub.add_parser("diff", help="Markdown table of what a change does to the results and rows")
    p.add_argument("base", help="results folder before the change (e.g. base/results)")
    p.add_argument("head", help="results folder after the change")
    p.add_argument("--base-csv", help="curated table before (default: BASE/../data/raw/evaluations.csv)")
    p.add_argument("--head-csv", help="curated table after (default: HEAD/../data/raw/evaluations.csv)")
    p.set_defaults(func=_diff)

    p = sub.add_parser("check-results",
                       help="compare committed results with a regenerated copy; name stale files")
    p.add_argument("committed")
    p.add_argument("regenerated")
    p.add_argument("--ignore", action="append", default=[],
                   help="path prefix not regenerated on purpose (repeatable)")
    p.set_defaults(func=_check_results)

    def step(name: str, helptext: str, *files: str) -> argparse.ArgumentParser:
        q = sub.add_parser(name, help=helptext, description=helptext)
        for arg in files:
            q.add_argument(f"--{arg}", required=True, metavar="PATH")
        return q

    q = step("preprocess", "build the analysis set and the exclusions table",
             "raw", "analysis", "exclusions")
    add_selection(q)
    q.set_defaults(func=_preprocess)

    q = step("cv", "cross-validate one model over the penalty grid", "analysis", "out")
    q.add_argument("--model", type=int, required=True)
    q.add_argument("--deltas", type=float, nargs="+", required=True, help="penalty grid")
    q.add_argument("--holdout-fraction", type=float, default=0.2)
    add_fit(q, preferred=False)
    q.set_defaults(func=_cross_validation)

    q = sub.add_parser("merge-cv", help="merge per-model CV scores into the ranked table")
    q.add_argument("inputs", nargs="+")
    q.add_argument("--out", required=True)
    q.set_defaults(func=_merge_cross_validation)

    q = step("headline", "main fit, bootstrap and derived quantities",
             "analysis", "selection", "estimates", "draws")
    add_fit(q)
    group = q.add_argument_group("bootstrap and derived quantities (docs/method.md §5)")
    group.add_argument("--bootstrap-n", type=int, required=True)
    group.add_argument("--bootstrap-seed", type=int, required=True)
    group.add_argument("--top10-models", type=int, required=True)
    group.add_argument("--top10-draws", type=int, required=True)
    group.add_argument("--cutoff-years", type=number, nargs="+", required=True)
    group.add_argument("--cutoff-draws", type=int, required=True)
    group.add_argument("--doubling-year", type=float, required=True)
    group.add_argument("--doubling-compute", type=float, required=True)
    group.add_argument("--ceg-compute", type=float, nargs="+", required=True)
    group.add_argument("--shapley-systems", type=json_object, required=True,
                       help='JSON {"name": [N, D, "YYYY-MM-DD"], ...}')
    group.add_argument("--shapley-pairs", type=json_pairs, required=True,
                       help='JSON [["start", "end"], ...]')
    group.add_argument("--pareto-targets", type=json_object, required=True,
                       help='JSON {"label": perplexity, ...}')
    group.add_argument("--pareto-years", type=number, nargs="+", required=True)
    group.add_argument("--pareto-log10-data-range", type=float, nargs=2, required=True)
    group.add_argument("--pareto-points", type=int, required=True)
    q.set_defaults(func=_headline)

    q = step("figure", "draw one figure", "analysis", "estimates", "draws", "out")
    q.add_argument("--name", required=True)
    q.set_defaults(func=_figure)
    step("report", "write the reviewer's report", "raw", "analysis", "exclusions", "selection",
         "estimates", "sensitivity", "out").set_defaults(func=_report)

    q = step("sensitivity", "preferred model on alternative row selections", "raw", "out")
    add_selection(q)
    add_fit(q)
    q.add_argument("--draws", type=int, required=True, help="bootstrap draws per selection")
    q.add_argument("--bootstrap-seed", type=int, required=True)
    q.set_defaults(func=_sensitivity)

    step("summary", "write the dataset summary and its figure", "raw", "exclusions", "out",
         "figure").set_defaults(func=_summary)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result = args.func(args)
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
