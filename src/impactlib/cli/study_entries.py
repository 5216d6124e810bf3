"""The entries of a new study in ``params.yaml`` and ``book/_toc.yml``, as text edits.

Both files are edited as text, so that their comments and layout are kept; each result is
re-parsed and compared with the document expected, and an edit that would change anything
else is refused with a :class:`ScaffoldError`. Used by :mod:`impactlib.cli.scaffold`.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from impactlib.appraisal.comparison import reports_caption
from impactlib.core.validation import InputError

NOTES_CAPTION = "Notes d'analyse"


class ScaffoldError(InputError):
    """A new study cannot be created; the message names the problem."""


_TOP_KEY = re.compile(r"^(?P<key>[A-Za-z_][\w-]*)\s*:(?P<rest>.*)$")
_ITEM = re.compile(r"^(?P<indent>\s*)-\s")


def _reparse(text: str, name: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:  # pragma: no cover - the inputs were parsed first
        raise ScaffoldError(f"{name}: the edit does not parse: {exc}") from exc


def add_study_to_params(text: str, study_id: str) -> str:
    """``params.yaml`` with ``study_id`` appended to its ``studies:`` list.

    A text edit (comments and layout are kept): the new item goes after the last item of
    the list, with its indentation. The result is re-parsed and must equal the old document
    with the id appended.
    """
    document = _reparse(text, "params.yaml") or {}
    if not isinstance(document, dict):
        raise ScaffoldError("params.yaml: expected a mapping at the top level")
    studies = document.get("studies")
    if studies is not None and not isinstance(studies, list):
        raise ScaffoldError("params.yaml: 'studies' must be a list of identifiers")
    lines = text.splitlines(keepends=True)
    key_line = next(
        (
            i
            for i, line in enumerate(lines)
            if (m := _TOP_KEY.match(line)) and m["key"] == "studies"
        ),
        None,
    )
    if key_line is None:
        new_lines = [*lines]
        if new_lines and not new_lines[-1].endswith("\n"):
            new_lines[-1] += "\n"
        new_lines.append(f"studies:\n  - {study_id}\n")
    else:
        rest = _TOP_KEY.match(lines[key_line])["rest"].split("#")[0].strip()
        if rest in ("[]", ""):
            last_item, indent = None, "  "
            for i in range(key_line + 1, len(lines)):
                line = lines[i]
                if (m := _ITEM.match(line)) and rest == "":
                    last_item, indent = i, m["indent"]
                elif line.strip() == "" or line.lstrip().startswith("#") or line[:1].isspace():
                    continue
                else:
                    break
            new_lines = [*lines]
            if rest == "[]":
                new_lines[key_line] = lines[key_line].replace("[]", "", 1).rstrip() + "\n"
                new_lines.insert(key_line + 1, f"{indent}- {study_id}\n")
            else:
                at = (last_item if last_item is not None else key_line) + 1
                if not new_lines[at - 1].endswith("\n"):
                    new_lines[at - 1] += "\n"
                new_lines.insert(at, f"{indent}- {study_id}\n")
        else:
            raise ScaffoldError(
                "params.yaml: 'studies' is written in flow style on one line; write it as a "
                "block list (one '- id' per line) so that it can be edited"
            )
    new_text = "".join(new_lines)
    expected = {**document, "studies": [*(studies or []), study_id]}
    if _reparse(new_text, "params.yaml") != expected:
        raise ScaffoldError("params.yaml: could not add the study without changing other keys")
    return new_text


def _caption_of(line: str) -> str | None:
    """The caption of a ``- caption: ...`` line of _toc.yml, as YAML reads it."""
    stripped = line.strip()
    if not stripped.startswith("- caption:"):
        return None
    value = _reparse(stripped[1:].strip(), "_toc.yml")
    return str(value["caption"]) if isinstance(value, dict) else None


def _new_part_index(captions: list[str], after: str, before: str) -> int | None:
    """Where a new part goes: after the last part captioned ``after...``, else before the
    part ``before``; None at the end."""
    following = [k for k, c in enumerate(captions) if c.startswith(after)]
    if following:
        return following[-1] + 1
    return captions.index(before) if before in captions else None


def _expected_toc(document: dict, file: str, caption: str, after: str, before: str) -> dict:
    parts = [dict(part) for part in document["parts"]]
    entry = {"file": file}
    for part in parts:
        if part.get("caption") == caption:
            part["chapters"] = [*part.get("chapters", []), entry]
            return {**document, "parts": parts}
    at = _new_part_index([str(p.get("caption", "")) for p in parts], after, before)
    parts.insert(len(parts) if at is None else at, {"caption": caption, "chapters": [entry]})
    return {**document, "parts": parts}


def add_study_to_toc(text: str, study_id: str, theme: str) -> str:
    """``book/_toc.yml`` with ``reports/<study_id>`` in the part of ``theme``.

    The part is captioned ``"Rapports : <label>"``; when it does not exist it is created
    after the last report part (or before "Notes d'analyse", or at the end).
    """
    caption = reports_caption(theme)  # new_study has checked the theme
    return add_page_to_toc(
        text, f"reports/{study_id}", caption, after="Rapports", before=NOTES_CAPTION
    )


def add_page_to_toc(text: str, file: str, caption: str, *, after: str, before: str) -> str:
    """``book/_toc.yml`` with the page ``file`` last in the part ``caption``.

    A missing part is created after the last part whose caption starts with ``after``,
    else before the part ``before``, else at the end. A text edit (comments stay),
    re-parsed and compared with the expected structure.
    """
    document = _reparse(text, "book/_toc.yml")
    if not isinstance(document, dict) or not isinstance(document.get("parts"), list):
        raise ScaffoldError("book/_toc.yml: expected a 'parts' list (format jb-book)")
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    starts = [(i, _caption_of(line)) for i, line in enumerate(lines)]
    starts = [(i, c) for i, c in starts if c is not None]
    if len(starts) != len(document["parts"]):
        raise ScaffoldError(
            "book/_toc.yml: every part must start with a '- caption: ...' line to be edited"
        )
    part_indent = re.match(r"\s*", lines[starts[0][0]]).group(0)

    def part_end(position: int) -> int:
        """Index after the last non-blank, non-comment line of the part at ``position``."""
        stop = starts[position + 1][0] if position + 1 < len(starts) else len(lines)
        end = starts[position][0] + 1
        for i in range(starts[position][0] + 1, stop):
            if lines[i].strip() and not lines[i].lstrip().startswith("#"):
                end = i + 1
        return end

    new_lines = [*lines]
    mine = [k for k, (_, c) in enumerate(starts) if c == caption]
    if mine:
        k = mine[0]
        files = [
            i
            for i in range(starts[k][0] + 1, part_end(k))
            if lines[i].lstrip().startswith("- file:")
        ]
        if not files:
            raise ScaffoldError(f"book/_toc.yml: part {caption!r} has no '- file:' entry")
        indent = re.match(r"\s*", lines[files[-1]]).group(0)
        new_lines.insert(part_end(k), f"{indent}- file: {file}\n")
    else:
        k = _new_part_index([c for _, c in starts], after, before)
        if k is None:
            at = len(lines)
        elif k > 0 and starts[k - 1][1].startswith(after):
            at = part_end(k - 1)
        else:
            at = starts[k][0]
        block = [
            f"{part_indent}- caption: {json.dumps(caption, ensure_ascii=False)}\n",
            f"{part_indent}  chapters:\n",
            f"{part_indent}    - file: {file}\n",
        ]
        new_lines[at:at] = block
    new_text = "".join(new_lines)
    expected = _expected_toc(document, file, caption, after, before)
    if _reparse(new_text, "book/_toc.yml") != expected:
        raise ScaffoldError("book/_toc.yml: could not add the page without changing other parts")
    return new_text
