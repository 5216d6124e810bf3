"""Scale-up projection: beneficiaries, total cost and total effect of an innovation extended
to a population, with a seeded Monte Carlo interval."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from impactlib.appraisal.costs import NO_COST_REASON, cost_per_unit_reason, inverse_interval
from impactlib.appraisal.inputs import (
    effect_parts,
    number_or_range,
    plain_dict,
    require_currency,
)
from impactlib.core.estimate import Estimate
from impactlib.core.validation import (
    require_flag,
    require_in_range,
    require_integer,
    require_probability,
    require_text,
)

#: Smallest number of Monte Carlo draws: below it a 95 % percentile interval rests on a
#: handful of draws in each tail.
MIN_RESAMPLES = 1_000


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
    n_resamples: int
    seed: int
    method: str

    def to_dict(self) -> dict[str, Any]:
        return plain_dict(asdict(self))

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
        lines.append(f"  {self.n_resamples} Monte Carlo draws, seed {self.seed}")
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
    n_resamples: int = 10_000,
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
    n_resamples : int, default 10000
        Monte Carlo draws, at least :data:`MIN_RESAMPLES`.
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
    x = _checked_inputs(
        effect,
        target_population=target_population,
        take_up=take_up,
        cost_per_beneficiary=cost_per_beneficiary,
        attenuation=attenuation,
        higher_is_better=higher_is_better,
        effect_unit=effect_unit,
        currency=currency,
        n_resamples=n_resamples,
        seed=seed,
        alpha=alpha,
    )
    has_cost = x["cost_per_beneficiary"] is not None
    # Without a cost, a neutral cost of 1 keeps the formulas; its results are set to None.
    cost = x["cost_per_beneficiary"] if has_cost else 1.0
    effect_draws, take_up_draws, cost_draws = _draws(x, cost)
    points = _totals(x["target_population"], x["take_up"], cost, x["effect"], x["attenuation"])
    drawn = _totals(
        x["target_population"], take_up_draws, cost_draws, effect_draws, x["attenuation"]
    )
    results: dict[str, Any] = {}
    for name, point, draws in zip(_TOTALS, points, drawn, strict=True):
        low, high = _percentile_interval(draws, x["alpha"])
        results |= {name: point, f"{name}_ci_low": low, f"{name}_ci_high": high}
    if has_cost:
        results |= _cost_per_unit(
            x, results["impact_per_1000_ci_low"], results["impact_per_1000_ci_high"]
        )
    else:
        results |= dict.fromkeys(_COST_FIELDS) | {"cost_per_unit_reason": NO_COST_REASON}
    return ScaleUpProjection(**x, **results, method=_method(x))


#: What :func:`_totals` computes, in its order; each has a percentile interval.
_TOTALS = ("beneficiaries", "total_cost", "total_effect", "impact_per_1000")


#: The fields that are None when the innovation has no cost per beneficiary.
_COST_FIELDS = tuple(
    f"{name}{end}"
    for name in ("total_cost", "impact_per_1000", "cost_per_unit")
    for end in ("", "_ci_low", "_ci_high")
)


def _checked_inputs(effect: Estimate | float, **given: Any) -> dict[str, Any]:
    """Every argument of :func:`scale_up_projection` checked, each refusal naming it.

    Keys are the fields of :class:`ScaleUpProjection` that record the inputs;
    ``cost_per_beneficiary`` is None for an innovation without cost.
    """
    value, std_error, _, _, _ = effect_parts(effect)
    population = require_integer(given["target_population"], name="target_population", minimum=1)
    take_up, take_up_range = number_or_range(given["take_up"], name="take_up", low=0.0, high=1.0)
    cost, cost_range = None, None
    if given["cost_per_beneficiary"] is not None:
        cost, cost_range = number_or_range(
            given["cost_per_beneficiary"],
            name="cost_per_beneficiary",
            low=0.0,
            high=None,
            include_low=False,
        )
    return {
        "effect": value,
        "effect_std_error": std_error,
        "target_population": population,
        "take_up": take_up,
        "take_up_range": take_up_range,
        "cost_per_beneficiary": cost,
        "cost_range": cost_range,
        "attenuation": require_in_range(
            given["attenuation"], name="attenuation", low=0, high=1, include_low=False
        ),
        "higher_is_better": require_flag(given["higher_is_better"], name="higher_is_better"),
        "effect_unit": require_text(given["effect_unit"], name="effect_unit"),
        "currency": require_currency(given["currency"]),
        "n_resamples": require_integer(
            given["n_resamples"], name="n_resamples", minimum=MIN_RESAMPLES
        ),
        "seed": require_integer(given["seed"], name="seed", minimum=0),
        "alpha": require_probability(given["alpha"], name="alpha"),
    }


def _draws(x: dict[str, Any], cost: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draws of the effect, the take-up and the cost, each from its own stream of ``seed``.

    A quantity given as a number is constant across draws; the effect draws do not change
    when a range is given for the take-up or the cost.
    """
    n = x["n_resamples"]
    effect_rng, take_up_rng, cost_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(x["seed"]).spawn(3)
    )

    def uniform(rng: np.random.Generator, point: float, bounds: tuple | None) -> np.ndarray:
        return np.full(n, point) if bounds is None else rng.uniform(*bounds, size=n)

    return (
        effect_rng.normal(x["effect"], x["effect_std_error"], size=n),
        uniform(take_up_rng, x["take_up"], x["take_up_range"]),
        uniform(cost_rng, cost, x["cost_range"]),
    )


def _totals(population: int, take_up: Any, cost: Any, effect: Any, attenuation: float) -> tuple:
    """Beneficiaries, total cost, total effect and impact per 1 000 (numbers or arrays).

    One function for the point and for the draws: the same operations in the same order,
    so that with no uncertainty the interval equals the point exactly.
    """
    beneficiaries = population * take_up
    return (
        beneficiaries,
        beneficiaries * cost,
        beneficiaries * effect * attenuation,
        effect * attenuation * 1000.0 / cost,
    )


def _percentile_interval(draws: np.ndarray, alpha: float) -> tuple[float, float]:
    low, high = np.quantile(draws, (alpha / 2, 1 - alpha / 2))
    return float(low), float(high)


def _cost_per_unit(x: dict[str, Any], impact_low: float, impact_high: float) -> dict[str, Any]:
    """Cost per unit of improvement, its interval, and the reason when it is not defined.

    The interval maps the percentile interval of the impact per 1 000 (effect per cost,
    well behaved) through ``x -> 1000 / x``.
    """
    up, value = x["higher_is_better"], x["effect"]
    reason = cost_per_unit_reason(
        value, impact_low, impact_high, x["alpha"], up, interval="de simulation"
    )
    fields = dict.fromkeys(("cost_per_unit", "cost_per_unit_ci_low", "cost_per_unit_ci_high"))
    if reason is None:
        per_unit = x["cost_per_beneficiary"] / ((1.0 if up else -1.0) * value * x["attenuation"])
        low, high = inverse_interval(1000.0, impact_low, impact_high, higher_is_better=up)
        fields = {
            "cost_per_unit": per_unit,
            "cost_per_unit_ci_low": low,
            "cost_per_unit_ci_high": high,
        }
    return fields | {"cost_per_unit_reason": reason}


def _method(x: dict[str, Any]) -> str:
    uncertain = ["effect ~ normal(value, std_error)"]
    if x["take_up_range"] is not None:
        uncertain.append("take-up ~ uniform range")
    if x["cost_range"] is not None:
        uncertain.append("cost ~ uniform range")
    return (
        f"Monte Carlo scale-up projection, {x['n_resamples']} draws ({'; '.join(uncertain)}), "
        f"{1 - x['alpha']:.0%} percentile intervals"
    )
