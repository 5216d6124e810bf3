"""The Frictionless Data Package of ``data/open/``: its descriptor, its validation, and the
``open-data`` stage that writes it (:func:`publish`)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from impactlib.project.atomic import staged_folder
from impactlib.project.file_sources import FileSource
from impactlib.project.paths import project_root
from impactlib.project.sources import read_registry
from impactlib.publish.disclosure.check import check_table
from impactlib.publish.disclosure.errors import DisclosureError
from impactlib.publish.opendata.tables import (
    OpenDataError,
    OpenTable,
    collect_tables,
    render_csv,
)

OPEN_DIR = Path("data") / "open"


PACKAGE_FILE = "datapackage.json"


PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"


LICENCE = {
    "name": "etalab-2.0",
    "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    "title": "Licence Ouverte / Open Licence version 2.0",
}


def external_sources(root: Path) -> list[dict[str, Any]]:
    """The third-party sources of ``data/sources.yaml``, cited and not republished.

    A package source names its package and licence; a partner's file its provider and
    data-sharing agreement (its data are never republished here, confidential or not).
    """
    sources = []
    for name, source in sorted(read_registry(root / "data" / "sources.yaml").items()):
        entry = {
            "name": name,
            "title": source.title,
            "path": source.url,
            "description": source.description.strip(),
            "citation": list(source.citation),
            "republished": False,
        }
        if isinstance(source, FileSource):
            entry |= {
                "licence": " ".join(source.agreement.split()),
                "provider": source.provider,
                "confidential": source.confidential,
            }
        else:
            entry |= {"licence": " ".join(source.licence.split()), "package": source.package}
        sources.append(entry)
    return sources


def _resource(table: OpenTable, fields: list[dict[str, str]], folder: Path) -> dict[str, Any]:
    from frictionless import Resource

    inferred = Resource(path=table.path, basepath=str(folder))
    inferred.infer(stats=True)
    return {
        "name": table.name,
        "title": table.title,
        "description": table.description,
        "type": "table",
        "path": table.path,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": inferred.bytes,
        "hash": inferred.hash,
        "licenses": [LICENCE],
        "schema": {"fields": fields, "missingValues": [""]},
    }


def package_descriptor(
    tables: Sequence[OpenTable], folder: Path, sources: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The Data Package v2 descriptor of CSV files already written in ``folder``."""
    resources = []
    for table in tables:
        _, fields = render_csv(table)
        resources.append(_resource(table, fields, folder))
    return {
        "$schema": PROFILE,
        "name": "impact-tank-donnees-ouvertes",
        "title": "Impact Tank : données ouvertes",
        "description": (
            "Les productions d'Impact Tank : comparaison des impacts, estimations et fiches "
            "d'extraction des notes, sous Licence Ouverte / Etalab 2.0. Les données de tiers "
            "utilisées (sources) ne sont pas republiées : elles restent sous la licence de "
            "leurs auteurs et se téléchargent à l'adresse indiquée."
        ),
        "keywords": ["évaluation d'impact", "innovation sociale", "méta-analyse"],
        "licenses": [LICENCE],
        "sources": list(sources),
        "resources": resources,
    }


def validate_package(path: Path) -> None:
    """Validate ``datapackage.json`` and its files with frictionless; raise naming the table."""
    from frictionless import validate

    report = validate(str(path))
    if report.valid:
        return
    problems = []
    for error in report.errors:
        problems.append(f"package: {error.message}")
    for task in report.tasks:
        for error in task.errors:
            problems.append(f"table {task.name!r}: {error.message}")
    raise OpenDataError(f"{path} is not a valid data package:\n  " + "\n  ".join(problems[:10]))


def _build(tables: Sequence[OpenTable], folder: Path, root: Path) -> None:
    for table in tables:
        try:
            check_table(
                table.frame(),
                name=table.name,
                count_columns=table.count_columns,
                quasi_identifiers=table.quasi_identifiers,
            )
        except DisclosureError as error:
            raise OpenDataError(f"nothing written to {OPEN_DIR}: {error}") from error
        text, _ = render_csv(table)
        (folder / table.path).write_bytes(text.encode("utf-8"))
    descriptor = package_descriptor(tables, folder, external_sources(root))
    text = json.dumps(descriptor, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    (folder / PACKAGE_FILE).write_bytes(text.encode("utf-8"))
    validate_package(folder / PACKAGE_FILE)


def publish(root: Path | None = None) -> Path:
    """Build ``data/open/``: the think tank's tables, disclosure-checked, as a Data Package.

    The folder is built beside ``data/open/``, checked
    (:func:`impactlib.publish.disclosure.check_table` on every table, then ``frictionless``
    validation of the package and its files) and only then swapped in
    (:func:`impactlib.project.atomic.staged_folder`); on any failure ``data/open/`` is left
    as it was.

    Parameters
    ----------
    root : Path, optional
        Project root (default: :func:`impactlib.project.project_root`).

    Returns
    -------
    Path
        ``data/open/datapackage.json``.

    Raises
    ------
    OpenDataError
        Naming the table: a direct identifier, a missing input, an invalid file.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "data").mkdir()
    >>> _ = (root / "data" / "sources.yaml").write_text(
    ...     "sources:\\n  demo:\\n    package: p\\n    loader: 'm:f'\\n    title: Demo\\n"
    ...     "    citation: [x]\\n    licence: GPL\\n    sha256: '0'\\n    url: https://e.org\\n")
    >>> (root / "comparison").mkdir()
    >>> _ = (root / "comparison" / "comparison.json").write_text(
    ...     json.dumps({"rows": {"a": {"id": "a", "effect": 1.5}}}))
    >>> (root / "results" / "a").mkdir(parents=True)
    >>> _ = (root / "results" / "a" / "estimates.json").write_text(
    ...     json.dumps({"study": "a", "estimates": {"main": {"value": 1.5, "n": 40}}}))
    >>> path = publish(root)
    >>> sorted(p.name for p in path.parent.iterdir())
    ['comparaison.csv', 'datapackage.json', 'estimations.csv']
    >>> (path.parent / "comparaison.csv").read_text()
    'id,effect\\na,1.5\\n'
    """
    root = Path(root) if root is not None else project_root()
    tables = collect_tables(root)
    target = root / OPEN_DIR
    with staged_folder(target) as building:
        _build(tables, building, root)
    return target / PACKAGE_FILE


def read_package(root: Path | None = None) -> dict[str, Any]:
    """The descriptor of ``data/open/datapackage.json``."""
    root = Path(root) if root is not None else project_root()
    path = root / OPEN_DIR / PACKAGE_FILE
    if not path.is_file():
        raise OpenDataError(f"{path} does not exist (run `impact open-data`)")
    return json.loads(path.read_text(encoding="utf-8"))
