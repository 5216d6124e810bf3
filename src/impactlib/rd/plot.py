"""The binned regression-discontinuity plot with local-polynomial fits on each side."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from impactlib.core.validation import (
    InputError,
)
from impactlib.rd.bandwidths import bandwidth
from impactlib.rd.inputs import _check_cutoff, _check_kernel, _check_order, _prepare
from impactlib.report.figures import PALETTE, french_axis

# --- plot -----------------------------------------------------------------------------------


def _mserd_bandwidth(kept: pd.DataFrame, **kwargs: Any) -> float:
    """The common ``mserd`` bandwidth (``rd_plot``'s argument of that name hides the function)."""
    return bandwidth(kept, **kwargs).h_left


def _local_fit(
    x: np.ndarray, y: np.ndarray, *, cutoff: float, h: float, p: int, kernel: str
) -> np.ndarray:
    """Kernel-weighted polynomial coefficients in ``x - cutoff`` (lowest order first)."""
    u = np.abs(x - cutoff) / h
    inside = u <= 1
    weights = {
        "triangular": 1 - u,
        "epanechnikov": 0.75 * (1 - u**2),
        "uniform": np.full_like(u, 0.5),
    }[kernel][inside]
    design = np.vander(x[inside] - cutoff, p + 1, increasing=True)
    root = np.sqrt(weights)
    coef, *_ = np.linalg.lstsq(design * root[:, None], y[inside] * root, rcond=None)
    return coef


def rd_plot(
    data: pd.DataFrame,
    *,
    outcome: str,
    running: str,
    cutoff: float = 0.0,
    bins: int = 20,
    p: int = 1,
    kernel: Literal["triangular", "epanechnikov", "uniform"] = "triangular",
    bandwidth: float | None = None,
    title: str | None = None,
) -> Figure:
    """Binned means of the outcome with the local polynomial fits on either side.

    The dots are outcome means in ``bins`` equal-width bins on each side of the cutoff
    (over the whole range of the running variable). The lines are the kernel-weighted
    polynomial fits of order ``p`` within the bandwidth ``h`` on each side (the
    ``mserd`` bandwidth of :func:`bandwidth` unless given), i.e. the fits behind the
    conventional estimate of :func:`regression_discontinuity`: the gap between the two
    lines at the cutoff is that estimate. Drawn with numpy and matplotlib; nothing is
    printed and pyplot's global state is not touched.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(-1, 1, 500)
    >>> df = pd.DataFrame({"x": x, "y": x + (x >= 0) + rng.normal(0, 0.3, 500)})
    >>> fig = rd_plot(df, outcome="y", running="x", bandwidth=0.5)
    >>> len(fig.axes)
    1
    """
    cutoff = _check_cutoff(cutoff)
    p = _check_order(p)
    _check_kernel(kernel)
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 1:
        raise InputError(f"bins must be a positive integer, got {bins!r}")
    if bandwidth is not None and (
        isinstance(bandwidth, bool)
        or not isinstance(bandwidth, int | float | np.integer | np.floating)
        or not np.isfinite(bandwidth)
        or bandwidth <= 0
    ):
        raise InputError(f"bandwidth must be one positive number, got {bandwidth!r}")
    kept, _ = _prepare(data, running=running, cutoff=cutoff, outcome=outcome, min_distinct=p + 2)
    h = (
        float(bandwidth)
        if bandwidth is not None
        else _mserd_bandwidth(
            kept, outcome=outcome, running=running, cutoff=cutoff, p=p, kernel=kernel
        )
    )
    x = kept[running].to_numpy(dtype=float)
    y = kept[outcome].to_numpy(dtype=float)

    fig = Figure(layout="constrained")
    ax = fig.subplots()
    for side, direction, color in ((x < cutoff, -1, PALETTE[0]), (x >= cutoff, 1, PALETTE[1])):
        xs, ys = x[side], y[side]
        edges = np.linspace(xs.min(), xs.max(), bins + 1)
        index = np.clip(np.searchsorted(edges, xs, side="right") - 1, 0, bins - 1)
        counts = np.bincount(index, minlength=bins)
        sums = np.bincount(index, weights=ys, minlength=bins)
        centres = (edges[:-1] + edges[1:]) / 2
        filled = counts > 0
        ax.scatter(centres[filled], sums[filled] / counts[filled], s=14, color=color, zorder=3)
        if np.sum(np.abs(xs - cutoff) < h) > p:  # the fit needs p + 1 points in the window
            coef = _local_fit(xs, ys, cutoff=cutoff, h=h, p=p, kernel=kernel)
            end = cutoff + direction * min(h, float(np.abs(xs - cutoff).max()))
            grid = np.linspace(cutoff, end, 100)
            ax.plot(grid, np.polyval(coef[::-1], grid - cutoff), color=color, lw=2)
    ax.axvline(cutoff, color=PALETTE[5], lw=0.8, ls=":")
    ax.set_xlabel(running)
    ax.set_ylabel(outcome)
    for axis, values in ((ax.xaxis, x), (ax.yaxis, y)):
        span = float(np.ptp(values)) or 1.0
        french_axis(axis, decimals=max(0, int(np.ceil(-np.log10(span / 10)))))
    if title:
        ax.set_title(title)
    return fig
