"""Project paths that resolve the same from a notebook's folder and from the repository root.

A notebook opened in JupyterLab runs with its own folder as working directory, while DVC
runs it from the root; both walk up to the folder that holds ``dvc.yaml``. The environment
variable ``IMPACT_ROOT`` overrides the search (useful for a copy of the repository).
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT_MARKER = "dvc.yaml"


class ProjectRootNotFound(RuntimeError):
    """Raised when no folder above the working directory holds ``dvc.yaml``."""


def project_root(start: Path | None = None) -> Path:
    """Return the repository root: ``IMPACT_ROOT`` or the first parent holding ``dvc.yaml``."""
    override = os.environ.get("IMPACT_ROOT")
    if override:
        root = Path(override).resolve()
        if not (root / ROOT_MARKER).is_file():
            raise ProjectRootNotFound(f"IMPACT_ROOT={override!r} holds no {ROOT_MARKER}")
        return root
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / ROOT_MARKER).is_file():
            return folder
    raise ProjectRootNotFound(
        f"no {ROOT_MARKER} in {here} or its parents: run from inside the repository "
        "or set IMPACT_ROOT"
    )


def sources_file(root: Path | None = None) -> Path:
    return (root or project_root()) / "data" / "sources.yaml"


def raw_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "data" / "raw"


def confidential_dir(root: Path | None = None) -> Path:
    """Tables imported from confidential sources: private DVC remote only, never git."""
    return (root or project_root()) / "data" / "confidential"


def results_dir(study: str, root: Path | None = None) -> Path:
    return (root or project_root()) / "results" / study


def figures_dir(study: str, root: Path | None = None) -> Path:
    return results_dir(study, root) / "figures"
