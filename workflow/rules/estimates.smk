rule headline:
    input:
        analysis="data/processed/analysis_set.csv",
        selection="results/model_selection.csv",
    output:
        estimates="results/estimates.json",
        draws="results/bootstrap_draws.csv",
    params:
        options=cli(model=config["preferred"]["model"], delta=config["preferred"]["delta"],
                    random_starts=config["fit"]["random_starts"], seed=config["seed"],
                    bootstrap_n=config["bootstrap"]["n"],
                    bootstrap_seed=config["bootstrap"]["seed"],
                    top10_models=config["top10"]["n_models"],
                    top10_draws=config["top10"]["draws"],
                    cutoff_years=config["cutoff_years"], cutoff_draws=config["cutoff_draws"],
                    doubling_year=config["doubling"]["year"],
                    doubling_compute=config["doubling"]["compute"],
                    ceg_compute=config["transformer_ceg"]["compute"],
                    shapley_systems=config["shapley"]["systems"],
                    shapley_pairs=config["shapley"]["pairs"],
                    pareto_targets=config["pareto"]["targets"],
                    pareto_years=config["pareto"]["years"],
                    pareto_log10_data_range=config["pareto"]["log10_data_range"],
                    pareto_points=config["pareto"]["points"]),
    log: "logs/headline.log"
    conda: "../envs/algoprogress.yaml"
    shell:
        "python -m analysis headline --analysis {input.analysis} --selection {input.selection} "
        "--estimates {output.estimates} --draws {output.draws} {params.options} 2> {log}"

FIGURES = ["data_over_time", "predicted_vs_actual", "doubling_times", "cutoff_years",
           "shapley", "pareto", "transformer_gain"]

for _figure in FIGURES:
    rule:
        name: f"figure_{_figure}"
        input:
            analysis="data/processed/analysis_set.csv",
            estimates="results/estimates.json",
            draws="results/bootstrap_draws.csv",
        output:
            report(f"results/figures/{_figure}.png", caption=f"../report/{_figure}.rst",
                   category="Figures")
        params: name=_figure
        log: f"logs/figures/{_figure}.log"
        conda: "../envs/algoprogress.yaml"
        shell:
            "python -m analysis figure --name {params.name} --analysis {input.analysis} "
            "--estimates {input.estimates} --draws {input.draws} --out {output} 2> {log}"

rule sensitivity:
    input:
        raw=config["raw"],
        valid="results/validation.txt",
    output: "results/sensitivity.json"
    params:
        selection=cli(**config["selection"]),
        options=cli(model=config["preferred"]["model"], delta=config["preferred"]["delta"],
                    random_starts=config["fit"]["random_starts"], seed=config["seed"],
                    draws=config["sensitivity_draws"], bootstrap_seed=config["bootstrap"]["seed"]),
    log: "logs/sensitivity.log"
    conda: "../envs/algoprogress.yaml"
    shell:
        "python -m analysis sensitivity --raw {input.raw} --out {output} {params.selection} "
        "{params.options} 2> {log}"
