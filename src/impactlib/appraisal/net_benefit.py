"""Benefit-cost per participant in euros of the base year, with a seeded Monte Carlo.

WSIPP-style: the present value per participant of the monetised benefits and of the cost,
their difference (net present value) and ratio, at the book's discount rate and at both
ends of its sensitivity range, and the probability that the net present value is positive
over the effect's sampling distribution and the stated ranges of cost and attenuation.

With ``e`` the effect in its beneficial direction (per participant and year, in the
outcome's unit), ``a`` the attenuation, ``v`` the reference value per unit of outcome in
base-year euros, ``k`` the number of outcome units one value unit counts (100 000 for a rate
per 100 000), ``H`` the years the benefit lasts and ``r`` the rate::

    B    = e * a * v / k                   (benefit of one year)
    PV_B = B * sum_{t=1..H} (1 + r)^-t     (flows at the end of each year)
    PV_C = cost per participant            (paid at the start, not discounted)
    NPV  = PV_B - PV_C,   BCR = PV_B / PV_C

Take-up does not change a per-participant balance (it scales the totals of the scale-up
projection only). Without a published cost, the break-even cost (``PV_B``: the largest
cost per participant at which the benefits still cover it) is reported instead of an NPV.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from impactlib.appraisal.inputs import effect_parts, number_or_range, require_discount_rate
from impactlib.appraisal.money import Money, require_price_year
from impactlib.appraisal.prices import Conversion, PriceTables
from impactlib.appraisal.reference_values import ReferenceValues
from impactlib.core.estimate import Estimate
from impactlib.core.validation import InputError, require_integer, require_positive
from impactlib.report import fmt_interval, fmt_number, fmt_percent


@dataclass(frozen=True)
class MoneyBasis:
    """The book's money: currency, base year, discount rate and the reference tables."""

    currency: str
    base_year: int
    discount_rate: float
    discount_rate_range: tuple[float, float]
    prices: PriceTables
    values: ReferenceValues

    def convert(self, amount: Money) -> Conversion:
        """``amount`` in the book's currency of the base year."""
        return self.prices.convert(amount, currency=self.currency, year=self.base_year)


def money_basis(
    reference_dir: str | Path,
    *,
    currency: str,
    base_year: int,
    discount_rate: float,
    discount_rate_range: Sequence[float],
) -> MoneyBasis:
    """The basis of ``params.yaml`` ``appraisal``, with the tables of ``reference_dir``."""
    folder = Path(reference_dir)
    prices = PriceTables.load(folder / "prices.yaml")
    year = require_price_year(base_year, name="base_year")
    first, last = prices.years(currency)
    if not first <= year <= last:
        raise InputError(f"base_year {year} is outside the {currency} price table ({first}-{last})")
    rate = require_discount_rate(discount_rate)
    if not isinstance(discount_rate_range, Sequence) or len(discount_rate_range) != 2:
        raise InputError(f"discount_rate_range must be (low, high), got {discount_rate_range!r}")
    low, high = (require_discount_rate(x) for x in discount_rate_range)
    if not low <= rate <= high:
        raise InputError(f"discount_rate {rate} is outside discount_rate_range ({low}, {high})")
    values = ReferenceValues.load(folder / "values.yaml")
    return MoneyBasis(currency, year, rate, (low, high), prices, values)


@dataclass(frozen=True)
class NetBenefit:
    """Present values per participant in base-year money, NPV, BCR and P(NPV > 0)."""

    currency: str
    price_year: int
    monetised_by: str
    value_per_unit: float
    benefit_years: int
    pv_benefits: float
    pv_costs: float | None
    npv: float | None
    bcr: float | None
    prob_positive: float | None
    npv_ci: tuple[float, float] | None
    npv_at_rates: tuple[float, float] | None
    discount_rate: float
    discount_rate_range: tuple[float, float]
    cost_per_participant: float | None
    cost_range: tuple[float, float] | None
    cost_source: str
    break_even_cost: float | None
    conversions: tuple[dict[str, Any], ...]
    n_resamples: int
    seed: int

    def to_comparison(self) -> dict[str, Any]:
        """The plain mapping the comparison row carries (the contract with ``comparison``)."""
        return {
            "currency": self.currency,
            "price_year": self.price_year,
            "cost_per_participant": self.cost_per_participant,
            "pv_benefits": self.pv_benefits,
            "pv_costs": self.pv_costs,
            "npv": self.npv,
            "bcr": self.bcr,
            "prob_positive": self.prob_positive,
            "discount_rate": self.discount_rate,
            "cost_source": self.cost_source,
            "break_even_cost": self.break_even_cost,
            "monetised_by": self.monetised_by,
            "conversions": [dict(c) for c in self.conversions],
        }

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        for key in ("npv_ci", "npv_at_rates", "discount_rate_range", "cost_range"):
            data[key] = None if data[key] is None else list(data[key])
        data["conversions"] = [dict(c) for c in self.conversions]
        return data


def _annuity(rate: np.ndarray | float, years: int) -> np.ndarray | float:
    return sum((1.0 + rate) ** -t for t in range(1, years + 1))


def _conversion_key(conversion: dict[str, Any]) -> tuple[Any, ...]:
    """What identifies a conversion: from which currency and year to which."""
    return tuple(conversion[k] for k in ("from_currency", "from_year", "to_currency", "to_year"))


def benefit_cost_per_participant(
    effect: Any,
    *,
    basis: MoneyBasis,
    monetised_by: str,
    benefit_years: int,
    cost: Money | Sequence[Money] | None,
    cost_source: str,
    attenuation: float | Sequence[float] = 1.0,
    higher_is_better: bool = True,
    units_per_value: float = 1.0,
    outcome_money: tuple[str, int] | None = None,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> NetBenefit:
    """Benefit-cost per participant of ``effect`` (see the module's formulas).

    ``cost`` is one :class:`Money` or a ``(low, high)`` pair drawn uniformly; ``None`` when
    no published cost exists (the break-even cost is then reported). ``outcome_money`` is the
    ``(currency, price_year)`` of an outcome that is money (earnings), required by a value
    such as ``revenu_activite``.
    """
    value = basis.values.get(monetised_by)
    years = require_integer(benefit_years, name="benefit_years", minimum=1)
    per = require_positive(units_per_value, name="units_per_value")
    currency, year = outcome_money if outcome_money else (None, None)
    value_conv = basis.convert(value.money(currency=currency, price_year=year))
    conversions = [value_conv.to_dict()]
    point, se, *_ = effect_parts(effect)
    sign = 1.0 if higher_is_better else -1.0
    att, att_range = number_or_range(attenuation, name="attenuation", low=0.0, high=1.0)
    unit_value = value_conv.result.amount / per
    cost_low = cost_high = cost_point = None
    if cost is not None:
        pair = list(cost) if isinstance(cost, Sequence) else [cost]
        pair = pair * 2 if len(pair) == 1 else pair
        if len(pair) != 2:
            raise InputError(f"cost must be Money or a (low, high) pair of Money, got {cost!r}")
        converted = [basis.convert(c) for c in pair]
        # One entry per conversion (currencies and years): a cost range given in one currency
        # and year (NSW's two published figures in 1976 dollars) converts twice by the same
        # factor, whose float ratio may differ in its last bit between the two amounts.
        for conv in (c.to_dict() for c in converted):
            if _conversion_key(conv) not in {_conversion_key(c) for c in conversions}:
                conversions.append(conv)
        cost_low, cost_high = sorted(c.result.amount for c in converted)
        cost_point = (cost_low + cost_high) / 2
    rate, (r_low, r_high) = basis.discount_rate, basis.discount_rate_range
    pv_b = sign * point * att * unit_value * _annuity(rate, years)
    result: dict[str, Any] = {
        "pv_costs": None,
        "npv": None,
        "bcr": None,
        "prob_positive": None,
        "npv_ci": None,
        "npv_at_rates": None,
        "break_even_cost": pv_b,
    }
    if cost_point is not None:
        rng_effect, rng_att, rng_cost = (
            np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)
        )
        n = require_integer(n_resamples, name="n_resamples", minimum=1000)
        draws_e = rng_effect.normal(point, se, size=n) if se > 0 else np.full(n, point)
        draws_a = rng_att.uniform(*att_range, size=n) if att_range else np.full(n, att)
        draws_c = (
            rng_cost.uniform(cost_low, cost_high, size=n)
            if cost_high > cost_low
            else np.full(n, cost_point)
        )
        npv_draws = sign * draws_e * draws_a * unit_value * _annuity(rate, years) - draws_c
        at_rates = tuple(
            float(sign * point * att * unit_value * _annuity(r, years) - cost_point)
            for r in (r_low, r_high)
        )
        result = {
            "pv_costs": cost_point,
            "npv": pv_b - cost_point,
            "bcr": pv_b / cost_point if cost_point > 0 else None,
            "prob_positive": float(np.mean(npv_draws > 0)),
            "npv_ci": tuple(float(q) for q in np.quantile(npv_draws, (0.025, 0.975))),
            "npv_at_rates": at_rates,
            "break_even_cost": None,
        }
    return NetBenefit(
        currency=basis.currency,
        price_year=basis.base_year,
        monetised_by=value.id,
        value_per_unit=unit_value,
        benefit_years=years,
        pv_benefits=float(pv_b),
        discount_rate=rate,
        discount_rate_range=(r_low, r_high),
        cost_per_participant=cost_point,
        cost_range=None if cost_low is None or cost_low == cost_high else (cost_low, cost_high),
        cost_source=cost_source,
        conversions=tuple(conversions),
        n_resamples=n_resamples,
        seed=seed,
        **result,
    )


def outcome_in_base(
    effect: Any, basis: MoneyBasis | None, monetisation: Any
) -> tuple[Any, Conversion | None]:
    """``effect`` in euros of the base year when its outcome is money, else unchanged; and
    the conversion applied (``None`` when none was).

    An outcome in money (``monetisation`` names ``outcome_currency`` and
    ``outcome_price_year``: dollars of earnings of 1978) is converted like any amount, so
    that efficiency and scale-up never set dollars of one year against euros of another.
    """
    if basis is None or not monetisation or not monetisation.get("outcome_currency"):
        return effect, None
    unit = Money(1.0, monetisation["outcome_currency"], monetisation.get("outcome_price_year"))
    conversion = basis.convert(unit)
    factor = conversion.result.amount
    converted = replace(
        effect,
        value=effect.value * factor,
        std_error=effect.std_error * factor,
        ci_low=effect.ci_low * factor,
        ci_high=effect.ci_high * factor,
    )
    return converted, conversion


def cost_in_base(
    money: MoneyBasis | None,
    cost: float | Sequence[float] | None,
    currency: str,
    price_year: int | Sequence[int] | None,
) -> tuple[Any, list[Money] | None, str]:
    """The cost in the book's money: a number or a (low, high) pair, its Money, its currency.

    Without a money basis the cost is taken as given (in ``currency``, unconverted).
    """
    if money is None or cost is None:
        return cost, None, currency
    cost_money = _cost_money(cost, currency, price_year)
    amounts = sorted(money.convert(c).result.amount for c in cost_money)
    low, high = amounts[0], amounts[-1]
    return (low if low == high else (low, high)), cost_money, money.currency


def _cost_money(
    cost: float | Sequence[float], currency: str | None, price_year: int | Sequence[int] | None
) -> list[Money]:
    """The cost as Money: one amount, or a (low, high) pair, each with its price year."""
    amounts = list(cost) if isinstance(cost, Sequence) else [cost]
    if price_year is None:
        raise InputError(
            "cost_price_year is missing: say the year of the prices of cost_per_beneficiary "
            "(e.g. 1976 for dollars of 1976)"
        )
    years = list(price_year) if isinstance(price_year, Sequence) else [price_year] * len(amounts)
    if len(years) != len(amounts) or len(amounts) not in (1, 2):
        raise InputError(
            f"cost_per_beneficiary {cost!r} and cost_price_year {price_year!r} must be one "
            "amount and one year, or two amounts (low, high) with one or two years"
        )
    if currency is None:
        raise InputError("currency of the cost is missing: say it (e.g. 'USD')")
    return [Money(a, currency, y) for a, y in zip(amounts, years, strict=True)]


def report_benefit_cost(
    headline: Estimate,
    *,
    money: MoneyBasis | None,
    monetisation: Mapping[str, Any] | None,
    **given: Any,
) -> tuple[NetBenefit | None, str | None]:
    """The benefit-cost of a report, or ``None`` and the reason (French) it has none."""
    if money is None:
        return None, "non calculé : aucune base monétaire (devise, année de base) n'est donnée"
    if not monetisation or not monetisation.get("monetised_by"):
        reason = (monetisation or {}).get("monetisation_reason")
        if not reason:
            raise InputError(
                "monetisation must name the reference value that monetises the outcome "
                "(monetised_by) or say why none does (monetisation_reason)"
            )
        return None, " ".join(str(reason).split())
    outcome_currency = monetisation.get("outcome_currency")
    outcome_money = (
        (outcome_currency, monetisation.get("outcome_price_year")) if outcome_currency else None
    )
    result = benefit_cost_per_participant(
        headline,
        basis=money,
        monetised_by=monetisation["monetised_by"],
        benefit_years=monetisation.get("benefit_years", 1),
        units_per_value=monetisation.get("units_per_value", 1.0),
        outcome_money=outcome_money,
        **given,
    )
    return result, None


#: The glue names of a benefit-cost that need a cost (texts "non calculé" without one).
_COST_TEXTS = (
    "bc_pv_costs",
    "bc_npv",
    "bc_npv_ci",
    "bc_bcr",
    "bc_prob",
    "bc_npv_low_rate",
    "bc_npv_high_rate",
)
#: Every glue name :func:`benefit_cost_texts` returns, in the order of the report's text.
BENEFIT_COST_GLUE = (
    "bc_basis",
    "bc_value",
    "bc_years",
    "bc_rate",
    "bc_rate_low",
    "bc_rate_high",
    "bc_pv_benefits",
    *_COST_TEXTS,
    "bc_break_even",
    "bc_summary",
)


def benefit_cost_texts(bc: NetBenefit) -> dict[str, str]:
    """The French texts of a benefit-cost, by glue name (``bc_*`` and ``bc_summary``)."""
    pct = fmt_percent
    texts = {
        "bc_basis": f"euros de {bc.price_year}",
        "bc_value": fmt_number(bc.value_per_unit, 2 if bc.value_per_unit < 10 else 0),
        "bc_years": fmt_number(bc.benefit_years, 0),
        "bc_rate": pct(bc.discount_rate, 1),
        "bc_rate_low": pct(bc.discount_rate_range[0], 1),
        "bc_rate_high": pct(bc.discount_rate_range[1], 1),
        "bc_pv_benefits": fmt_number(bc.pv_benefits, 0),
    }
    if bc.npv is None:
        texts |= dict.fromkeys(_COST_TEXTS, "non calculé (pas de coût publié)")
        texts["bc_break_even"] = fmt_number(bc.break_even_cost, 0)
        texts["bc_summary"] = (
            f"sans coût publié, pas de bénéfice net ; les bénéfices valent "
            f"{texts['bc_pv_benefits']} euros de {bc.price_year} par bénéficiaire (au taux de "
            f"{texts['bc_rate']}), le coût maximal qu'ils couvriraient"
        )
        return texts
    texts |= {
        "bc_pv_costs": fmt_number(bc.pv_costs, 0),
        "bc_npv": fmt_number(bc.npv, 0),
        "bc_npv_ci": fmt_interval(bc.npv_ci[0], bc.npv_ci[1], 0),
        "bc_bcr": "non défini" if bc.bcr is None else fmt_number(bc.bcr, 2),
        "bc_prob": pct(bc.prob_positive, 0),
        "bc_npv_low_rate": fmt_number(bc.npv_at_rates[0], 0),
        "bc_npv_high_rate": fmt_number(bc.npv_at_rates[1], 0),
        "bc_break_even": "sans objet (coût publié)",
    }
    texts["bc_summary"] = (
        f"par bénéficiaire, {texts['bc_pv_benefits']} euros de {bc.price_year} de bénéfices "
        f"pour {texts['bc_pv_costs']} euros de coût, soit un bénéfice net de "
        f"{texts['bc_npv']} euros (intervalle {texts['bc_npv_ci']}) au taux de "
        f"{texts['bc_rate']} ; probabilité que les bénéfices dépassent les coûts : "
        f"{texts['bc_prob']}"
    )
    return texts
