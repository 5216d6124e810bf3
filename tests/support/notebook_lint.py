"""Ruff on notebooks kept as MyST Markdown: their code cells, exported to ``.ipynb``.

Ruff reads ``.ipynb`` files but not MyST Markdown, so each notebook is written as an
``.ipynb`` in a temporary folder (code cells only matter to ruff) and checked there with
the project's configuration. ``python tests/support/notebook_lint.py [--fix] [paths]`` is
what ``make lint`` (and ``make format``, with ``--fix``) runs; the unit tests call
:func:`ruff_notebooks`. With ``--fix``, ruff's fixes and formatting are written back into
the code cells of the Markdown notebooks; their prose is left as it is.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import jupytext

from impactlib.project.notebooks import read_notebook, write_notebook

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ["--config", str(ROOT / "pyproject.toml")]
# impactlib is first-party, as in src/, wherever the exported copies are.
FIRST_PARTY = ["--config", "lint.isort.known-first-party=['impactlib']"]


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    ruff = Path(sys.executable).with_name("ruff")
    return subprocess.run([ruff, *args], capture_output=True, text=True)


def ruff_notebooks(paths: list[Path], *, fix: bool = False) -> subprocess.CompletedProcess[str]:
    """``ruff check`` and ``ruff format --check`` on the code of ``paths``; one result.

    With ``fix``, apply ruff's fixes and formatting to the notebooks first.
    """
    with tempfile.TemporaryDirectory(prefix="notebook-lint-") as folder:
        copies = {}
        for path in paths:
            copy = Path(folder) / f"{path.parent.name}--{path.stem}.ipynb"
            jupytext.write(read_notebook(path), copy)
            copies[copy] = Path(path)
        if fix:
            _ruff("check", "--fix", *CONFIG, *FIRST_PARTY, folder)
            _ruff("format", *CONFIG, folder)
            for copy, path in copies.items():
                _write_code_back(copy, path)
        check = _ruff("check", *CONFIG, *FIRST_PARTY, folder)
        fmt = _ruff("format", "--check", *CONFIG, folder)
    output = check.stdout + check.stderr + fmt.stdout + fmt.stderr
    for copy, original in copies.items():
        output = output.replace(str(copy), str(original))
    return subprocess.CompletedProcess(
        args=["ruff"], returncode=check.returncode or fmt.returncode, stdout=output, stderr=""
    )


def _write_code_back(copy: Path, path: Path) -> None:
    fixed = jupytext.read(copy)
    notebook = read_notebook(path)
    changed = False
    for cell, new in zip(notebook.cells, fixed.cells, strict=True):
        if cell.cell_type == "code" and cell.source != new.source:
            cell.source, changed = new.source, True
    if changed:
        write_notebook(notebook, path)


def main(argv: list[str]) -> int:
    fix = "--fix" in argv
    paths = [Path(p) for p in argv if p != "--fix"] or sorted((ROOT / "notebooks").rglob("*.md"))
    result = ruff_notebooks(paths, fix=fix)
    print(result.stdout, end="")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
