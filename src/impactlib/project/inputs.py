"""Which sources each notebook reads, so that DVC reruns a notebook when one of *them* changes.

A notebook's parameter file lists the registered sources it reads under ``sources``
(``params/<id>.yaml``). The ``inputs`` stage writes, for every declared notebook,
``data/inputs/<id>.json``: the fingerprint of each of its sources, i.e. a SHA-256 of its
entry in ``data/sources.yaml`` (which holds the content checksum of the data) and, for a
partner's file, of its schema. A notebook stage depends on its own manifest, not on all of
``data/raw``: adding or changing a source reruns the notebooks that read it, and no other
(DVC cannot give a ``foreach`` stage a list of dependencies of its own, hence one small
file per notebook).

While a notebook runs, ``impact run`` puts the declared names in the environment variable
``IMPACT_SOURCES``, and :func:`impactlib.project.sources.load` refuses any other source:
a declaration that forgets a source fails the run instead of leaving a stale report.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from impactlib.project.atomic import staged_folder
from impactlib.project.notebooks import StudyError, declared, read_parameters
from impactlib.project.paths import project_root, sources_file
from impactlib.project.registry import registry_entries

SOURCES_KEY = "sources"  # the key of params/<id>.yaml that lists a notebook's sources
SOURCES_ENV = "IMPACT_SOURCES"  # the names, comma-separated, while `impact run` runs it


def inputs_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "data" / "inputs"


def split_sources(notebook_id: str, parameters: dict[str, Any]) -> tuple[list[str], dict]:
    """The sources a parameter file declares, and the parameters papermill injects."""
    parameters = dict(parameters)
    names = parameters.pop(SOURCES_KEY, None) or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise StudyError(
            f"params/{notebook_id}.yaml: '{SOURCES_KEY}' must be a list of source names "
            f"declared in data/sources.yaml, got {names!r}"
        )
    return names, parameters


def declared_sources() -> frozenset[str] | None:
    """The sources the running notebook may load, or None outside ``impact run``."""
    value = os.environ.get(SOURCES_ENV)
    if value is None:
        return None
    return frozenset(name for name in value.split(",") if name)


def fingerprint(name: str, entry: dict[str, Any], root: Path) -> str:
    """SHA-256 of a source's registry entry and, for a partner's file, of its schema."""
    digest = hashlib.sha256(json.dumps(entry, sort_keys=True, default=str).encode("utf-8"))
    schema = entry.get("schema")
    if schema:
        path = root / schema
        if not path.is_file():
            raise StudyError(f"source {name!r}: its schema {schema} does not exist")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def manifest(notebook_id: str, names: Sequence[str], entries: dict, root: Path) -> dict:
    unknown = sorted(set(names) - set(entries))
    if unknown:
        raise StudyError(
            f"params/{notebook_id}.yaml: source(s) {', '.join(map(repr, unknown))} not "
            f"declared in data/sources.yaml (declared: {', '.join(sorted(entries))})"
        )
    return {name: fingerprint(name, entries[name], root) for name in sorted(names)}


def write_input_manifests(root: Path | None = None) -> Path:
    """Write ``data/inputs/<id>.json`` for every declared notebook, as one folder swap."""
    root = root or project_root()
    entries = registry_entries(sources_file(root))
    target = inputs_dir(root)
    with staged_folder(target) as folder:
        for notebook_id, kind in declared(root).items():
            names, _ = split_sources(notebook_id, read_parameters(notebook_id, kind, root))
            text = json.dumps({"sources": manifest(notebook_id, names, entries, root)}, indent=2)
            (folder / f"{notebook_id}.json").write_text(text + "\n", encoding="utf-8")
    return target
