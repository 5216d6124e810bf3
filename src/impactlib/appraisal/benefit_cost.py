"""Benefit-cost analysis: discounted flows, net present value and benefit-cost ratio."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from impactlib.appraisal.inputs import (
    plain_dict,
    require_amount,
    require_currency,
    require_discount_rate,
)
from impactlib.core.validation import InputError, require_choice, require_integer, require_number


def _flows(values: object, *, name: str, horizon: int) -> np.ndarray:
    """A yearly flow: one number for every year, or one value per year of the horizon."""
    if isinstance(values, Sequence | np.ndarray) and not isinstance(values, str):
        items = list(values)
        if len(items) != horizon:
            raise InputError(
                f"{name} has {len(items)} value(s) but horizon_years is {horizon}: "
                "give one value per year, or a single number for every year"
            )
        labelled = [
            (f"{name}[{i}]", require_number(v, name=f"{name}[{i}]")) for i, v in enumerate(items)
        ]
    else:
        labelled = [(name, require_number(values, name=name))] * horizon
    for label, v in labelled:
        if v < 0:
            raise InputError(
                f"{label} must be >= 0, got {v!r}: record a disbenefit as a cost, "
                "and a saving as a benefit"
            )
    return np.asarray([v for _, v in labelled], dtype=float)


@dataclass(frozen=True)
class BenefitCost:
    """Present values of benefits and costs, their difference and their ratio.

    ``benefit_cost_ratio`` is ``None`` when the present value of the costs is zero.
    """

    pv_benefits: float
    pv_costs: float
    net_present_value: float
    benefit_cost_ratio: float | None
    discount_rate: float
    horizon_years: int
    timing: str
    currency: str

    def to_dict(self) -> dict[str, Any]:
        return plain_dict(asdict(self))

    def summary(self) -> str:
        ratio = (
            "not defined" if self.benefit_cost_ratio is None else f"{self.benefit_cost_ratio:.3f}"
        )
        return "\n".join(
            [
                f"Benefit-cost analysis ({self.currency}), discount rate {self.discount_rate:.2%}"
                f" a year over {self.horizon_years} year(s), flows at the {self.timing} of year",
                f"  PV benefits: {self.pv_benefits:.2f}   PV costs: {self.pv_costs:.2f}",
                f"  NPV: {self.net_present_value:.2f}   benefit-cost ratio: {ratio}",
            ]
        )


def benefit_cost(
    benefits_per_year: float | Sequence[float],
    costs_per_year: float | Sequence[float] = 0.0,
    *,
    upfront_cost: float = 0.0,
    discount_rate: float,
    horizon_years: int,
    timing: Literal["end", "start"] = "end",
    currency: str = "EUR",
) -> BenefitCost:
    """Discounted benefits and costs of a programme over a horizon.

    With the yearly flows ``B_t`` and ``C_t`` of years ``t = 1..H``, an upfront cost ``C_0``
    paid at the start, and the rate ``r``::

        PV(B) = sum_t B_t / (1 + r)^t          PV(C) = C_0 + sum_t C_t / (1 + r)^t
        NPV   = PV(B) - PV(C)                  BCR   = PV(B) / PV(C)

    with ``timing="end"`` (flows at the end of each year, the first one discounted once).
    With ``timing="start"`` the flow of year ``t`` is discounted by ``(1 + r)^(t - 1)``,
    so the first year is not discounted. The report states which convention it uses.

    The discount rate is a required parameter on purpose: this library does not carry a
    reference rate. A French report should take it, with the rules for its use (real
    rate, risk premium, long horizons), from the official guidance: France Stratégie,
    *Guide de l'évaluation socioéconomique des investissements publics* (2017), which
    builds on the Quinet report, *L'évaluation socioéconomique des investissements
    publics* (Commissariat général à la stratégie et à la prospective, 2013), and must
    name that source next to the rate. Flows must then be in constant (real) euros.
    The rate must lie in :data:`DISCOUNT_RATE_RANGE`: a yearly fraction, not a percentage.

    Parameters
    ----------
    benefits_per_year : float or sequence of float
        Yearly benefits (monetised), >= 0: one number for every year, or one per year.
    costs_per_year : float or sequence of float, default 0
        Yearly running costs, >= 0.
    upfront_cost : float, default 0
        Cost paid once at the start (year 0, not discounted), >= 0.
    discount_rate : float
        Yearly discount rate as a fraction (0.03 for 3 %), in ``DISCOUNT_RATE_RANGE``.
    horizon_years : int
        Number of years of flows, >= 1.
    timing : {"end", "start"}, default "end"
        When in each year the yearly flows fall.
    currency : str, default "EUR"

    Returns
    -------
    BenefitCost

    Examples
    --------
    >>> bc = benefit_cost(1000.0, upfront_cost=2500.0, discount_rate=0.05, horizon_years=3)
    >>> round(bc.pv_benefits, 2), round(bc.net_present_value, 2)
    (2723.25, 223.25)
    """
    rate = require_discount_rate(discount_rate)
    horizon = require_integer(horizon_years, name="horizon_years", minimum=1)
    timing = require_choice(timing, name="timing", allowed=("end", "start"))
    currency = require_currency(currency)
    benefits = _flows(benefits_per_year, name="benefits_per_year", horizon=horizon)
    costs = _flows(costs_per_year, name="costs_per_year", horizon=horizon)
    upfront = require_amount(upfront_cost, name="upfront_cost")

    years = np.arange(1, horizon + 1) if timing == "end" else np.arange(horizon)
    factors = (1.0 + rate) ** -years.astype(float)
    pv_benefits = float(benefits @ factors)
    pv_costs = upfront + float(costs @ factors)
    return BenefitCost(
        pv_benefits=pv_benefits,
        pv_costs=pv_costs,
        net_present_value=pv_benefits - pv_costs,
        benefit_cost_ratio=pv_benefits / pv_costs if pv_costs > 0 else None,
        discount_rate=rate,
        horizon_years=horizon,
        timing=timing,
        currency=currency,
    )


def net_present_value(
    benefits_per_year: float | Sequence[float],
    costs_per_year: float | Sequence[float] = 0.0,
    **discounting: Any,
) -> float:
    """Present value of the benefits minus present value of the costs.

    ``discounting`` holds the keyword arguments of :func:`benefit_cost` (``discount_rate``
    and ``horizon_years``, required; ``upfront_cost``, ``timing``). See :func:`benefit_cost`
    for the formula, the timing convention and the source of the discount rate (a required
    parameter: the report must name where its rate comes from).

    Examples
    --------
    >>> round(net_present_value(1000.0, upfront_cost=2500.0, discount_rate=0.05,
    ...                         horizon_years=3), 2)
    223.25
    """
    return benefit_cost(benefits_per_year, costs_per_year, **discounting).net_present_value


def benefit_cost_ratio(
    benefits_per_year: float | Sequence[float],
    costs_per_year: float | Sequence[float] = 0.0,
    **discounting: Any,
) -> float:
    """Present value of the benefits divided by the present value of the costs.

    ``discounting``: the keyword arguments of :func:`benefit_cost`, as for
    :func:`net_present_value`. Raises :class:`InputError` when there is no cost at all.

    Examples
    --------
    >>> round(benefit_cost_ratio(1000.0, upfront_cost=2500.0, discount_rate=0.05,
    ...                          horizon_years=3), 4)
    1.0893
    """
    result = benefit_cost(benefits_per_year, costs_per_year, **discounting)
    if result.benefit_cost_ratio is None:
        raise InputError(
            "costs_per_year and upfront_cost are all zero: the benefit-cost ratio is not defined"
        )
    return result.benefit_cost_ratio
