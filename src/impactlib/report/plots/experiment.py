"""Figures of randomised experiments: covariate balance, outcomes by cluster, the null
distribution of a randomisation test, the draws of a Monte Carlo study and the minimum
detectable effect of designs."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from impactlib.core.validation import InputError, require_columns
from impactlib.report.figures import PALETTE, french_axis
from impactlib.report.formats import fmt_number

if TYPE_CHECKING:
    from impactlib.experiment import PowerDesign, RandomizationInference, SimulationStudy

_GREY = "#555555"


def balance_plot(
    balance: pd.DataFrame,
    *,
    threshold: float = 0.1,
    labels: Mapping[str, str] | None = None,
    xlabel: str = "Différence standardisée (bénéficiaires − témoins)",
    title: str | None = None,
) -> Figure:
    """The standardised differences of a balance table, one row per covariate.

    Points beyond ``±threshold`` (dashed lines) are drawn in the second palette colour.

    Parameters
    ----------
    balance : DataFrame
        A :func:`~impactlib.experiment.balance_table` (its ``smd`` column, by covariate).
    threshold : float
        The |SMD| flagging a notable imbalance (0.1, Austin 2009).
    labels : mapping, optional
        French labels of the covariates (others keep their name).
    xlabel, title : str
        Axis label and title, in French.
    """
    require_columns(balance, ["smd"], role="balance")
    smd = balance["smd"].rename(index=dict(labels or {})).iloc[::-1]
    fig, ax = plt.subplots(figsize=(7.0, 1.6 + 0.25 * len(smd)))
    colors = [PALETTE[1] if abs(v) > threshold else PALETTE[0] for v in smd]
    ax.scatter(smd.to_numpy(), range(len(smd)), color=colors, zorder=3)
    for x in (-threshold, threshold):
        ax.axvline(x, color=_GREY, linestyle="--", linewidth=0.8)
    ax.axvline(0.0, color=_GREY, linewidth=0.8)
    ax.set_yticks(range(len(smd)), smd.index)
    ax.grid(axis="x")
    ax.grid(axis="y", visible=False)
    french_axis(ax.xaxis, 1)
    ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title)
    return fig


def cluster_plot(
    clusters: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    size: str | None = None,
    arm_labels: Sequence[str] = ("Grappes témoins", "Grappes traitées"),
    estimated: Mapping[int, float] | None = None,
    truth: Mapping[int, float] | None = None,
    ylabel: str,
    title: str | None = None,
    seed: int = 0,
) -> Figure:
    """One point per cluster, by arm (jittered), with the arms' estimated and true values.

    Parameters
    ----------
    clusters : DataFrame
        One row per cluster: its ``outcome`` (a mean or a rate), its arm (``treatment``,
        0/1) and, optionally, its ``size`` (the points grow with it).
    arm_labels : (str, str)
        Labels of the control and treated arms.
    estimated, truth : mapping of 0/1 to float, optional
        By arm, the estimate (a solid line) and the true value of a simulation (dashed).
    ylabel, title : str
        Axis label and title, in French.
    seed : int
        Seed of the horizontal jitter.
    """
    require_columns(clusters, [outcome, treatment, *([size] if size else [])], role="column")
    arms = clusters[treatment].to_numpy()
    if not set(np.unique(arms)) <= {0, 1}:
        raise InputError(f"treatment column {treatment!r} must be 0/1 (one row per cluster)")
    fig, ax = plt.subplots(figsize=(7.0, 4.0))
    jitter = np.random.default_rng(seed).uniform(-0.12, 0.12, size=len(clusters))
    for arm, color in ((0, PALETTE[1]), (1, PALETTE[0])):
        mask = arms == arm
        area = 12 + clusters.loc[mask, size] if size else 20
        ax.scatter(arm + jitter[mask], clusters.loc[mask, outcome], s=area, color=color, alpha=0.6)
        if estimated is not None:
            ax.hlines(estimated[arm], arm - 0.3, arm + 0.3, color=color, linewidth=2.2)
        if truth is not None:
            ax.hlines(truth[arm], arm - 0.3, arm + 0.3, color="#333333", linestyle="--")
    if estimated is not None:
        ax.plot([], [], color=_GREY, linewidth=2.2, label="Estimation")
    if truth is not None:
        ax.plot([], [], color="#333333", linestyle="--", label="Valeur vraie (simulation)")
    ax.set_xticks([0, 1], list(arm_labels))
    ax.set_xlim(-0.6, 1.6)
    ax.grid(axis="x", visible=False)
    french_axis(ax.yaxis, 1)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if estimated is not None or truth is not None:
        ax.legend(loc="upper right")
    return fig


def _marked_histogram(
    values: np.ndarray,
    marks: Sequence[tuple[float, str, str, str]],
    *,
    bins: int,
    xlabel: str,
    ylabel: str,
    title: str | None,
    decimals: int,
) -> Figure:
    """A histogram with vertical lines ``(x, label, colour, linestyle)``; empty labels are
    not written."""
    fig, ax = plt.subplots(figsize=(7.0, 3.8))
    ax.hist(values, bins=bins, color=PALETTE[0], alpha=0.8)
    ax.set_ylim(0, ax.get_ylim()[1] * 1.15)  # room for the labels above the bars
    for x, label, color, style in marks:
        ax.axvline(x, color=color, linestyle=style, linewidth=1.6)
        if label:
            ax.annotate(
                label,
                xy=(x, 0.92),
                xycoords=("data", "axes fraction"),
                xytext=(4, 0),
                textcoords="offset points",
                color=color,
                fontsize=9,
            )
    french_axis(ax.xaxis, decimals)
    french_axis(ax.yaxis)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return fig


def randomization_plot(
    ri: RandomizationInference,
    *,
    xlabel: str,
    title: str | None = None,
    label: str = "écart observé",
    bins: int = 60,
    decimals: int = 0,
) -> Figure:
    """The statistic under the re-randomisations and the observed one (both signs when the
    test is two-sided), from a :class:`~impactlib.experiment.RandomizationInference`."""
    marks = [(ri.statistic, label, PALETTE[1], "-")]
    if ri.alternative == "two-sided":
        marks.append((-ri.statistic, "", PALETTE[1], "-"))
    ylabel = "Nombre d'assignations" if ri.exact else "Nombre de tirages"
    return _marked_histogram(
        ri.null_distribution,
        marks,
        bins=bins,
        xlabel=xlabel,
        ylabel=ylabel,
        title=title,
        decimals=decimals,
    )


def simulation_plot(
    study: SimulationStudy,
    term: str,
    *,
    xlabel: str,
    title: str | None = None,
    observed: float | None = None,
    observed_label: str = "estimation observée",
    truth_label: str = "valeur vraie",
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
    bins: int = 25,
    decimals: int = 2,
) -> Figure:
    """The estimates of one estimator (``term``) over the replications of a
    :class:`~impactlib.experiment.SimulationStudy`, with the truth (dashed) and, optionally,
    an ``observed`` estimate; ``transform`` maps them all (e.g. ``np.exp`` for ratios)."""
    if term not in study.draws:
        raise InputError(f"term {term!r} is not an estimator of the study ({list(study.draws)})")
    transform = transform or (lambda x: x)
    values = transform(study.draws[term]["value"].to_numpy())
    marks = [(float(transform(np.array(study.truth))), truth_label, "#333333", "--")]
    if observed is not None:
        marks.append((float(transform(np.array(observed))), observed_label, PALETTE[1], "-"))
    return _marked_histogram(
        values,
        marks,
        bins=bins,
        xlabel=xlabel,
        ylabel="Nombre de réplications",
        title=title,
        decimals=decimals,
    )


def power_plot(
    designs: Mapping[str, PowerDesign],
    *,
    n: Sequence[float],
    effect: float | None = None,
    points: Mapping[str, tuple[float, float]] | None = None,
    xlabel: str = "Nombre total de personnes",
    ylabel: str = "Effet minimal détectable (écarts types)",
    title: str | None = None,
    ylim: tuple[float, float] | None = None,
) -> Figure:
    """The minimum detectable effect of each design against the number of units.

    Parameters
    ----------
    designs : mapping of str to PowerDesign
        One curve per design, labelled in the legend.
    n : sequence of float
        Numbers of units (the horizontal axis).
    effect : float, optional
        A target effect (a dashed line); each design's sample size for it is marked.
    points : mapping of str to (n, effect), optional
        Other labelled points, e.g. an existing study's size and minimum detectable effect.
    xlabel, ylabel, title : str
        Axis labels and title, in French.
    ylim : (float, float), optional
        Limits of the vertical axis.
    """
    if not designs:
        raise InputError("designs is empty: nothing to plot")
    fig, ax = plt.subplots()
    colors = dict(zip(designs, PALETTE, strict=False))
    for label, design in designs.items():
        curve = [design.minimum_detectable_effect(size) for size in n]
        ax.plot(n, curve, label=label, color=colors[label])
    if effect is not None:
        ax.axhline(effect, color=_GREY, linestyle="--", linewidth=0.8)
        for label, design in designs.items():
            needed = design.sample_size(effect)
            ax.plot([needed], [abs(effect)], marker="o", color=colors[label])
            ax.annotate(
                fmt_number(needed),
                xy=(needed, abs(effect)),
                xytext=(4, 8),
                textcoords="offset points",
                color=colors[label],
            )
    for label, (x, y) in (points or {}).items():
        ax.plot([x], [y], marker="s", color=PALETTE[4], linestyle="none")
        ax.annotate(label, xy=(x, y), xytext=(6, 4), textcoords="offset points", color=PALETTE[4])
    if ylim is not None:
        ax.set_ylim(*ylim)
    french_axis(ax.xaxis)
    french_axis(ax.yaxis, 1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend()
    return fig
