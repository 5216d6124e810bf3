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

from impactlib.intake import schema_from_descriptor, validate
from impactlib.intake.errors import SchemaError

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
