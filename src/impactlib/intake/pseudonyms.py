"""Keyed pseudonyms: a direct identifier replaced by an HMAC-SHA256 of it under a secret key.

When records of one person must be linked across files (a baseline sheet and a follow-up
export), the identifier that links them cannot simply be dropped. It is replaced, at
import, by ``HMAC-SHA256(key, normalised value)``: the same person gets the same pseudonym
in every file imported with the same key, and without the key nobody can recompute a
pseudonym from a name or a phone number (a plain hash of a phone number is reversed by
trying the 10^8 numbers; a keyed one is not).

The key is the project's secret, never committed: the environment variable
``IMPACT_PSEUDONYM_KEY`` or a git-ignored file (``.secrets/pseudonym.key`` in the
repository, the caller says where). It must be at least 32 characters; make one with
``python -c "import secrets; print(secrets.token_hex(32))"``. Losing it means the next
import gives new pseudonyms (the data are re-linked consistently, but differ from
earlier runs); sharing it with someone who holds the raw identifiers lets them re-identify.

Values are normalised before hashing, so that two exports writing one identifier
differently link: Unicode NFKC, case folded, spaces, dots, hyphens and underscores
removed, and a French international prefix (+33 or 0033) turned into a leading 0.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import unicodedata
from pathlib import Path

import pandas as pd

from impactlib.intake.errors import PseudonymKeyError

KEY_ENV = "IMPACT_PSEUDONYM_KEY"
MIN_KEY_LENGTH = 32
PSEUDONYM_LENGTH = 16  # hexadecimal characters kept: 64 bits, no collision in practice

_SEPARATORS = re.compile(r"[\s._\-\u00a0\u202f]+")
_FRENCH_PREFIX = re.compile(r"^(?:\+|00)33(?:\(0\))?")


def load_key(key_file: Path | None = None) -> bytes:
    """The secret key: ``IMPACT_PSEUDONYM_KEY``, else the text of ``key_file``.

    Raises :class:`PseudonymKeyError` saying how to provide one when neither is set, or
    when the key is shorter than 32 characters.
    """
    value = os.environ.get(KEY_ENV)
    origin = f"the environment variable {KEY_ENV}"
    if not value and key_file is not None and Path(key_file).is_file():
        value = Path(key_file).read_text(encoding="utf-8").strip()
        origin = str(key_file)
    if not value:
        where = f" or the git-ignored file {key_file}" if key_file is not None else ""
        raise PseudonymKeyError(
            f"no pseudonymisation key: set {KEY_ENV}{where} to a secret of at least "
            f'{MIN_KEY_LENGTH} characters (python -c "import secrets; '
            'print(secrets.token_hex(32))"), and never commit it'
        )
    if len(value) < MIN_KEY_LENGTH:
        raise PseudonymKeyError(
            f"the pseudonymisation key in {origin} has {len(value)} characters; "
            f"at least {MIN_KEY_LENGTH} are required"
        )
    return value.encode("utf-8")


def normalise(value: str) -> str:
    """The form of an identifier that is hashed (see the module's docstring)."""
    text = unicodedata.normalize("NFKC", value).casefold()
    text = _SEPARATORS.sub("", text)
    return _FRENCH_PREFIX.sub("0", text)


def pseudonym(value: str, key: bytes) -> str:
    digest = hmac.new(key, normalise(value).encode("utf-8"), hashlib.sha256).hexdigest()
    return digest[:PSEUDONYM_LENGTH]


def pseudonymise(values: pd.Series, key: bytes) -> pd.Series:
    """Each value replaced by its keyed pseudonym; missing values stay missing.

    Distinct values are hashed once each (a column of 10^6 rows with 10^5 people costs
    10^5 HMACs).
    """
    present = values.notna()
    text = values[present].astype(str)
    codes, uniques = pd.factorize(text)
    hashed = pd.Series([pseudonym(v, key) for v in uniques], dtype="string")
    result = pd.Series(pd.NA, index=values.index, dtype="string", name=values.name)
    result[present] = hashed.to_numpy()[codes]
    return result
