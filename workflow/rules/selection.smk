# One job per candidate model (all penalties, all folds), merged by a final rule.
rule cross_validate:
    input: "data/processed/analysis_set.csv"
    output: "results/cv/model_{model}.csv"
    params:
        options=cli(deltas=config["cross_validation"]["deltas"],
                    holdout_fraction=config["cross_validation"]["holdout_fraction"],
                    random_starts=config["cross_validation"]["random_starts"],
                    fold_random_starts=config["cross_validation"]["fold_random_starts"],
                    fold_shared_starts=config["cross_validation"]["fold_shared_starts"],
                    seed=config["seed"]),
    log: "logs/cv/model_{model}.log"
    conda: "../envs/algoprogress.yaml"
    shell:
        "python -m analysis cv --model {wildcards.model} --analysis {input} --out {output} "
        "{params.options} 2> {log}"

rule model_selection:
    input: expand("results/cv/model_{model}.csv", model=config["cross_validation"]["models"])
    output: report("results/model_selection.csv", caption="../report/model_selection.rst", category="Model selection")
    log: "logs/model_selection.log"
    conda: "../envs/algoprogress.yaml"
    shell: "python -m analysis merge-cv {input} --out {output} 2> {log}"
