"""Extraction sheets for literature reviews: one CSV row per study, checked before pooling.

A sheet holds, for each study, its label, its BibTeX key (which must exist in the book's
``references.bib``), its design, its risk of bias (RoB 2 wording) and the numbers the
effect measure needs, in metafor's column names:

========  ==============================================================================
measure   columns
========  ==============================================================================
RR/OR/RD  ``ai`` events and ``n1i`` size of the treated group, ``ci`` and ``n2i`` control
SMD       ``m1i, sd1i, n1i`` (treated mean, SD, size) and ``m2i, sd2i, n2i`` (control)
ZCOR      ``ri`` correlation and ``ni`` sample size
GEN       ``yi`` effect and ``vi`` sampling variance, already computed
========  ==============================================================================

:func:`read_extraction_sheet` refuses a sheet with any problem, listing every one with
its row (data rows counted from 1, the header excluded: the spreadsheet line is
row + 1), the study label and the column. :func:`verify_against_source` then checks the
sheet, cell by cell, against the registered data it was copied from, and refuses it the
same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from impactlib.core.designs import DESIGNS as REGISTERED_DESIGNS
from impactlib.core.validation import InputError, require_columns
from impactlib.meta.effects import (
    check_effect_columns,
    effect_sizes,
    parse_numbers,
    require_measure,
    required_roles,
    row_name,
)

BASE_COLUMNS = ("study", "citation_key", "design", "risk_of_bias")
DESIGNS = tuple(REGISTERED_DESIGNS)  # the codes of the design registry
RISK_OF_BIAS = ("low", "some concerns", "high")
_BIB_ENTRY = re.compile(r"@\s*([A-Za-z]+)\s*[{(]\s*([^,\s{}()]+)\s*,")
_NOT_ENTRIES = {"comment", "string", "preamble"}


class SheetError(InputError):
    """An extraction sheet with problems; ``problems`` lists one message per problem.

    ``path`` names the sheet (its file, or what it was checked against).
    """

    def __init__(self, path: object, problems: Sequence[str]):
        self.path = str(path)
        self.problems = list(problems)
        listed = "\n  ".join(self.problems)
        super().__init__(f"{self.path}: {len(self.problems)} problem(s)\n  {listed}")


def bibtex_keys(bib_path: str | Path) -> set[str]:
    """Citation keys of a BibTeX file (``@type{key,``), ignoring @comment/@string/@preamble."""
    path = Path(bib_path)
    if not path.is_file():
        raise InputError(f"bib_path {str(path)!r} is not a file")
    text = path.read_text(encoding="utf-8")
    return {key for kind, key in _BIB_ENTRY.findall(text) if kind.lower() not in _NOT_ENTRIES}


def _clean_text(series: pd.Series) -> pd.Series:
    return series.map(lambda x: x.strip() if isinstance(x, str) else x)


def read_extraction_sheet(
    path: str | Path,
    *,
    bib_path: str | Path,
    measure: str,
    required_columns: Sequence[str] = (),
    numeric_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """Read and check an extraction sheet; return it with the effect sizes ``yi`` and ``vi``.

    Parameters
    ----------
    path : path
        CSV file, one row per study, with the columns ``study``, ``citation_key``,
        ``design``, ``risk_of_bias`` and those ``measure`` needs (see the module notes).
    bib_path : path
        BibTeX file in which every ``citation_key`` must exist.
    measure : {"RR", "OR", "RD", "SMD", "ZCOR", "GEN"}
        Effect measure, computed by :func:`impactlib.meta.effect_sizes`.
    required_columns : sequence of str
        Further columns the sheet must have (e.g. a grouping such as ``"allocation"``).
    numeric_columns : sequence of str
        Further columns the sheet must have, with a number in every row (e.g. moderators
        such as ``"year"``); they are returned as numbers.

    Returns
    -------
    DataFrame
        The sheet (text trimmed, ``design`` and ``risk_of_bias`` in lower case) with the
        columns ``yi`` and ``vi`` appended; ``attrs["measure"]`` records the measure.

    Raises
    ------
    SheetError
        Listing every problem: a missing column; a missing, duplicate or unknown study
        label or citation key; a design or risk-of-bias value outside the allowed lists
        (``DESIGNS``, ``RISK_OF_BIAS``); a missing or non-numeric number (also in
        ``numeric_columns``); a negative count, SD or variance; more events than
        participants in a group.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "refs.bib").write_text("@article{aronson1948,\\n title={BCG}}\\n")
    >>> _ = (folder / "sheet.csv").write_text(
    ...     "study,citation_key,design,risk_of_bias,ai,n1i,ci,n2i\\n"
    ...     "Aronson 1948,aronson1948,rct,some concerns,4,123,11,139\\n")
    >>> sheet = read_extraction_sheet(folder / "sheet.csv", bib_path=folder / "refs.bib",
    ...                               measure="RR")
    >>> round(sheet.loc[0, "yi"], 4)
    np.float64(-0.8893)
    """
    require_measure(measure)
    path = Path(path)
    if not path.is_file():
        raise InputError(f"extraction sheet {str(path)!r} is not a file")
    keys = bibtex_keys(bib_path)
    try:
        sheet = pd.read_csv(path, dtype=str, keep_default_na=True, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise SheetError(path, [f"cannot read the CSV file: {exc}"]) from None
    sheet.columns = [str(c).strip() for c in sheet.columns]
    for column in sheet.columns:
        sheet[column] = _clean_text(sheet[column]).replace("", pd.NA)
    roles = required_roles(measure, sheet.columns)
    needed = [*BASE_COLUMNS, *roles, *required_columns, *numeric_columns]
    missing = [c for c in dict.fromkeys(needed) if c not in sheet.columns]
    if missing:
        raise SheetError(path, [f"missing column(s): {', '.join(repr(c) for c in missing)}"])
    if sheet.empty:
        raise SheetError(path, ["the sheet has no study (no data row)"])

    problems: list[str] = []
    labels = sheet["study"].tolist()
    first_row: dict[tuple[str, str], int] = {}
    for i, label in enumerate(labels, start=1):
        where = row_name(i, label)
        if pd.isna(label):
            problems.append(f"{where}, column 'study': missing study label")
        elif (seen := first_row.setdefault(("study", label), i)) != i:
            problems.append(f"{where}, column 'study': duplicate of row {seen}")
        key = sheet.at[i - 1, "citation_key"]
        if pd.isna(key):
            problems.append(f"{where}, column 'citation_key': missing citation key")
        elif key not in keys:
            problems.append(
                f"{where}, column 'citation_key': {key!r} is not a key of {str(bib_path)!r}"
            )
        elif (seen := first_row.setdefault(("citation_key", key), i)) != i:
            problems.append(
                f"{where}, column 'citation_key': {key!r} already used by "
                f"{row_name(seen, labels[seen - 1])}"
            )
        for column, allowed in (("design", DESIGNS), ("risk_of_bias", RISK_OF_BIAS)):
            value = sheet.at[i - 1, column]
            if pd.isna(value):
                problems.append(f"{where}, column {column!r}: missing value")
            elif value.lower() not in allowed:
                problems.append(
                    f"{where}, column {column!r}: unknown value {value!r} "
                    f"(allowed: {', '.join(allowed)})"
                )
    columns = {role: role for role in roles}
    problems += check_effect_columns(sheet, measure, columns, labels)
    extra = [c for c in dict.fromkeys(numeric_columns) if c not in columns]
    problems += parse_numbers(sheet, {c: c for c in extra}, labels)[1]
    if problems:
        raise SheetError(path, sorted(problems, key=_row_number))

    sheet["design"] = sheet["design"].str.lower()
    sheet["risk_of_bias"] = sheet["risk_of_bias"].str.lower()
    for column in [*roles, *extra]:
        sheet[column] = pd.to_numeric(sheet[column])
    effects = effect_sizes(sheet, measure, id="study", **columns)
    if measure == "GEN":
        sheet = sheet.drop(columns=["yi", "vi"])
    out = pd.concat([sheet, effects[["yi", "vi"]]], axis=1)
    out.attrs["measure"] = measure
    return out


def _row_number(message: str) -> int:
    match = re.match(r"row (\d+)", message)
    return int(match.group(1)) if match else 0


def verify_against_source(
    sheet: pd.DataFrame,
    source: pd.DataFrame,
    *,
    key: str,
    columns: Mapping[str, str],
    source_name: str = "source",
) -> int:
    """Check every cell of ``sheet`` copied from ``source``; return how many were compared.

    Parameters
    ----------
    sheet : DataFrame
        An extraction sheet (:func:`read_extraction_sheet`), one row per study.
    source : DataFrame
        The registered data the sheet was copied from, e.g.
        ``impactlib.project.sources.load(name)``.
    key : str
        The sheet's column that identifies a row of ``source``; keys are matched by their
        text (``1`` and ``"1"`` are the same key).
    columns : mapping of str to str
        Each sheet column to check (``key`` included) and its column in ``source``.
        Numbers must agree to 1e-9; other values as text.
    source_name : str
        Name of the source, for the messages.

    Raises
    ------
    SheetError
        Listing every problem: a sheet row whose key is not in the source, a source row
        missing from the sheet, a cell that differs from the source (its row, study label
        and column, and the source's value). An :class:`InputError` if a column is missing
        or the source's key is not unique.

    Examples
    --------
    >>> sheet = pd.DataFrame({"study": ["A", "B"], "trial": [1, 2], "ai": [4, 6]})
    >>> source = pd.DataFrame({"Study": [2, 1], "TB": [6, 4]})
    >>> verify_against_source(sheet, source, key="trial", columns={"trial": "Study", "ai": "TB"})
    2
    """
    if key not in columns:
        raise InputError(f"columns must map the key {key!r} to its column in the source")
    require_columns(sheet, list(columns), role="sheet column")
    require_columns(source, list(columns.values()), role=f"column of source {source_name!r}")
    source_key = columns[key]
    keys = source[source_key].astype(str)
    if keys.duplicated().any():
        raise InputError(f"source {source_name!r}: {source_key!r} is not a unique key")
    position = dict(zip(keys, range(len(keys)), strict=True))
    labels = sheet["study"].tolist() if "study" in sheet else [None] * len(sheet)
    sheet_keys = sheet[key].astype(str).tolist()
    problems = [
        f"{source_name}.{source_key} = {value}: no row of the sheet"
        for value in keys
        if value not in set(sheet_keys)
    ]
    checked = 0
    for i, value in enumerate(sheet_keys):
        where = row_name(i + 1, labels[i])
        if value not in position:
            problems.append(f"{where}, column {key!r}: {value} is not a {source_name}.{source_key}")
            continue
        for column, source_column in columns.items():
            if column == key:
                continue
            mine, theirs = sheet[column].iloc[i], source[source_column].iloc[position[value]]
            if not _same(mine, theirs):
                problems.append(
                    f"{where}, column {column!r}: {mine} but {source_name}.{source_column} = "
                    f"{theirs}"
                )
            checked += 1
    if problems:
        raise SheetError(f"extraction sheet against source {source_name!r}", problems)
    return checked


def _same(mine: object, theirs: object) -> bool:
    try:
        return abs(float(mine) - float(theirs)) <= 1e-9
    except (TypeError, ValueError):
        return str(mine).strip() == str(theirs).strip()
