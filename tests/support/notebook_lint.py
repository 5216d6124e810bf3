"""Ruff on notebooks kept as MyST Markdown: their code cells, exported to ``.ipynb``.

Ruff reads ``.ipynb`` files but not MyST Markdown, so each notebook is written as an
``.ipynb`` in a temporary folder (code cells only matter to ruff) and checked there with
the project's configuration. ``python tests/support/notebook_lint.py [paths]`` is what
``make lint`` runs; the unit tests call :func:`ruff_notebooks`.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import jupytext

from impactlib.project.notebooks import read_notebook

ROOT = Path(__file__).resolve().parents[2]
# impactlib is first-party, as in src/, wherever the exported copies are.
RUFF_OPTIONS = [
    "--config",
    str(ROOT / "pyproject.toml"),
    "--config",
    "lint.isort.known-first-party=['impactlib']",
]


def ruff_notebooks(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    """``ruff check`` and ``ruff format --check`` on the code of ``paths``; one result."""
    ruff = Path(sys.executable).with_name("ruff")
    with tempfile.TemporaryDirectory(prefix="notebook-lint-") as folder:
        names = {}
        for path in paths:
            copy = Path(folder) / f"{path.parent.name}--{path.stem}.ipynb"
            jupytext.write(read_notebook(path), copy)
            names[str(copy)] = str(path)
        check = subprocess.run(
            [ruff, "check", *RUFF_OPTIONS, folder], capture_output=True, text=True
        )
        fmt = subprocess.run(
            [ruff, "format", "--check", "--config", str(ROOT / "pyproject.toml"), folder],
            capture_output=True,
            text=True,
        )
    output = check.stdout + check.stderr + fmt.stdout + fmt.stderr
    for copy, original in names.items():
        output = output.replace(copy, original)
    return subprocess.CompletedProcess(
        args=["ruff"], returncode=check.returncode or fmt.returncode, stdout=output, stderr=""
    )


def main(argv: list[str]) -> int:
    paths = [Path(p) for p in argv] or sorted((ROOT / "notebooks").rglob("*.md"))
    result = ruff_notebooks(paths)
    print(result.stdout, end="")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
