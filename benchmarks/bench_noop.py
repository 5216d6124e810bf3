"""Time a no-op ``dvc repro`` (and ``dvc status``): wall clock and CPU of the DVC process.

Run it from the repository root once the pipeline is up to date (``dvc status`` says so):

    .venv/bin/python benchmarks/bench_noop.py [--runs 9] [--command repro] [other checkouts...]

Other checkouts given as arguments (e.g. a clone at an older commit, ``dvc checkout`` done)
are timed in turn with this one, run after run, so that the load of the machine weighs on
each alike. A run that executes a stage is refused: it would not be a no-op. CPU time
(user + system) moves less than wall time when other jobs share the machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path


def timed(dvc: str, command: str, folder: Path) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([dvc, command], cwd=folder, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0 or "Running stage" in done.stdout:
        sys.exit(f"{folder}: `dvc {command}` is not a no-op here:\n{done.stdout[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("others", nargs="*", type=Path, help="other checkouts to time alike")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--command", default="repro", choices=["repro", "status"])
    args = parser.parse_args()
    dvc = str(Path(sys.executable).parent / "dvc")
    folders = [Path.cwd(), *args.others]
    times: dict[Path, list[tuple[float, float]]] = {folder: [] for folder in folders}
    for _ in range(args.runs):
        for folder in folders:
            times[folder].append(timed(dvc, args.command, folder))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"dvc {args.command}, {args.runs} runs each, load average after: {load}")
    for folder, runs in times.items():
        wall = [w for w, _ in runs]
        cpu = [c for _, c in runs]
        print(
            f"{folder}: wall min {min(wall):.2f} s, median {statistics.median(wall):.2f} s; "
            f"CPU min {min(cpu):.2f} s, median {statistics.median(cpu):.2f} s"
        )


if __name__ == "__main__":
    main()
