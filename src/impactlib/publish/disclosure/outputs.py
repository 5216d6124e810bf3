"""Output checking: what a confidential study lets out (its executed notebook and
``estimates.json``) is refused when it shows rows, direct identifiers or small counts.

What is read, output by output: stream text, ``text/plain``, ``text/html``,
``text/markdown`` and other text data, error tracebacks, and glued values (outputs whose
metadata holds ``scrapbook`` or whose data keys start with ``application/papermill.record/``,
as :func:`impactlib.report.glue` writes them through myst-nb). What is refused:

- **Direct identifiers**: a raw value of a direct-identifier column (``identifier_values``)
  in any text, compared case-insensitively, whitespace collapsed, word by word; values with
  fewer than 4 letters or digits are ignored. Phones and NIRs are compared on their digits
  (see :mod:`~impactlib.publish.disclosure.rendered`): ``+33 6 12 34 56 78`` is
  ``06.12.34.56.78``; a digit value of fewer than 8 digits is ignored, as it would match
  any count. A surname that is also a word (``Petit``) is found in prose too.
- **Row-level extracts**: a row of an HTML table (pandas', a Styler's, ``french_table``'s)
  or of a frame's text repr that equals a row of a confidential table on every column they
  share (index excluded; numbers rounded to the precision shown, French numbers and dates
  read) when they share at least 2 measures (numbers or dates with ``threshold`` or more
  distinct values: a group key and a median may equal a person's by chance) and fewer than
  ``threshold`` rows of the table hold that combination (one held by more labels an
  aggregate cell, not a person). Rows labelled by a statistic (``mean``, ``50%``, ``max``,
  ``All``...) are aggregates. Any text holding a value of a key column (named like an id,
  :data:`KEY_NAME_WORDS`, or of unique strings of 8+ characters in a table of at least
  ``threshold`` rows) is an extract too, for values of 8+ characters, or 6+ with a letter:
  shorter ones are numbers (row numbers, counts).
- **Small counts** (above 0, below ``threshold``): cells of a column named as in
  :data:`COUNT_NAMES` (``count``, ``size``, ``n``, ``effectif``, ``nombre``); text reprs of
  a Series so named (``value_counts()``) or of an unnamed integer Series with a named index
  (``groupby(...).size()``; ``groupby(...)[column].size()`` is named after the column and
  is not recognised: rename it ``n``); crosstabs, i.e. tables of non-negative whole numbers
  with both axes named or ``All`` margins (``pd.crosstab``, a ``pivot_table`` of counts; a
  multi-level crosstab is read from its HTML, not its text). In ``estimates.json``: the
  counts of people of each estimate and of the comparison's headline
  (:data:`PEOPLE_COUNT_KEYS`; not ``n_clusters``, nor ``n_dropped``, rows set aside for
  missing values) and the integer ``facts`` whose key starts with ``n_`` unless a word of
  it names no people (:data:`NOT_PEOPLE_WORDS`: clusters, periods, resamples...).

Figures (PNG) cannot be read for numbers: the cell that drew a figure is checked as a
cell, and its figure file is as safe as that cell. Cell sources are the repository's text,
reviewed as code, and are not scanned. Messages name the study, the cell (its index among
all cells, and its id) or the key of ``estimates.json``, and the reason; never the value
found, nor a small count.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from impactlib.core.validation import InputError
from impactlib.intake.identifiers import Finding
from impactlib.publish.disclosure.errors import DisclosureError
from impactlib.publish.disclosure.rendered import (
    MISSING,
    Grid,
    ValueFinder,
    html_tables,
    norm,
    read_number,
    text_tables,
)
from impactlib.publish.disclosure.suppression import DEFAULT_THRESHOLD

COUNT_NAMES = frozenset({"count", "size", "n", "effectif", "effectifs", "nombre"})
PEOPLE_COUNT_KEYS = ("n", "n_obs", "n_treated", "n_control", "n_left", "n_right")
NOT_PEOPLE_WORDS = frozenset(
    "cluster clusters period periods pre post resamples draws replications placebos "
    "neighbors neighbours donors counties elections figures covariates terms folds bins "
    "iterations smd cohorts years months weeks days lags leads seed".split()
)
KEY_NAME_WORDS = frozenset(
    "id ids pid uid uuid guid identifiant identifier pseudo pseudonym pseudonyme hash "
    "key cle matricule".split()
)
GLUE_PREFIX = "application/papermill.record/"
_STATISTICS = frozenset(
    "count mean std min max median sum var sem unique top freq first last mode total all "
    "nunique size moyenne mediane ecart-type".split()
)
_NA = "\x00"
_DATE, _DATE_SPEC = "%Y-%m-%d %H:%M:%S", ("d", 0)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True)
class OutputFinding:
    """One problem in a study's outputs: where (``"cell 12 (id abc123)"`` or
    ``"estimates.json: estimates.main.n_treated"``) and why, in English, value not shown."""

    study: str
    where: str
    reason: str


def _missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or an array in a cell
        return False


# --------------------------------------------------------------------------- comparisons


def _format(value: float, spec: tuple[str, int]) -> str:
    return f"{value:.{spec[1]}{spec[0]}}"


def _small_counts(grid: Grid, threshold: int) -> int:
    """How many cells of a count table (see the module) are above 0 and below threshold."""
    numbers = {
        (r, k): None if (number := read_number(cell)) is None else number[0]
        for r, (_, cells) in enumerate(grid.rows)
        for k, cell in enumerate(cells)
        if norm(cell) not in MISSING
    }
    whole = all(v is not None and v >= 0 and v == int(v) for v in numbers.values())
    if grid.series is not None:
        named = norm(grid.series) in COUNT_NAMES
        counted = {0} if named or (grid.series == "" and grid.index_named and whole) else set()
    elif grid.crosstab and whole:
        counted = set(range(len(grid.columns)))
    else:
        counted = {k for k, c in enumerate(grid.columns) if norm(c) in COUNT_NAMES}
    return sum(
        1 for (_, k), v in numbers.items() if k in counted and v is not None and 0 < v < threshold
    )


class _Source:
    """A confidential table, its columns normalised on demand for each display format."""

    def __init__(self, name: str, frame: pd.DataFrame) -> None:
        self.name, self.frame = name, frame
        self.columns = {norm(str(c)): c for c in frame.columns}
        self._values: dict[tuple[object, tuple[str, int] | None], list[str]] = {}
        self._combos: dict[tuple[object, ...], Counter] = {}
        self._measures: dict[object, bool] = {}

    def spec(self, column: object, cells: list[str]) -> tuple[str, int] | None:
        """How a column is shown: ``("f", decimals)``, ``("e", digits)``, ``("d", 0)`` (a
        date) or ``None`` (text)."""
        series = self.frame[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            return _DATE_SPEC
        if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
            return None
        parsed = [read_number(c) for c in cells if norm(c) not in MISSING]
        specs = [n[1] for n in parsed if n is not None]
        if not specs or len(specs) < len(parsed):
            return None
        kind = "e" if any(k == "e" for k, _ in specs) else "f"
        return kind, max(d for k, d in specs if k == kind)

    def values(self, column: object, spec: tuple[str, int] | None) -> list[str]:
        if (column, spec) not in self._values:
            series = self.frame[column]
            if spec == _DATE_SPEC:
                out = series.dt.strftime(_DATE).fillna(_NA).tolist()
            elif spec is not None:
                numbers = series.to_numpy(dtype=float, na_value=float("nan"))
                out = [_NA if v != v else _format(v, spec) for v in numbers]
            else:
                out = [_NA if _missing(v) else norm(str(v)) for v in series.tolist()]
            self._values[column, spec] = out
        return self._values[column, spec]

    def measure(self, column: object, threshold: int) -> bool:
        """A number or a date taking at least ``threshold`` distinct values."""
        if column not in self._measures:
            series = self.frame[column]
            kind = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
            kind = kind or pd.api.types.is_datetime64_any_dtype(series)
            self._measures[column] = bool(kind) and series.nunique() >= threshold
        return self._measures[column]

    def rare_rows(self, grid: Grid, threshold: int) -> int:
        """Rows of ``grid`` equal to a row of the table held by fewer than threshold rows."""
        shared = [(k, self.columns.get(norm(c))) for k, c in enumerate(grid.columns)]
        shared = [(k, c) for k, c in shared if c is not None and norm(grid.columns[k])]
        shared = list({c: (k, c) for k, c in shared}.values())
        rows = [(lab, cells) for lab, cells in grid.rows if not _statistic(lab)]
        if sum(self.measure(c, threshold) for _, c in shared) < 2 or not rows:
            return 0
        specs = [self.spec(c, [cells[k] for _, cells in rows]) for k, c in shared]
        key = tuple((c, s) for (_, c), s in zip(shared, specs, strict=True))
        if key not in self._combos:
            columns = [self.values(c, s) for c, s in key]
            self._combos[key] = Counter(zip(*columns, strict=True))
        combos, hits = self._combos[key], 0
        for _, cells in rows:
            row = tuple(_cell(cells[k], s) for (k, _), s in zip(shared, specs, strict=True))
            hits += any(v != _NA for v in row) and 0 < combos.get(row, 0) < threshold
        return hits


def _cell(cell: str, spec: tuple[str, int] | None) -> str:
    if norm(cell) in MISSING:
        return _NA
    if spec == _DATE_SPEC:
        try:
            return pd.Timestamp(cell).strftime(_DATE)
        except (ValueError, TypeError):
            return norm(cell)
    number = read_number(cell) if spec is not None else None
    return _format(number[0], spec) if number and spec else norm(cell)


def _statistic(label: str) -> bool:
    text = norm(label)
    return text in _STATISTICS or re.fullmatch(r"\d+(?:[.,]\d+)?\s?%", text) is not None


def _name_words(column: object) -> set[str]:
    text = unicodedata.normalize("NFKD", str(column))
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", "".join(c for c in text if c.isascii()))
    return set(re.split(r"[^a-z0-9]+", text.lower()))


def _is_key(series: pd.Series, threshold: int) -> bool:
    """Unique strings of 8+ characters, in a table of at least ``threshold`` rows."""
    values = series.dropna().tolist()
    return (
        len(values) >= threshold
        and all(isinstance(v, str) and len(v) >= 8 for v in values)
        and len(set(values)) == len(values)
    )


# --------------------------------------------------------------------------- the check


@dataclass
class _Checker:
    """What one study's outputs are compared with, built once for all its outputs."""

    tables: Mapping[str, pd.DataFrame]
    identifier_values: Iterable[object]
    threshold: int
    min_row_match: int
    sources: list[_Source] = field(default_factory=list)
    identifiers: ValueFinder = field(default_factory=ValueFinder)
    keys: ValueFinder = field(default_factory=ValueFinder)

    def __post_init__(self) -> None:
        values = self.identifier_values
        pairs = (
            [(v, c) for c, vs in values.items() for v in vs]
            if isinstance(values, Mapping)
            else [(v, None) for v in values]
        )
        for name, frame in self.tables.items():
            self.sources.append(_Source(name, frame))
            for column in frame.columns:
                series = frame[column]
                if _name_words(column) & KEY_NAME_WORDS or _is_key(series, self.threshold):
                    for row, value in enumerate(series.tolist()):
                        if not _missing(value):
                            self.keys.add(
                                value, (name, str(column), row), min_chars=8, min_with_letter=6
                            )
        seen: set[tuple[str, object]] = set()
        for value, column in pairs:
            if not _missing(value) and (norm(str(value)), column) not in seen:
                seen.add((norm(str(value)), column))
                label = (None if column is None else str(column), len(seen))
                self.identifiers.add(value, label)

    def scan_output(self, texts: list[tuple[str, str]]) -> list[str]:
        """Reasons to refuse one output, given its texts as ``(mime type, text)``."""
        identifiers: set = set()
        keys: set = set()
        rows: Counter = Counter()
        small = 0
        for mime, text in texts:
            grids: list[Grid] = []
            if mime == "text/html":
                grids, text = html_tables(text)
            elif mime == "text/plain":
                grids = text_tables(text)
            identifiers |= self.identifiers.find(text)
            keys |= self.keys.find(text)
            small = max(small, sum(_small_counts(g, self.threshold) for g in grids))
            for source in self.sources:
                hits = sum(source.rare_rows(g, self.threshold) for g in grids)
                rows[source.name] = max(rows[source.name], hits)
        reasons = []
        for column in sorted({c for c, _ in identifiers}, key=str):
            n = sum(c == column for c, _ in identifiers)
            what = f"direct identifier column {column!r}" if column else "a direct identifier"
            reasons.append(f"value of {what} ({n} value(s), not shown)")
        for source in self.sources:
            shown = {(c, r) for s, c, r in keys if s == source.name}
            n = max(len({r for _, r in shown}), rows[source.name])
            if n >= self.min_row_match:
                columns = ", ".join(repr(c) for c in sorted({c for c, _ in shown}))
                also = f"; values of key column(s) {columns}" if columns else ""
                reasons.append(f"row-level extract of source {source.name!r} ({n} row(s){also})")
        if small:
            reasons.append(f"{small} count(s) below the threshold {self.threshold} (not shown)")
        return reasons


def _output_texts(output: Mapping) -> tuple[str, list[tuple[str, str]]]:
    """What an output says, as ``(mime type, text)``, and how to name it."""
    kind = output.get("output_type")
    if kind == "stream":
        return f"{output.get('name', 'stream')} stream", [
            ("text/plain", "".join(output.get("text", "")))
        ]
    if kind == "error":
        lines = [output.get("ename", ""), output.get("evalue", ""), *output.get("traceback", [])]
        return "error traceback", [("text/plain", _ANSI.sub("", "\n".join(lines)))]
    data = output.get("data") or {}
    glued = (output.get("metadata") or {}).get("scrapbook", {}).get("name")
    if glued is None and any(mime.startswith(GLUE_PREFIX) for mime in data):
        glued = "?"
    texts = []
    for mime, value in data.items():
        mime = mime.removeprefix(GLUE_PREFIX)
        if not (mime.startswith("image/") and mime != "image/svg+xml"):
            text = "".join(value) if isinstance(value, str | list) else json.dumps(value)
            texts.append((mime, text))
    return (f"glued value {glued!r}" if glued else f"{kind}"), texts


def _estimates_findings(study: str, path: Path, checker: _Checker) -> list[OutputFinding]:
    data = _read_json(path, study)
    blocks = [(f"estimates.{k}", v) for k, v in (data.get("estimates") or {}).items()]
    blocks.append(("comparison.headline", (data.get("comparison") or {}).get("headline")))
    counts = [
        (f"{where}.{key}", block.get(key))
        for where, block in blocks
        if isinstance(block, Mapping)
        for key in PEOPLE_COUNT_KEYS
    ]
    counts += [
        (f"facts.{key}", value)
        for key, value in (data.get("facts") or {}).items()
        if key.startswith("n_") and not set(key.split("_")[1:]) & NOT_PEOPLE_WORDS
    ]
    findings = [
        OutputFinding(
            study,
            f"estimates.json: {where}",
            f"count below the threshold {checker.threshold} (not shown)",
        )
        for where, value in counts
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value < checker.threshold
    ]
    text = json.dumps(data, ensure_ascii=False)
    findings += [
        OutputFinding(study, "estimates.json", reason)
        for reason in checker.scan_output([("text/markdown", text)])
    ]
    return findings


def find_output_findings(
    study: str,
    *,
    notebook: Path,
    estimates: Path | None,
    tables: Mapping[str, pd.DataFrame],
    identifier_values: Iterable[str] | Mapping[str, Iterable[str]] = (),
    threshold: int = DEFAULT_THRESHOLD,
    min_row_match: int = 1,
) -> list[OutputFinding]:
    """Every problem in the outputs of a confidential study (see the module for the rules).

    Parameters
    ----------
    study : str
        The study's id, named in every finding.
    notebook : Path
        Its executed notebook (``book/reports/<id>.ipynb``).
    estimates : Path or None
        Its ``results/<id>/estimates.json``, if any.
    tables : mapping of str to DataFrame
        The confidential tables the study read, as imported (identifiers dropped or
        pseudonymised, pseudonym columns kept), by source name.
    identifier_values : iterable of str, or mapping of column name to values
        Raw values of the direct-identifier columns (names, phones, e-mails, NIR) of the
        raw files; with a mapping, findings name the column.
    threshold : int, default 11
        Smallest count that may be shown (*secret statistique*).
    min_row_match : int, default 1
        Rows of a source an output must show to be a row-level extract.

    Returns
    -------
    list of OutputFinding
        In the notebook's order, then ``estimates.json``'s; empty when all may leave.
    """
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise InputError(f"threshold must be a positive whole number, got {threshold!r}")
    if isinstance(min_row_match, bool) or not isinstance(min_row_match, int) or min_row_match < 1:
        raise InputError(f"min_row_match must be a positive whole number, got {min_row_match!r}")
    if not isinstance(tables, Mapping):
        raise InputError(f"tables must map table names to DataFrames, got {type(tables).__name__}")
    if isinstance(identifier_values, str | bytes) or not isinstance(identifier_values, Iterable):
        raise InputError(
            f"identifier_values must be a list of values (or a mapping of lists), got "
            f"{type(identifier_values).__name__}: a single string would be read letter by letter"
        )
    for name, frame in tables.items():
        if not isinstance(frame, pd.DataFrame):
            raise InputError(f"table {name!r} of study {study!r} must be a pandas DataFrame")
    for path in (notebook, estimates):
        if path is not None and not Path(path).is_file():
            raise InputError(f"study {study!r}: no file {str(path)!r} to check")
    checker = _Checker(tables, identifier_values, threshold, min_row_match)
    cells = _read_json(Path(notebook), study).get("cells", [])
    findings = []
    for index, cell in enumerate(cells):
        where = f"cell {index}" + (f" (id {cell['id']})" if cell.get("id") else "")
        for k, output in enumerate(cell.get("outputs", [])):
            label, texts = _output_texts(output)
            for reason in checker.scan_output(texts):
                findings.append(OutputFinding(study, where, f"{reason} in output {k} ({label})"))
    if estimates is not None:
        findings += _estimates_findings(study, Path(estimates), checker)
    return findings


def _read_json(path: Path, study: str) -> dict:
    """A JSON file (notebook, estimates) as a mapping; a corrupt one is named."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"study {study!r}: {str(path)!r} is not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise InputError(f"study {study!r}: {str(path)!r} does not hold a JSON object")
    return data


def check_study_outputs(
    study: str,
    *,
    notebook: Path,
    estimates: Path | None,
    tables: Mapping[str, pd.DataFrame],
    identifier_values: Iterable[str] | Mapping[str, Iterable[str]] = (),
    threshold: int = DEFAULT_THRESHOLD,
    min_row_match: int = 1,
) -> None:
    """Refuse the outputs of a confidential study unless they may leave (see the module).

    Same parameters as :func:`find_output_findings`.

    Raises
    ------
    DisclosureError
        Listing every finding: the study, the cell (index and id) or key of
        ``estimates.json``, and the reason; never the value found.
    """
    findings = find_output_findings(
        study,
        notebook=notebook,
        estimates=estimates,
        tables=tables,
        identifier_values=identifier_values,
        threshold=threshold,
        min_row_match=min_row_match,
    )
    if findings:
        listed = "\n  ".join(f"{f.where}: {f.reason}" for f in findings)
        raise DisclosureError(
            f"study {study!r}: {len(findings)} output(s) may not leave the secure "
            f"environment (values not shown):\n  {listed}",
            [Finding("output check", None, f.where, f.reason) for f in findings],
        )
