"""Pooling effect sizes: :func:`pool` and its result, :class:`MetaResult`, built on the
model engine of :mod:`impactlib.meta.tau2`.

A :class:`MetaResult` keeps its studies and the settings it was pooled with (``SETTINGS``),
so that the sensitivity analyses and the bias tests take the result and pool again the
same way, as metafor's ``leave1out(res)`` or ``trimfill(res)`` do.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from impactlib.core.designs import get_design
from impactlib.core.estimate import Estimate, tidy_frame
from impactlib.core.inference import critical_value, wald_estimate, wald_interval
from impactlib.core.result import Result
from impactlib.core.validation import InputError
from impactlib.meta.effects import POOLED_MEASURES, require_measure
from impactlib.meta.tau2 import TAU2_ESTIMATOR_NAMES, check_model, fit_model

#: What a pooled result was computed and recorded with; a sensitivity analysis repeats it.
SETTINGS = (
    "tau2_estimator",
    "knapp_hartung",
    "alpha",
    "reml_threshold",
    "measure",
    "outcome",
    "treatment",
    "estimand",
    "design",
)

#: Columns that :func:`pooled_frame` adds to the tidy table: the heterogeneity of each pool.
HETEROGENEITY = ("tau2", "i2", "q")


@dataclass(frozen=True)
class TransformedResult:
    """Pooled value, confidence and prediction intervals on a back-transformed scale."""

    value: float
    ci_low: float
    ci_high: float
    pi_low: float
    pi_high: float


@dataclass(frozen=True, eq=False)
class MetaResult(Result):
    """A pooled effect with its heterogeneity, as metafor's ``rma`` prints it.

    ``i2`` is a share in [0, 1] (metafor prints it as a percentage), ``h2`` a ratio;
    ``q`` is Cochran's Q on ``q_df = k - 1`` degrees of freedom. ``pi_low``/``pi_high``
    bound the prediction interval for the effect in a new study. ``df`` is ``k - 1``
    with Knapp-Hartung (t-based inference) and ``None`` otherwise (normal).
    ``knapp_hartung`` is ``None``, ``"knha"`` or ``"truncated"``.

    ``estimate`` is the pooled effect as an :class:`Estimate` (``n`` counts the studies),
    recorded with ``outcome``, ``treatment``, ``estimand`` and ``design`` (the design of the
    studies pooled, a registry code); ``tidy()`` has the pooled row (``"pooled"``) then one
    row per study, with the columns ``tau2``, ``i2`` and ``q`` besides an Estimate's.
    """

    value: float
    std_error: float
    ci_low: float
    ci_high: float
    p_value: float
    tau2: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_pvalue: float
    pi_low: float
    pi_high: float
    k: int
    tau2_estimator: str
    knapp_hartung: str | None = None
    df: int | None = None
    alpha: float = 0.05
    kh_factor: float | None = None
    effects: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    variances: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    labels: Sequence = field(default=(), repr=False)
    measure: str | None = None
    reml_threshold: float | None = None
    outcome: str = ""
    treatment: str = ""
    estimand: str = "average effect"
    design: str = "rct"

    @property
    def tau(self) -> float:
        return math.sqrt(self.tau2)

    @property
    def weights(self) -> np.ndarray:
        """Relative weight of each study in the pooled estimate (sums to 1)."""
        w = 1.0 / (self.variances + self.tau2)
        return w / w.sum()

    @property
    def description(self) -> str:
        text = f"Meta-analysis ({TAU2_ESTIMATOR_NAMES[self.tau2_estimator]})"
        if self.knapp_hartung == "knha":
            text += ", Knapp-Hartung t intervals"
        elif self.knapp_hartung == "truncated":
            text += ", Knapp-Hartung t intervals (factor truncated at 1)"
        return text

    def settings(self) -> dict[str, Any]:
        """The settings of ``SETTINGS``, to pool other studies the same way."""
        return {name: getattr(self, name) for name in SETTINGS}

    def transformed(self, func: Callable[[float], float] = np.exp) -> TransformedResult:
        """Value, CI and PI through a monotone ``func`` (default ``np.exp``: log RR/OR to RR/OR).

        The standard error does not carry over to the new scale and is not returned.
        """
        with np.errstate(over="ignore"):
            ci = sorted((float(func(self.ci_low)), float(func(self.ci_high))))
            pi = sorted((float(func(self.pi_low)), float(func(self.pi_high))))
            value = float(func(self.value))
        if not all(math.isfinite(x) for x in (value, *ci, *pi)):
            raise InputError(
                f"transformed: the pooled effect {self.value:g} or its bounds have no finite "
                "image by func (exp of a log ratio above 709 overflows): check the scale"
            )
        return TransformedResult(value, ci[0], ci[1], pi[0], pi[1])

    @property
    def estimate(self) -> Estimate:
        """The pooled effect; ``extra`` records the heterogeneity and the model."""
        extra = {
            "k": self.k,
            "tau2": self.tau2,
            "i2": self.i2,
            "h2": self.h2,
            "q": self.q,
            "q_df": self.q_df,
            "q_pvalue": self.q_pvalue,
            "pi_low": self.pi_low,
            "pi_high": self.pi_high,
            "tau2_estimator": self.tau2_estimator,
            "knapp_hartung": self.knapp_hartung,
            "df": self.df,
            "measure": self.measure,
        }
        return Estimate(
            value=self.value,
            std_error=self.std_error,
            ci_low=self.ci_low,
            ci_high=self.ci_high,
            p_value=self.p_value,
            n=self.k,
            method=self.description,
            alpha=self.alpha,
            extra={key: json_safe(value) for key, value in extra.items()},
            **self._record(),
        )

    def study_estimates(self) -> dict[object, Estimate]:
        """Each study's own effect and normal interval, by label."""
        return {
            label: wald_estimate(
                y,
                math.sqrt(v),
                alpha=self.alpha,
                n=1,
                method="Study effect",
                **{**self._record(), "estimand": "study effect"},
            )  # fmt: skip
            for label, y, v in zip(self.labels, self.effects, self.variances, strict=True)
        }

    def estimates(self) -> dict[object, Estimate]:
        """The pooled effect (``"pooled"``), then each study's (see :meth:`study_estimates`)."""
        return {"pooled": self.estimate, **self.study_estimates()}

    def tidy(self) -> pd.DataFrame:
        """The pooled row with its heterogeneity, then the studies (NaN heterogeneity)."""
        studies = tidy_frame(self.study_estimates()).assign(**dict.fromkeys(HETEROGENEITY, np.nan))
        return pd.concat([pooled_frame({"pooled": self}), studies])

    def _record(self) -> dict[str, str]:
        return {
            "outcome": self.outcome,
            "treatment": self.treatment,
            "estimand": self.estimand,
            "design": self.design,
        }

    def summary(self) -> str:
        level = f"{1 - self.alpha:.0%}"
        test = f"t({self.df})" if self.df is not None else "z"
        lines = [
            f"{self.description}, k = {self.k}",
            f"  estimate: {self.value:.4f}   std. error: {self.std_error:.4f}   "
            f"{test} p-value: {self.p_value:.4g}",
            f"  {level} CI: [{self.ci_low:.4f}, {self.ci_high:.4f}]   "
            f"{level} prediction interval: [{self.pi_low:.4f}, {self.pi_high:.4f}]",
            f"  tau^2: {self.tau2:.4f}   I^2: {100 * self.i2:.2f} %   H^2: {self.h2:.2f}",
            f"  Q({self.q_df}) = {self.q:.4f}, p = {self.q_pvalue:.4g}",
        ]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def pooled_frame(results: Mapping[object, MetaResult]) -> pd.DataFrame:
    """Tidy rows of several pooled results (subgroups, leave-one-out...): the columns of an
    :class:`Estimate` and the heterogeneity of each pool (``HETEROGENEITY``)."""
    frame = tidy_frame({term: result.estimate for term, result in results.items()})
    for name in HETEROGENEITY:
        frame[name] = [getattr(result, name) for result in results.values()]
    return frame


def json_safe(value: object) -> object:
    """A number for JSON: NaN and infinities become ``None``, numpy scalars Python ones."""
    if isinstance(value, float | np.floating):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def pool_arrays(
    y: np.ndarray,
    v: np.ndarray,
    labels: Sequence = (),
    *,
    tau2_estimator: str,
    knapp_hartung: str | None = None,
    alpha: float = 0.05,
    reml_threshold: float | None = None,
    **record: Any,
) -> MetaResult:
    """Pool validated arrays; ``record`` holds the other ``SETTINGS`` (measure, outcome...).

    The engine of :func:`pool` and of the analyses that pool subsets of the studies again.
    """
    k = len(y)
    fit = fit_model(y, v, np.ones((k, 1)), tau2_estimator, knapp_hartung, reml_threshold)
    value = float(fit.beta[0])
    se = float(math.sqrt(fit.vcov[0, 0]))
    df = fit.df_resid if knapp_hartung is not None else None
    ci_low, ci_high, p_value = wald_interval(value, se, alpha=alpha, df=df)
    pred_se = math.sqrt(se**2 + fit.tau2)
    crit = critical_value(alpha, df)
    q_df = k - 1
    return MetaResult(
        value=value,
        std_error=se,
        ci_low=ci_low,
        ci_high=ci_high,
        p_value=p_value,
        tau2=fit.tau2,
        i2=fit.i2,
        h2=fit.h2,
        q=fit.qe,
        q_df=q_df,
        q_pvalue=float(stats.chi2.sf(fit.qe, q_df)) if q_df > 0 else math.nan,
        pi_low=value - crit * pred_se,
        pi_high=value + crit * pred_se,
        k=k,
        tau2_estimator=tau2_estimator,
        knapp_hartung=knapp_hartung,
        df=df,
        alpha=alpha,
        kh_factor=fit.kh_factor,
        effects=y.copy(),
        variances=v.copy(),
        labels=_as_labels(labels, k),
        reml_threshold=reml_threshold,
        **record,
    )


def _as_labels(labels: Sequence, k: int) -> Sequence:
    if isinstance(labels, DefaultLabels):
        return labels
    return tuple(labels) if len(labels) else DefaultLabels(k)


def pool_like(
    result: MetaResult, keep: np.ndarray, labels: Sequence = (), **changes: Any
) -> MetaResult:
    """Pool the studies ``keep`` (an index or a mask) of ``result`` again with its settings.

    ``changes`` override settings (e.g. ``knapp_hartung=None`` for a single study).
    """
    return pool_arrays(
        result.effects[keep], result.variances[keep], labels, **{**result.settings(), **changes}
    )


def require_result(result: object, *, name: str = "result") -> MetaResult:
    """``result`` if it is a :class:`MetaResult`; the analyses of a pool take one."""
    if not isinstance(result, MetaResult):
        raise InputError(
            f"{name} must be a MetaResult (the output of pool), got {type(result).__name__}"
        )
    return result


class DefaultLabels(Sequence):
    """``Étude 1``, ``Étude 2``... made on demand (a 10 000-study pool needs none)."""

    def __init__(self, k: int):
        self._k = k

    def __len__(self) -> int:
        return self._k

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._k))]
        if index < 0:
            index += self._k
        if not 0 <= index < self._k:
            raise IndexError(index)
        return f"Étude {index + 1}"

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    def __repr__(self) -> str:
        return f"DefaultLabels({self._k})"


def study_labels(effects: object, labels: Sequence | None, k: int) -> Sequence:
    """Labels given, else the index of a Series ``effects`` (unless a RangeIndex), else
    ``Étude 1``, ``Étude 2``...; labels must tell the studies apart."""
    if labels is None and isinstance(effects, pd.Series):
        if not isinstance(effects.index, pd.RangeIndex):
            labels = effects.index
    if labels is None:
        return DefaultLabels(k)
    if isinstance(labels, str):
        raise InputError(f"labels must be a sequence of study labels, got the string {labels!r}")
    labels = tuple(labels)
    if any(pd.isna(label) for label in labels if not isinstance(label, list | tuple)):
        raise InputError("labels has missing value(s): every study needs a label")
    if len(labels) != k:
        raise InputError(f"labels must have one entry per study ({k}), got {len(labels)}")
    seen = pd.Series(labels)
    if seen.duplicated().any():
        twice = seen[seen.duplicated()].iloc[0]
        raise InputError(f"labels must tell the studies apart; {twice!r} appears twice")
    return labels


def pool(
    effects: object,
    variances: object,
    *,
    tau2_estimator: str = "REML",
    knapp_hartung: bool | str = False,
    alpha: float = 0.05,
    labels: Sequence | None = None,
    measure: str | None = None,
    reml_threshold: float | None = None,
    outcome: str = "",
    treatment: str = "",
    estimand: str = "average effect",
    design: str = "rct",
) -> MetaResult:
    """Pool study effects with a fixed-effect or random-effects model (metafor's ``rma``).

    Parameters
    ----------
    effects, variances : array-like
        Effect sizes ``yi`` and their sampling variances ``vi`` (one per study), e.g. the
        columns of :func:`effect_sizes`. Variances must be positive; missing values are
        refused rather than dropped.
    tau2_estimator : {"REML", "DL", "PM", "FE"}
        Estimator of the between-study variance tau^2 (``"FE"``: none, tau^2 = 0).
    knapp_hartung : bool or "truncated"
        Knapp-Hartung adjustment with t(k - 1) intervals; not truncated unless
        ``"truncated"`` (see :mod:`impactlib.meta.tau2`).
    alpha : float
        One minus the confidence level (also used for the prediction interval).
    labels : sequence, optional
        Study labels, distinct (default: the index of a Series ``effects``).
    measure : str, optional
        Effect measure (``"RR"``, ``"OR"``...), recorded and used by the plots for the axis.
    reml_threshold : float, optional
        Stop REML's Fisher scoring at the first change of tau^2 below this value, as
        metafor (whose default is ``METAFOR_THRESHOLD = 1e-5``); by default REML is
        solved to full precision (see :mod:`impactlib.meta.tau2`).
    outcome, treatment, estimand : str
        Labels of the record :attr:`MetaResult.estimate`.
    design : str
        Design of the studies pooled (a code of :data:`impactlib.core.designs.DESIGNS`,
        from which GRADE starts): randomised trials unless said otherwise.

    Returns
    -------
    MetaResult
        With ``estimate``, ``tidy()`` and ``transformed(np.exp)`` for ratio measures.

    Examples
    --------
    >>> res = pool([0.1, 0.3, 0.35, 0.6], [0.04, 0.02, 0.05, 0.03], tau2_estimator="DL")
    >>> round(res.value, 4), round(res.tau2, 4), res.estimate.n
    (0.3458, 0.0083, 4)
    """
    y, v, kh, threshold = check_model(
        effects, variances, tau2_estimator=tau2_estimator, knapp_hartung=knapp_hartung,
        alpha=alpha, reml_threshold=reml_threshold,
    )  # fmt: skip
    if kh is not None and len(y) < 2:
        raise InputError("knapp_hartung needs at least 2 studies")
    if measure is not None:
        require_measure(measure, allowed=POOLED_MEASURES)
    get_design(design)
    return pool_arrays(
        y, v, study_labels(effects, labels, len(y)), tau2_estimator=tau2_estimator,
        knapp_hartung=kh, alpha=alpha, reml_threshold=threshold, measure=measure,
        outcome=outcome, treatment=treatment, estimand=estimand, design=design,
    )  # fmt: skip
