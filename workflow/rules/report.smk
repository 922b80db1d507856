rule report:
    input:
        raw=config["raw"],
        analysis="data/processed/analysis_set.csv",
        exclusions="data/processed/exclusions.csv",
        selection="results/model_selection.csv",
        estimates="results/estimates.json",
        sensitivity="results/sensitivity.json",
        appendices="results/appendices.json",
    output: "results/report.md"
    shell:
        "algoprogress report --raw {input.raw} --analysis {input.analysis} "
        "--exclusions {input.exclusions} --selection {input.selection} "
        "--estimates {input.estimates} --sensitivity {input.sensitivity} "
        "--appendices {input.appendices} --out {output}"
