"""What the money tests share: the book's money basis on the real reference tables, a test
estimate, and an appraisal of it with working assumptions (test_money, test_effect_units)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from impactlib.appraisal import (
    MoneyBasis,
    appraise,
    grade_evidence,
    money_basis,
    standardised_effect,
)
from impactlib.core import Estimate

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference"


def book_basis() -> MoneyBasis:
    """Euros of 2017 at 3.2 % (1.2 % to 5.2 %), as params.yaml `appraisal` sets the book."""
    return money_basis(
        REFERENCE,
        currency="EUR",
        base_year=2017,
        discount_rate=0.032,
        discount_rate_range=(0.012, 0.052),
    )


def effect(value: float = 2.0, se: float = 0.5) -> Estimate:
    """A randomised trial's estimate with the interval value ± 1."""
    return Estimate(
        value=value,
        std_error=se,
        ci_low=value - 1,
        ci_high=value + 1,
        p_value=0.01,
        n=100,
        method="test",
        outcome="y",
        design="rct",
    )


def appraise_effect(estimate: Estimate | None = None, **overrides: Any):
    """``appraise`` of ``estimate`` (default :func:`effect`) with a 100-euro cost, a target
    of 1 000, take-up 40-60 %, attenuation 0.8; ``overrides`` replace any argument."""
    est = effect() if estimate is None else estimate
    arguments = dict(
        standardised=standardised_effect(est, kind="smd", sd=10.0),
        grade=grade_evidence(design="rct", risk_of_bias="low", estimate=est),
        cost_per_beneficiary=100.0,
        target_population=1000,
        take_up=(0.4, 0.6),
        attenuation=0.8,
        seed=1,
        effect_unit="points",
    )
    return appraise(est, **(arguments | overrides))


#: The estimate of the comparison tests (p = 0.001, n = 400).
BLOCK_EFFECT = Estimate(
    value=2.0,
    std_error=0.5,
    ci_low=1.0,
    ci_high=3.0,
    p_value=0.001,
    n=400,
    method="test",
    outcome="y",
    design="rct",
)


def comparison_block_of(**overrides: Any) -> dict[str, Any]:
    """A report's comparison block of :data:`BLOCK_EFFECT` with a 500-euro working cost;
    ``overrides`` replace any argument of ``comparison_block``."""
    from impactlib.appraisal import (
        comparison_block,
        cost_effectiveness,
        scale_up_projection,
    )

    est = BLOCK_EFFECT
    arguments = dict(
        title="Étude test",
        theme="emploi",
        innovation="innovation",
        outcome="y",
        headline=est,
        standardised_effect=standardised_effect(est, kind="smd", sd=4.0),
        evidence=grade_evidence(design="rct", risk_of_bias="low", estimate=est),
        cost_effectiveness=cost_effectiveness(est, 500.0),
        scale_up=scale_up_projection(
            est, target_population=1000, take_up=0.5, cost_per_beneficiary=500.0, seed=1
        ),
        cost_source="hypothèse de travail",
        effect_unit="unité de résultat",
    )
    return comparison_block(**(arguments | overrides))
