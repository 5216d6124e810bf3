"""An amount of money that always says its currency and its price year.

A cost of "8 000" means nothing until one knows in which currency and in the prices of
which year. :class:`Money` carries both, and its arithmetic refuses to mix two currencies
or two price years: converting is the job of :mod:`impactlib.appraisal.prices`, which
states every factor it uses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from impactlib.appraisal.inputs import require_currency
from impactlib.core.validation import InputError, require_integer, require_number

#: Price years the library accepts: older or later years are typos.
PRICE_YEARS = (1900, 2100)


def require_price_year(year: object, *, name: str = "price_year") -> int:
    """A price year: an integer within :data:`PRICE_YEARS`."""
    if year is None:
        raise InputError(
            f"{name} is missing: money must say the year of its prices (e.g. 1978 for "
            "dollars of 1978)"
        )
    value = require_integer(year, name=name)
    low, high = PRICE_YEARS
    if not low <= value <= high:
        raise InputError(f"{name} must be a year between {low} and {high}, got {value}")
    return value


@dataclass(frozen=True)
class Money:
    """``amount`` units of ``currency`` (ISO 4217) in the prices of ``price_year``.

    Addition and subtraction need the same currency and price year; multiplication and
    division are by a plain number only.

    Examples
    --------
    >>> Money(100.0, "USD", 1978) + Money(50.0, "USD", 1978)
    Money(amount=150.0, currency='USD', price_year=1978)
    >>> Money(100.0, "USD", 1978) + Money(50.0, "EUR", 2017)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    impactlib.core.validation.InputError: cannot add 100 USD of 1978 and 50 EUR of 2017: ...
    """

    amount: float
    currency: str
    price_year: int

    def __post_init__(self) -> None:
        amount = require_number(self.amount, name="amount")
        if not math.isfinite(amount):
            raise InputError(f"amount must be finite, got {self.amount!r}")
        if self.currency is None:
            raise InputError("currency is missing: money must say its currency (e.g. 'EUR')")
        object.__setattr__(self, "amount", amount)
        object.__setattr__(self, "currency", require_currency(self.currency))
        object.__setattr__(self, "price_year", require_price_year(self.price_year))

    def _same_basis(self, other: object, verb: str) -> Money:
        if not isinstance(other, Money):
            raise InputError(f"cannot {verb} {self} and {other!r}: both must be Money")
        if (other.currency, other.price_year) != (self.currency, self.price_year):
            raise InputError(
                f"cannot {verb} {self} and {other}: convert one first (impactlib.appraisal.prices)"
            )
        return other

    def __add__(self, other: object) -> Money:
        other = self._same_basis(other, "add")
        return Money(self.amount + other.amount, self.currency, self.price_year)

    def __sub__(self, other: object) -> Money:
        other = self._same_basis(other, "subtract")
        return Money(self.amount - other.amount, self.currency, self.price_year)

    def __mul__(self, factor: object) -> Money:
        if isinstance(factor, Money):
            raise InputError(f"cannot multiply {self} by {factor}: money times a number only")
        return Money(self.amount * require_number(factor, name="factor"), *self._basis())

    __rmul__ = __mul__

    def __truediv__(self, divisor: object) -> Money:
        if isinstance(divisor, Money):
            raise InputError(f"cannot divide {self} by {divisor}: money by a number only")
        return Money(self.amount / require_number(divisor, name="divisor"), *self._basis())

    def _basis(self) -> tuple[str, int]:
        return self.currency, self.price_year

    def __str__(self) -> str:
        return f"{self.amount:g} {self.currency} of {self.price_year}"

    def to_dict(self) -> dict[str, Any]:
        return {"amount": self.amount, "currency": self.currency, "price_year": self.price_year}


def as_money(amount: object, *, currency: object, price_year: object, name: str = "cost") -> Money:
    """A :class:`Money` from the parameters of a report, each refusal naming ``name``."""
    if currency is None:
        raise InputError(f"{name}_currency is missing: say the currency of {name} (e.g. 'EUR')")
    if price_year is None:
        raise InputError(
            f"{name}_price_year is missing: say the year of the prices of {name} (e.g. 1976)"
        )
    return Money(
        require_number(amount, name=name),
        require_currency(currency),
        require_price_year(price_year, name=f"{name}_price_year"),
    )
