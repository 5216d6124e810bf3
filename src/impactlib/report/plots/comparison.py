"""The chart of the comparison of impacts: effect against cost, in common units."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import pandas as pd

from impactlib.core.validation import InputError, require_columns
from impactlib.report.figures import PALETTE, french_axis

#: The marker of each GRADE level (English keys, as the comparison rows hold them).
LEVEL_MARKERS = {"high": "o", "moderate": "s", "low": "^", "very_low": "v"}
_COLUMNS = ("title", "theme", "cost", "gain", "gain_low", "gain_high", "level")


def effect_cost_plot(
    points: pd.DataFrame,
    *,
    themes: Mapping[str, str],
    levels: Mapping[str, str],
    year: int | None,
) -> plt.Figure:
    """Each evaluation at its cost per participant (euros of ``year``) and its gain.

    ``points`` has the columns of :func:`impactlib.appraisal.overview.chart_points`
    (``gain`` and its bounds: the standardised effect in its beneficial direction);
    ``themes`` and ``levels`` give the French labels of the theme codes and GRADE levels
    (the colour and the marker of a point). With no point (no report has a cost in euros
    of the base year yet), the figure says so instead of drawing an empty frame.
    """
    if not isinstance(points, pd.DataFrame):
        raise InputError(f"points must be a pandas DataFrame, got {type(points).__name__}")
    require_columns(points, _COLUMNS)
    colors = dict(zip(themes, PALETTE, strict=False))
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for _, row in points.iterrows():
        ax.errorbar(
            row["cost"],
            row["gain"],
            yerr=[[row["gain"] - row["gain_low"]], [row["gain_high"] - row["gain"]]],
            fmt=LEVEL_MARKERS[row["level"]],
            color=colors[row["theme"]],
            markersize=8,
            capsize=3,
        )
        ax.annotate(
            row["title"],
            (row["cost"], row["gain"]),
            textcoords="offset points",
            xytext=(6, 6),
            fontsize=8,
        )
    ax.axhline(0, color="#555555", linewidth=0.8)
    french_axis(ax.xaxis)
    unit = f"euros de {year}" if year is not None else "euros"
    ax.set_xlabel(f"Coût par participant ({unit})")
    ax.set_ylabel("Effet standardisé, dans le sens favorable")
    ax.set_title("Ce que chaque innovation produit, pour quel coût")
    if points.empty:
        ax.text(
            0.5,
            0.5,
            "Aucune évaluation n'a encore de coût par participant\nen euros d'une année de base",
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=10,
            color="#555555",
        )
        ax.set_xticks([])
        ax.set_yticks([])
        return fig
    handles = [
        plt.Line2D([], [], color=colors[t], marker="o", linestyle="", label=themes[t])
        for t in themes
        if t in set(points["theme"])
    ]
    handles += [
        plt.Line2D([], [], color="#555555", marker=m, linestyle="", label=f"preuve : {levels[k]}")
        for k, m in LEVEL_MARKERS.items()
        if k in set(points["level"])
    ]
    ax.legend(handles=handles, fontsize=8, loc="best")
    return fig
