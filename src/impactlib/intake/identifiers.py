"""Direct identifiers: column names and cell contents that denote a person (name, e-mail,
French phone, NIR with its key checked, street address)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import pandas as pd

from impactlib.core.validation import plain

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
    rf"{_NUMBER}(?:(?i:{_STREETS})(?!\w)|(?i:{_AMBIGUOUS})[ \u00a0]+(?:d[eu]s?\b|d'|[A-ZÀ-ÖØ-Þ]))"
)


PATTERN_KINDS = (
    "e-mail address",
    "telephone number",
    "social security number (NIR)",
    "postal address",
)


@dataclass(frozen=True)
class Finding:
    """One disclosure problem: the rule, the column, the first row (index label) and a note."""

    rule: str
    column: str | None
    row: Hashable | None
    detail: str


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


def scanned_columns(frame: pd.DataFrame) -> list[str]:
    """The columns whose content is scanned for identifiers: all but numbers, flags, dates."""
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
    text_columns = set(scanned_columns(frame))
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
