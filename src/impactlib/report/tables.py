"""Tables of the book: HTML with French numbers and a stable id."""

from __future__ import annotations

import html
import math
import numbers
from collections.abc import Mapping

import pandas as pd
from IPython.display import HTML

from impactlib.core.estimate import Estimate
from impactlib.core.validation import InputError
from impactlib.report.formats import fmt_interval, fmt_number, fmt_percent, fmt_pvalue


def french_table(frame: pd.DataFrame, name: str, *, precision: int = 2) -> HTML:
    """Render a table as HTML with French numbers and a stable id (``name``).

    A pandas ``Styler`` would give the table a random id and a text representation holding
    a memory address, so every run of a report would differ; this HTML does not.
    ``name`` must be unique within a page.
    """

    def french(value: object) -> object:
        # Integers (counts, years) are left without separators; decimals are French.
        if isinstance(value, bool | numbers.Integral):
            return str(value).replace("-", "\u2212")
        if isinstance(value, numbers.Real) and math.isfinite(value):
            return fmt_number(float(value), precision)
        return value

    styler = frame.style.format(french)
    return HTML(styler.set_uuid(name).to_html())


def estimates_table(estimates: Mapping[str, Estimate], *, decimals: int = 2) -> pd.DataFrame:
    """Estimates side by side, formatted the French way, one row per label.

    Columns: effect, standard error, interval (at each estimate's level), p-value and
    observations; show it with :func:`french_table`.

    Examples
    --------
    >>> est = Estimate(value=2.0, std_error=0.5, ci_low=1.0, ci_high=3.0, p_value=0.0001,
    ...                n=400, method="difference in means", outcome="y")
    >>> estimates_table({"Principale": est}, decimals=1).loc["Principale", "Effet"]
    '2,0'
    """
    rows = []
    for label, est in estimates.items():
        if not isinstance(est, Estimate):
            raise InputError(f"estimate {label!r} is {type(est).__name__}, not an Estimate")
        rows.append(
            {
                "Estimation": label,
                "Effet": fmt_number(est.value, decimals),
                "Erreur type": fmt_number(est.std_error, decimals),
                f"Intervalle à {fmt_percent(est.level)}": fmt_interval(
                    est.ci_low, est.ci_high, decimals
                ),
                "p": fmt_pvalue(est.p_value),
                "Observations": fmt_number(est.n),
            }
        )
    return pd.DataFrame(rows).set_index("Estimation")


def admonition(title: str, body: str, *, kind: str = "warning") -> HTML:
    """A boxed note of the book's theme (``warning``, ``note``, ``important``...).

    ``body`` is HTML; the box is shown as the output of a cell, e.g. a page on simulated
    data saying so above its key figures.
    """
    if kind not in {"note", "warning", "important", "tip", "caution"}:
        raise InputError(f"kind must be note, warning, important, tip or caution, got {kind!r}")
    return HTML(
        f'<div class="admonition {kind}"><p class="admonition-title">{html.escape(title)}</p>'
        f"<p>{body}</p></div>"
    )


def french_balance(
    balance: pd.DataFrame,
    *,
    treated: str,
    control: str,
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """A balance table (:func:`impactlib.experiment.balance_table`) with French headers.

    ``treated`` and ``control`` name the arms as the page does (``"bénéficiaires"``,
    ``"grappes témoins"``); ``labels`` renames the covariates (rows). Show the result with
    :func:`french_table`.

    Examples
    --------
    >>> balance = pd.DataFrame({"mean_treated": [1.0], "mean_control": [0.5],
    ...     "difference": [0.5], "smd": [0.2], "p_value": [0.3], "n_missing": [0]},
    ...     index=["age"])
    >>> list(french_balance(balance, treated="traités", control="témoins").columns)[:2]
    ['Moyenne, traités', 'Moyenne, témoins']
    """
    headers = {
        "mean_treated": f"Moyenne, {treated}",
        "mean_control": f"Moyenne, {control}",
        "difference": "Différence",
        "smd": "Différence standardisée",
        "p_value": "p (Welch)",
        "n_missing": "Manquants",
    }
    missing = [column for column in headers if column not in balance.columns]
    if missing:
        raise InputError(f"balance lacks the column(s) {missing} of a balance table")
    return balance[list(headers)].rename(columns=headers, index=dict(labels or {}))
