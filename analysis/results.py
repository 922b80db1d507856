"""The package from Python, in the manner of statsmodels and scikit-learn.

`ScalingLaw` holds one augmented scaling law and its hyperparameters (keyword-only, stored as
given, with a seed); `ScalingLaw.fit` returns `ScalingLawResults`: the coefficients, the
evidence that they are the optimum, the derived quantities of docs/method.md §5 at the
estimate, a text summary and a JSON form. `ScalingLawResults.bootstrap` returns `BootstrapResults`, which
adds bootstrap standard errors (`bse`), percentile intervals at any level (`conf_int`) and
intervals for the derived quantities.

Examples
--------
>>> from analysis import MODELS, REFERENCE_MODEL7, ScalingLaw, simulate
>>> frame = simulate(MODELS[7], REFERENCE_MODEL7, n=120, noise=0.01, seed=0)
>>> results = ScalingLaw(7, delta=0.0, random_starts=2).fit(frame)
>>> round(float(results.params["alpha_N"]), 2), results.nobs
(0.07, 120)
>>> boot = results.bootstrap(20, seed=1)
>>> list(boot.conf_int(alpha=0.1).columns)
['lower', 'upper']
>>> type(results).from_json(results.to_json()).params.equals(results.params)
True
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from .bootstrap import bootstrap as draw_bootstrap
from .fitting import AugmentedScalingLaw, FitResult, kkt_text
from .intervals import doubling_interval, format_interval, interval_key, percentile_interval
from .models import MODELS, PREFERRED, VARIANTS, Coefficient, ModelSpec, Normalizer
from .preprocess import decimal_year
from .quantities import (closed_form_doubling, closed_form_rates, numerical_doubling,
                         numerical_rate, pareto_frontier, shapley_shares, transformer_gain)

__all__ = ["ScalingLaw", "ScalingLawResults", "BootstrapResults", "System", "NotBootstrapped"]

DOUBLING_YEAR = 2023.0  # docs/method.md §5: numerical doubling time and CEG at 2023 ...
DOUBLING_COMPUTE = 1e25  # ... and 1e25 FLOP


class NotBootstrapped(ValueError):
    """Raised when a bootstrap quantity (bse, conf_int) is asked of a point fit."""


@dataclass(frozen=True)
class System:
    """A system as the Shapley decomposition sees it: parameters N, tokens D and the
    decimal year of its publication."""

    params: float
    tokens: float
    year: float

    @classmethod
    def published(cls, params: float, tokens: float, date: str) -> "System":
        """A system from its publication date (``YYYY-MM-DD``)."""
        year = float(decimal_year(pd.Series([pd.Timestamp(date)])).iloc[0])
        return cls(float(params), float(tokens), year)


def resolve_spec(model: int | str | ModelSpec) -> ModelSpec:
    """A model by its number (`MODELS`), its variant name (`VARIANTS`) or as a `ModelSpec`."""
    if isinstance(model, ModelSpec):
        return model
    if isinstance(model, str):
        if model not in VARIANTS:
            raise ValueError(f"unknown variant {model!r}; expected one of {sorted(VARIANTS)}")
        return VARIANTS[model]
    if int(model) not in MODELS:
        raise ValueError(f"unknown model {model!r}; expected one of {sorted(MODELS)}")
    return MODELS[int(model)]


class ScalingLaw:
    """An augmented scaling law (docs/method.md §2) and how to fit it (§3).

    Parameters
    ----------
    model : int, str or ModelSpec, default 7
        A model number of `MODELS`, a variant name of `VARIANTS` (``"transformer_gain"``,
        ``"irreducible"``, ``"hinge"``) or a `ModelSpec`.
    delta : float, keyword-only, default 0.0025
        Weight δ of the L1 penalty.
    random_starts : int, keyword-only, default 16
        Seeded random starting points besides θ = 0 and the heuristic start.
    seed : int, keyword-only, default 0
        Seed of the random starts (and the default seed of `ScalingLawResults.bootstrap`).
    estimator : {"paper", "effect", "refit"}, keyword-only, default "paper"
        The objective (docs/method.md §3): the paper's L1 penalty on raw coefficients, the
        penalty on the transformer multiplier's effect, or an unpenalised refit on the
        support the paper's penalised fit selects.
    """

    def __init__(self, model: int | str | ModelSpec = PREFERRED, *, delta: float = 0.0025,
                 random_starts: int = 16, seed: int = 0, estimator: str = "paper"):
        self.model = model
        self.delta = delta
        self.random_starts = random_starts
        self.seed = seed
        self.estimator = estimator

    @property
    def spec(self) -> ModelSpec:
        return resolve_spec(self.model)

    def get_params(self) -> dict:
        """The hyperparameters, as given."""
        return {"model": self.model, "delta": self.delta, "random_starts": self.random_starts,
                "seed": self.seed, "estimator": self.estimator}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"ScalingLaw({args})"

    def fit(self, frame: pd.DataFrame, *, normalizer: Normalizer | None = None
            ) -> "ScalingLawResults":
        """Fit to an analysis set (columns log_ppl, year, params, tokens, ptb, wt2,
        transformer); the normaliser defaults to the minima of `frame`."""
        if not float(self.delta) >= 0:
            raise ValueError(f"delta must be >= 0, got {self.delta!r}")
        if int(self.random_starts) != self.random_starts or self.random_starts < 0:
            raise ValueError(f"random_starts must be a count >= 0, got {self.random_starts!r}")
        estimator = AugmentedScalingLaw(self.spec, float(self.delta), int(self.random_starts),
                                        int(self.seed), self.estimator)
        return ScalingLawResults(estimator.fit(frame, normalizer), self, frame)


class ScalingLawResults:
    """A fitted scaling law: estimates, optimality evidence and derived quantities.

    Attributes
    ----------
    params : pandas.Series
        Coefficients by name.
    objective, mse : float
        Penalised objective J(θ) and mean squared error at the estimate.
    nobs : int
        Evaluations fitted.
    kkt : float
        Largest violation of the optimality conditions at the estimate.
    model : ScalingLaw
        The model and hyperparameters that produced the fit.
    """

    def __init__(self, fit: FitResult, model: ScalingLaw, data: pd.DataFrame | None = None):
        self.fit_result = fit
        self.model = model
        self.data = data

    # --- estimates ---------------------------------------------------------------------------

    @property
    def spec(self) -> ModelSpec:
        return self.fit_result.spec

    @property
    def params(self) -> pd.Series:
        return pd.Series(self.fit_result.theta, index=self.spec.names, name="params", dtype=float)

    @property
    def normalizer(self) -> Normalizer:
        return self.fit_result.normalizer

    @property
    def objective(self) -> float:
        return self.fit_result.objective

    @property
    def mse(self) -> float:
        return self.fit_result.mse

    @property
    def nobs(self) -> int:
        return self.fit_result.n_obs

    @property
    def kkt(self) -> float:
        return self.fit_result.kkt

    @property
    def bse(self) -> pd.Series:
        raise NotBootstrapped("standard errors come from the bootstrap (docs/method.md §5): "
                              "use results.bootstrap(n, seed=...).bse")

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        raise NotBootstrapped("intervals come from the bootstrap (docs/method.md §5): "
                              "use results.bootstrap(n, seed=...).conf_int(alpha)")

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Predicted log perplexity of each row of `frame`."""
        return self.fit_result.predict(frame)

    # --- derived quantities at the estimate (docs/method.md §5) -----------------------------------

    def doubling_times(self) -> dict[str, float]:
        """Closed-form doubling times in months: ``compute``, ``parameters``, ``data``."""
        return closed_form_doubling(self.params.to_dict())

    def numerical_doubling_time(self, *, year: float = DOUBLING_YEAR,
                                compute: float = DOUBLING_COMPUTE) -> float:
        """Doubling time of effective compute in months, found numerically (Appendix G)."""
        return _numerical(self.spec, self.fit_result.theta, self.normalizer, year, compute)

    def transformer_gain(self, compute: float = DOUBLING_COMPUTE, *,
                         year: float = DOUBLING_YEAR) -> dict[str, float]:
        """Compute-equivalent gain of the transformer and its relative loss reduction at
        compute `compute`; needs the coefficient ``gamma_transformer``."""
        return _gain(self.spec, self.fit_result.theta, self.normalizer, compute, year)

    def shapley(self, start: System | Mapping, end: System | Mapping) -> dict[str, float]:
        """Share of the predicted WikiText-103 improvement from `start` to `end` due to N, D,
        parameter efficiency and data efficiency (they sum to 1)."""
        return shapley_shares(self.spec, self.fit_result.theta, self.normalizer,
                              _system(start), _system(end))

    def pareto_frontier(self, perplexity: float, year: float, tokens) -> np.ndarray:
        """Parameters N needed at each D in `tokens` to reach `perplexity` in `year`."""
        return pareto_frontier(self.spec, self.fit_result.theta, self.normalizer, perplexity,
                               year, np.asarray(tokens, float))

    # --- bootstrap -------------------------------------------------------------------------

    def bootstrap(self, n: int, seed: int | None = None, *, unit: str = "evaluation",
                  data: pd.DataFrame | None = None, progress: bool = False
                  ) -> "BootstrapResults":
        """Refit on `n` resamples of the data (``unit`` ``"evaluation"`` or ``"paper"``),
        keeping the normaliser of the full fit. `seed` defaults to the model's seed; `data`
        to the frame that was fitted (needed after `from_json`)."""
        data = self.data if data is None else data
        if data is None:
            raise ValueError("no data to resample: pass data=<the analysis set that was fitted>")
        if unit not in ("evaluation", "paper"):
            raise ValueError(f"unit must be 'evaluation' or 'paper', got {unit!r}")
        seed = self.model.seed if seed is None else seed
        draws = draw_bootstrap(data, self.fit_result, int(n), int(seed), unit, progress)
        return BootstrapResults(self.fit_result, self.model, data, draws, int(seed), unit)

    # --- presentation and persistence --------------------------------------------------------

    def _header(self) -> list[str]:
        fit = self.fit_result
        return [f"Model {self.spec.model_id} ({self.spec.label}), δ = {fit.delta}, "
                f"n = {fit.n_obs}",
                f"objective {fit.objective:.8f}, MSE {fit.mse:.6f}, KKT residual "
                f"{kkt_text(fit.kkt)}, {fit.n_agree}/{fit.n_starts} starts agree"]

    def summary(self) -> str:
        """Coefficients and closed-form doubling times as text."""
        lines = self._header() + [f"{'coefficient':<20s} {'estimate':>10s}"]
        lines += [f"{name:<20s} {value:>10.5f}" for name, value in self.params.items()]
        times = self.doubling_times()
        lines.append("doubling times (months): " + ", ".join(
            f"{key} {value:.3g}" for key, value in times.items()))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self._header()[0]}>"

    def to_dict(self) -> dict:
        fit = self.fit_result
        model = self.model.model if isinstance(self.model.model, (int, str)) else None
        return {**_fit_record(fit), "spec": _spec_to_dict(self.spec),
                "hyperparameters": {**self.model.get_params(), "model": model}}

    def to_json(self) -> str:
        """JSON text from which `from_json` rebuilds these results exactly (without the data)."""
        return json.dumps(self.to_dict(), indent=1, sort_keys=True)

    @classmethod
    def from_dict(cls, record: dict, data: pd.DataFrame | None = None) -> "ScalingLawResults":
        """Results from `to_dict` output, or from the ``main_model`` entry the pipeline writes
        (rebuilt from its model number and coefficients). Bootstrap draws, when present, give
        `BootstrapResults`."""
        spec = _spec_from_dict(record["spec"]) if "spec" in record else MODELS[record["model"]]
        theta = np.array(record["theta"] if "theta" in record
                         else [record["params"][k] for k in spec.names], float)
        fit = _fit_from_record(record, spec, theta)
        hyper = record.get("hyperparameters", {})
        model = ScalingLaw(hyper.get("model") or spec, delta=hyper.get("delta", fit.delta),
                           random_starts=hyper.get("random_starts", 16),
                           seed=hyper.get("seed", 0), estimator=fit.estimator)
        if "bootstrap" in record:
            boot = record["bootstrap"]
            draws = pd.DataFrame(boot["draws"], columns=boot["columns"])
            return BootstrapResults(fit, model, data, draws, int(boot["seed"]), boot["unit"])
        return ScalingLawResults(fit, model, data)

    @classmethod
    def from_json(cls, text: str, data: pd.DataFrame | None = None) -> "ScalingLawResults":
        return cls.from_dict(json.loads(text), data)


class BootstrapResults(ScalingLawResults):
    """A fit with its bootstrap draws: standard errors, percentile intervals at any level,
    and intervals for the derived quantities. Doubling-time intervals are percentiles of
    growth rates, inverted (unbounded when the rate interval reaches zero); every interval
    says how many draws were defined (``n_defined``) out of ``n_draws``."""

    def __init__(self, fit: FitResult, model: ScalingLaw, data: pd.DataFrame | None,
                 draws: pd.DataFrame, seed: int, unit: str):
        super().__init__(fit, model, data)
        self.draws = draws
        self.seed = seed
        self.unit = unit

    @property
    def n(self) -> int:
        return len(self.draws)

    @property
    def coefficient_draws(self) -> pd.DataFrame:
        return self.draws[self.spec.names]

    @property
    def bse(self) -> pd.Series:
        """Bootstrap standard errors of the coefficients."""
        return self.coefficient_draws.std(ddof=1).rename("bse")

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Percentile intervals of the coefficients at level 1 − `alpha`."""
        _check_alpha(alpha)
        bounds = self.coefficient_draws.quantile([alpha / 2, 1 - alpha / 2]).T
        bounds.columns = ["lower", "upper"]
        return bounds

    @property
    def escalations(self) -> dict[str, int]:
        """Refits that needed L-BFGS-B after Newton, or failed their KKT certificate."""
        return {"lbfgs": int((self.draws["level"] == 1).sum()),
                "failed": int((self.draws["level"] == 2).sum())}

    def parameter_table(self, level: float = 0.95) -> pd.DataFrame:
        """Estimate, bootstrap SE and percentile interval of every coefficient."""
        bounds = self.conf_int(1 - level)
        return pd.DataFrame({"estimate": self.params, "bse": self.bse,
                             "lower": bounds["lower"], "upper": bounds["upper"]})

    def _theta_draws(self):
        return self.coefficient_draws.to_numpy(float)

    def doubling_time_intervals(self, level: float = 0.95) -> dict[str, dict]:
        """Median and interval of each closed-form doubling time (months), from percentiles
        of the growth rates (``rate_per_year``)."""
        rates = pd.DataFrame([closed_form_rates(r)
                              for r in self.coefficient_draws.to_dict("records")])
        return {key: doubling_interval(rates[key], level)
                for key in ("compute", "parameters", "data")}

    def numerical_doubling_interval(self, level: float = 0.95, *, year: float = DOUBLING_YEAR,
                                    compute: float = DOUBLING_COMPUTE) -> dict:
        """Median and interval of the numerical doubling time (months), from percentiles of
        the numerical growth rate of effective compute."""
        return doubling_interval([numerical_rate(self.spec, theta, self.normalizer, float(year),
                                                 float(compute))
                                  for theta in self._theta_draws()], level)

    def transformer_gain_interval(self, compute: float = DOUBLING_COMPUTE, level: float = 0.95,
                                  *, year: float = DOUBLING_YEAR) -> dict[str, dict]:
        """Intervals of the transformer's compute-equivalent gain and loss reduction over
        every draw (an infinite gain is a draw, not a dropped one)."""
        values = [_gain(self.spec, theta, self.normalizer, compute, year)
                  for theta in self._theta_draws()]
        return {key: percentile_interval([v[key] for v in values], level)
                for key in ("gain", "loss_reduction")}

    def summary(self, level: float = 0.95) -> str:
        """Coefficients with bootstrap SEs and intervals; doubling times with intervals."""
        key = interval_key(level)
        table = self.parameter_table(level)
        lines = self._header() + [
            f"bootstrap: {self.n} resamples of {self.unit}s, seed {self.seed}; "
            f"{self.escalations['lbfgs']} refits needed L-BFGS-B, "
            f"{self.escalations['failed']} failed the optimality certificate",
            f"{'coefficient':<20s} {'estimate':>10s} {'bse':>10s} {f'{key} lower':>12s} "
            f"{f'{key} upper':>12s}"]
        lines += [f"{name:<20s} {row.estimate:>10.5f} {row.bse:>10.5f} {row.lower:>12.5f} "
                  f"{row.upper:>12.5f}" for name, row in table.iterrows()]
        point = self.doubling_times()
        for name, entry in self.doubling_time_intervals(level).items():
            lines.append(f"{name} doubling time (months): {point[name]:.3g}; bootstrap median "
                         f"and {key}: {format_interval(entry, level=level)}, from growth rates of "
                         f"{entry['n_defined']}/{entry['n_draws']} defined draws")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {**super().to_dict(),
                "bootstrap": {"seed": self.seed, "unit": self.unit,
                              "columns": list(self.draws.columns),
                              "draws": self.draws.to_numpy(float).tolist()}}


def _fit_record(fit: FitResult) -> dict:
    """`FitResult.to_dict` with what rebuilding it exactly needs (θ, every start's objective,
    the distinct optima; the penalised stage of the ``refit`` estimator likewise)."""
    record = {**fit.to_dict(), "theta": [float(v) for v in fit.theta],
              "start_objectives": [float(v) for v in fit.start_objectives],
              "optima": [[float(v) for v in theta] for theta in fit.optima]}
    if fit.penalised is not None:
        record["penalised_fit"] = _fit_record(fit.penalised)
    return record


def _fit_from_record(record: dict, spec: ModelSpec, theta: np.ndarray) -> FitResult:
    optimality = record.get("optimality", {})
    penalised = record.get("penalised_fit")
    if penalised is not None:
        penalised = _fit_from_record(penalised, spec, np.array(
            penalised["theta"] if "theta" in penalised
            else [penalised["params"][k] for k in spec.names], float))
    return FitResult(spec, float(record["delta"]), theta, float(record["objective"]),
                     float(record["mse"]), Normalizer(**record["normalizer"]),
                     int(record["n_obs"]), float(optimality.get("kkt_bound", np.nan)),
                     int(optimality.get("starts", 0)),
                     int(optimality.get("starts_agreeing", 0)),
                     list(record.get("start_objectives", [])),
                     [np.array(t, float) for t in record.get("optima", [])],
                     record.get("estimator", "paper"), penalised)


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")


def _system(value: System | Mapping) -> dict[str, float]:
    record = asdict(value) if isinstance(value, System) else dict(value)
    missing = {"params", "tokens", "year"} - set(record)
    if missing:
        raise ValueError(f"a system needs params, tokens and year; missing {sorted(missing)}")
    return {key: float(record[key]) for key in ("params", "tokens", "year")}


def _numerical(spec: ModelSpec, theta: np.ndarray, norm: Normalizer, year: float,
               compute: float) -> float:
    return numerical_doubling(spec, np.asarray(theta, float), norm, float(year), float(compute))


def _gain(spec: ModelSpec, theta: np.ndarray, norm: Normalizer, compute: float,
          year: float) -> dict[str, float]:
    if "gamma_transformer" not in spec.names:
        raise ValueError("the transformer gain needs the coefficient gamma_transformer: "
                         "fit ScalingLaw('transformer_gain')")
    gain, reduction = transformer_gain(spec, np.asarray(theta, float), norm, float(compute),
                                       float(year))
    return {"gain": gain, "loss_reduction": reduction}


def _spec_to_dict(spec: ModelSpec) -> dict:
    record = asdict(spec)
    record["coefficients"] = [{**c, "terms": list(c["terms"]), "feature": list(c["feature"])}
                              for c in record["coefficients"]]
    return record


def _spec_from_dict(record: dict) -> ModelSpec:
    coefficients = tuple(Coefficient(c["name"], tuple(c["terms"]), tuple(c["feature"]),
                                     float(c["sign"]), c["link"]) for c in record["coefficients"])
    return ModelSpec(int(record["model_id"]), record["label"], coefficients,
                     bool(record["has_v"]), record["cutoff"], record["tokens_column"])

