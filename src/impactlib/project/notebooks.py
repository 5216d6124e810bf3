"""The notebook registry: the studies, notes and guide pages that ``params.yaml`` declares.

The pipeline runs four kinds of notebook, each listed under its key in ``params.yaml``:

============  ========================  ======================  =================
kind          params.yaml               notebook                executed copy
============  ========================  ======================  =================
study         ``studies``               notebooks/studies/<id>  book/reports/<id>
confidential  ``confidential_studies``  notebooks/studies/<id>  book/reports/<id>
note          ``notes``                 notebooks/notes/<id>    book/notes/<id>
guide         ``guide``                 notebooks/guide/<id>    book/guide/<id>
============  ========================  ======================  =================

A *confidential* study reads a confidential source (a partner's personal data): its
outputs pass the output check before they are kept, and they are kept in git, so that a
clone without access to the data still builds the book from them.

Each ``<id>`` (unique across kinds) has its parameters in ``params/<id>.yaml``; the
notebook itself writes ``results/<id>/estimates.json`` and its figures.

Notebooks are kept as MyST Markdown text (``<id>.md``, paired by jupytext), so that a
report's prose and code diff and review like an article; :func:`read_notebook` gives the
notebook papermill executes, and the executed copy in ``book/`` is an ``.ipynb``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from impactlib.project.paths import project_root

if TYPE_CHECKING:
    import nbformat

NOTEBOOK_SUFFIX = ".md"  # MyST Markdown, read and written by jupytext
NOTEBOOK_FORMAT = "md:myst"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Kind:
    name: str
    params_key: str
    notebook_dir: str
    book_dir: str


KINDS = {
    kind.name: kind
    for kind in (
        Kind("study", "studies", "notebooks/studies", "book/reports"),
        Kind("confidential", "confidential_studies", "notebooks/studies", "book/reports"),
        Kind("note", "notes", "notebooks/notes", "book/notes"),
        Kind("guide", "guide", "notebooks/guide", "book/guide"),
    )
}


class StudyError(ValueError):
    """A notebook is unknown, badly declared, or was given parameters it does not declare."""


def declared(root: Path | None = None) -> dict[str, Kind]:
    """Every notebook id listed in ``params.yaml``, mapped to its kind."""
    root = root or project_root()
    document = yaml.safe_load((root / "params.yaml").read_text(encoding="utf-8")) or {}
    registry: dict[str, Kind] = {}
    for kind in KINDS.values():
        ids = document.get(kind.params_key) or []
        if not isinstance(ids, list):
            raise StudyError(f"params.yaml: {kind.params_key!r} must be a list of identifiers")
        for notebook_id in ids:
            if not isinstance(notebook_id, str) or not SLUG.match(notebook_id):
                raise StudyError(
                    f"params.yaml: {kind.name} id {notebook_id!r} is not a lowercase slug"
                )
            if notebook_id in registry:
                raise StudyError(f"params.yaml: id {notebook_id!r} is declared twice")
            registry[notebook_id] = kind
    return registry


STUDY_KINDS = ("study", "confidential")  # the evaluation reports


def declared_studies(root: Path | None = None) -> list[str]:
    """Study identifiers listed under ``studies`` or ``confidential_studies``."""
    return [i for i, kind in declared(root).items() if kind.name in STUDY_KINDS]


def notebook_paths(notebook_id: str, kind: Kind, root: Path | None = None) -> dict[str, Path]:
    root = root or project_root()
    return {
        "notebook": root / kind.notebook_dir / f"{notebook_id}{NOTEBOOK_SUFFIX}",
        "params": root / "params" / f"{notebook_id}.yaml",
        "report": root / kind.book_dir / f"{notebook_id}.ipynb",
    }


def read_parameters(notebook_id: str, kind: Kind, root: Path | None = None) -> dict[str, Any]:
    path = notebook_paths(notebook_id, kind, root)["params"]
    if not path.is_file():
        raise StudyError(f"{kind.name} {notebook_id!r}: parameter file {path} does not exist")
    parameters = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(parameters, dict):
        raise StudyError(f"{path}: expected a mapping of parameter names to values")
    return parameters


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read a notebook kept as text (or an ``.ipynb``), with cell ids that never change.

    jupytext gives cells read from text random ids; numbering them instead makes the
    executed copy depend only on the notebook's content.
    """
    import jupytext  # imported here: only the runner and the scaffold read notebooks

    path = Path(path)
    notebook = jupytext.read(path, fmt=NOTEBOOK_FORMAT if path.suffix == ".md" else None)
    for index, cell in enumerate(notebook.cells):
        cell.id = f"cell-{index}"
    return notebook


def write_notebook(notebook: nbformat.NotebookNode, path: Path) -> None:
    """Write ``notebook`` as MyST Markdown text (the form notebooks are kept in)."""
    import jupytext

    jupytext.write(notebook, path, fmt=NOTEBOOK_FORMAT)
