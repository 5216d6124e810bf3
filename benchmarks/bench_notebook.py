"""What running a notebook through the pipeline costs over running its code as a script.

For one notebook id (default ``emploi-nsw``), times, best of N runs each:

- ``impact run <id>``: the DVC stage's command (papermill, a kernel, the executed copy);
- the same code as a plain script: the notebook's code cells, with the parameters of
  ``params/<id>.yaml`` assigned after the parameters cell as papermill injects them,
  run by ``python`` with matplotlib's non-interactive backend;
- ``python -c "import impactlib.<family>..."``: what importing the library costs alone.

Run from the repository root: ``.venv/bin/python benchmarks/bench_notebook.py [id] [--runs N]``.
The ratio ``impact run`` / script is the overhead of papermill and the kernel. CPU time
(of the processes and their children, the kernel included) is less disturbed than
wall-clock time by other jobs on the machine; both are printed.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from impactlib.project.notebooks import declared, notebook_paths, read_notebook

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def script_of(notebook_id: str) -> str:
    """The notebook's code cells as one script, parameters injected as papermill does."""
    kind = declared(ROOT)[notebook_id]
    paths = notebook_paths(notebook_id, kind, ROOT)
    parameters = yaml.safe_load(paths["params"].read_text(encoding="utf-8")) or {}
    parameters["study_id"] = notebook_id
    injected = "\n".join(f"{name} = {value!r}" for name, value in parameters.items())
    cells = []
    for cell in read_notebook(paths["notebook"]).cells:
        if cell.cell_type != "code":
            continue
        cells.append(cell.source)
        if "parameters" in cell.metadata.get("tags", []):
            cells.append(injected)
    return "import matplotlib\nmatplotlib.use('Agg')\n" + "\n\n".join(cells) + "\n"


def best_of(command: list[str], runs: int, env: dict[str, str]) -> tuple[float, float]:
    """Best wall-clock time and best CPU time (user + system, the kernel included)."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return min(walls), min(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("id", nargs="?", default="emploi-nsw")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "PYTHONHASHSEED": "0"}
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / f"{args.id}.py"
        script.write_text(script_of(args.id), encoding="utf-8")
        as_script = best_of([sys.executable, str(script)], args.runs, env)
    pipeline = best_of([str(BIN / "impact"), "run", args.id], args.runs, env)
    imports = best_of(
        [sys.executable, "-c", "import impactlib.report, impactlib.appraisal, matplotlib.pyplot"],
        args.runs,
        env,
    )
    print(f"notebook {args.id}: best of {args.runs} runs     wall      CPU (user + system)")
    print(f"  impact run                  {pipeline[0]:6.2f} s  {pipeline[1]:6.2f} s")
    print(f"  plain script                {as_script[0]:6.2f} s  {as_script[1]:6.2f} s")
    ratios = (pipeline[0] / as_script[0], pipeline[1] / as_script[1])
    print(f"  ratio                       {ratios[0]:6.2f}    {ratios[1]:6.2f}")
    print(f"  imports alone               {imports[0]:6.2f} s  {imports[1]:6.2f} s")


if __name__ == "__main__":
    main()
