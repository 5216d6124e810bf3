"""The comparison page: kinds of study, benefit–cost in base-year euros, one value a cell,
the sortable table (vendored DataTables) and the chart in common units."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from impactlib.appraisal import (
    LEVEL_LABELS,
    THEMES,
    SynthesisError,
    comparison_row,
    standardised_effect,
)
from impactlib.appraisal import overview as ov
from impactlib.appraisal.comparison import ILLUSTRATION_REASON, check_benefit_cost
from impactlib.report import Cell, sortable_table
from impactlib.report.plots import effect_cost_plot
from support.appraisals import BLOCK_EFFECT, comparison_block_of

ROOT = Path(__file__).resolve().parents[2]
EFFECT = BLOCK_EFFECT
# A benefit-cost mapping as the money branch computes it (a fixture: made-up amounts, in
# euros of 2024, to exercise the page; no report's figure).
MONEY = {
    "currency": "EUR",
    "price_year": 2024,
    "cost_per_participant": 1200.0,
    "pv_benefits": 3000.0,
    "pv_costs": 1200.0,
    "npv": 1800.0,
    "bcr": 2.5,
    "prob_positive": 0.87,
    "discount_rate": 0.032,
    "cost_source": "coût publié (fixture)",
    "break_even_cost": None,
    "monetised_by": "revenu",
}


def _block(**overrides):
    return comparison_block_of(**overrides)


def _table(*blocks: tuple[str, dict]) -> pd.DataFrame:
    return pd.DataFrame([comparison_row(study, "study", block) for study, block in blocks])


# --- kinds of study ---------------------------------------------------------------------------


def test_an_illustration_on_simulated_data_has_no_level_of_evidence():
    block = _block(simulated=True)
    assert block["study_kind"] == "illustration"
    assert block["evidence"]["level"] is None
    row = comparison_row("sim", "study", block)
    assert row["study_kind"] == "illustration"
    assert row["evidence_level"] is None and row["evidence_label"] == "aucun (données simulées)"
    assert row["evidence_reasons"] == [ILLUSTRATION_REASON]
    assert ILLUSTRATION_REASON == "Illustration sur données simulées : pas de niveau de preuve"


def test_an_old_block_on_simulated_data_loses_its_level_when_read():
    # A results file written before the kinds existed: simulated, graded "high".
    block = _block()
    block.pop("study_kind")
    block["simulated"] = True
    assert block["evidence"]["level"] == "high"
    row = comparison_row("sim", "study", block)
    assert row["study_kind"] == "illustration" and row["evidence_level"] is None


def test_a_diagnostic_needs_no_cost_nor_scale_up_and_has_its_own_section():
    diagnostic = _block(
        study_kind="diagnostic", cost_effectiveness=None, scale_up=None, cost_source=None
    )
    table = _table(("diag", diagnostic), ("eval", _block()), ("sim", _block(simulated=True)))
    assert table.set_index("id")["study_kind"].to_dict() == {
        "diag": "diagnostic",
        "eval": "evaluation",
        "sim": "illustration",
    }
    assert ov.comparison_overview(table)["Innovation"].tolist() == ["Étude test"]
    diagnostics = ov.diagnostics_overview(table)
    assert len(diagnostics) == 1 and diagnostics.iloc[0]["Mesure [IC]"] == (
        "2,0 [1,0 ; 3,0] unité de résultat"
    )
    illustrations = ov.illustrations_overview(table)
    assert illustrations["Niveau de preuve"].tolist() == ["aucun (données simulées)"]
    points, absent = ov.chart_points(table)
    assert points.empty and absent == ["Étude test (analyse coût-bénéfice non disponible)"]


def test_an_unknown_kind_is_refused():
    with pytest.raises(SynthesisError, match="study_kind must be one of .*got 'essai'"):
        _block(study_kind="essai")


# --- benefit-cost ------------------------------------------------------------------------------


def test_the_benefit_cost_mapping_enters_the_row():
    row = comparison_row("eval", "study", _block(benefit_cost=MONEY))
    assert row["benefit_cost"] == MONEY


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"currency": "USD"}, r"benefit_cost.currency must be 'EUR'.*got 'USD'"),
        ({"price_year": 2024.0}, r"price_year must be an integer year, got 2024.0"),
        ({"price_year": True}, r"price_year must be an integer year"),
        ({"prob_positive": 1.2}, r"prob_positive must be a probability in \[0, 1\], got 1.2"),
        ({"prob_positive": None}, r"prob_positive must be a probability"),
        ({"npv": float("nan")}, r"benefit_cost.npv must be a finite number, got nan"),
        ({"pv_costs": None}, r"benefit_cost.pv_costs must be a finite number, got None"),
        ({"cost_source": 3}, r"cost_source must be text or null"),
    ],
)
def test_a_wrong_benefit_cost_is_refused_naming_the_field(change, match):
    with pytest.raises(SynthesisError, match=match):
        _block(benefit_cost={**MONEY, **change})


def test_a_benefit_cost_without_a_field_or_read_back_wrong_is_refused():
    incomplete = {k: v for k, v in MONEY.items() if k != "price_year"}
    with pytest.raises(SynthesisError, match="benefit_cost lacks the field.s. price_year"):
        check_benefit_cost(incomplete)
    block = _block()
    block["benefit_cost"] = {**MONEY, "prob_positive": -0.1}
    with pytest.raises(SynthesisError, match=r"study 'x': benefit_cost.prob_positive"):
        comparison_row("x", "study", block)
    # Null where null is allowed: no finite ratio, no break-even once costs are known.
    assert check_benefit_cost({**MONEY, "bcr": None})["bcr"] is None


BREAK_EVEN = {
    **MONEY,
    "cost_per_participant": None,
    "pv_costs": None,
    "npv": None,
    "bcr": None,
    "prob_positive": None,
    "cost_source": "hypothèse de travail",
    "break_even_cost": 3000.0,
}


def test_a_monetised_report_without_a_published_cost_stops_at_the_break_even_cost():
    # What net_benefit writes when no cost is published: no cost-based figure, a break-even.
    assert check_benefit_cost(BREAK_EVEN)["break_even_cost"] == 3000.0
    row = comparison_row("x", "study", _block(benefit_cost=BREAK_EVEN))
    assert row["benefit_cost"]["npv"] is None
    overview = ov.comparison_overview(_table(("b", _block(benefit_cost=BREAK_EVEN))))
    chance = overview.iloc[0]["Chance d'un bénéfice net positif"]
    assert chance.text == "—" and "jusqu'à 3\u202f000\u202f€" in chance.title
    with pytest.raises(SynthesisError, match=r"break_even_cost .*also npv, prob_positive"):
        check_benefit_cost({**BREAK_EVEN, "npv": 10.0, "prob_positive": 0.5})


# --- the overview: one value a cell, money in euros of the base year ---------------------------


def test_money_cells_hold_one_value_in_base_year_euros():
    relative = standardised_effect(EFFECT, kind="relative", baseline=2.5)  # +80 % [40; 120]
    table = _table(
        ("costed", _block(benefit_cost=MONEY, title="Avec argent")),
        ("plain", _block(title="Sans argent", standardised_effect=relative)),
    )
    overview = ov.comparison_overview(table).set_index("Innovation")
    costed = overview.loc["Avec argent"]
    assert costed["Coût par participant (€ de 2024)"] == Cell(
        text="1\u202f200\u202f€", order=1200.0
    )
    assert costed["Bénéfice net par participant (€ de 2024)"].text == "1\u202f800\u202f€"
    assert costed["Chance d'un bénéfice net positif"] == Cell(text="87\u202f%", order=0.87)
    assert costed["Niveau de preuve"].text == "\u2295\u2295\u2295\u2295 élevé"
    assert costed["Effet [IC]"] == Cell(
        text="2,0", order=2.0, detail="[1,0 ; 3,0] unité de résultat"
    )
    plain = overview.loc["Sans argent"]
    assert plain["Coût par participant (€ de 2024)"].text == "\u2014"
    assert plain["Effet standardisé [IC]"].text == "80\u202f%"
    for cell in overview.to_numpy().ravel():
        text = cell.text if isinstance(cell, Cell) else cell
        assert "(" not in text or text in overview.index  # no second value in parentheses
    assert ov.benefit_cost_gaps(table) == ["Sans argent (coût retenu : hypothèse de travail)"]
    points, absent = ov.chart_points(table)
    assert points["title"].tolist() == ["Avec argent"] and points["cost"].tolist() == [1200.0]
    assert absent == ["Sans argent (analyse coût-bénéfice non disponible)"]


def test_rows_in_euros_of_two_years_are_refused():
    table = _table(
        ("a", _block(benefit_cost=MONEY)),
        ("b", _block(benefit_cost={**MONEY, "price_year": 2020})),
    )
    with pytest.raises(Exception, match=r"euros of several years \[2020, 2024\]"):
        ov.comparison_overview(table)


def test_the_chart_is_in_common_units_and_says_when_no_row_has_a_cost():
    table = _table(("costed", _block(benefit_cost=MONEY)))
    points, _ = ov.chart_points(table)
    fig = effect_cost_plot(points, themes=THEMES, levels=LEVEL_LABELS, year=2024)
    assert fig.axes[0].get_xlabel() == "Coût par participant (euros de 2024)"
    plt.close(fig)
    empty = effect_cost_plot(points.iloc[0:0], themes=THEMES, levels=LEVEL_LABELS, year=None)
    assert "Aucune évaluation" in empty.axes[0].texts[0].get_text()
    plt.close(empty)


# --- the sortable table -------------------------------------------------------------------------


def test_the_sortable_table_escapes_cells_and_sorts_by_numbers():
    frame = pd.DataFrame(
        {
            "Innovation": ["<b>A</b>", "B"],
            "Effet": [Cell("1\u202f794", 1794.3, detail="[476 ; 3 113]"), Cell("\u2014", None)],
        }
    )
    html = sortable_table(frame, "demo").data
    assert "&lt;b&gt;A&lt;/b&gt;" in html and "<b>A</b>" not in html
    assert 'data-label="Effet" data-order="1794.3"' in html
    assert 'data-order=""' in html  # a missing value
    assert 'import DataTable from "./_static/datatables/dt_bundle.js"' in html
    assert 'href="_static/datatables/dt_bundle.css"' in html
    assert "https://" not in html  # nothing from another host
    assert html == sortable_table(frame, "demo").data  # stable bytes
    with pytest.raises(Exception, match="give numbers as Cell"):
        sortable_table(pd.DataFrame({"x": [1.5]}), "bad")


def test_the_vendored_datatables_are_the_bundle_itables_ships():
    import itables

    shipped = Path(itables.__file__).parent / "html"
    vendored = ROOT / "book" / "_vendor" / "datatables"
    for name in ("dt_bundle.js", "dt_bundle.css"):
        digest = hashlib.sha256((vendored / name).read_bytes()).hexdigest()
        assert digest == hashlib.sha256((shipped / name).read_bytes()).hexdigest(), name
        assert digest in (vendored / "README.txt").read_text(encoding="utf-8")
    assert (vendored / "LICENSE").is_file()


def test_the_page_shows_each_kind_apart():
    page = (ROOT / "notebooks" / "synthesis" / "comparer.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", page, re.M)
    assert "Diagnostics" in headings and "Illustrations sur données simulées" in headings
    assert "sortable_table(" in page and "effect_cost_plot(" in page
