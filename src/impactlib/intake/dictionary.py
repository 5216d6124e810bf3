"""The data dictionary of a partner's table: one row per variable, no individual value.

For each field of the schema: its name, type (in French), label, allowed values (from
the schema: the enum, the range, the pattern), and two counts, of missing and of
distinct values. No minimum, maximum or example taken from the data: the dictionary is
published with the study, the data are not. A direct identifier shows only its fate
(``identifiant direct (supprimé)`` or ``(pseudonymisé)``) and its count of missing values.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from impactlib.intake.casting import missing_mask
from impactlib.intake.errors import SchemaError
from impactlib.intake.schema import Field, TableSchema

TYPE_LABELS = {
    "string": "texte",
    "integer": "entier",
    "number": "nombre",
    "boolean": "booléen",
    "date": "date",
    "datetime": "date et heure",
    "year": "année",
}
ACTION_LABELS = {"drop": "supprimé", "pseudonymise": "pseudonymisé"}
COLUMNS = ("variable", "type", "label", "allowed values", "missing", "distinct")


def _french(value: object) -> str:
    """A bound of the schema as French writes it: 1 500,5; a date as 31/12/2024."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    text = f"{value:,}".replace(",", "\u202f").replace(".", ",")
    return text


def allowed_values(field: Field) -> str:
    """What the schema allows in a field, in French: enum, range, pattern, lengths."""
    constraints = field.constraints
    parts = []
    if "enum" in constraints:
        parts.append(" ; ".join(str(v) for v in constraints["enum"]))
    if field.type == "boolean":
        parts.append(
            f"vrai : {', '.join(field.true_values)} ; faux : {', '.join(field.false_values)}"
        )
    low, high = constraints.get("minimum"), constraints.get("maximum")
    if low is not None and high is not None:
        parts.append(f"de {_french(low)} à {_french(high)}")
    elif low is not None:
        parts.append(f"au moins {_french(low)}")
    elif high is not None:
        parts.append(f"au plus {_french(high)}")
    if "pattern" in constraints:
        parts.append(f"motif {constraints['pattern']}")
    if "minLength" in constraints or "maxLength" in constraints:
        shortest, longest = constraints.get("minLength", 0), constraints.get("maxLength", "…")
        parts.append(f"de {shortest} à {longest} caractères")
    if field.format:
        parts.append(f"format {field.format}")
    return " ; ".join(parts)


def data_dictionary(
    frame: pd.DataFrame, schema: TableSchema, *, labels: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """The data dictionary of a table: a row per field, counts but no individual value.

    Parameters
    ----------
    frame : DataFrame
        The table, best as ``validate`` returns it (distinct values are then counted on
        typed values: ``1,50`` and ``1,5`` are one number).
    schema : TableSchema
        Its schema; the fields' order is the dictionary's.
    labels : mapping of str to str, optional
        A label per variable, before the field's title or description.

    Returns
    -------
    DataFrame
        Columns ``variable``, ``type`` (in French), ``label``, ``allowed values`` (the
        schema's enum, range, pattern, format), ``missing`` and ``distinct`` (counts,
        nullable integers). A direct identifier reads ``identifiant direct (supprimé)``
        or ``(pseudonymisé)``, with its count of missing values only.
    """
    labels = dict(labels or {})
    rows = []
    for field in schema.fields:
        if field.name not in frame.columns:
            raise SchemaError(
                f"column {field.name!r}, rule 'missing column': the schema declares it but "
                f"the table has no such column; its columns are {list(frame.columns)}",
                column=field.name,
                rule="missing column",
            )
        series = frame[field.name]
        missing = missing_mask(series, schema.missing_values)
        row = {
            "variable": field.name,
            "type": TYPE_LABELS[field.type],
            "label": labels.get(field.name) or field.label,
            "allowed values": allowed_values(field),
            "missing": int(missing.sum()),
            "distinct": int(series[~missing].nunique()),
        }
        if field.identifier is not None:
            action = ACTION_LABELS[field.identifier]
            row |= {"type": f"identifiant direct ({action})", "allowed values": ""}
            row["distinct"] = pd.NA
        rows.append(row)
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    return table.astype({"missing": "Int64", "distinct": "Int64"})
