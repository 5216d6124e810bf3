"""The comparison of impacts on disk: built from every declared study's results file,
written to ``comparison/comparison.json`` (DVC metrics) and read back by the page."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from impactlib.appraisal.comparison import SynthesisError, comparison_row
from impactlib.project.notebooks import declared
from impactlib.project.paths import project_root, results_dir
from impactlib.project.results import write_json_atomic

COMPARISON_FILE = Path("comparison") / "comparison.json"


def build_comparison(root: Path | None = None) -> pd.DataFrame:
    """Read every declared study and note and return the comparison table.

    Studies must carry a complete comparison block; notes enter the comparison when they
    carry one.
    """
    root = root or project_root()
    rows = []
    for notebook_id, kind in declared(root).items():
        if kind.name not in ("study", "note"):
            continue
        path = results_dir(notebook_id, root) / "estimates.json"
        if not path.is_file():
            raise SynthesisError(f"{kind.name} {notebook_id!r}: {path} does not exist")
        payload = json.loads(path.read_text(encoding="utf-8"))
        if kind.name == "note" and "comparison" not in payload:
            continue
        rows.append(comparison_row(notebook_id, kind.name, payload.get("comparison"), path=path))
    if not rows:
        raise SynthesisError("no study or note carries a comparison block")
    return pd.DataFrame(rows)


def write_comparison(table: pd.DataFrame, root: Path | None = None) -> Path:
    """Write the comparison as ``comparison/comparison.json`` (DVC metrics)."""
    root = root or project_root()
    records = json.loads(table.to_json(orient="records", double_precision=15))
    payload = {"n_rows": len(records), "rows": {r["id"]: r for r in records}}
    return write_json_atomic(root / COMPARISON_FILE, payload)


def read_comparison(root: Path | None = None) -> pd.DataFrame:
    root = root or project_root()
    payload = json.loads((root / COMPARISON_FILE).read_text(encoding="utf-8"))
    return pd.DataFrame(list(payload["rows"].values()))
