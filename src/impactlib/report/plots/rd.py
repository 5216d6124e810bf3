"""Figures and table of a regression discontinuity: the RD plot, the histogram of the
running variable around the cutoff, and a table of RD estimates side by side.

The numbers come from :mod:`impactlib.rd` (:func:`~impactlib.rd.rd_plot_data`,
:func:`~impactlib.rd.running_histogram`, the fields of its results); these functions only
draw them the book's way. They return a :class:`matplotlib.figure.Figure` without touching
pyplot's global state: a notebook saves it with ``report.save_figure`` and shows it with
``display(fig)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from impactlib.core.validation import InputError
from impactlib.rd import DensityTest, RDResult, rd_plot_data, running_histogram
from impactlib.report.figures import PALETTE, french_axis
from impactlib.report.formats import fmt_interval, fmt_number, fmt_pvalue


def _decimals(low: float, high: float) -> int:
    """Enough decimals for about ten ticks over ``[low, high]``."""
    span = (high - low) or 1.0
    return max(0, int(np.ceil(-np.log10(span / 10))))


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
    xlabel: str | None = None,
    ylabel: str | None = None,
) -> Figure:
    """Binned means of the outcome with the local polynomial fits on either side.

    The dots are outcome means in ``bins`` equal-width bins on each side of the cutoff;
    the lines are the kernel-weighted fits of order ``p`` within the bandwidth (the
    ``mserd`` bandwidth unless given), whose gap at the cutoff is the conventional
    estimate of :func:`impactlib.rd.regression_discontinuity` (see
    :func:`impactlib.rd.rd_plot_data`, which computes them). The axes are labelled with
    the column names unless ``xlabel`` and ``ylabel`` are given.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(-1, 1, 500)
    >>> df = pd.DataFrame({"x": x, "y": x + (x >= 0) + rng.normal(0, 0.3, 500)})
    >>> fig = rd_plot(df, outcome="y", running="x", bandwidth=0.5)
    >>> len(fig.axes)
    1
    """
    plot = rd_plot_data(
        data,
        outcome=outcome,
        running=running,
        cutoff=cutoff,
        bins=bins,
        p=p,
        kernel=kernel,
        bandwidth=bandwidth,
    )
    fig = Figure(layout="constrained")
    ax = fig.subplots()
    for side, color in ((plot.left, PALETTE[0]), (plot.right, PALETTE[1])):
        ax.scatter(side.centres, side.means, s=14, color=color, zorder=3)
        if side.grid.size:
            ax.plot(side.grid, side.fit, color=color, lw=2)
    ax.axvline(plot.cutoff, color=PALETTE[5], lw=0.8, ls=":")
    ax.set_xlabel(xlabel or running)
    ax.set_ylabel(ylabel or outcome)
    french_axis(ax.xaxis, decimals=_decimals(*plot.running_range))
    french_axis(ax.yaxis, decimals=_decimals(*plot.outcome_range))
    if title:
        ax.set_title(title)
    return fig


def density_plot(
    data: pd.DataFrame,
    *,
    running: str,
    cutoff: float = 0.0,
    bin_width: float,
    density: DensityTest | None = None,
    labels: Sequence[str] = ("Sous le seuil", "Au seuil ou au-dessus"),
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str = "Part des observations par unité (%)",
) -> Figure:
    """Histogram of the running variable on each side of the cutoff, in per cent per unit.

    Bars of ``bin_width`` meet at the cutoff (:func:`impactlib.rd.running_histogram`);
    with ``density`` (a :func:`impactlib.rd.density_test` result) the densities it
    estimates on each side at the cutoff are drawn as dots on the same scale, so that a
    jump from one to the other shows sorting. ``labels`` name the two sides in the legend.

    Examples
    --------
    >>> df = pd.DataFrame({"x": np.random.default_rng(0).normal(size=500)})
    >>> fig = density_plot(df, running="x", bin_width=0.5)
    >>> len(fig.axes[0].patches) > 0
    True
    """
    if len(labels) != 2:
        raise InputError(f"labels must name the two sides of the cutoff, got {labels!r}")
    hist = running_histogram(data, running=running, cutoff=cutoff, bin_width=bin_width)
    fig = Figure()
    ax = fig.subplots()
    estimated = (None, None) if density is None else (density.density_left, density.density_right)
    sides = (hist.below, ~hist.below)
    for mask, color, label, at_cutoff in zip(sides, PALETTE[:2], labels, estimated, strict=True):
        ax.bar(
            hist.edges[:-1][mask],
            hist.density[mask],
            width=hist.bin_width,
            align="edge",
            color=color,
            alpha=0.75,
            label=label,
        )
        if at_cutoff is not None:
            ax.plot([hist.cutoff], [at_cutoff], "o", color=color, mec="black", ms=8)
    ax.axvline(hist.cutoff, color=PALETTE[5], lw=0.8, ls=":")
    ax.set_xlabel(xlabel or running)
    ax.set_ylabel(ylabel)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt_number(100 * v, 1)))
    french_axis(ax.xaxis)
    if title:
        ax.set_title(title)
    ax.legend()
    return fig


def rd_table(results: Mapping[str, RDResult], *, n_label: str = "Observations") -> pd.DataFrame:
    """RD estimates side by side, one row per label, for ``report.french_table``.

    Columns: the bandwidths ``h`` and ``b`` (left side), the observations within ``h``
    (``"<n_label> dans la fenêtre"``), the conventional estimate and standard error, the
    robust bias-corrected interval and p-value. Numbers are left as numbers for
    ``french_table`` to format; a notebook names the index (``rename_axis``) and may add or
    drop columns.

    Examples
    --------
    >>> table = rd_table({"Principale": res}, n_label="Comtés")  # doctest: +SKIP
    """
    rows = []
    for label, res in results.items():
        if not isinstance(res, RDResult):
            raise InputError(f"result {label!r} is {type(res).__name__}, not an RDResult")
        est = res.estimate
        rows.append(
            {
                "h": res.h_left,
                "b": res.b_left,
                f"{n_label} dans la fenêtre": res.n_effective,
                "Estimation": est.value,
                "Erreur type": est.std_error,
                "IC robuste": fmt_interval(est.ci_low, est.ci_high, 2),
                "p robuste": fmt_pvalue(est.p_value),
            }
        )
    return pd.DataFrame(rows, index=list(results))
