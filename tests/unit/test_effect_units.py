"""The unit of a report's headline and the conversion of its effect, in the comparison block.

The block says in which unit the headline is (``effect_unit``) and whether the
cost-effectiveness holds it as is or converted to the money of the costs (``conversion``);
the appraisal writes both, and the readers (the comparison, the briefs) check and print
them without guessing from the numbers.
"""

from __future__ import annotations

import copy
import json

import pytest

from impactlib.appraisal import (
    SynthesisError,
    comparison_row,
)
from impactlib.appraisal.comparison import check_units
from impactlib.appraisal.money import Money
from impactlib.core import InputError
from impactlib.project import build_comparison, write_estimates
from impactlib.publish import pdf
from support.appraisals import appraise_effect, book_basis, effect
from support.briefs import BLOCK, NNBSP, flat, make_project, write_results

EFFECT = effect()
# An outcome in money: earnings in dollars of 1978, counted in euros of the base year.
EARNINGS = {
    "monetised_by": "revenu_activite",
    "outcome_currency": "USD",
    "outcome_price_year": 1978,
}


@pytest.fixture(scope="module")
def basis():
    return book_basis()


def _appraise(**overrides):
    return appraise_effect(EFFECT, **overrides)


def _block(appraisal):
    return appraisal.comparison(
        title="t", theme="emploi", innovation="i", outcome="o", cost_source="source2000"
    )


def _converted(basis, **overrides):
    arguments = dict(
        money=basis,
        currency="USD",
        cost_price_year=1976,
        cost_is_published=True,
        monetisation=EARNINGS,
        effect_unit="euros de 2017 de revenu annuel",
        headline_unit="dollars de 1978 de revenu annuel",
    )
    return _appraise(**(arguments | overrides))


# --- The writer: the appraisal's block --------------------------------------------------------


def test_a_converted_effect_records_its_own_unit_and_the_conversion(basis):
    block = _block(_converted(basis))
    factor = basis.convert(Money(1.0, "USD", 1978)).result.amount
    assert block["effect_unit"] == "dollars de 1978 de revenu annuel"
    conversion = block["conversion"]
    assert conversion["factor"] == pytest.approx(factor, rel=1e-12)
    assert (conversion["from_currency"], conversion["from_year"]) == ("USD", 1978)
    assert (conversion["to_currency"], conversion["to_year"]) == ("EUR", 2017)
    assert conversion["unit"] == "euros de 2017 de revenu annuel"
    assert "USD de 1978" in conversion["reason"] and "EUR de 2017" in conversion["reason"]
    # The cost-effectiveness holds the headline times the factor, in the converted unit.
    assert block["cost_effectiveness"]["effect"] == pytest.approx(2.0 * factor, rel=1e-12)
    assert block["cost_effectiveness"]["effect_unit"] == conversion["unit"]
    assert block["headline"]["value"] == 2.0  # the headline itself is never converted
    row = comparison_row("demo", "study", block)
    assert row["effect_unit"] == block["effect_unit"] and row["conversion"] == conversion


def test_a_converted_effect_needs_the_unit_of_the_headline(basis):
    with pytest.raises(InputError, match="headline_unit is missing.*converted"):
        _converted(basis, headline_unit=None)


def test_an_effect_taken_as_is_has_no_conversion():
    block = _block(_appraise())
    assert block["effect_unit"] == "points" and block["conversion"] is None
    assert _block(_appraise(headline_unit="points"))["effect_unit"] == "points"
    with pytest.raises(InputError, match="headline_unit 'euros' differs from effect_unit"):
        _appraise(headline_unit="euros")


def test_a_diagnostic_records_the_unit_of_its_measure():
    block = _block(_appraise(study_kind="diagnostic"))
    assert block["effect_unit"] == "points" and block["conversion"] is None


# --- The readers: the comparison -------------------------------------------------------------


@pytest.mark.parametrize("field", ["effect_unit", "conversion"])
def test_the_comparison_refuses_a_block_without_the_field(scratch_project, field):
    block = _block(_appraise())
    del block[field]
    write_estimates("demo", {"main": EFFECT}, comparison=block)
    with pytest.raises(
        SynthesisError,
        match=rf"study 'demo' \(.*estimates\.json\): comparison block lacks field '{field}'",
    ):
        build_comparison()


def test_the_comparison_carries_a_converted_effect(scratch_project, basis):
    block = _block(_converted(basis))
    write_estimates("demo", {"main": EFFECT}, comparison=block)
    row = build_comparison().iloc[0]
    assert row["effect"] == 2.0 and row["effect_unit"] == "dollars de 1978 de revenu annuel"
    assert row["conversion"]["unit"] == "euros de 2017 de revenu annuel"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"effect_unit": " "}, r"field 'effect_unit' must be non-empty text"),
        ({"conversion": "x"}, r"field 'conversion' must be null or a mapping"),
        ({"conversion": {"factor": 2.0}}, r"field 'conversion' lacks the field\(s\) from_curr"),
    ],
)
def test_malformed_units_are_refused_by_field(basis, change, message):
    block = _block(_converted(basis)) | change
    with pytest.raises(SynthesisError, match=rf"here: {message}"):
        check_units(block, where="here")


def test_a_conversion_must_carry_the_headline_to_the_cost_effectiveness(basis):
    converted = _block(_converted(basis))
    wrong = copy.deepcopy(converted)
    wrong["conversion"]["factor"] *= 2
    with pytest.raises(SynthesisError, match="is not the headline 2.0 converted .*the factor"):
        check_units(wrong, where="here")
    silent = converted | {"conversion": None}  # a converted effect that does not say so
    with pytest.raises(SynthesisError, match=r"converted as field 'conversion' says \(no conv"):
        check_units(silent, where="here")
    year = copy.deepcopy(converted)
    year["conversion"]["from_year"] = "1978"
    with pytest.raises(SynthesisError, match=r"conversion'\.from_year must be an integer year"):
        check_units(year, where="here")
    unit = copy.deepcopy(converted)
    unit["conversion"]["unit"] = "francs"
    with pytest.raises(SynthesisError, match="effect_unit 'euros de 2017.*conversion.unit"):
        check_units(unit, where="here")


# --- The readers: the brief ------------------------------------------------------------------


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("IMPACT_ROOT", str(tmp_path))
    return make_project(tmp_path)


def _effect_row(project, block):
    write_results(project, block)
    row = pdf.brief_data("demo", project)["key_rows"][2]
    assert row["label"] == "Effet estimé"
    return flat(row["value"]), flat(row["detail"])


def test_the_brief_prints_the_headline_in_its_unit_without_conversion(project):
    value, detail = _effect_row(project, copy.deepcopy(BLOCK))
    assert value.startswith(flat(f"1{NNBSP}794 dollars de revenu annuel, IC"))
    assert "Soit" not in detail


def test_the_brief_prints_a_converted_effect_below_the_headline(project):
    block = copy.deepcopy(BLOCK)
    block["effect_unit"] = "dollars de 1978 de revenu annuel"
    block["conversion"] = {
        "factor": 5971.46 / 1794.342,
        "from_currency": "USD",
        "from_year": 1978,
        "to_currency": "EUR",
        "to_year": 2017,
        "price_index_from": None,
        "price_index_to": None,
        "exchange_rate": None,
        "unit": "euros de 2017 de revenu annuel",
        "reason": "raison",
    }
    block["cost_effectiveness"].update(
        effect=5971.46,
        effect_ci_low=1582.8,
        effect_ci_high=10360.12,
        effect_unit="euros de 2017 de revenu annuel",
    )
    value, detail = _effect_row(project, block)
    assert value.startswith(flat(f"1{NNBSP}794 dollars de 1978 de revenu annuel, IC"))
    assert "euros" not in value
    assert flat(f"Soit 5{NNBSP}971 euros de 2017 de revenu annuel [1{NNBSP}583 ;") in detail


@pytest.mark.parametrize("field", ["effect_unit", "conversion"])
def test_the_brief_refuses_a_block_without_the_field(project, field):
    block = copy.deepcopy(BLOCK)
    del block[field]
    write_results(project, block)
    path = project / "results" / "demo" / "estimates.json"
    with pytest.raises(InputError, match=rf"brief 'demo': {path}: .*lacks field '{field}'"):
        pdf.brief_data("demo", project)
    assert json.loads(path.read_text())["comparison"]["title"]  # the file itself is intact
