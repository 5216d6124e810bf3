"""The project's own files agree: conda and pip environments, notebooks, README and CI."""

from __future__ import annotations

import re
import tomllib

import yaml

from impactlib.project.notebooks import read_notebook
from support.notebook_lint import ruff_notebooks


def _pyproject(repo_root):
    return tomllib.loads((repo_root / "pyproject.toml").read_text())


def test_environment_yml_declares_the_pyproject_dependencies(repo_root):
    project = _pyproject(repo_root)["project"]
    declared = set(project["dependencies"]) | set(project["optional-dependencies"]["dev"])
    env = yaml.safe_load((repo_root / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = {line for line in pip_section if not line.startswith("-")}
    assert listed == declared
    assert "-e .[dev]" in pip_section
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert python == "python=3.11" and project["requires-python"] == ">=3.11"
    assert env["channels"] == ["conda-forge"]


def test_every_dependency_is_pinned_in_the_lock(repo_root):
    lock = (repo_root / "requirements.lock").read_text().lower()
    project = _pyproject(repo_root)["project"]
    for requirement in project["dependencies"] + project["optional-dependencies"]["dev"]:
        name = re.split(r"[=<>~!]", requirement, maxsplit=1)[0].strip().lower()
        assert re.search(rf"^{re.escape(name)}==", lock, re.M), f"{name} not in requirements.lock"


def test_notebooks_are_text_with_a_parameters_cell(repo_root):
    # Notebooks are kept as MyST Markdown (no outputs can be committed); an .ipynb under
    # notebooks/ would be a second, unreviewable copy.
    assert not list((repo_root / "notebooks").rglob("*.ipynb"))
    paths = sorted((repo_root / "notebooks").rglob("*.md"))
    assert paths
    for path in paths:
        code = [c for c in read_notebook(path).cells if c.cell_type == "code"]
        assert any("parameters" in c.metadata.get("tags", []) for c in code), path


def test_ci_runs_the_readme_test_command(repo_root):
    readme = (repo_root / "README.md").read_text()
    commands = re.findall(r"```bash\n(make \w+)\n```", readme)
    assert commands[:2] == ["make all", "make test"]
    assert "make test" in (repo_root / ".ci" / "run").read_text()


def test_dvc_config_is_offline_and_quiet(repo_root):
    config = (repo_root / ".dvc" / "config").read_text()
    assert re.search(r"analytics\s*=\s*false", config)
    assert re.search(r"check_update\s*=\s*false", config)
    assert re.search(r"remote\s*=\s*local", config)


def test_notebook_code_passes_ruff(repo_root):
    result = ruff_notebooks(sorted((repo_root / "notebooks").rglob("*.md")))
    assert result.returncode == 0, result.stdout


def test_test_modules_have_unique_names(repo_root):
    # The test folders are not packages: pytest imports each test file by its basename, and
    # two files of one name in tests/unit and tests/integration stop the whole run at
    # collection ("import file mismatch").
    names = [p.name for p in (repo_root / "tests").rglob("test_*.py")]
    assert sorted({n for n in names if names.count(n) > 1}) == []
