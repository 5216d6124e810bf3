"""The schema of a partner's file: the descriptor read and refused, and ``validate``.

Every rule is broken once in a small table as a CSV reader gives it (every column as
text) and the error must name the column, the rule and the rows as the partner numbers
them, and never echo an identifier. The people below are invented; the NIR key is
computed from its definition, 97 - (n mod 97).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impactlib.intake import read_schema, schema_from_descriptor, validate
from impactlib.intake.errors import SchemaError

SCHEMA = """\
unit: un participant à l'inclusion
primaryKey: [participant_id]
missingValues: [""]
fields:
  - name: participant_id
    type: string
    constraints: {required: true}
  - name: nom
    type: string
    identifier: drop
  - name: telephone
    type: string
    identifier: pseudonymise
  - name: groupe
    type: string
    constraints: {enum: [intervention, contrôle]}
  - name: age
    type: integer
    constraints: {minimum: 18, maximum: 99}
  - name: date_inclusion
    type: date
    format: "%d/%m/%Y"
  - name: revenu
    type: number
  - name: site
    type: string
    title: Site de l'expérimentation
"""
NIR13 = "1840376451089"
NIR = f"{NIR13}{97 - int(NIR13) % 97:02d}"
PHONES = ["06 12 34 56 78", "", "07 98 76 54 32", "01 23 45 67 89"]


@pytest.fixture
def schema(tmp_path):
    path = tmp_path / "enquete.yaml"
    path.write_text(SCHEMA, encoding="utf-8")
    return read_schema(path)


def _descriptor(**changes) -> dict:
    descriptor = {
        "unit": "un participant",
        "primaryKey": ["participant_id"],
        "fields": [
            {"name": "participant_id", "type": "string"},
            {"name": "groupe", "type": "string", "constraints": {"enum": ["a", "b"]}},
            {"name": "age", "type": "integer"},
        ],
    }
    return descriptor | changes


def _frame(**columns) -> pd.DataFrame:
    base = {
        "participant_id": ["P001", "P002", "P003", "P004"],
        "nom": ["Dupont", "Martin", "", "Durand"],
        "telephone": PHONES,
        "groupe": ["intervention", "contrôle", "intervention", "contrôle"],
        "age": ["34", "", "45", "61"],
        "date_inclusion": ["01/02/2024", "15/03/2024", "", "28/02/2024"],
        "revenu": ["1 234,5", "12\u202f000", "-3,25", "980"],
        "site": ["Lyon", "Lille", "Lyon", "Lille"],
    }
    return pd.DataFrame(base | columns, dtype=str)


def _error(frame, schema, **options) -> SchemaError:
    with pytest.raises(SchemaError) as caught:
        validate(frame, schema, source="enquete.csv", decimal=",", **options)
    return caught.value


# --- the descriptor ---------------------------------------------------------------------


def test_a_schema_file_becomes_fields_key_unit_and_identifiers(schema):
    assert schema.names[:3] == ("participant_id", "nom", "telephone")
    assert schema.primary_key == ("participant_id",)
    assert schema.missing_values == ("",)
    assert schema.unit == "un participant à l'inclusion"
    assert [(f.name, f.identifier) for f in schema.identifiers] == [
        ("nom", "drop"),
        ("telephone", "pseudonymise"),
    ]
    age = schema.field("age")
    assert (age.type, age.constraints) == ("integer", {"minimum": 18, "maximum": 99})
    assert schema.field("date_inclusion").format == "%d/%m/%Y"
    assert schema.field("site").label == "Site de l'expérimentation"
    assert schema.field("participant_id").required
    with pytest.raises(KeyError, match="no field 'absent'"):
        schema.field("absent")


@pytest.mark.parametrize(
    ("field", "problem"),
    [
        ({"name": "age", "type": "entier"}, "unknown type 'entier'"),
        ({"name": "nom", "identifier": "masquer"}, "unknown identifier action 'masquer'"),
        ({"name": "g", "constraints": {"enum": "a, b"}}, "enum must be a non-empty list"),
        ({"name": "g", "constraints": {"enum": [True, False]}}, "quote them"),
        ({"name": "d", "type": "date", "constraints": {"enum": ["2024"]}}, "not to a date"),
        ({"name": "age", "constraints": {"minimun": 1}}, "unknown constraint 'minimun'"),
        ({"name": "age", "contraints": {}}, "unknown property 'contraints'"),
        ({"name": "g", "constraints": {"minimum": 1}}, "minimum applies to numbers and dates"),
        ({"name": "d", "type": "date", "format": "any"}, "declare the pattern"),
        ({"name": "d", "type": "date", "constraints": {"minimum": "hier"}}, "not a date"),
        ({"name": "g", "constraints": {"pattern": "[a-"}}, "not a regular expression"),
        ({"name": "age", "type": "integer", "trueValues": ["oui"]}, "boolean fields only"),
    ],
)
def test_a_malformed_field_is_refused_naming_the_file_and_the_field(field, problem):
    descriptor = _descriptor(fields=[{"name": "participant_id"}, field])
    with pytest.raises(SchemaError, match=problem) as caught:
        schema_from_descriptor(descriptor, origin="data/schemas/enquete.yaml")
    message = str(caught.value)
    assert message.startswith(f"data/schemas/enquete.yaml: field {field['name']!r}")
    assert caught.value.column == field["name"]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"primaryKey": ["id"]}, "field 'id': primaryKey names a field the schema lacks"),
        ({"fields": [{"name": "participant_id"}] * 2}, "field 'participant_id': duplicate"),
        ({"unit": ""}, "unit: say what one row is"),
        ({"foreignKeys": []}, "unknown property 'foreignKeys'"),
        ({"missingValues": [-99]}, "missingValues must be a list of quoted texts"),
    ],
)
def test_a_malformed_table_schema_is_refused(changes, problem):
    with pytest.raises(SchemaError, match=problem):
        schema_from_descriptor(_descriptor(**changes), origin="enquete.yaml")


def test_a_yaml_file_with_an_error_is_refused_with_its_path(tmp_path):
    path = tmp_path / "enquete.yaml"
    path.write_text(SCHEMA.replace("type: integer", "type: entier"), encoding="utf-8")
    with pytest.raises(SchemaError, match=rf"{path}: field 'age': unknown type 'entier'"):
        read_schema(path)
    path.write_text("fields: [name: a", encoding="utf-8")
    with pytest.raises(SchemaError, match="cannot read the schema"):
        read_schema(path)
    with pytest.raises(SchemaError, match="cannot read the schema"):
        read_schema(tmp_path / "absent.yaml")


def test_identifier_false_says_a_column_named_like_one_is_none():
    fields = [{"name": "participant_id"}, {"name": "nom_commune", "identifier": False}]
    schema = schema_from_descriptor(_descriptor(fields=fields), origin="x")
    assert schema.field("nom_commune").not_identifier
    assert schema.identifiers == ()
    frame = pd.DataFrame({"participant_id": ["1", "2"], "nom_commune": ["Lyon", "Brest"]})
    assert validate(frame, schema, source="x.csv")["nom_commune"].tolist() == ["Lyon", "Brest"]


# --- a valid table ----------------------------------------------------------------------


def test_a_valid_text_table_comes_back_typed_in_the_schemas_order(schema):
    frame = _frame()
    shuffled = frame[list(reversed(frame.columns))]
    typed = validate(shuffled, schema, source="enquete.csv", decimal=",")
    assert tuple(typed.columns) == schema.names
    assert typed is not shuffled and shuffled["age"].dtype != "Int64"  # the input is untouched
    assert str(typed["age"].dtype) == "Int64" and typed["age"].isna().tolist()[1]
    assert typed["revenu"].dtype == np.float64
    assert typed["revenu"].tolist() == [1234.5, 12000.0, -3.25, 980.0]
    assert pd.api.types.is_datetime64_any_dtype(typed["date_inclusion"])
    assert typed["date_inclusion"].iloc[0] == pd.Timestamp("2024-02-01")
    assert typed["date_inclusion"].isna().tolist() == [False, False, True, False]
    assert isinstance(typed["groupe"].dtype, pd.CategoricalDtype)
    assert list(typed["groupe"].cat.categories) == ["intervention", "contrôle"]
    assert isinstance(typed["site"].dtype, pd.StringDtype)
    assert typed["nom"].isna().tolist() == [False, False, True, False]  # "" is missing


@pytest.mark.parametrize("decimal", [".", ","])
def test_numbers_with_thousands_separated_by_spaces(decimal):
    fields = [{"name": "participant_id"}, {"name": "x", "type": "number"}]
    schema = schema_from_descriptor(_descriptor(fields=fields), origin="x")
    texts = ["1 234 567{d}89", "1\u00a0234{d}5", "12\u202f000", " -0{d}5 ", "+7", "1e3"]
    frame = pd.DataFrame(
        {"participant_id": list("abcdef"), "x": [t.format(d=decimal) for t in texts]}
    )
    typed = validate(frame, schema, source="x.csv", decimal=decimal)
    assert typed["x"].tolist() == [1234567.89, 1234.5, 12000.0, -0.5, 7.0, 1000.0]


@pytest.mark.parametrize(
    ("decimal", "value"),
    [(",", "1.500"), (",", "1 23,5"), (".", "1,5"), (".", "12 €"), (".", "nan"), (".", "inf")],
)
def test_a_number_in_the_wrong_form_is_a_type_error(decimal, value):
    fields = [{"name": "participant_id"}, {"name": "x", "type": "number"}]
    schema = schema_from_descriptor(_descriptor(fields=fields), origin="x")
    frame = pd.DataFrame({"participant_id": ["a", "b"], "x": ["2", value]})
    with pytest.raises(SchemaError) as caught:
        validate(frame, schema, source="x.csv", decimal=decimal)
    assert (caught.value.rule, caught.value.rows) == ("type", (2,))
    assert repr(value) in str(caught.value)


def test_booleans_years_and_datetimes():
    fields = [
        {"name": "participant_id"},
        {"name": "actif", "type": "boolean"},
        {"name": "present", "type": "boolean", "trueValues": ["oui"], "falseValues": ["non"]},
        {"name": "annee", "type": "year"},
        {"name": "heure", "type": "datetime", "format": "%d/%m/%Y %H:%M"},
        {"name": "iso", "type": "datetime"},
    ]
    schema = schema_from_descriptor(_descriptor(fields=fields), origin="x")
    frame = pd.DataFrame(
        {
            "participant_id": ["a", "b"],
            "actif": ["true", "0"],
            "present": ["oui", ""],
            "annee": ["2024", "1999"],
            "heure": ["01/02/2024 08:30", "15/03/2024 17:05"],
            "iso": ["2024-02-01T08:30:00", "2024-03-15 17:05:00"],
        }
    )
    typed = validate(frame, schema, source="x.csv")
    assert typed["actif"].tolist() == [True, False] and typed["actif"].dtype == "boolean"
    assert typed["present"].iloc[0] and typed["present"].isna().iloc[1]
    assert typed["annee"].tolist() == [2024, 1999]
    assert typed["heure"].iloc[1] == pd.Timestamp("2024-03-15 17:05")
    assert typed["iso"].iloc[0] == pd.Timestamp("2024-02-01 08:30")
    with pytest.raises(SchemaError, match="not one of the values oui, non") as caught:
        validate(frame.assign(present=["oui", "yes"]), schema, source="x.csv")
    assert (caught.value.column, caught.value.rule, caught.value.rows) == ("present", "type", (2,))
    with pytest.raises(SchemaError, match="not a year"):
        validate(frame.assign(annee=["2024", "24"]), schema, source="x.csv")


# --- each rule, in order ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("columns", "column", "rule", "rows"),
    [
        ({"age": ["34", "3 4a", "", "x"]}, "age", "type", (3, 5)),
        ({"age": ["34", "34,5", "", "61"]}, "age", "type", (3,)),
        ({"revenu": ["1,5", "2.5", "3", "4"]}, "revenu", "type", (3,)),
        (
            {"date_inclusion": ["01/02/2024", "2024-03-15", "", "31/02/2024"]},
            "date_inclusion",
            "format",
            (3, 5),
        ),
        ({"participant_id": ["P001", "", "P003", "P004"]}, "participant_id", "required", (3,)),
        (
            {"groupe": ["intervention", "Intervention", "controle", "contrôle"]},
            "groupe",
            "enum",
            (3, 4),
        ),
        ({"age": ["34", "17", "", "61"]}, "age", "minimum", (3,)),
        ({"age": ["34", "", "100", "61"]}, "age", "maximum", (4,)),
        (
            {"participant_id": ["P001", "P002", "P001", "P002"]},
            "participant_id",
            "primaryKey",
            (2, 3, 4, 5),
        ),
    ],
)
def test_each_rule_names_the_column_the_rule_and_the_rows(schema, columns, column, rule, rows):
    error = _error(_frame(**columns), schema, first_row=2)  # a title row above the header
    assert (error.column, error.rule, error.rows) == (column, rule, rows)
    message = str(error)
    assert message.startswith(f"enquete.csv: column {column!r}, rule {rule!r}")
    assert "To fix:" in message
    for phone in filter(None, PHONES):
        assert phone not in message


def test_a_missing_column_lists_the_files_columns(schema):
    error = _error(_frame().drop(columns="site"), schema)
    assert (error.column, error.rule, error.rows) == ("site", "missing column", ())
    assert "'participant_id', 'nom', 'telephone'" in str(error)


def test_an_undeclared_column_is_refused_before_any_value_is_read(schema):
    error = _error(_frame(age=["x"] * 4, commentaire=["?"] * 4), schema)
    assert (error.column, error.rule) == ("commentaire", "undeclared column")
    error = _error(_frame(courriel=["?"] * 4), schema)
    assert "identifier: drop" in str(error)


def test_the_checks_of_a_field_come_in_order_and_fields_in_the_schemas_order(schema):
    both = _frame(age=["x", "17", "", "61"], groupe=["autre"] * 4)
    assert (_error(both, schema).column, _error(both, schema).rule) == ("groupe", "enum")
    assert _error(_frame(age=["x", "17", "", "61"]), schema).rule == "type"
    assert _error(_frame(age=["17", "17", "", "100"]), schema).rule == "minimum"


def test_patterns_lengths_and_unique_values():
    constraints = {"pattern": "P[0-9]{3}", "maxLength": 4, "unique": True}
    fields = [{"name": "participant_id"}, {"name": "code", "constraints": constraints}]
    schema = schema_from_descriptor(_descriptor(fields=fields, primaryKey=[]), origin="x")
    frame = pd.DataFrame({"participant_id": list("abcd"), "code": ["P001", "P002", "", "P004"]})
    assert validate(frame, schema, source="x.csv")["code"].isna().sum() == 1
    for codes, rule, rows in [
        (["P001", "X002", "", "P1"], "pattern", (2, 4)),
        (["P001", "P0022", "", "P004"], "pattern", (2,)),
        (["P001", "P004", "", "P004"], "unique", (2, 4)),
    ]:
        with pytest.raises(SchemaError) as caught:
            validate(frame.assign(code=codes), schema, source="x.csv")
        assert (caught.value.rule, caught.value.rows) == (rule, rows)
    fields[1]["constraints"] = {"minLength": 2, "maxLength": 3}
    schema = schema_from_descriptor(_descriptor(fields=fields, primaryKey=[]), origin="x")
    with pytest.raises(SchemaError) as caught:
        validate(frame.assign(code=["ab", "a", "", "abcd"]), schema, source="x.csv")
    assert (caught.value.rule, caught.value.rows) == ("minLength", (2,))


def test_at_most_five_rows_and_three_values_are_shown(schema):
    ages = ["x1", "x2", "x3", "x4", "x5", "x6", "x7"]
    frame = pd.concat([_frame()] * 2, ignore_index=True).iloc[:7]
    frame = frame.assign(age=ages, participant_id=[f"P{i}" for i in range(7)])
    error = _error(frame, schema)
    assert error.rows == (1, 2, 3, 4, 5)
    assert "(7 rows in all)" in str(error)
    assert "'x3'" in str(error) and "'x4'" not in str(error)


def test_a_composed_accent_is_the_same_enum_value(schema):
    typed = validate(
        _frame(groupe=["intervention", "contro\u0302le", "intervention", "contrôle"]),
        schema,
        source="enquete.csv",
        decimal=",",
    )
    assert typed["groupe"].tolist()[1] == "contrôle"


# --- identifiers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("écrire à jean.dupont@example.org", "an e-mail address"),
        ("rappeler au 06.12.34.56.78 lundi", "a telephone number"),
        (
            f"NIR {NIR[:1]} {NIR[1:3]} {NIR[3:5]} {NIR[5:7]} {NIR[7:10]} {NIR[10:13]} {NIR[13:]}",
            "a social security number (NIR)",
        ),
    ],
)
def test_an_undeclared_identifier_in_a_text_column_is_refused_unseen(schema, value, kind):
    sites = ["Lyon", "Lille", "Lyon", value]
    error = _error(_frame(site=sites), schema, first_row=10)
    assert (error.column, error.rule, error.rows) == ("site", "undeclared identifier", (13,))
    assert f"looks like {kind}" in str(error) and "value not shown" in str(error)
    assert value not in str(error) and value.split()[-1] not in str(error)


def test_a_nir_read_as_an_integer_is_found():
    fields = [{"name": "participant_id"}, {"name": "numero", "type": "integer"}]
    schema = schema_from_descriptor(_descriptor(fields=fields), origin="x")
    frame = pd.DataFrame({"participant_id": ["a", "b"], "numero": [12, int(NIR)]})
    error = _error(frame, schema)
    assert (error.rule, error.rows) == ("undeclared identifier", (2,))
    assert NIR not in str(error)


def test_a_column_named_like_an_identifier_must_be_declared():
    fields = [{"name": "participant_id"}, {"name": "Prénom"}]
    schema = schema_from_descriptor(_descriptor(fields=fields), origin="x")
    frame = pd.DataFrame({"participant_id": ["a", "b"], "Prénom": ["Jeanne", "Ali"]})
    error = _error(frame, schema)
    assert (error.column, error.rule, error.rows) == ("Prénom", "undeclared identifier", ())
    assert "named like a personal name" in str(error)
    assert "Jeanne" not in str(error)


def test_an_identifiers_values_are_never_shown_even_when_it_breaks_a_rule():
    fields = [
        {"name": "participant_id"},
        {"name": "courriel", "identifier": "pseudonymise", "constraints": {"required": True}},
        {"name": "portable", "identifier": "drop", "constraints": {"pattern": "0[67].*"}},
        {"name": "note", "constraints": {"enum": ["ok", "ko"]}},
    ]
    schema = schema_from_descriptor(_descriptor(fields=fields, primaryKey=[]), origin="x")
    frame = pd.DataFrame(
        {
            "participant_id": ["a", "b", "c"],
            "courriel": ["ab@cd.fr", "ef@gh.fr", "ij@kl.fr"],
            "portable": ["06 12 34 56 78", "06 23 45 67 89", "07 12 34 56 78"],
            "note": ["ok", "ko", "ok"],
        }
    )
    assert len(validate(frame, schema, source="x.csv")) == 3
    error = _error(frame.assign(portable=["06 12 34 56 78", "01 23 45 67 89", ""]), schema)
    assert (error.column, error.rule, error.rows) == ("portable", "pattern", (2,))
    assert "01 23" not in str(error) and "; value" not in str(error)
    error = _error(frame.assign(courriel=["ab@cd.fr", "", "ij@kl.fr"]), schema)
    assert (error.rule, error.rows) == ("required", (2,)) and "@" not in str(error)
    error = _error(frame.assign(note=["ok", "écrire à mn@op.fr", "ok"]), schema)
    assert (error.column, error.rule) == ("note", "enum")
    assert "mn@op.fr" not in str(error) and "<e-mail address, not shown>" in str(error)


def test_a_key_of_identifiers_is_not_shown():
    fields = [{"name": "participant_id"}, {"name": "telephone", "identifier": "pseudonymise"}]
    descriptor = _descriptor(fields=fields, primaryKey=["telephone"])
    schema = schema_from_descriptor(descriptor, origin="x")
    frame = pd.DataFrame({"participant_id": ["a", "b"], "telephone": ["0612345678"] * 2})
    error = _error(frame, schema)
    assert (error.rule, error.rows) == ("primaryKey", (1, 2))
    assert "0612345678" not in str(error)
