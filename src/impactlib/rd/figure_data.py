"""The numbers behind the figures of a regression discontinuity: binned means with the local
polynomial fits on each side, and the histogram of the running variable.

They are drawn by :mod:`impactlib.report.plots.rd`; nothing here draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from impactlib.core.validation import InputError, is_real, require_column_name
from impactlib.rd.bandwidths import bandwidth as select_bandwidth
from impactlib.rd.inputs import _check_cutoff, _check_kernel, _check_order, _prepare

#: Most bins a figure of the running variable may have.
MAX_BINS = 100_000

_WEIGHTS = {
    "triangular": lambda u: 1 - u,
    "epanechnikov": lambda u: 0.75 * (1 - u**2),
    "uniform": lambda u: np.full_like(u, 0.5),
}


@dataclass(frozen=True)
class RDSide:
    """One side of the cutoff: bin means and the local polynomial fit.

    ``centres``, ``means`` and ``counts`` describe the bins holding at least one
    observation; ``grid`` and ``fit`` trace the fit from the cutoff outwards over the
    bandwidth (both empty when the bandwidth holds too few observations for the order).
    """

    centres: np.ndarray
    means: np.ndarray
    counts: np.ndarray
    grid: np.ndarray
    fit: np.ndarray


@dataclass(frozen=True)
class RDPlotData:
    """What :func:`impactlib.report.plots.rd_plot` draws; see :func:`rd_plot_data`.

    ``running_range`` and ``outcome_range`` are the smallest and largest values of the
    data (the axes' extent), ``left`` and ``right`` the two sides of the cutoff.
    """

    outcome: str
    running: str
    cutoff: float
    bandwidth: float
    p: int
    kernel: str
    running_range: tuple[float, float]
    outcome_range: tuple[float, float]
    left: RDSide
    right: RDSide

    @property
    def jump(self) -> float:
        """Gap between the two fits at the cutoff: the conventional RD estimate."""
        for name, side in (("left", self.left), ("right", self.right)):
            if side.fit.size == 0:
                raise InputError(
                    f"bandwidth {self.bandwidth:g} holds too few observations on the {name} side "
                    f"for a fit of order p={self.p}: no jump to read; widen the bandwidth"
                )
        return float(self.right.fit[0] - self.left.fit[0])


def _local_fit(
    x: np.ndarray, y: np.ndarray, *, cutoff: float, h: float, p: int, kernel: str
) -> np.ndarray:
    """Kernel-weighted polynomial coefficients in ``x - cutoff`` (lowest order first)."""
    u = np.abs(x - cutoff) / h
    inside = u <= 1
    weights = _WEIGHTS[kernel](u)[inside]
    design = np.vander(x[inside] - cutoff, p + 1, increasing=True)
    root = np.sqrt(weights)
    coef, *_ = np.linalg.lstsq(design * root[:, None], y[inside] * root, rcond=None)
    return coef


def _side(x: np.ndarray, y: np.ndarray, *, direction: int, bins: int, **fit_options) -> RDSide:
    cutoff, h, p = fit_options["cutoff"], fit_options["h"], fit_options["p"]
    edges = np.linspace(x.min(), x.max(), bins + 1)
    index = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, bins - 1)
    counts = np.bincount(index, minlength=bins)
    sums = np.bincount(index, weights=y, minlength=bins)
    filled = counts > 0
    grid = fit = np.empty(0)
    if np.sum(np.abs(x - cutoff) < h) > p:  # the fit needs p + 1 points in the window
        coef = _local_fit(x, y, **fit_options)
        end = cutoff + direction * min(h, float(np.abs(x - cutoff).max()))
        grid = np.linspace(cutoff, end, 100)
        fit = np.polyval(coef[::-1], grid - cutoff)
    return RDSide(
        centres=((edges[:-1] + edges[1:]) / 2)[filled],
        means=sums[filled] / counts[filled],
        counts=counts[filled],
        grid=grid,
        fit=fit,
    )


def rd_plot_data(
    data: pd.DataFrame,
    *,
    outcome: str,
    running: str,
    cutoff: float = 0.0,
    bins: int = 20,
    p: int = 1,
    kernel: Literal["triangular", "epanechnikov", "uniform"] = "triangular",
    bandwidth: float | None = None,
) -> RDPlotData:
    """Binned means of the outcome and the local polynomial fits on either side.

    The means are taken in ``bins`` equal-width bins on each side of the cutoff (over the
    whole range of the running variable). The fits are the kernel-weighted polynomials
    of order ``p`` within the bandwidth ``h`` on each side (the ``mserd`` bandwidth of
    :func:`bandwidth` unless given), i.e. the fits behind the conventional estimate of
    :func:`regression_discontinuity`: their gap at the cutoff (``jump``) is that estimate.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(-1, 1, 500)
    >>> df = pd.DataFrame({"x": x, "y": x + (x >= 0) + rng.normal(0, 0.3, 500)})
    >>> plot = rd_plot_data(df, outcome="y", running="x", bandwidth=0.5)
    >>> len(plot.left.means), 0.5 < plot.jump < 1.5
    (20, True)
    """
    require_column_name(outcome, role="outcome")
    cutoff = _check_cutoff(cutoff)
    p = _check_order(p)
    _check_kernel(kernel)
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 1:
        raise InputError(f"bins must be a positive integer, got {bins!r}")
    if bins > MAX_BINS:
        raise InputError(f"bins must be at most {MAX_BINS}, got {bins!r}")
    if bandwidth is not None and not (is_real(bandwidth) and 0 < bandwidth < np.inf):
        raise InputError(f"bandwidth must be one positive number, got {bandwidth!r}")
    kept, _ = _prepare(data, running=running, cutoff=cutoff, outcome=outcome, min_distinct=p + 2)
    if bandwidth is None:
        bandwidth = select_bandwidth(
            kept, outcome=outcome, running=running, cutoff=cutoff, p=p, kernel=kernel
        ).h_left
    h = float(bandwidth)
    x = kept[running].to_numpy(dtype=float)
    y = kept[outcome].to_numpy(dtype=float)
    fit_options = dict(cutoff=cutoff, h=h, p=p, kernel=kernel, bins=bins)
    below = x < cutoff
    return RDPlotData(
        outcome=outcome,
        running=running,
        cutoff=cutoff,
        bandwidth=h,
        p=p,
        kernel=kernel,
        running_range=(float(x.min()), float(x.max())),
        outcome_range=(float(y.min()), float(y.max())),
        left=_side(x[below], y[below], direction=-1, **fit_options),
        right=_side(x[~below], y[~below], direction=1, **fit_options),
    )


@dataclass(frozen=True)
class RunningHistogram:
    """Histogram of the running variable with bins that meet at the cutoff.

    ``density`` is the share of observations per unit of the running variable in each bin
    (``counts / (n * bin_width)``), comparable with the densities of :func:`density_test`.
    """

    running: str
    cutoff: float
    bin_width: float
    edges: np.ndarray
    counts: np.ndarray
    density: np.ndarray
    n: int
    n_dropped: int

    @property
    def below(self) -> np.ndarray:
        """Which bins lie below the cutoff."""
        return self.edges[:-1] < self.cutoff


def _edges(x: np.ndarray, *, cutoff: float, bin_width: float, running: str) -> np.ndarray:
    """Bin edges ``cutoff + k * bin_width`` covering every value, at least one bin a side.

    The edges are multiples of whole numbers of ``bin_width`` (not an ``arange`` of floats,
    whose last edge can fall short of the largest value and lose it), and a value equal to
    the cutoff falls in the first bin above it.
    """
    below = max(1, int(np.ceil((cutoff - x.min()) / bin_width)))
    above = max(1, int(np.ceil((x.max() - cutoff) / bin_width)))
    if below + above > MAX_BINS:
        raise InputError(
            f"bin_width {bin_width:g} cuts the range of running variable {running!r} "
            f"[{x.min():g}, {x.max():g}] into {below + above} bins; at most {MAX_BINS} are drawn"
        )
    edges = cutoff + bin_width * np.arange(-below, above + 1, dtype=float)
    edges[below] = cutoff
    if edges[0] > x.min():  # rounding of cutoff - k * bin_width
        edges = np.concatenate([[edges[0] - bin_width], edges])
    if edges[-1] < x.max():
        edges = np.concatenate([edges, [edges[-1] + bin_width]])
    if not (np.all(np.diff(edges) > 0) and edges[0] <= x.min() and edges[-1] >= x.max()):
        raise InputError(
            f"bin_width {bin_width:g} is below the floating-point resolution of running "
            f"variable {running!r} near {cutoff:g}: choose a wider bin"
        )
    return edges


def running_histogram(
    data: pd.DataFrame, *, running: str, cutoff: float = 0.0, bin_width: float
) -> RunningHistogram:
    """Counts of the running variable in bins of ``bin_width``, one edge at the cutoff.

    Rows with a missing running variable are left out and counted in ``n_dropped``.

    Examples
    --------
    >>> hist = running_histogram(pd.DataFrame({"x": [-1.5, -0.2, 0.0, 0.4, 2.2]}),
    ...                          running="x", bin_width=1.0)
    >>> hist.edges.tolist(), hist.counts.tolist()
    ([-2.0, -1.0, 0.0, 1.0, 2.0, 3.0], [1, 1, 2, 0, 1])
    """
    cutoff = _check_cutoff(cutoff)
    if not (is_real(bin_width) and 0 < bin_width < np.inf):
        raise InputError(f"bin_width must be one positive number, got {bin_width!r}")
    kept, n_dropped = _prepare(data, running=running, cutoff=cutoff)
    x = kept[running].to_numpy(dtype=float)
    edges = _edges(x, cutoff=cutoff, bin_width=float(bin_width), running=running)
    counts, _ = np.histogram(x, bins=edges)
    return RunningHistogram(
        running=running,
        cutoff=cutoff,
        bin_width=float(bin_width),
        edges=edges,
        counts=counts,
        density=counts / (len(x) * bin_width),
        n=len(x),
        n_dropped=n_dropped,
    )
