"""Selection on observables, drawn and tabulated the book's way: the propensity scores of the
two arms, the balance of the covariates before and after weighting, the overlap table and
the estimators against a benchmark.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from scipy import special

from impactlib.core.estimate import Estimate
from impactlib.core.validation import InputError, require_columns
from impactlib.report.figures import PALETTE, french_axis
from impactlib.report.formats import THIN_SPACE, fmt_interval, fmt_number, fmt_percent
from impactlib.weighting.propensity import PropensityScore
from impactlib.weighting.support import Overlap

_BAND = "#e6e6e6"
_AXIS = "#555555"
_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _decimal(value: float) -> str:
    """A short French decimal (``0,1``, ``0,25``, ``0,01``) for bounds and thresholds."""
    return f"{value:g}".replace(".", ",")


def _probability_ticks(low: float, high: float) -> tuple[list[float], list[str]]:
    """Probabilities worth a tick on a logit axis spanning ``[low, high]``, with labels."""
    ticks = []
    for k in range(16, 2, -2):  # 1e-16 ... 1e-4, written as powers of ten
        ticks.append((10.0**-k, f"10{str(-k).translate(_SUPERSCRIPTS)}"))
    ticks += [(p, _decimal(p)) for p in (0.01, 0.1, 0.5, 0.9, 0.99)]
    for k in range(4, 18, 2):  # 1 - 1e-4 ... 1 - 1e-16
        ticks.append((1 - 10.0**-k, f"1 − 10{str(-k).translate(_SUPERSCRIPTS)}"))
    inside = [(p, text) for p, text in ticks if low <= special.logit(p) <= high]
    return [p for p, _ in inside], [text for _, text in inside]


def propensity_plot(
    ps: PropensityScore,
    *,
    labels: tuple[str, str] = ("Traités", "Témoins"),
    band: tuple[float, float] | None = None,
    bin_width: float = 0.5,
    title: str = "Score de propension des traités et des témoins",
) -> Figure:
    """Histograms of the propensity score of each arm on the logit scale, treated upwards and
    controls downwards, each as a share of its arm.

    Parameters
    ----------
    ps : PropensityScore
        The fitted score (:func:`impactlib.weighting.propensity_score`).
    labels : (str, str)
        Names of the treated and control arms; the legend adds their sizes.
    band : (float, float), optional
        A trimming band of scores (e.g. Crump et al.'s ``(0.1, 0.9)``), shaded.
    bin_width : float
        Width of the bars in log-odds.
    title : str
        Title, in French.
    """
    if not isinstance(ps, PropensityScore):
        raise InputError(f"ps must be a PropensityScore, got {type(ps).__name__}")
    if not bin_width > 0:
        raise InputError(f"bin_width must be positive, got {bin_width!r}")
    logit = ps.logit.to_numpy()
    treated = ps.treated.to_numpy()
    edges = np.arange(np.floor(logit.min()), np.ceil(logit.max()) + bin_width, bin_width)
    fig, ax = plt.subplots()
    if band is not None:
        low, high = band
        ax.axvspan(
            special.logit(low),
            special.logit(high),
            color=_BAND,
            zorder=0,
            label=f"Zone [{_decimal(low)} ; {_decimal(high)}]",
        )
    arms = [(1, treated, labels[0], 0), (-1, ~treated, labels[1], 1)]
    for sign, mask, label, colour in arms:
        counts, _ = np.histogram(logit[mask], bins=edges)
        ax.bar(
            edges[:-1],
            sign * 100 * counts / mask.sum(),
            width=np.diff(edges),
            align="edge",
            color=PALETTE[colour],
            edgecolor="white",
            linewidth=0.3,
            label=f"{label} ({fmt_number(int(mask.sum()))})",
        )
    ax.axhline(0.0, color=_AXIS, linewidth=0.8)
    ticks, tick_labels = _probability_ticks(float(edges[0]), float(edges[-1]))
    ax.set_xticks(special.logit(ticks), tick_labels)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _pos: fmt_percent(abs(y) / 100)))
    ax.set_xlabel("Score de propension (échelle logistique)")
    ax.set_ylabel("Part du groupe (témoins vers le bas)")
    ax.set_title(title)
    ax.legend(loc="upper left")
    return fig


def weighted_balance_plot(
    balance: pd.DataFrame,
    *,
    threshold: float = 0.1,
    labels: Mapping[str, str] | None = None,
    weighted_label: str = "Après pondération",
    xlabel: str = "Différence standardisée (traités − témoins)",
    title: str = "Équilibre avant et après pondération",
    height: float | None = None,
) -> Figure:
    """Standardised mean differences of each covariate before and after weighting (a "love
    plot"), the band ``[-threshold, threshold]`` shaded.

    Parameters
    ----------
    balance : DataFrame
        The table of :func:`impactlib.weighting.weighted_balance` (columns ``smd`` and
        ``smd_weighted``, one row per covariate, drawn top to bottom).
    threshold : float
        The balance target (0.1 in absolute value, Austin 2009).
    labels : mapping of str to str, optional
        French names of the covariates; the others keep their column names.
    weighted_label, xlabel, title : str
        Legend entry of the weighted differences, axis label and title, in French.
    height : float, optional
        Figure height in inches (default grows with the number of covariates).
    """
    require_columns(balance, ["smd", "smd_weighted"], role="balance")
    labels = dict(labels or {})
    order = balance.index[::-1]
    rows = np.arange(len(order))
    fig, ax = plt.subplots(figsize=(7.0, height or 1.6 + 0.3 * len(order)))
    ax.axvspan(-threshold, threshold, color=_BAND, zorder=0, label=f"Seuil ± {_decimal(threshold)}")
    ax.axvline(0.0, color=_AXIS, linewidth=0.8)
    before, after = balance.loc[order, "smd"], balance.loc[order, "smd_weighted"]
    ax.hlines(rows, before, after, color="#bbbbbb", lw=0.8)
    ax.scatter(
        before,
        rows,
        facecolors="white",
        edgecolors=PALETTE[1],
        label="Avant pondération",
        zorder=3,
    )
    ax.scatter(after, rows, color=PALETTE[0], label=weighted_label, zorder=3)
    ax.set_yticks(rows, [labels.get(c, c) for c in order])
    ax.grid(axis="x")
    ax.grid(axis="y", visible=False)
    french_axis(ax.xaxis, 1)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.4, -0.14), ncol=3)
    return fig


def _score_text(p: float) -> str:
    # Escaped: the table is HTML, where a bare "<" would open a tag.
    return html.escape(f"<{THIN_SPACE}0,001") if p < 0.001 else fmt_number(p, 3)


def overlap_table(
    diagnostics: Overlap,
    *,
    labels: tuple[str, str] = ("Traités", "Témoins"),
) -> pd.DataFrame:
    """The overlap diagnostics by arm, formatted the French way: size, score quantiles, the
    shares outside the common support and outside [0,1 ; 0,9]; show it with
    :func:`impactlib.report.french_table`.

    Parameters
    ----------
    diagnostics : Overlap
        The result of :func:`impactlib.weighting.overlap`.
    labels : (str, str)
        Names of the treated and control arms (the rows).
    """
    if not isinstance(diagnostics, Overlap):
        raise InputError(f"diagnostics must be an Overlap, got {type(diagnostics).__name__}")
    table = diagnostics.tidy().loc[["treated", "control"]]
    quantiles = {
        "Minimum": "min",
        "5e centile": "p05",
        "Médiane": "median",
        "95e centile": "p95",
        "Maximum": "max",
    }
    columns = {"Effectif": [fmt_number(n) for n in table["n"]]}
    columns |= {name: [_score_text(p) for p in table[key]] for name, key in quantiles.items()}
    columns["Hors support commun"] = [fmt_percent(s, 1) for s in table["share_outside"]]
    columns[f"Hors {fmt_interval(0.1, 0.9, 1)}"] = [
        fmt_percent(s, 1) for s in table["share_outside_crump"]
    ]
    return pd.DataFrame(columns, index=pd.Index(list(labels), name="Score de propension"))


def benchmark_table(
    estimates: Mapping[str, Estimate],
    *,
    benchmark: str,
    unit: str | None = None,
    value_decimals: int = 2,
    decimals: int = 0,
    counts_label: str = "Traités / témoins",
    published: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Estimates side by side against a benchmark (an experiment, say), formatted the French
    way, one row per label: effect, standard error, interval, gap to the benchmark and the
    sizes of the arms; show it with :func:`impactlib.report.french_table`.

    Parameters
    ----------
    estimates : mapping of str to Estimate
        Row labels (top to bottom) and their estimates.
    benchmark : str
        The label of the benchmark among ``estimates`` (its gap is left empty).
    unit : str, optional
        Unit of the effect, for its column header (``"dollars"``: "Effet (dollars)").
    value_decimals, decimals : int
        Decimals of the effect, and of the standard error, interval and gap.
    counts_label : str
        Header of the column of treated and control sizes.
    published : mapping of str to str, optional
        Published figures, already formatted, by label: adds a column "Chiffre publié"
        (empty where a label has none).

    Examples
    --------
    >>> est = Estimate(value=2.0, std_error=0.5, ci_low=1.0, ci_high=3.0, p_value=0.0001,
    ...                n=400, method="m", outcome="y", n_treated=200, n_control=200)
    >>> table = benchmark_table({"A": est, "B": est}, benchmark="B")
    >>> table.loc["A", "Écart au repère"], table.loc["B", "Écart au repère"]
    ('0', '')
    """
    if benchmark not in estimates:
        raise InputError(f"benchmark {benchmark!r} is not a label of estimates {list(estimates)}")
    unknown = sorted(set(published or {}) - set(estimates))
    if unknown:
        raise InputError(f"published names labels that are not estimates: {unknown}")
    reference = estimates[benchmark].value
    rows = []
    for label, est in estimates.items():
        if not isinstance(est, Estimate):
            raise InputError(f"estimate {label!r} is {type(est).__name__}, not an Estimate")
        counts = [
            fmt_number(n) if n is not None else "n.d." for n in (est.n_treated, est.n_control)
        ]
        row = {
            "Méthode": label,
            f"Effet ({unit})" if unit else "Effet": fmt_number(est.value, value_decimals),
            "Erreur type": fmt_number(est.std_error, decimals),
            f"Intervalle à {fmt_percent(est.level)}": fmt_interval(
                est.ci_low, est.ci_high, decimals
            ),
            "Écart au repère": ""
            if label == benchmark
            else fmt_number(est.value - reference, decimals),
            counts_label: " / ".join(counts),
        }
        if published is not None:
            row["Chiffre publié"] = published.get(label, "")
        rows.append(row)
    return pd.DataFrame(rows).set_index("Méthode")
