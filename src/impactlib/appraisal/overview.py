"""The comparison of impacts as the book prints it: one French line per report or note.

The "Comparer les impacts" page reads the rows of ``comparison/comparison.json`` (as
:func:`impactlib.project.read_comparison` returns them, one row per
:func:`impactlib.appraisal.comparison_row`) and shows :func:`comparison_overview` and
:func:`evidence_reasons_markdown`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from impactlib.report.formats import fmt_interval, fmt_number, fmt_percent

#: The columns of the overview, in order, after the theme (its index).
OVERVIEW_COLUMNS = (
    "Travail",
    "Dispositif",
    "Indicateur",
    "Effet standardisé [IC]",
    "Coût par bénéficiaire (source)",
    "Impact pour 1 000 unités monétaires",
    "Niveau de preuve",
    "Passage à l'échelle",
)


def _standardised_text(row: pd.Series) -> str:
    """The standardised effect and its interval, or why there is none."""
    if pd.isna(row["std_effect"]):
        return f"non standardisable ({row['std_reason']})"
    if row["std_kind"] == "smd":
        value = fmt_number(row["std_effect"], 2)
        interval = fmt_interval(row["std_ci_low"], row["std_ci_high"], 2)
        return f"{value} {interval} (écart-type)"
    # Relative changes (kinds "relative" and "ratio") read best as percentages.
    value = fmt_percent(row["std_effect"], 1)
    interval = fmt_interval(100 * row["std_ci_low"], 100 * row["std_ci_high"], 1)
    return f"{value} {interval} % (variation relative)"


def _cost_text(row: pd.Series) -> str:
    """The cost per beneficiary and its source; a report on a rule says why it has none."""
    if pd.isna(row["cost_per_beneficiary"]):
        # Notes carry no cost; a report without one gives the reason as its cost_source.
        return f"non applicable ({row['cost_source']})" if row["kind"] == "study" else "n.d."
    amount = fmt_number(row["cost_per_beneficiary"], 0)
    return f"{amount} {row['currency']} ({row['cost_source']})"


def _efficiency_text(row: pd.Series) -> str:
    """The impact per 1 000 units of currency, with the cost per unit of effect if defined."""
    if pd.isna(row["impact_per_1000"]):
        return "n.d."
    text = fmt_number(row["impact_per_1000"], 3)
    if not pd.isna(row["cost_per_unit"]):
        text += f" (coût par unité d'effet : {fmt_number(row['cost_per_unit'], 0)})"
    return text


def _projection_text(row: pd.Series) -> str:
    """Beneficiaries, total cost and total effect (with its interval) at scale."""
    if pd.isna(row["scale_total_effect"]):
        return "n.d."
    interval = fmt_interval(row["scale_total_effect_ci_low"], row["scale_total_effect_ci_high"], 0)
    cost = (
        "coût non applicable"
        if pd.isna(row["scale_total_cost"])
        else f"coût {fmt_number(row['scale_total_cost'], 0)} {row['currency']}"
    )
    return (
        f"{fmt_number(row['scale_beneficiaries'], 0)} bénéficiaires, {cost}, "
        f"effet total {fmt_number(row['scale_total_effect'], 0)} {interval}"
    )


def comparison_overview(table: pd.DataFrame) -> pd.DataFrame:
    """The overview of the comparison page: French text, indexed by theme, sorted.

    Parameters
    ----------
    table : DataFrame
        The rows of the comparison (:func:`impactlib.project.read_comparison`).

    Returns
    -------
    DataFrame
        Indexed by ``"Thème"`` (its French label), with :data:`OVERVIEW_COLUMNS`, sorted by
        theme and title; a work on simulated data says so after its title. Show it with
        :func:`impactlib.report.french_table`.
    """
    texts = {
        "Effet standardisé [IC]": _standardised_text,
        "Coût par bénéficiaire (source)": _cost_text,
        "Impact pour 1 000 unités monétaires": _efficiency_text,
        "Passage à l'échelle": _projection_text,
    }
    simulated = np.where(table["simulated"].astype(bool), " (données simulées)", "")
    copied = {
        "Thème": table["theme_label"],
        "Travail": table["title"] + simulated,
        "Dispositif": table["design_label"],
        "Indicateur": table["outcome"],
        "Niveau de preuve": table["evidence_label"],
    }
    columns = {name: copied.get(name) for name in ("Thème", *OVERVIEW_COLUMNS)}
    for name, text in texts.items():
        columns[name] = table.apply(text, axis=1)
    overview = pd.DataFrame(columns).sort_values(["Thème", "Travail"])
    return overview.set_index("Thème")


def evidence_reasons_markdown(table: pd.DataFrame) -> str:
    """Each work's level of evidence and its reasons, as Markdown, by theme and title."""
    lines = []
    for _, row in table.sort_values(["theme", "title"]).iterrows():
        lines.append(f"**{row['title']}** : niveau de preuve *{row['evidence_label']}*")
        lines += [f"- {reason}" for reason in row["evidence_reasons"]]
        lines.append("")
    return "\n".join(lines)
