"""``impact repro``: ``dvc repro``, on a clone with or without the confidential data.

With every confidential file present (or none declared) it is exactly ``dvc repro``. On a
clone without access to the private remote, the confidential files are missing: their
import stages and the studies that read them cannot run. Every other stage runs, in the
pipeline's order, and the book is built from the confidential studies' last outputs, which
passed the output check and are kept in git. The command says which studies were not rerun
and why; with access (``dvc pull`` from the private remote), ``impact repro`` reruns them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from impactlib.project.inputs import split_sources
from impactlib.project.notebooks import declared, read_parameters
from impactlib.project.paths import project_root, sources_file
from impactlib.project.sources import read_registry


def _dvc() -> str:
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
    blocked = {
        f"confidential@{name}": f"the file of source {name!r} is not here" for name in missing
    }
    for notebook_id, kind in declared(root).items():
        names, _ = split_sources(notebook_id, read_parameters(notebook_id, kind, root))
        lacking = sorted(set(names) & set(missing))
        if kind.name == "confidential" and lacking:
            blocked[f"confidential-study@{notebook_id}"] = (
                f"it reads the confidential source(s) {', '.join(lacking)}, not on this "
                "machine; the book shows its last checked outputs, kept in git"
            )
    return blocked


def pipeline_order(root: Path) -> list[str]:
    """The stages of ``dvc.yaml`` in an order where each comes after what it depends on."""
    import networkx as nx
    from dvc.repo import Repo

    with Repo(str(root)) as repo:
        graph = repo.index.graph  # an edge goes from a stage to a stage it depends on
        stages = reversed(list(nx.topological_sort(graph)))
        return [stage.addressing for stage in stages if stage.cmd]


def repro(root: Path | None = None, *, force: bool = False) -> int:
    """Run the pipeline (see the module's docstring); return ``dvc``'s exit code."""
    root = root or project_root()
    extra = ["--force"] if force else []
    missing = missing_confidential_sources(root)
    if not missing:
        return subprocess.call([_dvc(), "repro", *extra], cwd=root)
    blocked = blocked_stages(root, missing)
    for stage, reason in blocked.items():
        print(f"impact repro: not rerun: {stage}: {reason}", flush=True)
    targets = [stage for stage in pipeline_order(root) if stage not in blocked]
    return subprocess.call([_dvc(), "repro", "--single-item", *extra, *targets], cwd=root)
