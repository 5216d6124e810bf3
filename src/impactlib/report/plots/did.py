"""Figures of difference in differences: the outcome's raw trends by cohort, and effects by
period relative to treatment, pre-treatment placebos and post-treatment effects apart.

:func:`cohort_trends_plot` draws the data (the first look at parallel trends),
:func:`event_study_plot` a TWFE event study (:func:`impactlib.did.event_study`),
:func:`dynamic_effects_plot` the dynamic aggregation of Callaway & Sant'Anna
(:func:`impactlib.did.callaway_santanna`); the last two draw what the result holds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from impactlib.core.validation import (
    InputError,
    require_columns,
    require_dataframe,
    require_finite,
    require_numeric,
)
from impactlib.did.dynamic import EventStudyResult
from impactlib.did.staggered import CallawaySantAnnaResult
from impactlib.report.figures import PALETTE, french_axis
from impactlib.report.formats import fmt_number, fmt_year

_XLABEL = "Période relative au traitement"
_YLABEL = "Effet estimé"


def _effects_figure(
    table: pd.DataFrame,
    *,
    reference: float | None,
    title: str | None,
    xlabel: str,
    ylabel: str,
    decimals: int,
) -> Figure:
    """Dots and intervals by relative period, pre-periods in the second palette colour."""
    x = table["relative_period"].to_numpy(dtype=float)
    value, low, high = (table[c].to_numpy(dtype=float) for c in ("value", "ci_low", "ci_high"))
    # A Figure outside pyplot: notebooks show it with display(), loops leave no open figure.
    fig = Figure(figsize=(7.0, 4.2))
    ax = fig.subplots()
    ax.axhline(0.0, color=PALETTE[4], linewidth=0.8)
    ax.axvline(-0.5, color=PALETTE[4], linewidth=0.8, linestyle="--")
    pre = x < 0
    for mask, color, label in (
        (pre, PALETTE[1], "Avant le traitement"),
        (~pre, PALETTE[0], "Après le traitement"),
    ):
        if mask.any():
            errors = np.vstack([value[mask] - low[mask], high[mask] - value[mask]])
            ax.errorbar(
                x[mask], value[mask], yerr=errors, fmt="o", color=color, capsize=3, label=label
            )
    if reference is not None:
        ax.plot([reference], [0.0], "o", color=PALETTE[1], markerfacecolor="white")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.set_xticks(np.unique(np.append(x, [] if reference is None else [reference])))
    french_axis(ax.yaxis, decimals)
    ax.legend(loc="best")
    return fig


def event_study_plot(
    result: EventStudyResult,
    *,
    title: str | None = None,
    xlabel: str = _XLABEL,
    ylabel: str = _YLABEL,
    decimals: int = 2,
) -> Figure:
    """Event-study figure: each relative period's effect and interval, the reference period
    as an open dot at zero.

    Parameters
    ----------
    result : EventStudyResult
        What :func:`impactlib.did.event_study` returns.
    title, xlabel, ylabel : str
        Title (none by default) and axis labels, in French.
    decimals : int
        Decimals of the vertical axis' French numbers.
    """
    if not isinstance(result, EventStudyResult):
        raise InputError(f"result must be an EventStudyResult, got {type(result).__name__}")
    labels = {"title": title, "xlabel": xlabel, "ylabel": ylabel, "decimals": decimals}
    table = result.table[~result.table["reference"]]
    return _effects_figure(table, reference=result.reference, **labels)


def dynamic_effects_plot(
    result: CallawaySantAnnaResult,
    *,
    title: str | None = None,
    xlabel: str = _XLABEL,
    ylabel: str = _YLABEL,
    decimals: int = 2,
) -> Figure:
    """Effects of Callaway & Sant'Anna by relative period (the dynamic aggregation), with
    pointwise intervals; the pre-treatment ones are placebos.

    ``result`` is what :func:`impactlib.did.callaway_santanna` returns; the other
    parameters are those of :func:`event_study_plot`.
    """
    if not isinstance(result, CallawaySantAnnaResult):
        raise InputError(f"result must be a CallawaySantAnnaResult, got {type(result).__name__}")
    labels = {"title": title, "xlabel": xlabel, "ylabel": ylabel, "decimals": decimals}
    return _effects_figure(result.aggregate_table("dynamic"), reference=None, **labels)


def _period_label(period: float) -> str:
    return fmt_year(period) if float(period).is_integer() else fmt_number(period, 2)


def cohort_trends_plot(
    data: pd.DataFrame,
    *,
    outcome: str,
    time: str,
    cohort: str,
    title: str | None = None,
    ylabel: str | None = None,
    decimals: int = 2,
) -> Figure:
    """Mean outcome of each cohort by period, as a change from the first period.

    One line per cohort (never-treated units, cohort 0, first), a circle at each cohort's
    first treated period: before it, the lines should move together if trends are
    parallel.

    Parameters
    ----------
    data : DataFrame
        Long format: one row per unit and period.
    outcome, time : str
        Numeric outcome and period columns.
    cohort : str
        First treated period of the unit; 0 for never-treated units.
    title, ylabel : str, optional
        Title and vertical axis label, in French (the label defaults to the change of the
        mean outcome since the first period).
    decimals : int
        Decimals of the vertical axis' French numbers.
    """
    frame = require_dataframe(data)
    for role, column in (("outcome", outcome), ("time", time), ("cohort", cohort)):
        require_columns(frame, [column], role=role)
        require_numeric(frame, column, role=role)
    require_finite(frame, [time, cohort], role="time or cohort")
    trend = frame.groupby([cohort, time])[outcome].mean().unstack(time)
    first = trend.columns[0]
    trend = trend.sub(trend[first], axis=0)
    fig = Figure(figsize=(7.0, 4.2))
    ax = fig.subplots()
    for g, row in trend.iterrows():
        label = "Jamais traités" if g == 0 else f"Cohorte {_period_label(g)}"
        ax.plot(row.index, row.to_numpy(), marker="o", label=label)
        if g in row.index and g > 0:  # a cohort treated within the panel
            ax.plot([g], [row.loc[g]], marker="o", markersize=11, fillstyle="none", color="#555555")
    ax.set_xticks(trend.columns, [_period_label(t) for t in trend.columns])
    french_axis(ax.yaxis, decimals)
    ax.axhline(0.0, color="#555555", linewidth=0.8)
    ax.set_ylabel(ylabel or f"Écart de {outcome} moyen à {_period_label(first)}")
    if title:
        ax.set_title(title)
    ax.legend()
    return fig
