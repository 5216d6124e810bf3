"""Cost-effectiveness: cost per beneficiary, effect per 1 000 euros and cost per unit of
effect."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from impactlib.appraisal.inputs import effect_parts, plain_dict, require_amount, require_currency
from impactlib.core.estimate import Estimate
from impactlib.core.validation import require_flag, require_integer, require_positive, require_text


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
    cost = require_amount(total_cost, name="total_cost")
    people = require_integer(beneficiaries, name="beneficiaries", minimum=1)
    return cost / people


NO_COST_REASON = (
    "Non applicable : l'innovation n'a pas de coût par bénéficiaire (une règle plutôt qu'un "
    "programme financé)."
)


def cost_per_unit_reason(
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


def inverse_interval(
    numerator: float, low: float, high: float, *, higher_is_better: bool
) -> tuple[float, float]:
    """The interval of ``numerator / gain`` for a gain within ``[low, high]``.

    The gain is counted in the beneficial direction (its opposite when lower is better);
    the map is decreasing on positive gains, so the high end of the gain gives the low end
    of the ratio. Only called when the whole interval lies on the beneficial side.
    """
    sign = 1.0 if higher_is_better else -1.0
    b_low, b_high = sorted((sign * low, sign * high))
    return numerator / b_high, numerator / b_low


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
        return plain_dict(asdict(self))

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
    value, _, ci_low, ci_high, alpha = effect_parts(effect)
    cost = require_positive(cost_per_beneficiary, name="cost_per_beneficiary")
    up = require_flag(higher_is_better, name="higher_is_better")
    unit = require_text(effect_unit, name="effect_unit")
    currency = require_currency(currency)

    reason = cost_per_unit_reason(value, ci_low, ci_high, alpha, up)
    per_unit = per_unit_low = per_unit_high = None
    if reason is None:
        per_unit = cost / ((1.0 if up else -1.0) * value)
        if ci_low is not None and ci_high is not None:
            per_unit_low, per_unit_high = inverse_interval(
                cost, ci_low, ci_high, higher_is_better=up
            )

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
