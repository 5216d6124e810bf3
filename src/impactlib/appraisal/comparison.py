"""The comparison of impacts: one row per report and note, built from results files only.

A study notebook ends by writing a ``comparison`` block into its
``results/<id>/estimates.json`` with :func:`comparison_block`; ``impact synthesis`` (the
DVC ``synthesis`` stage) reads every declared study and note
(:func:`impactlib.project.comparison.build_comparison`), checks each block with
:func:`comparison_row` and writes ``comparison/comparison.json``, which the "Comparer les
impacts" page reads. A study whose block lacks a field is refused with a message naming
the study and the field.

The block says in which unit its headline is (``effect_unit``, the outcome's own unit) and
whether the cost-effectiveness and the scale-up hold the headline as is or converted to
other money (``conversion``: ``None``, or the factor, the two currencies and price years,
the converted unit and the reason, :func:`effect_conversion`); every reader (the
comparison, the briefs, the open data) prints these fields and checks them with
:func:`check_units`, never guesses them from the numbers.

Kinds of study (:data:`STUDY_KINDS`): an *evaluation* measures what an innovation does; a
*diagnostic* measures a problem (a hiring-discrimination test): it has no cost, scale-up or
benefit–cost, and the comparison lists it in a section of its own; an *illustration* runs
on simulated data: it teaches a method, it is not evidence, so it carries no level of
evidence (:data:`ILLUSTRATION_REASON`) and the comparison lists it apart from real results.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from impactlib.appraisal.costs import CostEffectiveness
from impactlib.appraisal.grading import EvidenceGrade
from impactlib.appraisal.scale_up import ScaleUpProjection
from impactlib.appraisal.standardised import StandardisedEffect
from impactlib.core.designs import get_design
from impactlib.core.estimate import Estimate
from impactlib.core.validation import InputError, is_real

#: The themes of the book, by code, with the French label the comparison prints. The one
#: list of themes: the scaffold (``impact new-study --theme``), the comparison, the briefs
#: and the book's table of contents (:func:`reports_caption`) all read it.
THEMES = {
    "autonomie": "Prévention de la perte d'autonomie",
    "emploi": "Inclusion dans l'emploi",
    "territoires": "Revitalisation des territoires",
}
#: The caption of the part of the book's table of contents that holds a theme's reports.
REPORTS_CAPTION = "Rapports : {theme}"
REQUIRED_FIELDS = (
    "title",
    "theme",
    "innovation",
    "design",
    "outcome",
    "headline",
    "effect_unit",
    "conversion",
    "standardised_effect",
    "cost_per_beneficiary",
    "cost_effectiveness",
    "cost_source",
    "evidence",
    "scale_up",
)

#: What a study is: it evaluates an innovation, diagnoses a problem, or illustrates a method
#: on simulated data.
STUDY_KINDS = ("evaluation", "diagnostic", "illustration")
#: The one reason an illustration has no level of evidence.
ILLUSTRATION_REASON = "Illustration sur données simulées : pas de niveau de preuve"
#: The label an illustration's evidence carries instead of a GRADE level.
NO_LEVEL_LABEL = "aucun (données simulées)"
#: The fields of a benefit–cost mapping (computed by the report's appraisal), and those that
#: may be null (no finite ratio when costs are nil; no break-even cost once costs are known).
BENEFIT_COST_FIELDS = (
    "currency",
    "price_year",
    "cost_per_participant",
    "pv_benefits",
    "pv_costs",
    "npv",
    "bcr",
    "prob_positive",
    "discount_rate",
    "cost_source",
    "break_even_cost",
    "monetised_by",
)
_NULLABLE_MONEY = ("bcr", "break_even_cost", "cost_per_participant")
#: What exists only with a cost: null when the analysis stops at the break-even cost.
_COST_BASED = ("pv_costs", "npv")
_MONEY_NUMBERS = ("pv_benefits", *_COST_BASED, "discount_rate", *_NULLABLE_MONEY)
#: The book's currency: every money figure of the comparison is in euros of one base year.
BOOK_CURRENCY = "EUR"
#: The fields of a block's ``conversion`` (:func:`effect_conversion`).
CONVERSION_FIELDS = (
    "factor",
    "from_currency",
    "from_year",
    "to_currency",
    "to_year",
    "price_index_from",
    "price_index_to",
    "exchange_rate",
    "unit",
    "reason",
)


class SynthesisError(InputError):
    """A results file cannot enter the comparison; the message names the study and field."""


def comparison_block(
    *,
    title: str,
    theme: str,
    innovation: str,
    outcome: str,
    headline: Estimate,
    standardised_effect: StandardisedEffect,
    evidence: EvidenceGrade,
    cost_effectiveness: CostEffectiveness | None,
    scale_up: ScaleUpProjection | None,
    cost_source: str | None,
    simulated: bool = False,
    effect_unit: str,
    conversion: Mapping[str, Any] | None = None,
    design: str | None = None,
    study_kind: str = "evaluation",
    benefit_cost: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """What a study contributes to the comparison of impacts.

    ``effect_unit`` is the unit of the headline as measured (French, as the report prints
    it: ``"dollars de 1978 de revenu annuel"``). ``conversion`` is ``None`` when the
    cost-effectiveness and the scale-up hold the headline as is, else what converted it
    (:func:`effect_conversion`: an effect in dollars of 1978 counted in euros of the base
    year); both are checked by :func:`check_units`.

    ``study_kind`` is one of :data:`STUDY_KINDS`; a study on simulated data
    (``simulated=True``) is an illustration whatever the kind given, and its block carries
    no level of evidence (``evidence["level"]`` is ``None``, with
    :data:`ILLUSTRATION_REASON`). ``benefit_cost`` is the report's benefit–cost analysis
    as plain JSON values (:data:`BENEFIT_COST_FIELDS`: euros of ``price_year``, present
    values per participant, net present value, ratio, probability that benefits exceed
    costs...), checked by :func:`check_benefit_cost`; ``None`` when the report has none.

    ``design`` is a code of the design registry, by default the headline's own
    (``headline.design``); the comparison prints its French label.

    ``cost_effectiveness`` and ``scale_up`` may be ``None`` only for literature notes,
    which have no cost data; a report must give both (checked by :func:`comparison_row`).
    ``cost_source`` says where the cost comes from (a citation, or that it is a working
    hypothesis), and the comparison prints it beside the cost.
    """
    theme_label(theme)  # refuses an unknown theme
    design = get_design(headline.design if design is None else design).code
    kind = _study_kind(study_kind, simulated=bool(simulated), where="comparison_block")
    money = None if benefit_cost is None else check_benefit_cost(benefit_cost)
    grade = evidence.to_dict()
    block = {
        "title": title,
        "theme": theme,
        "innovation": innovation,
        "design": design,
        "outcome": outcome,
        "simulated": bool(simulated),
        "headline": headline.to_dict(),
        "effect_unit": effect_unit,
        "conversion": None if conversion is None else dict(conversion),
        "standardised_effect": standardised_effect.to_dict(),
        "cost_per_beneficiary": (
            cost_effectiveness.cost_per_beneficiary if cost_effectiveness else None
        ),
        "cost_effectiveness": cost_effectiveness.to_dict() if cost_effectiveness else None,
        "cost_source": cost_source,
        "evidence": _no_level(grade) if kind == "illustration" else grade,
        "scale_up": scale_up.to_dict() if scale_up else None,
        "study_kind": kind,
        "benefit_cost": money,
    }
    check_units(block, where="comparison_block")
    return block


def effect_conversion(conversion: Mapping[str, Any], *, unit: str) -> dict[str, Any]:
    """The ``conversion`` of a block, from the ``to_dict()`` of the conversion of one unit of
    the outcome's money (:class:`impactlib.appraisal.prices.Conversion`) and the unit the
    converted effect is in (``"euros de 2017 de revenu annuel"``), with the reason in French.
    """
    record = {name: conversion.get(name) for name in CONVERSION_FIELDS[:-2]}
    record["unit"] = unit
    record["reason"] = (
        f"l'effet est un montant en {record['from_currency']} de {record['from_year']} ; "
        f"l'efficience et le passage à l'échelle le comptent en {record['to_currency']} de "
        f"{record['to_year']}, la monnaie des coûts (indice des prix à la consommation, puis "
        "taux de change)"
    )
    return record


def check_units(block: Mapping[str, Any], *, where: str) -> None:
    """Check the block's ``effect_unit`` and ``conversion`` (errors name ``where``, the field).

    ``effect_unit`` is non-empty text; ``conversion`` is ``None`` or a mapping of
    :data:`CONVERSION_FIELDS` (a positive finite factor, currencies and unit as text,
    integer years). The cost-effectiveness must agree: its effect is the headline's, times
    the factor when converted, and its unit is ``effect_unit``, or the conversion's unit.
    """
    for name in ("effect_unit", "conversion"):
        if name not in block:
            raise SynthesisError(f"{where}: comparison block lacks field {name!r}")
    unit = block["effect_unit"]
    if not isinstance(unit, str) or not unit.strip():
        raise SynthesisError(f"{where}: field 'effect_unit' must be non-empty text, got {unit!r}")
    conversion = block["conversion"]
    factor = 1.0
    if conversion is not None:
        factor, unit = _check_conversion(conversion, where=f"{where}: field 'conversion'")
    cea, headline = block.get("cost_effectiveness"), block.get("headline")
    if not cea or not isinstance(headline, Mapping):
        return
    expected = headline.get("value")
    if is_real(expected) and is_real(cea.get("effect")):
        if not math.isclose(float(cea["effect"]), float(expected) * factor, rel_tol=1e-8):
            said = f"the factor {factor!r}" if conversion else "no conversion"
            raise SynthesisError(
                f"{where}: cost_effectiveness.effect {cea['effect']!r} is not the headline "
                f"{expected!r} converted as field 'conversion' says ({said})"
            )
    if cea.get("effect_unit") != unit:
        name = "conversion.unit" if conversion else "effect_unit"
        raise SynthesisError(
            f"{where}: cost_effectiveness.effect_unit {cea.get('effect_unit')!r} differs from "
            f"field {name!r} ({unit!r})"
        )


def _check_conversion(value: Any, *, where: str) -> tuple[float, str]:
    """The factor and unit of a block's ``conversion``, checked field by field."""
    if not isinstance(value, Mapping):
        raise SynthesisError(f"{where} must be null or a mapping, got {value!r}")
    missing = [name for name in CONVERSION_FIELDS if name not in value]
    if missing:
        raise SynthesisError(f"{where} lacks the field(s) {', '.join(missing)}")
    factor = value["factor"]
    if not is_real(factor) or not math.isfinite(float(factor)) or float(factor) <= 0:
        raise SynthesisError(f"{where}.factor must be a positive finite number, got {factor!r}")
    for name in ("from_currency", "to_currency", "unit", "reason"):
        if not isinstance(value[name], str) or not value[name].strip():
            raise SynthesisError(f"{where}.{name} must be non-empty text, got {value[name]!r}")
    for name in ("from_year", "to_year"):
        year = value[name]
        if isinstance(year, bool) or not isinstance(year, int):
            raise SynthesisError(f"{where}.{name} must be an integer year, got {year!r}")
    return float(factor), value["unit"]


def _study_kind(value: object, *, simulated: bool, where: str) -> str:
    """The kind of a study; simulated data make an illustration."""
    if value not in STUDY_KINDS:
        raise SynthesisError(f"{where}: study_kind must be one of {STUDY_KINDS}, got {value!r}")
    return "illustration" if simulated else str(value)


def _no_level(grade: Mapping[str, Any]) -> dict[str, Any]:
    """An evidence block without a level: what an illustration carries."""
    return {**grade, "level": None, "label": NO_LEVEL_LABEL, "reasons": [ILLUSTRATION_REASON]}


def check_benefit_cost(value: Any, *, where: str = "benefit_cost") -> dict[str, Any]:
    """A benefit–cost mapping checked field by field, as a plain dict.

    Every field of :data:`BENEFIT_COST_FIELDS` must be present (more are kept); money is in
    euros (``currency`` ``"EUR"``) of ``price_year`` (an integer year); the amounts are
    finite numbers (``bcr``, ``break_even_cost`` and ``cost_per_participant`` may be
    null); ``prob_positive`` is a probability in [0, 1]; ``cost_source`` and
    ``monetised_by`` are text or null. Errors name ``where`` and the field.
    """
    if not isinstance(value, Mapping):
        raise SynthesisError(f"{where} must be a mapping, got {type(value).__name__}")
    missing = [name for name in BENEFIT_COST_FIELDS if name not in value]
    if missing:
        raise SynthesisError(f"{where} lacks the field(s) {', '.join(missing)}")
    if value["currency"] != BOOK_CURRENCY:
        raise SynthesisError(
            f"{where}.currency must be {BOOK_CURRENCY!r} (the book's base currency), "
            f"got {value['currency']!r}"
        )
    year = value["price_year"]
    if isinstance(year, bool) or not isinstance(year, int):
        raise SynthesisError(f"{where}.price_year must be an integer year, got {year!r}")
    # Without a published cost the analysis stops at the break-even cost (net_benefit): the
    # present value of costs, the net value, the ratio and the probability are then null.
    break_even = value["break_even_cost"] is not None
    for name in _MONEY_NUMBERS:
        number = value[name]
        if number is None and (name in _NULLABLE_MONEY or (break_even and name in _COST_BASED)):
            continue
        if not is_real(number) or not math.isfinite(float(number)):
            raise SynthesisError(f"{where}.{name} must be a finite number, got {number!r}")
    if break_even:
        stray = [name for name in (*_COST_BASED, "bcr", "prob_positive") if value[name] is not None]
        if stray:
            raise SynthesisError(
                f"{where} gives a break_even_cost (no published cost) and also "
                f"{', '.join(stray)}, which need a cost"
            )
        return dict(value)
    prob = value["prob_positive"]
    if not is_real(prob) or not 0 <= float(prob) <= 1:
        raise SynthesisError(f"{where}.prob_positive must be a probability in [0, 1], got {prob!r}")
    for name in ("cost_source", "monetised_by"):
        if value[name] is not None and not isinstance(value[name], str):
            raise SynthesisError(f"{where}.{name} must be text or null, got {value[name]!r}")
    return dict(value)


def theme_label(code: str, *, in_sentence: bool = False) -> str:
    """The French label of a theme; ``in_sentence`` starts it with a small letter.

    Examples
    --------
    >>> theme_label("emploi"), theme_label("emploi", in_sentence=True)
    ("Inclusion dans l'emploi", "inclusion dans l'emploi")
    """
    if code not in THEMES:
        raise InputError(f"theme {code!r} is not one of {', '.join(THEMES)}")
    label = THEMES[code]
    return label[0].lower() + label[1:] if in_sentence else label


def reports_caption(code: str) -> str:
    """The caption of a theme's reports in the book (``"Rapports : inclusion dans l'emploi"``)."""
    return REPORTS_CAPTION.format(theme=theme_label(code, in_sentence=True))


def design_label(code: str, kind: str = "study") -> str:
    """The French label of a design as the comparison prints it (a note pools studies)."""
    label = get_design(code).label
    if kind == "note":
        return f"Méta-analyse ({label})"
    return label[0].upper() + label[1:]


def comparison_row(study: str, kind: str, block: Any, *, path: Any = None) -> dict[str, Any]:
    """One row of the comparison from a results file's block, checked field by field.

    ``path``, the results file, is named in the errors when given.
    """
    where = f"{kind} {study!r}" if path is None else f"{kind} {study!r} ({path})"
    if not isinstance(block, dict):
        raise SynthesisError(f"{where}: results file has no 'comparison' block")
    for field in REQUIRED_FIELDS:
        if field not in block:
            raise SynthesisError(f"{where}: comparison block lacks field {field!r}")
    check_units(block, where=where)
    simulated = bool(block.get("simulated", False))
    study_kind = _study_kind(
        block.get("study_kind", "evaluation"), simulated=simulated, where=f"{kind} {study!r}"
    )
    money = block.get("benefit_cost")
    if money is not None:
        money = check_benefit_cost(money, where=f"{kind} {study!r}: benefit_cost")
    if kind == "study" and study_kind != "diagnostic":
        scale_up = block["scale_up"]
        if scale_up is None:
            raise SynthesisError(
                f"study {study!r}: field 'scale_up' is empty (reports must give a scale-up "
                "projection)"
            )
        # A report without costs is accepted only when it says there are none: a rule
        # rather than a financed programme (its projection has no cost per beneficiary)
        # and a cost_source that explains why.
        no_cost = scale_up.get("cost_per_beneficiary") is None
        if block["cost_effectiveness"] is None and not (no_cost and block["cost_source"]):
            raise SynthesisError(
                f"study {study!r}: field 'cost_effectiveness' is empty (reports must give "
                "costs, or declare cost_per_beneficiary None with a cost_source saying why)"
            )
    if block["theme"] not in THEMES:
        raise SynthesisError(f"{kind} {study!r}: unknown theme {block['theme']!r}")
    headline, std = block["headline"], block["standardised_effect"]
    grade, cea, scale = block["evidence"], block["cost_effectiveness"], block["scale_up"]
    if study_kind == "illustration":
        grade = _no_level(grade)
    return {
        "id": study,
        "kind": kind,
        "title": block["title"],
        "theme": block["theme"],
        "theme_label": THEMES[block["theme"]],
        "innovation": block["innovation"],
        "design": block["design"],
        "design_label": design_label(block["design"], kind),
        "outcome": block["outcome"],
        "simulated": simulated,
        "study_kind": study_kind,
        "effect": headline["value"],
        "effect_ci_low": headline["ci_low"],
        "effect_ci_high": headline["ci_high"],
        "effect_unit": block["effect_unit"],
        "conversion": block["conversion"],
        "std_kind": std["kind"],
        "std_label": std["label"],
        "std_effect": std["value"],
        "std_ci_low": std["ci_low"],
        "std_ci_high": std["ci_high"],
        "std_reason": std["reason"],
        "std_note": std.get("note"),
        "cost_per_beneficiary": block["cost_per_beneficiary"],
        "currency": cea["currency"] if cea else None,
        "cost_source": block["cost_source"],
        "impact_per_1000": cea["impact_per_1000"] if cea else None,
        "cost_per_unit": cea["cost_per_unit"] if cea else None,
        "cost_per_unit_reason": cea["cost_per_unit_reason"] if cea else None,
        # The beneficial direction, so that a fall in mortality reads as a gain.
        "higher_is_better": (cea or scale or {}).get("higher_is_better", True),
        "evidence_level": grade["level"],
        "evidence_label": grade["label"],
        "evidence_reasons": list(grade["reasons"]),
        "scale_beneficiaries": scale["beneficiaries"] if scale else None,
        "scale_total_cost": scale["total_cost"] if scale else None,
        "scale_total_effect": scale["total_effect"] if scale else None,
        "scale_total_effect_ci_low": scale["total_effect_ci_low"] if scale else None,
        "scale_total_effect_ci_high": scale["total_effect_ci_high"] if scale else None,
        "benefit_cost": money,
    }
