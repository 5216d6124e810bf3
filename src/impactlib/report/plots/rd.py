"""Figures, table and glue of a regression discontinuity: the RD plot, the histogram of the
running variable around the cutoff, a table of RD estimates side by side, and the glue of
the numbers of an RD result, a density test or a covariate balance check for the prose.

The numbers come from :mod:`impactlib.rd` (:func:`~impactlib.rd.rd_plot_data`,
:func:`~impactlib.rd.running_histogram`, the fields of its results); these functions only
draw them the book's way. Like :func:`~impactlib.report.plots.estimates_plot`, they return
a pyplot figure: a notebook saves it with ``report.save_figure`` and the inline backend
shows it at the end of the cell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from impactlib.core.validation import InputError
from impactlib.rd import (
    CovariateBalance,
    DensityTest,
    HonestRDResult,
    RDResult,
    rd_plot_data,
    running_histogram,
)
from impactlib.report.figures import PALETTE, french_axis
from impactlib.report.formats import (
    fmt_interval,
    fmt_number,
    fmt_percent,
    fmt_pvalue,
    fmt_pvalue_phrase,
)
from impactlib.report.gluing import glue, glue_estimate


def _decimals(low: float, high: float) -> int:
    """Enough decimals for about ten ticks over ``[low, high]``."""
    span = (high - low) or 1.0
    return max(0, int(np.ceil(-np.log10(span / 10))))


def rd_plot(
    data: pd.DataFrame,
    result: RDResult,
    *,
    bins: int = 20,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
) -> Figure:
    """Binned means of the outcome with the local polynomial fits behind ``result``.

    The dots are outcome means in ``bins`` equal-width bins on each side of the cutoff of
    ``data`` (which may be a window of the data estimated on); the lines are the
    kernel-weighted fits of the result's order and kernel within its bandwidth ``h``,
    whose gap at the cutoff is the result's conventional estimate (see
    :func:`impactlib.rd.rd_plot_data`, which computes them). The axes are labelled with
    the column names unless ``xlabel`` and ``ylabel`` are given.

    Examples
    --------
    >>> from impactlib.rd import regression_discontinuity
    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(-1, 1, 500)
    >>> df = pd.DataFrame({"x": x, "y": x + (x >= 0) + rng.normal(0, 0.3, 500)})
    >>> fig = rd_plot(df, regression_discontinuity(df, outcome="y", running="x"))
    >>> len(fig.axes)
    1
    """
    if not isinstance(result, RDResult):
        raise InputError(f"result must be an RDResult, got {type(result).__name__}")
    plot = rd_plot_data(
        data,
        outcome=result.outcome,
        running=result.running,
        cutoff=result.cutoff,
        bins=bins,
        p=result.p,
        kernel=result.kernel,
        bandwidth=result.h_left,
    )
    fig, ax = plt.subplots(layout="constrained")
    for side, color in ((plot.left, PALETTE[0]), (plot.right, PALETTE[1])):
        ax.scatter(side.centres, side.means, s=14, color=color, zorder=3)
        if side.grid.size:
            ax.plot(side.grid, side.fit, color=color, lw=2)
    ax.axvline(plot.cutoff, color=PALETTE[5], lw=0.8, ls=":")
    ax.set_xlabel(xlabel or plot.running)
    ax.set_ylabel(ylabel or plot.outcome)
    french_axis(ax.xaxis, decimals=_decimals(*plot.running_range))
    french_axis(ax.yaxis, decimals=_decimals(*plot.outcome_range))
    if title:
        ax.set_title(title)
    return fig


def density_plot(
    data: pd.DataFrame,
    density: DensityTest,
    *,
    bin_width: float,
    sides: Sequence[str] = ("Sous le seuil", "Au seuil ou au-dessus"),
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str = "Part des observations par unité (%)",
) -> Figure:
    """Histogram of the running variable on each side of the cutoff, with the densities
    that ``density`` (a :func:`impactlib.rd.density_test` result) estimates at the cutoff.

    Bars of ``bin_width`` meet at the cutoff (:func:`impactlib.rd.running_histogram`) and
    show the share of observations per unit of the running variable, in per cent; the
    two estimated densities are dots on the same scale, so that a jump from one to the
    other shows sorting. ``sides`` name the two sides in the legend.

    Examples
    --------
    >>> from impactlib.rd import density_test
    >>> df = pd.DataFrame({"x": np.random.default_rng(0).normal(size=500)})
    >>> fig = density_plot(df, density_test(df, running="x"), bin_width=0.5)
    >>> len(fig.axes[0].patches) > 0
    True
    """
    if not isinstance(density, DensityTest):
        raise InputError(f"density must be a DensityTest, got {type(density).__name__}")
    if len(sides) != 2:
        raise InputError(f"sides must name the two sides of the cutoff, got {sides!r}")
    hist = running_histogram(
        data, running=density.running, cutoff=density.cutoff, bin_width=bin_width
    )
    fig, ax = plt.subplots()
    estimated = (density.density_left, density.density_right)
    masks = (hist.below, ~hist.below)
    for mask, color, label, at_cutoff in zip(masks, PALETTE[:2], sides, estimated, strict=True):
        ax.bar(
            hist.edges[:-1][mask],
            hist.density[mask],
            width=hist.bin_width,
            align="edge",
            color=color,
            alpha=0.75,
            label=label,
        )
        ax.plot([hist.cutoff], [at_cutoff], "o", color=color, mec="black", ms=8)
    ax.axvline(hist.cutoff, color=PALETTE[5], lw=0.8, ls=":")
    ax.set_xlabel(xlabel or density.running)
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
    ``french_table`` to format; a notebook names the index (``rename_axis``; labels that are
    tuples make a MultiIndex) and may add or drop columns.

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
    return pd.DataFrame(rows, index=pd.Index(list(results)))  # tuples: a MultiIndex


def glue_rd(
    prefix: str,
    result: RDResult | HonestRDResult,
    *,
    decimals: int = 0,
    bandwidth_decimals: int = 2,
) -> dict[str, str]:
    """Glue the French-formatted parts of an RD result under ``<prefix>_<part>``.

    The parts of :func:`impactlib.report.glue_estimate` (``value``, ``se``, ``ci``,
    ``level``, ``p``, ``n``), then ``pp`` (the p-value for the prose, ``p = 0,04``), ``h``
    (the bandwidth, left side, with ``bandwidth_decimals``) and ``neff`` (observations
    within it); for an :class:`~impactlib.rd.RDResult` also ``bc`` and ``robust_se`` (the
    bias-corrected estimate and its robust standard error) and ``conv_ci`` (the
    conventional interval); for an :class:`~impactlib.rd.HonestRDResult` also ``bias``
    (the maximum bias). Returns the formatted strings.
    """
    if not isinstance(result, RDResult | HonestRDResult):
        raise InputError(f"result must be an RDResult or HonestRDResult, got {result!r}")
    parts = glue_estimate(prefix, result.estimate, decimals=decimals)
    own = {"pp": fmt_pvalue_phrase(result.estimate.p_value)}
    if isinstance(result, RDResult):
        own |= {
            "h": fmt_number(result.h_left, bandwidth_decimals),
            "neff": fmt_number(result.n_effective),
            "bc": fmt_number(result.bias_corrected, decimals),
            "robust_se": fmt_number(result.robust_se, decimals),
            "conv_ci": fmt_interval(*result.conventional_ci, decimals),
        }
    else:
        own |= {
            "h": fmt_number(result.bandwidth, bandwidth_decimals),
            "neff": fmt_number(result.n_effective, 0),
            "bias": fmt_number(result.maximum_bias, decimals),
        }
    for part, text in own.items():
        glue(f"{prefix}_{part}", text)
    return parts | own


def glue_density(prefix: str, density: DensityTest, *, decimals: int = 2) -> dict[str, str]:
    """Glue the French-formatted parts of a density test under ``<prefix>_<part>``.

    Parts: ``T`` (the statistic), ``pp`` (its p-value for the prose), ``left`` and
    ``right`` (the densities at the cutoff, in per cent per unit of the running variable),
    ``h_left`` and ``h_right`` (the bandwidths). Returns the formatted strings.
    """
    if not isinstance(density, DensityTest):
        raise InputError(f"density must be a DensityTest, got {density!r}")
    parts = {
        "T": fmt_number(density.statistic, decimals),
        "pp": fmt_pvalue_phrase(density.p_value),
        "left": fmt_percent(density.density_left, decimals),
        "right": fmt_percent(density.density_right, decimals),
        "h_left": fmt_number(density.h_left, decimals),
        "h_right": fmt_number(density.h_right, decimals),
    }
    for part, text in parts.items():
        glue(f"{prefix}_{part}", text)
    return parts


def glue_balance(
    prefix: str,
    balance: CovariateBalance,
    *,
    labels: Mapping[str, str] | None = None,
    decimals: int = 2,
) -> dict[str, str]:
    """Glue the least balanced covariate of ``balance`` under ``<prefix>_min_<part>``.

    Parts: ``label`` (« French label » (column), with ``labels`` by column, else the
    column), ``value`` (its jump at the cutoff), ``pp`` (its p-value for the prose) and,
    named after the correction (e.g. ``holm``), its adjusted p-value. Returns the
    formatted strings.
    """
    if not isinstance(balance, CovariateBalance):
        raise InputError(f"balance must be a CovariateBalance, got {type(balance).__name__}")
    least = balance.least
    label = (labels or {}).get(least)
    parts = {
        "label": f"« {label} » ({least})" if label else least,
        "value": fmt_number(balance.results[least].value, decimals),
        "pp": fmt_pvalue_phrase(balance.p_values[least]),
        balance.correction: fmt_pvalue(balance.p_adjusted[least]),
    }
    for part, text in parts.items():
        glue(f"{prefix}_min_{part}", text)
    return parts
