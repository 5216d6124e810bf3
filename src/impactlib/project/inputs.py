"""What each notebook runs with, so that DVC reruns a notebook when one of *them* changes.

A notebook's parameter file lists the registered sources it reads under ``sources``
(``params/<id>.yaml``). The ``inputs`` stage writes, for every declared notebook,
``data/inputs/<id>.json``: the fingerprint of each of its sources, i.e. a SHA-256 of its
entry in ``data/sources.yaml`` (which holds the content checksum of the data) and, for a
partner's file, of its schema. A notebook stage depends on its own manifest, not on all of
``data/raw``: adding or changing a source reruns the notebooks that read it, and no other
(DVC cannot give a ``foreach`` stage a list of dependencies of its own, hence one small
file per notebook).

The manifest also fingerprints the code and reference data the notebook runs with: the
parts of the library notebooks use (:data:`LIBRARY_PARTS`: not ``publish/`` or the command
line, so that a change to the PDFs or the CLI reruns no notebook; ``cli/runner.py`` writes
the executed copy, so it counts), plus, for a study, the price tables and reference values
it monetises with (``data/reference``) and, for a confidential study, the output check.
Each part is one SHA-256 of its files (paths and bytes; ``__pycache__`` left out, as in
``.dvcignore``). A notebook stage thus has one dependency where it had thirteen or
fourteen folders: ``dvc.lock`` went from 66.8 to 41.0 kB and a no-op ``dvc repro`` reads
and hashes less (``benchmarks/README.md``). The
``inputs`` stage depends on the whole library; it reruns on any change to it, and DVC
reruns a notebook only when the bytes of its manifest changed. The synthesis, which is
not declared in ``params.yaml``, gets ``data/inputs/_synthesis.json`` (not a slug, so no
notebook id can take that name) with the library alone.

The ``registry`` stage, first of the pipeline, writes the same fingerprint of each source
on its own, ``data/registry/<name>.json``, and the import stage of a source depends on its
file: adding or changing a source imports that source alone. As DVC params instead
(``data/sources.yaml: sources.<name>``), ``data/sources.yaml`` was parsed once per import
stage by every ``dvc repro`` and each entry copied into ``dvc.lock``.

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
from impactlib.project.notebooks import STUDY_KINDS, StudyError, declared, read_parameters
from impactlib.project.paths import project_root, sources_file
from impactlib.project.registry import registry_entries

SOURCES_KEY = "sources"  # the key of params/<id>.yaml that lists a notebook's sources
SOURCES_ENV = "IMPACT_SOURCES"  # the names, comma-separated, while `impact run` runs it

#: The library as notebooks use it (paths from the repository's root).
LIBRARY_PARTS = (
    "src/impactlib/__init__.py",
    "src/impactlib/core",
    "src/impactlib/experiment",
    "src/impactlib/weighting",
    "src/impactlib/did",
    "src/impactlib/synth",
    "src/impactlib/rd",
    "src/impactlib/meta",
    "src/impactlib/report",
    "src/impactlib/appraisal",
    "src/impactlib/intake",
    "src/impactlib/project",
    "src/impactlib/cli/runner.py",
)
REFERENCE_PARTS = ("data/reference",)  # what a study converts and monetises with
CONFIDENTIAL_PARTS = ("src/impactlib/publish/disclosure",)  # a confidential study's check
SYNTHESIS_MANIFEST = "_synthesis.json"
IGNORED = "__pycache__"  # as in .dvcignore, with *.pyc


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


def part_digest(part: str, root: Path) -> str:
    """SHA-256 of a file, or of every file under a folder (their paths and bytes, sorted).

    Bytecode caches (``__pycache__``, ``*.pyc``) are left out, as DVC leaves them out of its
    hash (``.dvcignore``): running a notebook must not change the fingerprint.
    """
    path = root / part
    if path.is_file():
        files = [path]
    elif path.is_dir():
        files = sorted(
            (
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix != ".pyc" and IGNORED not in p.parts
            ),
            key=lambda p: p.relative_to(path).as_posix(),
        )
    else:
        raise StudyError(
            f"{part} does not exist: the notebooks' manifests (data/inputs) fingerprint it"
        )
    digest = hashlib.sha256()
    for file in files:
        data = file.read_bytes()
        name = file.relative_to(path).as_posix() if file != path else path.name
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def code_and_reference(kind_name: str | None, digests: dict[str, str]) -> dict[str, dict]:
    """The fingerprints of the library, and of what a ``kind_name`` notebook also runs with.

    ``kind_name`` is a kind of :data:`impactlib.project.notebooks.KINDS`, or None for the
    synthesis (the library alone); ``digests`` maps each part to its :func:`part_digest`.
    """
    library = LIBRARY_PARTS + (CONFIDENTIAL_PARTS if kind_name == "confidential" else ())
    parts = {"library": {part: digests[part] for part in library}}
    if kind_name in STUDY_KINDS:
        parts["reference"] = {part: digests[part] for part in REFERENCE_PARTS}
    return parts


def write_input_manifests(root: Path | None = None) -> Path:
    """Write ``data/inputs/<id>.json`` for every declared notebook, and the synthesis's
    ``data/inputs/_synthesis.json``, as one folder swap."""
    root = root or project_root()
    entries = registry_entries(sources_file(root))
    target = inputs_dir(root)
    parts = (*LIBRARY_PARTS, *CONFIDENTIAL_PARTS, *REFERENCE_PARTS)
    with staged_folder(target) as folder:
        digests = {part: part_digest(part, root) for part in parts}
        for notebook_id, kind in declared(root).items():
            names, _ = split_sources(notebook_id, read_parameters(notebook_id, kind, root))
            document = {
                "sources": manifest(notebook_id, names, entries, root),
                **code_and_reference(kind.name, digests),
            }
            _write_json(folder / f"{notebook_id}.json", document)
        _write_json(folder / SYNTHESIS_MANIFEST, code_and_reference(None, digests))
    return target


def registry_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "data" / "registry"


def write_source_manifests(root: Path | None = None) -> Path:
    """Write ``data/registry/<name>.json`` for every source of ``data/sources.yaml`` (its
    :func:`fingerprint`), as one folder swap: what the source's import stage depends on."""
    root = root or project_root()
    entries = registry_entries(sources_file(root))
    with staged_folder(registry_dir(root)) as folder:
        for name, entry in sorted(entries.items()):
            _write_json(folder / f"{name}.json", {name: fingerprint(name, entry, root)})
    return registry_dir(root)


def _write_json(path: Path, document: dict) -> None:
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
