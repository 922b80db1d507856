# The calibration study (`snakemake calibration`; not part of the default target): simulated
# sets from known truths, fitted and bootstrapped as the pipeline does, one job per chunk of
# sets (wildcards truth, design, chunk), merged into results/calibration.csv.
CALIBRATION = config["calibration"]
STUDIES = {(s["truth"], s["design"]): s["n_sim"] for s in CALIBRATION["studies"]}
TRUTHS = sorted({truth for truth, _ in STUDIES})
CHUNKS = [f"results/calibration/{truth}/{design}/chunk_{chunk}.csv"
          for (truth, design), n_sim in STUDIES.items()
          for chunk in range(-(-n_sim // CALIBRATION["chunk_size"]))]


wildcard_constraints:
    truth="|".join(TRUTHS),
    design=r"observed|n\d+",
    chunk=r"\d+",

rule calibration_truths:
    input: "data/processed/analysis_set.csv"
    output: "results/calibration/truths.json"
    params:
        options=cli(**PREFERRED, **FIT_OPTIONS, truths=TRUTHS,
                    loss_reduction=CALIBRATION["transformer_loss_reduction"]),
    log: "logs/calibration/truths.log"
    conda: "../envs/algoprogress.yaml"
    shell:
        "python -m analysis calibration-truths --analysis {input} --out {output} "
        "{params.options} 2> {log}"

rule calibration_chunk:
    input:
        analysis="data/processed/analysis_set.csv",
        truths="results/calibration/truths.json",
    output: "results/calibration/{truth}/{design}/chunk_{chunk}.csv"
    params:
        # the chunk's study sets its number of simulated sets
        options=lambda w: cli(**PREFERRED, **FIT_OPTIONS, **REFIT_OPTIONS,
                              n_sim=STUDIES[w.truth, w.design],
                              chunk_size=CALIBRATION["chunk_size"], n_boot=CALIBRATION["n_boot"],
                              noise_sd=CALIBRATION["noise_sd"],
                              estimators=CALIBRATION["estimators"],
                              calibration_seed=CALIBRATION["seed"],
                              ceg_compute=CALIBRATION["ceg_compute"],
                              doubling_year=config["doubling"]["year"]),
    log: "logs/calibration/{truth}/{design}/chunk_{chunk}.log"
    conda: "../envs/algoprogress.yaml"
    shell:
        "python -m analysis calibration-chunk --truth {wildcards.truth} "
        "--design {wildcards.design} --chunk {wildcards.chunk} --analysis {input.analysis} "
        "--truths-json {input.truths} --out {output} {params.options} 2> {log}"

rule calibration_merge:
    input:
        CHUNKS,
    output:
        report("results/calibration.csv", caption="../report/calibration.rst",
               category="Calibration"),
    log: "logs/calibration/merge.log"
    conda: "../envs/algoprogress.yaml"
    shell: "python -m analysis calibration-merge {input} --out {output} 2> {log}"

rule figure_calibration:
    input: "results/calibration.csv"
    output:
        report("results/figures/calibration.png", caption="../report/calibration.rst",
               category="Calibration"),
    log: "logs/figures/calibration.log"
    conda: "../envs/algoprogress.yaml"
    shell:
        "python -m analysis figure --name calibration --calibration {input} --out {output} "
        "2> {log}"

rule calibration_report:
    input: "results/calibration.csv"
    output: "results/calibration.md"
    log: "logs/calibration/report.log"
    conda: "../envs/algoprogress.yaml"
    shell: "python -m analysis calibration-report --calibration {input} --out {output} 2> {log}"

rule calibration:
    input:
        "results/calibration.csv",
        "results/figures/calibration.png",
        "results/calibration.md",
