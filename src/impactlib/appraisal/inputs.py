"""Checks of the economic inputs that only money has (currencies, amounts, discount rates),
and the shapes the economics accept (an effect as an Estimate or a number, a number or a
range). Generic checks (numbers, integers, shares, ranges) are those of
:mod:`impactlib.core.validation`; every message names the parameter at fault."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from impactlib.core.estimate import Estimate
from impactlib.core.validation import (
    InputError,
    require_in_range,
    require_non_negative,
    require_number,
)

#: Accepted range of the annual discount rate, as a fraction (0.045 for 4.5 %). Public
#: guides use real rates of a few percent a year; a rate above 20 % a year makes anything
#: beyond a few years worthless and, in practice, betrays a percentage typed where a
#: fraction is expected (4.5 instead of 0.045). Negative rates are out of scope.
DISCOUNT_RATE_RANGE = (0.0, 0.2)


_CURRENCY = re.compile(r"^[A-Z]{3}$")


def require_currency(currency: object) -> str:
    """An ISO 4217 code (three capital letters)."""
    if not isinstance(currency, str) or not _CURRENCY.match(currency):
        raise InputError(f"currency must be an ISO 4217 code such as 'EUR', got {currency!r}")
    return currency


def require_amount(value: object, *, name: str) -> float:
    """A cost or a count of people: a finite number >= 0."""
    return require_non_negative(value, name=name, hint=" (a cost or a count cannot be negative)")


def require_discount_rate(rate: object) -> float:
    """A yearly discount rate, as a fraction within :data:`DISCOUNT_RATE_RANGE`."""
    low, high = DISCOUNT_RATE_RANGE
    return require_in_range(
        rate, name="discount_rate", low=low, high=high, hint=" (a yearly fraction: 0.045 for 4.5 %)"
    )


def effect_parts(effect: object) -> tuple[float, float, float | None, float | None, float | None]:
    """(value, std_error, ci_low, ci_high, alpha) of an Estimate or of a bare number."""
    if isinstance(effect, Estimate):
        return effect.value, effect.std_error, effect.ci_low, effect.ci_high, effect.alpha
    return require_number(effect, name="effect"), 0.0, None, None, None


def number_or_range(
    value: object, *, name: str, low: float, high: float | None, include_low: bool = True
) -> tuple[float, tuple[float, float] | None]:
    """A number, or a ``(low, high)`` range to be drawn uniformly; returns (point, range).

    The point of a range is its midpoint; a range whose ends are equal is a number.
    """

    def check(number: object, label: str) -> float:
        return require_in_range(number, name=label, low=low, high=high, include_low=include_low)

    if isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) != 2:
            raise InputError(f"{name} range must be a pair (low, high), got {value!r}")
        lo, hi = check(value[0], f"{name} low"), check(value[1], f"{name} high")
        if lo > hi:
            raise InputError(f"{name} range ({lo}, {hi}) has low above high")
        if lo == hi:
            return lo, None
        return (lo + hi) / 2, (lo, hi)
    return check(value, name), None


def plain_dict(data: dict[str, Any]) -> dict[str, Any]:
    """Tuples to lists so that ``to_dict()`` equals its own JSON round trip."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}
