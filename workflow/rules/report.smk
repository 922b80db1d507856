rule report:
    input:
        raw=config["raw"],
        analysis="data/processed/analysis_set.csv",
        exclusions="data/processed/exclusions.csv",
        selection="results/model_selection.csv",
        estimates="results/estimates.json",
        sensitivity="results/sensitivity.json",
        appendices="results/appendices.json",
        # the calibration study only when asked for: it is not part of a default run
        calibration="results/calibration.csv" if config["calibration"]["in_report"] else [],
    output: "results/report.md"
    params:
        calibration=lambda wildcards, input: (f"--calibration {input.calibration}"
                                              if input.calibration else ""),
    log: "logs/report.log"
    conda: "../envs/algoprogress.yaml"
    shell:
        "python -m analysis report --raw {input.raw} --analysis {input.analysis} "
        "--exclusions {input.exclusions} --selection {input.selection} "
        "--estimates {input.estimates} --sensitivity {input.sensitivity} "
        "--appendices {input.appendices} {params.calibration} --out {output} 2> {log}"
