"""What importing a partner's file costs over pandas reading and writing it as is.

Writes a French-style CSV (cp1252, ``;``, decimal commas, dd/mm/yyyy dates) of N rows and
30 columns (default 1 000 000) with its Table Schema, then times, each in a fresh process:

- ``pandas``: ``pd.read_csv(sep=";", decimal=",", encoding="cp1252")`` then ``to_parquet``;
- ``impact``: what ``impact import`` does to a partner's file
  (``FileSource.fetch_with_dictionary``, less the data dictionary page): read it with its
  schema (:mod:`impactlib.intake.readers`, dialect and mojibake checks, numbers parsed as
  numbers and dates, integers and allowed values as categories: ``intake.typed_text``),
  validate every column against the schema (types, allowed values, ranges, key, undeclared
  identifiers), replace the participant number by a keyed pseudonym, drop the e-mail
  column, write parquet.

For each: wall-clock time (best of ``--runs``) and the peak resident memory of the
process above its peak after imports (``VmHWM`` of ``/proc/self/status``, Linux; of the
fastest run), against the in-memory size of the imported table
(``DataFrame.memory_usage(deep=True)``). Goals (issue "Field data in"): time within 2x of
pandas, peak memory within 3x of the data's size.

Run from the repository root: ``.venv/bin/python benchmarks/bench_import.py [--rows N]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

N_NUMBERS, N_INTEGERS, N_CATEGORIES, N_DATES = 12, 8, 6, 2  # + id + e-mail = 30 columns
CATEGORIES = ["Île-de-France", "Hauts-de-France", "Occitanie", "Bretagne", "Grand Est"]


def write_file(folder: Path, rows: int, seed: int = 1) -> tuple[Path, Path]:
    """The CSV and its schema, in ``folder``."""
    rng = np.random.default_rng(seed)
    columns: dict[str, object] = {"participant": [f"AR-{i:07d}" for i in range(rows)]}
    columns["courriel"] = [f"p{i}@exemple.fr" for i in range(rows)]
    fields = [
        {"name": "participant", "type": "string", "identifier": "pseudonymise"},
        {"name": "courriel", "type": "string", "identifier": "drop"},
    ]
    for j in range(N_NUMBERS):
        values = np.round(rng.normal(1000, 300, rows), 2)
        columns[f"montant_{j}"] = [f"{v:.2f}".replace(".", ",") for v in values]
        fields.append({"name": f"montant_{j}", "type": "number"})
    for j in range(N_INTEGERS):
        columns[f"compte_{j}"] = rng.integers(0, 100, rows)
        fields.append({"name": f"compte_{j}", "type": "integer", "constraints": {"minimum": 0}})
    for j in range(N_CATEGORIES):
        columns[f"categorie_{j}"] = rng.choice(CATEGORIES, rows)
        fields.append(
            {"name": f"categorie_{j}", "type": "string", "constraints": {"enum": CATEGORIES}}
        )
    start = np.datetime64("2025-01-01")
    for j in range(N_DATES):
        days = start + rng.integers(0, 365, rows).astype("timedelta64[D]")
        columns[f"date_{j}"] = pd.to_datetime(days).strftime("%d/%m/%Y")
        fields.append({"name": f"date_{j}", "type": "date", "format": "%d/%m/%Y"})
    csv = folder / "partenaire.csv"
    pd.DataFrame(columns).to_csv(csv, sep=";", index=False, encoding="cp1252")
    schema = folder / "partenaire.yaml"
    descriptor = {"unit": "une ligne par participant", "primaryKey": ["participant"]}
    schema.write_text(yaml.safe_dump({**descriptor, "fields": fields}, allow_unicode=True))
    return csv, schema


PANDAS = """
import sys, pandas as pd
frame = pd.read_csv(sys.argv[1], sep=";", decimal=",", encoding="cp1252")
frame.to_parquet(sys.argv[2], index=False)
"""

IMPACT = """
import sys
from impactlib.intake.schema import read_schema
from impactlib.project.file_sources import deidentify, read_checked
schema = read_schema(sys.argv[3])
file_format = {"encoding": "cp1252", "separator": ";", "decimal": ","}
frame, labels = read_checked(sys.argv[1], schema, source="bench", file_format=file_format)
frame = deidentify(frame, schema, key_file=None)  # as FileSource.fetch_with_dictionary
frame.to_parquet(sys.argv[2], index=False)
"""

# ru_maxrss is no use here: Linux keeps it across fork and exec, so the child starts with
# the parent's peak (the data generation). VmHWM is the peak of the process's own memory.
MEASURE = """
import sys, time
def hwm():
    status = open("/proc/self/status").read()
    return int(status.split("VmHWM:")[1].split()[0]) * 1024
{imports}
baseline = hwm()
start = time.perf_counter()
exec(compile(open(sys.argv[4]).read(), "job", "exec"))
elapsed = time.perf_counter() - start
print(elapsed, hwm() - baseline, frame.memory_usage(deep=True).sum())
"""


def run(job: str, imports: str, csv: Path, schema: Path, folder: Path) -> tuple[float, int, int]:
    script, target = folder / "job.py", folder / "out.parquet"
    script.write_text(job)
    code = MEASURE.format(imports=imports)
    env = {**os.environ, "IMPACT_PSEUDONYM_KEY": "b" * 64}
    done = subprocess.run(
        [sys.executable, "-c", code, str(csv), str(target), str(schema), str(script)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    elapsed, peak, size = done.stdout.split()
    return float(elapsed), int(peak), int(size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        csv, schema = write_file(folder, args.rows)
        print(f"{args.rows} rows x 30 columns, {csv.stat().st_size / 1e6:.0f} MB of CSV")
        imports = {
            "pandas": "import pandas as pd, pyarrow.parquet",
            "impact": "import pandas as pd, pyarrow.csv, pyarrow.parquet\n"
            "import impactlib.intake.readers, impactlib.intake.validation, "
            "impactlib.project.file_sources",
        }
        results = {}
        for label, job in (("pandas", PANDAS), ("impact", IMPACT)):
            runs = [run(job, imports[label], csv, schema, folder) for _ in range(args.runs)]
            results[label] = min(runs)
            elapsed, peak, size = results[label]
            print(
                f"{label:7s} {elapsed:6.2f} s  peak +{peak / 1e6:6.0f} MB  "
                f"table {size / 1e6:5.0f} MB  peak/table {peak / size:4.2f}"
            )
        ratio = results["impact"][0] / results["pandas"][0]
        print(f"impact / pandas time: {ratio:.2f} (goal <= 2)")
        memory = results["impact"][1] / results["impact"][2]
        print(f"impact peak / its table: {memory:.2f} (goal <= 3)")


if __name__ == "__main__":
    main()
