"""What a notebook shows, read back: tables from pandas' HTML (its own, a Styler's, the
book's French tables) and pandas' text reprs of frames and Series, as grids of strings;
and known values found in any text.

A frame's text repr is read by its alignment: a header line, then lines as wide as it; its
columns are the runs of positions blank in none of them (pandas separates columns by at
least one space), the leading ones unnamed in the header holding the index. A line of index
names may follow the header; a header starting at the left margin names the columns' axis
(a crosstab names both). A Series repr ends with its ``Name: ..., dtype: ...`` (or
``dtype: ...``) footer; its value is the last word of each line.

Values are found word by word, casefolded (``Jean-Pierre`` in ``JEAN PIERRE``), or, when
made of digits and separators only, by their digits: a French phone by its last 9 digits,
so that ``+33 6 12 34 56 78``, ``06.12.34.56.78`` and ``612345678`` are one value, a
15-digit NIR with or without its key. Digits are read in groups joined by single
separators, never across a decimal point or a column gap, in strings of 8 to 15 digits.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser

MISSING = frozenset({"", "nan", "none", "<na>", "nat", "-", "\u2014", "...", ".."})
_WORD = re.compile(r"\w+")
_DIGIT_LIKE = re.compile(r"[\d\s.\-+/()]+")
_DIGIT_RUN = re.compile(r"\d+(?:[ .\-/]\d+)*")
_PHONE = re.compile(r"(?:0033|33)?0?([1-9]\d{8})")
_FOOTER = re.compile(r"(?:Name: (?P<name>.*?), )?(?:Length: \d+, )?dtype: \w+")
_NUMBER = re.compile(r"[-+]?\d+(?:\.(\d*))?(?:[eE]([-+]?\d+))?")


def norm(text: str) -> str:
    """Casefolded, whitespace collapsed (NFKC): how texts and cells are compared."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def read_number(cell: str) -> tuple[float, tuple[str, int]] | None:
    """A shown number and how it is shown: ``("f", decimals)`` or ``("e", digits)``.

    French numbers (``1\u202f508,53``, ``\u22120,5``) are read too; anything else is ``None``.

    Examples
    --------
    >>> read_number("1 508,53"), read_number("1.234568e+06"), read_number("abc")
    ((1508.53, ('f', 2)), (1234568.0, ('e', 6)), None)
    """
    text = re.sub(r"[\s\u202f\u00a0]", "", cell.replace("\u2212", "-"))
    text = text.replace(",", ".") if "." not in text else text.replace(",", "")
    match = _NUMBER.fullmatch(text)
    if not match:
        return None
    return float(text), ("e" if match.group(2) else "f", len(match.group(1) or ""))


@dataclass
class Grid:
    """A table read from an output: its value columns and its rows (index label, cells,
    aligned on the columns). ``crosstab``: both axes named, or ``All`` margins; a Series has
    its name (``""`` when unnamed) in ``series`` and ``index_named`` says if its index is."""

    columns: list[str]
    rows: list[tuple[str, list[str]]]
    crosstab: bool = False
    series: str | None = None
    index_named: bool = False


def _grid(columns: list[str], rows: list[tuple[str, list[str]]], crosstab: bool) -> Grid:
    width = len(columns)
    rows = [(label, [""] * (width - len(cells)) + cells[-width:]) for label, cells in rows]
    margins = "all" in map(norm, columns) and "all" in {norm(label) for label, _ in rows}
    return Grid(columns, rows, crosstab or margins)


class _HTMLTables(HTMLParser):
    """Tables of an HTML output (cells repeated over their colspan) and its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[tuple[bool, list[tuple[str, str]]]]] = []
        self.text: list[str] = []
        self._cell: tuple[str, int, list[str]] | None = None
        self._head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag in ("thead", "tbody"):
            self._head = tag == "thead"
        elif tag == "tr" and self.tables:
            self.tables[-1].append((self._head, []))
        elif tag in ("td", "th") and self.tables and self.tables[-1]:
            if self._cell is not None:
                self.handle_endtag(self._cell[0])
            span = dict(attrs).get("colspan") or "1"
            self._cell = (tag, int(span) if span.isdigit() else 1, [])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            kind, span, parts = self._cell
            self.tables[-1][-1][1].extend([(kind, " ".join("".join(parts).split()))] * span)
            self._cell = None
        elif tag == "thead":
            self._head = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell[2].append(data)


def html_tables(html: str) -> tuple[list[Grid], str]:
    """The tables of an HTML output, and its text (tags removed, one line per piece)."""
    parser = _HTMLTables()
    parser.feed(html)
    grids = []
    for table in parser.tables:
        head = [r for is_head, r in table if is_head or all(t == "th" for t, _ in r)]
        body = [r for is_head, r in table if not (is_head or all(t == "th" for t, _ in r))]
        if not head or not body:
            continue
        n_index = max(sum(t == "th" for t, _ in r) for r in body)
        texts = [[c for _, c in r] for r in head]
        filled = [r for r in texts if any(r[n_index:])] or texts
        named = any(any(r[:n_index]) and any(r[n_index:]) for r in texts)
        index_names = any(any(r[:n_index]) and not any(r[n_index:]) for r in texts)
        rows = [
            (" ".join(c for t, c in r if t == "th"), [c for t, c in r if t == "td"]) for r in body
        ]
        grids.append(_grid(filled[-1][n_index:], rows, named and index_names))
    return grids, "\n".join(parser.text)


def _frame_lines(lines: list[str], i: int) -> tuple[int, int, int]:
    """Where the body of a frame whose header is ``lines[i]`` starts and ends: its lines
    are as wide as the header, after an optional line of index names."""
    width, j = len(lines[i].rstrip()), i + 1
    if (
        j + 1 < len(lines)
        and 0 < len(lines[j].rstrip()) < width
        and lines[j][:1].strip()
        and len(lines[j + 1].rstrip()) == width
    ):
        j += 1
    end = j
    while end < len(lines) and len(lines[end].rstrip()) == width and lines[end].strip():
        end += 1
    return width, j, end


def _text_frame(lines: list[str], i: int) -> tuple[Grid | None, int]:
    """The frame whose header is ``lines[i]``, if any, and the index of the next line.

    Its columns are the runs of positions not blank in every line (as ``pd.read_fwf``
    infers them); the leading ones without a name in the header hold the index.
    """
    width, start, end = _frame_lines(lines, i)
    if not lines[i].strip() or end == start:
        return None, i + 1
    block = lines[i:end]
    used = [any(p < len(line) and line[p] != " " for line in block) for p in range(width)]
    spans, a = [], None
    for p, on in enumerate([*used, False]):
        if on and a is None:
            a = p
        elif not on and a is not None:
            spans.append((a, p))
            a = None
    head = lines[i]
    labels = [head[a:b].strip() for a, b in spans]
    named = head[:1] != " "
    n_index = 0
    while n_index < len(spans) and (not labels[n_index] or (n_index == 0 and named)):
        n_index += 1
    if n_index == len(spans):
        return None, i + 1
    rows = [
        (
            " ".join(line[a:b].strip() for a, b in spans[:n_index]).strip(),
            [line[a:b].strip() for a, b in spans[n_index:]],
        )
        for line in lines[start:end]
    ]
    return _grid(labels[n_index:], rows, named and start > i + 1), end


def _text_series(lines: list[str], name: str | None) -> Grid:
    """A Series repr (footer removed): its last word is the value of each row."""
    rows, index_names = [], False
    for k, line in enumerate(lines):
        words = line.split()
        if k == 0 and words and (len(words) == 1 or read_number(words[-1]) is None):
            index_names = True
        elif len(words) >= 2:
            rows.append((" ".join(words[:-1]), [words[-1]]))
    return Grid([name or ""], rows, series=name or "", index_named=index_names)


def text_tables(text: str) -> list[Grid]:
    """The frames and Series printed in a text output (see the module)."""
    lines = [ln[:-1].rstrip() if ln.endswith("\\") else ln for ln in text.splitlines()]
    grids, start = [], 0
    for k, line in enumerate(lines + [""]):
        footer = _FOOTER.fullmatch(line.strip())
        if not (footer or k == len(lines)):
            continue
        block = lines[start:k]
        if footer:
            top = max((i + 1 for i, ln in enumerate(block) if not ln.strip()), default=0)
            grids.append(_text_series(block[top:], footer.group("name")))
            block = block[:top]
        i = 0
        while i < len(block):
            grid, i = _text_frame(block, i)
            if grid is not None:
                grids.append(grid)
        start = k + 1
    return grids


# --------------------------------------------------------------------------- values


def _digit_keys(digits: str) -> list[str]:
    phone = _PHONE.fullmatch(digits)
    if phone:
        return [phone.group(1)]
    return [digits, digits[:13]] if len(digits) == 15 and digits[0] in "12" else [digits]


class ValueFinder:
    """Where known values (labelled) occur in texts: by words, or by digits (see the module).

    Examples
    --------
    >>> finder = ValueFinder()
    >>> finder.add("Jean-Pierre Dupont", "a"); finder.add("+33 6 12 34 56 78", "b")
    >>> sorted(finder.find("JEAN PIERRE dupont, tél. 06.12.34.56.78"))
    ['a', 'b']
    """

    def __init__(self) -> None:
        self.words: dict[str, list[tuple[tuple[str, ...], object]]] = {}
        self.digits: dict[str, object] = {}

    def add(
        self, value: object, label: object, *, min_chars: int = 4, min_with_letter: int = 4
    ) -> None:
        """Look for ``value`` (found as ``label``) if it has ``min_chars`` letters and digits,
        or ``min_with_letter`` with at least one letter; digit values need 8 digits."""
        text = norm(str(value))
        if _DIGIT_LIKE.fullmatch(text):
            digits = re.sub(r"\D", "", text)
            if len(digits) >= 8:
                self.digits.update(dict.fromkeys(_digit_keys(digits), label))
            return
        words = tuple(_WORD.findall(text))
        chars = "".join(words)
        letter = re.search(r"[^\W\d_]", chars) is not None
        if words and len(chars) >= (min(min_chars, min_with_letter) if letter else min_chars):
            self.words.setdefault(words[0], []).append((words, label))

    def find(self, text: str) -> set[object]:
        """The labels of the values found in ``text``."""
        found: set[object] = set()
        if self.words:
            words = _WORD.findall(norm(text))
            for i, word in enumerate(words):
                for seq, label in self.words.get(word, ()):
                    if len(seq) == 1 or tuple(words[i : i + len(seq)]) == seq:
                        found.add(label)
        if self.digits:
            flat = unicodedata.normalize("NFKC", text).replace("(0)", "")
            found.update(self.digits[d] for d in _digit_runs(flat) if d in self.digits)
        return found


def _digit_runs(text: str) -> Iterator[str]:
    """Digit strings of 8-15 digits made of consecutive groups of a run (``06 12 34 56 78``),
    never across a decimal point (``1508.53``) or a column gap (two spaces)."""
    for run in _DIGIT_RUN.finditer(text):
        parts = re.split(r"([ .\-/])", run.group())
        segments, current = [], [parts[0]]
        for sep, group in zip(parts[1::2], parts[2::2], strict=True):
            if sep == "." and max(len(current[-1]), len(group)) >= 4:
                segments.append(current)
                current = []
            current.append(group)
        segments.append(current)
        for segment in segments:
            for start in range(len(segment)):
                acc = ""
                for group in segment[start:]:
                    acc += group
                    if len(acc) > 15:
                        break
                    if len(acc) >= 8:
                        yield from _digit_keys(acc)
