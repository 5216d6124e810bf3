"""The same bytes on every machine: results files at a stated precision, the book's
fingerprint without the version, writes that a killed process cannot leave half done, and
the launcher the stages call."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from impactlib.core.estimate import Estimate
from impactlib.project import atomic, comparison, fingerprint, results

ROOT = Path(__file__).resolve().parents[2]


def _estimate(value: float) -> Estimate:
    return Estimate(
        value=value,
        std_error=670.9965444673315,
        ci_low=475.6104548290318,
        ci_high=3113.074308871165,
        p_value=9.447032240984005e-48,
        n=445,
        method="difference in means",
        outcome="re78",
    )


def test_results_files_round_floats_at_write_time_only(tmp_path):
    estimate = _estimate(1794.3423818500985)
    path = results.write_estimates(
        "demo",
        {"main": estimate},
        facts={"ratio": np.float64(1 / 3), "count": np.int64(12), "flag": True, "zero": -0.0},
        root=tmp_path,
    )
    text = path.read_text(encoding="utf-8")
    assert '"value": 1794.342382,' in text
    assert '"p_value": 9.447032241e-48,' in text
    assert '"ratio": 0.3333333333,' in text
    assert '"count": 12,' in text and '"flag": true,' in text
    assert '"zero": 0.0' in text  # one zero: -0.0 is no other number
    # The record in memory keeps every bit; the file reads back at the stated precision.
    assert estimate.value == 1794.3423818500985
    back = results.read_estimates("demo", root=tmp_path)["main"]
    assert back.value == pytest.approx(estimate.value, rel=10**-results.SIGNIFICANT_DIGITS)
    assert back.n == 445


def test_a_difference_in_the_last_bits_gives_the_same_file(tmp_path):
    # What two machines' BLAS gave: the same number but for the 16th significant digit.
    value = 1794.3423818500985
    other = np.nextafter(np.nextafter(value, np.inf), np.inf)
    assert other != value
    first = results.write_json_atomic(tmp_path / "a.json", {"v": value, "w": [value]})
    second = results.write_json_atomic(tmp_path / "b.json", {"v": other, "w": [other]})
    assert first.read_bytes() == second.read_bytes()


def test_non_finite_numbers_are_still_refused(tmp_path):
    with pytest.raises(ValueError):
        results.write_json_atomic(tmp_path / "a.json", {"v": float("nan")})
    assert not list(tmp_path.iterdir())


def test_the_comparison_is_written_through_the_same_rounding(tmp_path):
    table = pd.DataFrame([{"id": "a", "effect": 0.1 + 0.2, "n": 3}])
    path = comparison.write_comparison(table, tmp_path)
    assert json.loads(path.read_text())["rows"]["a"]["effect"] == 0.3


def test_leftovers_of_a_killed_writer_are_removed_by_the_next_write(tmp_path):
    target = tmp_path / "estimates.json"
    leftover = tmp_path / ".estimates.json.abc123.tmp"
    leftover.write_text("{half")
    other = tmp_path / ".other.json.abc123.tmp"
    other.write_text("{")
    results.write_json_atomic(target, {"v": 1})
    assert not leftover.exists() and other.exists()
    assert atomic.remove_leftovers(tmp_path / "other.json") == [other]


def test_the_fingerprint_masks_the_version_and_names_each_file(tmp_path):
    def build(folder: Path, version: str) -> list[str]:
        (folder / "pages").mkdir(parents=True)
        (folder / "index.html").write_text(f"<footer>Version : <code>{version}</code></footer>")
        (folder / "pages" / "a.html").write_text("<p>1 794,34</p>")
        (folder / ".buildinfo").write_text(f"config: {hash(version)}")
        target = folder.parent / f"{folder.name}.txt"
        fingerprint.write_fingerprint(folder, target, version=version, skip=[".buildinfo"])
        return target.read_text().splitlines()

    first = build(tmp_path / "one", "v0.1.0-3-g1a2b3c4")
    second = build(tmp_path / "two", "f608bc1-dirty")
    assert first == second
    assert [line.split("  ")[1] for line in first] == ["index.html", "pages/a.html"]
    (tmp_path / "two" / "pages" / "a.html").write_text("<p>1 794,35</p>")
    changed = fingerprint.fingerprint_lines(
        tmp_path / "two", masks={"f608bc1-dirty": fingerprint.VERSION_MARK}, skip=[".buildinfo"]
    )
    assert changed[0] == first[0] and changed[1] != first[1]


def _launcher(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    copy = tmp_path / "repo" / "bin" / "impact"
    copy.parent.mkdir(parents=True)
    copy.write_bytes((ROOT / "bin" / "impact").read_bytes())
    copy.chmod(0o755)
    return subprocess.run(
        [str(copy), "--help"], env=env, capture_output=True, text=True, check=False, cwd="/"
    )


def test_the_launcher_says_what_to_run_without_an_environment(tmp_path):
    done = _launcher(tmp_path, {"PATH": "/usr/bin:/bin"})
    assert done.returncode == 127
    assert "make install" in done.stderr and "conda activate impact-tank" in done.stderr


def test_the_launcher_runs_the_project_environment(tmp_path):
    venv = tmp_path / "repo" / ".venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "impact").write_text('#!/bin/sh\necho "venv impact $*"\n')
    (venv / "impact").chmod(0o755)
    done = _launcher(tmp_path, {"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0 and done.stdout == "venv impact --help\n"


def test_the_launcher_is_executable_in_git():
    mode = subprocess.run(
        ["git", "ls-files", "-s", "bin/impact"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split(" ")[0]
    assert mode in ("100755", "") and os.access(ROOT / "bin" / "impact", os.X_OK)
