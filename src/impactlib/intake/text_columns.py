"""The bytes of a text file and of its parsed columns: UTF-8 checked, transcoded, decoded
column by column, scanned without a copy (``text_files`` decides which and when).

A file in a one-byte encoding (cp1252, Latin-1, ISO-8859-15...) can be parsed as it is, its
bytes unchanged (the separators, quotes and line ends of such an encoding are ASCII), and
only the columns holding a byte beyond ASCII decoded after: a French export whose accents
sit in a few columns is not transcoded whole.
"""

from __future__ import annotations

import codecs
import importlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from impactlib.intake.errors import ReadError

_ASCII = "".join(map(chr, range(128)))
_CHUNK_BYTES = 1 << 23  # transcoding goes by pieces of 8 MiB, cut after a line end


def is_one_byte(encoding: str) -> bool:
    """Whether ``encoding`` is a table of 256 characters, one a byte, ASCII as ASCII
    (cp1252, Latin-1, ISO-8859-15, Mac Roman...); not UTF-8, UTF-16, nor CJK encodings."""
    try:
        module = importlib.import_module(f"encodings.{_module_name(encoding)}")
    except (LookupError, ImportError):
        return False
    table = getattr(module, "decoding_table", None)
    return isinstance(table, str) and len(table) == 256 and table[:128] == _ASCII


def _module_name(encoding: str) -> str:
    """The module of ``encodings`` that holds a codec."""
    return codecs.lookup(encoding).name.replace("-", "_")


def _offsets(chunk: pa.Array) -> np.ndarray:
    width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    size = np.dtype(width).itemsize
    return np.frombuffer(chunk.buffers()[1], width, len(chunk) + 1, chunk.offset * size)


def chunk_values(chunk: pa.Array) -> tuple[memoryview, np.ndarray]:
    """The bytes of a string chunk's values, without a copy, and its offsets."""
    offsets = _offsets(chunk)
    data = chunk.buffers()[2]
    view = memoryview(data) if data is not None else memoryview(b"")
    return view[int(offsets[0]) : int(offsets[-1])], offsets


def is_text(kind: pa.DataType) -> bool:
    """Whether an Arrow type is a string (small or large)."""
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def is_ascii(chunk: pa.Array) -> bool:
    """Whether every value of a string chunk is ASCII (one pass over its bytes)."""
    view, _ = chunk_values(chunk)
    return len(view) == 0 or int(np.frombuffer(view, np.uint8).max()) < 0x80


def valid_utf8(data: bytes | bytearray) -> bool:
    """Whether ``data`` is UTF-8, checked by Arrow (fast, no decoded copy)."""
    if data.isascii():
        return True
    try:
        _as_text(data, len(data)).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _as_text(data: bytes | bytearray | memoryview, end: int) -> pa.Array:
    """``data[:end]`` as one Arrow string, without copying it."""
    offsets = pa.py_buffer(np.array([0, end], dtype=np.int64))
    return pa.LargeStringArray.from_buffers(1, offsets, pa.py_buffer(data))


def matches(data: bytes | bytearray | memoryview, pattern: str, end: int) -> bool:
    """Whether the RE2 ``pattern`` matches in the UTF-8 text ``data[:end]``: one pass in C++,
    no copy, no decoding."""
    return bool(pc.match_substring_regex(_as_text(data, end), pattern)[0].as_py())


def may_match(column: pa.ChunkedArray, pattern: str) -> bool:
    """Whether the RE2 ``pattern`` may match a value of a text column: ``False`` when no
    value holds a byte beyond ASCII, or when the pattern matches nowhere in the bytes of
    its values read as one text (a match across two values gives a false alarm only). The
    values of a dictionary-encoded column are those of its dictionaries; a column that is
    not text (numbers) holds none."""
    for chunk in column.chunks:
        if pa.types.is_dictionary(chunk.type):
            chunk = chunk.dictionary
        if not is_text(chunk.type):
            return False
        if not is_ascii(chunk):
            view, _ = chunk_values(chunk)
            if matches(view, pattern, len(view)):
                return True
    return False


def decoded_column(
    column: pa.ChunkedArray, encoding: str, leads: str = ""
) -> tuple[pa.ChunkedArray, bool]:
    """A column of one-byte-encoded values as UTF-8 (the same string type; a chunk that is
    all ASCII is kept as it is; a dictionary-encoded column has its dictionaries decoded; a
    column that is not text is kept), and whether a value holds one of the characters
    ``leads``. Raises :class:`UnicodeDecodeError` on a byte the encoding does not decode."""
    if pa.types.is_dictionary(column.type):
        chunks, found = [], False
        for chunk in column.chunks:
            values, lead = decoded_column(pa.chunked_array([chunk.dictionary]), encoding, leads)
            chunks.append(pa.DictionaryArray.from_arrays(chunk.indices, values.chunk(0)))
            found = found or lead
        return pa.chunked_array(chunks, column.type), found
    if not is_text(column.type):
        return column, False
    table = importlib.import_module(f"encodings.{_module_name(encoding)}").decoding_table
    growth = np.array([len(char.encode("utf-8")) - 1 for char in table])  # UTF-8 bytes gained
    sources = np.array([char in leads for char in table])
    chunks, found = [], False
    for chunk in column.chunks:
        if is_ascii(chunk):
            chunks.append(chunk)
            continue
        view, offsets = chunk_values(chunk)
        utf8 = str(view, encoding).encode("utf-8")
        codes = np.frombuffer(view, np.uint8)
        beyond = np.flatnonzero(codes >= 0x80)  # the bytes that UTF-8 writes longer
        found = found or bool(sources[codes[beyond]].any())
        starts = offsets[:-1] - offsets[0]
        holder = np.searchsorted(starts, beyond, side="right") - 1  # the value of each
        gained = np.bincount(holder, growth[codes[beyond]], len(chunk)).astype(offsets.dtype)
        ends = np.cumsum(np.diff(offsets) + gained)
        chunks.append(
            type(chunk).from_buffers(
                len(chunk),
                pa.py_buffer(np.concatenate([np.zeros(1, offsets.dtype), ends])),
                pa.py_buffer(utf8),
                pc.is_valid(chunk).buffers()[1] if chunk.null_count else None,
                chunk.null_count,
            )
        )
    return pa.chunked_array(chunks, column.type), found


def decoded_table(table: pa.Table, encoding: str, leads: str = "") -> tuple[pa.Table, list[str]]:
    """:func:`decoded_column` of every column, the old column let go as the new comes, and
    the names of the columns where one of the characters ``leads`` appears."""
    names, columns, found = table.column_names, [], []
    while table.num_columns:
        column, lead = decoded_column(table.column(0), encoding, leads)
        columns.append(column)
        if lead:
            found.append(names[len(columns) - 1])
        table = table.remove_column(0)
    return pa.table(columns, names=names), found


def is_utf8_name(encoding: str) -> bool:
    """Whether ``encoding`` is UTF-8 (with or without a byte order mark)."""
    return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


def transcode(path: Path, raw: bytes, encoding: str, *, guessed: bool = False) -> bytearray:
    """Decode ``raw`` piece by piece and re-encode it in UTF-8; a byte that does not decode
    is a :class:`ReadError` naming its line."""
    out = bytearray()
    view = memoryview(raw)
    codec = "utf-8" if is_utf8_name(encoding) else encoding  # error offsets count the BOM
    ascii_based = "\n".encode(encoding, errors="replace") == b"\n"  # not UTF-16 or UTF-32
    start = 0
    while start < len(raw):
        end = raw.find(b"\n", start + _CHUNK_BYTES) if ascii_based else -1
        end = len(raw) if end < 0 else end + 1
        try:
            out += str(view[start:end], codec).encode("utf-8")
        except UnicodeDecodeError as error:
            raise _decode_error(path, raw, encoding, start + error.start, guessed) from error
        start = end
    return out


def _decode_error(path: Path, raw: bytes, encoding: str, offset: int, guessed: bool) -> ReadError:
    line = raw[:offset].decode(encoding, errors="replace").count("\n") + 1
    byte = f"byte 0x{raw[offset]:02X} at line {line}"
    if guessed:
        return ReadError(
            f"{path} is neither UTF-8 nor cp1252 ({byte} decodes in neither): declare its "
            "encoding (encoding: latin-1, iso-8859-15, mac-roman...)"
        )
    suggestion = (
        "encoding: cp1252 (a Windows or Excel export) or encoding: latin-1"
        if is_utf8_name(encoding)
        else "the file's encoding"
    )
    return ReadError(
        f"{path} is not {encoding}: the {byte} cannot be decoded; declare {suggestion}"
    )
