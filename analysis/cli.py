"""Command line: `algoprogress validate data/raw/evaluations.csv`, and the pipeline steps.

Every setting a step uses is one of its options (Snakemake passes them from
workflow/config.yaml); no step reads the configuration file itself.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .cli_appendices import register as register_appendices
from .preprocess import Selection

#: `fitting.ESTIMATORS`, repeated so that parsing options does not load the fitting code
ESTIMATORS = ("paper", "effect", "refit")


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
                     seed=a.seed, fold_random_starts=a.fold_random_starts,
                     fold_shared_starts=a.fold_shared_starts)


def _merge_cross_validation(a: argparse.Namespace) -> None:
    from .pipeline import merge_cross_validation
    merge_cross_validation(a.inputs, a.out)


def _main_fit(a: argparse.Namespace) -> None:
    from .pipeline import main_fit
    main_fit(a.analysis, a.out, model=a.model, delta=a.delta, settings=settings_from(a))


def _main_bootstrap(a: argparse.Namespace) -> None:
    from .pipeline import main_bootstrap
    main_bootstrap(a.analysis, a.out, a.draws, model=a.model, delta=a.delta,
                   settings=settings_from(a), n=a.n,
                   bootstrap_seed=a.bootstrap_seed, doubling_year=a.doubling_year,
                   doubling_compute=a.doubling_compute)


def _paper_clustered(a: argparse.Namespace) -> None:
    from .pipeline import paper_clustered
    paper_clustered(a.analysis, a.out, model=a.model, delta=a.delta,
                    settings=settings_from(a), n=a.n,
                    bootstrap_seed=a.bootstrap_seed)


def _top10_member(a: argparse.Namespace) -> None:
    from .pipeline import top10_member
    top10_member(a.analysis, a.selection, a.out, rank=a.rank, settings=settings_from(a),
                 draws=a.draws, bootstrap_seed=a.bootstrap_seed,
                 doubling_year=a.doubling_year, doubling_compute=a.doubling_compute)


def _top10_pool(a: argparse.Namespace) -> None:
    from .pieces import top10_pool
    top10_pool(a.inputs, a.out)


def _transformer_gain(a: argparse.Namespace) -> None:
    from .pipeline import transformer_variant
    transformer_variant(a.analysis, a.out, delta=a.delta, settings=settings_from(a), n=a.n,
                        bootstrap_seed=a.bootstrap_seed,
                        computes=a.ceg_compute, year=a.doubling_year)


def _cutoff(a: argparse.Namespace) -> None:
    from .pipeline import cutoff
    cutoff(a.analysis, a.out, year=a.year, delta=a.delta, settings=settings_from(a),
           draws=a.draws, bootstrap_seed=a.bootstrap_seed)


def _shapley(a: argparse.Namespace) -> None:
    from .pipeline import shapley
    from .results import System
    shapley(a.main_fit, a.out, systems={name: System.published(*value)
                                        for name, value in a.systems.items()},
            pairs=a.pairs)


def _pareto(a: argparse.Namespace) -> None:
    from .pipeline import pareto
    pareto(a.main_fit, a.out, targets={k: float(v) for k, v in a.targets.items()},
           years=a.years, log10_data_range=tuple(a.log10_data_range), points=a.points)


def _merge_estimates(a: argparse.Namespace) -> None:
    from .pieces import merge_estimates
    merge_estimates(a.inputs, a.out)


def _calibration_truths(a: argparse.Namespace) -> None:
    from .calibration import write_truths
    write_truths(a.analysis, a.out, truths=a.truths, loss_reduction=a.loss_reduction,
                 delta=a.delta, settings=settings_from(a))


def _calibration_chunk(a: argparse.Namespace) -> None:
    from .calibration import run_chunk
    run_chunk(a.analysis, a.truths_json, a.out, truth=a.truth, design_name=a.design,
              chunk=a.chunk, chunk_size=a.chunk_size, n_sim=a.n_sim, n_boot=a.n_boot,
              noise_sd=a.noise_sd, estimators=a.estimators, model=a.model, delta=a.delta,
              settings=settings_from(a), calibration_seed=a.calibration_seed,
              computes=a.ceg_compute, year=a.doubling_year)


def _calibration_merge(a: argparse.Namespace) -> None:
    from .calibration import merge_chunks
    merge_chunks(a.inputs, a.out)


def _calibration_report(a: argparse.Namespace) -> None:
    from .report import write_calibration_section
    write_calibration_section(a.calibration, a.out)


def _sensitivity(a: argparse.Namespace) -> None:
    from .pipeline import sensitivity
    sensitivity(a.raw, a.out, selection=selection_from(a), model=a.model, delta=a.delta,
                settings=settings_from(a), draws=a.draws,
                bootstrap_seed=a.bootstrap_seed)


def _figure(args: argparse.Namespace) -> None:
    from .figures import draw  # matplotlib only for the commands that draw
    draw(args.name, args.out, analysis=args.analysis, estimates=args.estimates,
         draws=args.draws, calibration=args.calibration)


def _report(args: argparse.Namespace) -> None:
    from .report import write_report
    write_report(args.raw, args.analysis, args.exclusions, args.selection, args.estimates,
                 args.sensitivity, args.out, calibration_csv=args.calibration,
                 appendices_json=args.appendices)


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


def add_fit(parser: argparse.ArgumentParser, *, preferred: bool = True,
            refits: bool = True) -> None:
    group = parser.add_argument_group("fit (docs/method.md §3)")
    if preferred:
        group.add_argument("--model", type=int, default=7, help="preferred model (default 7)")
        group.add_argument("--delta", type=float, default=0.0025,
                           help="penalty δ (default 0.0025)")
    group.add_argument("--random-starts", type=int, default=16,
                       help="seeded random starts of each fit (default 16)")
    group.add_argument("--seed", type=int, default=0, help="seed of the random starts (default 0)")
    if not refits:
        return
    group.add_argument("--estimator", choices=ESTIMATORS, default="paper",
                       help="paper: L1 on raw coefficients (the paper's); effect: L1 on the "
                            "transformer multiplier's effect; refit: unpenalised refit on the "
                            "support the paper's fit selects (default paper)")
    group.add_argument("--refit-random-starts", type=int, default=2,
                       help="seeded random starts of each bootstrap refit besides the full "
                            "fit's optima and the heuristic point (default 2)")
    group.add_argument("--shared-starts", type=int, default=6,
                       help="diverse end points of the other draws tried by every bootstrap "
                            "refit (default 6)")


def settings_from(args: argparse.Namespace):
    from .pipeline import FitSettings
    return FitSettings(args.random_starts, args.seed, args.estimator,
                       args.refit_random_starts, args.shared_starts)


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
    add_fit(q, preferred=False, refits=False)
    q.add_argument("--fold-random-starts", type=int, default=0,
                   help="seeded random starts of each leave-one-out fold besides the optima of "
                        "the fit on all leave-one-out rows and the heuristic point (default 0)")
    q.add_argument("--fold-shared-starts", type=int, default=2,
                   help="diverse end points of the other folds tried by every fold (default 2)")
    q.set_defaults(func=_cross_validation)

    q = sub.add_parser("merge-cv", help="merge per-model CV scores into the ranked table")
    q.add_argument("inputs", nargs="+")
    q.add_argument("--out", required=True)
    q.set_defaults(func=_merge_cross_validation)

    def doubling(group) -> None:
        group.add_argument("--doubling-year", type=float, required=True,
                           help="year of the numerical doubling time and the CEG")
        group.add_argument("--doubling-compute", type=float, required=True,
                           help="compute C (FLOP) of the numerical doubling time")

    q = step("main-fit", "fit the preferred model on the analysis set", "analysis", "out")
    add_fit(q)
    q.set_defaults(func=_main_fit)

    q = step("bootstrap", "bootstrap of the preferred model: parameter table, doubling times",
             "analysis", "out", "draws")
    add_fit(q)
    group = q.add_argument_group("bootstrap (docs/method.md §5)")
    group.add_argument("--n", type=int, required=True, help="bootstrap draws")
    group.add_argument("--bootstrap-seed", type=int, required=True)
    doubling(group)
    q.set_defaults(func=_main_bootstrap)

    q = step("paper-clustered", "closed-form doubling times, papers resampled", "analysis",
             "out")
    add_fit(q)
    q.add_argument("--n", type=int, required=True, help="bootstrap draws")
    q.add_argument("--bootstrap-seed", type=int, required=True)
    q.set_defaults(func=_paper_clustered)

    q = step("top10-member", "bootstrap of the (model, δ) pair ranked RANK by LOOCV error",
             "analysis", "selection", "out")
    q.add_argument("--rank", type=int, required=True, help="1 = lowest LOOCV error")
    add_fit(q, preferred=False)
    q.add_argument("--draws", type=int, required=True)
    q.add_argument("--bootstrap-seed", type=int, required=True)
    doubling(q)
    q.set_defaults(func=_top10_member)

    q = sub.add_parser("top10", help="pool the top-10 members' draws with equal weight")
    q.add_argument("inputs", nargs="+", help="top10-member outputs")
    q.add_argument("--out", required=True)
    q.set_defaults(func=_top10_pool)

    q = step("transformer-gain", "transformer variant: compute-equivalent gain", "analysis",
             "out")
    add_fit(q)
    q.add_argument("--n", type=int, required=True, help="bootstrap draws")
    q.add_argument("--bootstrap-seed", type=int, required=True)
    q.add_argument("--ceg-compute", type=float, nargs="+", required=True)
    q.add_argument("--doubling-year", type=float, required=True)
    q.set_defaults(func=_transformer_gain)

    q = step("cutoff", "hinge at a cutoff year: doubling before and after", "analysis", "out")
    q.add_argument("--year", type=number, required=True)
    add_fit(q)
    q.add_argument("--draws", type=int, required=True)
    q.add_argument("--bootstrap-seed", type=int, required=True)
    q.set_defaults(func=_cutoff)

    q = step("shapley", "Shapley shares between pairs of systems", "main-fit", "out")
    q.add_argument("--systems", type=json_object, required=True,
                   help='JSON {"name": [N, D, "YYYY-MM-DD"], ...}')
    q.add_argument("--pairs", type=json_pairs, required=True, help='JSON [["start", "end"], ...]')
    q.set_defaults(func=_shapley)

    q = step("pareto", "(D, N) frontiers reaching target perplexities", "main-fit", "out")
    q.add_argument("--targets", type=json_object, required=True,
                   help='JSON {"label": perplexity, ...}')
    q.add_argument("--years", type=number, nargs="+", required=True)
    q.add_argument("--log10-data-range", type=float, nargs=2, required=True)
    q.add_argument("--points", type=int, required=True)
    q.set_defaults(func=_pareto)

    q = sub.add_parser("merge-estimates", help="merge the pieces into results/estimates.json")
    q.add_argument("inputs", nargs="+", help="JSON pieces")
    q.add_argument("--out", required=True)
    q.set_defaults(func=_merge_estimates)

    q = step("figure", "draw one figure from the files it reads", "out")
    q.add_argument("--name", required=True)
    q.add_argument("--analysis", metavar="PATH")
    q.add_argument("--estimates", nargs="+", metavar="PATH", help="JSON pieces (merged)")
    q.add_argument("--draws", metavar="PATH")
    q.add_argument("--calibration", metavar="PATH")
    q.set_defaults(func=_figure)
    q = step("report", "write the reviewer's report", "raw", "analysis", "exclusions",
             "selection", "estimates", "sensitivity", "out")
    q.add_argument("--calibration", metavar="PATH", help="results/calibration.csv, if run")
    q.add_argument("--appendices", metavar="PATH", help="results/appendices.json (their sections)")
    q.set_defaults(func=_report)

    q = step("calibration-truths", "coefficients of the calibration study's truths",
             "analysis", "out")
    q.add_argument("--truths", nargs="+", required=True, help="paper and/or own")
    q.add_argument("--loss-reduction", type=float, required=True,
                   help="transformer loss reduction of the paper truth (e.g. 0.046)")
    add_fit(q)
    q.set_defaults(func=_calibration_truths)

    q = step("calibration-chunk", "one chunk of simulated sets of the calibration study",
             "analysis", "truths-json", "out")
    add_fit(q)
    group = q.add_argument_group("simulation (analysis/calibration.py)")
    group.add_argument("--truth", required=True)
    group.add_argument("--design", required=True, help="observed or n<rows>, e.g. n231")
    group.add_argument("--chunk", type=int, required=True)
    group.add_argument("--chunk-size", type=int, required=True)
    group.add_argument("--n-sim", type=int, required=True)
    group.add_argument("--n-boot", type=int, required=True)
    group.add_argument("--noise-sd", type=float, required=True)
    group.add_argument("--estimators", nargs="+", required=True)
    group.add_argument("--calibration-seed", type=int, required=True)
    group.add_argument("--ceg-compute", type=float, nargs="+", required=True)
    group.add_argument("--doubling-year", type=float, required=True)
    q.set_defaults(func=_calibration_chunk)

    q = sub.add_parser("calibration-merge", help="coverage table from the chunks")
    q.add_argument("inputs", nargs="+")
    q.add_argument("--out", required=True)
    q.set_defaults(func=_calibration_merge)

    step("calibration-report", "the report section of the calibration study", "calibration",
         "out").set_defaults(func=_calibration_report)

    q = step("sensitivity", "preferred model on alternative row selections", "raw", "out")
    add_selection(q)
    add_fit(q)
    q.add_argument("--draws", type=int, required=True, help="bootstrap draws per selection")
    q.add_argument("--bootstrap-seed", type=int, required=True)
    q.set_defaults(func=_sensitivity)

    step("summary", "write the dataset summary and its figure", "raw", "exclusions", "out",
         "figure").set_defaults(func=_summary)
    register_appendices(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result = args.func(args)
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
