# The estimates, one rule per piece (docs/method.md §5), each writing its own file under
# results/estimates/; `estimates` merges them into results/estimates.json. Pieces that do not
# depend on each other run side by side (`--cores N`), and a changed value reruns only the
# pieces that use it.
FIT_OPTIONS = dict(random_starts=config["fit"]["random_starts"], seed=config["seed"],
                   estimator=config["fit"]["estimator"])
# how each bootstrap refit searches (rules that bootstrap add these to FIT_OPTIONS)
REFIT_OPTIONS = dict(refit_random_starts=config["fit"]["refit_random_starts"],
                     shared_starts=config["fit"]["shared_starts"])
PREFERRED = dict(model=config["preferred"]["model"], delta=config["preferred"]["delta"])
TOP10_RANKS = list(range(1, config["top10"]["n_models"] + 1))
CUTOFFS = config["cutoff_years"]
PIECES = ["main_fit", "bootstrap", "paper_clustered", "top10", "transformer_gain", "shapley",
          "pareto"]

wildcard_constraints:
    rank=r"\d+",
    year=r"\d{4}(\.\d+)?",

rule main_fit:
    input: "data/processed/analysis_set.csv"
    output: "results/estimates/main_fit.json"
    params: options=cli(**PREFERRED, **FIT_OPTIONS),
    log: "logs/estimates/main_fit.log"
    conda: "../envs/algoprogress.yaml"
    shell: "python -m analysis main-fit --analysis {input} --out {output} {params.options} 2> {log}"

rule main_bootstrap:
    input: "data/processed/analysis_set.csv"
    output:
        estimates="results/estimates/bootstrap.json",
        draws="results/bootstrap_draws.csv",
    params:
        options=cli(**PREFERRED, **FIT_OPTIONS, **REFIT_OPTIONS, n=config["bootstrap"]["n"],
                    bootstrap_seed=config["bootstrap"]["seed"],
                    doubling_year=config["doubling"]["year"],
                    doubling_compute=config["doubling"]["compute"]),
    log: "logs/estimates/bootstrap.log"
    conda: "../envs/algoprogress.yaml"
    shell:
        "python -m analysis bootstrap --analysis {input} --out {output.estimates} "
        "--draws {output.draws} {params.options} 2> {log}"

rule paper_clustered:
    input: "data/processed/analysis_set.csv"
    output: "results/estimates/paper_clustered.json"
    params:
        options=cli(**PREFERRED, **FIT_OPTIONS, **REFIT_OPTIONS, n=config["bootstrap"]["n"],
                    bootstrap_seed=config["bootstrap"]["seed"]),
    log: "logs/estimates/paper_clustered.log"
    conda: "../envs/algoprogress.yaml"
    shell:
        "python -m analysis paper-clustered --analysis {input} --out {output} "
        "{params.options} 2> {log}"

rule top10_member:
    input:
        analysis="data/processed/analysis_set.csv",
        selection="results/model_selection.csv",
    output: "results/estimates/top10/rank_{rank}.csv"
    params:
        options=cli(**FIT_OPTIONS, **REFIT_OPTIONS, draws=config["top10"]["draws"],
                    bootstrap_seed=config["bootstrap"]["seed"],
                    doubling_year=config["doubling"]["year"],
                    doubling_compute=config["doubling"]["compute"]),
    log: "logs/estimates/top10/rank_{rank}.log"
    conda: "../envs/algoprogress.yaml"
    shell:
        "python -m analysis top10-member --rank {wildcards.rank} --analysis {input.analysis} "
        "--selection {input.selection} --out {output} {params.options} 2> {log}"

rule top10:
    input: expand("results/estimates/top10/rank_{rank}.csv", rank=TOP10_RANKS)
    output: "results/estimates/top10.json"
    log: "logs/estimates/top10.log"
    conda: "../envs/algoprogress.yaml"
    shell: "python -m analysis top10 {input} --out {output} 2> {log}"

rule transformer_gain:
    input: "data/processed/analysis_set.csv"
    output: "results/estimates/transformer_gain.json"
    params:
        options=cli(**PREFERRED, **FIT_OPTIONS, **REFIT_OPTIONS, n=config["bootstrap"]["n"],
                    bootstrap_seed=config["bootstrap"]["seed"],
                    ceg_compute=config["transformer_ceg"]["compute"],
                    doubling_year=config["doubling"]["year"]),
    log: "logs/estimates/transformer_gain.log"
    conda: "../envs/algoprogress.yaml"
    shell:
        "python -m analysis transformer-gain --analysis {input} --out {output} "
        "{params.options} 2> {log}"

rule cutoff:
    input: "data/processed/analysis_set.csv"
    output: "results/estimates/cutoffs/cutoff_{year}.json"
    params:
        options=cli(**PREFERRED, **FIT_OPTIONS, **REFIT_OPTIONS, draws=config["cutoff_draws"],
                    bootstrap_seed=config["bootstrap"]["seed"]),
    log: "logs/estimates/cutoffs/cutoff_{year}.log"
    conda: "../envs/algoprogress.yaml"
    shell:
        "python -m analysis cutoff --year {wildcards.year} --analysis {input} --out {output} "
        "{params.options} 2> {log}"

rule shapley:
    input: "results/estimates/main_fit.json"
    output: "results/estimates/shapley.json"
    params:
        options=cli(systems=config["shapley"]["systems"], pairs=config["shapley"]["pairs"]),
    log: "logs/estimates/shapley.log"
    conda: "../envs/algoprogress.yaml"
    shell: "python -m analysis shapley --main-fit {input} --out {output} {params.options} 2> {log}"

rule pareto:
    input: "results/estimates/main_fit.json"
    output: "results/estimates/pareto.json"
    params:
        options=cli(targets=config["pareto"]["targets"], years=config["pareto"]["years"],
                    log10_data_range=config["pareto"]["log10_data_range"],
                    points=config["pareto"]["points"]),
    log: "logs/estimates/pareto.log"
    conda: "../envs/algoprogress.yaml"
    shell: "python -m analysis pareto --main-fit {input} --out {output} {params.options} 2> {log}"

rule estimates:
    input:
        expand("results/estimates/{piece}.json", piece=PIECES),
        expand("results/estimates/cutoffs/cutoff_{year}.json", year=CUTOFFS),
    output: "results/estimates.json"
    log: "logs/estimates/merge.log"
    conda: "../envs/algoprogress.yaml"
    shell: "python -m analysis merge-estimates {input} --out {output} 2> {log}"

# One rule per figure; each reads only the files it draws from.
FIGURE_INPUTS = {
    "data_over_time": {"analysis": "data/processed/analysis_set.csv"},
    "predicted_vs_actual": {"analysis": "data/processed/analysis_set.csv",
                            "estimates": "results/estimates/main_fit.json"},
    "doubling_times": {"draws": "results/bootstrap_draws.csv"},
    "cutoff_years": {"estimates": expand("results/estimates/cutoffs/cutoff_{year}.json",
                                         year=CUTOFFS)},
    "shapley": {"estimates": "results/estimates/shapley.json"},
    "pareto": {"estimates": "results/estimates/pareto.json"},
    "transformer_gain": {"estimates": "results/estimates/transformer_gain.json"},
}
FIGURES = list(FIGURE_INPUTS)

for _figure, _inputs in FIGURE_INPUTS.items():
    rule:
        name: f"figure_{_figure}"
        input: **_inputs
        output:
            report(f"results/figures/{_figure}.png", caption=f"../report/{_figure}.rst",
                   category="Figures")
        params:
            name=_figure,
            # the shell command runs after the loop: its options are fixed here, per figure
            files=" ".join(f"--{kind} " + " ".join(map(shlex.quote, [paths] if isinstance(
                paths, str) else paths)) for kind, paths in _inputs.items()),
        log: f"logs/figures/{_figure}.log"
        conda: "../envs/algoprogress.yaml"
        shell: "python -m analysis figure --name {params.name} {params.files} --out {output} 2> {log}"

rule sensitivity:
    input:
        raw=config["raw"],
        valid="results/validation.txt",
    output: "results/sensitivity.json"
    params:
        selection=cli(**config["selection"]),
        options=cli(**PREFERRED, **FIT_OPTIONS, **REFIT_OPTIONS, draws=config["sensitivity_draws"],
                    bootstrap_seed=config["bootstrap"]["seed"]),
    log: "logs/sensitivity.log"
    conda: "../envs/algoprogress.yaml"
    shell:
        "python -m analysis sensitivity --raw {input.raw} --out {output} {params.selection} "
        "{params.options} 2> {log}"
