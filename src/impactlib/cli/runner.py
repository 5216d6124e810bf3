"""What the DVC stages run: papermill execution of a notebook, the synthesis page, the book
build."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat

from impactlib.project.atomic import atomic_path
from impactlib.project.inputs import SOURCES_ENV, split_sources
from impactlib.project.notebooks import (
    KINDS,
    NOTEBOOK_SUFFIX,
    StudyError,
    declared,
    notebook_paths,
    read_notebook,
    read_parameters,
)
from impactlib.project.paths import figures_dir, project_root, results_dir, sources_file

# Papermill and nbclient stamp wall-clock times into the executed notebook; removing them
# makes the executed report depend only on its inputs.
_VOLATILE_KEYS = ("start_time", "end_time", "duration")

#: What the kernel of every notebook gets in its environment, over the caller's.
#: A fixed hash seed makes set iteration order, and so the results of libraries that
#: iterate over sets (pyfixest orders fixed effects that way), identical from one run to
#: the next. One BLAS and OpenMP thread: a threaded BLAS (OpenBLAS, MKL) splits a matrix
#: product or a reduction among as many threads as the machine has cores, and adds the
#: partial sums in an order that depends on that split, so the same notebook gave floats
#: that differed in their last bits from a 2-core to a 16-core machine. With one thread
#: there is one order (what it costs in time on a many-core machine was not measured).
KERNEL_ENV = {
    "PYTHONHASHSEED": "0",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def check_parameters(notebook: Path, parameters: dict[str, Any]) -> None:
    """Refuse parameters that the notebook's ``parameters`` cell does not declare.

    Papermill only warns about them, and a misspelt parameter would then be ignored while
    the study ran with its default.
    """
    import papermill

    node = read_notebook(notebook)
    kernelspec = node.metadata.get("kernelspec", {})
    if not kernelspec.get("name"):
        # Papermill reads the language from it; the study itself always runs on "python3".
        raise StudyError(f"{notebook}: no kernelspec in the notebook metadata")
    declared = papermill.inspect_notebook(node)
    if not declared:
        raise StudyError(f"{notebook}: no cell tagged 'parameters' (papermill needs one)")
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise StudyError(
            f"parameter(s) {', '.join(repr(u) for u in unknown)} not declared in the "
            f"parameters cell of {notebook.name} (declared: {', '.join(sorted(declared))})"
        )


def finalise_report(path: Path, root: Path | None = None, *, target: Path | None = None) -> None:
    """Make an executed notebook ready for the book and reproducible.

    Removes the execution timestamps that papermill and nbclient write, and hides the
    cell papermill injects with the parameters (the book shows the parameters elsewhere).
    With ``root``, paths under the project folder printed by a cell (``PosixPath(...)``,
    a warning's file name) become relative to it: a reader of the book has no use for the
    folder the report ran in, and the copy is then the same on every machine. ``target``
    is where the copy goes when ``path`` is a temporary file: papermill's record of its
    output path names it (relative to ``root``), not the temporary file.
    """
    notebook = nbformat.read(path, as_version=4)
    if target is not None:
        notebook.metadata.setdefault("papermill", {})["output_path"] = str(target)
    if root is not None:
        prefix = f"{Path(root).resolve()}{os.sep}"
        recorded = notebook.metadata.get("papermill", {})
        for key in ("input_path", "output_path"):  # where papermill read and wrote
            if isinstance(recorded.get(key), str):
                recorded[key] = recorded[key].replace(prefix, "")
        for cell in notebook.cells:
            for index, output in enumerate(cell.get("outputs", [])):
                cell.outputs[index] = _without_prefix(output, prefix)
    notebook.metadata.pop("jupytext", None)  # the text format's header, not the report's
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


def _without_prefix(node: Any, prefix: str) -> Any:
    """``node`` (an output's JSON) with ``prefix`` removed from every string it holds."""
    if isinstance(node, str):
        return node.replace(prefix, "")
    if isinstance(node, list):
        return [_without_prefix(item, prefix) for item in node]
    if isinstance(node, dict):
        return type(node)((key, _without_prefix(value, prefix)) for key, value in node.items())
    return node


def run_notebook(notebook_id: str, root: Path | None = None) -> Path:
    """Execute one declared notebook with its parameters; return the executed copy's path."""
    root = root or project_root()
    registry = declared(root)
    if notebook_id not in registry:
        raise StudyError(
            f"unknown study or note {notebook_id!r}; params.yaml declares: "
            f"{', '.join(registry) or 'none'}"
        )
    kind = registry[notebook_id]
    paths = notebook_paths(notebook_id, kind, root)
    if not paths["notebook"].is_file():
        raise StudyError(
            f"{kind.name} {notebook_id!r}: notebook {paths['notebook']} does not exist"
        )
    parameters = {**read_parameters(notebook_id, kind, root), "study_id": notebook_id}
    names, _ = split_sources(notebook_id, parameters)
    check = _confidential_check(notebook_id, kind.name, names, root)
    figures_dir(notebook_id, root).mkdir(parents=True, exist_ok=True)  # papermill makes none
    return execute(paths["notebook"], paths["report"], parameters, root, check=check)


def _confidential_check(
    notebook_id: str, kind: str, names: list[str], root: Path
) -> Callable[[Path], None] | None:
    """The output check of a study of confidential data, or None for any other notebook.

    A notebook reading a confidential source must be declared a confidential study (its
    outputs are checked and kept in git), and a confidential study must read one.
    """
    from impactlib.project.sources import read_registry

    registry = read_registry(sources_file(root))
    secret = [n for n in names if getattr(registry.get(n), "confidential", False)]
    if secret and kind != "confidential":
        raise StudyError(
            f"{kind} {notebook_id!r} reads the confidential source(s) {', '.join(secret)}: "
            "list it under confidential_studies in params.yaml (not under "
            f"{KINDS[kind].params_key}), so that its outputs are checked before they leave"
        )
    if kind == "confidential" and not secret:
        raise StudyError(
            f"confidential study {notebook_id!r} declares no confidential source under "
            f"'sources' in params/{notebook_id}.yaml; list it under studies instead"
        )
    if not secret:
        return None

    def check(executed: Path) -> None:
        from impactlib.project.sources import load
        from impactlib.publish.disclosure import check_study_outputs

        estimates = results_dir(notebook_id, root) / "estimates.json"
        identifiers: dict[str, list[str]] = {}
        for name in secret:
            identifiers.update(registry[name].identifier_values(root))
        check_study_outputs(
            notebook_id,
            notebook=executed,
            estimates=estimates if estimates.is_file() else None,
            tables={name: load(name, root=root) for name in secret},
            identifier_values=identifiers,
        )

    return check


@contextmanager
def _kernel(root: Path, sources: list[str]) -> Iterator[Any]:
    """A python3 kernel, started first so that it boots while papermill is imported.

    IPC transport (Unix sockets in a private temporary folder) rather than TCP: nothing
    listens on the network, and the kernel has no unencrypted-TCP warning to print. The
    history stays in memory, as nbclient would start it. ``sources`` are the only sources
    the notebook may load (:mod:`impactlib.project.inputs`).
    """
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_client.utils import run_sync

    with tempfile.TemporaryDirectory(prefix="impact-kernel-") as folder:
        manager = AsyncKernelManager(
            kernel_name="python3", transport="ipc", ip=str(Path(folder) / "kernel")
        )
        run_sync(manager.start_kernel)(
            cwd=str(root),
            env={**os.environ, **KERNEL_ENV, SOURCES_ENV: ",".join(sources)},
            extra_arguments=["--HistoryManager.hist_file=:memory:"],
        )
        try:
            yield manager
        finally:
            run_sync(manager.shutdown_kernel)(now=True)


def execute(
    notebook: Path,
    target: Path,
    parameters: dict[str, Any],
    root: Path,
    *,
    check: Callable[[Path], None] | None = None,
) -> Path:
    """Run ``notebook`` with papermill into ``target``, atomically, from the root folder.

    The parameters are checked against the notebook's ``parameters`` cell first, but for
    ``sources`` (the sources it may load), which the runner keeps. Papermill writes the
    copy in a private temporary folder, never beside ``target``: the folders of executed
    notebooks are what the book stage reads (and hashes), and a run killed there, even by
    SIGKILL, must leave nothing in them. The finished copy is moved into place in one
    rename (:func:`impactlib.project.atomic.atomic_path`); a failed run is kept as
    ``<name>.failed.ipynb`` beside it for inspection, and removed by the next run.
    ``check`` (the output check of a confidential study) reads the finished copy before it
    is moved: when it refuses, the copy is not kept, and neither are the results the
    notebook wrote, since they may hold what the check found.
    """
    sources, parameters = split_sources(notebook.stem, parameters)
    failed = target.with_suffix(".failed.ipynb")
    failed.unlink(missing_ok=True)
    target.with_suffix(".partial.ipynb").unlink(missing_ok=True)  # an older runner's
    with tempfile.TemporaryDirectory(prefix="impact-run-") as folder:
        executed = Path(folder) / target.name
        with _kernel(root, sources) as kernel:
            import papermill

            check_parameters(notebook, parameters)
            try:
                papermill.execute_notebook(
                    read_notebook(notebook),
                    str(executed),
                    parameters=parameters,
                    kernel_name="python3",
                    cwd=str(root),
                    progress_bar=False,
                    # Papermill saves the notebook after every cell by default (62 JSON
                    # writes, 0.8 s of CPU for a report); the copy is written once, at the end.
                    request_save_on_cell_execute=False,
                    km=kernel,
                )
            except BaseException:
                if executed.exists():
                    _copy_atomically(executed, failed)
                raise
        finalise_report(executed, root, target=target)
        if check is not None:
            try:
                check(executed)
            except BaseException:
                results = results_dir(target.stem, root)
                (results / "estimates.json").unlink(missing_ok=True)
                shutil.rmtree(results / "figures", ignore_errors=True)
                raise
        _copy_atomically(executed, target)
    return target


def _copy_atomically(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` through a temporary file beside ``target``."""
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)


SYNTHESIS_NOTEBOOK = Path("notebooks") / "synthesis" / f"comparer{NOTEBOOK_SUFFIX}"


SYNTHESIS_PAGE = Path("book") / "comparer.ipynb"


def run_synthesis(root: Path | None = None) -> Path:
    """Build ``comparison/comparison.json`` from the results, then the comparison page."""
    from impactlib.project.comparison import build_comparison, write_comparison

    root = root or project_root()
    write_comparison(build_comparison(root), root)
    (root / "comparison" / "figures").mkdir(parents=True, exist_ok=True)
    return execute(root / SYNTHESIS_NOTEBOOK, root / SYNTHESIS_PAGE, {}, root)


#: The book stage's output (``dvc.yaml``): the fingerprint of ``book/_build/html``.
BOOK_FINGERPRINT = Path("book") / "_build" / "fingerprint.txt"

#: Tells book/_ext/citation_meta.py the version to print, the one the fingerprint masks.
VERSION_ENV = "IMPACT_BOOK_VERSION"


def build_book(root: Path | None = None) -> None:
    """Build the HTML book from the executed notebooks, warnings as errors, no execution.

    The book is built in a folder beside ``book/_build`` that replaces it only when the
    build succeeds (:func:`impactlib.project.atomic.staged_folder`): a failed or killed
    build leaves the previous book whole. Then :data:`BOOK_FINGERPRINT` is written, the
    stage's output, which DVC hashes instead of the book: the book prints the version of
    the repository, and the fingerprint hashes every file of ``html/`` with that version
    masked (:mod:`impactlib.project.fingerprint`). Left out of it: Sphinx's ``.doctrees``
    (pickles holding absolute paths), ``html/.buildinfo`` (a hash of the configuration,
    version included) and ``html/searchindex.js`` (the pages' words, the version's cut into
    search terms; the pages themselves are hashed).
    """
    from impactlib.project.atomic import staged_folder
    from impactlib.project.fingerprint import write_fingerprint
    from impactlib.publish.citation import version

    root = root or project_root()
    label = version(root)
    target = root / "book" / "_build"
    for leftover in target.parent.glob(f".{target.name}.building-*"):  # a killed build's
        shutil.rmtree(leftover, ignore_errors=True)
    with staged_folder(target) as building:
        command = [
            # The script beside this interpreter: the book builds with the project's
            # environment.
            str(Path(sys.executable).with_name("jupyter-book")),
            "build",
            str(root / "book"),
            "--path-output",
            str(building),  # jupyter-book writes to <path-output>/_build
            "--builder",
            "html",
            "--warningiserror",
            "--keep-going",
        ]
        env = {**os.environ, VERSION_ENV: label}
        completed = subprocess.run(command, cwd=root, env=env, check=False)
        if completed.returncode != 0:
            raise SystemExit(f"book build failed (exit {completed.returncode}); see the log above")
        for child in (building / "_build").iterdir():
            child.replace(building / child.name)
        (building / "_build").rmdir()
        write_fingerprint(
            building / "html",
            building / BOOK_FINGERPRINT.name,
            version=label,
            skip=[".buildinfo", "searchindex.js"],
        )
