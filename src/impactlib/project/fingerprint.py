"""The fingerprint of a built folder: what DVC records of an output that prints the version.

The book prints the version of the repository it was built from (``git describe``): in its
footer, in each "Citer ce document" box, in each BibTeX file. That string names a commit,
and the commit that records the book's hash in ``dvc.lock`` is always a later one: hashed
as it is, the book would never match the lock of the commit it was built from, and a fresh
clone's ``make all`` would always leave ``dvc.lock`` changed. So the stage's output is this
fingerprint instead: one line per file, ``<sha256>  <path>`` (the format of ``sha256sum``),
each file hashed with the version replaced by a fixed mark. Two builds of the same inputs
give the same fingerprint on every machine and at every commit; a changed page changes it,
and its line says which.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path

from impactlib.project.atomic import atomic_path

#: What stands for the version in the hashed bytes.
VERSION_MARK = "{version}"


def masked_digest(data: bytes, masks: Mapping[str, str]) -> str:
    """SHA-256 (hex) of ``data``, each occurrence of a key of ``masks`` replaced by its value."""
    for old, new in masks.items():
        if old:
            data = data.replace(old.encode(), new.encode())
    return hashlib.sha256(data).hexdigest()


def fingerprint_lines(
    folder: Path,
    *,
    masks: Mapping[str, str],
    skip: Iterable[str] = (),
    suffixes: Iterable[str] | None = None,
) -> list[str]:
    """``<sha256>  <path>`` of each file under ``folder``, sorted by path.

    Each occurrence of a key of ``masks`` in a file's bytes is replaced by its value before
    hashing. ``skip`` names files (paths relative to ``folder``) left out, such as Sphinx's
    ``.buildinfo``, a hash of the configuration that holds the version; ``suffixes``, when
    given, keeps only the files whose suffix (``".tex"``) it lists.
    """
    folder = Path(folder)
    skipped = set(skip)
    kept = None if suffixes is None else {s.lower() for s in suffixes}
    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if relative in skipped or (kept is not None and path.suffix.lower() not in kept):
            continue
        lines.append(f"{masked_digest(path.read_bytes(), masks)}  {relative}")
    return lines


def write_lines(target: Path, lines: Iterable[str]) -> Path:
    """Write a fingerprint's ``lines`` to ``target``, atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return Path(target)


def write_fingerprint(
    folder: Path, target: Path, *, version: str, skip: Iterable[str] = ()
) -> Path:
    """Write the fingerprint of ``folder`` to ``target`` (atomically), ``version`` masked."""
    lines = fingerprint_lines(folder, masks={version: VERSION_MARK}, skip=skip)
    return write_lines(target, lines)
