"""The schema of a partner's file: a Frictionless Table Schema, read and checked (its
types are applied to a column by ``intake.casting``).

A source's schema is a YAML file (``data/schemas/<source>.yaml``) in the Frictionless
Table Schema v1 standard, which the open-data package speaks too, with three custom
properties: ``unit`` (the unit of observation, in French) at the top, and on a field
``identifier`` (``drop`` or ``pseudonymise`` a direct identifier; ``false`` says that a
column named like one, ``nom_commune`` say, is not a person's) ::

    unit: un participant à l'inclusion
    primaryKey: [participant_id]
    missingValues: [""]
    fields:
      - {name: participant_id, type: string, constraints: {required: true}}
      - {name: telephone, type: string, identifier: pseudonymise}
      - {name: age, type: integer, constraints: {minimum: 18, maximum: 99}}
      - {name: date_inclusion, type: date, format: "%d/%m/%Y"}

Types: ``string``, ``integer``, ``number``, ``boolean`` (``trueValues``/``falseValues``,
Table Schema's defaults unless declared), ``date``, ``datetime``, ``year``. Constraints:
``required``, ``unique``, ``enum``, ``minimum``, ``maximum``, ``pattern``, ``minLength``,
``maxLength``. A descriptor with anything else (a typo, a property we would silently
ignore) is refused with the file and the field named: a schema is a promise about the
data, and a misspelt one promises nothing.

Only the descriptor is Frictionless: tables are cast by ``intake.casting`` and validated by
``intake.validation`` with vectorised pandas and pyarrow, because frictionless-py checks
row by row in Python, far too slow for a million-row file. ``intake.inference`` drafts a
descriptor from a table and writes it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from impactlib.intake.errors import SchemaError

TYPES = ("string", "integer", "number", "boolean", "date", "datetime", "year")
CONSTRAINTS = ("required", "unique", "enum", "minimum", "maximum", "pattern")
CONSTRAINTS += ("minLength", "maxLength")
IDENTIFIER_ACTIONS = ("drop", "pseudonymise")
TRUE_VALUES = ("true", "True", "TRUE", "1")  # Table Schema's defaults
FALSE_VALUES = ("false", "False", "FALSE", "0")

TABLE_KEYS = ("unit", "primaryKey", "missingValues", "fields")
FIELD_KEYS = ("name", "type", "format", "identifier", "title", "description")
FIELD_KEYS += ("trueValues", "falseValues", "constraints", "rdfType")
_ORDERED = ("minimum", "maximum")
_TEXTUAL = ("pattern", "minLength", "maxLength")
_DATED = ("date", "datetime")


@dataclass(frozen=True)
class Field:
    """One column of a table schema.

    ``constraints`` holds the Table Schema constraints as declared; ``identifier`` is
    ``None``, ``"drop"`` or ``"pseudonymise"``; ``not_identifier`` is ``True`` when the
    descriptor says ``identifier: false`` (named like an identifier, but is none);
    ``true_values`` and ``false_values`` are those of a boolean field (empty otherwise).
    """

    name: str
    type: str = "string"
    format: str | None = None
    constraints: dict[str, Any] = dataclass_field(default_factory=dict)
    identifier: str | None = None
    title: str | None = None
    description: str | None = None
    true_values: tuple[str, ...] = ()
    false_values: tuple[str, ...] = ()
    not_identifier: bool = False

    @property
    def required(self) -> bool:
        """Whether a value must be present (``constraints: {required: true}``)."""
        return bool(self.constraints.get("required", False))

    @property
    def label(self) -> str:
        """The field's label for people: its title, else its description, else ``""``."""
        return self.title or self.description or ""


@dataclass(frozen=True)
class TableSchema:
    """A table's schema: its fields in order, key, missing values and unit of observation."""

    fields: tuple[Field, ...]
    primary_key: tuple[str, ...] = ()
    missing_values: tuple[str, ...] = ("",)
    unit: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        """The field names, in order."""
        return tuple(f.name for f in self.fields)

    @property
    def identifiers(self) -> tuple[Field, ...]:
        """The fields declared as direct identifiers (to drop or pseudonymise)."""
        return tuple(f for f in self.fields if f.identifier is not None)

    def field(self, name: str) -> Field:
        """The field called ``name``; ``KeyError`` naming the fields if there is none."""
        for item in self.fields:
            if item.name == name:
                return item
        raise KeyError(f"no field {name!r} in the schema; fields: {list(self.names)}")


def bound(field: Field, key: str) -> Any:
    """A field's ``minimum`` or ``maximum`` as a value comparable with its typed column.

    Numbers for integer, number and year fields; a ``Timestamp`` for dates (a string in
    the field's ``format``, an ISO date, or a date that YAML read as such).
    """
    value = field.constraints[key]
    if field.type in _DATED:
        if isinstance(value, dt.date):
            return pd.Timestamp(value)
        try:
            return pd.Timestamp(dt.datetime.strptime(str(value), field.format or "%Y-%m-%d"))
        except ValueError:
            return pd.Timestamp(str(value))
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} must be a number, not {value!r}")
    return value


def _fail(origin: str, name: str | None, problem: str) -> SchemaError:
    where = f"{origin}: field {name!r}: " if name is not None else f"{origin}: "
    return SchemaError(where + problem, column=name, rule="schema")


def _strings(value: Any, origin: str, name: str | None, key: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise _fail(origin, name, f"{key} must be a list, not {value!r}")
    if not all(isinstance(v, str) for v in value):
        raise _fail(origin, name, f"{key} must be a list of quoted texts, not {value!r}")
    return tuple(value)


def _check_enum(field: Field, enum: Any, origin: str) -> None:
    if isinstance(enum, str) or not isinstance(enum, list | tuple) or not enum:
        raise _fail(origin, field.name, f"enum must be a non-empty list, not {enum!r}")
    if field.type not in ("string", "integer", "number", "year"):
        raise _fail(origin, field.name, f"enum applies to texts and numbers, not to a {field.type}")
    if field.type == "string" and not all(isinstance(v, str) for v in enum):
        raise _fail(
            origin,
            field.name,
            f"the enum of a string field must hold texts, not {list(enum)!r}: quote "
            "them (YAML reads yes, no, on, off as booleans and 01 as a number)",
        )
    if field.type in ("integer", "year") and not all(
        isinstance(v, int) and not isinstance(v, bool) for v in enum
    ):
        raise _fail(origin, field.name, f"the enum of an integer field must hold integers: {enum}")
    if field.type == "number" and not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in enum
    ):
        raise _fail(origin, field.name, f"the enum of a number field must hold numbers: {enum}")
    if len(set(map(str, enum))) < len(enum):
        raise _fail(origin, field.name, f"the enum lists a value twice: {list(enum)!r}")


def _check_constraints(field: Field, origin: str) -> None:
    constraints = field.constraints
    unknown = sorted(set(constraints) - set(CONSTRAINTS))
    if unknown:
        raise _fail(origin, field.name, f"unknown constraint {unknown[0]!r}; known: {CONSTRAINTS}")
    for key in ("required", "unique"):
        if key in constraints and not isinstance(constraints[key], bool):
            raise _fail(origin, field.name, f"{key} must be true or false")
    if "enum" in constraints:
        _check_enum(field, constraints["enum"], origin)
    for key in _ORDERED:
        if key in constraints:
            if field.type in ("string", "boolean"):
                raise _fail(
                    origin, field.name, f"{key} applies to numbers and dates, not to a {field.type}"
                )
            try:
                bound(field, key)
            except ValueError as error:
                raise _fail(
                    origin, field.name, f"{key} {constraints[key]!r} is not a {field.type}: {error}"
                ) from None
    for key in _TEXTUAL:
        if key in constraints and field.type != "string":
            raise _fail(
                origin, field.name, f"{key} applies to string fields, not to a {field.type}"
            )
    if "pattern" in constraints:
        try:
            re.compile(str(constraints["pattern"]))
        except re.error as error:
            raise _fail(
                origin, field.name, f"pattern is not a regular expression: {error}"
            ) from None
    for key in ("minLength", "maxLength"):
        value = constraints.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise _fail(origin, field.name, f"{key} must be a whole number >= 0, not {value!r}")


def _format(entry: Mapping[str, Any], kind: str, name: str, origin: str) -> str | None:
    value = entry.get("format")
    if value in (None, "default"):
        return None
    if kind not in _DATED:
        raise _fail(origin, name, f"format {value!r} is not supported for a {kind} field")
    if value == "any" or not isinstance(value, str) or "%" not in value:
        raise _fail(
            origin,
            name,
            f"format {value!r}: declare the pattern of the dates, e.g. '%d/%m/%Y' "
            "('any' would guess which of day and month comes first)",
        )
    return value


def _identifier(entry: Mapping[str, Any], name: str, origin: str) -> tuple[str | None, bool]:
    value = entry.get("identifier")
    if value is None:
        return None, False
    if value is False:
        return None, True
    if value not in IDENTIFIER_ACTIONS:
        raise _fail(
            origin,
            name,
            f"unknown identifier action {value!r}: say drop, pseudonymise, or false "
            "(not a direct identifier)",
        )
    return value, False


def _field(entry: Any, origin: str) -> Field:
    if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
        raise _fail(origin, None, f"every field needs a name (a text): {entry!r}")
    name = entry["name"]
    unknown = sorted(set(entry) - set(FIELD_KEYS))
    if unknown:
        raise _fail(origin, name, f"unknown property {unknown[0]!r}; known: {FIELD_KEYS}")
    kind = entry.get("type", "string")
    if kind not in TYPES:
        raise _fail(origin, name, f"unknown type {kind!r}; supported: {TYPES}")
    constraints = entry.get("constraints") or {}
    if not isinstance(constraints, Mapping):
        raise _fail(origin, name, f"constraints must be a mapping, not {constraints!r}")
    flags = {}
    for key, default in (("trueValues", TRUE_VALUES), ("falseValues", FALSE_VALUES)):
        if key in entry and kind != "boolean":
            raise _fail(origin, name, f"{key} applies to boolean fields only")
        flags[key] = (
            _strings(entry.get(key, default), origin, name, key) if kind == "boolean" else ()
        )
    if set(flags["trueValues"]) & set(flags["falseValues"]):
        raise _fail(origin, name, "a value cannot be both true and false")
    identifier, not_identifier = _identifier(entry, name, origin)
    for key in ("title", "description"):
        if entry.get(key) is not None and not isinstance(entry[key], str):
            raise _fail(origin, name, f"{key} must be a text")
    result = Field(
        name=name,
        type=kind,
        format=_format(entry, kind, name, origin),
        constraints=dict(constraints),
        identifier=identifier,
        title=entry.get("title"),
        description=entry.get("description"),
        true_values=flags["trueValues"],
        false_values=flags["falseValues"],
        not_identifier=not_identifier,
    )
    _check_constraints(result, origin)
    return result


def schema_from_descriptor(descriptor: Mapping[str, Any], *, origin: str) -> TableSchema:
    """A ``TableSchema`` from a Table Schema descriptor (a mapping), checked.

    ``origin`` names where the descriptor comes from (a file) in the messages. Raises
    ``SchemaError`` naming the origin and the field for an unknown type, constraint,
    property or identifier action, an enum that is not a list, duplicate field names, a
    ``primaryKey`` naming an absent field, or a missing ``unit``.
    """
    if not isinstance(descriptor, Mapping):
        raise _fail(origin, None, "a table schema must be a mapping with fields, unit...")
    unknown = sorted(set(descriptor) - set(TABLE_KEYS))
    if unknown:
        raise _fail(origin, None, f"unknown property {unknown[0]!r}; known: {TABLE_KEYS}")
    entries = descriptor.get("fields")
    if not isinstance(entries, list) or not entries:
        raise _fail(origin, None, "fields must be a non-empty list of fields")
    fields = tuple(_field(entry, origin) for entry in entries)
    names = [f.name for f in fields]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise _fail(origin, twice[0], "duplicate field name: each column is declared once")
    key = descriptor.get("primaryKey", [])
    key = [key] if isinstance(key, str) else key
    key = _strings(key, origin, None, "primaryKey")
    for name in key:
        if name not in names:
            raise _fail(origin, name, f"primaryKey names a field the schema lacks; fields: {names}")
    unit = descriptor.get("unit")
    if not isinstance(unit, str) or not unit.strip():
        raise _fail(
            origin, None, "unit: say what one row is, in French (e.g. « un ménage enquêté »)"
        )
    missing = _strings(descriptor.get("missingValues", [""]), origin, None, "missingValues")
    return TableSchema(fields=fields, primary_key=key, missing_values=missing, unit=unit)


def read_schema(path: str | Path) -> TableSchema:
    """Read and check a Table Schema file (YAML, or JSON if it ends in ``.json``)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        descriptor = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as error:
        raise SchemaError(f"{path}: cannot read the schema: {error}", rule="schema") from None
    return schema_from_descriptor(descriptor, origin=str(path))
