"""The house plan holds: layers (import-linter), small modules and functions, thin notebooks.

The limits are those of ARCHITECTURE.md. ``DEBTS`` lists what still exceeds them while a
refactor is under way; it must only shrink, and an entry that no longer exceeds its limit
fails the test until it is removed, so that the list stays true.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from impactlib.project.notebooks import read_notebook

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "impactlib"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 100  # signature and body, docstring excluded
MAX_STUDY_CODE_LINES = 250  # non-blank lines of the code cells

DEBTS: set[str] = set()


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def function_lengths(path: Path) -> dict[str, int]:
    """Lines of each function of ``path``: decorators, signature and body, no docstring."""
    lengths = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        body = node.body
        docstring = ast.get_docstring(node, clean=False) is not None
        doc_lines = (body[0].end_lineno - body[0].lineno + 1) if docstring else 0
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        name = f"{path.relative_to(SRC.parent)}::{node.name}"
        lengths[name] = max(lengths.get(name, 0), node.end_lineno - first + 1 - doc_lines)
    return lengths


def study_code_lines(path: Path) -> int:
    cells = read_notebook(path).cells
    return sum(
        1 for c in cells if c.cell_type == "code" for line in c.source.splitlines() if line.strip()
    )


def _over_limits() -> dict[str, int]:
    over = {}
    for path in _modules():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            over[str(path.relative_to(SRC.parent))] = lines
        for name, length in function_lengths(path).items():
            if length > MAX_FUNCTION_LINES:
                over[name] = length
    for path in sorted((ROOT / "notebooks" / "studies").glob("*.md")):
        lines = study_code_lines(path)
        if lines > MAX_STUDY_CODE_LINES:
            over[str(path.relative_to(ROOT))] = lines
    return over


def test_modules_functions_and_study_notebooks_stay_small():
    over = _over_limits()
    new = {name: size for name, size in over.items() if name not in DEBTS}
    assert not new, f"over the limits of ARCHITECTURE.md: {new}"
    paid = sorted(DEBTS - set(over))
    assert not paid, f"within the limits now, remove from DEBTS: {paid}"


def test_every_package_says_what_it_owns():
    for init in sorted(SRC.rglob("__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc.split()) >= 8, f"{init}: no docstring saying what it owns"


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.skip("import-linter is not installed beside this interpreter")
    # This checkout's package, even when another one is installed in editable mode.
    env = {**os.environ, "PYTHONPATH": str(SRC.parent)}
    result = subprocess.run(
        [lint, "--config", str(ROOT / "pyproject.toml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
