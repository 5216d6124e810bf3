"""The comparison of impacts: one row per report and note, built from results files only.

A study notebook ends by writing a ``comparison`` block into its
``results/<id>/estimates.json`` with :func:`comparison_block`; ``impact synthesis`` (the
DVC ``synthesis`` stage) reads every declared study and note
(:func:`impactlib.project.comparison.build_comparison`), checks each block with
:func:`comparison_row` and writes ``comparison/comparison.json``, which the "Comparer les
impacts" page reads. A study whose block lacks a field is refused with a message naming
the study and the field.
"""

from __future__ import annotations

from typing import Any

from impactlib.appraisal.costs import CostEffectiveness
from impactlib.appraisal.grading import EvidenceGrade
from impactlib.appraisal.scale_up import ScaleUpProjection
from impactlib.appraisal.standardised import StandardisedEffect
from impactlib.core.designs import get_design
from impactlib.core.estimate import Estimate
from impactlib.core.validation import InputError

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
    "standardised_effect",
    "cost_per_beneficiary",
    "cost_effectiveness",
    "cost_source",
    "evidence",
    "scale_up",
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
    design: str | None = None,
    study_kind: str = "evaluation",
    benefit_cost: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What a study contributes to the comparison of impacts.

    ``design`` is a code of the design registry, by default the headline's own
    (``headline.design``); the comparison prints its French label.

    ``cost_effectiveness`` and ``scale_up`` may be ``None`` only for literature notes,
    which have no cost data; a report must give both (checked by :func:`comparison_row`).
    ``cost_source`` says where the cost comes from (a citation, or that it is a working
    hypothesis), and the comparison prints it beside the cost.
    """
    theme_label(theme)  # refuses an unknown theme
    design = get_design(headline.design if design is None else design).code
    return {
        "title": title,
        "theme": theme,
        "innovation": innovation,
        "design": design,
        "outcome": outcome,
        "simulated": bool(simulated),
        "headline": headline.to_dict(),
        "standardised_effect": standardised_effect.to_dict(),
        "cost_per_beneficiary": (
            cost_effectiveness.cost_per_beneficiary if cost_effectiveness else None
        ),
        "cost_effectiveness": cost_effectiveness.to_dict() if cost_effectiveness else None,
        "cost_source": cost_source,
        "evidence": evidence.to_dict(),
        "scale_up": scale_up.to_dict() if scale_up else None,
        "study_kind": study_kind,
        "benefit_cost": benefit_cost,
    }


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


def comparison_row(study: str, kind: str, block: Any) -> dict[str, Any]:
    """One row of the comparison from a results file's block, checked field by field."""
    if not isinstance(block, dict):
        raise SynthesisError(f"{kind} {study!r}: results file has no 'comparison' block")
    for field in REQUIRED_FIELDS:
        if field not in block:
            raise SynthesisError(f"{kind} {study!r}: comparison block lacks field {field!r}")
    if kind == "study":
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
        "simulated": block.get("simulated", False),
        "effect": headline["value"],
        "effect_ci_low": headline["ci_low"],
        "effect_ci_high": headline["ci_high"],
        "std_kind": std["kind"],
        "std_label": std["label"],
        "std_effect": std["value"],
        "std_ci_low": std["ci_low"],
        "std_ci_high": std["ci_high"],
        "std_reason": std["reason"],
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
    }
