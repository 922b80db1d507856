# The paper's robustness appendices (docs/method.md §8): one job per appendix writing
# results/appendices/<key>.json, merged into results/appendices.json; one rule per figure.
# Each appendix gets, as one JSON option, exactly the configuration values it uses
# (APPENDIX_SETTINGS: name -> path in the config), so an edit reruns only the appendices
# that use the edited value. A and I read the raw table (their own row selections), C the
# preferred model's bootstrap draws, D, J and the reference-compatible options the CV table.
import functools

ANALYSIS_SET = "data/processed/analysis_set.csv"
CV_TABLE = "results/model_selection.csv"
APPENDIX_INPUTS = {
    "A": {"raw": config["raw"], "valid": "results/validation.txt"},
    "B": {},
    "C": {"analysis": ANALYSIS_SET, "draws": "results/bootstrap_draws.csv"},
    "D": {"analysis": ANALYSIS_SET, "selection": CV_TABLE},
    "E": {"analysis": ANALYSIS_SET},
    "F": {"analysis": ANALYSIS_SET},
    "H": {"analysis": ANALYSIS_SET},
    "I": {"raw": config["raw"], "valid": "results/validation.txt"},
    "J": {"analysis": ANALYSIS_SET, "selection": CV_TABLE},
    "reference_compatible": {"analysis": ANALYSIS_SET, "selection": CV_TABLE},
}
# appendix fits use the paper's estimator (they are the paper's checks); C reads the draws of
# the headline estimator
_STARTS = {"random_starts": "fit.random_starts", "seed": "seed",
           "refit_random_starts": "fit.refit_random_starts", "shared_starts": "fit.shared_starts"}
_FIT = {**_STARTS, "model": "preferred.model", "delta": "preferred.delta"}
_DRAWS = {"draws": "appendices.draws", "bootstrap_seed": "bootstrap.seed"}
APPENDIX_SETTINGS = {
    "A": {"direct_progress": "appendices.direct_progress", "selection": "selection"},
    "B": {"scaling_gain": "appendices.scaling_gain"},
    "C": {**_FIT, "estimator": "fit.estimator", "frontier": "appendices.frontier"},
    "D": {**_STARTS, "draws": "appendices.top10_draws",
          "bootstrap_seed": "bootstrap.seed", "n_models": "top10.n_models",
          "ceg_compute": "transformer_ceg.compute", "year": "doubling.year"},
    "E": {**_FIT, **_DRAWS, "vocabulary_imputed": "appendices.vocabulary_imputed"},
    "F": {**_FIT, **_DRAWS, "repetition": "appendices.repetition"},
    "H": {**_FIT, **_DRAWS},
    "I": {**_FIT, **_DRAWS, "selection": "selection"},
    "J": {**_FIT, "tokens_per_parameter": "appendices.tokens_per_parameter",
          "year": "appendices.frontier.year"},
    "reference_compatible": {**_FIT, **_DRAWS, "top10_draws": "appendices.top10_draws",
                             "n_models": "top10.n_models", "cutoff_years": "cutoff_years",
                             "doubling": "doubling"},
}
APPENDIX_FIGURES = {"direct_progress": "A", "scaling_law_gain": "B", "frontier": "C",
                    "tokens_per_parameter": "J"}


# the options of each appendix job: its settings looked up in the configuration
APPENDIX_OPTIONS = {
    key: cli(settings={name: functools.reduce(lambda node, part: node[part], path.split("."),
                                              config)
                       for name, path in settings.items()})
    for key, settings in APPENDIX_SETTINGS.items()}


rule appendix:
    input: unpack(lambda w: APPENDIX_INPUTS[w.key])
    output: "results/appendices/{key}.json"
    wildcard_constraints: key="|".join(APPENDIX_INPUTS)
    params:
        files=lambda w, input: " ".join(f"--{name} {shlex.quote(path)}"
                                        for name, path in input.items() if name != "valid"),
        options=lambda w: APPENDIX_OPTIONS[w.key],
    log: "logs/appendices/{key}.log"
    conda: "../envs/algoprogress.yaml"
    shell:
        "python -m analysis appendix --name {wildcards.key} {params.files} "
        "{params.options} --out {output} 2> {log}"

rule merge_appendices:
    input: expand("results/appendices/{key}.json", key=APPENDIX_INPUTS)
    output: "results/appendices.json"
    log: "logs/appendices/merge.log"
    conda: "../envs/algoprogress.yaml"
    shell: "python -m analysis merge-appendices {input} --out {output} 2> {log}"

for _figure, _key in APPENDIX_FIGURES.items():
    # each figure reads only the files it draws from
    _inputs = {"appendix": f"results/appendices/{_key}.json",
               **({"analysis": ANALYSIS_SET} if _figure == "tokens_per_parameter" else {})}
    rule:
        name: f"appendix_figure_{_figure}"
        input: **_inputs
        output:
            report(f"results/figures/appendix_{_figure}.png",
                   caption=f"../report/appendix_{_figure}.rst", category="Appendices")
        params:
            name=_figure,
            files=" ".join(f"--{kind} {shlex.quote(path)}" for kind, path in _inputs.items()),
        log: f"logs/figures/appendix_{_figure}.log"
        conda: "../envs/algoprogress.yaml"
        shell:
            "python -m analysis appendix-figure --name {params.name} {params.files} "
            "--out {output} 2> {log}"
