"""Estimates side by side: a forest plot of labelled :class:`Estimate` records.

The figure every report draws for its headline and robustness variants: one point and
interval per estimate, top to bottom in the order given, a line at no effect. A published
figure, known by its value and interval only, is drawn beside them as ``(value, low, high)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from impactlib.core.estimate import Estimate
from impactlib.core.validation import InputError, is_real
from impactlib.report.figures import PALETTE, french_axis


def _is_interval(value: object) -> bool:
    """``(value, low, high)``: three numbers in order."""
    if isinstance(value, str) or not isinstance(value, Sequence) or len(value) != 3:
        return False
    return all(map(is_real, value)) and value[1] <= value[0] <= value[2]


def estimates_plot(
    estimates: Mapping[str, Estimate | Sequence[float]],
    *,
    xlabel: str,
    title: str | None = None,
    colors: Mapping[str, str] | None = None,
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
    reference: float | None = None,
    decimals: int = 0,
    height: float | None = None,
) -> Figure:
    """Point estimates and intervals, one row per label (a forest plot).

    Parameters
    ----------
    estimates : mapping of str to Estimate or (float, float, float)
        Row labels (top to bottom) and their estimates; a figure known only by its value
        and interval (a published one) as ``(value, low, high)``.
    xlabel, title : str
        Axis label (say what the intervals are) and title, in French.
    colors : mapping of str to str, optional
        Colour of some rows by label; the others take the palette's first colour.
    transform : callable, optional
        A monotone increasing map applied to values and bounds before drawing (e.g.
        ``lambda x: 100 * np.expm1(x)`` for log points as per cent); no effect is drawn at
        ``transform(0)``.
    reference : float, optional
        A dashed line at this value (already transformed), e.g. the headline.
    decimals : int
        Decimals of the axis' French numbers.
    height : float, optional
        Figure height in inches (default grows with the number of rows).
    """
    if not estimates:
        raise InputError("estimates is empty: nothing to plot")
    rows = []
    for label, est in estimates.items():
        if isinstance(est, Estimate):
            rows.append([est.value, est.ci_low, est.ci_high])
        elif _is_interval(est):
            rows.append([float(x) for x in est])
        else:
            raise InputError(
                f"estimate {label!r} is {type(est).__name__}, not an Estimate or (value, low, high)"
            )
    colors = dict(colors or {})
    unknown = sorted(set(colors) - set(estimates))
    if unknown:
        raise InputError(f"colors names labels that are not estimates: {unknown}")
    transform = transform or (lambda x: x)
    labels = list(estimates)
    values = np.array(rows)
    shown = transform(values)
    fig, ax = plt.subplots(figsize=(7.0, height or 1.6 + 0.4 * len(labels)))
    positions = np.arange(len(labels))[::-1]
    for y, label, (value, low, high) in zip(positions, labels, shown, strict=True):
        ax.errorbar(
            value,
            y,
            xerr=[[value - low], [high - value]],
            fmt="o",
            color=colors.get(label, PALETTE[0]),
            capsize=3,
        )
    ax.axvline(float(transform(np.array(0.0))), color="#555555", linewidth=0.8)
    if reference is not None:
        ax.axvline(reference, color=PALETTE[0], linestyle="--", linewidth=0.8)
    ax.set_yticks(list(positions), labels)
    ax.grid(axis="x")
    ax.grid(axis="y", visible=False)
    french_axis(ax.xaxis, decimals)
    ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title)
    return fig
