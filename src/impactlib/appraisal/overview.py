"""The comparison of impacts as the book prints it, for a decision maker.

The "Comparer les impacts" page reads the rows of ``comparison/comparison.json`` (as
:func:`impactlib.project.read_comparison` returns them, one row per
:func:`impactlib.appraisal.comparison_row`) and shows, by kind of study
(:data:`impactlib.appraisal.comparison.STUDY_KINDS`):

- the evaluations, one line per innovation (:func:`comparison_overview`, shown with
  :func:`impactlib.report.sortable_table`): effect in the outcome's units and
  standardised, cost per participant, net benefit and the chance that it is positive (in
  euros of the base year, from the report's benefit–cost analysis), level of evidence;
- the diagnostics, which measure a problem (:func:`diagnostics_overview`);
- the illustrations on simulated data, listed apart, with no level of evidence
  (:func:`illustrations_overview`);
- the points of the chart effect against cost (:func:`chart_points`), and the reasons of
  each level of evidence (:func:`evidence_reasons_markdown`).

Every cell holds one value (an estimate with its interval on a second line); money comes
only from a row's ``benefit_cost`` mapping, in euros of its ``price_year``: a row without
one shows "—", and :func:`benefit_cost_gaps` says which rows and why.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from impactlib.appraisal.comparison import NO_LEVEL_LABEL
from impactlib.appraisal.grade_rules import LEVELS
from impactlib.core.validation import InputError
from impactlib.report.formats import THIN_SPACE, fmt_interval, fmt_number, fmt_percent
from impactlib.report.sortable import Cell

#: The columns of the evaluations' table, in order ("{year}": the base year of the euros).
OVERVIEW_COLUMNS = (
    "Thème",
    "Innovation",
    "Indicateur",
    "Effet [IC]",
    "Effet standardisé [IC]",
    "Coût par participant",
    "Bénéfice net par participant",
    "Chance d'un bénéfice net positif",
    "Niveau de preuve",
)
#: What a money cell shows when the row has no benefit–cost analysis.
NO_VALUE = "\u2014"
NO_BENEFIT_COST = "analyse coût-bénéfice non disponible"
#: GRADE's symbols for each level, as the table shows them before the label.
LEVEL_ICONS = {
    level: "\u2295" * (rank + 1) + "\u25ef" * (3 - rank) for rank, level in enumerate(LEVELS)
}


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def of_kind(table: pd.DataFrame, kind: str) -> pd.DataFrame:
    """The rows of one kind of study, sorted by theme label and title.

    A comparison written before the kinds of study existed has no ``study_kind``: its
    simulated rows are illustrations, the others evaluations.
    """
    kinds = (
        table["study_kind"]
        if "study_kind" in table
        else pd.Series(np.where(table["simulated"].astype(bool), "illustration", "evaluation"))
    )
    chosen = table[kinds.to_numpy() == kind]
    return chosen.sort_values(["theme_label", "title"]).reset_index(drop=True)


def _effect_cell(row: pd.Series) -> Cell:
    """The effect, below it its interval and its unit (the row's ``effect_unit``); over it,
    the conversion of the effect for the efficiency, when the row records one."""
    decimals = _decimals(row["effect_ci_low"], row["effect_ci_high"])
    interval = fmt_interval(row["effect_ci_low"], row["effect_ci_high"], decimals)
    return Cell(
        text=fmt_number(row["effect"], decimals),
        order=float(row["effect"]),
        detail=f"{interval} {row['effect_unit']}",
        title=conversion_text(row.get("conversion")),
    )


def conversion_text(conversion: Mapping[str, Any] | None) -> str | None:
    """What a row's ``conversion`` says, in French, or ``None`` when the effect is as is."""
    if _missing(conversion):
        return None
    factor = fmt_number(float(conversion["factor"]), 4)
    return f"Converti en {conversion['unit']} (× {factor}) : {conversion['reason']}."


def _decimals(low: float, high: float) -> int:
    """Enough decimals to tell the bounds of an interval apart (0 to 3)."""
    width = abs(float(high) - float(low))
    return 0 if width >= 20 else 1 if width >= 2 else 2 if width >= 0.2 else 3


def _standardised_cell(row: pd.Series) -> Cell:
    """The standardised effect: in standard deviations, or a relative change in %."""
    if _missing(row["std_effect"]):
        return Cell(text="non standardisable", order=None, title=str(row["std_reason"]))
    if row["std_kind"] == "smd":
        return Cell(
            text=f"{fmt_number(row['std_effect'], 2)} é.-t.",
            order=float(row["std_effect"]),
            detail=fmt_interval(row["std_ci_low"], row["std_ci_high"], 2),
            title="En écarts-types du groupe témoin",
        )
    low, high = fmt_number(100 * row["std_ci_low"], 0), fmt_number(100 * row["std_ci_high"], 0)
    note = row.get("std_note")
    return Cell(
        text=fmt_percent(row["std_effect"], 0),
        order=float(row["std_effect"]),
        detail=f"[{low} ; {high}]{THIN_SPACE}%",
        title=None if _missing(note) else str(note),
    )


def _money(row: pd.Series) -> Mapping[str, Any] | None:
    money = row.get("benefit_cost")
    return None if _missing(money) else money


def _no_value(money: Mapping[str, Any] | None) -> Cell:
    """An empty money cell, saying why: no analysis, or no published cost (break-even)."""
    if money is None or money.get("break_even_cost") is None:
        return Cell(text=NO_VALUE, order=None, title=NO_BENEFIT_COST)
    threshold = fmt_number(float(money["break_even_cost"]), 0)
    return Cell(
        text=NO_VALUE,
        order=None,
        title="Aucun coût publié : les bénéfices couvrent un coût jusqu'à "
        f"{threshold}{THIN_SPACE}€ par participant (coût d'équilibre)",
    )


def _euro_cell(money: Mapping[str, Any] | None, field: str) -> Cell:
    if money is None or money.get(field) is None:
        return _no_value(money)
    value = float(money[field])
    return Cell(text=f"{fmt_number(value, 0)}{THIN_SPACE}€", order=value)


def _chance_cell(money: Mapping[str, Any] | None) -> Cell:
    if money is None or money.get("prob_positive") is None:
        return _no_value(money)
    prob = float(money["prob_positive"])
    return Cell(text=fmt_percent(prob, 0), order=prob)


def evidence_cell(row: pd.Series) -> Cell:
    """The level of evidence with GRADE's symbols, sorted by rank; none for an illustration."""
    level = row["evidence_level"]
    if _missing(level):
        return Cell(text="aucun", order=None, title="; ".join(row["evidence_reasons"]))
    return Cell(
        text=f"{LEVEL_ICONS[level]} {row['evidence_label']}",
        order=float(LEVELS.index(level)),
        title=row["design_label"],
    )


def base_year(table: pd.DataFrame) -> int | None:
    """The price year of the rows' euros (one for all), or ``None`` if no row has money."""
    years = {int(m["price_year"]) for m in table.apply(_money, axis=1) if m is not None}
    if len(years) > 1:
        raise InputError(f"benefit_cost: the rows are in euros of several years {sorted(years)}")
    return years.pop() if years else None


def money_columns(year: int | None) -> dict[str, str]:
    """The money columns' headers, naming the euros' base year when known."""
    unit = f"(€ de {year})" if year is not None else "(€)"
    return {name: f"{name} {unit}" for name in OVERVIEW_COLUMNS[5:7]}


def comparison_overview(table: pd.DataFrame) -> pd.DataFrame:
    """The evaluations, one line per innovation, each cell one value, by theme and title.

    Returns a frame of text and :class:`impactlib.report.sortable.Cell` with
    :data:`OVERVIEW_COLUMNS` (money headers naming the base year, :func:`money_columns`),
    for :func:`impactlib.report.sortable_table`. Diagnostics and illustrations are not in
    it (:func:`diagnostics_overview`, :func:`illustrations_overview`).
    """
    rows = of_kind(table, "evaluation")
    columns = {
        "Thème": rows["theme_label"],
        "Innovation": rows["title"],
        "Indicateur": rows["outcome"],
        "Effet [IC]": rows.apply(_effect_cell, axis=1),
        "Effet standardisé [IC]": rows.apply(_standardised_cell, axis=1),
        "Coût par participant": rows.apply(
            lambda r: _euro_cell(_money(r), "cost_per_participant"), axis=1
        ),
        "Bénéfice net par participant": rows.apply(lambda r: _euro_cell(_money(r), "npv"), axis=1),
        "Chance d'un bénéfice net positif": rows.apply(lambda r: _chance_cell(_money(r)), axis=1),
        "Niveau de preuve": rows.apply(evidence_cell, axis=1),
    }
    frame = pd.DataFrame({name: list(columns[name]) for name in OVERVIEW_COLUMNS})
    return frame.rename(columns=money_columns(base_year(rows)))


def benefit_cost_gaps(table: pd.DataFrame) -> list[str]:
    """The evaluations whose benefit–cost analysis is not available, as French phrases."""
    rows = of_kind(table, "evaluation")
    gaps = []
    for _, row in rows.iterrows():
        if _money(row) is None:
            source = row["cost_source"]
            reason = f" (coût retenu : {source})" if isinstance(source, str) and source else ""
            gaps.append(f"{row['title']}{reason}")
    return gaps


def _interval_text(row: pd.Series) -> str:
    decimals = _decimals(row["effect_ci_low"], row["effect_ci_high"])
    value = fmt_number(row["effect"], decimals)
    interval = fmt_interval(row["effect_ci_low"], row["effect_ci_high"], decimals)
    return f"{value} {interval} {row['effect_unit']}"


def diagnostics_overview(table: pd.DataFrame) -> pd.DataFrame:
    """The diagnostics (studies that measure a problem): what they measure, with evidence."""
    rows = of_kind(table, "diagnostic")
    return pd.DataFrame(
        {
            "Thème": rows["theme_label"],
            "Étude": rows["title"],
            "Indicateur": rows["outcome"],
            "Mesure [IC]": [_interval_text(r) for _, r in rows.iterrows()],
            "Niveau de preuve": [evidence_cell(r).text for _, r in rows.iterrows()],
        }
    )


def illustrations_overview(table: pd.DataFrame) -> pd.DataFrame:
    """The illustrations on simulated data: what each teaches; no level of evidence."""
    rows = of_kind(table, "illustration")
    return pd.DataFrame(
        {
            "Travail": rows["title"],
            "Méthode illustrée": rows["design_label"],
            "Indicateur (simulé)": rows["outcome"],
            "Niveau de preuve": NO_LEVEL_LABEL,
        }
    )


def chart_points(table: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The evaluations the chart effect-against-cost can place, and why others are absent.

    Returns the points (``title``, ``theme``, ``cost`` per participant in euros of the base
    year, ``gain``, ``gain_low``, ``gain_high``: the standardised effect in its beneficial
    direction, ``level``, ``std_kind``) and, for each evaluation left out, a French phrase
    naming it and the reason (no benefit–cost analysis in euros, or no standardised effect).
    """
    rows = of_kind(table, "evaluation")
    points, absent = [], []
    for _, row in rows.iterrows():
        money = _money(row)
        if _missing(row["std_effect"]):
            absent.append(f"{row['title']} (effet non standardisable)")
            continue
        if money is None or money.get("cost_per_participant") is None:
            absent.append(f"{row['title']} ({NO_BENEFIT_COST})")
            continue
        sign = 1.0 if bool(row["higher_is_better"]) else -1.0
        bounds = sorted((sign * row["std_ci_low"], sign * row["std_ci_high"]))
        points.append(
            {
                "title": row["title"],
                "theme": row["theme"],
                "cost": float(money["cost_per_participant"]),
                "gain": sign * float(row["std_effect"]),
                "gain_low": bounds[0],
                "gain_high": bounds[1],
                "level": row["evidence_level"],
                "std_kind": row["std_kind"],
            }
        )
    columns = ["title", "theme", "cost", "gain", "gain_low", "gain_high", "level", "std_kind"]
    return pd.DataFrame(points, columns=columns), absent


def evidence_reasons_markdown(table: pd.DataFrame) -> str:
    """Each evaluation's and diagnostic's level of evidence and its reasons, as Markdown.

    Illustrations have no level and are left out (they are listed apart).
    """
    lines = []
    shown = table[table["evidence_level"].notna()].sort_values(["theme", "title"])
    for _, row in shown.iterrows():
        lines.append(f"**{row['title']}** : niveau de preuve *{row['evidence_label']}*")
        lines += [f"- {reason}" for reason in row["evidence_reasons"]]
        lines.append("")
    return "\n".join(lines)
