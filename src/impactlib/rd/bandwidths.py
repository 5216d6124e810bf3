"""Data-driven bandwidths of a regression discontinuity (rdrobust's rdbwselect)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import pandas as pd

from impactlib.core.validation import (
    InputError,
)
from impactlib.rd.inputs import (
    _SELECTORS,
    _check_cutoff,
    _check_kernel,
    _check_order,
    _prepare,
    _quiet,
    _rdrobust_args,
)

# --- bandwidth ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bandwidths:
    """Bandwidths chosen by ``rdrobust.rdbwselect`` on each side of the cutoff.

    ``h_*`` is the estimation bandwidth, ``b_*`` the bias-correction bandwidth; ``n`` the
    rows used, ``n_dropped`` the rows removed for missing values, ``messages`` what
    rdbwselect printed or warned.
    """

    selector: str
    h_left: float
    h_right: float
    b_left: float
    b_right: float
    cutoff: float
    n: int
    n_dropped: int
    messages: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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

    cutoff = _check_cutoff(cutoff)
    p = _check_order(p)
    kernel_code = _check_kernel(kernel)
    if selector not in _SELECTORS:
        raise InputError(f"selector must be one of {list(_SELECTORS)}, got {selector!r}")
    kept, n_dropped = _prepare(
        data, running=running, cutoff=cutoff, outcome=outcome, cluster=cluster, min_distinct=p + 2
    )
    args = _rdrobust_args(kept, outcome=outcome, running=running, cluster=cluster)
    fit, messages = _quiet(rdbwselect, **args, c=cutoff, p=p, kernel=kernel_code, bwselect=selector)
    row = fit.bws.iloc[0]
    return Bandwidths(
        selector=selector,
        h_left=float(row.iloc[0]),
        h_right=float(row.iloc[1]),
        b_left=float(row.iloc[2]),
        b_right=float(row.iloc[3]),
        cutoff=cutoff,
        n=len(kept),
        n_dropped=n_dropped,
        messages=messages,
    )
