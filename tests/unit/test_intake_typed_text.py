"""A CSV read with its schema (``intake.typed_text``): typed columns, the same table.

Numbers parsed by pyarrow, dates, integers and allowed values read as categories: the
validated table, and every refusal, must be those of the file read as text (the exact
path), on French exports (cp1252, semicolons, decimal commas) above all.
"""

from __future__ import annotations

import importlib.util
import io
import math
import random
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest

from impactlib.intake import text_files
from impactlib.intake.casting import cast_field
from impactlib.intake.errors import ReadError, SchemaError
from impactlib.intake.readers import read_file
from impactlib.intake.schema import Field, read_schema, schema_from_descriptor
from impactlib.intake.typed_text import DEMOTIONS, column_plan
from impactlib.intake.validation import validate

ROOT = Path(__file__).resolve().parents[2]

SCHEMA = {
    "unit": "un participant",
    "primaryKey": ["id"],
    "missingValues": ["", "NA"],
    "fields": [
        {"name": "id", "type": "string", "constraints": {"pattern": "P[0-9]{3}"}},
        {"name": "groupe", "type": "string", "constraints": {"enum": ["contrôle", "traité"]}},
        {"name": "ville", "type": "string"},
        {"name": "age", "type": "integer", "constraints": {"minimum": 18}},
        {"name": "revenu", "type": "number", "constraints": {"minimum": 0}},
        {"name": "score", "type": "number"},
        {"name": "inclusion", "type": "date", "format": "%d/%m/%Y"},
        {"name": "rdv", "type": "datetime", "format": "%d/%m/%Y %H:%M"},
        {"name": "actif", "type": "boolean", "trueValues": ["oui"], "falseValues": ["non"]},
        {"name": "cohorte", "type": "year"},
    ],
}
HEADER = [field["name"] for field in SCHEMA["fields"]]


def _row(i: int) -> list[str]:
    return [
        f"P{i:03d}",
        "traité" if i % 3 else "contrôle",
        ["Sète", "Orléans", "Évry", "Lyon"][i % 4],
        "NA" if i % 7 == 3 else str(18 + i % 50),
        "" if i % 11 == 5 else f"{1000 + i * 7},{i % 100:02d}",
        f"-{i % 5},5" if i % 2 else "NA",
        f"{1 + i % 28:02d}/{1 + i % 12:02d}/2024",
        f"{1 + i % 28:02d}/03/2025 {i % 24:02d}:30",
        "oui" if i % 2 else "non",
        str(2020 + i % 4),
    ]


def _csv(path: Path, rows: list[list[str]], encoding: str = "cp1252") -> Path:
    text = "\r\n".join(";".join(row) for row in [HEADER, *rows]) + "\r\n"
    path.write_bytes(text.encode(encoding))
    return path


def _outcome(path: Path, schema, *, typed: bool, **options):
    """The validated table, or the message of the refusal, reading typed or as text."""
    try:
        table = read_file(path, schema=schema if typed else None, **options)
        return validate(
            table.frame, schema, source="export", decimal=table.dialect.decimal, typed=table.typed
        )
    except (ReadError, SchemaError) as error:
        return f"{type(error).__name__}: {error}"


def _same(path: Path, schema, **options):
    """Read typed and as text: the same table or the same refusal; returns it.

    A refusal shows the offending values of a column parsed as numbers as the numbers read
    (``-5.0``), where the text path shows them as written (``'-5'``): all else is the same.
    """
    typed = _outcome(path, schema, typed=True, **options)
    text = _outcome(path, schema, typed=False, **options)
    if isinstance(text, str) or isinstance(typed, str):
        assert isinstance(typed, str) and isinstance(text, str)
        assert typed.split("; value")[0] == text.split("; value")[0]
        assert typed.split(". To fix")[1:] == text.split(". To fix")[1:]
    else:
        pd.testing.assert_frame_equal(typed, text)
    return typed


@pytest.fixture
def schema():
    return schema_from_descriptor(SCHEMA, origin="test")


@pytest.mark.parametrize(
    ("encoding", "declared"), [("cp1252", "cp1252"), ("cp1252", None), ("utf-8", None)]
)
def test_a_french_export_gives_the_same_table_typed_or_as_text(
    tmp_path, schema, encoding, declared, monkeypatch
):
    path = _csv(tmp_path / "export.csv", [_row(i) for i in range(200)], encoding)
    one_byte, parsed = text_files._one_byte_table, []

    def spy(*args):
        parsed.append(one_byte(*args))
        return parsed[-1]

    monkeypatch.setattr(text_files, "_one_byte_table", spy)
    table = read_file(path, schema=schema, encoding=declared)
    assert bool(parsed and parsed[0] is not None) == (encoding == "cp1252")  # as it is
    assert table.typed == ("revenu", "score")  # parsed as numbers by pyarrow
    kinds = table.frame.dtypes
    assert kinds["revenu"] == "float64" and kinds["score"] == "float64"
    for name in ("groupe", "age", "inclusion", "rdv", "actif", "cohorte"):
        assert isinstance(kinds[name], pd.CategoricalDtype), name
    assert not isinstance(kinds["ville"], pd.CategoricalDtype)  # free text stays text
    frame = _same(path, schema, encoding=declared)
    assert frame["ville"].tolist()[:3] == ["Sète", "Orléans", "Évry"]
    assert frame["revenu"].iloc[0] == 1000.0 and math.isnan(frame["revenu"].iloc[5])
    assert frame["age"].isna().sum() == len(range(3, 200, 7))


def test_the_worked_example_export_gives_the_same_table_typed_or_as_text(tmp_path):
    """The partner's export of the worked example (tools/simulate_partner_files.py), with
    its schema: amounts with no-break spaces between thousands, which pyarrow refuses, so
    that the column is read again as text."""
    script = ROOT / "tools" / "simulate_partner_files.py"
    spec = importlib.util.spec_from_file_location("simulate_partner_files", script)
    tool = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = tool
    spec.loader.exec_module(tool)
    import yaml

    params = yaml.safe_load((ROOT / "tools" / "partner_files.yaml").read_text(encoding="utf-8"))
    paths = tool.write(params, tmp_path)
    export = next(path for path in paths if str(path).endswith("_export.csv"))
    schema = read_schema(ROOT / "data" / "schemas" / "ar_allocations.yaml")
    options = {"encoding": "cp1252", "separator": ";", "decimal": ","}
    frame = _same(export, schema, **options)
    assert len(frame) > 1000 and frame["Montant (€)"].notna().all()
    table = read_file(export, schema=schema, **options)
    assert isinstance(table.frame["Région"].dtype, pd.CategoricalDtype)


@pytest.mark.parametrize(
    ("column", "cell", "rule"),
    [
        ("revenu", "1 234,5", None),  # spaces between thousands: the exact path reads them
        ("revenu", "+12,5", None),
        ("revenu", "12.5", "type"),  # a point where the mark is a comma: 1.5 or 15?
        ("revenu", "inf", "type"),  # pyarrow reads it, the exact path refuses it
        ("revenu", "nan", "type"),
        ("revenu", "douze", "type"),
        ("revenu", "-5", "minimum"),
        ("revenu", "Ã©", "mojibake"),  # refused by the reader, naming column and row
        ("groupe", "traitÃ©", "mojibake"),  # in a column read as categories
        ("inclusion", "Ã©", "mojibake"),
        ("age", "0x1F", "type"),  # hexadecimal: pyarrow's integers would read 31
        ("age", "1234567890123456789", "type"),
        ("age", " 42 ", None),
        ("age", "12", "minimum"),
        ("inclusion", "2024-01-31", "format"),
        ("rdv", "31/01/2024", "format"),
        ("actif", "vrai", "type"),
        ("cohorte", "24", "type"),
        ("groupe", "témoin", "enum"),
        ("groupe", "NA", None),
    ],
)
def test_a_cell_the_typed_parse_refuses_gives_the_exact_error(tmp_path, schema, column, cell, rule):
    """A bad cell on row 37 of 60: the same table, or the same message naming the row, the
    column and the rule, as when the file is read as text."""
    rows = [_row(i) for i in range(60)]
    rows[36][HEADER.index(column)] = cell
    path = _csv(tmp_path / "export.csv", rows, "utf-8")
    outcome = _same(path, schema, encoding="utf-8", decimal=",")
    if rule is None:
        assert isinstance(outcome, pd.DataFrame)
    elif rule == "mojibake":
        assert outcome.startswith("ReadError") and f"column {column!r}, row 37" in outcome
    else:
        assert outcome.startswith("SchemaError")
        assert f"column {column!r}, rule {rule!r}" in outcome and "at row 37" in outcome


def test_a_required_number_left_empty_names_its_row(tmp_path, schema):
    descriptor = {**SCHEMA, "fields": list(SCHEMA["fields"])}
    descriptor["fields"][4] = {**SCHEMA["fields"][4], "constraints": {"required": True}}
    strict = schema_from_descriptor(descriptor, origin="test")
    path = _csv(tmp_path / "export.csv", [_row(i) for i in range(30)])
    message = _same(path, strict, encoding="cp1252")
    assert "column 'revenu', rule 'required'" in message and "at rows 6, 17, 28" in message


def test_a_numeric_missing_value_is_missing_only_as_written(tmp_path):
    """missingValues: ["-99"]: the cell -99 is missing, -99,0 is the number -99."""
    descriptor = {
        "unit": "un ménage",
        "missingValues": ["", "-99"],
        "fields": [{"name": "id", "type": "string"}, {"name": "x", "type": "number"}],
    }
    schema = schema_from_descriptor(descriptor, origin="test")
    path = tmp_path / "m.csv"
    path.write_text("id;x\na;-99\nb;-99,0\nc;3,5\nd;\n", encoding="utf-8")
    frame = _same(path, schema, decimal=",")
    assert frame["x"].isna().tolist() == [True, False, False, True]
    assert frame["x"].iloc[1] == -99.0


def test_number_columns_that_do_not_parse_are_read_again_a_bounded_number_of_times(
    tmp_path, schema, monkeypatch
):
    descriptor = {
        "unit": "un ménage",
        "fields": [{"name": f"x{j}", "type": "number"} for j in range(6)],
    }
    wide = schema_from_descriptor(descriptor, origin="test")
    rows = [";".join(f"{i},{j}" for j in range(6)) for i in range(50)]
    rows[10] = ";".join(f"1 000,{j}" for j in range(6))  # spaces between thousands: text
    path = tmp_path / "w.csv"
    path.write_text(";".join(f"x{j}" for j in range(6)) + "\n" + "\n".join(rows) + "\n")
    reads = []
    parse = pa_csv.read_csv
    monkeypatch.setattr(
        text_files.pa_csv, "read_csv", lambda *a, **k: reads.append(1) or parse(*a, **k)
    )
    frame = _same(path, wide, encoding="utf-8", decimal=",")
    assert frame.loc[10].tolist() == [1000.0 + j / 10 for j in range(6)]
    assert sum(reads) - 1 == DEMOTIONS + 2  # the text read, and the typed ones
    assert read_file(path, schema=wide, encoding="utf-8", decimal=",").typed == ()


def test_without_a_schema_every_column_is_text(tmp_path, schema):
    path = _csv(tmp_path / "export.csv", [_row(i) for i in range(10)])
    table = read_file(path, encoding="cp1252")
    assert table.typed == ()
    assert all(kind == "str" for kind in table.frame.dtypes)
    assert column_plan(schema).numbers == {"revenu", "score"}


def _plausible(rng: random.Random) -> str:
    parts = (
        ["", "", "+", "-", " ", "\t"],
        ["", "0", "00", "1", "12", "123", "1234567", "9" * 20],
        ["", ",", ".", ",5", ".5", ",25", ".000", ",000"],
        ["", "", "e3", "E-2", "e", "e+", "e999", "x1", "inf", "nan"],
        ["", "", " ", "\t", "\u00a0", "  "],
    )
    return "".join(rng.choice(choices) for choices in parts)


@pytest.mark.parametrize("decimal", [",", "."])
def test_pyarrow_reads_no_number_the_exact_cast_refuses_or_reads_otherwise(decimal):
    """The claim ``typed_text`` rests on, on 1500 number-like texts: what pyarrow's CSV
    parser reads as a finite number, the exact cast reads as the same number (what it
    refuses or reads as not finite goes the exact way)."""
    rng, accepted = random.Random(20261203), 0
    for _ in range(1500):
        cell = _plausible(rng)
        if not cell:
            continue  # an empty line is no row
        try:
            parsed = (
                pa_csv.read_csv(
                    io.BytesIO(f"x\n{cell}\n".encode()),
                    parse_options=pa_csv.ParseOptions(delimiter=";"),
                    convert_options=pa_csv.ConvertOptions(
                        column_types={"x": pa.float64()},
                        decimal_point=decimal,
                        null_values=["", "-99"],
                        strings_can_be_null=True,
                    ),
                )
                .column(0)[0]
                .as_py()
            )
        except pa.ArrowInvalid:
            continue
        if parsed is not None and not math.isfinite(parsed):
            continue
        accepted += 1
        text = pd.Series([cell], dtype="str")
        exact = cast_field(text, Field("x", "number"), missing_values=("", "-99"), decimal=decimal)
        assert not exact.bad[0], cell
        if parsed is None:
            assert exact.missing[0], cell
        else:
            assert exact.values.iloc[0] == parsed, cell
    assert accepted > 200  # enough cases read by pyarrow for the claim to be tested


@pytest.mark.parametrize("column", ["groupe", "ville", "inclusion"])
def test_cp1252_read_as_latin1_is_refused_in_a_category_column_too(tmp_path, schema, column):
    """A cp1252 file read as Latin-1, parsed as it is and decoded column by column: the
    curly apostrophe (0x92) is a C1 control character, refused with its column and row."""
    rows = [_row(i) for i in range(40)]
    rows[19][HEADER.index(column)] = "l’équipe"
    path = _csv(tmp_path / "export.csv", rows, "cp1252")
    message = _same(path, schema, encoding="latin-1")
    assert message.startswith("ReadError") and f"column {column!r}, row 20" in message
    assert "control characters" in message
