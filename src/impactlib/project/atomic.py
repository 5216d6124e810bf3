"""Atomic writes of a file or a whole folder: a failed run never leaves a half-written
output where a stage or the book reads."""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success move it into place.

    The file gets the permissions an ordinary ``open`` would give it (``mkstemp`` makes it
    private), and it is removed if the block raises. The temporary files that a writer of
    ``path`` killed by SIGKILL left behind are removed first (:func:`remove_leftovers`).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(path)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def remove_leftovers(path: Path) -> list[Path]:
    """Remove the temporary files that :func:`atomic_path` left beside ``path``.

    ``atomic_path`` removes its file when the block raises, but a process killed with
    SIGKILL runs no cleanup: ``atomic_path`` calls this before writing ``path`` again, so
    that no such file stays in a folder that a stage reads or DVC hashes (``data/raw`` is
    one). Returns what it removed.
    """
    path = Path(path)
    pattern = f".{glob.escape(path.name)}.*.tmp"
    removed = sorted(p for p in path.parent.glob(pattern) if p.is_file())
    for leftover in removed:
        leftover.unlink(missing_ok=True)
    return removed


@contextmanager
def staged_folder(target: Path) -> Iterator[Path]:
    """Yield an empty folder beside ``target``; when the block succeeds, it becomes ``target``.

    If the block raises, the folder is removed and ``target`` is left as it was: a reader
    of ``target`` (the book, DVC) never sees a half-written folder. The swap is two renames
    on the same file system; between them ``target`` is briefly absent, and if the second
    fails the previous folder is put back. The folder gets the permissions of an ordinary
    ``mkdir``.
    """
    target = Path(target)
    building = target.with_name(f".{target.name}.building-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)  # left by a process killed with this pid
    building.mkdir(parents=True)
    try:
        yield building
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    previous = target.with_name(f".{target.name}.previous-{os.getpid()}")
    if target.exists():
        shutil.rmtree(previous, ignore_errors=True)
        os.replace(target, previous)
    try:
        os.replace(building, target)
    except BaseException:
        if previous.exists():
            os.replace(previous, target)
        shutil.rmtree(building, ignore_errors=True)
        raise
    shutil.rmtree(previous, ignore_errors=True)
