"""A partner's file into a table (CSV, TSV, Excel, Stata, SPSS, Parquet), and nothing more.

:func:`read_file` reads the file once and returns a :class:`FileTable`: the pandas table, its
kind, its text dialect (CSV, TSV), its sheet (Excel) and its variable labels (Stata, SPSS).
Types are the schema's business: a text file gives text columns (``text_files`` says how its
encoding, separator and decimal mark are settled); the other kinds keep the types they store.

- Excel (``.xlsx``, ``.xlsm``, read by openpyxl): the first row is the header and cells keep
  their types (numbers, dates, booleans, text; a postal code typed as text, ``01234``, stays
  ``"01234"`` where ``pandas.read_excel`` makes it 1234); a formula gives its last computed
  value. A workbook of several sheets needs ``sheet``. Empty rows at the end are dropped, and
  so is a column without a name in the header when it is empty throughout.
- Stata (``.dta``) and SPSS (``.sav``, ``.zsav``), read by pyreadstat: a variable with value
  labels becomes a pandas categorical whose categories are its labels in the order of their
  codes, then the unlabelled values the data hold, kept as numbers (an unlabelled 3 stays 3);
  the variable labels go into ``FileTable.labels``; dates become datetime64; an empty string,
  the missing text of both, is missing. ``encoding`` serves files older than Stata 14.
- Parquet (``.parquet``, ``.pq``, read by pyarrow): as written.

Every failure is a :class:`ReadError` with a one-line message naming the file (and the sheet,
column, line or row at fault), raised from the library's own error. A parameter that makes
no sense (an unknown kind, a sheet for a CSV file) is an :class:`InputError`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from impactlib.core.validation import InputError
from impactlib.intake.errors import ReadError
from impactlib.intake.schema import TableSchema
from impactlib.intake.text_files import TextDialect, dialect_of, read_text_table
from impactlib.intake.typed_text import column_plan

KINDS = ("csv", "tsv", "excel", "stata", "spss", "parquet")

_EXTENSIONS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".dta": "stata",
    ".sav": "spss",
    ".zsav": "spss",
    ".parquet": "parquet",
    ".pq": "parquet",
}

_ADVICE = {
    ".xls": "an Excel 97-2003 workbook: open it in Excel or LibreOffice and save it as .xlsx",
    ".ods": "an OpenDocument spreadsheet: save it as .xlsx",
    ".zip": "an archive: extract the file first",
    ".gz": "a compressed file: decompress it first",
}

# The parameters of read_file that apply to each kind.
_OPTIONS = {
    "encoding": ("csv", "tsv", "stata", "spss"),
    "separator": ("csv", "tsv"),
    "decimal": ("csv", "tsv"),
    "sheet": ("excel",),
}


@dataclass(frozen=True, eq=False)
class FileTable:
    """What a file holds: the table, and how it was read.

    ``dialect`` is set for CSV and TSV files, ``sheet`` for Excel workbooks, ``labels`` (the
    variable labels, column name to label) for Stata and SPSS files; ``labels`` is empty
    otherwise. ``typed`` names the columns already of their schema's type (the number
    columns of a CSV read with its schema: ``typed_text``), their missing cells NaN; pass
    it to ``validation.validate``.
    """

    frame: pd.DataFrame
    kind: str
    dialect: TextDialect | None = None
    sheet: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    typed: tuple[str, ...] = ()


def existing_file(path: str | Path) -> Path:
    """``path`` as a :class:`Path`, or :class:`ReadError` when it is not an existing file."""
    path = Path(path)
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise ReadError(f"{path} {what}")
    return path


def detect_dialect(
    path: str | Path,
    *,
    encoding: str | None = None,
    separator: str | None = None,
    decimal: str | None = None,
) -> TextDialect:
    """The encoding, separator and decimal mark of a CSV or TSV file, declared or detected.

    The whole file is read (whether it decodes depends on every byte); the rules are those
    of ``impactlib.intake.text_files``, and the dialect is the one :func:`read_file` reports.
    Raises :class:`ReadError` when the file is missing, empty or does not decode.
    """
    path = existing_file(path)
    return dialect_of(path, encoding=encoding, separator=separator, decimal=decimal)


def kind_of(path: str | Path) -> str:
    """The kind of a file, one of :data:`KINDS`, from its extension (case ignored).

    ``.csv`` and ``.txt`` are csv, ``.tsv`` tsv, ``.xlsx`` and ``.xlsm`` excel, ``.dta``
    stata, ``.sav`` and ``.zsav`` spss, ``.parquet`` and ``.pq`` parquet; any other extension
    is a :class:`ReadError` naming the file and the kinds accepted.
    """
    suffix = Path(path).suffix.lower()
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    accepted = "; ".join(
        f"{kind} ({', '.join(s for s, k in _EXTENSIONS.items() if k == kind)})" for kind in KINDS
    )
    advice = f" It looks like {_ADVICE[suffix]}." if suffix in _ADVICE else ""
    raise ReadError(
        f"{path}: cannot tell the kind of a {suffix or 'extensionless'} file; kinds accepted: "
        f"{accepted}, or declare the kind.{advice}"
    )


def read_file(
    path: str | Path,
    *,
    kind: str | None = None,
    encoding: str | None = None,
    separator: str | None = None,
    decimal: str | None = None,
    sheet: str | None = None,
    schema: TableSchema | None = None,
) -> FileTable:
    """Read a partner's file into a :class:`FileTable`.

    ``kind`` defaults to :func:`kind_of` the path. ``encoding``, ``separator`` and
    ``decimal`` declare a text file's dialect (detected when not declared: see
    ``impactlib.intake.text_files``); ``encoding`` also serves old Stata and SPSS files;
    ``sheet`` names an Excel sheet, required when the workbook has several. ``schema``, the
    file's, lets a CSV or TSV file be parsed in less memory, its numbers as numbers and
    its dates, integers and allowed values as categories (``typed_text``); validate the
    table against the same schema (``FileTable.typed``). Raises
    :class:`ReadError` when the file is missing or cannot be read as declared, and
    :class:`InputError` for a parameter that does not apply to the kind.
    """
    path = existing_file(path)
    if kind is None:
        kind = kind_of(path)
    elif kind not in KINDS:
        raise InputError(f"kind must be one of {KINDS}, got {kind!r}")
    given = {"encoding": encoding, "separator": separator, "decimal": decimal, "sheet": sheet}
    for name, value in given.items():
        if value is not None and kind not in _OPTIONS[name]:
            raise InputError(f"{name} does not apply to a {kind} file ({path})")
    if kind in ("csv", "tsv"):
        frame, dialect, typed = read_text_table(
            path,
            tab=kind == "tsv",
            encoding=encoding,
            separator=separator,
            decimal=decimal,
            plan=None if schema is None else column_plan(schema),
        )
        return FileTable(frame, kind, dialect=dialect, typed=typed)
    if kind == "excel":
        frame, sheet = _read_excel(path, sheet)
        return FileTable(frame, kind, sheet=sheet)
    if kind in ("stata", "spss"):
        frame, labels = _read_labelled(path, kind, encoding)
        return FileTable(frame, kind, labels=labels)
    return FileTable(_read_parquet(path), kind)


def _unreadable(path: Path, what: str, error: Exception) -> ReadError:
    """A one-line :class:`ReadError` for a file a library could not read."""
    reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return ReadError(
        f"{path} cannot be read as {what} (corrupt or truncated?): "
        f"{type(error).__name__}{': ' + reason if reason else ''}"
    )


def _read_excel(path: Path, sheet: str | None) -> tuple[pd.DataFrame, str]:
    """The table of one sheet of a workbook, cells as typed, and the sheet's name."""
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # any failure of the library on a bad file
        raise _unreadable(path, "an Excel workbook", error) from error
    try:
        sheets = workbook.sheetnames
        listed = ", ".join(repr(name) for name in sheets)
        if sheet is None and len(sheets) > 1:
            raise ReadError(
                f"{path} has {len(sheets)} sheets ({listed}): say which to read (sheet=...)"
            )
        if sheet is not None and sheet not in sheets:
            raise ReadError(f"{path} has no sheet {sheet!r}; its sheets: {listed}")
        sheet = sheet or sheets[0]
        try:
            rows = list(workbook[sheet].iter_rows(values_only=True))
        except Exception as error:
            raise _unreadable(path, f"an Excel workbook (sheet {sheet!r})", error) from error
    finally:
        workbook.close()
    return _sheet_table(path, sheet, rows), sheet


def _sheet_table(path: Path, sheet: str, rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    """The header row as names, the other rows as data; checked like a text file's."""
    from openpyxl.utils import get_column_letter

    while rows and all(_blank(value) for value in rows[-1]):
        rows.pop()
    where = f"{path}, sheet {sheet!r}"
    if not rows:
        raise ReadError(f"{where} is empty")
    if len(rows) == 1:
        raise ReadError(f"{where} has a header (row 1) but no rows")
    frame = pd.DataFrame(rows[1:])  # one dtype per column when the cells agree
    names = [_column_name(value) for value in rows[0]]
    names += [""] * (frame.shape[1] - len(names))
    duplicates = sorted({name for name in names if name and names.count(name) > 1})
    if duplicates:
        listed = ", ".join(repr(name) for name in duplicates)
        raise ReadError(f"{where}: duplicate column names in the header (row 1): {listed}")
    keep = []
    for position, name in enumerate(names):
        filled = frame.iloc[:, position].notna()
        if name:
            keep.append(position)
        elif filled.any():
            row = int(filled.to_numpy().argmax()) + 2
            raise ReadError(
                f"{where}: column {get_column_letter(position + 1)} has no name in the header "
                f"(row 1) but holds data (cell {get_column_letter(position + 1)}{row})"
            )
    frame = frame.iloc[:, keep]
    frame.columns = [names[position] for position in keep]
    return frame


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _column_name(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _read_labelled(
    path: Path, kind: str, encoding: str | None
) -> tuple[pd.DataFrame, dict[str, str]]:
    """A Stata or SPSS file: value labels as categoricals, and the variable labels."""
    import pyreadstat

    read = pyreadstat.read_dta if kind == "stata" else pyreadstat.read_sav
    what = "a Stata file" if kind == "stata" else "an SPSS file"
    try:
        frame, meta = read(path, dates_as_pandas_datetime=True, encoding=encoding)
    except Exception as error:  # pyreadstat's ReadstatError, a bad encoding name...
        raise _unreadable(path, what, error) from error
    for column, label_set in meta.variable_to_label.items():
        if column in frame.columns and label_set in meta.value_labels:
            frame[column] = _labelled(frame[column], meta.value_labels[label_set])
    for column in frame.columns:
        if pd.api.types.is_string_dtype(frame[column].dtype):
            frame[column] = frame[column].mask(frame[column] == "")
    labels = {name: label for name, label in meta.column_names_to_labels.items() if label}
    return frame, labels


def _labelled(values: pd.Series, value_labels: dict[Any, str]) -> pd.Series:
    """Codes to a categorical of their labels (in code order), unlabelled codes kept."""
    codes = sorted(value_labels, key=lambda code: (isinstance(code, str), code))
    categories = list(dict.fromkeys(value_labels[code] for code in codes))
    labels = values.map(value_labels)
    unlabelled = values[labels.isna() & values.notna()]
    plain = {value: _plain_number(value) for value in sorted(unlabelled.unique())}
    extra = [value for value in dict.fromkeys(plain.values()) if value not in categories]
    combined = labels.astype(object).where(labels.notna(), unlabelled.map(plain))
    return pd.Series(
        pd.Categorical(combined, categories=categories + extra),
        index=values.index,
        name=values.name,
    )


def _plain_number(value: Any) -> Any:
    """A whole float as an int (Stata and SPSS store codes as floats): 3.0 reads 3."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


def _read_parquet(path: Path) -> pd.DataFrame:
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path).to_pandas()
    except Exception as error:  # ArrowInvalid, OSError...
        raise _unreadable(path, "a Parquet file", error) from error
