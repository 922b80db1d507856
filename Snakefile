# Regenerates every result and figure: `snakemake --cores 8`; the calibration study (slow, not
# part of the default target): `snakemake --cores 8 calibration`. Configuration:
# workflow/config.yaml, checked against workflow/schemas/config.schema.yaml before anything runs.
configfile: "workflow/config.yaml"

include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/selection.smk"
include: "workflow/rules/estimates.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/appendices.smk"
include: "workflow/rules/calibration.smk"

rule all:
    input:
        "results/validation.txt",
        "results/dataset_summary.md",
        "data/processed/analysis_set.csv",
        "results/model_selection.csv",
        "results/estimates.json",
        expand("results/figures/{figure}.png", figure=FIGURES),
        "results/appendices.json",
        expand("results/figures/appendix_{figure}.png", figure=APPENDIX_FIGURES),
        "results/report.md",
    default_target: True
