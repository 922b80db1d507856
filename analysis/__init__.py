"""Curated language-model evaluations and a re-derivation of algorithmic progress in
language models (Ho et al. 2024): schema, preprocessing, augmented scaling laws, model
selection, bootstrap and derived quantities.

From Python (see README.md, "From Python")::

    from analysis import ScalingLaw, load_analysis_set
    frame, _ = load_analysis_set("data/raw/evaluations.csv")
    results = ScalingLaw(7, delta=0.0025, seed=0).fit(frame)
    print(results.bootstrap(200, seed=0).summary())

The public names below are imported on first use, so that each pipeline step
(`python -m analysis STEP`) loads only the modules it needs.
"""

from importlib import import_module

from . import numerics

numerics.pin()  # before numpy loads: the same kernels, so the same bytes, on any machine

#: public name -> module that defines it
_EXPORTS = {
    **dict.fromkeys(["ScalingLaw", "ScalingLawResults", "BootstrapResults", "NotBootstrapped",
                     "System"], "results"),
    **dict.fromkeys(["MODELS", "VARIANTS", "CANDIDATES", "PREFERRED", "ModelSpec",
                     "Normalizer"], "models"),
    **dict.fromkeys(["Selection", "build_analysis_set", "load_analysis_set"], "preprocess"),
    **dict.fromkeys(["load_evaluations", "validate_csv", "InvalidDataset"], "schema"),
    **dict.fromkeys(["cross_validate", "cross_validate_model", "rank_models", "CVScore"],
                    "crossval"),
    **dict.fromkeys(["percentile_interval", "doubling_interval", "format_interval"],
                    "intervals"),
    **dict.fromkeys(["simulate", "REFERENCE_MODEL7"], "synthetic"),
    **dict.fromkeys(["ChinchillaLaw", "KaplanLaws", "CHINCHILLA", "KAPLAN"], "scaling"),
    **dict.fromkeys(["fit_chinchilla", "ChinchillaFit"], "approach3"),
}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'analysis' has no attribute {name!r}")
    return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)


def __dir__() -> list[str]:
    return sorted(__all__ + ["__doc__", "__name__", "__path__"])
