rule report:
    input:
        raw=config["raw"],
        analysis="data/processed/analysis_set.csv",
        exclusions="data/processed/exclusions.csv",
        selection="results/model_selection.csv",
        estimates="results/estimates.json",
        sensitivity="results/sensitivity.json",
    output: "results/report.md"
    log: "logs/report.log"
    conda: "../envs/algoprogress.yaml"
    shell:
        "python -m analysis report --raw {input.raw} --analysis {input.analysis} "
        "--exclusions {input.exclusions} --selection {input.selection} "
        "--estimates {input.estimates} --sensitivity {input.sensitivity} --out {output} 2> {log}"
