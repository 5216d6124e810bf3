"""What a report says after its estimate: comparable effects, level of evidence, economics,
the appraisal of a report and the comparison of impacts (its blocks, its rows, the themes
and the French overview of the comparison page).

Economics answer what a decision maker asks after an impact evaluation: how much does one
unit of outcome cost, do the benefits outweigh the costs once discounted, and what would scaling the
innovation up to a whole population cost and yield. No well-kept Python library packages
these calculations (``numpy_financial`` covers the NPV only and is not a project
dependency); they are a few lines each, written here with numpy and tested against the
formulas written out by hand in ``tests/unit/test_economics.py``.

Conventions
-----------
- Money is in euros (``currency="EUR"``) unless a ``currency`` (ISO 4217 code) is given.
  A report's money carries its currency and price year (:class:`Money`) and is converted
  to euros of the book's base year by :mod:`impactlib.appraisal.prices` (price indices,
  then ECB exchange rates), which records every factor; no function mixes two currencies
  or years silently.
- An effect is measured *per beneficiary*, in the units of its outcome, and the cost per
  beneficiary must refer to the same people: with an intention-to-treat effect, the cost
  per person *offered* the innovation; with an effect on participants, the cost per
  participant.
- ``higher_is_better`` gives the beneficial direction of the outcome (``False`` for, say,
  days in hospital or the months of unemployment). Costs per unit of outcome are costs per
  unit of *improvement* and are only defined when the improvement is established.
- Sentences meant for the book (``*_reason`` fields) are in French; error messages are in
  English and name the parameter at fault.
"""

from impactlib.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "Appraisal": ".appraisal",
        "DIAGNOSTIC_REASON": ".appraisal",
        "ILLUSTRATION_GRADE": ".appraisal",
        "STUDY_KINDS": ".appraisal",
        "appraise": ".appraisal",
        "Money": ".money",
        "as_money": ".money",
        "require_price_year": ".money",
        "MoneyBasis": ".net_benefit",
        "NetBenefit": ".net_benefit",
        "money_basis": ".net_benefit",
        "benefit_cost_per_participant": ".net_benefit",
        "Conversion": ".prices",
        "PriceTables": ".prices",
        "ecb_annual_average": ".prices",
        "ecb_reference_rate": ".prices",
        "ReferenceValue": ".reference_values",
        "ReferenceValues": ".reference_values",
        "BenefitCost": ".benefit_cost",
        "benefit_cost": ".benefit_cost",
        "benefit_cost_ratio": ".benefit_cost",
        "net_present_value": ".benefit_cost",
        "REPORTS_CAPTION": ".comparison",
        "REQUIRED_FIELDS": ".comparison",
        "SynthesisError": ".comparison",
        "THEMES": ".comparison",
        "comparison_block": ".comparison",
        "comparison_row": ".comparison",
        "design_label": ".comparison",
        "reports_caption": ".comparison",
        "theme_label": ".comparison",
        "CostEffectiveness": ".costs",
        "NO_COST_REASON": ".costs",
        "cost_effectiveness": ".costs",
        "cost_per_beneficiary": ".costs",
        "I_SQUARED_THRESHOLD": ".grade_rules",
        "JUDGEMENTS": ".grade_rules",
        "LEVELS": ".grade_rules",
        "LEVEL_LABELS": ".grade_rules",
        "RISK_OF_BIAS": ".grade_rules",
        "UPGRADES": ".grade_rules",
        "EvidenceGrade": ".grading",
        "grade_evidence": ".grading",
        "DISCOUNT_RATE_RANGE": ".inputs",
        "OVERVIEW_COLUMNS": ".overview",
        "comparison_overview": ".overview",
        "evidence_reasons_markdown": ".overview",
        "MIN_RESAMPLES": ".scale_up",
        "ScaleUpProjection": ".scale_up",
        "scale_up_projection": ".scale_up",
        "DEFAULT_NONE_REASON": ".standardised",
        "KINDS": ".standardised",
        "MINUS": ".standardised",
        "NNBSP": ".standardised",
        "StandardisedEffect": ".standardised",
        "standardised_effect": ".standardised",
    },
)
