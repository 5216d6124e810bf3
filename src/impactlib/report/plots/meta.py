"""Forest, contour-enhanced funnel and bubble plots of meta-analyses in the book's theme.

The functions draw the results of :mod:`impactlib.meta` with French labels. Each returns a
:class:`matplotlib.figure.Figure` built without pyplot (no global figure registry) inside a
``matplotlib.rc_context`` with :func:`impactlib.report.set_theme`, so the book's look
applies without changing the caller's settings. Save them with
:func:`impactlib.report.save_figure`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Polygon
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from impactlib.core.inference import critical_value
from impactlib.core.validation import InputError
from impactlib.meta.bias import TrimAndFillResult
from impactlib.meta.effects import RATIO_MEASURES
from impactlib.meta.pooling import MetaResult
from impactlib.meta.regression import MetaRegressionResult
from impactlib.report.figures import PALETTE, french_axis, set_theme
from impactlib.report.formats import fmt_interval, fmt_number, fmt_percent

AXIS_LABELS = {
    "RR": "Risque relatif (échelle log)",
    "OR": "Rapport de cotes (échelle log)",
    "RD": "Différence de risques",
    "SMD": "Différence moyenne standardisée (g de Hedges)",
    "ZCOR": "Corrélation (z de Fisher)",
}
MODEL_LABELS = {
    "FE": "Effet fixe",
    "DL": "Effets aléatoires (DL)",
    "REML": "Effets aléatoires (REML)",
    "PM": "Effets aléatoires (PM)",
}
_RATIO_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100)


def _as_result(result: object) -> MetaResult:
    if isinstance(result, TrimAndFillResult):
        return result.adjusted
    if not isinstance(result, MetaResult):
        raise InputError(
            f"result must be a MetaResult (from pool) or a TrimAndFillResult, got "
            f"{type(result).__name__}"
        )
    return result


def _axis_label(measure: str | None, xlabel: str | None) -> str:
    if xlabel is not None:
        return xlabel
    return AXIS_LABELS.get(measure or "", "Effet")


def _fmt_ratio(value: float) -> str:
    """A ratio with as many decimals as it needs: 0,05 ; 0,5 ; 2 ; 10."""
    decimals = max(0, -math.floor(math.log10(value) + 1e-9)) if value > 0 else 2
    return fmt_number(value, decimals)


def _ratio_ticks(axis, low: float, high: float, *, log_coordinates: bool = False) -> None:
    """Ticks at 1-2-5 ratios; on a log-scaled axis, or on log coordinates (funnel plot)."""
    ticks = [t for t in _RATIO_TICKS if low <= t <= high] or [low, 1.0, high]
    positions = np.log(ticks) if log_coordinates else ticks
    axis.set_major_locator(FixedLocator(positions))
    axis.set_minor_locator(NullLocator())
    if log_coordinates:
        axis.set_major_formatter(FuncFormatter(lambda x, _pos: _fmt_ratio(math.exp(x))))
    else:
        axis.set_major_formatter(FuncFormatter(lambda x, _pos: _fmt_ratio(x)))


def forest_plot(
    result: MetaResult | TrimAndFillResult,
    *,
    measure: str | None = None,
    xlabel: str | None = None,
    title: str | None = None,
    show_prediction: bool = True,
) -> Figure:
    """Forest plot: each study's effect and confidence interval, weights, pooled diamond.

    Parameters
    ----------
    result : MetaResult or TrimAndFillResult
        A pooled result (:func:`impactlib.meta.pool`): its studies, labels and model are
        drawn (with the imputed studies for trim and fill).
    measure : str, optional
        ``"RR"`` or ``"OR"`` draw ratios on a log axis; the axis title follows the
        measure (default: the result's).
    show_prediction : bool
        Draw the prediction interval under the diamond (random-effects models).

    Returns
    -------
    matplotlib.figure.Figure
    """
    res = _as_result(result)
    measure = measure or res.measure
    ratio = measure in RATIO_MEASURES
    back = np.exp if ratio else (lambda x: x)
    k = res.k
    z = critical_value(res.alpha)
    se = np.sqrt(res.variances)
    low, high = res.effects - z * se, res.effects + z * se
    weights = res.weights
    level = fmt_percent(1 - res.alpha)
    rows = np.arange(k, 0, -1, dtype=float)
    pi_row = -1.0 if show_prediction and res.tau2_estimator != "FE" else None
    with mpl.rc_context():
        set_theme()
        fig = Figure(figsize=(9.0, 0.32 * (k + 4) + 1.2))
        ax = fig.add_subplot()
        ax.grid(False)
        ax.axvline(back(0.0), color="#7f7f7f", linewidth=0.8, zorder=1)
        ax.hlines(rows, back(low), back(high), color=PALETTE[0], linewidth=1.2, zorder=2)
        sizes = 25 + 220 * weights / weights.max()
        ax.scatter(back(res.effects), rows, s=sizes, marker="s", color=PALETTE[0], zorder=3)
        diamond = np.array(
            [[res.ci_low, 0.0], [res.value, 0.3], [res.ci_high, 0.0], [res.value, -0.3]]
        )
        diamond[:, 0] = back(diamond[:, 0])
        ax.add_patch(Polygon(diamond, closed=True, color=PALETTE[1], zorder=3))
        ax.axvline(back(res.value), color=PALETTE[1], linewidth=0.8, linestyle=":", zorder=1)
        ytick_rows = [*rows, 0.0]
        ytick_labels = [str(lab) for lab in res.labels] + [MODEL_LABELS[res.tau2_estimator]]
        right = [
            f"{fmt_number(back(e), 2)} {fmt_interval(back(lo), back(hi), 2)}   {fmt_percent(w, 1)}"
            for e, lo, hi, w in zip(res.effects, low, high, weights, strict=True)
        ]
        pooled_ci = fmt_interval(back(res.ci_low), back(res.ci_high), 2)
        right.append(f"{fmt_number(back(res.value), 2)} {pooled_ci}   100 %")
        if pi_row is not None:
            ax.hlines(pi_row, back(res.pi_low), back(res.pi_high), color=PALETTE[4], linewidth=2.5)
            ytick_rows.append(pi_row)
            ytick_labels.append(f"Intervalle de prédiction {level}")
            right.append(fmt_interval(back(res.pi_low), back(res.pi_high), 2))
        ax.set_yticks(ytick_rows, ytick_labels)
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        transform = mpl.transforms.blended_transform_factory(ax.transAxes, ax.transData)
        for y_pos, text in zip(ytick_rows, right, strict=True):
            ax.text(1.02, y_pos, text, transform=transform, va="center", ha="left", fontsize=9)
        ax.text(
            1.02, k + 1.1, f"Effet [IC {level}]   Poids", transform=transform, ha="left",
            va="center", fontsize=9, fontweight="bold",
        )  # fmt: skip
        lows = [back(low.min()), back(res.ci_low)]
        highs = [back(high.max()), back(res.ci_high)]
        if pi_row is not None:
            lows.append(back(res.pi_low))
            highs.append(back(res.pi_high))
        x_min, x_max = min(*lows, back(0.0)), max(*highs, back(0.0))
        if ratio:
            ax.set_xscale("log")
            ax.set_xlim(x_min / 1.15, x_max * 1.15)
            _ratio_ticks(ax.xaxis, x_min / 1.15, x_max * 1.15)
        else:
            pad = 0.05 * (x_max - x_min or 1.0)
            ax.set_xlim(x_min - pad, x_max + pad)
            french_axis(ax.xaxis, decimals=2)
        ax.set_ylim((pi_row if pi_row is not None else 0.0) - 0.8, k + 1.6)
        ax.set_xlabel(_axis_label(measure, xlabel))
        if res.tau2_estimator != "FE":
            ax.set_title(
                f"τ² = {fmt_number(res.tau2, 3)} ; I² = {fmt_percent(res.i2, 1)} ; "
                f"Q({res.q_df}) = {fmt_number(res.q, 2)}",
                fontsize=9, fontweight="normal", loc="left",
            )  # fmt: skip
        if title:
            fig.suptitle(title, x=0.02, ha="left", fontweight="bold")
        longest = max(len(text) for text in ytick_labels)
        fig.subplots_adjust(left=min(0.45, 0.03 + 0.0095 * longest), right=0.68)
    return fig


def funnel_plot(
    result: MetaResult | TrimAndFillResult,
    *,
    measure: str | None = None,
    levels: Sequence[float] = (0.90, 0.95, 0.99),
    xlabel: str | None = None,
    title: str | None = None,
) -> Figure:
    """Contour-enhanced funnel plot (Peters et al. 2008): effects against standard errors.

    Shaded bands mark where a study's own two-sided test of no effect is significant at
    the ``levels`` (10 %, 5 % and 1 % by default): asymmetry that falls in the
    non-significant band points to publication bias rather than other small-study
    effects. The pooled estimate of ``result`` (:func:`impactlib.meta.pool`) and its
    pseudo 95 % limits are drawn; studies imputed by :func:`impactlib.meta.trim_and_fill`
    (when a :class:`TrimAndFillResult` is given) are hollow and the line is then the
    estimate with them, as in metafor's ``funnel(trimfill(...))``. Ratios (``RR``,
    ``OR``) are drawn on the log scale with ratio tick labels.
    """
    levels = sorted(float(level) for level in levels)
    if not levels or any(not 0 < level < 1 for level in levels):
        raise InputError(f"levels must be confidence levels in (0, 1), got {levels}")
    filled_y = filled_v = np.empty(0)
    centre_label = "Estimation combinée"
    res = _as_result(result)
    centre = res.value
    if isinstance(result, TrimAndFillResult):
        filled_y, filled_v = result.filled_effects, result.filled_variances
        res = result.original
        if result.k0:
            centre_label = "Estimation combinée (avec études imputées)"
    measure = measure or res.measure
    se = np.sqrt(res.variances)
    filled_se = np.sqrt(filled_v)
    se_max = 1.08 * max(se.max(), filled_se.max() if filled_se.size else 0.0)
    grid = np.linspace(0.0, se_max, 200)
    all_y = np.concatenate([res.effects, filled_y])
    z_out = critical_value(1 - levels[-1])
    half = max(np.abs(all_y).max(), z_out * se_max, abs(centre) + 2 * se_max) * 1.08
    shades = ["#ffffff", *[mpl.colors.to_hex(c) for c in _blues(len(levels))]]
    bounds = [0.0, *[critical_value(1 - level) for level in levels], math.inf]
    with mpl.rc_context():
        set_theme()
        fig = Figure(figsize=(8.5, 4.8))
        ax = fig.add_subplot()
        ax.grid(False)
        handles = []
        for i, colour in enumerate(shades):
            inner = bounds[i] * grid
            outer = (
                np.minimum(bounds[i + 1] * grid, half)
                if math.isfinite(bounds[i + 1])
                else (np.full_like(grid, half))
            )
            for side in (1, -1):
                ax.fill_betweenx(
                    grid, side * inner, side * outer, color=colour, linewidth=0, zorder=0
                )
            handles.append(
                Patch(facecolor=colour, edgecolor="#bdbdbd", label=_band_label(i, levels))
            )
        z95 = critical_value(0.05)
        ax.plot(centre - z95 * grid, grid, color="#5c677d", linestyle="--", linewidth=0.8)
        ax.plot(centre + z95 * grid, grid, color="#5c677d", linestyle="--", linewidth=0.8)
        ax.axvline(centre, color=PALETTE[1], linewidth=1.2)
        ax.scatter(res.effects, se, s=28, color=PALETTE[0], edgecolor="white", zorder=3)
        handles.append(Line2D([], [], color=PALETTE[1], label=centre_label))
        if filled_y.size:
            ax.scatter(filled_y, filled_se, s=28, facecolor="white", edgecolor=PALETTE[1], zorder=3)
            handles.append(
                Line2D([], [], marker="o", linestyle="", markerfacecolor="white",
                       markeredgecolor=PALETTE[1], label="Études imputées (trim and fill)")
            )  # fmt: skip
        ax.set_ylim(se_max, 0.0)
        ax.set_xlim(-half, half)
        ax.set_ylabel("Erreur type")
        french_axis(ax.yaxis, decimals=2)
        if measure in RATIO_MEASURES:
            _ratio_ticks(ax.xaxis, math.exp(-half), math.exp(half), log_coordinates=True)
        else:
            french_axis(ax.xaxis, decimals=2)
        ax.set_xlabel(_axis_label(measure, xlabel))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8)
        fig.subplots_adjust(left=0.1, right=0.72)
        if title:
            ax.set_title(title)
    return fig


def bubble_plot(
    result: MetaRegressionResult,
    *,
    measure: str | None = None,
    xlabel: str | None = None,
    title: str | None = None,
) -> Figure:
    """Bubble plot of a meta-regression on one moderator (metafor's ``regplot``).

    Each study is a point at its moderator value and effect, sized by its weight in the
    model (``1 / (v + tau2)``); the line is the predicted mean effect and the band its
    confidence interval (:meth:`MetaRegressionResult.predict`). Ratios (``measure`` ``RR``
    or ``OR``) are drawn back-transformed on a log axis. ``xlabel`` names the moderator
    (default: its column name).
    """
    if not isinstance(result, MetaRegressionResult):
        raise InputError(
            f"result must be a MetaRegressionResult (from meta_regression), got "
            f"{type(result).__name__}"
        )
    if result.moderators.shape[1] != 1:
        raise InputError(
            "bubble_plot draws a meta-regression on one moderator; this one has "
            f"{list(result.moderators.columns)}"
        )
    ratio = measure in RATIO_MEASURES
    back = np.exp if ratio else (lambda x: x)
    x = result.moderators.iloc[:, 0].to_numpy()
    grid = np.linspace(x.min(), x.max(), 200)
    line = result.predict(grid)
    weights = 1.0 / (result.variances + result.tau2)
    with mpl.rc_context():
        set_theme()
        fig = Figure(figsize=(7.0, 4.4))
        ax = fig.add_subplot()
        ax.fill_between(
            grid, back(line["ci_low"]), back(line["ci_high"]), color=PALETTE[1], alpha=0.18,
            linewidth=0,
        )  # fmt: skip
        ax.plot(grid, back(line["value"]), color=PALETTE[1], linewidth=1.5)
        ax.scatter(
            x, back(result.effects), s=25 + 400 * weights / weights.max(), color=PALETTE[0],
            alpha=0.7, edgecolor="white", zorder=3,
        )  # fmt: skip
        ax.axhline(back(0.0), color="#7f7f7f", linewidth=0.8)
        if ratio:
            ax.set_yscale("log")
            _ratio_ticks(ax.yaxis, *ax.get_ylim())
        else:
            french_axis(ax.yaxis, decimals=2)
        french_axis(ax.xaxis)
        ax.set_xlabel(xlabel if xlabel is not None else result.headline_term)
        ax.set_ylabel(_axis_label(measure, None))
        if title:
            ax.set_title(title)
        ax.text(
            0.0, -0.2, "Taille des points : poids de l'étude ; bande : intervalle de confiance "
            "de la droite.", transform=ax.transAxes, fontsize=8.5, color="#5c677d",
        )  # fmt: skip
    return fig


def _blues(n: int) -> list:
    base = np.array(mpl.colors.to_rgb(PALETTE[0]))
    return [tuple(1 - (1 - base) * share) for share in np.linspace(0.45, 0.15, n)]


def _band_label(i: int, levels: Sequence[float]) -> str:
    alphas = [1 - level for level in levels]  # decreasing, e.g. 0.10, 0.05, 0.01
    if i == 0:
        return f"p > {fmt_number(alphas[0], 2)}"
    if i == len(alphas):
        return f"p ≤ {fmt_number(alphas[-1], 2)}"
    return f"{fmt_number(alphas[i], 2)} < p ≤ {fmt_number(alphas[i - 1], 2)}"
