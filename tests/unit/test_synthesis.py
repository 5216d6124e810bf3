"""The comparison of impacts: built from results files, refusing incomplete ones by name."""

from __future__ import annotations

import json

import pytest

from impactlib.appraisal import (
    OVERVIEW_COLUMNS,
    THEMES,
    SynthesisError,
    comparison_overview,
    evidence_reasons_markdown,
    grade_evidence,
    reports_caption,
    scale_up_projection,
    standardised_effect,
    theme_label,
)
from impactlib.core import InputError
from impactlib.project import build_comparison, read_comparison, write_comparison, write_estimates
from support.appraisals import BLOCK_EFFECT, comparison_block_of

EFFECT = BLOCK_EFFECT


def _block(**overrides):
    return comparison_block_of(**overrides)


def test_comparison_is_built_from_results_files(scratch_project):
    write_estimates("demo", {"main": EFFECT}, comparison=_block())
    table = build_comparison()
    assert list(table["id"]) == ["demo"]
    row = table.iloc[0]
    assert row["std_effect"] == pytest.approx(0.5)  # 2 / 4: standardised by the control SD
    assert row["impact_per_1000"] == pytest.approx(4.0)  # 2 per 500 EUR
    assert row["evidence_level"] == "high"
    assert row["scale_beneficiaries"] == pytest.approx(500)
    assert row["design"] == "rct" and row["design_label"] == "Essai randomisé"
    path = write_comparison(table)
    first = path.read_bytes()
    write_comparison(build_comparison())
    assert path.read_bytes() == first  # same results, same bytes
    assert read_comparison()["id"].tolist() == ["demo"]


def test_the_design_is_a_registry_code_by_default_the_headlines():
    assert _block()["design"] == "rct"
    with pytest.raises(InputError, match="design must be one of .*; got 'Essai randomisé'"):
        _block(design="Essai randomisé")


def test_missing_field_names_the_study_and_the_field(scratch_project):
    block = _block()
    del block["evidence"]
    write_estimates("demo", {"main": EFFECT}, comparison=block)
    with pytest.raises(
        SynthesisError,
        match=r"study 'demo' \(.*estimates.json\): comparison block lacks field 'evidence'",
    ):
        build_comparison()


def test_study_without_comparison_block_is_refused(scratch_project):
    write_estimates("demo", {"main": EFFECT})
    with pytest.raises(
        SynthesisError, match=r"study 'demo' \(.*\): results file has no 'comparison'"
    ):
        build_comparison()


def test_missing_results_file_is_named(scratch_project):
    with pytest.raises(SynthesisError, match="study 'demo': .*estimates.json does not exist"):
        build_comparison()


def test_report_without_scale_up_is_refused(scratch_project):
    write_estimates(
        "demo", {"main": EFFECT}, comparison=_block(cost_effectiveness=None, scale_up=None)
    )
    with pytest.raises(SynthesisError, match="study 'demo': field 'scale_up' is empty"):
        build_comparison()


def test_report_without_costs_is_refused_unless_it_declares_none(scratch_project):
    costed = scale_up_projection(
        EFFECT, target_population=1000, take_up=0.5, cost_per_beneficiary=500.0
    )
    write_estimates(
        "demo", {"main": EFFECT}, comparison=_block(cost_effectiveness=None, scale_up=costed)
    )
    with pytest.raises(SynthesisError, match="study 'demo': field 'cost_effectiveness' is empty"):
        build_comparison()
    # A rule rather than a programme: no cost per beneficiary, and the source says why.
    uncosted = scale_up_projection(
        EFFECT, target_population=1000, take_up=0.5, cost_per_beneficiary=None
    )
    write_estimates(
        "demo",
        {"main": EFFECT},
        comparison=_block(cost_effectiveness=None, scale_up=uncosted, cost_source="une règle"),
    )
    row = build_comparison().iloc[0]
    assert row["cost_per_beneficiary"] is None and row["scale_total_cost"] is None
    assert row["scale_total_effect"] == pytest.approx(1000.0)
    write_estimates(
        "demo",
        {"main": EFFECT},
        comparison=_block(cost_effectiveness=None, scale_up=uncosted, cost_source=None),
    )
    with pytest.raises(SynthesisError, match="cost_source saying why"):
        build_comparison()


def test_unknown_theme_is_refused():
    with pytest.raises(InputError, match="theme 'culture' is not one of"):
        _block(theme="culture")


def test_notes_without_block_are_left_out(scratch_project):
    (scratch_project / "params.yaml").write_text("studies: [demo]\nnotes: [note-x]\n")
    write_estimates("demo", {"main": EFFECT}, comparison=_block())
    write_estimates("note-x", {"pooled": EFFECT})
    assert build_comparison()["id"].tolist() == ["demo"]
    payload = json.loads((scratch_project / "results" / "note-x" / "estimates.json").read_text())
    assert "comparison" not in payload


# --- themes and the French overview of the comparison page ------------------------------------


def test_one_list_of_themes_gives_labels_and_captions():
    assert set(THEMES) == {"autonomie", "emploi", "territoires"}
    assert theme_label("emploi") == THEMES["emploi"] == "Inclusion dans l'emploi"
    assert theme_label("autonomie", in_sentence=True) == "prévention de la perte d'autonomie"
    # The captions of book/_toc.yml that the scaffold edits.
    assert reports_caption("territoires") == "Rapports : revitalisation des territoires"
    with pytest.raises(InputError, match="theme 'culture' is not one of autonomie, emploi"):
        theme_label("culture")


def _rows(scratch_project):
    """A costed report, a rule without cost (standardised as a relative change) and a note."""
    (scratch_project / "params.yaml").write_text("studies: [demo, regle]\nnotes: [note-x]\n")
    write_estimates("demo", {"main": EFFECT}, comparison=_block(simulated=True))
    uncosted = scale_up_projection(
        EFFECT, target_population=1000, take_up=0.5, cost_per_beneficiary=None
    )
    relative = standardised_effect(EFFECT, kind="relative", baseline=20.0)
    rule = _block(
        title="Une règle",
        theme="autonomie",
        standardised_effect=relative,
        cost_effectiveness=None,
        scale_up=uncosted,
        cost_source="une règle, sans coût",
    )
    write_estimates("regle", {"main": EFFECT}, comparison=rule)
    note = _block(
        title="Une note",
        standardised_effect=standardised_effect(EFFECT, kind="none"),
        cost_effectiveness=None,
        scale_up=None,
        cost_source=None,
    )
    write_estimates("note-x", {"pooled": EFFECT}, comparison=note)
    return build_comparison()


def test_overview_prints_each_evaluation_in_french(scratch_project):
    overview = comparison_overview(_rows(scratch_project))
    assert tuple(overview.columns[:5]) == OVERVIEW_COLUMNS[:5]
    # The simulated study is an illustration: not among the evaluations. Sorted by theme.
    assert overview["Innovation"].tolist() == ["Une note", "Une règle"]
    assert overview.iloc[0]["Effet standardisé [IC]"].text == "non standardisable"
    rule = overview.iloc[1]
    assert rule["Thème"] == "Prévention de la perte d'autonomie"
    assert rule["Effet standardisé [IC]"].text == "10\u202f%"
    assert rule["Effet standardisé [IC]"].detail == "[5 ; 15]\u202f%"
    assert rule["Coût par participant (€)"].text == "\u2014"  # no benefit-cost yet


def test_reasons_of_each_level_as_markdown(scratch_project):
    table = _rows(scratch_project)
    text = evidence_reasons_markdown(table)
    grade = grade_evidence(design="rct", risk_of_bias="low", estimate=EFFECT)
    # By theme code (autonomie first), then title; the illustration has no level to explain.
    assert text.startswith(f"**Une règle** : niveau de preuve *{grade.label}*\n- ")
    assert text.count(f"- {grade.reasons[0]}") == 2
    assert "Étude test" not in text
