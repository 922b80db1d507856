# The paper's robustness appendices (docs/method.md §8): one job per appendix writing
# results/appendices/<key>.json, merged into results/appendices.json; one rule per figure.
# Inputs per appendix: A and I read the raw table (their own row selections), C the
# headline's bootstrap draws, D, J and the reference-compatible options the CV table.
APPENDIX_INPUTS = {
    "A": {"raw": config["raw"], "valid": "results/validation.txt"},
    "B": {},
    "C": {"analysis": "data/processed/analysis_set.csv", "draws": "results/bootstrap_draws.csv"},
    "D": {"analysis": "data/processed/analysis_set.csv", "selection": "results/model_selection.csv"},
    "E": {"analysis": "data/processed/analysis_set.csv"},
    "F": {"analysis": "data/processed/analysis_set.csv"},
    "H": {"analysis": "data/processed/analysis_set.csv"},
    "I": {"raw": config["raw"], "valid": "results/validation.txt"},
    "J": {"analysis": "data/processed/analysis_set.csv", "selection": "results/model_selection.csv"},
    "reference_compatible": {"analysis": "data/processed/analysis_set.csv",
                             "selection": "results/model_selection.csv"},
}
APPENDIX_FIGURES = {"direct_progress": "A", "scaling_law_gain": "B", "frontier": "C",
                    "tokens_per_parameter": "J"}


def _appendix_args(wildcards, input):
    return " ".join(f"--{name} {path}" for name, path in input.items() if name != "valid")


rule appendix:
    input: unpack(lambda w: APPENDIX_INPUTS[w.key])
    output: "results/appendices/{key}.json"
    wildcard_constraints: key="|".join(APPENDIX_INPUTS)
    params: args=_appendix_args
    log: "results/logs/appendix_{key}.log"
    shell: "algoprogress appendix --name {wildcards.key} {params.args} --out {output} 2> {log}"

rule merge_appendices:
    input: expand("results/appendices/{key}.json", key=APPENDIX_INPUTS)
    output: "results/appendices.json"
    log: "results/logs/merge_appendices.log"
    shell: "algoprogress merge-appendices {input} --out {output} 2> {log}"

for _figure, _key in APPENDIX_FIGURES.items():
    rule:
        name: f"appendix_figure_{_figure}"
        input:
            appendix=f"results/appendices/{_key}.json",
            analysis="data/processed/analysis_set.csv",
        output:
            report(f"results/figures/appendix_{_figure}.png",
                   caption=f"../report/appendix_{_figure}.rst", category="Appendices")
        params: name=_figure
        log: f"results/logs/appendix_figure_{_figure}.log"
        shell:
            "algoprogress appendix-figure --name {params.name} --appendix {input.appendix} "
            "--analysis {input.analysis} --out {output} 2> {log}"
