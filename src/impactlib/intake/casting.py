"""A column cast to its field's type (``cast_field``): text parsed, typed cells converted.

The schema (``intake.schema``) says what each column must be; ``intake.validation`` casts
each column here, then checks its constraints. A text column stored by pyarrow is cast
whole when it can be (``intake.arrow_text``), otherwise cell by cell (the exact path).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from impactlib.intake.arrow_text import cast_text
from impactlib.intake.schema import Field

_SPACES = " \u00a0\u202f"  # space, no-break space, narrow no-break space (French thousands)


@dataclass(frozen=True)
class Cast:
    """A column cast to its field's type: typed values (NA where missing or not of the
    type), which cells were missing values, which were not of the type, and whether one of
    those was text (a format to read) rather than a typed cell (a type to change)."""

    values: pd.Series
    missing: np.ndarray
    bad: np.ndarray
    bad_text: bool = False


def missing_mask(series: pd.Series, missing_values: tuple[str, ...]) -> np.ndarray:
    """Cells that are missing: NA, or a text (or number) listed in ``missingValues``."""
    missing = series.isna().to_numpy(dtype=bool)
    if not missing_values:
        return missing
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        numbers = pd.to_numeric(pd.Series(missing_values), errors="coerce").dropna()
        return missing | series.isin(numbers.tolist()).to_numpy(dtype=bool)
    if pd.api.types.is_datetime64_any_dtype(series):
        return missing
    return missing | series.isin(list(missing_values)).to_numpy(dtype=bool)


def flags(series: pd.Series) -> np.ndarray:
    """A boolean column as a numpy array, NA as ``False``."""
    return series.fillna(False).to_numpy(dtype=bool)


def _ungroup(text: pd.Series, decimal: str) -> pd.Series:
    """``1 234 567,5`` as ``1234567,5``: spaces between groups of three digits removed."""
    pattern = rf"[+-]?[0-9]{{1,3}}(?:[{_SPACES}][0-9]{{3}})+(?:\{decimal}[0-9]+)?"
    grouped = flags(text.str.fullmatch(pattern))  # ASCII classes: pyarrow's RE2, not re
    if not grouped.any():
        return text
    return text.where(~grouped, text.str.replace(f"[{_SPACES}]", "", regex=True))


def _to_float(text: pd.Series) -> pd.Series:
    try:  # pyarrow's strict cast is fast; on the first bad cell, pandas finds them all
        values = pc.cast(pa.array(text, from_pandas=True), pa.float64())
        return pd.Series(values.to_numpy(zero_copy_only=False), index=text.index)
    except pa.ArrowInvalid:
        return pd.to_numeric(text, errors="coerce").astype("float64")


def _dates(texts: Any, field: Field) -> pd.api.extensions.ExtensionArray:
    """Distinct texts (stripped) as datetimes, NaT where they do not parse."""
    default = "%Y-%m-%d" if field.type == "date" else "ISO8601"
    try:
        parsed = pd.to_datetime(pd.Index(texts), format=field.format or default, errors="coerce")
    except ValueError:  # time zones given on some cells only
        parsed = pd.to_datetime(pd.Index(texts), format="ISO8601", errors="coerce", utc=True)
    return parsed.array


def _text_values(text: pd.Series, field: Field, decimal: str) -> pd.Series:
    """Text cells (NA where missing) as the field's type, NA where they do not parse."""
    kind = field.type
    if kind == "string":
        return text
    if kind == "boolean":
        values = pd.Series(pd.NA, index=text.index, dtype="boolean")
        values[flags(text.isin(field.true_values))] = True
        values[flags(text.isin(field.false_values))] = False
        return values
    if kind in ("date", "datetime"):
        codes, uniques = pd.factorize(text.str.strip())  # each distinct date parsed once
        values = pd.api.extensions.take(_dates(uniques, field), codes, allow_fill=True)
        return pd.Series(values, index=text.index)
    stripped = _ungroup(text.str.strip(), decimal).str.removeprefix("+")  # pyarrow wants none
    if kind in ("integer", "year"):
        shape = "[0-9]{4}" if kind == "year" else "-?[0-9]{1,18}"
        return stripped.where(flags(stripped.str.fullmatch(shape))).astype("Int64")
    if decimal == ",":  # a dot is refused: "1.500" may be 1500 or 1.5
        dotted = flags(stripped.str.contains(".", regex=False))
        stripped = stripped.str.replace(",", ".", regex=False).where(~dotted)
    values = _to_float(stripped)
    return values.where(np.isfinite(values))


def _native_values(series: pd.Series, field: Field) -> pd.Series:
    """Typed cells (NA where missing) as the field's type, NA where they are not of it."""
    kind = field.type
    is_bool = pd.api.types.is_bool_dtype(series)
    is_time = pd.api.types.is_datetime64_any_dtype(series)
    if kind == "string":
        if pd.api.types.is_float_dtype(series):
            whole = np.isfinite(series) & (series == np.floor(series))
            text = series.astype("string")
            return text.where(~whole, series.where(whole).astype("Int64").astype("string"))
        return series.astype("string")
    if kind in ("date", "datetime"):
        if is_time:
            values = series
        else:
            numeric = pd.to_numeric(series, errors="coerce").notna()  # not days since 1970
            values = pd.to_datetime(series.where(~numeric), errors="coerce")
        if kind == "date":
            values = values.where(values == values.dt.normalize())  # a time of day: no date
        return values
    if is_time or (is_bool and kind != "boolean"):  # all NA: not of the type
        return pd.Series(index=series.index, dtype={"number": "float64"}.get(kind, "Int64"))
    numbers = pd.to_numeric(series, errors="coerce")
    if kind == "boolean":
        return numbers.where(numbers.isin([0, 1])).astype("boolean")
    if kind == "number" or pd.api.types.is_integer_dtype(numbers):
        values = numbers.astype("Float64" if kind == "number" else "Int64")
        return values.astype("float64") if kind == "number" else values
    numbers = numbers.astype("float64")
    return numbers.where(numbers == np.floor(numbers)).astype("Int64")


def cast_field(
    series: pd.Series, field: Field, *, missing_values: tuple[str, ...], decimal: str = "."
) -> Cast:
    """Cast a column to its field's type: text is parsed, typed cells are converted.

    Text (a CSV read as text) is parsed with ``decimal`` and the field's ``format``;
    typed cells (Excel, Stata, Parquet: numbers, datetimes, categoricals) keep their
    type. The result is nullable ``Int64`` for integers and years, ``float64`` for
    numbers, ``datetime64`` for dates, ``boolean``, and pandas' ``string`` for text.
    A text column stored by pyarrow is cast whole when it can be (``intake.arrow_text``);
    a categorical of texts has each of its texts cast once (:func:`_cast_categories`).
    """
    fast = cast_text(series, field.type, missing_values, decimal, partial(_dates, field=field))
    if fast is not None:
        return Cast(*fast, bad_text=bool(fast[2].any()))
    if isinstance(series.dtype, pd.CategoricalDtype):
        if isinstance(series.cat.categories.dtype, pd.StringDtype):
            return _cast_categories(series, field, missing_values, decimal)
        series = series.astype(series.cat.categories.dtype)
    if pd.api.types.is_float_dtype(series):
        series = series.astype("float64")
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_integer_dtype(series):
        series = series.astype("boolean" if pd.api.types.is_bool_dtype(series) else "Int64")
    missing = missing_mask(series, missing_values)
    present = pd.Series(~missing, index=series.index)
    if isinstance(series.dtype, pd.StringDtype):
        is_text = np.ones(len(series), dtype=bool)
    elif series.dtype == object:
        inferred = pd.api.types.infer_dtype(series, skipna=True)
        is_text = (
            np.ones(len(series), dtype=bool)
            if inferred in ("string", "empty")
            else series.apply(isinstance, args=(str,)).to_numpy(dtype=bool)
        )
    else:
        is_text = np.zeros(len(series), dtype=bool)
    values = None
    if is_text.any():
        text = series.where(is_text & ~missing).astype("string")
        values = _text_values(text, field, decimal)
    if not is_text.all():
        native = _native_values(series.where(~is_text & ~missing), field)
        values = native if values is None else values.where(is_text, native)
    bad = (values.isna() & present).to_numpy(dtype=bool)
    return Cast(values, missing, bad, bad_text=bool((bad & is_text).any()))


def _cast_categories(
    series: pd.Series, field: Field, missing_values: tuple[str, ...], decimal: str
) -> Cast:
    """A categorical of texts (a CSV's column read as categories, ``typed_text``): the
    texts its cells hold cast as a text column is, then spread over the cells by their
    codes; the same cast as of the column of texts, without building it. A string field
    with an enum stays categorical (its missing texts removed from the categories)."""
    codes = series.cat.codes.to_numpy()  # -1 (a missing cell) takes the last, appended item
    used = np.zeros(len(series.cat.categories) + 1, dtype=bool)
    used[codes] = True
    if not used[:-1].all():  # only the texts the cells hold (Stata's labels may be unused)
        series = series.cat.remove_categories(series.cat.categories[~used[:-1]])
        codes = series.cat.codes.to_numpy()
    categories = series.cat.categories
    inner = cast_field(
        pd.Series(categories, dtype=categories.dtype),
        field,
        missing_values=missing_values,
        decimal=decimal,
    )
    missing = np.append(inner.missing, True)[codes]
    bad = np.append(inner.bad, False)[codes]
    if field.type == "string" and "enum" in field.constraints:
        values = series.cat.remove_categories(categories[inner.missing])
    else:
        taken = pd.api.extensions.take(inner.values.array, codes, allow_fill=True)
        values = pd.Series(taken, index=series.index, name=series.name, copy=False)
    return Cast(values, missing, bad, bad_text=bool(bad.any()))
