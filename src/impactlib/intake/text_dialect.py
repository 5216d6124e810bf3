"""The dialect of a text file from a sample: its separator, header and decimal mark.

The rules are those of ``text_files`` (its docstring says them); the functions here read a
sample (the first MiB of the file, decoded) and hand ``text_files`` what they find.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

from impactlib.intake.errors import ReadError
from impactlib.intake.text_columns import matches

SEPARATORS = (";", ",", "\t", "|")
DECIMALS = (".", ",")
_SNIFF_LINES = 50

_SPACES = " \u00a0\u202f"  # thousands separators of French exports
_COMMA_NUMBER = rf"[-+]?(?:\d{{1,3}}(?:[{_SPACES}]?\d{{3}})+|\d+),\d+"
_POINT_NUMBER = r"[-+]?\d+\.\d+"


def sniff_separator(sample: str) -> str:
    """The separator that splits the header and first lines alike (``text_files`` says how).

    The last record looked at may be cut short (the end of the sample, a truncated file): it
    does not count. With no consistent candidate, the widest header wins and the parse names
    the ragged lines.
    """
    scores = []
    for order, candidate in enumerate(SEPARATORS):
        try:
            first = islice(records(sample, candidate), _SNIFF_LINES)
            widths = [len(fields) for _, fields in first]
        except csv.Error:
            continue
        if widths and widths[0] > 1:
            body = widths[1:-1] if len(widths) > 2 else widths[1:]
            consistent = all(width == widths[0] for width in body)
            scores.append((consistent, widths[0], -order, candidate))
    return max(scores)[3] if scores else ","


def header_names(path: Path, sample: str, separator: str) -> list[str]:
    """The column names of line 1, stripped of spaces and BOM; duplicates refused."""
    try:
        first = next(records(sample, separator), (1, []))
    except csv.Error as error:
        raise ReadError(f"{path}: the header (line 1) cannot be parsed: {error.args[0]}") from None
    if first[0] != 1:
        raise ReadError(f"{path}: line 1 is blank; the header must be the first line")
    names = [name.strip().lstrip("\ufeff").strip() for name in first[1]]
    seen: dict[str, int] = {}
    for name in names:
        seen[name] = seen.get(name, 0) + 1
    duplicates = [name for name, count in seen.items() if count > 1 and name]
    if duplicates:
        listed = ", ".join(repr(name) for name in duplicates)
        raise ReadError(f"{path}: duplicate column names in the header (line 1): {listed}")
    return names


def detect_decimal(data: bytes | bytearray, sample_end: int, separator: str) -> str:
    """``,`` or ``.`` by the rule of the docstring of ``text_files``."""
    for end in dict.fromkeys((sample_end or len(data), len(data))):
        mark = decimal_in(data, end, separator)
        if mark:
            return mark
    return "."


def decimal_in(data: bytes | bytearray, end: int, separator: str) -> str | None:
    """The decimal mark that the fields of ``data[:end]`` show, or ``None`` (no number)."""
    sep = f"\\x{{{ord(separator):x}}}"  # RE2's escape of any character

    def found(number: str) -> bool:
        return matches(data, rf'(?m)(?:^|{sep})"?{number}"?(?:{sep}|\r?$)', end)

    comma, point = found(_COMMA_NUMBER), found(_POINT_NUMBER)
    return ("," if comma and not point else ".") if comma or point else None


def records(text: str, separator: str, *, strict: bool = False) -> Iterator[tuple[int, list[str]]]:
    """The non-blank records of ``text`` with the file line each starts on (header = 1).

    Fields may be of any length (the csv module stops at 128 KiB unless told otherwise); a
    :class:`csv.Error` carries the line of the record at fault as its last argument.
    """
    limit = csv.field_size_limit(2**31 - 1)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=strict)
        line = 1
        try:
            for fields in reader:
                if fields:
                    yield line, fields
                line = reader.line_num + 1
        except csv.Error as error:
            raise csv.Error(str(error), line) from None
    finally:
        csv.field_size_limit(limit)
