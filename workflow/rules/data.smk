# Validation comes first: an invalid table stops the pipeline before anything else runs.
# Its problems are shown on the terminal as well as written to the log.
rule validate:
    input: config["raw"]
    output: "results/validation.txt"
    log: "logs/validate.log"
    conda: "../envs/algoprogress.yaml"
    shell: "python -m analysis validate {input} 2>&1 > {output} | tee {log}"

rule preprocess:
    input:
        raw=config["raw"],
        valid="results/validation.txt",
    output:
        analysis="data/processed/analysis_set.csv",
        exclusions="data/processed/exclusions.csv",
    params:
        selection=cli(**config["selection"]),
    log: "logs/preprocess.log"
    conda: "../envs/algoprogress.yaml"
    shell:
        "python -m analysis preprocess --raw {input.raw} --analysis {output.analysis} "
        "--exclusions {output.exclusions} {params.selection} 2> {log}"

rule dataset_summary:
    input:
        raw=config["raw"],
        exclusions="data/processed/exclusions.csv",
    output:
        summary="results/dataset_summary.md",
        figure=report("results/figures/dataset_over_time.png",
                      caption="../report/dataset_over_time.rst", category="Data"),
    log: "logs/dataset_summary.log"
    conda: "../envs/algoprogress.yaml"
    shell:
        "python -m analysis summary --raw {input.raw} --exclusions {input.exclusions} "
        "--out {output.summary} --figure {output.figure} 2> {log}"
