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

from impactlib.cli.add_source import add_source
from impactlib.cli.repro import blocked_stages, missing_confidential_sources
from impactlib.project import sources

DVC = str(Path(sys.executable).parent / "dvc")
EMAIL = "camille.durand@exemple.fr"
ROWS = ["id;courriel;agence;groupe;emploi"] + [
    f"P{i:03d};{EMAIL if i == 0 else f'p{i}@exemple.fr'};A{i % 3};{'oui' if i % 2 else 'non'};1"
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
