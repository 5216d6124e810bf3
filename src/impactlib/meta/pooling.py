"""Pooling effect sizes: :func:`pool` and its result, :class:`MetaResult`, built on the
model engine of :mod:`impactlib.meta.tau2`."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from impactlib.core.estimate import Estimate
from impactlib.core.inference import critical_value, two_sided_p_value
from impactlib.core.validation import InputError, require_probability
from impactlib.meta.tau2 import (
    METHOD_NAMES,
    _check_knapp_hartung,
    _threshold,
    check_inputs,
    fit_model,
)

# --- pooled result ---------------------------------------------------------------------


@dataclass(frozen=True)
class TransformedResult:
    """Pooled value, confidence and prediction intervals on a back-transformed scale."""

    value: float
    ci_low: float
    ci_high: float
    pi_low: float
    pi_high: float


@dataclass(frozen=True, eq=False)
class MetaResult:
    """A pooled effect with its heterogeneity, as metafor's ``rma`` prints it.

    ``i2`` is a share in [0, 1] (metafor prints it as a percentage), ``h2`` a ratio;
    ``q`` is Cochran's Q on ``q_df = k - 1`` degrees of freedom. ``pi_low``/``pi_high``
    bound the prediction interval for the effect in a new study. ``df`` is ``k - 1``
    with Knapp-Hartung (t-based inference) and ``None`` otherwise (normal).
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
    method: str
    knapp_hartung: str | None = None
    df: int | None = None
    alpha: float = 0.05
    kh_factor: float | None = None
    effects: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    variances: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    labels: Sequence = field(default=(), repr=False)
    measure: str | None = None

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
        text = f"Meta-analysis ({METHOD_NAMES[self.method]})"
        if self.knapp_hartung == "knha":
            text += ", Knapp-Hartung t intervals"
        elif self.knapp_hartung == "truncated":
            text += ", Knapp-Hartung t intervals (factor truncated at 1)"
        return text

    def transformed(self, func: Callable[[float], float] = np.exp) -> TransformedResult:
        """Value, CI and PI through a monotone ``func`` (default ``np.exp``: log RR/OR to RR/OR).

        The standard error does not carry over to the new scale and is not returned.
        """
        ci = sorted((float(func(self.ci_low)), float(func(self.ci_high))))
        pi = sorted((float(func(self.pi_low)), float(func(self.pi_high))))
        return TransformedResult(float(func(self.value)), ci[0], ci[1], pi[0], pi[1])

    def to_estimate(
        self,
        *,
        outcome: str = "",
        treatment: str = "",
        estimand: str = "average effect",
        design: str = "rct",
    ) -> Estimate:
        """The pooled effect as an :class:`Estimate`; ``n`` is the number of studies.

        ``design`` is the design of the studies pooled (a registry code, from which GRADE
        starts): randomised trials unless said otherwise.
        """
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
            "method": self.method,
            "knapp_hartung": self.knapp_hartung,
            "df": self.df,
            "measure": self.measure,
        }
        extra = {key: _json_safe(value) for key, value in extra.items()}
        return Estimate(
            value=self.value,
            std_error=self.std_error,
            ci_low=self.ci_low,
            ci_high=self.ci_high,
            p_value=self.p_value,
            n=self.k,
            method=self.description,
            outcome=outcome,
            treatment=treatment,
            design=design,
            estimand=estimand,
            alpha=self.alpha,
            extra=extra,
        )

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


def _json_safe(value: object) -> object:
    if isinstance(value, float | np.floating):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def _as_labels(labels: Sequence, k: int) -> Sequence:
    if isinstance(labels, DefaultLabels):
        return labels
    return tuple(labels) if len(labels) else DefaultLabels(k)


def pool_arrays(
    y: np.ndarray,
    v: np.ndarray,
    method: str,
    knapp_hartung: str | None,
    alpha: float,
    labels: Sequence = (),
    measure: str | None = None,
    reml_threshold: float | None = None,
) -> MetaResult:
    """Pool validated arrays (also used for single-study steps of cumulative analyses)."""
    k = len(y)
    fit = fit_model(y, v, np.ones((k, 1)), method, knapp_hartung, reml_threshold)
    value = float(fit.beta[0])
    se = float(math.sqrt(fit.vcov[0, 0]))
    df = fit.df_resid if knapp_hartung is not None else None
    crit = critical_value(alpha, df)
    pred_se = math.sqrt(se**2 + fit.tau2)
    q_df = k - 1
    return MetaResult(
        value=value,
        std_error=se,
        ci_low=value - crit * se,
        ci_high=value + crit * se,
        p_value=two_sided_p_value(value / se, df),
        tau2=fit.tau2,
        i2=fit.i2,
        h2=fit.h2,
        q=fit.qe,
        q_df=q_df,
        q_pvalue=float(stats.chi2.sf(fit.qe, q_df)) if q_df > 0 else math.nan,
        pi_low=value - crit * pred_se,
        pi_high=value + crit * pred_se,
        k=k,
        method=method,
        knapp_hartung=knapp_hartung,
        df=df,
        alpha=alpha,
        kh_factor=fit.kh_factor,
        effects=y.copy(),
        variances=v.copy(),
        labels=_as_labels(labels, k),
        measure=measure,
    )


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
    ``Étude 1``, ``Étude 2``..."""
    if labels is not None:
        labels = list(labels)
        if len(labels) != k:
            raise InputError(f"labels must have one entry per study ({k}), got {len(labels)}")
        return labels
    if isinstance(effects, pd.Series) and not isinstance(effects.index, pd.RangeIndex):
        return list(effects.index)
    return DefaultLabels(k)


def pool(
    effects: object,
    variances: object,
    *,
    method: str = "REML",
    knapp_hartung: bool | str = False,
    alpha: float = 0.05,
    labels: Sequence | None = None,
    measure: str | None = None,
    reml_threshold: float | None = None,
) -> MetaResult:
    """Pool study effects with a fixed-effect or random-effects model (metafor's ``rma``).

    Parameters
    ----------
    effects, variances : array-like
        Effect sizes ``yi`` and their sampling variances ``vi`` (one per study), e.g. the
        columns of :func:`effect_sizes`. Variances must be positive; missing values are
        refused rather than dropped.
    method : {"REML", "DL", "PM", "FE"}
        Estimator of the between-study variance tau^2 (``"FE"``: none, tau^2 = 0).
    knapp_hartung : bool or "truncated"
        Knapp-Hartung adjustment with t(k - 1) intervals; not truncated unless
        ``"truncated"`` (see the module notes).
    alpha : float
        One minus the confidence level (also used for the prediction interval).
    labels : sequence, optional
        Study labels for plots (default: the index of a Series ``effects``).
    measure : str, optional
        Effect measure (``"RR"``, ``"OR"``...), used by the plots for the axis.
    reml_threshold : float, optional
        Stop REML's Fisher scoring at the first change of tau^2 below this value, as
        metafor (whose default is ``METAFOR_THRESHOLD = 1e-5``); by default REML is
        solved to full precision (see the module notes).

    Returns
    -------
    MetaResult
        With ``to_estimate()`` and ``transformed(np.exp)`` for ratio measures.

    Examples
    --------
    >>> res = pool([0.1, 0.3, 0.35, 0.6], [0.04, 0.02, 0.05, 0.03], method="DL")
    >>> round(res.value, 4), round(res.tau2, 4)
    (0.3458, 0.0083)
    """
    y, v = check_inputs(effects, variances, method=method)
    require_probability(alpha, name="alpha")
    kh = _check_knapp_hartung(knapp_hartung)
    if kh is not None and len(y) < 2:
        raise InputError("knapp_hartung needs at least 2 studies")
    labels = study_labels(effects, labels, len(y))
    return pool_arrays(y, v, method, kh, alpha, labels, measure, _threshold(reml_threshold))
