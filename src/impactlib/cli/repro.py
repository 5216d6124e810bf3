"""``impact repro``: ``dvc repro``, on a clone with or without the confidential data.

With every confidential file present (or none declared) it is exactly ``dvc repro``. On a
clone without access to the private remote, the confidential files are missing: their
import stages and the studies that read them cannot run. Every other stage runs, in the
pipeline's order, and the book is built from the confidential studies' last outputs, which
passed the output check and are kept in git. The command says which stages it did not run
and why; with access (``dvc pull`` from the private remote), ``impact repro`` reruns them.

Without access, DVC's own planner runs on the pipeline's graph with those stages removed
(``dvc.repo.reproduce``: ``get_active_graph``, ``plan_repro``, ``_reproduce``, in one
process, as ``dvc repro`` does). Naming every other stage to ``dvc repro --single-item``
instead took 6 s when nothing had changed, against 1.4 s so; DVC's ``frozen`` stages
would not do, since a frozen stage with missing outputs still runs. These are DVC's
internals of the pinned version (``dvc==3.67``): the pipeline tests run this path.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

from impactlib.project.inputs import split_sources
from impactlib.project.notebooks import declared, read_parameters
from impactlib.project.paths import project_root, sources_file
from impactlib.project.sources import read_registry


def dvc_executable() -> str:
    """The environment's own ``dvc``, beside this Python, whatever ``PATH`` says."""
    beside = Path(sys.executable).parent / "dvc"
    return str(beside) if beside.is_file() else "dvc"


def missing_confidential_sources(root: Path) -> list[str]:
    """Confidential sources whose file is not on this machine."""
    return sorted(
        name
        for name, source in read_registry(sources_file(root)).items()
        if getattr(source, "confidential", False) and not source.file(root).is_file()
    )


def blocked_stages(root: Path, missing: list[str]) -> dict[str, str]:
    """The stages that cannot run without the ``missing`` sources, each with the reason."""
    registry = read_registry(sources_file(root))
    blocked = {}
    for name in missing:
        blocked[f"confidential@{name}"] = f"the file of source {name!r} is not here"
        blocked[f"{registry[name].path}.dvc"] = "a confidential file, on the private remote"
    for notebook_id, kind in declared(root).items():
        names, _ = split_sources(notebook_id, read_parameters(notebook_id, kind, root))
        lacking = sorted(set(names) & set(missing))
        if kind.name == "confidential" and lacking:
            blocked[f"confidential-study@{notebook_id}"] = (
                f"it reads the confidential source(s) {', '.join(lacking)}, not on this "
                "machine; the book shows its last checked outputs, kept in git"
            )
    return blocked


def repro(root: Path | None = None, *, force: bool = False) -> int:
    """Run the pipeline (see the module's docstring); return the exit code."""
    root = root or project_root()
    missing = missing_confidential_sources(root)
    if not missing:
        return subprocess.call(
            [dvc_executable(), "repro", *(["--force"] if force else [])], cwd=root
        )
    blocked = blocked_stages(root, missing)
    for stage, reason in blocked.items():
        print(f"impact repro: not rerun: {stage}: {reason}", flush=True)
    return _repro_without(root, set(blocked), force=force)


def _repro_without(root: Path, blocked: set[str], *, force: bool) -> int:
    """``dvc repro`` of every pipeline stage but ``blocked``, in one DVC process."""
    from dvc.exceptions import DvcException
    from dvc.logger import setup as setup_logging
    from dvc.repo import Repo
    from dvc.repo.reproduce import _reproduce, get_active_graph, plan_repro

    if not logging.getLogger("dvc").handlers:  # importing DVC may have set them up
        setup_logging()  # DVC's messages ("Running stage ..."), as its command prints them
    try:
        with Repo(str(root)) as repo, repo.lock:
            graph = get_active_graph(repo.index.graph)
            # A .dvc pointer's file is data, not a computation: `dvc repro` of the project
            # file only checks it, and a missing confidential file would fail that check.
            graph.remove_nodes_from(
                [s for s in list(graph) if s.addressing in blocked or s.is_data_source]
            )
            _reproduce(plan_repro(graph), graph=graph, on_error="fail", force=force)
    except DvcException as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    return 0
