"""The session fixture of the integration tests: the repository copied and reproduced once.

`project` is shared by test_pipeline.py (the pipeline's contracts) and test_browser.py (the
built book in a browser); both modules are marked `pipeline`. The helpers below are also
imported by test_pipeline.py (`from conftest import ...`: this file is the `conftest` module
pytest loads before collecting the tests of this folder).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def _run(args, cwd, timeout=900):
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    env.pop("IMPACT_ROOT", None)
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done.stdout + done.stderr


def _dvc(*args, cwd):
    return _run([str(BIN / "dvc"), *args], cwd)


def _repro(cwd):
    """`impact repro`, as `make all` runs it: the copy has no confidential file (git does not
    hold them), so the stages that need one are named and skipped."""
    return _run([str(BIN / "impact"), "repro"], cwd)


def _stale(status: str) -> set[str]:
    """Stage names that `dvc status` reports as changed."""
    return set(re.findall(r"^(\S+):\s*$", status, re.M))


def _blocked(root) -> set[str]:
    """The stages a copy without the confidential files cannot run."""
    from impactlib.cli.repro import blocked_stages, missing_confidential_sources

    return set(blocked_stages(root, missing_confidential_sources(root)))


def _stale_stages(root) -> set[str]:
    """What `dvc status` reports as changed, but for the stages this copy cannot run."""
    return _stale(_dvc("status", cwd=root)) - _blocked(root)


@pytest.fixture(scope="session")
def project(repo_root, tmp_path_factory):
    """A git copy of the working tree (tracked and new files, not ignored ones), reproduced."""
    target = tmp_path_factory.mktemp("clone") / "repo"
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=repo_root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for name in filter(None, listed):
        source = repo_root / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    # The results files stay, as in a fresh clone (git keeps them): the pipeline rewrites
    # them, and git must then see no change (test_same_bytes.py). Outputs that git does not
    # keep (executed notebooks, figures, the book) are not copied.
    for command in (
        ["git", "init", "-q"],
        ["git", "add", "-A"],
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "copy"],
    ):
        subprocess.run(command, cwd=target, check=True)
    output = _repro(target)
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=target, capture_output=True, text=True, check=True
    ).stdout
    diff = subprocess.run(["git", "diff"], cwd=target, capture_output=True, text=True).stdout
    lock = (target / "dvc.lock").read_text(encoding="utf-8")
    return {"root": target, "first_run": output, "status": status, "diff": diff, "lock": lock}
