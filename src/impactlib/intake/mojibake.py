"""Mojibake: text decoded with the wrong encoding, what it looks like and what to say.

``text_files`` refuses a file whose header or values look like it (see its docstring).
"""

from __future__ import annotations

import codecs
import re

# UTF-8 decoded one byte per character: "é" (C3 A9) reads "Ã©", "É" "Ã‰", "à" "Ã" and a
# no-break space, "œ" "Å“", "°" "Â°", "’" "â€™", "€" "â‚¬". A lead letter then one of the
# characters that cp1252 or Latin-1 give to a continuation byte (0x80-0xBF); or "Ã", a space
# and a small letter ("Ã domicile": "à" whose no-break space an editor made a space).
_CONTINUATION = "".join(
    sorted(
        {
            bytes([byte]).decode(codec, errors="ignore")
            for byte in range(0x80, 0xC0)
            for codec in ("cp1252", "latin-1")
        }
        - {""}
    )
)
MOJIBAKE = f"[ÂÃÄÅ][{_CONTINUATION}]|Ã [a-z]|â€|â‚¬|â„¢"  # "Ã " + letter: "à" lost its NBSP
C1_CONTROLS = "[\u0080-\u009f]"  # cp1252's quotes and dashes decoded as Latin-1
LOST = "\ufffd"  # the replacement character: a decoder already gave up on these bytes
SUSPECT = f"{MOJIBAKE}|{C1_CONTROLS}|{LOST}"  # RE2 (pyarrow) and Python re alike
LEADS = "ÂÃÄÅâ" + "".join(map(chr, range(0x80, 0xA0))) + LOST  # what a suspect text starts with


def suspect_name(names: list[str]) -> str | None:
    """The first column name that looks like mojibake, or ``None``."""
    return next((name for name in names if re.search(SUSPECT, name)), None)


def diagnosis(value: str, encoding: str) -> str:
    """What went wrong with a suspect value, and what to do."""
    if LOST in value:
        return (
            "holds U+FFFD replacement characters: letters were lost by an earlier decoding, "
            "before the file reached us; ask the partner for a new export in UTF-8"
        )
    utf8 = codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")
    if re.search(MOJIBAKE, value):
        if utf8:
            return (
                f"is mojibake though the file was read as {encoding}: UTF-8 text that an "
                "earlier tool decoded as cp1252 and saved again; ask the partner for a new export"
            )
        return f"is mojibake: UTF-8 text read as {encoding}; the right encoding is likely utf-8"
    if utf8:
        return "holds control characters (cp1252 text once decoded as Latin-1 and saved again)"
    return f"holds control characters: cp1252 text read as {encoding}; declare encoding: cp1252"
