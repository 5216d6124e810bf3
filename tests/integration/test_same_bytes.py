"""The same bytes on every machine, and a pipeline that survives being killed.

A fresh clone's `make all` must leave `git status` clean: the session fixture `project`
(conftest.py) commits a copy of the working tree, results files and dvc.lock included, runs
`impact repro` there and records what git sees afterwards. The copy is another folder and
another commit than the one that wrote the results: what differs by path or by version
must not reach a tracked file. Then a `dvc repro` killed by SIGKILL in the middle of a
notebook leaves nothing half-written where a stage reads, and the next one completes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import nbformat
import psutil
import pytest
import yaml

from conftest import BIN, _repro, _stale_stages

pytestmark = pytest.mark.pipeline

STUDY = "emploi-nsw"
PNG_END = b"IEND\xaeB`\x82"


def _lock_changes(project) -> set[str]:
    """The stages whose entry in dvc.lock the first run changed."""
    committed = subprocess.run(
        ["git", "show", "HEAD:dvc.lock"],
        cwd=project["root"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    before = yaml.safe_load(committed)["stages"]
    after = yaml.safe_load(project["lock"])["stages"]
    return {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}


def test_a_fresh_clone_reproduces_the_commit_byte_for_byte(project):
    changed = [line for line in project["status"].splitlines() if line != " M dvc.lock"]
    assert not changed, f"after `impact repro` in a copy, git sees changes:\n{project['diff']}"
    # The pdf stage: see the next test.
    assert _lock_changes(project) <= {"pdf"}, project["diff"][:8000]


def test_the_pdfs_hash_the_same_at_another_commit(project):
    # The PDFs print the commit and its date: DVC records the digests of their sources
    # (book/pdf/fingerprint.txt), with the version and the date masked.
    assert "pdf" not in _lock_changes(project), project["diff"][:8000]


def _files(root):
    folders = [root / "results", root / "comparison", root / "book" / "reports"]
    return {p: p.read_bytes() for f in folders for p in sorted(f.rglob("*")) if p.is_file()}


def _whole(path, data: bytes) -> bool:
    """Whether ``data`` is a complete file of its kind."""
    if path.suffix == ".json":
        json.loads(data)
    elif path.suffix == ".ipynb":
        nbformat.reads(data.decode("utf-8"), as_version=4)
    elif path.suffix == ".png":
        return data.startswith(b"\x89PNG") and data.endswith(PNG_END)
    return True


def _kernels_of(session: int) -> list[psutil.Process]:
    """The notebook kernels started by the processes of ``session``."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            parent = process.parent()
            cmdline = " ".join(process.info["cmdline"] or [])
            if "ipykernel" in cmdline and parent and os.getsid(parent.pid) == session:
                found.append(process)
        except (psutil.Error, ProcessLookupError):
            continue
    return found


def test_a_repro_killed_mid_notebook_leaves_nothing_half_written_and_resumes(project):
    root = project["root"]
    assert _stale_stages(root) == set()
    before = _files(root)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    env.pop("IMPACT_ROOT", None)
    command = [str(BIN / "dvc"), "repro", "--force", "--single-item", f"study@{STUDY}"]
    run = subprocess.Popen(
        command,
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, killed whole below
    )
    kernels = []
    deadline = time.monotonic() + 120
    while not kernels and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
        kernels = _kernels_of(run.pid)
    assert kernels, "no notebook kernel started within 120 s"
    time.sleep(3)  # the notebook is running: imports, data, the first estimates
    assert run.poll() is None, "the stage ended before it could be killed"
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    # The kernel has a session of its own; it exits when its parent is gone.
    _, alive = psutil.wait_procs(kernels, timeout=30)
    for process in alive:  # started by this test
        process.kill()

    after = _files(root)
    assert not set(after) - set(before), sorted(str(p) for p in set(after) - set(before))
    for path, data in after.items():
        assert _whole(path, data), f"{path} is half-written"

    # DVC may run the stage again or, its inputs being those of a run it recorded (the
    # run cache), check the outputs of that run out: either way, the same files.
    output = _repro(root)
    assert (
        f"Running stage 'study@{STUDY}'" in output
        or f"Stage 'study@{STUDY}' is cached - skipping run, checking out outputs" in output
    ), output
    assert _files(root) == before
    assert _stale_stages(root) == set()
