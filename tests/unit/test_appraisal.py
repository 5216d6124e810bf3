"""The shared appraisal of a report: the same numbers as economics, evidence and synthesis."""

from __future__ import annotations

import json

import pytest

from impactlib.appraisal import appraisal as appraisal_module
from impactlib.appraisal import (
    appraise,
    benefit_cost,
    cost_effectiveness,
    grade_evidence,
    scale_up_projection,
    standardised_effect,
)
from impactlib.core import Estimate, InputError

EFFECT = Estimate(
    value=2.0,
    std_error=0.5,
    ci_low=1.02,
    ci_high=2.98,
    p_value=0.0001,
    n=400,
    method="test",
    outcome="y",
    design="rct",
)
NULL_EFFECT = Estimate(
    value=0.2, std_error=0.5, ci_low=-0.78, ci_high=1.18, p_value=0.69, n=400,
    method="test", outcome="y", design="rct",
)  # fmt: skip


def _appraise(effect=EFFECT, **overrides):
    arguments = dict(
        standardised=standardised_effect(effect, kind="smd", sd=10.0),
        grade=grade_evidence(design="rct", risk_of_bias="low", estimate=effect),
        cost_per_beneficiary=500.0,
        target_population=1000,
        take_up=[0.4, 0.6],
        attenuation=0.8,
        seed=7,
        effect_unit="points",
    )
    arguments.update(overrides)
    return appraise(effect, **arguments)


def test_matches_the_economics_functions_called_directly():
    result = _appraise()
    assert result.efficiency == cost_effectiveness(EFFECT, 500.0, effect_unit="points")
    assert result.projection == scale_up_projection(
        EFFECT,
        target_population=1000,
        take_up=(0.4, 0.6),
        cost_per_beneficiary=500.0,
        attenuation=0.8,
        effect_unit="points",
        seed=7,
    )


def test_same_seed_same_projection_and_other_seed_other_draws():
    assert _appraise().projection == _appraise().projection
    assert _appraise(seed=8).projection.total_effect_ci_low != (
        _appraise().projection.total_effect_ci_low
    )


def test_comparison_block_carries_every_part():
    block = _appraise().comparison(
        title="Étude",
        theme="autonomie",
        innovation="innovation",
        outcome="y",
        cost_source="hypothèse de travail",
        simulated=True,
    )
    assert block["simulated"] is True
    assert block["headline"]["value"] == 2.0
    assert block["cost_per_beneficiary"] == 500.0
    assert block["scale_up"]["beneficiaries"] == pytest.approx(500.0)
    # Simulated data make an illustration: no level of evidence in the comparison.
    assert block["study_kind"] == "illustration" and block["evidence"]["level"] is None
    real = _appraise().comparison(
        title="Étude", theme="autonomie", innovation="i", outcome="y", cost_source="x"
    )
    assert real["evidence"]["label"] == _appraise().grade.label


def test_reasons_are_a_bullet_list_of_the_grade_reasons():
    result = _appraise()
    lines = result.reasons_markdown().splitlines()
    assert lines == [f"- {reason}" for reason in result.grade.reasons]


def test_glue_names_and_not_defined_cost_per_unit(monkeypatch):
    glued = {}
    monkeypatch.setattr(appraisal_module.report, "glue", glued.__setitem__)
    _appraise().glue()
    assert glued["cost"] == "500"
    assert glued["take_up_low"] == "40\u202f%"
    assert glued["cost_per_unit"] != "non défini"
    glued.clear()
    _appraise(NULL_EFFECT).glue()
    # The interval of the effect includes zero: no cost per unit, and the reason is printed.
    assert glued["cost_per_unit"] == "non défini"
    assert glued["cost_per_unit_ci"] == cost_effectiveness(NULL_EFFECT, 500.0).cost_per_unit_reason


def test_refuses_a_take_up_that_is_not_a_range():
    with pytest.raises(InputError, match="take_up"):
        _appraise(take_up=[0.4])


def test_rate_per_projects_events_not_summed_rates():
    # An effect of 2 deaths per 100 000 children, projected on 1 000 x 0.5 children:
    # 0.01 deaths, not 1 000 "deaths per 100 000".
    result = _appraise(rate_per=100_000, projection_unit="décès", take_up=[0.5, 0.5])
    assert result.projection.total_effect == pytest.approx(1000 * 0.5 * 0.8 * 2.0 / 100_000)
    assert result.projection.effect_unit == "décès"
    assert result.efficiency == _appraise().efficiency  # in the outcome's own unit
    with pytest.raises(InputError, match="rate_per"):
        _appraise(rate_per=0)


def test_every_result_of_the_appraisal_has_to_dict_and_summary():
    result = _appraise()
    bc = benefit_cost(100.0, upfront_cost=150.0, discount_rate=0.03, horizon_years=2)
    parts = [
        result,
        result.standardised,
        result.grade,
        result.efficiency,
        result.projection,
        bc,
    ]
    for part in parts:
        data = part.to_dict()
        assert json.loads(json.dumps(data)) == data, type(part).__name__
        assert isinstance(part.summary(), str) and part.summary(), type(part).__name__
    data = result.to_dict()
    assert data["projection"]["n_resamples"] == 10_000 and "n_draws" not in data["projection"]
    assert data["take_up"] == [0.4, 0.6] and data["efficiency"] == result.efficiency.to_dict()
    summary = result.summary()
    for part in parts[1:5]:
        assert part.summary() in summary
    assert "10000 Monte Carlo draws, seed 7" in result.projection.summary()


def test_summary_of_a_standardised_effect_says_why_it_is_not_defined():
    text = standardised_effect(EFFECT, kind="smd", sd=10.0).summary()
    assert "0.2000   95% interval [0.1020, 0.2980]" in text
    none = standardised_effect(EFFECT, kind="none", reason="Un indice composite.")
    assert none.summary().endswith("not defined: Un indice composite.")


def test_without_cost_the_summary_and_dict_say_so():
    result = _appraise(cost_per_beneficiary=None)
    assert result.to_dict()["efficiency"] is None
    assert "Cost-effectiveness: not applicable" in result.summary()


def test_refuses_a_take_up_that_is_not_two_numbers():
    with pytest.raises(InputError, match="take_up must give a low and a high share, got 0.4"):
        _appraise(take_up=0.4)
    with pytest.raises(InputError, match="take_up must be a number, got str"):
        _appraise(take_up=["0.4", 0.6])
    with pytest.raises(InputError, match=r"rate_per must be > 0, got -1"):
        _appraise(rate_per=-1)
