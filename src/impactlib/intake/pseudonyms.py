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

:func:`pseudonymise` normalises a column in bulk (an ASCII value only needs its capitals
lowered and its separators deleted: NFKC and case folding change nothing else in it; the
other values go through :func:`normalise`), hashes each distinct form once, and gives each
value what :func:`pseudonym` gives it.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import os
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from impactlib.intake.arrow_text import dictionary_codes
from impactlib.intake.errors import PseudonymKeyError

KEY_ENV = "IMPACT_PSEUDONYM_KEY"
MIN_KEY_LENGTH = 32
PSEUDONYM_LENGTH = 16  # hexadecimal characters kept: 64 bits, no collision in practice

_SEPARATORS = re.compile(r"[\s._\-\u00a0\u202f]+")
_FRENCH_PREFIX = re.compile(r"^(?:\+|00)33(?:\(0\))?")
# The same rules for ASCII text, byte by byte: separators (the ASCII characters of \s, and
# ._-) deleted, capitals lowered.
_ASCII_SEPARATORS = bytes(b for b in range(128) if _SEPARATORS.fullmatch(chr(b)))
_SEPARATOR_FLAGS = bytes(int(byte in _ASCII_SEPARATORS) for byte in range(256))
_LOWER_CASE = bytes.maketrans(bytes(range(65, 91)), bytes(range(97, 123)))
_BLOCK = 1 << 16  # distinct values hashed per block (bounded temporary Python objects)


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
    """The keyed pseudonym of one value: what :func:`pseudonymise` gives it in a column."""
    digest = hmac.new(key, normalise(value).encode("utf-8"), hashlib.sha256).hexdigest()
    return digest[:PSEUDONYM_LENGTH]


def pseudonymise(values: pd.Series, key: bytes, *, distinct: bool = False) -> pd.Series:
    """Each value replaced by its keyed pseudonym; missing values stay missing.

    Distinct values are hashed once each (a column of 10^6 rows with 10^5 people costs
    10^5 HMACs); ``distinct=True`` says that no value repeats (a primary key), and the
    search for repeats is skipped. The result is a pandas ``string`` column.
    """
    present = values.notna().to_numpy(dtype=bool)
    text = (values if present.all() else values[present]).astype(str).array
    if hasattr(text, "__arrow_array__"):
        text = pa.chunked_array(text.__arrow_array__()).cast(pa.large_string())
    else:  # text kept as Python objects (pandas without its pyarrow storage)
        text = pa.chunked_array([pa.array(np.asarray(text, dtype=object), pa.large_string())])
    pieces = (text.slice(start, _BLOCK) for start in range(0, len(text), _BLOCK))
    forms = pa.chunked_array([_normalised(piece) for piece in pieces], pa.large_string())
    if distinct:
        hashed = pa.chunked_array([_hashed(forms, key)])
    else:
        dictionary, indices = dictionary_codes(forms)
        hashed = pc.take(_hashed(dictionary, key), indices)
    if not present.all():  # back to every row, missing where the value was
        hashed = pc.take(hashed, pa.array(np.cumsum(present) - 1, mask=~present))
    result = pd.arrays.ArrowStringArray(hashed)
    return pd.Series(result, index=values.index, name=values.name, dtype="string", copy=False)


def _normalised(text: pa.Array | pa.ChunkedArray) -> pa.Array:
    """:func:`normalise` of every value: in bulk for ASCII text, where NFKC changes nothing
    and case folding is lower case (one ``bytes.translate`` of the values' bytes lowers the
    capitals and deletes the separators), value by value for the others."""
    if isinstance(text, pa.ChunkedArray):  # a block of a column: a small copy at most
        text = text.combine_chunks()
    offsets = np.frombuffer(text.buffers()[1], np.int64, len(text) + 1, text.offset * 8)
    raw = bytes(memoryview(text.buffers()[2] or b"")[offsets[0] : offsets[-1]])
    kept = raw.translate(_LOWER_CASE, _ASCII_SEPARATORS)
    lengths = np.diff(offsets)
    if len(kept) < len(raw):  # each value loses its separators
        separators = np.frombuffer(raw.translate(_SEPARATOR_FLAGS), np.uint8)  # 1 or 0
        starts = np.minimum(offsets[:-1] - offsets[0], len(raw) - 1)
        removed = np.add.reduceat(separators, starts, dtype=np.int64)
        lengths = lengths - np.where(lengths > 0, removed, 0)
    ends = np.cumsum(lengths)
    forms = pa.LargeStringArray.from_buffers(
        len(text),
        pa.py_buffer(np.concatenate([np.zeros(1, np.int64), ends])),
        pa.py_buffer(kept),
        pc.is_valid(text).buffers()[1] if text.null_count else None,
        text.null_count,
    )
    international = pc.or_(pc.starts_with(forms, "+33"), pc.starts_with(forms, "0033"))
    if pc.any(international).as_py():
        local = pc.replace_substring_regex(
            forms.filter(international), _FRENCH_PREFIX.pattern, "0", max_replacements=1
        )
        forms = pc.replace_with_mask(forms, international, local)
    if not raw.isascii():
        other = pc.invert(pc.string_is_ascii(text))
        rows = np.flatnonzero(other.to_numpy(zero_copy_only=False))
        unicode = [normalise(value) for value in text.take(rows).to_pylist()]
        forms = pc.replace_with_mask(forms, other, pa.array(unicode, forms.type))
    return forms


def _hashed(forms: pa.Array | pa.ChunkedArray, key: bytes) -> pa.Array:
    """``HMAC-SHA256(key, form)`` of each normalised form, as its first hexadecimal digits.

    The HMAC is computed from its definition (RFC 2104): SHA-256 states after the key's
    inner and outer blocks are copied for each value, cheaper than ``hmac.new`` per value.
    """
    block = hashlib.sha256().block_size
    key = (hashlib.sha256(key).digest() if len(key) > block else key).ljust(block, b"\0")
    inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in key)).copy
    outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in key)).copy
    prefixes = []
    for start in range(0, len(forms), _BLOCK):
        digests = []
        for value in forms.slice(start, _BLOCK).cast(pa.large_binary()).to_pylist():
            first = inner()
            first.update(value)
            second = outer()
            second.update(first.digest())
            digests.append(second.digest())
        block = np.frombuffer(b"".join(digests), dtype=np.uint8).reshape(-1, 32)
        prefixes.append(block[:, : PSEUDONYM_LENGTH // 2].tobytes())
    hexadecimal = binascii.hexlify(b"".join(prefixes))
    offsets = np.arange(len(forms) + 1, dtype=np.int64) * PSEUDONYM_LENGTH
    return pa.LargeStringArray.from_buffers(
        len(forms), pa.py_buffer(offsets), pa.py_buffer(hexadecimal)
    )
