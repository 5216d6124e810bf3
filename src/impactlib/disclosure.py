"""Statistical disclosure control: what every table passes before it reaches ``data/open/``.

Three rules, each refusing with a :class:`DisclosureError` that names the table and the
column or cell found (never the sensitive value itself):

1. **Direct identifiers.** A column whose *name* denotes a person's name, e-mail, phone,
   social security number (NIR) or address is refused (names are compared without accents
   or case, token by token: ``Prénom``, ``first_name``, ``adresseMail`` all match). Every
   text cell is also scanned for *content* that looks like an e-mail address, a French
   phone number, a NIR (13 characters of the NIR's shape; when two more digits follow,
   they must be its key, Corsica ``2A``/``2B`` included, so that a 15-digit number that is
   no NIR passes) or a street address (a number and a street type); integer columns are
   scanned for NIRs. Pattern matching can refuse a harmless text (it says which column
   and row) and cannot see a name written in prose: it is a safety net, not a reason to
   put free text about people in a table meant for publication.
2. **Small counts.** Cells of declared count columns below ``threshold`` (11 by default,
   the usual French rule of *secret statistique* for counts of people) are suppressed by
   :func:`suppress_small_counts`, with secondary suppression so that the totals printed in
   the table cannot give them back; :func:`check_table` refuses such a cell instead, by
   default.
3. **k-anonymity.** On microdata, every combination of the declared quasi-identifiers
   (age band, sex, commune...) must be shared by at least ``k`` rows (5 by default).

No well-kept Python library does all three for a pandas table: the reference tools for
cell suppression are tau-Argus and the R package sdcTable; ACRO (Python) checks research
outputs inside its own session workflow. k-anonymity is a ``groupby``; the rest is written
here and tested in ``tests/unit/test_disclosure.py``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from impactlib.validation import InputError, as_list, plain, require_columns

DEFAULT_THRESHOLD = 11
DEFAULT_K = 5

# Tokens (or token pairs joined by "_") of a column name that denote a direct identifier.
IDENTIFIER_NAMES: dict[str, frozenset[str]] = {
    "personal name": frozenset(
        {
            "nom",
            "noms",
            "name",
            "names",
            "prenom",
            "prenoms",
            "firstname",
            "first_name",
            "lastname",
            "last_name",
            "surname",
            "nomdefamille",
            "nom_famille",
            "nom_usage",
        }
    ),
    "e-mail address": frozenset({"email", "e_mail", "courriel", "mail", "mel"}),
    "telephone number": frozenset(
        {"telephone", "phone", "tel", "mobile", "portable", "gsm", "fax"}
    ),
    "social security number": frozenset(
        {"nir", "secu", "securite_sociale", "ssn", "insee_nir", "social_security"}
    ),
    "postal address": frozenset({"adresse", "address", "addr", "rue", "street"}),
}

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# +33 6 12 34 56 78, +33 (0)6..., 06 12 34 56 78, 06.12.34.56.78, 0612345678: a 0 (or +33)
# then a digit 1-9 and four pairs of digits, with optional single separators.
_PHONE = re.compile(
    r"(?<![\w.,+])(?:(?:\+|00)33[ \u00a0.\-]?(?:\(0\)[ \u00a0.\-]?)?|0)[1-9]"
    r"(?:[ \u00a0.\-]?\d{2}){4}(?!\d)"
)
# NIR: sex, year (2), month (01-12, or 20-99 when unknown), department (2 digits or 2A/2B),
# commune (3), order (3), then an optional 2-digit key; single spaces allowed between groups.
_S = r"[ \u00a0\u202f]?"
_NIR = re.compile(
    rf"(?<![\w.,])([12]){_S}(\d{{2}}){_S}(0[1-9]|1[0-2]|[2-9]\d){_S}(\d{{2}}|2[AaBb])"
    rf"{_S}(\d{{3}}){_S}(\d{{3}})(?:{_S}(\d{{2}}))?(?![\w,]|\.\d|{_S}\d)"
)
# A street address: a number then a street type. A postcode and town alone ("75011 Paris")
# is a place, not a person's address: it is a quasi-identifier, for k-anonymity.
# Street types that are never anything else after a number ("12 rue", "3 bis, bd")...
_STREETS = r"rue|avenue|av\.|boulevard|bd|bld|all[ée]e|impasse|quai|chauss[ée]e|faubourg|fbg"
# ...and words that are, unless followed by a name ("3 place de la Mairie", not "1 place en
# crèche"; "cours" is left out: "3 cours de yoga" is no address).
_AMBIGUOUS = r"place|chemin|route|square|passage|villa|cit[ée]|r[ée]sidence|lotissement"
_NUMBER = r"(?<![\w.,])\d{1,4}(?:[ \u00a0]?(?:bis|ter|quater|[A-Da-d]))?,?[ \u00a0]+"
_ADDRESS = re.compile(
    rf"{_NUMBER}(?:(?i:{_STREETS})(?!\w)|(?i:{_AMBIGUOUS})[ \u00a0]+(?:d[eu]s?\b|d'|[A-Z]))"
)
PATTERN_KINDS = (
    "e-mail address",
    "telephone number",
    "social security number (NIR)",
    "postal address",
)


class DisclosureError(InputError):
    """A table that may not be published; the message names the table and what was found.

    ``findings`` lists one :class:`Finding` per problem.
    """

    def __init__(self, message: str, findings: Sequence[Finding] = ()):
        super().__init__(message)
        self.findings = list(findings)


@dataclass(frozen=True)
class Finding:
    """One disclosure problem: the rule, the column, the first row (index label) and a note."""

    rule: str
    column: str | None
    row: Hashable | None
    detail: str


class SuppressedCell(NamedTuple):
    """A suppressed cell: its row (index label), its column, and why ("primary"/"secondary")."""

    row: Hashable
    column: str
    kind: str


class Suppression(NamedTuple):
    """The table with small counts set to missing, and the cells suppressed (in order)."""

    table: pd.DataFrame
    cells: tuple[SuppressedCell, ...]

    @property
    def mask(self) -> pd.DataFrame:
        """Boolean frame of the table's shape: ``True`` where a cell was suppressed."""
        mask = pd.DataFrame(False, index=self.table.index, columns=self.table.columns)
        for cell in self.cells:
            mask.loc[cell.row, cell.column] = True
        return mask


@dataclass(frozen=True)
class DisclosureReport:
    """What :func:`check_table` checked and, in non-strict mode, what it suppressed.

    ``table`` is the table safe to publish (the input, or its suppressed copy).
    """

    name: str
    table: pd.DataFrame
    n_rows: int
    columns_scanned: tuple[str, ...]
    suppressed: tuple[SuppressedCell, ...] = ()
    quasi_identifiers: tuple[str, ...] = ()
    smallest_class: int | None = None
    notes: tuple[str, ...] = field(default=())

    def summary(self) -> str:
        lines = [
            f"table {self.name!r}: {self.n_rows} rows, {len(self.columns_scanned)} text "
            "column(s) scanned for direct identifiers: none found"
        ]
        if self.suppressed:
            lines.append(f"{len(self.suppressed)} small-count cell(s) suppressed")
        if self.quasi_identifiers:
            lines.append(
                f"{len(self.quasi_identifiers)} quasi-identifier(s), smallest class "
                f"{self.smallest_class}"
            )
        return "\n".join(lines + list(self.notes))


# --------------------------------------------------------------------------- identifiers


def _tokens(column: object) -> list[str]:
    text = unicodedata.normalize("NFKD", str(column))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)  # camelCase -> camel_Case
    return [t for t in re.split(r"[^a-z0-9]+", text.lower()) if t]


def identifier_kind_of_name(column: object) -> str | None:
    """The kind of direct identifier a column name denotes, or ``None``.

    Examples
    --------
    >>> identifier_kind_of_name("Prénom"), identifier_kind_of_name("adresseMail")
    ('personal name', 'e-mail address')
    >>> identifier_kind_of_name("theme_label") is None
    True
    """
    tokens = _tokens(column)
    candidates = set(tokens)
    candidates |= {f"{a}_{b}" for a, b in zip(tokens, tokens[1:], strict=False)}
    candidates.add("".join(tokens))
    candidates.add("_".join(tokens))
    for kind, names in IDENTIFIER_NAMES.items():
        if candidates & names:
            return kind
    return None


def nir_key_is_valid(nir13: str, key: str | int) -> bool:
    """Whether ``key`` is the NIR key of the 13 characters ``nir13``: 97 - (n mod 97).

    For Corsica the department 2A counts as 19 and 2B as 18 in the computation.

    Examples
    --------
    >>> nir_key_is_valid("1840376451089", 96)  # 97 - (1840376451089 mod 97)
    True
    >>> nir_key_is_valid("1840376451089", 46)
    False
    >>> nir_key_is_valid("185072A005123", 58)  # 2A counts as 19
    True
    """
    digits = re.sub(r"\s", "", nir13).upper()
    digits = digits[:5] + digits[5:7].replace("2A", "19").replace("2B", "18") + digits[7:]
    if not re.fullmatch(r"\d{13}", digits):
        return False
    return 97 - int(digits) % 97 == int(key)


def _is_nir(match: re.Match[str]) -> bool:
    key = match.group(7)
    if key is None:
        return True  # 13 digits of the NIR shape: refused without a key to check
    nir13 = "".join(match.group(i) for i in range(1, 7))
    return nir_key_is_valid(nir13, key)


def _a(kind: str) -> str:
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


def _shape(text: str) -> str:
    """A value with every letter as x and every digit as 9: its shape, not its content."""
    return re.sub(r"\d", "9", re.sub(r"[^\W\d_]", "x", text))


def find_identifier(text: str) -> tuple[str, str] | None:
    """The kind and shape of the first direct identifier in a text, or ``None``.

    The shape replaces letters by ``x`` and digits by ``9``, so a message can show what
    was found without echoing it.

    Examples
    --------
    >>> find_identifier("écrire à jean.dupont@example.org avant lundi")
    ('e-mail address', 'xxxx.xxxxxx@xxxxxxx.xxx')
    >>> find_identifier("tél. 06 12 34 56 78")
    ('telephone number', '99 99 99 99 99')
    >>> find_identifier("Essai randomisé, 445 hommes, 1975-1978") is None
    True
    """
    match = _EMAIL.search(text)
    if match:
        return PATTERN_KINDS[0], _shape(match.group(0))
    for match in _NIR.finditer(text):
        if _is_nir(match):
            return PATTERN_KINDS[2], _shape(match.group(0))
    match = _PHONE.search(text)
    if match:
        return PATTERN_KINDS[1], _shape(match.group(0))
    match = _ADDRESS.search(text)
    if match:
        return PATTERN_KINDS[3], _shape(match.group(0))
    return None


def _text_columns(frame: pd.DataFrame) -> list[str]:
    return [
        c
        for c in frame.columns
        if not (pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c]))
        and not pd.api.types.is_datetime64_any_dtype(frame[c])
    ]


def find_direct_identifiers(
    frame: pd.DataFrame, *, allow_names: Sequence[str] = ()
) -> list[Finding]:
    """Every direct identifier in a table: by column name, then by content.

    Parameters
    ----------
    frame : DataFrame
        The table to scan.
    allow_names : sequence of str
        Columns whose *name* is known not to denote a person (e.g. ``"nom_commune"``);
        their content is still scanned.

    Returns
    -------
    list of Finding
        One per column and kind, with the first row where it was found (index label) and
        how many rows match; empty when the table is clean.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"courriel": ["?"], "note": ["appeler le 01 23 45 67 89"]})
    >>> [(f.column, f.rule) for f in find_direct_identifiers(frame)]
    [('courriel', 'direct identifier (column name)'), ('note', 'direct identifier (content)')]
    """
    findings: list[Finding] = []
    allowed = set(allow_names)
    text_columns = set(_text_columns(frame))
    for column in frame.columns:
        kind = None if column in allowed else identifier_kind_of_name(column)
        if kind:
            findings.append(
                Finding(
                    "direct identifier (column name)",
                    str(column),
                    None,
                    f"column {str(column)!r} is named like {_a(kind)}",
                )
            )
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_integer_dtype(series):
            cells = series.dropna().astype("int64").astype(str)
        elif column in text_columns:
            cells = series.dropna()
            cells = cells[cells.map(lambda v: isinstance(v, str))]
        else:
            continue
        hits: dict[str, list[tuple[Hashable, str]]] = {}
        for label, value in cells.items():
            found = find_identifier(value)
            if found:
                hits.setdefault(found[0], []).append((plain(label), found[1]))
        for kind in PATTERN_KINDS:
            if kind in hits:
                first, shape = hits[kind][0]
                n = len(hits[kind])
                findings.append(
                    Finding(
                        "direct identifier (content)",
                        str(column),
                        first,
                        f"column {str(column)!r} holds what looks like {_a(kind)} at row "
                        f"{first!r} (shape {shape!r}; {n} row(s) in all; value not shown)",
                    )
                )
    return findings


# --------------------------------------------------------------------------- small counts


def _require_counts(frame: pd.DataFrame, columns: Sequence[str], *, allow_missing: bool) -> None:
    require_columns(frame, columns, role="count column")
    for column in columns:
        series = frame[column]
        if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            raise InputError(f"count column {column!r} must be numeric, got {series.dtype}")
        present = series.dropna()
        if not allow_missing and len(present) < len(series):
            row = plain(series.index[series.isna().to_numpy()][0])
            raise InputError(
                f"count column {column!r} has a missing value at row {row!r}: suppress from "
                "the complete table"
            )
        values = present.to_numpy(dtype=float)
        bad = (values < 0) | (values != np.round(values)) | ~np.isfinite(values)
        if bad.any():
            row = plain(present.index[np.flatnonzero(bad)[0]])
            raise InputError(
                f"count column {column!r} must hold non-negative whole numbers; row {row!r} "
                "does not"
            )


def _check_margins(
    values: np.ndarray,
    rows: list[Hashable],
    columns: list[str],
    total_column: int | None,
    total_row: int | None,
) -> None:
    inner_r = [i for i in range(len(rows)) if i != total_row]
    inner_c = [j for j in range(len(columns)) if j != total_column]
    if total_column is not None:
        sums = values[:, inner_c].sum(axis=1)
        wrong = np.flatnonzero(~np.isclose(sums, values[:, total_column]))
        if wrong.size:
            raise InputError(
                f"row total column {columns[total_column]!r} is not the sum of the other count "
                f"columns at row {rows[wrong[0]]!r}"
            )
    if total_row is not None:
        sums = values[inner_r, :].sum(axis=0)
        wrong = np.flatnonzero(~np.isclose(sums, values[total_row, :]))
        if wrong.size:
            raise InputError(
                f"total row {rows[total_row]!r} is not the sum of the other rows in column "
                f"{columns[wrong[0]]!r}"
            )


def _lines(n_rows: int, n_cols: int, total_column: int | None, total_row: int | None):
    """The additive relations of the table: lists of (i, j) cells summing to a total cell.

    Each line includes its total, so that a line with exactly one unknown cell is one
    whose unknown can be recomputed by subtraction.
    """
    lines: list[list[tuple[int, int]]] = []
    if total_column is not None:
        lines += [[(i, j) for j in range(n_cols)] for i in range(n_rows)]
    if total_row is not None:
        lines += [[(i, j) for i in range(n_rows)] for j in range(n_cols)]
    return lines


def _secondary(
    values: np.ndarray,
    suppressed: np.ndarray,
    lines: list[list[tuple[int, int]]],
    margins: set[tuple[int, int]],
) -> list[tuple[int, int]]:
    added: list[tuple[int, int]] = []
    changed = True
    while changed:
        changed = False
        for line in lines:
            hidden = [cell for cell in line if suppressed[cell]]
            if len(hidden) != 1:
                continue
            open_cells = [cell for cell in line if not suppressed[cell]]
            # Smallest inner cell first (least information lost); a total only if no inner
            # cell is left; ties broken by position, so the result is deterministic.
            choice = min(open_cells, key=lambda c: (c in margins, values[c], c))
            suppressed[choice] = True
            added.append(choice)
            changed = True
    return added


def suppress_small_counts(
    table: pd.DataFrame,
    *,
    count_columns: str | Sequence[str],
    threshold: int = DEFAULT_THRESHOLD,
    row_total: str | None = None,
    total_row: Hashable | None = None,
    keep_zeros: bool = False,
) -> Suppression:
    """Suppress counts below ``threshold`` and enough other cells that totals cannot restore them.

    **Primary suppression**: every cell of ``count_columns`` (totals included) below
    ``threshold`` becomes missing (zeros too, unless ``keep_zeros``).

    **Secondary suppression**: the table's totals are additive relations: each row's cells
    sum to its ``row_total`` column, each column's cells sum to its ``total_row``. A
    relation with exactly one missing cell gives that cell back by subtraction. So, until
    no relation has exactly one missing cell, the smallest visible cell of such a relation
    is suppressed as well (an inner cell before a total; ties broken by position). A cell
    suppressed to protect a row may leave a column with one missing cell, hence the loop;
    it ends because cells are only ever added.

    Limits: this guarantees that no suppressed cell is the difference between *one*
    printed total and printed cells. It does not guarantee a protection interval: combining
    several relations (linear programming on the whole table) can narrow, and in some
    patterns pin down, a suppressed value; nor does it protect against differencing with
    other published tables (a sub-total published elsewhere, a hierarchy of tables). The
    greedy choice is not the optimal (least loss) pattern, which is an integer programme:
    tau-Argus or R's sdcTable compute that. Without a declared total there is no relation,
    and only primary suppression happens.

    Parameters
    ----------
    table : DataFrame
        Rows are categories; ``count_columns`` hold counts (non-negative whole numbers, no
        missing value). Other columns (labels) are left alone.
    count_columns : str or sequence of str
        Columns of counts, including ``row_total`` if there is one.
    threshold : int, default 11
        Smallest count that may be shown.
    row_total : str, optional
        Count column that holds each row's total of the other count columns.
    total_row : hashable, optional
        Index label of the row that holds each column's total of the other rows.
    keep_zeros : bool, default False
        Show zero cells (structural zeros that disclose nothing in the table at hand).

    Returns
    -------
    Suppression
        ``(table, cells)``: the table with suppressed cells missing (count columns as
        pandas ``Int64``) and the cells suppressed, primary ones first; ``mask`` flags them.

    Raises
    ------
    InputError
        A count column missing, not numeric, with a negative, fractional or missing value;
        a declared total that is not the sum of its cells; a bad threshold.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"a": [3, 40, 43], "b": [20, 30, 50], "total": [23, 70, 93]},
    ...                  index=["x", "y", "total"])
    >>> table, cells = suppress_small_counts(t, count_columns=["a", "b", "total"],
    ...                                      row_total="total", total_row="total")
    >>> [(c.row, c.column, c.kind) for c in cells]
    [('x', 'a', 'primary'), ('x', 'b', 'secondary'), ('y', 'a', 'secondary'), \
('y', 'b', 'secondary')]
    >>> table.loc["total"].tolist()
    [43, 50, 93]
    """
    columns = as_list(count_columns)
    if not columns:
        raise InputError("count_columns is empty: name the columns that hold counts")
    if not isinstance(threshold, int | np.integer) or threshold < 1:
        raise InputError(f"threshold must be a positive whole number, got {threshold!r}")
    _require_counts(table, columns, allow_missing=False)
    if row_total is not None and row_total not in columns:
        raise InputError(f"row_total {row_total!r} must be one of count_columns")
    if table.index.has_duplicates:
        raise InputError("table index has duplicate labels: cells could not be named")
    rows = [plain(r) for r in table.index]
    if total_row is not None and total_row not in table.index:
        raise InputError(f"total_row {total_row!r} is not a row label of the table")
    values = table[columns].to_numpy(dtype=float)
    t_col = columns.index(row_total) if row_total is not None else None
    t_row = table.index.get_loc(total_row) if total_row is not None else None
    _check_margins(values, rows, columns, t_col, t_row)

    small = values < threshold
    if keep_zeros:
        small &= values != 0
    suppressed = small.copy()
    margins = {(i, j) for i in range(len(rows)) for j in range(len(columns))}
    margins = {(i, j) for i, j in margins if i == t_row or j == t_col}
    lines = _lines(len(rows), len(columns), t_col, t_row)
    added = _secondary(values, suppressed, lines, margins)

    primary = [(int(i), int(j)) for i, j in np.argwhere(small)]
    cells = [SuppressedCell(rows[i], columns[j], "primary") for i, j in primary]
    cells += [SuppressedCell(rows[i], columns[j], "secondary") for i, j in added]
    out = table.copy()
    for j, column in enumerate(columns):
        out[column] = pd.array(
            [pd.NA if suppressed[i, j] else int(values[i, j]) for i in range(len(rows))],
            dtype="Int64",
        )
    return Suppression(out, tuple(cells))


def recoverable_cells(
    table: pd.DataFrame,
    *,
    count_columns: str | Sequence[str],
    row_total: str | None = None,
    total_row: Hashable | None = None,
) -> list[tuple[Hashable, str]]:
    """Missing cells that one printed total gives back (the only unknown of its relation).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"a": [pd.NA, 40], "b": [20, 30], "total": [23, 70]},
    ...                  index=["x", "y"]).astype("Int64")
    >>> recoverable_cells(t, count_columns=["a", "b", "total"], row_total="total")
    [('x', 'a')]
    """
    columns = as_list(count_columns)
    missing = table[columns].isna().to_numpy()
    rows = [plain(r) for r in table.index]
    t_col = columns.index(row_total) if row_total is not None else None
    t_row = table.index.get_loc(total_row) if total_row is not None else None
    found: list[tuple[Hashable, str]] = []
    for line in _lines(len(rows), len(columns), t_col, t_row):
        hidden = [cell for cell in line if missing[cell]]
        if len(hidden) == 1:
            i, j = hidden[0]
            if (rows[i], columns[j]) not in found:
                found.append((rows[i], columns[j]))
    return found


# --------------------------------------------------------------------------- k-anonymity


def smallest_class(frame: pd.DataFrame, quasi_identifiers: Sequence[str]) -> pd.Series:
    """Size and values of the smallest equivalence class of the quasi-identifiers.

    Missing values form their own class. Returns the class's quasi-identifier values with
    its size under ``"size"``.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"age": ["30-39"] * 6 + ["90+"], "sexe": ["F"] * 7})
    >>> smallest_class(frame, ["age", "sexe"]).to_dict()
    {'age': '90+', 'sexe': 'F', 'size': 1}
    """
    sizes = frame.groupby(list(quasi_identifiers), dropna=False, sort=True).size()
    sizes = sizes.rename("size").reset_index()
    return sizes.sort_values("size", kind="stable").iloc[0]


# --------------------------------------------------------------------------- the check


def check_table(
    frame: pd.DataFrame,
    *,
    name: str,
    quasi_identifiers: str | Sequence[str] = (),
    count_columns: str | Sequence[str] = (),
    threshold: int = DEFAULT_THRESHOLD,
    k: int = DEFAULT_K,
    strict: bool = True,
    row_total: str | None = None,
    total_row: Hashable | None = None,
    allow_names: Sequence[str] = (),
    keep_zeros: bool = False,
) -> DisclosureReport:
    """Refuse a table that would disclose a person; return what was checked.

    The checks, in order: direct identifiers (column names, then text content), small
    counts in ``count_columns``, then k-anonymity on ``quasi_identifiers``.

    Parameters
    ----------
    frame : DataFrame
        The table as it would be published.
    name : str
        Its name, used in every message.
    quasi_identifiers : str or sequence of str
        Columns that, combined, could single a person out in microdata (age band, sex,
        commune...); every combination must be shared by at least ``k`` rows.
    count_columns : str or sequence of str
        Columns of counts of people. Missing cells are taken as already suppressed.
    threshold : int, default 11
        Smallest count that may be shown.
    k : int, default 5
        Smallest equivalence class allowed.
    strict : bool, default True
        Refuse a count below ``threshold`` (naming the cell). With ``False``, suppress it
        (and the secondary cells, see :func:`suppress_small_counts`) and return the
        suppressed table in the report.
    row_total, total_row
        The table's totals (see :func:`suppress_small_counts`); in strict mode, a table
        whose missing cell one total gives back is refused.
    allow_names : sequence of str
        Columns whose name looks like an identifier but is not (their content is still
        scanned).
    keep_zeros : bool, default False
        Let zero counts through (see :func:`suppress_small_counts`).

    Returns
    -------
    DisclosureReport

    Raises
    ------
    DisclosureError
        Naming the table and the column, cell or classes found.

    Examples
    --------
    >>> import pandas as pd
    >>> clean = pd.DataFrame({"commune": ["A", "B"], "beneficiaires": [25, 40]})
    >>> check_table(clean, name="demo", count_columns="beneficiaires").n_rows
    2
    >>> leaky = clean.assign(contact=["écrire à m.dupont@example.org", ""])
    >>> try:
    ...     check_table(leaky, name="demo")
    ... except DisclosureError as error:
    ...     print(error)
    table 'demo': column 'contact' holds what looks like an e-mail address at row 0 \
(shape 'x.xxxxxx@xxxxxxx.xxx'; 1 row(s) in all; value not shown)
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"table {name!r} must be a pandas DataFrame, got {type(frame).__name__}")
    if not isinstance(k, int | np.integer) or k < 1:
        raise InputError(f"k must be a positive whole number, got {k!r}")
    qis = as_list(quasi_identifiers)
    counts = as_list(count_columns)

    findings = find_direct_identifiers(frame, allow_names=allow_names)
    if findings:
        listed = "\n  ".join(f.detail for f in findings)
        sep = "\n  " if len(findings) > 1 else ""
        raise DisclosureError(f"table {name!r}: {sep}{listed}", findings)

    table = frame
    suppressed: tuple[SuppressedCell, ...] = ()
    if counts:
        _require_counts(frame, counts, allow_missing=True)
        values = frame[counts]
        small = (values < threshold).fillna(False).to_numpy(dtype=bool)
        if keep_zeros:
            small = small & ~(values == 0).fillna(False).to_numpy(dtype=bool)
        if strict and small.any():
            i, j = (int(x[0]) for x in np.nonzero(small))
            row, column = plain(frame.index[i]), counts[j]
            n_small = int(small.sum())
            raise DisclosureError(
                f"table {name!r}: cell (row {row!r}, column {column!r}) counts fewer than "
                f"{threshold} (small-count rule; {n_small} such cell(s)): suppress it with "
                "suppress_small_counts",
                [Finding("small count", column, row, f"count below {threshold}")],
            )
        if strict:
            back = recoverable_cells(
                frame, count_columns=counts, row_total=row_total, total_row=total_row
            )
            if back:
                row, column = back[0]
                raise DisclosureError(
                    f"table {name!r}: suppressed cell (row {row!r}, column {column!r}) is "
                    "given back by a total (secondary suppression missing)",
                    [Finding("secondary suppression", column, row, "recoverable")],
                )
        elif small.any():
            table, suppressed = suppress_small_counts(
                frame,
                count_columns=counts,
                threshold=threshold,
                row_total=row_total,
                total_row=total_row,
                keep_zeros=keep_zeros,
            )

    smallest = None
    if qis:
        require_columns(frame, qis, role="quasi-identifier")
        cls = smallest_class(frame, qis)
        smallest = int(cls["size"])
        if smallest < k:
            sizes = frame.groupby(qis, dropna=False).size()
            n_small = int((sizes < k).sum())
            values = ", ".join(f"{q}={plain(cls[q])!r}" for q in qis)
            raise DisclosureError(
                f"table {name!r}: not {k}-anonymous on quasi-identifiers "
                f"{', '.join(repr(q) for q in qis)}: the smallest class has {smallest} "
                f"row(s) ({values}); {n_small} class(es) have fewer than {k}",
                [Finding("k-anonymity", None, None, f"smallest class {smallest}")],
            )

    return DisclosureReport(
        name=name,
        table=table,
        n_rows=len(frame),
        columns_scanned=tuple(str(c) for c in _text_columns(frame)),
        suppressed=tuple(suppressed),
        quasi_identifiers=tuple(qis),
        smallest_class=smallest,
    )
