"""Figures of synthetic controls and synthetic difference in differences.

They draw what :func:`impactlib.synth.synthetic_control` (a ``SyntheticControl``) and
:func:`impactlib.synth.synthetic_did` (a ``SyntheticDiD``) return: the treated unit against
its synthetic copy, the gaps against the placebos' gaps, the permutation test's RMSPE
ratios, and the synthetic DiD's shifted counterfactual with its time weights. A dotted
line marks the start of treatment, between the last pre-period and the first treated one.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from impactlib.core.validation import InputError
from impactlib.report.figures import PALETTE, french_axis
from impactlib.synth.control import SyntheticControl
from impactlib.synth.sdid import SyntheticDiD

_START_LINE = {"color": "#555555", "lw": 0.8, "ls": ":"}
_GAP_LABEL = "Écart (traitée − synthétique)"


def _require(result: object, kind: type, name: str = "result") -> None:
    if not isinstance(result, kind):
        raise InputError(f"{name} must be a {kind.__name__}, got {type(result).__name__}")


def _start_line(ax: Axes, periods: pd.Index, start: object) -> None:
    """A dotted line halfway between the last pre-treatment period and ``start``."""
    k = periods.get_loc(start)
    before = periods[k - 1] if k > 0 else start
    ax.axvline(before + (start - before) / 2, **_START_LINE)


def _french_y(ax: Axes) -> None:
    """French numbers on the y axis, with the decimals the axis' span needs."""
    span = float(np.ptp(ax.get_ylim()))
    decimals = max(0, int(np.ceil(-np.log10(span / 10)))) if span > 0 else 0
    french_axis(ax.yaxis, decimals)


def _treated_name(result: SyntheticControl, treated_label: str | None) -> str:
    return str(result.treated_unit) if treated_label is None else treated_label


def _draw_paths(
    ax: Axes, result: SyntheticControl, name: str, donors_label: str | None, ylabel: str | None
) -> None:
    periods = result.treated.index
    if donors_label is not None:
        ax.plot(periods, result.donors.mean(), color=PALETTE[4], lw=1.5, ls=":", label=donors_label)
    ax.plot(periods, result.synthetic, color=PALETTE[1], lw=2, ls="--", label=f"{name} synthétique")
    ax.plot(periods, result.treated, color=PALETTE[0], lw=2.2, label=name)
    _start_line(ax, periods, result.treatment_time)
    ax.set_ylabel(ylabel or result.outcome)
    _french_y(ax)
    ax.legend(loc="best")


def _draw_gaps(
    ax: Axes,
    result: SyntheticControl,
    name: str,
    placebos: pd.Index,
    placebo_label: str,
    ylabel: str | None,
    legend_loc: str,
) -> None:
    periods = result.treated.index
    for i, column in enumerate(placebos):
        ax.plot(
            periods,
            result.placebo_gaps[column],
            color=PALETTE[4],
            lw=0.7,
            alpha=0.5,
            label=placebo_label if i == 0 else None,
        )
    ax.plot(periods, result.gaps, color=PALETTE[0], lw=2.2, label=name)
    ax.axhline(0.0, color="black", lw=0.6)
    _start_line(ax, periods, result.treatment_time)
    ax.set_ylabel(ylabel or _GAP_LABEL)
    _french_y(ax)
    ax.legend(loc=legend_loc)


def synthetic_paths_plot(
    result: SyntheticControl,
    *,
    treated_label: str | None = None,
    donors_label: str | None = None,
    ylabel: str | None = None,
    title: str | None = None,
) -> Figure:
    """The treated unit and its synthetic copy over all periods.

    Parameters
    ----------
    result : SyntheticControl
        What :func:`impactlib.synth.synthetic_control` returned.
    treated_label : str, optional
        Name of the treated unit in the legend (default: its label in the data); the
        synthetic copy is "<name> synthétique".
    donors_label : str, optional
        When given, the donors' plain average is drawn too, under this legend (the naive
        comparison the synthetic control improves on).
    ylabel, title : str, optional
        Axis label (default: the outcome column) and title.
    """
    _require(result, SyntheticControl)
    fig, ax = plt.subplots()
    _draw_paths(ax, result, _treated_name(result, treated_label), donors_label, ylabel)
    if title:
        ax.set_title(title)
    return fig


def placebo_gaps_plot(
    result: SyntheticControl,
    *,
    max_pre_mspe: float | None = None,
    treated_label: str | None = None,
    placebo_label: str = "Placebos",
    ylabel: str | None = None,
    title: str | None = None,
    legend_loc: str = "best",
) -> Figure:
    """The treated unit's gap (treated − synthetic) among the placebos' gaps.

    Parameters
    ----------
    result : SyntheticControl
        What :func:`impactlib.synth.synthetic_control` returned.
    max_pre_mspe : float, optional
        Leave out the placebos whose pre-treatment MSPE exceeds this multiple of the
        treated unit's (``SyntheticControl.placebo_units``); all are drawn by default.
    treated_label, placebo_label : str
        Legends of the treated unit's gap and of the placebos.
    ylabel, title : str, optional
        Axis label and title.
    legend_loc : str, default "best"
        Where matplotlib puts the legend.
    """
    _require(result, SyntheticControl)
    placebos = result.placebo_units(max_pre_mspe)
    fig, ax = plt.subplots()
    name = _treated_name(result, treated_label)
    _draw_gaps(ax, result, name, placebos, placebo_label, ylabel, legend_loc)
    if title:
        ax.set_title(title)
    return fig


def synthetic_control_plot(
    result: SyntheticControl,
    *,
    max_pre_mspe: float | None = None,
    treated_label: str | None = None,
    title: str | None = None,
) -> Figure:
    """Treated vs synthetic paths (top) and the gaps against the placebos' gaps (bottom).

    The two panels of :func:`synthetic_paths_plot` and :func:`placebo_gaps_plot` (same
    parameters), on a shared time axis.
    """
    _require(result, SyntheticControl)
    placebos = result.placebo_units(max_pre_mspe)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.0, 6.4), sharex=True)
    name = _treated_name(result, treated_label)
    _draw_paths(top, result, name, None, None)
    _draw_gaps(bottom, result, name, placebos, "Placebos", None, "best")
    if title:
        fig.suptitle(title)
    return fig


def rmspe_ratios_plot(
    result: SyntheticControl,
    *,
    treated_label: str | None = None,
    xlabel: str = "Ratio RMSPE après / RMSPE avant le traitement",
    title: str | None = None,
    height: float | None = None,
) -> Figure:
    """Every unit's post/pre RMSPE ratio, sorted, the treated unit highlighted.

    The statistic of the permutation test of Abadie, Diamond & Hainmueller (2010): the
    p-value is the share of units whose bar is at least as long as the treated unit's.

    Parameters
    ----------
    result : SyntheticControl
        What :func:`impactlib.synth.synthetic_control` returned.
    treated_label : str, optional
        Name of the treated unit on its bar (default: its label in the data).
    xlabel, title : str
        Axis label and title.
    height : float, optional
        Figure height in inches (default grows with the number of units).
    """
    _require(result, SyntheticControl)
    ratios = result.placebo_table["ratio"].sort_values()
    is_treated = ratios.index == result.treated_unit
    names = [
        _treated_name(result, treated_label) if treated else str(label)
        for label, treated in zip(ratios.index, is_treated, strict=True)
    ]
    fig, ax = plt.subplots(figsize=(7.0, height or max(3.0, 0.2 * (len(ratios) - 1))))
    positions = np.arange(len(ratios))
    ax.barh(positions, ratios.to_numpy(), color=np.where(is_treated, PALETTE[1], PALETTE[4]))
    ax.set_yticks(positions, names, fontsize=8)
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", color="#d9d9d9", lw=0.6)
    ax.grid(axis="y", visible=False)
    french_axis(ax.xaxis)
    if title:
        ax.set_title(title)
    return fig


def synthetic_did_plot(
    result: SyntheticDiD,
    *,
    synthetic_control: SyntheticControl | None = None,
    treated_label: str | None = None,
    ylabel: str | None = None,
    title: str | None = None,
) -> Figure:
    """Synthetic DiD: the treated path, the shifted counterfactual (top), the weights λ (bottom).

    Parameters
    ----------
    result : SyntheticDiD
        What :func:`impactlib.synth.synthetic_did` returned.
    synthetic_control : SyntheticControl, optional
        A synthetic control of the same treated unit, whose synthetic path is drawn too
        for comparison.
    treated_label : str, optional
        Legend of the treated path (default: the treated unit, or "Unités traitées").
    ylabel, title : str, optional
        Axis label (default: the outcome column) and title.
    """
    _require(result, SyntheticDiD)
    if synthetic_control is not None:
        _require(synthetic_control, SyntheticControl, "synthetic_control")
    if treated_label is None:
        units = result.treated_units
        treated_label = str(units[0]) if len(units) == 1 else "Unités traitées (moyenne)"
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(7.0, 5.6), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    periods = result.treated.index
    top.plot(periods, result.treated, color=PALETTE[0], lw=2.2, label=treated_label)
    top.plot(
        periods,
        result.counterfactual,
        color=PALETTE[2],
        lw=2,
        ls="--",
        label="Donneurs pondérés par ω, décalés",
    )
    if synthetic_control is not None:
        top.plot(
            periods,
            synthetic_control.synthetic,
            color=PALETTE[1],
            lw=1.2,
            ls=":",
            label="Contrôle synthétique",
        )
    _start_line(top, periods, result.treatment_time)
    top.set_ylabel(ylabel or result.outcome)
    _french_y(top)
    top.legend()
    if title:
        top.set_title(title)
    lam = result.time_weights
    bottom.bar(lam.index, lam.to_numpy(), color=PALETTE[2])
    bottom.set_ylabel("Poids λ")
    french_axis(bottom.yaxis, 1)
    return fig
