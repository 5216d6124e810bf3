"""Shared fixtures: the repository root and a scratch project with the real registry."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture
def scratch_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A minimal project folder (dvc.yaml, params.yaml, data/sources.yaml) as IMPACT_ROOT."""
    (tmp_path / "data").mkdir()
    shutil.copy(ROOT / "data" / "sources.yaml", tmp_path / "data" / "sources.yaml")
    (tmp_path / "dvc.yaml").write_text("stages: {}\n")
    (tmp_path / "params.yaml").write_text("studies:\n  - demo\n")
    monkeypatch.setenv("IMPACT_ROOT", str(tmp_path))
    return tmp_path
