"""Curated language-model evaluations and a re-derivation of algorithmic progress in
language models (Ho et al. 2024): schema, preprocessing, augmented scaling laws, model
selection, bootstrap and derived quantities.

From Python (see README.md, "From Python")::

    from analysis import ScalingLaw, load_analysis_set
    frame, _ = load_analysis_set("data/raw/evaluations.csv")
    results = ScalingLaw(7, delta=0.0025, seed=0).fit(frame)
    print(results.bootstrap(200, seed=0).summary())
"""

from .bootstrap import interval
from .crossval import CVScore, cross_validate, cross_validate_model, rank_models
from .models import CANDIDATES, MODELS, PREFERRED, VARIANTS, ModelSpec, Normalizer
from .preprocess import Selection, build_analysis_set, load_analysis_set
from .results import BootstrapResults, NotBootstrapped, ScalingLaw, ScalingLawResults, System
from .schema import InvalidDataset, load_evaluations, validate_csv
from .synthetic import REFERENCE_MODEL7, simulate

__all__ = [
    "ScalingLaw", "ScalingLawResults", "BootstrapResults", "NotBootstrapped", "System",
    "MODELS", "VARIANTS", "CANDIDATES", "PREFERRED", "ModelSpec", "Normalizer",
    "Selection", "build_analysis_set", "load_analysis_set",
    "load_evaluations", "validate_csv", "InvalidDataset",
    "cross_validate", "cross_validate_model", "rank_models", "CVScore",
    "interval", "simulate", "REFERENCE_MODEL7",
]
