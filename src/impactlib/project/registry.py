"""The file ``data/sources.yaml`` as written: its sections and their entries, unparsed.

Three sections, one registry (a name is unique across them): ``sources``, the sources
loaded from a pinned package; ``files``, partners' files that may be published;
``confidential``, partners' files with personal or restricted data, kept on the private
DVC remote. :mod:`impactlib.project.sources` turns entries into checked records;
:mod:`impactlib.project.inputs` fingerprints them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

PACKAGES, FILES, CONFIDENTIAL = "sources", "files", "confidential"
REGISTRY_SECTIONS = (PACKAGES, FILES, CONFIDENTIAL)


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


def registry_sections(path: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """Each section's entries by source name; a name used twice, or not a mapping, is refused."""
    document = registry_document(path)
    seen: set[str] = set()
    sections: dict[str, dict[str, dict[str, Any]]] = {}
    for section in REGISTRY_SECTIONS:
        sections[section] = dict(document.get(section) or {})
        for name, entry in sections[section].items():
            if name in seen:
                raise SourceError(f"{path}: source {name!r} is declared twice")
            if not isinstance(entry, dict):
                raise SourceError(f"{path}: source {name!r} must be a mapping")
            seen.add(name)
    return sections


def registry_entries(path: Path) -> dict[str, dict[str, Any]]:
    """Every entry, whatever its section, by source name."""
    return {
        name: entry
        for entries in registry_sections(path).values()
        for name, entry in entries.items()
    }
