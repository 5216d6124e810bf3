"""What the DVC stages run: the study registry, papermill execution, the book build.

``params.yaml`` lists the studies (``studies:``); each study ``<id>`` has its notebook
``notebooks/studies/<id>.ipynb`` and its parameters ``params/<id>.yaml``. A study is run
by papermill into ``book/reports/<id>.ipynb``; the notebook itself writes
``results/<id>/estimates.json`` and its figures.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import yaml

from impactlib.paths import figures_dir, project_root

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Papermill and nbclient stamp wall-clock times into the executed notebook; removing them
# makes the executed report depend only on its inputs.
_VOLATILE_KEYS = ("start_time", "end_time", "duration")


class StudyError(ValueError):
    """A study is unknown, badly declared, or was given parameters it does not declare."""


def declared_studies(root: Path | None = None) -> list[str]:
    """Study identifiers listed under ``studies`` in ``params.yaml``."""
    root = root or project_root()
    document = yaml.safe_load((root / "params.yaml").read_text(encoding="utf-8")) or {}
    studies = document.get("studies") or []
    if not isinstance(studies, list):
        raise StudyError("params.yaml: 'studies' must be a list of study identifiers")
    for study in studies:
        if not isinstance(study, str) or not SLUG.match(study):
            raise StudyError(f"params.yaml: study id {study!r} is not a lowercase slug")
    return studies


def study_paths(study: str, root: Path | None = None) -> dict[str, Path]:
    root = root or project_root()
    return {
        "notebook": root / "notebooks" / "studies" / f"{study}.ipynb",
        "params": root / "params" / f"{study}.yaml",
        "report": root / "book" / "reports" / f"{study}.ipynb",
    }


def read_study_parameters(study: str, root: Path | None = None) -> dict[str, Any]:
    path = study_paths(study, root)["params"]
    if not path.is_file():
        raise StudyError(f"study {study!r}: parameter file {path} does not exist")
    parameters = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(parameters, dict):
        raise StudyError(f"{path}: expected a mapping of parameter names to values")
    return parameters


def check_parameters(notebook: Path, parameters: dict[str, Any]) -> None:
    """Refuse parameters that the notebook's ``parameters`` cell does not declare.

    Papermill only warns about them, and a misspelt parameter would then be ignored while
    the study ran with its default.
    """
    import papermill

    kernelspec = nbformat.read(notebook, as_version=4).metadata.get("kernelspec", {})
    if not kernelspec.get("name"):
        # Papermill reads the language from it; the study itself always runs on "python3".
        raise StudyError(f"{notebook}: no kernelspec in the notebook metadata")
    declared = papermill.inspect_notebook(str(notebook))
    if not declared:
        raise StudyError(f"{notebook}: no cell tagged 'parameters' (papermill needs one)")
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise StudyError(
            f"parameter(s) {', '.join(repr(u) for u in unknown)} not declared in the "
            f"parameters cell of {notebook.name} (declared: {', '.join(sorted(declared))})"
        )


def finalise_report(path: Path) -> None:
    """Make an executed notebook ready for the book and reproducible.

    Removes the execution timestamps that papermill and nbclient write, and hides the
    cell papermill injects with the parameters (the book shows the parameters elsewhere).
    """
    notebook = nbformat.read(path, as_version=4)
    for key in _VOLATILE_KEYS:
        notebook.metadata.get("papermill", {}).pop(key, None)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags:
            cell.id = "injected-parameters"  # papermill gives it a random id
            if "remove-cell" not in tags:
                cell.metadata["tags"] = [*tags, "remove-cell"]
        for key in _VOLATILE_KEYS:
            cell.metadata.get("papermill", {}).pop(key, None)
    nbformat.write(notebook, path)


def run_study(study: str, root: Path | None = None) -> Path:
    """Execute one study's notebook with its parameters; return the executed report's path.

    The report is written to a temporary name and moved into place only on success; a
    failed run is kept as ``book/reports/<id>.failed.ipynb`` for inspection.
    """
    import papermill

    root = root or project_root()
    studies = declared_studies(root)
    if study not in studies:
        raise StudyError(
            f"unknown study {study!r}; params.yaml declares: {', '.join(studies) or 'none'}"
        )
    paths = study_paths(study, root)
    if not paths["notebook"].is_file():
        raise StudyError(f"study {study!r}: notebook {paths['notebook']} does not exist")
    parameters = {**read_study_parameters(study, root), "study_id": study}
    check_parameters(paths["notebook"], parameters)

    paths["report"].parent.mkdir(parents=True, exist_ok=True)
    figures_dir(study, root).mkdir(parents=True, exist_ok=True)  # papermill makes no folders
    partial = paths["report"].with_suffix(".partial.ipynb")
    failed = paths["report"].with_suffix(".failed.ipynb")
    failed.unlink(missing_ok=True)
    try:
        papermill.execute_notebook(
            str(paths["notebook"].relative_to(root)),
            str(partial.relative_to(root)),
            parameters=parameters,
            kernel_name="python3",
            cwd=str(root),
            progress_bar=False,
        )
    except BaseException:
        if partial.exists():
            partial.replace(failed)
        raise
    finalise_report(partial)
    partial.replace(paths["report"])
    return paths["report"]


def build_book(root: Path | None = None) -> None:
    """Build the HTML book from the executed notebooks, warnings as errors, no execution."""
    root = root or project_root()
    command = [
        # The script beside this interpreter: the book builds with the project's environment.
        str(Path(sys.executable).with_name("jupyter-book")),
        "build",
        str(root / "book"),
        "--builder",
        "html",
        "--warningiserror",
        "--keep-going",
    ]
    completed = subprocess.run(command, cwd=root, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"book build failed (exit {completed.returncode}); see the log above")
