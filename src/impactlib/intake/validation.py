"""A partner's table checked against its Table Schema, with vectorised pandas.

``validate`` casts each column to its declared type and checks its constraints, then the
primary key, then that no column holds a direct identifier the schema does not declare.
It raises ``SchemaError`` on the first rule broken, naming the source, the column, the
rule, the first rows as the partner numbers them and (never for an identifier) a few
offending values, and says how to fix it.

Why not frictionless-py, whose descriptor we use: it validates row by row in Python, a
minute or more for a million rows; each check here is one pandas or pyarrow operation on
the whole column, a CSV's text cast by pyarrow when it casts cleanly (``arrow_text``), and
the columns of a long table are checked several at once in threads (1 million rows x 30
columns in about half a second on two cores). The only Python calls per cell are
``find_identifier`` on the few cells a vectorised pre-filter flags (numbers only when
in the ranges a NIR takes: ``hidden_identifiers``), and the type test of the cells of an
object column mixing text and typed cells (Excel).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from impactlib.core.validation import plain
from impactlib.intake.arrow_text import enum_codes, has_duplicates
from impactlib.intake.casting import Cast, cast_field, flags
from impactlib.intake.errors import SchemaError
from impactlib.intake.hidden_identifiers import identifier_labels, nir_positions
from impactlib.intake.identifiers import PATTERN_KINDS, find_identifier, identifier_kind_of_name
from impactlib.intake.schema import Field, TableSchema, bound

_WORKERS = 4  # columns cast at once, in threads, in a table of _PARALLEL_ROWS rows or more
_PARALLEL_ROWS = 50_000
VALIDATED_KINDS = PATTERN_KINDS[:3]  # e-mail, telephone, NIR: addresses give false alarms
_SEP = "[ \u00a0.\\-]"
_S = "[ \u00a0\u202f]?"
# Supersets of identifiers' patterns that pyarrow's RE2 runs (no look-around; ASCII
# classes, or pandas falls back to Python's re on non-ASCII text): a lookbehind (?<![\w.])
# becomes (?:^|[^A-Za-z0-9_.]), a lookahead (?!\d) becomes (?:[^0-9]|\Z). Digits of other
# scripts than ASCII, which Python's \d also reads, are not sought.
_D = "[0-9]"
_PREFILTERS = {
    "e-mail address": r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}",
    "telephone number": rf"(?:^|[^A-Za-z0-9_.,+])(?:(?:\+|00)33{_SEP}?(?:\(0\){_SEP}?)?|0)"
    rf"[1-9](?:{_SEP}?{_D}{{2}}){{4}}(?:[^0-9]|\Z)",
    "social security number (NIR)": rf"(?:^|[^A-Za-z0-9_.,])[12]{_S}{_D}{{2}}{_S}"
    rf"(?:0[1-9]|1[0-2]|[2-9]{_D}){_S}(?:{_D}{{2}}|2[AaBb]){_S}{_D}{{3}}{_S}{_D}{{3}}"
    rf"(?:{_S}{_D}{{2}})?(?:[^0-9]|\Z)",
    "postal address": r"[0-9][^0-9]*(?i:rue|avenue|av\.|boulevard|bd|bld|all[ée]e|impasse|"
    r"quai|chauss[ée]e|faubourg|fbg|place|chemin|route|square|passage|villa|cit[ée]|"
    r"r[ée]sidence|lotissement)",
}
_TYPE_NAMES = {  # (one, several)
    "integer": ("a whole number", "whole numbers"),
    "number": ("a number", "numbers"),
    "year": ("a year of four digits", "years of four digits"),
    "date": ("a date", "dates"),
    "datetime": ("a date and time", "dates and times"),
}


def _a(kind: str) -> str:
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


def _describe(field: Field, *, text: bool, decimal: str) -> tuple[str, str, str]:
    """The rule, problem and fix of a cell that is not of its field's type."""
    kind = field.type
    if kind == "boolean":
        allowed = ", ".join(field.true_values + field.false_values)
        fix = "use these values, or declare the file's own with trueValues and falseValues"
        return "type", f"not one of the values {allowed}", fix
    one, several = _TYPE_NAMES[kind]
    if kind in ("date", "datetime") and text:
        pattern = field.format or ("%Y-%m-%d" if kind == "date" else "ISO 8601")
        example = pd.Timestamp("2024-12-31 14:30").strftime(field.format or "%Y-%m-%d")
        problem = f"a date in an unexpected format (expected {pattern}, e.g. {example})"
        fix = f"write the dates as {example}, or set the field's format to the file's pattern"
        return "format", problem, fix
    if kind == "date":
        return "type", "not a date (or a date with a time of day)", "give dates only"
    if kind == "integer" and text:
        fix = "write whole numbers in digits, spaces allowed between thousands"
        return "type", f"not {one}", fix + ", or declare the field a number"
    if kind == "number" and text:
        mark = "decimal comma" if decimal == "," else "decimal point"
        fix = (
            f"write numbers without units or text, with a {mark} and spaces between "
            "thousands, or declare the file's decimal mark where the file is read"
        )
        return "type", f"not a number (read with a {mark})", fix
    return "type", f"not {one}", f"give {several}, or change the field's type"


def find_identifier_rows(
    values: pd.Series, *, kinds: tuple[str, ...] = VALIDATED_KINDS, limit: int = 5
) -> tuple[str, str, tuple[int, ...]] | None:
    """The kind, shape and first positions of a direct identifier in a column, or ``None``.

    A vectorised pre-filter (pyarrow's regular expressions, a superset of those of
    ``identifiers``) picks the candidate cells; ``find_identifier`` confirms them (the
    NIR key, for one) until ``limit`` cells of the first kind found. Text columns and
    integers of 13 or 15 digits (a NIR read as a number) are scanned.
    """
    if pd.api.types.is_integer_dtype(values) and not pd.api.types.is_bool_dtype(values):
        top = values.max()
        if pd.isna(top) or top < 1e12:
            return None  # no number of 13 digits or more
        numbers = values.astype("float64")
        candidates = flags(numbers.between(1e12, 3e12) | numbers.between(1e14, 3e14))
        text = values  # the few candidates are written out below
    elif isinstance(values.dtype, pd.StringDtype) or values.dtype == object:
        text = values.astype("string")
        pattern = "|".join(f"(?:{_PREFILTERS[kind]})" for kind in kinds)
        candidates = flags(text.str.contains(pattern, regex=True))
    else:
        return None
    found: tuple[str, str] | None = None
    rows: list[int] = []
    for position in np.flatnonzero(candidates):
        hit = find_identifier(str(text.iloc[position]))
        if hit is None or hit[0] not in kinds or (found and hit[0] != found[0]):
            continue
        found = found or hit
        rows.append(int(position))
        if len(rows) == limit:
            break
    return None if found is None else (found[0], found[1], tuple(rows))


def hidden(field: Field) -> bool:
    """Whether a field's values must never be shown: a declared or named identifier."""
    named = identifier_kind_of_name(field.name) is not None and not field.not_identifier
    return field.identifier is not None or named


@dataclass(frozen=True)
class _Context:
    source: str
    first_row: int

    def fail(
        self,
        column: str,
        rule: str,
        mask: np.ndarray,
        problem: str,
        fix: str,
        *,
        raw: pd.Series | None = None,
    ) -> SchemaError:
        positions = np.flatnonzero(mask)
        rows = tuple(int(p) + self.first_row for p in positions[:5])
        where = (
            f", at row {rows[0]}" if len(rows) == 1 else f", at rows {', '.join(map(str, rows))}"
        )
        if len(positions) > 5:
            where += f" ({len(positions)} rows in all)"
        where = where if rows else ""
        shown = ""
        if raw is not None:
            sample = pd.unique(np.asarray(raw.iloc[positions[:50]], dtype=object))[:3]
            shown = f"; value{'s' if len(sample) > 1 else ''} " + ", ".join(map(_shown, sample))
        message = (
            f"{self.source}: column {column!r}, rule {rule!r}: {problem}{where}"
            f"{shown}. To fix: {fix}."
        )
        return SchemaError(message, column=column, rule=rule, rows=rows)


def _shown(value: object) -> str:
    value = plain(value)
    found = find_identifier(str(value)) if isinstance(value, str) else None
    return f"<{found[0]}, not shown>" if found else repr(value)


def _check_columns(frame: pd.DataFrame, schema: TableSchema, source: str) -> None:
    columns = [str(c) for c in frame.columns]
    for name in schema.names:
        if name not in columns:
            raise SchemaError(
                f"{source}: column {name!r}, rule 'missing column': the schema declares it "
                f"but the file has no such column; its columns are {columns}. To fix: "
                "correct the header of the file, or the field's name in the schema.",
                column=name,
                rule="missing column",
            )
    for name in columns:
        if name not in schema.names or columns.count(name) > 1:
            identifier = identifier_kind_of_name(name)
            hint = f" (with identifier: drop, it looks like {_a(identifier)})" if identifier else ""
            problem = "appears twice" if columns.count(name) > 1 else "is not in the schema"
            raise SchemaError(
                f"{source}: column {name!r}, rule 'undeclared column': the column {problem}. "
                f"To fix: declare it in the schema{hint}, or remove it from the file.",
                column=name,
                rule="undeclared column",
            )


def _check_constraints(
    values: pd.Series, cast: Cast, field: Field, ctx: _Context, raw: pd.Series | None
) -> pd.Series:
    constraints, name = field.constraints, field.name
    present = ~cast.missing
    codes = None
    if "enum" in constraints:
        enum = list(constraints["enum"])
        codes = enum_codes(values, enum) if field.type == "string" else None
        outside = present & (~flags(values.isin(enum)) if codes is None else codes < 0)
        if outside.any() and field.type == "string":  # the same letters, composed otherwise
            codes = None
            if isinstance(values.dtype, pd.CategoricalDtype):  # read as categories
                values = values.astype("string")
            normal = values.str.normalize("NFC")
            values = values.where(~(outside & flags(normal.isin(enum))), normal)
            outside = present & ~flags(values.isin(enum))
        if outside.any():
            allowed = ", ".join(map(repr, enum))
            raise ctx.fail(
                name,
                "enum",
                outside,
                f"a value outside {allowed}",
                "use the allowed values exactly (case, accents, spaces), or add "
                "the value to the enum of the schema",
                raw=raw,
            )
    for key, beyond in (("minimum", values.lt), ("maximum", values.gt)):
        if key in constraints:
            limit = bound(field, key)
            mask = present & flags(beyond(limit))
            if mask.any():
                word = "below" if key == "minimum" else "above"
                raise ctx.fail(
                    name,
                    key,
                    mask,
                    f"a value {word} the {key} {constraints[key]}",
                    f"correct the values, or the {key} in the schema",
                    raw=raw,
                )
    if "pattern" in constraints:
        mask = present & ~flags(values.str.fullmatch(constraints["pattern"]))
        if mask.any():
            raise ctx.fail(
                name,
                "pattern",
                mask,
                f"a value not of the pattern {constraints['pattern']!r}",
                "correct the values",
                raw=raw,
            )
    for key, beyond in (("minLength", "lt"), ("maxLength", "gt")):
        if key in constraints and field.type == "string":
            lengths = values.str.len()
            mask = present & flags(getattr(lengths, beyond)(constraints[key]))
            if mask.any():
                raise ctx.fail(
                    name,
                    key,
                    mask,
                    f"a text breaking {key} {constraints[key]}",
                    "correct the values",
                    raw=raw,
                )
    if constraints.get("unique") and has_duplicates(values) is not False:
        mask = present & values.duplicated(keep=False).to_numpy(dtype=bool)
        if mask.any():
            raise ctx.fail(
                name,
                "unique",
                mask,
                "a value found in several rows",
                "each row must have its own value: remove the duplicated rows",
                raw=raw,
            )
    if "enum" in constraints and field.type == "string":
        categories = pd.CategoricalDtype(constraints["enum"])
        if codes is not None:
            codes = pd.Categorical.from_codes(codes, dtype=categories)
            return pd.Series(codes, index=values.index, copy=False)
        return pd.Series(pd.Categorical(values, dtype=categories), index=values.index)
    return values


def _checked(
    series: pd.Series,
    field: Field,
    schema: TableSchema,
    ctx: _Context,
    decimal: str,
    typed: Collection[str] = (),
) -> pd.Series:
    if field.name in typed:  # cast by the reader: every cell of the type, or missing
        missing = series.isna().to_numpy(dtype=bool)
        cast = Cast(series, missing, np.zeros(len(series), dtype=bool))
    else:
        cast = cast_field(series, field, missing_values=schema.missing_values, decimal=decimal)
    raw = None if hidden(field) else series
    if cast.bad.any():
        rule, problem, fix = _describe(field, text=cast.bad_text, decimal=decimal)
        raise ctx.fail(field.name, rule, cast.bad, problem, fix, raw=raw)
    required = field.required or field.name in schema.primary_key
    if required and cast.missing.any():
        in_key = field.name in schema.primary_key
        fix = "fill the cells" + (
            ": every row needs its key" if in_key else ", or drop required from the schema"
        )
        role = " (part of the primary key)" if in_key else ""
        raise ctx.fail(field.name, "required", cast.missing, f"a missing value{role}", fix)
    return _check_constraints(cast.values, cast, field, ctx, raw)


def _check_primary_key(typed: pd.DataFrame, schema: TableSchema, ctx: _Context) -> None:
    key = list(schema.primary_key)
    if not key or (len(key) == 1 and has_duplicates(typed[key[0]]) is False):
        return
    twice = typed[key].duplicated(keep=False).to_numpy(dtype=bool)
    if twice.any():
        raw = None
        if not any(hidden(schema.field(name)) for name in key):
            first = np.flatnonzero(twice)[:50]  # the keys shown, as (a, b) when compound
            raw = pd.Series(np.full(len(typed), None, dtype=object))
            raw.iloc[first] = list(typed[key].iloc[first].itertuples(index=False, name=None))
            raw = raw if len(key) > 1 else typed[key[0]]
        raise ctx.fail(
            ", ".join(key),
            "primaryKey",
            twice,
            f"the key ({', '.join(key)}) is shared by several rows",
            "each row must have its own key: remove the duplicated rows, or "
            "correct the key in the schema",
            raw=raw,
        )


def _check_identifiers(typed: pd.DataFrame, schema: TableSchema, ctx: _Context) -> None:
    fix = (
        "declare it in the schema with identifier: drop (remove the column) or "
        "identifier: pseudonymise (keyed pseudonyms, to link files)"
    )
    for field in schema.fields:
        if field.identifier is not None or field.not_identifier:
            continue
        kind = identifier_kind_of_name(field.name)
        if kind is not None:
            raise ctx.fail(
                field.name,
                "undeclared identifier",
                np.zeros(0, dtype=bool),
                f"the column is named like {_a(kind)}, an identifier the schema does not declare",
                fix + ", or identifier: false if it is no person's",
            )
        if "enum" in field.constraints:
            continue
        if field.type in ("string", "integer"):
            found = find_identifier_rows(typed[field.name])
            if found is not None:
                mask = np.zeros(len(typed), dtype=bool)
                mask[list(found[2])] = True
                raise ctx.fail(
                    field.name,
                    "undeclared identifier",
                    mask,
                    f"the column holds what looks like {_a(found[0])} (shape "
                    f"{found[1]!r}, value not shown), an identifier the schema "
                    "does not declare",
                    fix,
                )
        if field.type in ("string", "number"):  # a NIR as a float, or as 1.85057800608e+14
            mask = np.zeros(len(typed), dtype=bool)
            mask[nir_positions(typed[field.name])] = True
            if mask.any():
                raise ctx.fail(
                    field.name,
                    "undeclared identifier",
                    mask,
                    "the column holds whole numbers shaped like a social security number "
                    "(NIR) (value not shown), perhaps identifiers exported as numbers (a "
                    "blank cell, or a spreadsheet's scientific notation)",
                    fix + ", or identifier: false if it is no person's",
                )


def _check_labels(frame: pd.DataFrame, schema: TableSchema, source: str) -> None:
    """A column label that looks like an identifier (an e-mail as a header) is refused by
    its position, before any message could show the label."""
    for position, kind, shape in identifier_labels(frame.columns):
        name = str(frame.columns[position])
        if name in schema.names and schema.field(name).not_identifier:
            continue
        raise SchemaError(
            f"{source}: the header of column {position + 1} (counting from 1), rule "
            f"'undeclared identifier': it looks like {_a(kind)} (shape {shape!r}, header "
            "not shown). To fix: rename the column in the file and in the schema, or "
            "declare identifier: false if it is no person's.",
            rule="undeclared identifier",
        )


def _in_order(
    check: Callable[[pd.Series, Field], pd.Series], columns: list[pd.Series], fields: tuple
) -> list[pd.Series]:
    """``check`` of each column, several at once in threads for a long table (pyarrow and
    numpy let go of the GIL), the first error in the schema's order raised."""
    rows = len(columns[0]) if columns else 0
    workers = min(_WORKERS, os.cpu_count() or 1) if rows >= _PARALLEL_ROWS else 1
    if workers == 1:
        return list(map(check, columns, fields))
    with ThreadPoolExecutor(workers) as pool:
        try:
            return list(pool.map(check, columns, fields))
        finally:
            pool.shutdown(cancel_futures=True)  # after an error, no column left to cast


def validate(
    frame: pd.DataFrame,
    schema: TableSchema,
    *,
    source: str,
    decimal: str = ".",
    first_row: int = 1,
    typed: Collection[str] = (),
) -> pd.DataFrame:
    """A partner's table, typed and checked against its schema; ``SchemaError`` if not.

    Parameters
    ----------
    frame : DataFrame
        The table as read: every column as text (a CSV), or typed (Excel, Stata,
        Parquet), or a mix; typed columns are checked as they are, not as text.
    schema : TableSchema
        Its schema (``read_schema``).
    source : str
        The file's name for the messages.
    decimal : {".", ","}
        The decimal mark of numbers written as text; with either, spaces (also no-break
        and narrow no-break) may separate thousands.
    first_row : int
        The number the partner gives the first data row (1: the row after the header).
    typed : collection of str
        Columns already of their field's type, missing cells as NA (``FileTable.typed``:
        the reader cast them with the same rules); they are checked, not cast again.

    Returns
    -------
    DataFrame
        A new frame, columns in the schema's order, same index: nullable ``Int64`` for
        integers and years, ``float64`` numbers, ``datetime64`` dates, ``boolean``,
        pandas ``string`` text, and ``category`` (the enum's order) for a string enum.

    Raises
    ------
    SchemaError
        On the first rule broken, in this order: a declared column missing, a column not
        declared; then field by field its type (``"type"``; ``"format"`` for a date),
        ``required``, ``enum``, ``minimum``, ``maximum``, ``pattern``, ``minLength``,
        ``maxLength``, ``unique``; then the ``primaryKey``; then an ``"undeclared
        identifier"`` (a column named like one, or holding e-mails, French phone
        numbers or NIRs, also as floats, that the schema does not declare). A header
        that looks like an identifier (an e-mail address) is refused first, by its
        position, the error's ``column`` being ``None``.
    """
    if decimal not in (".", ","):
        raise ValueError(f"decimal must be '.' or ',', not {decimal!r}")
    ctx = _Context(source, first_row)
    _check_labels(frame, schema, source)
    _check_columns(frame, schema, source)
    check = partial(_checked, schema=schema, ctx=ctx, decimal=decimal, typed=frozenset(typed))
    columns = _in_order(check, [frame[f.name] for f in schema.fields], schema.fields)
    typed = pd.DataFrame(  # not copied into blocks of one dtype: no second copy in memory
        dict(zip(schema.names, columns, strict=True)), index=frame.index, copy=False
    )
    _check_primary_key(typed, schema, ctx)
    _check_identifiers(typed, schema, ctx)
    return typed
