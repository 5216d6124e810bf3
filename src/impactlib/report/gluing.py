"""Glue: every number that reaches the prose goes through :func:`glue` from the notebook
that computed it, never typed by hand."""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from impactlib.core.estimate import Estimate
from impactlib.core.validation import InputError
from impactlib.report.formats import fmt_interval, fmt_number, fmt_percent, fmt_pvalue


def glue(name: str, value: object) -> None:
    """Store ``value`` in the executed notebook for ``{glue:text}`name``` in the book."""
    from myst_nb import glue as myst_glue  # imported here: only notebooks need it

    myst_glue(name, value, display=False)


def glue_all(values: Mapping[str, object]) -> None:
    """Glue several values at once, under their names (``{glue:text}`name```).

    Examples
    --------
    >>> glue_all({"n_total": fmt_number(445), "level": fmt_percent(0.95)})  # doctest: +SKIP
    """
    for name, value in values.items():
        glue(name, value)


def glue_estimate(prefix: str, estimate: Estimate, *, decimals: int = 0) -> dict[str, str]:
    """Glue the French-formatted parts of an estimate under ``<prefix>_<part>``.

    Parts: ``value``, ``se``, ``ci`` (interval), ``level`` (e.g. 95 %), ``p`` and ``n``.
    Returns the formatted strings, so a notebook can also show them.
    """
    parts = {
        "value": fmt_number(estimate.value, decimals),
        "se": fmt_number(estimate.std_error, decimals),
        "ci": fmt_interval(estimate.ci_low, estimate.ci_high, decimals),
        "level": fmt_percent(estimate.level),
        "p": fmt_pvalue(estimate.p_value),
        "n": fmt_number(estimate.n),
    }
    for part, text in parts.items():
        glue(f"{prefix}_{part}", text)
    return parts


def glue_ratio(
    name: str, estimate: Estimate, *, ci_name: str | None = None, decimals: int = 2
) -> tuple[float, float, float]:
    """Glue a ratio estimated on the log scale (rate, risk or odds ratio) on its own scale.

    Ratios are estimated on the log scale, where their interval is symmetric; the prose
    shows ``exp`` of the estimate and of its bounds. ``name`` gets the ratio and
    ``ci_name`` (default ``<name>_ci``) its interval.

    Returns
    -------
    tuple of float
        The ratio and the bounds of its interval, ``(ratio, low, high)``.

    Examples
    --------
    >>> log_rr = Estimate(value=-0.26, std_error=0.08, ci_low=-0.42, ci_high=-0.10,
    ...                   p_value=0.001, n=1000, method="GLM", outcome="falls")
    >>> ratio, low, high = glue_ratio("rr", log_rr)
    >>> round(ratio, 3), round(low, 3), round(high, 3)
    (0.771, 0.657, 0.905)
    """
    if not isinstance(estimate, Estimate):
        raise InputError(f"estimate {name!r} is {type(estimate).__name__}, not an Estimate")
    ratio = (math.exp(estimate.value), math.exp(estimate.ci_low), math.exp(estimate.ci_high))
    glue(name, fmt_number(ratio[0], decimals))
    glue(ci_name or f"{name}_ci", fmt_interval(ratio[1], ratio[2], decimals))
    return ratio


def glue_balance(
    balance: pd.DataFrame, *, labels: Mapping[str, str] | None = None, threshold: float = 0.1
) -> None:
    """Glue what the prose says of a balance table (:func:`impactlib.experiment.balance_table`).

    Names: ``max_smd`` (the largest standardised difference in absolute value, signed),
    ``max_smd_variable`` (its covariate, by its label in ``labels`` if any) and
    ``n_smd_above`` (covariates whose standardised difference exceeds ``threshold`` in
    absolute value: 0.1 flags a notable imbalance, Austin 2009, as in ``balance_plot``).
    """
    if not isinstance(balance, pd.DataFrame) or "smd" not in balance.columns or balance.empty:
        raise InputError("balance must be a balance table with an 'smd' column")
    smd = balance["smd"]
    largest = smd.abs().idxmax()
    glue("max_smd", fmt_number(smd[largest], 2))
    glue("max_smd_variable", str((labels or {}).get(largest, largest)))
    glue("n_smd_above", fmt_number(int((smd.abs() > threshold).sum())))
