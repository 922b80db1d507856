"""Command line: `algoprogress validate data/raw/evaluations.csv`, and the pipeline steps."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import pipeline
from .cli_appendices import register as register_appendices
from .schema import validate_csv


def _validate(args: argparse.Namespace) -> int:
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


def _figure(args: argparse.Namespace) -> None:
    from .figures import draw  # matplotlib only for the commands that draw
    draw(args.name, args.analysis, args.estimates, args.draws, args.out)


def _report(args: argparse.Namespace) -> None:
    from .report import write_report
    write_report(args.raw, args.analysis, args.exclusions, args.selection, args.estimates,
                 args.sensitivity, args.out, args.appendices)


def _summary(args: argparse.Namespace) -> None:
    from .summary import write_summary
    write_summary(args.raw, args.exclusions, args.out, args.figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="algoprogress",
        description="Validate the evaluations table and run the steps of the analysis "
                    "(normally called by Snakemake; see README.md).")
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

    def step(name: str, helptext: str, *names: str) -> argparse.ArgumentParser:
        q = sub.add_parser(name, help=helptext)
        q.add_argument("--config", default="workflow/config.yaml")
        for arg in names:
            q.add_argument(f"--{arg}", required=True)
        return q

    step("preprocess", "build the analysis set and the exclusions table",
         "raw", "analysis", "exclusions").set_defaults(
        func=lambda a: pipeline.preprocess(a.raw, pipeline.load_config(a.config), a.analysis,
                                           a.exclusions))
    q = step("cv", "cross-validate one model over the penalty grid", "analysis", "out")
    q.add_argument("--model", type=int, required=True)
    q.set_defaults(func=lambda a: pipeline.cross_validation(
        a.analysis, a.model, pipeline.load_config(a.config), a.out))
    q = sub.add_parser("merge-cv", help="merge per-model CV scores into the ranked table")
    q.add_argument("inputs", nargs="+")
    q.add_argument("--out", required=True)
    q.set_defaults(func=lambda a: pipeline.merge_cross_validation(a.inputs, a.out))
    step("headline", "main fit, bootstrap and derived quantities",
         "analysis", "selection", "estimates", "draws").set_defaults(
        func=lambda a: pipeline.headline(a.analysis, a.selection, pipeline.load_config(a.config),
                                         a.estimates, a.draws))
    q = step("figure", "draw one figure", "analysis", "estimates", "draws", "out")
    q.add_argument("--name", required=True)
    q.set_defaults(func=_figure)
    q = step("report", "write the reviewer's report", "raw", "analysis", "exclusions",
             "selection", "estimates", "sensitivity", "out")
    q.add_argument("--appendices", help="merged appendices JSON (adds their sections)")
    q.set_defaults(func=_report)
    step("sensitivity", "preferred model on alternative row selections", "raw", "out").set_defaults(
        func=lambda a: pipeline.sensitivity(a.raw, pipeline.load_config(a.config), a.out))
    step("summary", "write the dataset summary and its figure", "raw", "exclusions", "out",
         "figure").set_defaults(func=_summary)
    register_appendices(sub)
    args = parser.parse_args(argv)
    result = args.func(args)
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
