"""Critical values, Wald intervals and two-sided p-values: the one place they are computed.

Every estimator that builds an interval from an estimate and its standard error goes
through :func:`wald_interval`, with the normal distribution (``df=None``) or Student's t
(``df`` degrees of freedom). The functions take scalars or numpy arrays (event-study and
group-time tables), so that a table of effects and its headline use the same arithmetic.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from impactlib.core.estimate import Estimate


def _distribution(df: float | None):
    return stats.norm if df is None else stats.t(df)


def critical_value(alpha: float, df: float | None = None, *, two_sided: bool = True) -> float:
    """The quantile that leaves ``alpha`` outside: ``1 - alpha/2`` (two-sided) or ``1 - alpha``.

    Examples
    --------
    >>> round(critical_value(0.05), 4)
    1.96
    >>> round(critical_value(0.05, df=10), 4)
    2.2281
    """
    tail = alpha / 2 if two_sided else alpha
    return float(_distribution(df).ppf(1 - tail))


def two_sided_p_value(statistic, df: float | None = None):
    """``2 * P(|T| > |statistic|)`` for T normal or Student t with ``df`` degrees of freedom."""
    p = 2 * _distribution(df).sf(np.abs(statistic))
    return float(p) if np.ndim(p) == 0 else p


def wald_interval(value, se, *, alpha: float, df: float | None = None):
    """``(ci_low, ci_high, p_value)`` of ``value +/- crit * se`` and the test of zero.

    The p-value is ``None`` where the standard error is zero (no test is possible); with
    arrays it is an array with NaN there.

    Examples
    --------
    >>> low, high, p = wald_interval(2.0, 1.0, alpha=0.05)
    >>> round(low, 3), round(high, 3), round(p, 4)
    (0.04, 3.96, 0.0455)
    """
    crit = critical_value(alpha, df)
    low, high = value - crit * se, value + crit * se
    if np.ndim(value) == 0 and np.ndim(se) == 0:
        p_value = two_sided_p_value(value / se, df) if se > 0 else None
        return low, high, p_value
    se = np.asarray(se, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_value = np.where(se > 0, 2 * _distribution(df).sf(np.abs(value / se)), np.nan)
    return low, high, p_value


def wald_estimate(
    value: float, std_error: float, *, alpha: float, df: float | None = None, **fields: Any
) -> Estimate:
    """An :class:`Estimate` whose interval and p-value are the Wald ones of ``value``.

    ``fields`` are the other fields of the record (``n``, ``method``, ``outcome``...).
    Estimators build their record with it, so that every interval is computed one way.

    Examples
    --------
    >>> est = wald_estimate(2.0, 1.0, alpha=0.05, n=100, method="m", outcome="y")
    >>> round(est.ci_low, 3), round(est.p_value, 4)
    (0.04, 0.0455)
    """
    ci_low, ci_high, p_value = wald_interval(value, std_error, alpha=alpha, df=df)
    return Estimate(
        value=value,
        std_error=std_error,
        ci_low=ci_low,
        ci_high=ci_high,
        p_value=p_value,
        alpha=alpha,
        **fields,
    )
