"""CSV and TSV files: encoding, separator and decimal mark declared or detected, every column
read as text, mojibake and ragged or truncated files refused.

Every column is text (pandas ``str``): the schema casts the types and names the row of a
value that does not cast. An empty field (``;;`` or ``;"";``) is missing; every other field
is kept as written, ``NA``, ``N/A``, ``NULL``, ``.`` or ``-99`` included, where pandas would
silently turn the first ones into missing: which strings mean missing is the schema's
``missingValues``, not a guess of the reader. Values are not stripped. Given the schema's
plan (``typed_text``), the reader parses its numbers as numbers and its dates, integers
and allowed values as categories of text, reads its missing values as missing, and gives
the same table after validation in less memory.

What is not declared is detected:

- encoding: UTF-8 when the whole file decodes as UTF-8 (``utf-8-sig`` when it starts with a
  UTF-8 byte order mark, ``utf-16`` with a UTF-16 one), otherwise cp1252, the encoding of a
  French Windows or Excel export (Latin-1 plus the Windows quotes, dashes and euro sign);
- separator: among ``;`` ``,`` tab ``|``, the one that splits the header into more than one
  field and the first 50 lines into as many fields as the header, the most fields winning
  (a tie goes to the first of that list); if none is consistent, the one that splits the
  header most (the parse then names the ragged lines); a one-column file gets ``,``;
- decimal mark: ``,`` when the separator is not ``,``, some field is a decimal-comma number
  (``12,3``, ``-0,5``, ``1234,5``, ``1 234,5`` with a space, no-break space or narrow
  no-break space between thousands) and no field is a decimal-point number (``12.3``);
  ``.`` otherwise. The fields examined are those of the first MiB of the file, or of the
  whole file when the first MiB holds neither kind of number. The reader reports the mark in
  :class:`TextDialect` and does not apply it: the schema's caster takes ``decimal=``.

Refused with :class:`ReadError` naming the file: bytes that the encoding cannot decode (with
their line); mojibake after decoding, with its column and row (UTF-8 read as cp1252 or
Latin-1: ``Ã©``, ``Ã‰``, ``â€™``, ``Ã`` and a space before a small letter; cp1252 read as
Latin-1: C1 control characters; letters already lost: U+FFFD); rows with more or fewer fields
than the header (their line numbers, the header being line 1); a last line cut short, or a
quoted field never closed; an empty or header-only file; duplicate or missing column names
(a nameless column that is empty throughout, what a trailing separator makes, is dropped).

The file is parsed by pyarrow's multithreaded CSV reader. A file in a one-byte encoding
(cp1252, Latin-1...: declared, or guessed) is parsed as it is, read from disk by pieces, and
only its columns holding bytes beyond ASCII are decoded after (``text_columns``); any other
file is read into memory once and parsed as UTF-8 (transcoded first if it is not). When
the first way finds anything wrong, or its first MiB does not settle the decimal mark, the
file is read again the second way, which names the fault. Python's csv module reads the file
only to name the lines of an error, and to tell a quote left open from a quote inside a
field when the file holds an odd number of quotes.
"""

from __future__ import annotations

import codecs
import csv
import os
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from impactlib.core.validation import InputError
from impactlib.intake.errors import ReadError
from impactlib.intake.mojibake import LEADS, SUSPECT, diagnosis, suspect_name
from impactlib.intake.text_columns import (
    decoded_table,
    is_one_byte,
    is_utf8_name,
    may_match,
    transcode,
    valid_utf8,
)
from impactlib.intake.text_dialect import (
    DECIMALS,
    decimal_in,
    detect_decimal,
    header_names,
    records,
    sniff_separator,
)
from impactlib.intake.typed_text import (
    ColumnPlan,
    arrow_types,
    not_finite,
    null_values,
    refused_number,
)

_SAMPLE_BYTES = 1 << 20  # the separator, header and decimal mark are read from the first MiB
_BLOCK_BYTES = 1 << 22  # pyarrow parses blocks of 4 MiB in parallel
_FIRST_LINES = 5  # lines named in a ragged-file message


@dataclass(frozen=True)
class TextDialect:
    """How a text file is written, as declared or detected.

    ``encoding`` is a Python codec name (``utf-8``, ``utf-8-sig``, ``cp1252``...),
    ``separator`` the field separator, ``decimal`` the decimal mark of its numbers.
    """

    encoding: str
    separator: str
    decimal: str


@dataclass(frozen=True)
class _Text:
    """A text file ready to parse: its bytes in UTF-8, its dialect and its header.

    ``on_disk``: the file is UTF-8 as written, parsed from the disk, and ``data`` is left
    empty (read again only to name the lines of an error).
    """

    path: Path
    data: bytes | bytearray
    dialect: TextDialect
    names: list[str]
    on_disk: bool = False


def dialect_of(
    path: Path, *, encoding: str | None, separator: str | None, decimal: str | None
) -> TextDialect:
    """The dialect of an existing text file, declared or detected (the whole file is read)."""
    return _prepare(path, path.read_bytes(), encoding, separator, decimal).dialect


def read_text_table(
    path: Path,
    *,
    tab: bool,
    encoding: str | None,
    separator: str | None,
    decimal: str | None,
    plan: ColumnPlan | None = None,
) -> tuple[pd.DataFrame, TextDialect, tuple[str, ...]]:
    """The table of a CSV (``tab=False``) or TSV file, its dialect, and the columns parsed
    as numbers.

    Every column is text, unless ``plan`` (``typed_text``: a schema's) types it: then
    number columns that parse cleanly are float64, and its categories categoricals of
    text. A file in a one-byte encoding, declared or guessed, is parsed as it is and its
    columns beyond ASCII decoded after (``text_columns``), unless anything is unusual:
    then, as for any other file, the whole file is decoded to UTF-8 first and parsed.
    """
    if tab and separator is None:
        separator = "\t"
    raw, utf8 = None, None
    if encoding is None:  # UTF-8 if it decodes so, else cp1252 (see the module docstring)
        raw = path.read_bytes()
        utf8 = valid_utf8(raw)
    guess = encoding or "cp1252"
    one_byte = None if utf8 else _one_byte_table(path, raw, guess, separator, decimal, plan)
    if one_byte is not None:
        table, dialect = one_byte
        del one_byte
    else:
        raw = path.read_bytes() if raw is None else raw
        text = _prepare(path, raw, encoding, separator, decimal, valid_utf8=utf8)
        size, quotes = len(text.data), text.data.count(b'"') if b'"' in text.data else 0
        if text.data is raw:  # UTF-8 as written: parsed from the file, not kept in memory
            text = replace(text, data=b"", on_disk=True)
        del raw
        table = _named_columns(text, _parse(text, size=size, quotes=quotes, plan=plan))
        _refuse_mojibake(text, table)
        dialect = text.dialect
    numbers = tuple(f.name for f in table.schema if pa.types.is_floating(f.type))
    # Column by column, each let go once converted; large_string columns become str
    # without a copy, dictionaries categoricals.
    frame = table.to_pandas(split_blocks=True, self_destruct=True)
    del table
    # What pyarrow's allocator keeps of the parse goes back to the system (a few ms): the
    # typed table that validation builds next comes from numpy's, and would add to it.
    pa.default_memory_pool().release_unused()
    return frame, dialect, numbers


def _one_byte_table(
    path: Path,
    raw: bytes | None,
    encoding: str,
    separator: str | None,
    decimal: str | None,
    plan: ColumnPlan | None = None,
) -> tuple[pa.Table, TextDialect] | None:
    """The table of a file in a one-byte encoding, parsed as it is (from ``raw``, or from the
    file), then its columns beyond ASCII decoded; ``None`` when the encoding is not one
    byte a character, when the first MiB does not settle the dialect, or when anything is
    wrong: the exact path says what."""
    if not is_one_byte(encoding) or (decimal is not None and decimal not in DECIMALS):
        return None
    if separator is not None and (len(separator) != 1 or separator in '"\r\n'):
        return None
    with open(path, "rb") as handle:
        head, size = handle.read(_SAMPLE_BYTES), os.fstat(handle.fileno()).st_size
    if head.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    try:
        text = _prepare_head(path, head, size, TextDialect(encoding, separator or "", decimal))
        quotes = _quotes(path) if raw is None else raw.count(b'"') if b'"' in raw else 0
        if text is None or quotes % 2:
            return None
        source = None if raw is None else pa.py_buffer(raw)
        table = _parse(text, source=source, size=size, quotes=quotes, plan=plan)
        table, leads = decoded_table(_named_columns(text, table), encoding, LEADS)
        _refuse_mojibake(text, table, leads)
    except (UnicodeDecodeError, ReadError):
        return None
    return table, text.dialect


def _prepare_head(path: Path, head: bytes, size: int, declared: TextDialect) -> _Text | None:
    """What ``_prepare`` finds in a file in a one-byte encoding from its first MiB ``head``
    (the sample is the same: the UTF-8 file's first MiB); ``None`` when the decimal mark is
    not settled there."""
    head = head.decode(declared.encoding).encode("utf-8")
    whole = size <= _SAMPLE_BYTES
    cut = len(head) if whole and len(head) <= _SAMPLE_BYTES else _cut(head)
    sample = head[: cut or _SAMPLE_BYTES].decode("utf-8-sig", errors="replace")
    if not sample.strip() or not cut:
        return None
    separator = declared.separator or sniff_separator(sample)
    names = header_names(path, sample, separator)
    decimal = declared.decimal
    if decimal is None:
        decimal = "." if separator == "," else decimal_in(head, cut, separator)
        decimal = decimal or ("." if whole and cut == len(head) else None)
    dialect = TextDialect(declared.encoding, separator, decimal)
    return None if decimal is None else _Text(path, b"", dialect, names)


def _quotes(path: Path) -> int:
    """How many double quotes a file holds, read by pieces."""
    count = 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_SAMPLE_BYTES * 8), b""):
            count += block.count(b'"') if b'"' in block else 0
    return count


def _prepare(
    path: Path,
    raw: bytes,
    encoding: str | None,
    separator: str | None,
    decimal: str | None,
    *,
    valid_utf8: bool | None = None,
) -> _Text:
    """Decode (to UTF-8), check the header and settle the dialect; ``valid_utf8`` says
    whether ``raw`` is UTF-8 when it is known already."""
    if separator is not None and (len(separator) != 1 or separator in '"\r\n'):
        raise InputError(f"separator must be one character (not a quote), got {separator!r}")
    if decimal is not None and decimal not in DECIMALS:
        raise InputError(f"decimal must be one of {DECIMALS}, got {decimal!r}")
    data, encoding = _to_utf8(path, raw, encoding, valid_utf8)
    cut = len(data) if len(data) <= _SAMPLE_BYTES else _cut(data)
    sample = bytes(data[: cut or _SAMPLE_BYTES]).decode("utf-8-sig", errors="replace")
    if not sample.strip():
        raise ReadError(f"{path} is empty")
    separator = separator or sniff_separator(sample)
    names = header_names(path, sample, separator)
    if decimal is None:
        decimal = "." if separator == "," else detect_decimal(data, cut, separator)
    return _Text(path, data, TextDialect(encoding, separator, decimal), names)


def _cut(data: bytes | bytearray) -> int:
    """The end of the sample: the last line end within the first MiB."""
    return data.rfind(b"\n", 0, _SAMPLE_BYTES) + 1


def _to_utf8(
    path: Path, raw: bytes, declared: str | None, valid: bool | None = None
) -> tuple[bytes | bytearray, str]:
    """The file's bytes in UTF-8 and the encoding they were decoded with."""
    if declared is not None:
        try:
            codecs.lookup(declared)
        except LookupError:
            raise InputError(f"encoding {declared!r} is not a known encoding") from None
        utf8 = is_utf8_name(declared)
        if raw.startswith(codecs.BOM_UTF8) and not utf8:
            raise ReadError(
                f"{path} starts with a UTF-8 byte order mark but is declared {declared}: "
                "it is UTF-8 (declare encoding: utf-8)"
            )
        return (raw if utf8 and valid_utf8(raw) else transcode(path, raw, declared)), declared
    if raw.startswith(codecs.BOM_UTF8):
        return (raw if valid_utf8(raw) else transcode(path, raw, "utf-8-sig")), "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return transcode(path, raw, "utf-16"), "utf-16"
    if valid or (valid is None and valid_utf8(raw)):
        return raw, "utf-8"
    return transcode(path, raw, "cp1252", guessed=True), "cp1252"


def _parse(
    text: _Text,
    *,
    source: pa.Buffer | None = None,
    size: int | None = None,
    quotes: int | None = None,
    plan: ColumnPlan | None = None,
) -> pa.Table:
    """Every field as text (empty = missing), or as ``plan`` types it (``typed_text``); an
    open quote and rows of the wrong width refused.

    Blocks of 4 MiB are parsed in parallel; a record longer than a block (a huge quoted
    text) makes pyarrow give up, and the file is parsed again as one block. A number column
    that does not parse cleanly is parsed again as text. The text is ``text.data``, or
    ``source``, or else the file itself (of ``size`` bytes, ``quotes`` double quotes).
    """
    bad_rows: list[pa_csv.InvalidRow] = []

    def skip(row: pa_csv.InvalidRow) -> str:
        bad_rows.append(row)
        return "skip"

    if not text.on_disk and source is None and text.data:
        source = pa.py_buffer(text.data)
    if size is None:
        size = len(text.data)
        quotes = text.data.count(b'"') if b'"' in text.data else 0
    block_size, demoted = _BLOCK_BYTES, set()
    while True:  # each turn demotes a column to text or enlarges the block: it ends
        types = arrow_types(text.names, plan, demoted)
        bad_rows.clear()
        try:
            table = pa_csv.read_csv(
                pa.input_stream(str(text.path), compression=None) if source is None else source,
                read_options=pa_csv.ReadOptions(
                    column_names=[f"f{i}" for i in range(len(text.names))],
                    skip_rows=1,
                    block_size=block_size,
                ),
                parse_options=pa_csv.ParseOptions(
                    delimiter=text.dialect.separator,
                    newlines_in_values=bool(quotes),  # slower, needed only with quotes
                    invalid_row_handler=skip,
                ),
                convert_options=pa_csv.ConvertOptions(
                    check_utf8=False,  # checked or transcoded before, or decoded after
                    column_types=types,
                    default_column_type=pa.large_string(),
                    strings_can_be_null=True,
                    null_values=null_values(plan),
                    decimal_point=text.dialect.decimal,
                ),
            )
        except pa.ArrowInvalid as error:
            refused = refused_number(error, text.names, types)
            if refused is not None:
                demoted.add(refused)
                continue
            if "straddl" not in str(error) or block_size > size:
                reason = str(error).splitlines()[0]
                raise ReadError(f"{text.path} cannot be parsed as CSV: {reason}") from error
            block_size = size + 1
            continue
        wrong = not_finite(table, text.names, types)
        if not wrong:
            break
        demoted.update(wrong)
    if quotes % 2:
        _refuse_open_quote(text)
    if bad_rows:
        _refuse_ragged(text, len(bad_rows))
    if table.num_rows == 0:
        raise ReadError(f"{text.path} has a header (line 1) but no rows")
    return table


def _refuse_open_quote(text: _Text) -> None:
    """Refuse a quoted field still open at the end of the file (cut short, or a stray quote).

    Called when the file holds an odd number of quotes, which a quote inside an unquoted
    field (``12" screen``) also gives: the csv module in strict mode tells them apart.
    """
    try:
        for _ in records(_decoded(text), text.dialect.separator, strict=True):
            pass
    except csv.Error as error:
        if "unexpected end of data" in str(error.args[0]):
            raise ReadError(
                f"{text.path} is truncated or holds a stray quote: the quoted field of the "
                f"record that starts on line {error.args[-1]} is never closed"
            ) from None


def _refuse_ragged(text: _Text, count: int) -> None:
    """Name the lines whose number of fields is not the header's."""
    width, path = len(text.names), text.path
    wrong: list[tuple[int, int]] = []
    last: tuple[int, list[str]] = (1, [])
    try:
        for last in records(_decoded(text), text.dialect.separator):
            if len(last[1]) != width and last[0] > 1:
                wrong.append((last[0], len(last[1])))
    except csv.Error:  # a field beyond the csv module's limit: no line numbers then
        wrong.clear()
    if not wrong:
        raise ReadError(f"{path}: {count} row(s) do not have the header's {width} fields")
    if (
        wrong[-1][0] == last[0]
        and len(last[1]) < width
        and not _data(text).endswith((b"\n", b"\r"))
    ):
        others = f"; lines {', '.join(str(n) for n, _ in wrong[:-1])} too" if wrong[1:] else ""
        raise ReadError(
            f"{path} is truncated: its last line ({last[0]}) has {len(last[1])} of the header's "
            f"{width} fields and no line end{others}"
        )
    first = ", ".join(f"line {n} has {k}" for n, k in wrong[:_FIRST_LINES])
    more = f" ({len(wrong)} lines in all)" if len(wrong) > _FIRST_LINES else ""
    raise ReadError(f"{path}: the header (line 1) has {width} fields but {first}{more}")


def _data(text: _Text) -> bytes | bytearray:
    """The file's bytes in UTF-8, read again when it was parsed from the disk."""
    return text.path.read_bytes() if text.on_disk else text.data


def _decoded(text: _Text) -> str:
    return str(_data(text), "utf-8-sig")


def _named_columns(text: _Text, table: pa.Table) -> pa.Table:
    """Give the columns their names; drop a nameless one that is empty, refuse one with data."""
    keep = []
    for position, name in enumerate(text.names):
        column = table.column(position)
        if name:
            keep.append(position)
        elif column.null_count < len(column):
            row = pc.index(pc.is_valid(column), True).as_py() + 1
            raise ReadError(
                f"{text.path}: column {position + 1} has no name in the header (line 1) but "
                f"holds data at {_row_and_line(text, row)}"
            )
    return table.select(keep).rename_columns([text.names[i] for i in keep])


def _row_and_line(text: _Text, row: int) -> str:
    """``row N (line L)``: data row ``row`` (1 = the first after the header) and the file
    line where it starts (blank lines and line breaks inside quotes make them differ)."""
    try:
        for number, (line, _) in enumerate(records(_decoded(text), text.dialect.separator)):
            if number == row:
                return f"row {row} (line {line})"
    except csv.Error:
        pass
    return f"row {row}"


def _refuse_mojibake(text: _Text, table: pa.Table, columns: list[str] | None = None) -> None:
    """Refuse text that was decoded with the wrong encoding, naming its column and row
    (in ``columns`` only, when the others are known to hold no character it starts with)."""
    value = suspect_name(table.column_names)
    where = "the header (line 1)"
    if value is None:
        found = []
        for name, column in zip(table.column_names, table.columns, strict=True):
            if (columns is not None and name not in columns) or not may_match(column, SUSPECT):
                continue  # ASCII, numbers, or nothing suspect: one quick pass
            if pa.types.is_dictionary(column.type):  # a suspect category: its cells as text
                column = column.cast(column.type.value_type)
            row = pc.index(pc.match_substring_regex(column, SUSPECT), True).as_py()
            if row >= 0:
                found.append((row, name, column[row].as_py()))
        if not found:
            return  # only in what is not a value (a dropped empty column cannot hold any)
        row, name, value = min(found, key=lambda hit: hit[0])
        where = f"column {name!r}, {_row_and_line(text, row + 1)}"
    raise ReadError(f"{text.path}: {where}: {value!r} {diagnosis(value, text.dialect.encoding)}")
