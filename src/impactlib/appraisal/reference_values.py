"""Reference values (shadow prices) that turn an outcome into money.

The table is ``data/reference/values.yaml``: each value has an id, a French label, the unit
of outcome it prices, an amount with its currency and price year, and a source (a key of
``book/references.bib``). A value whose currency is ``null`` prices an outcome that is money
already (earnings): one unit of the outcome's own currency, whose year the report gives.

A source may publish a monthly amount for a unit of a year (the minimum wage per month, for a
year in employment): the entry then gives ``monthly_amount``, the figure as published, and the
amount per unit is twelve times it, computed here rather than typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from impactlib.appraisal.money import Money
from impactlib.core.validation import InputError, require_number, require_text

MONTHS_PER_YEAR = 12


def _monthly_amount(entry: Mapping[str, Any], key: str, path: Path) -> float | None:
    """The published monthly figure of ``entry``, or None; refused alongside ``amount``."""
    if "monthly_amount" not in entry:
        return None
    if "amount" in entry:
        raise InputError(
            f"{path}: value {key!r} gives both amount and monthly_amount: keep the figure "
            "as the source publishes it (the yearly amount is computed from the monthly one)"
        )
    return require_number(entry["monthly_amount"], name=f"{key}.monthly_amount")


@dataclass(frozen=True)
class ReferenceValue:
    """One shadow price: ``amount`` per ``unit`` of outcome."""

    id: str
    label: str
    unit: str
    amount: float
    currency: str | None
    price_year: int | None
    source: str | None
    note: str = ""
    monthly_amount: float | None = None  # the published monthly figure, when there is one

    @property
    def is_money_outcome(self) -> bool:
        """True for an outcome that is money already (its currency comes from the report)."""
        return self.currency is None

    def money(self, *, currency: str | None = None, price_year: int | None = None) -> Money:
        """The value as :class:`Money`; an outcome in money takes the report's basis."""
        if self.is_money_outcome:
            if currency is None or price_year is None:
                raise InputError(
                    f"reference value {self.id!r} prices an outcome that is money: give the "
                    "outcome's currency and price year (outcome_currency, outcome_price_year)"
                )
            return Money(self.amount, currency, price_year)
        return Money(self.amount, self.currency, self.price_year)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "unit": self.unit,
            "amount": self.amount,
            "currency": self.currency,
            "price_year": self.price_year,
            "source": self.source,
            "note": self.note,
            "monthly_amount": self.monthly_amount,
        }


@dataclass(frozen=True)
class ReferenceValues:
    """The table of reference values, by id, and the values searched for and not found."""

    values: Mapping[str, ReferenceValue]
    not_found: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: str | Path) -> ReferenceValues:
        """Read the table (the project passes ``data/reference/values.yaml``)."""
        path = Path(path)
        if not path.is_file():
            raise InputError(f"reference value table {path} does not exist")
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        entries = data.get("values")
        if not isinstance(entries, dict) or not entries:
            raise InputError(f"{path}: no 'values' mapping")
        values = {}
        for key, entry in entries.items():
            try:
                monthly = _monthly_amount(entry, key, path)
                values[key] = ReferenceValue(
                    id=key,
                    label=require_text(entry["label"], name=f"{key}.label"),
                    unit=require_text(entry["unit"], name=f"{key}.unit"),
                    amount=(
                        MONTHS_PER_YEAR * monthly
                        if monthly is not None
                        else require_number(entry["amount"], name=f"{key}.amount")
                    ),
                    currency=entry.get("currency"),
                    price_year=entry.get("price_year"),
                    source=entry.get("source"),
                    note=" ".join(str(entry.get("note") or "").split()),
                    monthly_amount=monthly,
                )
            except KeyError as exc:
                raise InputError(f"{path}: value {key!r} lacks field {exc.args[0]!r}") from exc
            if (values[key].currency is None) != (values[key].price_year is None):
                raise InputError(f"{path}: value {key!r} needs both currency and price_year")
        return cls(values=values, not_found=tuple(data.get("not_found") or ()))

    def get(self, value_id: str) -> ReferenceValue:
        """The value ``value_id``; an undeclared id is refused with the list of known ones."""
        if value_id not in self.values:
            raise InputError(
                f"monetised_by {value_id!r} is not a declared reference value "
                f"(data/reference/values.yaml has: {', '.join(sorted(self.values))})"
            )
        return self.values[value_id]
