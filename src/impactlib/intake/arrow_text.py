"""Text columns cast by pyarrow, whole: the fast path of ``schema.cast_field``.

A CSV read by ``intake.readers`` gives pandas ``str`` columns stored as pyarrow strings.
Casting such a column cell by cell in pandas (strip, thousands separators, a regular
expression per cell) costs seconds for a million rows; here a column that casts cleanly is
cast by one pyarrow operation, and anything unusual sends it back to the exact path of
``casting``, which finds and names the offending cells. What the fast path accepts, the
exact path accepts too and reads as the same value:

- numbers: the decimal comma made a point byte by byte (a column holding a point with
  ``decimal=","`` goes the exact way, which refuses ``1.500``), then pyarrow's cast; a cell
  it refuses (spaces, thousands separators, ``+``), or a value that is not finite, and the
  exact path casts the column;
- integers: pyarrow's cast, unless a cell is hexadecimal (``0x1F``, which pyarrow reads)
  or longer than 18 characters;
- dates: each distinct text parsed once (``parse``, the exact path's own parser);
- texts: kept as they are, as pandas ``string``.

Missing cells (nulls, the schema's ``missingValues``) become nulls first.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from impactlib.intake.text_columns import chunk_values

_MAX_DIGITS = 18  # the exact path's integers: -?[0-9]{1,18}


def arrow_text(series: pd.Series) -> pa.ChunkedArray | None:
    """The pyarrow strings of a pandas text column (``str`` or ``string`` stored by
    pyarrow), without a copy; ``None`` for any other column."""
    dtype = series.dtype
    if not isinstance(dtype, pd.StringDtype) or dtype.storage != "pyarrow":
        return None
    array = series.array.__arrow_array__()
    return array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array])


def _string_series(text: pa.ChunkedArray | pa.Array, index: pd.Index) -> pd.Series:
    """Pyarrow strings as a pandas ``string`` column (missing: ``pd.NA``)."""
    if isinstance(text, pa.Array):
        text = pa.chunked_array([text])
    if not pa.types.is_large_string(text.type):
        text = text.cast(pa.large_string())
    return pd.Series(pd.arrays.ArrowStringArray(text), index=index, dtype="string", copy=False)


def cast_text(
    series: pd.Series,
    kind: str,
    missing_values: tuple[str, ...],
    decimal: str,
    parse: Callable[[pd.Index], pd.api.extensions.ExtensionArray],
) -> tuple[pd.Series, np.ndarray, np.ndarray] | None:
    """A text column cast to ``kind``: typed values, missing cells, cells not of the type.

    ``None`` when the column is not pyarrow text, or when the exact path must cast it (see
    the module's docstring). ``parse`` reads distinct date texts (stripped) as datetimes,
    NaT where they do not parse.
    """
    text = arrow_text(series)
    if text is None or kind not in ("string", "number", "integer", "date", "datetime"):
        return None
    text, missing = _without_missing(text, missing_values)
    bad = np.zeros(len(text), dtype=bool)
    if kind == "string":
        return _string_series(text, series.index), missing, bad
    if kind in ("date", "datetime"):
        dictionary, indices = dictionary_codes(text)
        codes = pc.fill_null(indices, -1).to_numpy()
        uniques = _string_series(dictionary, pd.RangeIndex(len(dictionary))).str.strip()
        values = pd.api.extensions.take(parse(pd.Index(uniques)), codes, allow_fill=True)
        values = pd.Series(values, index=series.index, copy=False)
        return values, missing, (values.isna().to_numpy(dtype=bool) & ~missing)
    values = _numbers(text, decimal) if kind == "number" else _integers(text)
    if values is None:
        return None
    return pd.Series(values, index=series.index, copy=False), missing, bad


def dictionary_codes(text: pa.ChunkedArray) -> tuple[pa.Array, pa.ChunkedArray]:
    """The distinct values of a column and, for each cell, the position of its value
    among them (null where missing)."""
    encoded = pc.dictionary_encode(text)  # pyarrow gives every chunk the whole dictionary
    shared = {tuple(b and b.address for b in c.dictionary.buffers()) for c in encoded.chunks}
    if len(shared) > 1:  # but should a version not: one dictionary
        encoded = encoded.unify_dictionaries()
    if encoded.num_chunks == 0:
        return pa.array([], text.type), pa.chunked_array([], pa.int32())
    indices = pa.chunked_array([chunk.indices for chunk in encoded.chunks])
    return encoded.chunk(0).dictionary, indices


def enum_codes(values: pd.Series, enum: list[str]) -> np.ndarray | None:
    """The position in ``enum`` of each cell of a text column, -1 where missing or not in
    it (the smallest integers that hold them); ``None`` when the column is not pyarrow text."""
    text = arrow_text(values)
    if text is None:
        return None
    dictionary, indices = dictionary_codes(text)
    positions = pc.index_in(dictionary, value_set=pa.array(enum, dictionary.type))
    width = pa.int8() if len(enum) < 128 else pa.int16() if len(enum) < 2**15 else pa.int32()
    positions = pc.fill_null(positions, -1).cast(width)
    return _numpy(pc.fill_null(pc.take(positions, indices), -1))


def has_duplicates(values: pd.Series) -> bool | None:
    """Whether a text column holds a value twice (missing counting as a value, as for
    ``duplicated``); ``None`` when it is not pyarrow text. Values in strictly increasing
    order (identifiers often are) differ without being hashed."""
    text = arrow_text(values)
    if text is None:
        return None
    if text.null_count == 0 and len(text) > 1:
        if pc.all(pc.less(text.slice(0, len(text) - 1), text.slice(1))).as_py():
            return False
    return len(pc.unique(text)) < len(text)


def _without_missing(
    text: pa.ChunkedArray, missing_values: tuple[str, ...]
) -> tuple[pa.ChunkedArray, np.ndarray]:
    """The column with its missing values as nulls, and which cells are missing."""
    listed = [value for value in missing_values if value]
    if "" in missing_values and text.null_count < len(text):
        if pc.min(pc.binary_length(text)).as_py() == 0:
            listed.append("")
    if listed:
        hit = pc.is_in(text, value_set=pa.array(listed, text.type))
        if pc.any(hit).as_py():
            text = pc.if_else(hit, pa.scalar(None, text.type), text)
    return text, _nulls(text)


def _nulls(values: pa.ChunkedArray) -> np.ndarray:
    """Which cells are null, as a numpy array."""
    if values.null_count == 0:
        return np.zeros(len(values), dtype=bool)
    return values.is_null().to_numpy(zero_copy_only=False).astype(bool, copy=False)


def _numbers(text: pa.ChunkedArray, decimal: str) -> np.ndarray | None:
    """Floats, NaN where missing; ``None`` when a cell needs the exact path."""
    if decimal == ",":
        chunks = [_with_points(chunk) for chunk in text.chunks]
        if any(chunk is None for chunk in chunks):
            return None  # "1.500": the exact path refuses it
        text = pa.chunked_array(chunks, text.type)
    try:
        values = pc.cast(text, pa.float64())
    except pa.ArrowInvalid:
        return None
    if pc.all(pc.is_finite(values)).as_py() is False:  # inf, nan: not numbers
        return None
    return _numpy(values)


def _with_points(chunk: pa.Array) -> pa.Array | None:
    """A chunk of text with its decimal commas made points; ``None`` if it holds a point."""
    view, offsets = chunk_values(chunk)
    data = bytes(view)
    if b"." in data:
        return None
    buffers = chunk.buffers()
    if chunk.offset or offsets[0]:  # a slice: its own offsets, from 0
        buffers = [pc.is_valid(chunk).buffers()[1], pa.py_buffer(offsets - offsets[0])]
    return type(chunk).from_buffers(
        len(chunk),
        buffers[1],
        pa.py_buffer(data.replace(b",", b".")),
        buffers[0] if chunk.null_count else None,
        chunk.null_count,
    )


def _integers(text: pa.ChunkedArray) -> pd.arrays.IntegerArray | None:
    """Nullable integers; ``None`` when a cell needs the exact path."""
    if text.null_count < len(text):
        if pc.max(pc.binary_length(text)).as_py() > _MAX_DIGITS:
            return None
    for chunk in text.chunks:
        data = bytes(chunk_values(chunk)[0])
        if b"x" in data or b"X" in data:
            return None  # hexadecimal, which pyarrow reads and the exact path refuses
    try:
        values = pc.cast(text, pa.int64())
    except pa.ArrowInvalid:
        return None
    mask = _nulls(values)
    numbers = _numpy(pc.fill_null(values, 0) if mask.any() else values)
    return pd.arrays.IntegerArray(numbers, mask)


def _numpy(values: pa.ChunkedArray) -> np.ndarray:
    """A column as one numpy array of its own, copied once from pyarrow's read-only memory:
    the typed table is the caller's to change in place."""
    parts = [chunk.to_numpy(zero_copy_only=False) for chunk in values.chunks]
    return np.concatenate(parts) if parts else values.to_numpy()
