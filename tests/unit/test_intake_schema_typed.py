"""``validate`` on typed tables (Excel, Stata, SPSS, Parquet) and on a large one.

A typed column is checked as it is, never as its text: a float in an integer field must
be whole, a datetime in a date field must have no time of day, a category must be one of
the enum. The people below are invented.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from impactlib.intake import casting as casting_module
from impactlib.intake import schema_from_descriptor, validate
from impactlib.intake.casting import cast_field
from impactlib.intake.errors import SchemaError
from impactlib.intake.schema import Field

PHONES = ["06 12 34 56 78", "", "07 98 76 54 32", "01 23 45 67 89"]
FIELDS = [
    {"name": "participant_id", "type": "string", "constraints": {"required": True}},
    {"name": "nom", "type": "string", "identifier": "drop"},
    {"name": "telephone", "type": "string", "identifier": "pseudonymise"},
    {"name": "groupe", "type": "string", "constraints": {"enum": ["intervention", "contrôle"]}},
    {"name": "age", "type": "integer", "constraints": {"minimum": 18, "maximum": 99}},
    {"name": "date_inclusion", "type": "date", "format": "%d/%m/%Y"},
    {"name": "revenu", "type": "number"},
    {"name": "site", "type": "string", "title": "Site de l'expérimentation"},
]


@pytest.fixture
def schema():
    descriptor = {"unit": "un participant", "primaryKey": ["participant_id"], "fields": FIELDS}
    return schema_from_descriptor(descriptor, origin="enquete.yaml")


def _descriptor(**changes) -> dict:
    descriptor = {"unit": "un participant", "primaryKey": ["participant_id"], "fields": []}
    return descriptor | changes


def _typed_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "participant_id": [1, 2, 3, 4],  # Excel read the ids as numbers
            "nom": ["Dupont", "Martin", None, "Durand"],
            "telephone": PHONES,
            "groupe": pd.Categorical(["intervention", "contrôle", "intervention", "contrôle"]),
            "age": [34.0, np.nan, 45.0, 61.0],  # Excel's numbers are floats
            "date_inclusion": pd.to_datetime(["2024-02-01", "2024-03-15", None, "2024-02-28"]),
            "revenu": [1234.5, 12000, -3.25, 980],
            "site": pd.Series(["Lyon", "Lille", "Lyon", "Lille"], dtype=object),
        }
    )


def test_a_typed_table_is_checked_as_it_is(schema):
    typed = validate(_typed_frame(), schema, source="enquete.xlsx")
    assert typed["participant_id"].tolist() == ["1", "2", "3", "4"]
    floats = _typed_frame().assign(participant_id=[1.0, 2.0, 3.5, 4.0])
    ids = validate(floats, schema, source="enquete.xlsx")["participant_id"]
    assert ids.tolist() == ["1", "2", "3.5", "4"]  # no "1.0"
    assert typed["age"].tolist()[::2] == [34, 45] and str(typed["age"].dtype) == "Int64"
    assert typed["revenu"].tolist() == [1234.5, 12000.0, -3.25, 980.0]
    assert typed["date_inclusion"].iloc[1] == pd.Timestamp("2024-03-15")
    assert list(typed["groupe"].cat.categories) == ["intervention", "contrôle"]


@pytest.mark.parametrize(
    ("column", "values", "rule", "rows"),
    [
        ("age", [34.0, np.nan, 45.5, 61.0], "type", (3,)),
        ("age", [34, 17, 45, 61], "minimum", (2,)),
        ("date_inclusion", pd.to_datetime(["2024-02-01 10:00", None, None, None]), "type", (1,)),
        ("revenu", pd.to_datetime(["2024-02-01", None, None, None]), "type", (1,)),
        ("groupe", pd.Categorical(["intervention", "autre", "autre", "contrôle"]), "enum", (2, 3)),
    ],
)
def test_a_typed_column_breaks_the_same_rules(schema, column, values, rule, rows):
    with pytest.raises(SchemaError) as caught:
        validate(_typed_frame().assign(**{column: values}), schema, source="enquete.dta")
    assert (caught.value.column, caught.value.rule, caught.value.rows) == (column, rule, rows)


def test_an_excel_column_mixing_dates_and_text():
    fields = [{"name": "participant_id"}, {"name": "d", "type": "date", "format": "%d/%m/%Y"}]
    schema = schema_from_descriptor(_descriptor(fields=fields), origin="x")
    cells = [dt.datetime(2024, 2, 1), "15/03/2024", None, dt.date(2024, 2, 28)]
    frame = pd.DataFrame({"participant_id": list("abcd"), "d": pd.Series(cells, dtype=object)})
    typed = validate(frame, schema, source="x.xlsx")
    assert typed["d"].tolist()[:2] == [pd.Timestamp("2024-02-01"), pd.Timestamp("2024-03-15")]
    with pytest.raises(SchemaError) as caught:
        validate(
            frame.assign(d=pd.Series([*cells[:3], "2024-02-28"], dtype=object)),
            schema,
            source="x.xlsx",
        )
    assert (caught.value.rule, caught.value.rows) == ("format", (4,))


def test_a_declared_missing_value_counts_in_text_and_in_numbers():
    fields = [{"name": "participant_id"}, {"name": "x", "type": "integer"}]
    descriptor = _descriptor(fields=fields, missingValues=["", "NA", "-99"])
    schema = schema_from_descriptor(descriptor, origin="x")
    text = pd.DataFrame({"participant_id": list("abc"), "x": ["1", "NA", "-99"]})
    numbers = pd.DataFrame({"participant_id": list("abc"), "x": [1, -99, 2]})
    assert validate(text, schema, source="x.csv")["x"].isna().tolist() == [False, True, True]
    assert validate(numbers, schema, source="x.dta")["x"].isna().tolist() == [False, True, False]


def test_a_large_table_finds_the_row_far_down():
    """Vectorised checks: 200 000 rows, the offending one near the end (no timing here)."""
    fields = [{"name": "participant_id"}, {"name": "age", "type": "integer"}, {"name": "note"}]
    schema = schema_from_descriptor(_descriptor(fields=fields), origin="x")
    n = 200_000
    notes = np.full(n, "RAS", dtype=object)
    notes[n - 3] = "joindre le 06 12 34 56 78"
    frame = pd.DataFrame(
        {
            "participant_id": [f"P{i}" for i in range(n)],
            "age": np.arange(n).astype(str),
            "note": notes,
        }
    )
    with pytest.raises(SchemaError) as caught:
        validate(frame, schema, source="x.csv")
    assert (caught.value.rule, caught.value.rows) == ("undeclared identifier", (n - 2,))


TEXTS = {  # cells as a CSV gives them; each column is cast whole by pyarrow or, if not, exactly
    "number": [
        ["1,5", "2", "-3,25", None, "", "1e3", ",5", "1,"],
        ["1,5", "1.5"],  # a point where the mark is a comma: refused
        ["1 234,5", "+2", " 7 "],  # spaces between thousands, a sign, spaces around
        ["inf", "1"],
        ["NaN", "NA"],
        ["abc", "0x1F"],
    ],
    "integer": [
        ["1", "2", None, "", "-3", "007", "-0"],
        ["0x1F", "1"],  # hexadecimal, which pyarrow would read
        ["+5", "1 000"],
        ["1234567890123456789", "12345678901234567890"],  # beyond 18 digits
        ["1.0", "1e3", "٣", "NA"],
    ],
    "date": [
        ["28/06/2025", "01/01/2024", None, "", " 28/06/2025 "],
        ["31/02/2025", "2025-06-28", "NA"],
    ],
    "datetime": [
        ["2025-06-28T10:00:00", "2025-06-28 10:00", None],
        ["2025-06-28T10:00+02:00", "x"],
    ],
    "string": [["a", None, "", "NA", " b "]],
}


@pytest.mark.parametrize(
    ("kind", "cells"), [(kind, cells) for kind, lists in TEXTS.items() for cells in lists]
)
def test_a_text_column_cast_whole_gives_what_the_exact_cast_gives(kind, cells, monkeypatch):
    """The fast path (``intake.arrow_text``) and the exact one agree on values, missing
    cells and cells not of the type, whatever the decimal mark and missing values."""
    field = Field("x", type=kind, format="%d/%m/%Y" if kind == "date" else None)
    series = pd.Series(["1.5", "0x1"] + cells, dtype="str", index=pd.RangeIndex(8, 10 + len(cells)))
    series = series.iloc[2:]  # a slice: pyarrow's buffers hold cells that are not its own
    for decimal in (",", "."):
        for missing in (("",), ("", "NA"), ()):
            fast = cast_field(series, field, missing_values=missing, decimal=decimal)
            with monkeypatch.context() as patch:
                patch.setattr(casting_module, "cast_text", lambda *args: None)
                exact = cast_field(series, field, missing_values=missing, decimal=decimal)
            pd.testing.assert_series_equal(fast.values, exact.values)
            assert fast.missing.tolist() == exact.missing.tolist()
            assert fast.bad.tolist() == exact.bad.tolist()
            assert fast.bad_text == exact.bad_text


def test_a_csv_table_and_the_same_as_python_text_validate_alike(schema):
    """A CSV's columns (pyarrow text) take the fast paths (casts, enum codes, a sorted key);
    the same cells as Python objects take the exact ones: the same typed table."""
    text = pd.DataFrame(
        {
            "participant_id": ["P1", "P2", "P3", "P4"],
            "nom": ["Dupont", "Martin", None, "Durand"],
            "telephone": PHONES,
            "groupe": ["intervention", "contrôle", None, "contrôle"],
            "age": ["34", None, "45", "61"],
            "date_inclusion": ["01/02/2024", "15/03/2024", None, "28/02/2024"],
            "revenu": ["1 234,5", "12000", "-3,25", None],
            "site": ["Lyon", "Lille", "Lyon", "Lille"],
        },
        dtype="str",
    )
    fast = validate(text, schema, source="enquete.csv", decimal=",")
    exact = validate(text.astype(object), schema, source="enquete.csv", decimal=",")
    pd.testing.assert_frame_equal(fast, exact)
    assert fast["groupe"].cat.codes.tolist() == [0, 1, -1, 1]
    twice = text.assign(participant_id=["P1", "P2", "P1", "P4"])
    with pytest.raises(SchemaError) as caught:
        validate(twice, schema, source="enquete.csv", decimal=",")
    assert (caught.value.rule, caught.value.rows) == ("primaryKey", (1, 3))


def test_a_table_cast_by_pyarrow_can_be_changed_in_place(schema):
    text = pd.DataFrame(
        {
            "participant_id": ["P1", "P2"],
            "nom": ["Dupont", "Martin"],
            "telephone": PHONES[:2],
            "groupe": ["intervention", "contrôle"],
            "age": ["34", "45"],
            "date_inclusion": ["01/02/2024", "15/03/2024"],
            "revenu": ["1234,5", "12"],
            "site": ["Lyon", "Lille"],
        },
        dtype="str",
    )
    typed = validate(text, schema, source="enquete.csv", decimal=",")
    typed.loc[0, "revenu"] = 1.0
    typed.loc[0, "age"] = 35
    typed.loc[0, "groupe"] = "contrôle"
    typed.loc[0, "site"] = "Paris"
    assert typed.loc[0, ["revenu", "age", "groupe", "site"]].tolist() == [
        1.0,
        35,
        "contrôle",
        "Paris",
    ]


def test_a_long_table_cast_in_threads_names_the_first_column_in_error():
    fields = [{"name": "participant_id"}, *({"name": f"x{i}", "type": "integer"} for i in range(6))]
    schema = schema_from_descriptor(_descriptor(fields=fields), origin="x")
    n = 60_000  # columns cast several at once
    frame = pd.DataFrame({f"x{i}": np.arange(n).astype(str) for i in range(6)}, dtype="str")
    frame.insert(0, "participant_id", [f"P{i}" for i in range(n)])
    frame.loc[n - 1, "x1"] = "dix"  # far down, in the first column in error
    frame.loc[0, "x4"] = "onze"  # at the top of a later one
    with pytest.raises(SchemaError) as caught:
        validate(frame, schema, source="x.csv")
    assert (caught.value.column, caught.value.rows) == ("x1", (n,))
    assert validate(frame.assign(x1="1", x4="2"), schema, source="x.csv")["x4"].sum() == 2 * n
