"""Writing and reading ``results/<study>/estimates.json``, the contract between stages.

Files are written deterministically (fixed key order, fixed float repr, trailing newline)
and atomically (a temporary file renamed into place), so that the same inputs give
byte-identical results and a failed run never leaves a half-written file behind.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from impactlib.core.estimate import Estimate
from impactlib.project.atomic import atomic_path
from impactlib.project.paths import results_dir

SCHEMA_VERSION = 1


def _jsonable(value: Any) -> Any:
    if isinstance(value, Estimate):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return value.item()
    return value


def write_json_atomic(path: Path, payload: Mapping[str, Any]) -> Path:
    """Write ``payload`` as stable, indented JSON through a temporary file."""
    text = json.dumps(_jsonable(payload), ensure_ascii=False, allow_nan=False, indent=2) + "\n"
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_estimates(
    study: str,
    estimates: Mapping[str, Estimate],
    *,
    facts: Mapping[str, Any] | None = None,
    comparison: Mapping[str, Any] | None = None,
    root: Path | None = None,
) -> Path:
    """Write the estimates of one study to ``results/<study>/estimates.json``.

    Parameters
    ----------
    study : str
        Study identifier (the folder name under ``results/``).
    estimates : mapping of str to Estimate
        Named estimates; the names are the keys other stages read.
    facts : mapping, optional
        Other computed numbers worth tracking as metrics (sample sizes, balance...).
    comparison : mapping, optional
        The study's entry in the comparison of impacts, built with
        :func:`impactlib.appraisal.comparison_block`.
    """
    if not estimates:
        raise ValueError(f"study {study!r}: no estimates to write")
    for name, est in estimates.items():
        if not isinstance(est, Estimate):
            raise TypeError(
                f"study {study!r}: estimate {name!r} is {type(est).__name__}, not an Estimate"
            )
    payload = {
        "schema_version": SCHEMA_VERSION,
        "study": study,
        "estimates": dict(estimates),
        "facts": dict(facts or {}),
    }
    if comparison is not None:
        payload["comparison"] = dict(comparison)
    return write_json_atomic(results_dir(study, root) / "estimates.json", payload)


def read_estimates(study: str, *, root: Path | None = None) -> dict[str, Estimate]:
    """Read back the estimates of a study as :class:`Estimate` records."""
    path = results_dir(study, root) / "estimates.json"
    if not path.is_file():
        raise FileNotFoundError(f"study {study!r}: {path} does not exist (run `dvc repro`)")
    payload = json.loads(path.read_text(encoding="utf-8"))
    return {name: Estimate.from_dict(d) for name, d in payload["estimates"].items()}
