"""Checks of the economic inputs (amounts, currencies, rates, ranges), each naming the
parameter at fault."""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Sequence
from typing import Any

from impactlib.core.estimate import Estimate
from impactlib.core.validation import InputError

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
