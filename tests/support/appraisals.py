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
