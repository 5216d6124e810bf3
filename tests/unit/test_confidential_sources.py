"""A confidential partner's file: git never holds it, `dvc push` sends it to the private
remote only, and its imported table lives apart from the public data.

A throw-away git + DVC project with a public default remote and a `private` remote, both
local folders here (tests/integration/test_private_remote.py pushes and pulls through a
real SSH server).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from nbformat.v4 import new_code_cell, new_notebook

from impactlib.cli import runner
from impactlib.cli.add_source import add_source
from impactlib.cli.repro import blocked_stages, missing_confidential_sources
from impactlib.project import sources
from impactlib.project.notebooks import StudyError, write_notebook
from impactlib.publish.disclosure import DisclosureError

DVC = str(Path(sys.executable).parent / "dvc")
EMAIL = "camille.durand@exemple.fr"
ROWS = ["id;courriel;agence;groupe;age;revenu;emploi"] + [
    f"P{i:03d};{EMAIL if i == 0 else f'p{i}@exemple.fr'};A{i % 3};{'oui' if i % 2 else 'non'};"
    f"{18 + i};{1000 + 37 * i};1"
    for i in range(40)
]


def _run(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=root, capture_output=True, text=True)


@pytest.fixture
def project(scratch_project: Path, tmp_path_factory) -> Path:
    root = scratch_project
    storage = tmp_path_factory.mktemp("remotes")
    _run(root, "git", "init", "-q")
    for command in (
        ["init", "-q"],
        ["remote", "add", "-d", "public", str(storage / "public")],
        ["remote", "add", "--local", "private", str(storage / "private")],
    ):
        assert _run(root, DVC, *command).returncode == 0
    shutil.copy(Path(__file__).parents[2] / ".gitignore", root / ".gitignore")
    (root / ".remotes").write_text(str(storage))  # where this test's remotes are
    (root / "params").mkdir()
    (root / "params" / "demo.yaml").write_text("sources: []\n")
    return root


@pytest.fixture
def received(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("received") / "inscrits.csv"
    path.write_text("\n".join(ROWS) + "\n", encoding="utf-8")
    return path


def _files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_git_and_the_public_remote_never_hold_a_confidential_file(project, received):
    new = add_source(
        "inscrits",
        received,
        provider="Association",
        agreement="Convention",
        confidential=True,
        root=project,
    )
    pointer = yaml.safe_load(new.pointer.read_text())
    assert pointer["outs"][0]["remote"] == "private"
    [table] = sources.import_sources(project, ["inscrits"])
    assert table.parent == project / "data" / "confidential"  # apart from data/raw
    assert _run(project, "git", "add", "-A").returncode == 0
    tracked = _run(project, "git", "ls-files").stdout.split()
    assert "data/files/inscrits/inscrits.csv.dvc" in tracked
    assert not [name for name in tracked if name.endswith((".csv", ".parquet"))]
    blobs = _run(project, "git", "cat-file", "--batch-all-objects", "--batch").stdout
    assert EMAIL not in blobs
    pushed = _run(project, DVC, "push")
    assert pushed.returncode == 0, pushed.stderr
    storage = Path((project / ".remotes").read_text())
    public, private = storage / "public", storage / "private"
    md5 = pointer["outs"][0]["md5"]
    assert (private / "files" / "md5" / md5[:2] / md5[2:]).is_file()
    assert not (public / "files" / "md5" / md5[:2] / md5[2:]).exists()
    assert _files_under(public) == []  # nothing else to push here: nothing at all


def test_a_clone_without_the_file_names_what_it_cannot_run(project, received):
    add_source(
        "inscrits",
        received,
        provider="Association",
        agreement="Convention",
        confidential=True,
        root=project,
    )
    (project / "data" / "files" / "inscrits" / "inscrits.csv").unlink()
    missing = missing_confidential_sources(project)
    assert "inscrits" in missing
    blocked = blocked_stages(project, missing)
    assert "confidential@inscrits" in blocked and "is not here" in blocked["confidential@inscrits"]
    with pytest.raises(sources.SourceError, match="private DVC remote: `dvc pull`"):
        sources.import_sources(project, ["inscrits"])


def _confidential_study(project: Path, received: Path, body: str) -> None:
    """A study `demo` of the confidential source `inscrits`, printing what ``body`` shows."""
    add_source("inscrits", received, provider="A", agreement="B", confidential=True, root=project)
    sources.import_sources(project, ["inscrits"])
    (project / "params.yaml").write_text("studies: []\nconfidential_studies:\n  - demo\n")
    (project / "params" / "demo.yaml").write_text("sources: [inscrits]\n")
    cells = [
        new_code_cell("study_id = 'demo'"),
        new_code_cell(
            "from impactlib.project import sources, write_estimates\n"
            "table = sources.load('inscrits')\n" + body
        ),
    ]
    cells[0].metadata["tags"] = ["parameters"]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "P"}
    (project / "notebooks" / "studies").mkdir(parents=True)
    write_notebook(notebook, project / "notebooks" / "studies" / "demo.md")


def test_the_output_check_stops_a_planted_extract_and_keeps_nothing(project, received):
    _confidential_study(project, received, "table.head()")
    with pytest.raises(
        DisclosureError, match=r"(?s)study 'demo'.*cell 2 \(id cell-1\): row-level extract"
    ):
        runner.run_notebook("demo", project)
    assert not list((project / "book" / "reports").glob("demo*"))


def test_the_output_check_stops_a_small_count(project, received):
    body = "table['agence'].value_counts().head(2) * 0 + 3"
    _confidential_study(project, received, body)
    with pytest.raises(DisclosureError, match=r"count\(s\) below the threshold 11"):
        runner.run_notebook("demo", project)


def test_clean_outputs_of_a_confidential_study_pass(project, received):
    _confidential_study(project, received, "print(round(table['emploi'].mean(), 2))")
    target = runner.run_notebook("demo", project)
    assert target.is_file()


def test_a_confidential_source_needs_a_confidential_study(project, received):
    _confidential_study(project, received, "1")
    (project / "params.yaml").write_text("studies:\n  - demo\n")
    with pytest.raises(StudyError, match="list it under confidential_studies"):
        runner.run_notebook("demo", project)
