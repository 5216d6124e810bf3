"""Keyed pseudonyms: stable under a key, different under another, linking variant spellings."""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd
import pytest

from impactlib.intake import pseudonyms
from impactlib.intake.errors import PseudonymKeyError

KEY = b"k" * 32


def test_a_pseudonym_is_the_hmac_of_the_normalised_value():
    expected = hmac.new(KEY, b"0612345678", hashlib.sha256).hexdigest()[:16]
    for written in ("06 12 34 56 78", "06.12.34.56.78", "+33 6 12 34 56 78", "0033612345678"):
        assert pseudonyms.pseudonym(written, KEY) == expected, written
    assert pseudonyms.pseudonym("Marie.Dupont@Exemple.fr", KEY) == pseudonyms.pseudonym(
        "marie.dupont@exemple.fr ", KEY
    )


def test_pseudonymise_keeps_missing_values_and_links_equal_people():
    values = pd.Series(["06 12 34 56 78", None, "0612345678", "0700000000"], name="tel")
    result = pseudonyms.pseudonymise(values, KEY)
    assert result.name == "tel" and result.isna().tolist() == [False, True, False, False]
    assert result[0] == result[2] != result[3]
    assert "0612345678" not in result.dropna().tolist()
    other = pseudonyms.pseudonymise(values, b"z" * 32)
    assert other[0] != result[0]  # another key, other pseudonyms


def test_the_key_comes_from_the_environment_or_a_file(tmp_path, monkeypatch):
    monkeypatch.delenv(pseudonyms.KEY_ENV, raising=False)
    key_file = tmp_path / ".secrets" / "pseudonym.key"
    with pytest.raises(PseudonymKeyError, match=r"no pseudonymisation key: set IMPACT_PSEUDO"):
        pseudonyms.load_key(key_file)
    key_file.parent.mkdir()
    key_file.write_text("short\n")
    with pytest.raises(PseudonymKeyError, match="has 5 characters; at least 32"):
        pseudonyms.load_key(key_file)
    key_file.write_text("a" * 64 + "\n")
    assert pseudonyms.load_key(key_file) == b"a" * 64
    monkeypatch.setenv(pseudonyms.KEY_ENV, "b" * 40)
    assert pseudonyms.load_key(key_file) == b"b" * 40  # the environment wins


VARIED = [
    "06 12 34 56 78",
    "+33 6 12 34 56 78",
    "0033 (0)6.12.34.56.78",
    "+33(0)612345678",
    "Marie.Dupont@Exemple.FR",
    " marie_dupont ",
    "Élodie LEFÈVRE",
    "ÉLODIE  lefèvre",
    "Straße",  # case folding: "strasse", where lower case keeps "ß"
    "STRASSE",
    "ﬁlou",  # NFKC: "filou"
    "Σίσυφος",
    "İstanbul",
    "a\tb\nc\x1fd",
    "x\u00a0y\u202fz",
    "",
    "-._",
    "AR-0000001",
    "ar0000001",
]


@pytest.mark.parametrize("key", [KEY, b"z" * 100, "une clé de plus de 32 caractères !".encode()])
def test_a_column_and_its_values_one_by_one_get_the_same_pseudonyms(key, monkeypatch):
    """``pseudonymise`` (normalised in bulk, HMAC from its definition) gives what
    ``pseudonym`` (``normalise`` and ``hmac.new``) gives each value, for keys shorter and
    longer than a SHA-256 block, over several blocks of values."""
    monkeypatch.setattr(pseudonyms, "_BLOCK", 4)
    expected = [pseudonyms.pseudonym(value, key) for value in VARIED]
    assert expected[0] == expected[1] == expected[2] == expected[3]
    assert expected[8] == expected[9] and expected[-1] == expected[-2]
    for values in (pd.Series([*VARIED, None], dtype=object), pd.Series(VARIED, dtype="string")):
        for distinct in (False, True):
            result = pseudonyms.pseudonymise(values, key, distinct=distinct)
            assert result.dtype == "string" and result.index.equals(values.index)
            assert result.iloc[: len(VARIED)].tolist() == expected
            assert result.iloc[len(VARIED) :].isna().all()
