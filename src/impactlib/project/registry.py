"""The file ``data/sources.yaml`` as written: its sections and their entries, unparsed.

``sources`` holds the sources loaded from a pinned package. The sections of partners'
files join it here when they exist. :mod:`impactlib.project.sources` turns entries into
checked records; :mod:`impactlib.project.inputs` fingerprints them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

REGISTRY_SECTIONS = ("sources",)


class SourceError(ValueError):
    """A source is unknown, badly declared, missing, or not what its checksum says."""


def registry_document(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise SourceError(f"source registry {path} does not exist") from exc
    if not isinstance(document, dict):
        raise SourceError(f"{path}: expected a mapping of sections")
    for section in REGISTRY_SECTIONS:
        if not isinstance(document.get(section) or {}, dict):
            raise SourceError(f"{path}: section {section!r} must be a mapping of sources")
    return document


def registry_entries(path: Path) -> dict[str, dict[str, Any]]:
    """Every entry, whatever its section, by source name; a name used twice is refused."""
    document = registry_document(path)
    entries: dict[str, dict[str, Any]] = {}
    for section in REGISTRY_SECTIONS:
        for name, entry in (document.get(section) or {}).items():
            if name in entries:
                raise SourceError(f"{path}: source {name!r} is declared twice")
            entries[name] = entry
    return entries
