"""Data-driven bandwidths of a regression discontinuity (rdrobust's rdbwselect)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from impactlib.core.validation import InputError, require_column_name
from impactlib.rd.inputs import (
    _check_cutoff,
    _check_fit_numbers,
    _check_kernel,
    _check_order,
    _check_selector,
    _fit,
    _prepare,
    _rdrobust_args,
)
from impactlib.rd.records import OneRowRecord


@dataclass(frozen=True)
class Bandwidths(OneRowRecord):
    """Bandwidths chosen by ``rdrobust.rdbwselect`` on each side of the cutoff.

    Attributes
    ----------
    selector : str
        The rule that chose them (``"mserd"``...).
    h_left, h_right : float
        Estimation bandwidths below and above the cutoff.
    b_left, b_right : float
        Bias-correction bandwidths.
    cutoff : float
    n, n_dropped : int
        Rows used, and rows removed for missing values.
    messages : list of str
        What rdbwselect printed or warned.
    """

    term = "bandwidth"

    selector: str
    h_left: float
    h_right: float
    b_left: float
    b_right: float
    cutoff: float
    n: int
    n_dropped: int
    messages: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """The bandwidths in plain text."""
        return "\n".join(
            [
                f"Bandwidths ({self.selector}, rdrobust's rdbwselect) at cutoff {self.cutoff:g}",
                f"  h: {self.h_left:.4g} left, {self.h_right:.4g} right",
                f"  b: {self.b_left:.4g} left, {self.b_right:.4g} right",
                f"  n = {self.n}"
                + (f"; {self.n_dropped} row(s) dropped" if self.n_dropped else ""),
            ]
        )


def bandwidth(
    data: pd.DataFrame,
    *,
    outcome: str,
    running: str,
    cutoff: float = 0.0,
    selector: str = "mserd",
    kernel: Literal["triangular", "epanechnikov", "uniform"] = "triangular",
    p: int = 1,
    cluster: str | None = None,
) -> Bandwidths:
    """Data-driven RD bandwidths by ``rdrobust.rdbwselect`` (Calonico, Cattaneo & Farrell 2020).

    ``selector`` is one of rdbwselect's: ``"mserd"`` (default: one MSE-optimal bandwidth
    for both sides, the one :func:`regression_discontinuity` uses), ``"msetwo"`` (one per
    side), ``"msesum"``, ``"msecomb1"``, ``"msecomb2"``, and their coverage-error-optimal
    counterparts ``"cerrd"``, ``"certwo"``, ``"cersum"``, ``"cercomb1"``, ``"cercomb2"``.

    Returns
    -------
    Bandwidths
        A frozen record with ``summary()``, ``tidy()`` (one row) and ``to_dict()``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(-1, 1, 1000)
    >>> df = pd.DataFrame({"x": x, "y": 1 + x + 2 * (x >= 0) + rng.normal(0, 0.5, 1000)})
    >>> bw = bandwidth(df, outcome="y", running="x")
    >>> bw.selector, bw.h_left == bw.h_right, 0 < bw.h_left < bw.b_left
    ('mserd', True, True)
    """
    from rdrobust import rdbwselect

    require_column_name(outcome, role="outcome")
    cutoff = _check_cutoff(cutoff)
    p = _check_order(p)
    kernel_code = _check_kernel(kernel)
    selector = _check_selector(selector)
    kept, n_dropped = _prepare(
        data, running=running, cutoff=cutoff, outcome=outcome, cluster=cluster, min_distinct=p + 2
    )
    args = _rdrobust_args(kept, outcome=outcome, running=running, cluster=cluster)
    fit, messages = _fit(
        rdbwselect,
        package="rdrobust's rdbwselect",
        where=(args["x"], cutoff, running),
        **args,
        c=cutoff,
        p=p,
        kernel=kernel_code,
        bwselect=selector,
    )
    h_left, h_right, b_left, b_right = (float(v) for v in fit.bws.iloc[0].iloc[:4])
    widths = {"h_left": h_left, "h_right": h_right, "b_left": b_left, "b_right": b_right}
    _check_fit_numbers(widths, args["y"], outcome=outcome, method="rdbwselect")
    if min(widths.values()) <= 0:
        raise InputError(f"rdbwselect chose a bandwidth that is not positive: {widths}")
    return Bandwidths(
        selector=selector,
        h_left=h_left,
        h_right=h_right,
        b_left=b_left,
        b_right=b_right,
        cutoff=cutoff,
        n=len(kept),
        n_dropped=n_dropped,
        messages=messages,
    )
