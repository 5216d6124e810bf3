"""A draft Table Schema inferred from a partner's table, for the partner to check.

``infer_schema`` proposes what the values say: each column's type (text that all parses
as integers, numbers, dates in the usual French formats...), ``required`` where no value
is missing, an ``enum`` for a text column of a few repeated values, a primary key when
one column named like an id is unique, and ``identifier: drop`` for every column that
looks like a direct identifier by its name or its content. It copies no individual
value into the draft (a file for git): no minimum, maximum or example, no enum of an
identifier or of a value seen once. The partner completes the unit and checks every
line; ``write_schema`` writes it, keys in a fixed order, under a header saying so.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from impactlib.intake.casting import Cast, cast_field, flags
from impactlib.intake.identifiers import PATTERN_KINDS, identifier_kind_of_name
from impactlib.intake.schema import (
    CONSTRAINTS,
    FALSE_VALUES,
    FIELD_KEYS,
    TABLE_KEYS,
    TRUE_VALUES,
    Field,
    schema_from_descriptor,
)
from impactlib.intake.validation import find_identifier_rows

PLACEHOLDER_UNIT = "[À compléter : l'unité d'observation]"
MAX_ENUM = 12
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")
DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M:%S")
DATETIME_FORMATS += ("%d/%m/%Y %H:%M",)
ID_NAMES = frozenset({"id", "identifiant", "ident", "numero", "num", "matricule"})
_KINDS_FR = {
    "personal name": "nom de personne",
    "e-mail address": "adresse électronique",
    "telephone number": "numéro de téléphone",
    "social security number": "NIR (numéro de sécurité sociale)",
    "social security number (NIR)": "NIR (numéro de sécurité sociale)",
    "postal address": "adresse postale",
}
HEADER = """\
# Schéma de table (Frictionless Table Schema) : VÉRIFIEZ CHAQUE LIGNE avant usage.
# Table schema (Frictionless Table Schema): CHECK EVERY LINE before use.
#
# - unit : l'unité d'observation (ce que représente une ligne du fichier).
# - type, format : le type de chaque colonne ; format des dates, ex. "%d/%m/%Y".
# - constraints : required (jamais vide), enum (valeurs permises), minimum, maximum...
# - identifier : drop (supprimer la colonne) ou pseudonymise (la remplacer par un
#   pseudonyme, pour relier des fichiers) pour tout identifiant direct (nom, téléphone,
#   courriel, NIR, adresse) ; false si une colonne nommée comme tel n'en est pas un.
# Ce fichier ne doit contenir aucune valeur individuelle des données.
# This file must hold no individual value of the data.
"""
_MISSING = ("",)
_HEAD = 1000


def _plain_text(text: object) -> str:
    """Lower case without accents: the sort key of French words, the tokens of a name."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def _named_like_an_id(name: str) -> bool:
    tokens = [t for t in re.split(r"[^a-z0-9]+", _plain_text(name)) if t]
    return bool(set(tokens) & ID_NAMES)


def _candidates(series: pd.Series, text: pd.Series) -> list[Field]:
    """The fields to try on a column, the most specific first (``text``: as strings)."""
    name = str(series.name)
    boolean = Field(name, "boolean", true_values=TRUE_VALUES, false_values=FALSE_VALUES)
    if pd.api.types.is_datetime64_any_dtype(series):
        return [Field(name, "date"), Field(name, "datetime")]
    if pd.api.types.is_bool_dtype(series):
        return [boolean]
    fields = []
    if not flags(text.str.contains("^ *[+-]?0[0-9]", regex=True)).any():
        fields += [Field(name, "integer"), Field(name, "number")]  # "01000" is a code
    fields += [Field(name, "date", format=f) for f in DATE_FORMATS]
    fields += [Field(name, "datetime", format=f) for f in DATETIME_FORMATS]
    return [*fields, boolean]


def _typed(series: pd.Series, decimal: str) -> tuple[Field, Cast]:
    """The first candidate field every value of the column fits, and the column cast.

    Each candidate is tried on the first rows before the whole column, so that a text
    column does not pay for every type it is not.
    """
    string = Field(str(series.name), "string")
    text = cast_field(series, string, missing_values=_MISSING)
    if text.missing.all():
        return string, text
    head = series.iloc[:_HEAD]
    for field in _candidates(series, text.values):
        if cast_field(head, field, missing_values=_MISSING, decimal=decimal).bad.any():
            continue
        cast = cast_field(series, field, missing_values=_MISSING, decimal=decimal)
        if not cast.bad.any():
            return field, cast
    return string, text


def _enum(series: pd.Series, cast: Cast) -> list[Any] | None:
    """A few repeated texts: the allowed values (the categories' order, or sorted)."""
    present = cast.values[~cast.missing]
    counts = present.value_counts()
    if not 1 <= len(counts) <= MAX_ENUM or counts.min() < 2:  # a value seen once: no copy
        return None
    if isinstance(series.dtype, pd.CategoricalDtype):
        order = [str(c) for c in series.cat.categories]
        return [c for c in order if c in counts.index]
    return sorted((str(v) for v in counts.index), key=lambda v: (_plain_text(v), v))


def _identifier_kind(series: pd.Series, cast: Cast) -> tuple[str, str] | None:
    """How a column looks like a direct identifier: (by what, the kind in French)."""
    kind = identifier_kind_of_name(series.name)
    if kind is not None:
        return "nom de la colonne", _KINDS_FR[kind]
    values = cast.values if pd.api.types.is_integer_dtype(cast.values) else series
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(values.cat.categories.dtype)
    found = find_identifier_rows(values.where(~cast.missing), kinds=PATTERN_KINDS, limit=1)
    return None if found is None else ("contenu", _KINDS_FR[found[0]])


def _entry(
    series: pd.Series, field: Field, cast: Cast, labels: Mapping[str, str]
) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": field.name, "type": field.type}
    if field.format:
        entry["format"] = field.format
    if field.name in labels:
        entry["title"] = labels[field.name]
    constraints: dict[str, Any] = {}
    if not cast.missing.any():
        constraints["required"] = True
    identifier = _identifier_kind(series, cast)
    if identifier is not None:
        entry["identifier"] = "drop"
        entry["description"] = (
            f"À vérifier : identifiant direct probable ({identifier[0]} : {identifier[1]}). "
            "Choisir identifier: drop (supprimer la colonne) ou pseudonymise (la remplacer "
            "par un pseudonyme à clé, pour relier des fichiers)."
        )
    elif field.type == "string":
        enum = _enum(series, cast)
        if enum is not None:
            constraints["enum"] = enum
    if constraints:
        entry["constraints"] = constraints
    return entry


def infer_schema(
    frame: pd.DataFrame, *, labels: Mapping[str, str] | None = None, decimal: str = "."
) -> dict[str, Any]:
    """A DRAFT Table Schema descriptor of a table, for the partner to check and complete.

    Parameters
    ----------
    frame : DataFrame
        The table as read (text, typed, or both); missing values are NA or ``""``.
    labels : mapping of str to str, optional
        A label per column (a questionnaire's wording), written as the field's ``title``.
    decimal : {".", ","}
        The decimal mark of numbers written as text.

    Returns
    -------
    dict
        A descriptor for ``write_schema``: ``unit`` to complete, ``primaryKey`` when
        exactly one unique column without missing values is named like an id (``id``,
        ``*_id``, ``identifiant``, ``numero``...), ``missingValues: [""]`` and the fields
        in the frame's order, direct identifiers marked ``identifier: drop`` with a
        description asking the partner to choose ``drop`` or ``pseudonymise``.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"id": ["1", "2"], "courriel": ["a@b.fr", "c@d.fr"]})
    >>> [(f["name"], f["type"], f.get("identifier")) for f in infer_schema(frame)["fields"]]
    [('id', 'integer', None), ('courriel', 'string', 'drop')]
    """
    labels = dict(labels or {})
    fields, keys = [], []
    for name in frame.columns:
        series = frame[name].rename(str(name))
        field, cast = _typed(series, decimal)
        entry = _entry(series, field, cast, labels)
        fields.append(entry)
        unique = not cast.missing.any() and not cast.values.duplicated().any()
        if unique and "identifier" not in entry and _named_like_an_id(field.name):
            keys.append(field.name)
    descriptor: dict[str, Any] = {"unit": PLACEHOLDER_UNIT}
    if len(keys) == 1:
        descriptor["primaryKey"] = keys
    descriptor["missingValues"] = list(_MISSING)
    descriptor["fields"] = fields
    return descriptor


def ordered_descriptor(descriptor: Mapping[str, Any]) -> dict[str, Any]:
    """The descriptor with its keys in the house order: table, then each field's."""

    def ordered(entry: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
        known = {k: entry[k] for k in keys if k in entry}
        return known | {k: entry[k] for k in sorted(entry, key=str) if k not in known}

    result = ordered(descriptor, TABLE_KEYS)
    fields = []
    for entry in descriptor.get("fields", []):
        item = ordered(entry, FIELD_KEYS)
        if "constraints" in item:
            item["constraints"] = ordered(item["constraints"], CONSTRAINTS)
        fields.append(item)
    if "fields" in result:
        result["fields"] = fields
    return result


class _Flow(dict):
    """A mapping written on one line: ``constraints: {required: true}``."""


class _Dumper(yaml.SafeDumper):
    """Block style, but lists of plain values and constraints on one line."""

    def represent_list(self, data: Any) -> yaml.Node:
        flow = all(not isinstance(v, dict | list) for v in data)
        return self.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _Dumper.represent_list)
_Dumper.add_representer(
    _Flow, lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data, True)
)


def write_schema(descriptor: Mapping[str, Any], path: str | Path) -> None:
    """Write a descriptor as YAML, keys in a fixed order, under a header for the partner.

    The descriptor is checked first (``schema_from_descriptor``): a file written here
    can be read back. The header (French and English) asks the partner to check every
    line, and says what the custom properties mean.
    """
    path = Path(path)
    schema_from_descriptor(descriptor, origin=str(path))
    ordered = ordered_descriptor(descriptor)
    for entry in ordered.get("fields", []):
        if "constraints" in entry:
            entry["constraints"] = _Flow(entry["constraints"])
    body = yaml.dump(ordered, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=88)
    path.write_text(HEADER + body, encoding="utf-8")
