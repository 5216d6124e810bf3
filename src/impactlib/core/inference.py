"""Confidence intervals and two-sided p-values from an estimate and its standard error."""

from __future__ import annotations

from scipy import stats


def t_interval(
    value: float, se: float, df: float, alpha: float
) -> tuple[float, float, float | None]:
    """Student-t interval and two-sided p-value (None when the standard error is zero)."""
    crit = stats.t.ppf(1 - alpha / 2, df)
    p_value = float(2 * stats.t.sf(abs(value / se), df)) if se > 0 else None
    return value - crit * se, value + crit * se, p_value


def z_interval(value: float, se: float, alpha: float) -> tuple[float, float, float | None]:
    """Normal interval and two-sided p-value (None when the standard error is zero)."""
    crit = stats.norm.ppf(1 - alpha / 2)
    p_value = float(2 * stats.norm.sf(abs(value / se))) if se > 0 else None
    return value - crit * se, value + crit * se, p_value
