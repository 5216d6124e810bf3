"""Glue: every number that reaches the prose goes through :func:`glue` from the notebook
that computed it, never typed by hand."""

from __future__ import annotations

from collections.abc import Mapping

from impactlib.core.estimate import Estimate
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
