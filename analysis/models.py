"""The candidate augmented scaling laws of docs/method.md §2, declared as data.

Every model predicts log perplexity as

    ŷ = exp(X_u · g(θ)) + exp(X_v · g(θ)) + X_a · g(θ)

where each coefficient θ_k contributes a feature column (a product of named basis
columns, with a sign) to the u term, the v term, both, or the additive term, and g
is the coefficient's link (identity, or log-sigmoid for the transformer multiplier).
A model is a tuple of `Coefficient`s; `declare` builds it from a one-line recipe, and
`MODELS` holds the recipes. One prediction function and one Jacobian serve all.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

#: basis columns a feature can multiply together (see `basis`)
BASIS = ("one", "t", "n", "d", "ptb", "wt2", "tr", "nontr", "c", "lnv", "hinge")
LINKS = ("identity", "logsigmoid")


@dataclass(frozen=True)
class Coefficient:
    """One coefficient: where its feature enters, the feature, its sign and link."""

    name: str
    terms: tuple[str, ...]  # subset of ("u", "v", "add")
    feature: tuple[str, ...]  # product of BASIS columns; () means the constant 1
    sign: float = 1.0
    link: str = "identity"


@dataclass(frozen=True)
class ModelSpec:
    """A candidate model: its coefficients and what data it needs."""

    model_id: int
    label: str
    coefficients: tuple[Coefficient, ...]
    has_v: bool = True
    cutoff: float | None = None  # year of the hinge basis column, when used
    tokens_column: str = "tokens"

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.coefficients]

    @property
    def n_params(self) -> int:
        return len(self.coefficients)

    def with_cutoff(self, cutoff: float) -> "ModelSpec":
        return replace(self, cutoff=cutoff)


# --- the recipe ---------------------------------------------------------------------------

#: (group, term, basis column, sign): the six base coefficients of the two-term law
BASE_GROUPS = {
    "alpha0": ("u", (), 1.0),
    "alpha_year": ("u", ("t",), -1.0),
    "alpha_N": ("u", ("n",), -1.0),
    "beta0": ("v", (), 1.0),
    "beta_year": ("v", ("t",), -1.0),
    "beta_D": ("v", ("d",), -1.0),
}
EXTRAS = {
    "irreducible": [Coefficient("gamma", ("add",), ()),
                    Coefficient("gamma_ptb", ("add",), ("ptb",)),
                    Coefficient("gamma_wt2", ("add",), ("wt2",))],
    "log_vocab": [Coefficient("gamma_vocab", ("add",), ("lnv",))],
    "transformer_gain": [Coefficient("gamma_transformer", ("u", "v"), ("tr",), 1.0, "logsigmoid")],
    "hinge": [Coefficient("alpha_year_post", ("u",), ("hinge",), -1.0),
              Coefficient("beta_year_post", ("v",), ("hinge",), -1.0)],
}


def declare(model_id: int, label: str, offsets: tuple[str, ...] = (),
            year: str = "both", exponents: str = "shared", extras: tuple[str, ...] = (),
            tokens_column: str = "tokens") -> ModelSpec:
    """Build a two-term augmented scaling law from its recipe.

    offsets: base groups that get per-benchmark offsets (_ptb, _wt2).
    year: "both", "alpha", "beta", "none", or "common" (one factor exp(-α_year·t) on ŷ).
    exponents: "shared", "transformer" (separate α_N, β_D for transformers) or
    "drift" (α_N + α_rate·t, β_D + β_rate·t).
    """
    groups = ["alpha0", "alpha_year", "alpha_N", "beta0", "beta_year", "beta_D"]
    drop = {"both": (), "alpha": ("beta_year",), "beta": ("alpha_year",),
            "none": ("alpha_year", "beta_year"), "common": ("beta_year",)}[year]
    coefficients: list[Coefficient] = []
    for group in groups:
        if group in drop:
            continue
        term, feature, sign = BASE_GROUPS[group]
        terms = ("u", "v") if (year == "common" and group == "alpha_year") else (term,)
        if exponents == "transformer" and group in ("alpha_N", "beta_D"):
            coefficients += [Coefficient(group, terms, feature + ("nontr",), sign),
                             Coefficient(group + "_T", terms, feature + ("tr",), sign)]
            continue
        coefficients.append(Coefficient(group, terms, feature, sign))
        if group in offsets:
            coefficients += [Coefficient(f"{group}_{b}", terms, feature + (b,), sign)
                             for b in ("ptb", "wt2")]
    if exponents == "drift":
        coefficients += [Coefficient("alpha_rate", ("u",), ("t", "n"), -1.0),
                         Coefficient("beta_rate", ("v",), ("t", "d"), -1.0)]
    for extra in extras:
        coefficients += EXTRAS[extra]
    return ModelSpec(model_id, label, tuple(coefficients), tokens_column=tokens_column)


def compute_only(model_id: int, label: str) -> ModelSpec:
    """Model 18: ŷ = exp(α₀[b] − α_year·t − α_C·ln(C/C₀)), C = 6ND."""
    coefficients = (
        Coefficient("alpha0", ("u",), ()),
        Coefficient("alpha0_ptb", ("u",), ("ptb",)),
        Coefficient("alpha0_wt2", ("u",), ("wt2",)),
        Coefficient("alpha_year", ("u",), ("t",), -1.0),
        Coefficient("alpha_C", ("u",), ("c",), -1.0),
    )
    return ModelSpec(model_id, label, coefficients, has_v=False)


B0 = ("alpha0", "beta0")
YEARS = ("alpha_year", "beta_year")
ALL_GROUPS = ("alpha0", "alpha_year", "alpha_N", "beta0", "beta_year", "beta_D")

MODELS: dict[int, ModelSpec] = {
    1: declare(1, "no offsets"),
    2: declare(2, "no offsets, data-efficiency year term only", year="beta"),
    3: declare(3, "no offsets, parameter-efficiency year term only", year="alpha"),
    4: declare(4, "α_year per benchmark", offsets=("alpha_year",)),
    5: declare(5, "β_year per benchmark", offsets=("beta_year",)),
    6: declare(6, "both year terms per benchmark", offsets=YEARS),
    7: declare(7, "α₀, β₀ per benchmark (preferred)", offsets=B0),
    8: declare(8, "α₀, β₀ per benchmark, β_year only", offsets=B0, year="beta"),
    9: declare(9, "α₀, β₀ per benchmark, α_year only", offsets=B0, year="alpha"),
    10: declare(10, "α₀, β₀ and year terms per benchmark", offsets=B0 + YEARS),
    11: declare(11, "everything per benchmark", offsets=ALL_GROUPS),
    12: declare(12, "one time factor on the whole prediction", offsets=B0, year="common"),
    13: declare(13, "transformer-specific exponents", offsets=B0, exponents="transformer"),
    14: declare(14, "exponents drift in time, no year terms", offsets=B0, year="none",
                exponents="drift"),
    15: declare(15, "exponents drift in time, with year terms", offsets=B0, exponents="drift"),
    16: declare(16, "model 7 without year terms", offsets=B0, year="none"),
    17: declare(17, "model 13 without year terms", offsets=B0, year="none",
                exponents="transformer"),
    18: compute_only(18, "compute only"),
    19: declare(19, "model 7 + γ·ln V", offsets=B0, extras=("log_vocab",)),
    20: declare(20, "model 7 on effective data under repetition", offsets=B0,
                tokens_column="effective_tokens"),
}
CANDIDATES = tuple(range(1, 16))
PREFERRED = 7
#: named robustness variants of the preferred model
VARIANTS = {
    "irreducible": declare(7, "model 7 + irreducible loss", offsets=B0, extras=("irreducible",)),
    "transformer_gain": declare(7, "model 7 + transformer multiplier σ(γ)", offsets=B0,
                                extras=("transformer_gain",)),
    "hinge": declare(7, "model 7 with hinge year terms", offsets=B0, extras=("hinge",)),
}


# --- data to design matrices ------------------------------------------------------------------

@dataclass(frozen=True)
class Normalizer:
    """Constants of a fit: Y₀, N₀, D₀ (minima of the fitting data) and C₀ = 6·N₀·D₀."""

    year0: float
    params0: float
    tokens0: float

    @classmethod
    def of(cls, frame: pd.DataFrame, tokens_column: str = "tokens") -> "Normalizer":
        return cls(float(frame["year"].min()), float(frame["params"].min()),
                   float(frame[tokens_column].min()))

    @property
    def compute0(self) -> float:
        return 6.0 * self.params0 * self.tokens0


def basis(frame, spec: ModelSpec, norm: Normalizer) -> dict[str, np.ndarray]:
    """Named basis columns of the data (a DataFrame or a dict of arrays) under a normaliser."""
    def column(name: str) -> np.ndarray:
        return np.atleast_1d(np.asarray(frame[name], dtype=float))
    tokens, params, year = column(spec.tokens_column), column("params"), column("year")
    tr = column("transformer")
    columns = {
        "one": np.ones(len(year)),
        "t": year - norm.year0,
        "n": np.log(params / norm.params0),
        "d": np.log(tokens / norm.tokens0),
        "ptb": column("ptb"),
        "wt2": column("wt2"),
        "tr": tr,
        "nontr": 1.0 - tr,
        "c": np.log(6.0 * params * tokens / norm.compute0),
    }
    if any("lnv" in c.feature for c in spec.coefficients):
        columns["lnv"] = np.log(column("vocab_size"))
    if spec.cutoff is not None:
        columns["hinge"] = np.maximum(0.0, year - spec.cutoff)
    return columns


@dataclass(frozen=True)
class Design:
    """Feature matrices of a model on a data set: one row per evaluation, one column per θ."""

    u: np.ndarray
    v: np.ndarray
    add: np.ndarray
    has_v: bool
    links: tuple[str, ...] = field(default=())


def design(frame, spec: ModelSpec, norm: Normalizer) -> Design:
    columns = basis(frame, spec, norm)
    n, p = len(columns["one"]), spec.n_params
    mats = {term: np.zeros((n, p)) for term in ("u", "v", "add")}
    for k, coef in enumerate(spec.coefficients):
        feature = coef.sign * np.prod([columns[b] for b in coef.feature], axis=0) \
            if coef.feature else np.full(n, coef.sign)
        for term in coef.terms:
            mats[term][:, k] = feature
    return Design(mats["u"], mats["v"], mats["add"], spec.has_v,
                  tuple(c.link for c in spec.coefficients))


def _link(theta: np.ndarray, links: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """g(θ) and g'(θ) coefficient-wise."""
    g, dg = np.array(theta, dtype=float), np.ones(len(theta))
    if "logsigmoid" in links:
        for k, link in enumerate(links):
            if link == "logsigmoid":
                g[k] = -np.logaddexp(0.0, -theta[k])
                dg[k] = 1.0 / (1.0 + np.exp(theta[k]))
    return g, dg


EXP_CLIP = 50.0  # keeps exp() finite far from the optimum


def predict(des: Design, theta: np.ndarray) -> np.ndarray:
    """ŷ = exp(X_u g) + exp(X_v g) + X_a g."""
    g, _ = _link(theta, des.links)
    y = np.exp(np.minimum(des.u @ g, EXP_CLIP)) + des.add @ g
    if des.has_v:
        y += np.exp(np.minimum(des.v @ g, EXP_CLIP))
    return y


def predict_and_jacobian(des: Design, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ŷ and ∂ŷ/∂θ (n × p), analytically."""
    g, dg = _link(theta, des.links)
    eu = np.exp(np.minimum(des.u @ g, EXP_CLIP))
    y = eu + des.add @ g
    jac = eu[:, None] * des.u + des.add
    if des.has_v:
        ev = np.exp(np.minimum(des.v @ g, EXP_CLIP))
        y += ev
        jac += ev[:, None] * des.v
    return y, jac * dg[None, :]


def weighted_hessian(des: Design, theta: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Σ_i w_i ∂²ŷ_i/∂θ² (p × p), analytically, links included."""
    g, dg = _link(theta, des.links)
    eu = np.exp(np.minimum(des.u @ g, EXP_CLIP))
    hess = des.u.T @ ((weights * eu)[:, None] * des.u)
    dy_dg = weights @ (eu[:, None] * des.u) + weights @ des.add
    if des.has_v:
        ev = np.exp(np.minimum(des.v @ g, EXP_CLIP))
        hess += des.v.T @ ((weights * ev)[:, None] * des.v)
        dy_dg += weights @ (ev[:, None] * des.v)
    hess = dg[:, None] * hess * dg[None, :]
    if "logsigmoid" in des.links:
        d2g = np.array([-dg[k] * (1 - dg[k]) if link == "logsigmoid" else 0.0
                        for k, link in enumerate(des.links)])
        hess += np.diag(dy_dg * d2g)
    return hess
