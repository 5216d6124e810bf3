"""The columns of a CSV that its schema types, parsed by pyarrow as such: the table in less
memory, the same values.

Read as text, a cell costs its bytes and an offset of 8 bytes, and the text of the whole
file then lives beside the typed table while validation casts it: a French export of a
million rows and 30 columns took 4.8 times its typed size at its peak. Given the schema
(:func:`column_plan`), ``text_files`` asks pyarrow's CSV reader for typed columns where
that changes no value:

- a ``number`` field is parsed as float64 with the file's decimal mark. Pyarrow's parser
  is the one the exact cast (``casting``) ends in, and it reads nothing that cast refuses
  but the values that are not finite (``inf``, ``nan``): a column holding one, or a cell
  pyarrow refuses (spaces between thousands, a point with a decimal comma, a word), is
  parsed again as text, and validation casts it cell by cell and names the cell at fault.
  After :data:`DEMOTIONS` such columns, every number column is read as text (each attempt
  parses the whole file again).
- ``integer``, ``year``, ``boolean``, ``date`` and ``datetime`` fields, and ``string``
  fields with an ``enum``, are read as dictionary-encoded text, a pandas categorical: four
  bytes a cell and each distinct text once. Validation casts the distinct texts by the
  exact rules (``casting.cast_field``) and spreads them by the codes, so that the cells
  and the messages are those of the text. (Pyarrow's own integers would read ``0x1F`` as
  31 where the exact cast refuses it; its dates have their own parser.)
- any other field (free text, identifiers), and a column the schema lacks, as text.

With a schema, the schema's ``missingValues`` are read as missing in every column, as
validation would read them; an empty field is missing in any case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from impactlib.intake.schema import TableSchema

DEMOTIONS = 2  # number columns read again as text one at a time; beyond, all of them
_CATEGORY_TYPES = ("integer", "year", "boolean", "date", "datetime")
_CATEGORY = pa.dictionary(pa.int32(), pa.large_string())
_CONVERSION = re.compile(r"In CSV column #(\d+): CSV conversion error")


@dataclass(frozen=True)
class ColumnPlan:
    """How to parse the columns of a CSV: which as numbers, which as categories (by
    name), and the texts that mean missing."""

    numbers: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    missing_values: tuple[str, ...] = ()


def column_plan(schema: TableSchema) -> ColumnPlan:
    """The plan the schema gives (see the module docstring)."""
    numbers = {f.name for f in schema.fields if f.type == "number"}
    categories = {
        f.name
        for f in schema.fields
        if f.type in _CATEGORY_TYPES or (f.type == "string" and "enum" in f.constraints)
    }
    return ColumnPlan(frozenset(numbers), frozenset(categories), schema.missing_values)


def arrow_types(
    names: list[str], plan: ColumnPlan | None, demoted: set[str]
) -> dict[str, pa.DataType]:
    """The types to ask pyarrow for, by the parser's column names (``f0``, ``f1``...), the
    columns in ``demoted`` as text; every number column as text beyond :data:`DEMOTIONS`."""
    if plan is None:
        return {}
    numbers = plan.numbers - demoted if len(demoted) <= DEMOTIONS else frozenset()
    types = {}
    for position, name in enumerate(names):
        if name in numbers:
            types[f"f{position}"] = pa.float64()
        elif name in plan.categories:
            types[f"f{position}"] = _CATEGORY
    return types


def null_values(plan: ColumnPlan | None) -> list[str]:
    """The texts pyarrow reads as missing: an empty field, and the plan's missing values."""
    listed = [] if plan is None else [value for value in plan.missing_values if value]
    return ["", *listed]


def refused_number(error: pa.ArrowInvalid, names: list[str], types: dict) -> str | None:
    """The number column whose cell pyarrow's parser refused, if that is the error."""
    match = _CONVERSION.search(str(error))
    if match is None or types.get(f"f{match[1]}") != pa.float64():
        return None
    return names[int(match[1])]


def not_finite(table: pa.Table, names: list[str], types: dict) -> list[str]:
    """The number columns of a parsed table that hold an infinite value or a NaN."""
    found = []
    for position, name in enumerate(names):
        if types.get(f"f{position}") == pa.float64():
            if pc.all(pc.is_finite(table.column(position))).as_py() is False:
                found.append(name)
    return found
