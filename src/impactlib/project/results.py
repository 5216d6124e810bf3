"""Writing and reading ``results/<study>/estimates.json``, the contract between stages.

Files are written deterministically (fixed key order, floats rounded to
:data:`SIGNIFICANT_DIGITS` significant digits, trailing newline) and atomically (a
temporary file renamed into place), so that the same inputs give byte-identical results on
every machine and a failed run never leaves a half-written file behind.

Why round: two machines running the same pinned code differ in the last bits of a float
(another CPU picks another BLAS kernel, which sums in another order), so a full
``repr`` differed in the 16th significant digit from one machine to the next. Rounding
happens here, at write time, and only here: the values in memory (what a notebook glues
and plots) keep every bit. ARCHITECTURE.md ("Precision and determinism") gives the reasons
for the number of digits.
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

#: Significant digits of every float written to a results file: far beyond what any
#: estimate means, and far above the platform noise (the 16th digit).
SIGNIFICANT_DIGITS = 10


def round_significant(value: float, digits: int = SIGNIFICANT_DIGITS) -> float:
    """``value`` rounded to ``digits`` significant digits (NaN and infinities unchanged).

    Formatting with ``%.{digits}g`` and parsing back is correctly rounded by Python on
    every platform, and the JSON ``repr`` of the result has at most ``digits`` digits.
    """
    return float(f"{value:.{digits}g}") + 0.0  # + 0.0: one zero, never -0.0


def _jsonable(value: Any) -> Any:
    if isinstance(value, Estimate):
        return _jsonable(value.to_dict())
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return _jsonable(value.item())
    if isinstance(value, float):
        return round_significant(value)
    return value


def write_json_atomic(path: Path, payload: Mapping[str, Any]) -> Path:
    """Write ``payload`` as stable, indented JSON through a temporary file.

    Floats are rounded to :data:`SIGNIFICANT_DIGITS` significant digits (see the module's
    docstring); integers, strings and the payload's key order are written as given.
    """
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
