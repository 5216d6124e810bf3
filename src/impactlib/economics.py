"""Economics of an innovation: cost-effectiveness, benefit-cost analysis, scale-up projection.

What a decision maker asks after an impact evaluation: how much does one unit of outcome
cost, do the benefits outweigh the costs once discounted, and what would scaling the
innovation up to a whole population cost and yield. No well-kept Python library packages
these calculations (``numpy_financial`` covers the NPV only and is not a project
dependency); they are a few lines each, written here with numpy and tested against the
formulas written out by hand in ``tests/unit/test_economics.py``.

Conventions
-----------
- Money is in euros (``currency="EUR"``) unless a ``currency`` (ISO 4217 code) is given;
  it is recorded in every result, never converted.
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

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from impactlib.estimate import Estimate
from impactlib.validation import InputError, require_probability

#: Accepted range of the annual discount rate, as a fraction (0.045 for 4.5 %). Public
#: guides use real rates of a few percent a year; a rate above 20 % a year makes anything
#: beyond a few years worthless and, in practice, betrays a percentage typed where a
#: fraction is expected (4.5 instead of 0.045). Negative rates are out of scope.
DISCOUNT_RATE_RANGE = (0.0, 0.2)

#: Smallest number of Monte Carlo draws: below it a 95 % percentile interval rests on a
#: handful of draws in each tail.
MIN_DRAWS = 1_000

_CURRENCY = re.compile(r"^[A-Z]{3}$")


# --- checks of scalar inputs ----------------------------------------------------------------


def _number(value: object, *, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise InputError(f"{name} must be finite, got {value!r}")
    return number


def _non_negative(value: object, *, name: str) -> float:
    number = _number(value, name=name)
    if number < 0:
        raise InputError(
            f"{name} must be >= 0 (a cost or a count cannot be negative), got {value!r}"
        )
    return number


def _positive(value: object, *, name: str) -> float:
    number = _number(value, name=name)
    if number <= 0:
        raise InputError(f"{name} must be > 0, got {value!r}")
    return number


def _positive_integer(value: object, *, name: str, minimum: int = 1) -> int:
    number = _number(value, name=name)
    if not number.is_integer() or number < minimum:
        raise InputError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(number)


def _currency(currency: object) -> str:
    if not isinstance(currency, str) or not _CURRENCY.match(currency):
        raise InputError(f"currency must be an ISO 4217 code such as 'EUR', got {currency!r}")
    return currency


def _label(text: object, *, name: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"{name} must be a non-empty string, got {text!r}")
    return text


def _flag(value: object, *, name: str) -> bool:
    if not isinstance(value, bool):
        raise InputError(f"{name} must be True or False, got {value!r}")
    return value


def _discount_rate(rate: object) -> float:
    number = _number(rate, name="discount_rate")
    low, high = DISCOUNT_RATE_RANGE
    if not low <= number <= high:
        raise InputError(
            f"discount_rate must be a yearly fraction in [{low}, {high}] (0.045 for 4.5 %), "
            f"got {rate!r}"
        )
    return number


def _effect_parts(effect: object) -> tuple[float, float, float | None, float | None, float | None]:
    """(value, std_error, ci_low, ci_high, alpha) of an Estimate or of a bare number."""
    if isinstance(effect, Estimate):
        return effect.value, effect.std_error, effect.ci_low, effect.ci_high, effect.alpha
    return _number(effect, name="effect"), 0.0, None, None, None


def _range_or_number(
    value: object, *, name: str, low: float, high: float | None, open_low: bool = False
) -> tuple[float, tuple[float, float] | None]:
    """A number, or a ``(low, high)`` range to be drawn uniformly; returns (point, range)."""

    def check(number: float, label: str) -> float:
        too_low = number <= low if open_low else number < low
        if too_low or (high is not None and number > high):
            bounds = f"{'(' if open_low else '['}{low}, {high if high is not None else 'inf'}"
            bounds += "]" if high is not None else ")"
            raise InputError(f"{label} must be in {bounds}, got {number!r}")
        return number

    if isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) != 2:
            raise InputError(f"{name} range must be a pair (low, high), got {value!r}")
        lo = check(_number(value[0], name=f"{name} low"), f"{name} low")
        hi = check(_number(value[1], name=f"{name} high"), f"{name} high")
        if lo > hi:
            raise InputError(f"{name} range ({lo}, {hi}) has low above high")
        if lo == hi:
            return lo, None
        return (lo + hi) / 2, (lo, hi)
    return check(_number(value, name=name), name), None


def _to_plain(data: dict[str, Any]) -> dict[str, Any]:
    """Tuples to lists so that ``to_dict()`` equals its own JSON round trip."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


# --- cost per beneficiary and cost-effectiveness --------------------------------------------


def cost_per_beneficiary(total_cost: float, beneficiaries: int) -> float:
    """Total cost divided by the number of people served.

    Parameters
    ----------
    total_cost : float
        Full cost of the programme over the period, >= 0.
    beneficiaries : int
        Number of people served (or offered the programme, for an intention-to-treat
        effect), a positive integer.

    Examples
    --------
    >>> cost_per_beneficiary(150_000, 120)
    1250.0
    """
    cost = _non_negative(total_cost, name="total_cost")
    people = _positive_integer(beneficiaries, name="beneficiaries")
    return cost / people


NO_COST_REASON = (
    "Non applicable : l'innovation n'a pas de coût par bénéficiaire (une règle plutôt qu'un "
    "programme financé)."
)


def _not_defined_reason(
    value: float,
    low: float | None,
    high: float | None,
    alpha: float | None,
    up: bool,
    *,
    interval: str = "de confiance",
) -> str | None:
    """Why a cost per unit of improvement cannot be given (a French sentence), or None."""
    direction = "une hausse" if up else "une baisse"
    if (value <= 0) if up else (value >= 0):
        return (
            "Non défini : l'effet estimé ne va pas dans le sens favorable "
            f"({direction} du résultat est souhaitée)."
        )
    if low is not None and high is not None and low <= 0 <= high:
        percent = f"{100 * (1 - alpha):.10g}".replace(".", ",") if alpha is not None else ""
        level = f" à {percent}\u202f%" if alpha is not None else ""
        return (
            f"Non défini : l'intervalle {interval}{level} de l'effet inclut zéro ; "
            "le coût par unité d'effet n'est pas borné."
        )
    return None


@dataclass(frozen=True)
class CostEffectiveness:
    """Cost per unit of improvement and impact per 1 000 units of currency.

    ``cost_per_unit`` and its interval are ``None`` when not defined, and
    ``cost_per_unit_reason`` then says why, in French. Intervals are ``None`` when the
    effect was given as a bare number.
    """

    effect: float
    effect_ci_low: float | None
    effect_ci_high: float | None
    cost_per_beneficiary: float
    cost_per_unit: float | None
    cost_per_unit_ci_low: float | None
    cost_per_unit_ci_high: float | None
    cost_per_unit_reason: str | None
    impact_per_1000: float
    impact_per_1000_ci_low: float | None
    impact_per_1000_ci_high: float | None
    higher_is_better: bool
    effect_unit: str
    currency: str
    alpha: float | None

    @property
    def defined(self) -> bool:
        """Whether a cost per unit of improvement could be given."""
        return self.cost_per_unit is not None

    def to_dict(self) -> dict[str, Any]:
        return _to_plain(asdict(self))

    def summary(self) -> str:
        lines = [f"Cost-effectiveness ({self.currency}, effect in {self.effect_unit})"]
        lines.append(f"  cost per beneficiary: {self.cost_per_beneficiary:.2f}")
        if self.cost_per_unit is None:
            lines.append(
                f"  cost per unit of improvement: not defined ({self.cost_per_unit_reason})"
            )
        else:
            text = f"  cost per unit of improvement: {self.cost_per_unit:.2f}"
            if self.cost_per_unit_ci_low is not None:
                text += f" [{self.cost_per_unit_ci_low:.2f}, {self.cost_per_unit_ci_high:.2f}]"
            lines.append(text)
        text = f"  impact per 1000 {self.currency}: {self.impact_per_1000:.4f}"
        if self.impact_per_1000_ci_low is not None:
            text += f" [{self.impact_per_1000_ci_low:.4f}, {self.impact_per_1000_ci_high:.4f}]"
        lines.append(text)
        return "\n".join(lines)


def cost_effectiveness(
    effect: Estimate | float,
    cost_per_beneficiary: float,
    *,
    higher_is_better: bool = True,
    effect_unit: str = "unité de résultat",
    currency: str = "EUR",
) -> CostEffectiveness:
    """Cost per unit of improvement of the outcome, and impact per 1 000 units of currency.

    With ``b`` the effect in the beneficial direction (the effect itself when
    ``higher_is_better``, its opposite otherwise) and ``c`` the cost per beneficiary:

    - cost per unit of improvement ``c / b``, with the interval ``[c / b_high, c / b_low]``
      obtained by mapping the bounds of the effect's confidence interval (the map is
      monotone on positive effects). It is *not defined* (``None`` and a reason) when the
      effect does not go in the beneficial direction, or when its confidence interval
      includes zero: the ratio is then unbounded, and a cost per unit would hide it;
    - impact per 1 000 (``effect * 1000 / c``, in the outcome's units and with the sign of
      the effect), with the interval scaled the same way; always defined.

    The cost is treated as known; only the effect's sampling uncertainty is carried.

    Parameters
    ----------
    effect : Estimate or float
        Effect per beneficiary. A bare number has no interval.
    cost_per_beneficiary : float
        Cost per beneficiary, > 0 (for the same people as the effect: see module notes).
    higher_is_better : bool, default True
        Beneficial direction of the outcome.
    effect_unit : str
        Unit of the outcome, for labels (``"point de score"``, ``"mois d'emploi"``...).
    currency : str, default "EUR"
        ISO 4217 code of the costs.

    Returns
    -------
    CostEffectiveness

    Examples
    --------
    >>> est = Estimate(value=0.5, std_error=0.1, ci_low=0.3, ci_high=0.7, p_value=0.001,
    ...                n=400, method="difference in means", outcome="score")
    >>> ce = cost_effectiveness(est, 1200.0, effect_unit="point de score")
    >>> round(ce.cost_per_unit, 2), round(ce.cost_per_unit_ci_low, 2)
    (2400.0, 1714.29)
    >>> round(ce.impact_per_1000, 4)
    0.4167
    """
    value, _, ci_low, ci_high, alpha = _effect_parts(effect)
    cost = _positive(cost_per_beneficiary, name="cost_per_beneficiary")
    up = _flag(higher_is_better, name="higher_is_better")
    unit = _label(effect_unit, name="effect_unit")
    currency = _currency(currency)

    reason = _not_defined_reason(value, ci_low, ci_high, alpha, up)
    per_unit = per_unit_low = per_unit_high = None
    if reason is None:
        sign = 1.0 if up else -1.0
        per_unit = cost / (sign * value)
        if ci_low is not None and ci_high is not None:
            b_low, b_high = sorted((sign * ci_low, sign * ci_high))
            per_unit_low, per_unit_high = cost / b_high, cost / b_low

    def per_1000(x: float | None) -> float | None:
        return None if x is None else x * 1000.0 / cost

    return CostEffectiveness(
        effect=value,
        effect_ci_low=ci_low,
        effect_ci_high=ci_high,
        cost_per_beneficiary=cost,
        cost_per_unit=per_unit,
        cost_per_unit_ci_low=per_unit_low,
        cost_per_unit_ci_high=per_unit_high,
        cost_per_unit_reason=reason,
        impact_per_1000=value * 1000.0 / cost,
        impact_per_1000_ci_low=per_1000(ci_low),
        impact_per_1000_ci_high=per_1000(ci_high),
        higher_is_better=up,
        effect_unit=unit,
        currency=currency,
        alpha=alpha,
    )


# --- discounting: net present value and benefit-cost ratio -----------------------------------


def _flows(values: object, *, name: str, horizon: int) -> np.ndarray:
    """A yearly flow: one number for every year, or one value per year of the horizon."""
    if isinstance(values, Sequence | np.ndarray) and not isinstance(values, str):
        items = list(values)
        if len(items) != horizon:
            raise InputError(
                f"{name} has {len(items)} value(s) but horizon_years is {horizon}: "
                "give one value per year, or a single number for every year"
            )
        labelled = [(f"{name}[{i}]", _number(v, name=f"{name}[{i}]")) for i, v in enumerate(items)]
    else:
        labelled = [(name, _number(values, name=name))] * horizon
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
        return _to_plain(asdict(self))

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
    rate = _discount_rate(discount_rate)
    horizon = _positive_integer(horizon_years, name="horizon_years")
    if timing not in ("end", "start"):
        raise InputError(f"timing must be 'end' or 'start', got {timing!r}")
    currency = _currency(currency)
    benefits = _flows(benefits_per_year, name="benefits_per_year", horizon=horizon)
    costs = _flows(costs_per_year, name="costs_per_year", horizon=horizon)
    upfront = _non_negative(upfront_cost, name="upfront_cost")

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
    *,
    upfront_cost: float = 0.0,
    discount_rate: float,
    horizon_years: int,
    timing: Literal["end", "start"] = "end",
) -> float:
    """Present value of the benefits minus present value of the costs.

    See :func:`benefit_cost` for the formula, the timing convention and the source of the
    discount rate (a required parameter: the report must name where its rate comes from).

    Examples
    --------
    >>> round(net_present_value(1000.0, upfront_cost=2500.0, discount_rate=0.05,
    ...                         horizon_years=3), 2)
    223.25
    """
    return benefit_cost(
        benefits_per_year,
        costs_per_year,
        upfront_cost=upfront_cost,
        discount_rate=discount_rate,
        horizon_years=horizon_years,
        timing=timing,
    ).net_present_value


def benefit_cost_ratio(
    benefits_per_year: float | Sequence[float],
    costs_per_year: float | Sequence[float] = 0.0,
    *,
    upfront_cost: float = 0.0,
    discount_rate: float,
    horizon_years: int,
    timing: Literal["end", "start"] = "end",
) -> float:
    """Present value of the benefits divided by the present value of the costs.

    See :func:`benefit_cost`. Raises :class:`InputError` when there is no cost at all.

    Examples
    --------
    >>> round(benefit_cost_ratio(1000.0, upfront_cost=2500.0, discount_rate=0.05,
    ...                          horizon_years=3), 4)
    1.0893
    """
    result = benefit_cost(
        benefits_per_year,
        costs_per_year,
        upfront_cost=upfront_cost,
        discount_rate=discount_rate,
        horizon_years=horizon_years,
        timing=timing,
    )
    if result.benefit_cost_ratio is None:
        raise InputError(
            "costs_per_year and upfront_cost are all zero: the benefit-cost ratio is not defined"
        )
    return result.benefit_cost_ratio


# --- scale-up projection ----------------------------------------------------------------------


@dataclass(frozen=True)
class ScaleUpProjection:
    """What scaling an innovation up to a population would cost and yield.

    Every ``*_ci_low`` / ``*_ci_high`` pair is a Monte Carlo percentile interval at level
    ``1 - alpha``. ``cost_per_unit`` (cost per unit of improvement of the outcome) is
    ``None`` when not defined, and ``cost_per_unit_reason`` then says why, in French.
    When the innovation has no cost per beneficiary (``cost_per_beneficiary`` is ``None``:
    a rule rather than a financed programme), every cost field is ``None`` and
    ``cost_per_unit_reason`` says so.
    """

    target_population: int
    take_up: float
    take_up_range: tuple[float, float] | None
    cost_per_beneficiary: float | None
    cost_range: tuple[float, float] | None
    effect: float
    effect_std_error: float
    attenuation: float
    beneficiaries: float
    beneficiaries_ci_low: float
    beneficiaries_ci_high: float
    total_cost: float | None
    total_cost_ci_low: float | None
    total_cost_ci_high: float | None
    total_effect: float
    total_effect_ci_low: float
    total_effect_ci_high: float
    impact_per_1000: float | None
    impact_per_1000_ci_low: float | None
    impact_per_1000_ci_high: float | None
    cost_per_unit: float | None
    cost_per_unit_ci_low: float | None
    cost_per_unit_ci_high: float | None
    cost_per_unit_reason: str | None
    higher_is_better: bool
    effect_unit: str
    currency: str
    alpha: float
    n_draws: int
    seed: int
    method: str

    def to_dict(self) -> dict[str, Any]:
        return _to_plain(asdict(self))

    def summary(self) -> str:
        level = f"{1 - self.alpha:.0%}"

        def row(name: str, value: float, low: float, high: float) -> str:
            return f"  {name}: {value:,.2f}   {level} interval [{low:,.2f}, {high:,.2f}]"

        lines = [
            f"Scale-up projection ({self.currency}; effect in {self.effect_unit})",
            f"  target population {self.target_population:,}, take-up {self.take_up:.1%}, "
            f"attenuation {self.attenuation:.2f}",
            row(
                "beneficiaries",
                self.beneficiaries,
                self.beneficiaries_ci_low,
                self.beneficiaries_ci_high,
            ),
            (
                "  total cost: not applicable"
                if self.total_cost is None
                else row(
                    "total cost", self.total_cost, self.total_cost_ci_low, self.total_cost_ci_high
                )
            ),
            row(
                "total effect",
                self.total_effect,
                self.total_effect_ci_low,
                self.total_effect_ci_high,
            ),
        ]
        if self.cost_per_unit is None:
            lines.append(
                f"  cost per unit of improvement: not defined ({self.cost_per_unit_reason})"
            )
        else:
            lines.append(
                row(
                    "cost per unit of improvement",
                    self.cost_per_unit,
                    self.cost_per_unit_ci_low,
                    self.cost_per_unit_ci_high,
                )
            )
        lines.append(f"  {self.n_draws} draws, seed {self.seed}")
        return "\n".join(lines)


def scale_up_projection(
    effect: Estimate | float,
    *,
    target_population: int,
    take_up: float | tuple[float, float],
    cost_per_beneficiary: float | tuple[float, float] | None,
    attenuation: float = 1.0,
    higher_is_better: bool = True,
    effect_unit: str = "unité de résultat",
    currency: str = "EUR",
    n_draws: int = 10_000,
    seed: int = 0,
    alpha: float = 0.05,
) -> ScaleUpProjection:
    """Beneficiaries, total cost and total effect of extending an innovation to a population.

    Point values::

        beneficiaries = target_population * take_up
        total_cost    = beneficiaries * cost_per_beneficiary
        total_effect  = beneficiaries * effect * attenuation

    and the cost per unit of improvement ``total_cost / total_effect`` (in the beneficial
    direction), which equals ``cost_per_beneficiary / (effect * attenuation)``.

    Uncertainty is propagated by Monte Carlo. The effect is drawn from a normal
    distribution with mean ``effect.value`` and standard deviation ``effect.std_error``:
    the large-sample normal approximation of the estimator's sampling distribution (it
    ignores the Student-t tails of a small-sample interval, and for a ratio measure the
    effect must be on the log scale to be normal at all). ``take_up`` and
    ``cost_per_beneficiary`` may be given as ``(low, high)`` ranges, drawn uniformly and
    independently (their point value is then the midpoint, so the point totals are the
    expected totals). Intervals are the ``alpha / 2`` and ``1 - alpha / 2`` percentiles of
    the draws. The interval of the cost per unit maps the percentile interval of the
    impact per 1 000 (effect per cost, which is well behaved) through ``x -> 1000 / x``;
    it is not defined when the effect goes the wrong way or that interval includes zero.

    Each source of uncertainty has its own random stream spawned from ``seed``, so the
    result is identical for a given seed, and the effect draws do not change when a range
    is added for the take-up or the cost.

    ``attenuation`` in (0, 1] is the share of the measured effect expected to survive
    scaling up: effects found in small trials often shrink at scale (the "voltage drop"
    of List, *The Voltage Effect*, Currency, 2022; see Al-Ubaydli, List & Suskind, "What
    Can We Learn from Experiments? Understanding the Threats to the Scalability of
    Experimental Results", *American Economic Review* 107(5), 2017). This library gives
    no default value other than 1 (no shrinkage): the report chooses and justifies one.

    Parameters
    ----------
    effect : Estimate or float
        Effect per beneficiary. A bare number is taken as known (no sampling error).
    target_population : int
        People eligible at scale, a positive integer.
    take_up : float or (float, float)
        Share of the target population that would take the programme up, in [0, 1].
    cost_per_beneficiary : float or (float, float) or None
        Cost per beneficiary at scale, > 0. ``None`` when the innovation has no cost per
        beneficiary in any meaningful sense (a regulation rather than a financed programme):
        only the beneficiaries and the total effect are projected, every cost field is
        ``None``, and the report must say why there is no cost.
    attenuation : float, default 1.0
        Expected shrinkage of the effect at scale, in (0, 1].
    higher_is_better : bool, default True
        Beneficial direction of the outcome.
    effect_unit, currency : str
        Labels; ``currency`` is an ISO 4217 code.
    n_draws : int, default 10000
        Monte Carlo draws, at least :data:`MIN_DRAWS`.
    seed : int, default 0
        Seed of numpy's default generator (a non-negative integer).
    alpha : float, default 0.05
        One minus the level of the intervals.

    Returns
    -------
    ScaleUpProjection

    Examples
    --------
    >>> est = Estimate(value=0.5, std_error=0.1, ci_low=0.3, ci_high=0.7, p_value=0.001,
    ...                n=400, method="difference in means", outcome="score")
    >>> p = scale_up_projection(est, target_population=20_000, take_up=0.4,
    ...                         cost_per_beneficiary=1200.0, attenuation=0.8)
    >>> p.beneficiaries, p.total_cost, round(p.total_effect, 6)
    (8000.0, 9600000.0, 3200.0)
    >>> round(p.cost_per_unit, 2)
    3000.0
    """
    value, std_error, _, _, _ = _effect_parts(effect)
    population = _positive_integer(target_population, name="target_population")
    take_up_point, take_up_range = _range_or_number(take_up, name="take_up", low=0.0, high=1.0)
    has_cost = cost_per_beneficiary is not None
    cost_point, cost_range = (
        _range_or_number(
            cost_per_beneficiary, name="cost_per_beneficiary", low=0.0, high=None, open_low=True
        )
        if has_cost
        else (1.0, None)  # a neutral placeholder: every cost result is set to None below
    )
    shrink = _number(attenuation, name="attenuation")
    if not 0.0 < shrink <= 1.0:
        raise InputError(f"attenuation must be in (0, 1], got {attenuation!r}")
    up = _flag(higher_is_better, name="higher_is_better")
    unit = _label(effect_unit, name="effect_unit")
    currency = _currency(currency)
    draws = _positive_integer(n_draws, name="n_draws", minimum=MIN_DRAWS)
    seed = _positive_integer(seed, name="seed", minimum=0)
    alpha = require_probability(_number(alpha, name="alpha"), name="alpha")

    effect_rng, take_up_rng, cost_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)
    )
    effect_draws = effect_rng.normal(value, std_error, size=draws)
    take_up_draws = (
        np.full(draws, take_up_point)
        if take_up_range is None
        else take_up_rng.uniform(*take_up_range, size=draws)
    )
    cost_draws = (
        np.full(draws, cost_point)
        if cost_range is None
        else cost_rng.uniform(*cost_range, size=draws)
    )

    # The same operations, in the same order, for the point and for the draws: with no
    # uncertainty the interval then equals the point exactly.
    beneficiaries = population * take_up_point
    total_cost = beneficiaries * cost_point
    total_effect = beneficiaries * value * shrink
    impact = value * shrink * 1000.0 / cost_point
    benef_draws = population * take_up_draws
    cost_total_draws = benef_draws * cost_draws
    effect_total_draws = benef_draws * effect_draws * shrink
    impact_draws = effect_draws * shrink * 1000.0 / cost_draws

    quantiles = (alpha / 2, 1 - alpha / 2)

    def interval(x: np.ndarray) -> tuple[float, float]:
        low, high = np.quantile(x, quantiles)
        return float(low), float(high)

    impact_low, impact_high = interval(impact_draws)
    level = 1 - alpha
    reason = (
        _not_defined_reason(value, impact_low, impact_high, alpha, up, interval="de simulation")
        if has_cost
        else NO_COST_REASON
    )
    per_unit = per_unit_low = per_unit_high = None
    if reason is None:
        sign = 1.0 if up else -1.0
        per_unit = cost_point / (sign * value * shrink)
        b_low, b_high = sorted((sign * impact_low, sign * impact_high))
        per_unit_low, per_unit_high = 1000.0 / b_high, 1000.0 / b_low

    benef_low, benef_high = interval(benef_draws)
    cost_low, cost_high = interval(cost_total_draws)
    effect_low, effect_high = interval(effect_total_draws)
    uncertain = ["effect ~ normal(value, std_error)"]
    if take_up_range is not None:
        uncertain.append("take-up ~ uniform range")
    if cost_range is not None:
        uncertain.append("cost ~ uniform range")
    if not has_cost:
        cost_point = total_cost = cost_low = cost_high = None
        impact = impact_low = impact_high = None
    method = (
        f"Monte Carlo scale-up projection, {draws} draws ({'; '.join(uncertain)}), "
        f"{level:.0%} percentile intervals"
    )
    return ScaleUpProjection(
        target_population=population,
        take_up=take_up_point,
        take_up_range=take_up_range,
        cost_per_beneficiary=cost_point,
        cost_range=cost_range,
        effect=value,
        effect_std_error=std_error,
        attenuation=shrink,
        beneficiaries=beneficiaries,
        beneficiaries_ci_low=benef_low,
        beneficiaries_ci_high=benef_high,
        total_cost=total_cost,
        total_cost_ci_low=cost_low,
        total_cost_ci_high=cost_high,
        total_effect=total_effect,
        total_effect_ci_low=effect_low,
        total_effect_ci_high=effect_high,
        impact_per_1000=impact,
        impact_per_1000_ci_low=impact_low,
        impact_per_1000_ci_high=impact_high,
        cost_per_unit=per_unit,
        cost_per_unit_ci_low=per_unit_low,
        cost_per_unit_ci_high=per_unit_high,
        cost_per_unit_reason=reason,
        higher_is_better=up,
        effect_unit=unit,
        currency=currency,
        alpha=alpha,
        n_draws=draws,
        seed=seed,
        method=method,
    )
