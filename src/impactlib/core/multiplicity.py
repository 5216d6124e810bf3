"""Multiple-testing corrections for families of outcomes (Holm; Benjamini-Hochberg).

The adjusted p-values come from :func:`statsmodels.stats.multitest.multipletests`; this
module adds the checks, keeps the labels of a Series and records the adjustment in
:class:`~impactlib.core.Estimate` records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from impactlib.core.estimate import Estimate
from impactlib.core.validation import InputError

__all__ = ["CORRECTIONS", "adjust_estimates", "adjust_pvalues"]

#: Accepted corrections and the statsmodels method each one maps to.
CORRECTIONS = {"holm": "holm", "bh": "fdr_bh", "bonferroni": "bonferroni"}

_DESCRIPTIONS = {
    "holm": "Holm (1979) step-down, family-wise error rate",
    "bh": "Benjamini-Hochberg (1995) step-up, false discovery rate",
    "bonferroni": "Bonferroni, family-wise error rate",
}


def adjust_pvalues(
    pvalues: Sequence[float] | np.ndarray | pd.Series, *, correction: str = "holm"
) -> np.ndarray | pd.Series:
    """Adjust a family of p-values for multiple testing.

    ``"holm"`` controls the family-wise error rate (Holm 1979, Scand. J. Statist. 6(2));
    ``"bh"`` controls the false discovery rate for independent or positively dependent
    tests (Benjamini & Hochberg 1995, JRSS B 57(1)); ``"bonferroni"`` is the simple
    family-wise bound. Reject the hypotheses whose adjusted p-value is at most the chosen
    level. Computed by statsmodels' ``multipletests``.

    Parameters
    ----------
    pvalues : sequence of float, ndarray or Series
        Unadjusted p-values, each in [0, 1].
    correction : {"holm", "bh", "bonferroni"}
        Which correction.

    Returns
    -------
    ndarray or Series
        Adjusted p-values in the input order (a Series keeps its index and name).

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03], correction="holm").round(4).tolist()
    [0.03, 0.06, 0.06]
    >>> adjust_pvalues([0.01, 0.04, 0.03], correction="bh").round(4).tolist()
    [0.03, 0.04, 0.04]
    """
    if correction not in CORRECTIONS:
        raise InputError(f"correction must be one of {sorted(CORRECTIONS)}, got {correction!r}")
    values = np.asarray(pvalues, dtype=float)
    if values.ndim != 1 or values.size == 0:
        raise InputError(f"pvalues must be a non-empty one-dimensional sequence, got {pvalues!r}")
    bad = ~np.isfinite(values) | (values < 0) | (values > 1)
    if bad.any():
        shown = ", ".join(repr(v) for v in values[bad][:5].tolist())
        raise InputError(f"pvalues must be in [0, 1] and not missing; got {shown}")
    adjusted = multipletests(values, method=CORRECTIONS[correction])[1]
    if isinstance(pvalues, pd.Series):
        return pd.Series(adjusted, index=pvalues.index, name=pvalues.name)
    return adjusted


def adjust_estimates(estimates: Sequence[Estimate], *, correction: str = "holm") -> list[Estimate]:
    """Adjust the p-values of a family of estimates (e.g. one per outcome).

    Returns copies whose ``extra`` holds ``p_value_adjusted`` and ``p_adjustment`` (the
    correction, described); ``p_value`` itself keeps the unadjusted value.

    Examples
    --------
    >>> a = Estimate(value=1.0, std_error=0.4, ci_low=0.2, ci_high=1.8, p_value=0.012,
    ...              n=100, method="m", outcome="y1")
    >>> b = replace(a, outcome="y2", p_value=0.2)
    >>> [e.extra["p_value_adjusted"] for e in adjust_estimates([a, b])]
    [0.024, 0.2]
    """
    estimates = list(estimates)
    if not estimates:
        raise InputError("estimates must hold at least one Estimate")
    wrong = [i for i, est in enumerate(estimates) if not isinstance(est, Estimate)]
    if wrong:
        raise InputError(f"estimates: position(s) {wrong} do not hold an Estimate")
    missing = [i for i, est in enumerate(estimates) if est.p_value is None]
    if missing:
        raise InputError(f"estimate(s) at position(s) {missing} have no p-value to adjust")
    adjusted = adjust_pvalues([est.p_value for est in estimates], correction=correction)
    return [
        replace(
            est,
            extra={
                **est.extra,
                "p_value_adjusted": float(p),
                "p_adjustment": _DESCRIPTIONS[correction],
            },
        )
        for est, p in zip(estimates, adjusted, strict=True)
    ]
