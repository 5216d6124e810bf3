"""Scale-up projection: beneficiaries, total cost and total effect of an innovation extended
to a population, with a seeded Monte Carlo interval."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from impactlib.appraisal.costs import NO_COST_REASON, _not_defined_reason
from impactlib.appraisal.inputs import (
    MIN_DRAWS,
    _currency,
    _effect_parts,
    _flag,
    _label,
    _number,
    _positive_integer,
    _range_or_number,
    _to_plain,
)
from impactlib.core.estimate import Estimate
from impactlib.core.validation import InputError, require_probability

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
