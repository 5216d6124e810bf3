"""A draft schema inferred from a table, written for the partner, and the data dictionary.

The draft and the dictionary go to git and into the published book: neither may hold a
value of the data (an identifier, a number of one person) beyond counts and what the
schema itself declares. The people below are invented.
"""

from __future__ import annotations

import frictionless
import numpy as np
import pandas as pd
import pytest
import yaml

from impactlib.intake import (
    data_dictionary,
    infer_schema,
    read_schema,
    schema_from_descriptor,
    validate,
    write_schema,
)
from impactlib.intake.errors import SchemaError
from impactlib.intake.inference import PLACEHOLDER_UNIT

IDENTIFIERS = ["Dupont", "Martin", "Durand", "Petit", "06 12 34 56 78", "jeanne@exemple.fr"]


def _partner_file() -> pd.DataFrame:
    """Six participants, as a CSV reader gives them: every column as text."""
    return pd.DataFrame(
        {
            "participant_id": ["P01", "P02", "P03", "P04", "P05", "P06"],
            "nom": ["Dupont", "Martin", "Durand", "Petit", "", "Dupont"],
            "tel": ["06 12 34 56 78", "", "07 98 76 54 32", "", "", "01 23 45 67 89"],
            "contact": ["", "jeanne@exemple.fr", "", "", "passer le soir", ""],
            "groupe": ["intervention", "contrôle"] * 3,
            "age": ["34", "", "45", "61", "29", "52"],
            "date_inclusion": [
                "01/02/2024",
                "15/03/2024",
                "",
                "28/02/2024",
                "02/02/2024",
                "03/02/2024",
            ],
            "revenu": ["1 234,5", "12\u202f000", "-3,25", "980", "1 500", "2 750,75"],
            "code_postal": ["01000", "75011", "69001", "59000", "13001", "33000"],
            "ville": ["Lyon", "Lille", "Lyon", "Lille", "Lyon", "Brest"],
            "actif": ["true", "false", "true", "true", "false", "true"],
            "visite": [
                "2024-02-01",
                "2024-03-15",
                "2024-01-31",
                "2024-02-28",
                "2024-02-02",
                "2024-02-03",
            ],
        }
    )


@pytest.fixture
def draft():
    labels = {"age": "Âge à l'inclusion (années)", "groupe": "Bras de l'essai"}
    return infer_schema(_partner_file(), labels=labels, decimal=",")


def _field(descriptor, name):
    return next(f for f in descriptor["fields"] if f["name"] == name)


# --- inference --------------------------------------------------------------------------


def test_types_are_read_from_the_values(draft):
    types = {f["name"]: (f["type"], f.get("format")) for f in draft["fields"]}
    assert types == {
        "participant_id": ("string", None),
        "nom": ("string", None),
        "tel": ("string", None),
        "contact": ("string", None),
        "groupe": ("string", None),
        "age": ("integer", None),
        "date_inclusion": ("date", "%d/%m/%Y"),
        "revenu": ("number", None),
        "code_postal": ("string", None),  # 01000 is a code: its zero must stay
        "ville": ("string", None),
        "actif": ("boolean", None),
        "visite": ("date", "%Y-%m-%d"),
    }


def test_required_enum_key_labels_and_unit(draft):
    assert draft["unit"] == PLACEHOLDER_UNIT
    assert draft["primaryKey"] == ["participant_id"]
    assert draft["missingValues"] == [""]
    assert _field(draft, "participant_id")["constraints"] == {"required": True}
    assert "constraints" not in _field(draft, "age")  # a value is missing
    assert _field(draft, "groupe")["constraints"] == {
        "required": True,
        "enum": ["contrôle", "intervention"],
    }
    assert _field(draft, "groupe")["title"] == "Bras de l'essai"
    assert _field(draft, "age")["title"] == "Âge à l'inclusion (années)"
    assert "enum" not in _field(draft, "ville")["constraints"]  # Brest is seen once
    for field in draft["fields"]:
        assert not {"minimum", "maximum"} & set(field.get("constraints", {}))
        assert "example" not in field


def test_identifiers_by_name_or_content_are_marked_drop_without_values(draft):
    marked = {f["name"] for f in draft["fields"] if f.get("identifier") == "drop"}
    assert marked == {"nom", "tel", "contact"}
    for name in marked:
        field = _field(draft, name)
        assert "enum" not in field.get("constraints", {})
        assert "drop" in field["description"] and "pseudonymise" in field["description"]
    assert "adresse électronique" in _field(draft, "contact")["description"]


def test_a_key_is_guessed_only_from_one_unique_column_named_like_an_id():
    frame = pd.DataFrame({"numero": ["1", "2", "3"], "valeur": ["4", "5", "6"]})
    assert infer_schema(frame)["primaryKey"] == ["numero"]
    assert "primaryKey" not in infer_schema(frame.rename(columns={"numero": "rang"}))
    assert "primaryKey" not in infer_schema(frame.assign(menage_id=["a", "b", "c"]))
    assert "primaryKey" not in infer_schema(frame.assign(numero=["1", "1", "3"]))


def test_typed_columns_keep_their_types_and_a_categorys_order():
    frame = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "score": [1.5, 2.0, np.nan, 3.25],
            "rang": [1.0, 2.0, 3.0, 4.0],
            "jour": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-02", "2024-01-03"]),
            "heure": pd.to_datetime(["2024-01-01 10:00"] * 4),
            "note": pd.Categorical(["bien", "mal", "bien", "mal"], categories=["mal", "bien"]),
            "ok": [True, False, True, True],
            "vide": [None, None, None, None],
        }
    )
    draft = infer_schema(frame)
    types = {f["name"]: f["type"] for f in draft["fields"]}
    assert types == {
        "id": "integer",
        "score": "number",
        "rang": "integer",
        "jour": "date",
        "heure": "datetime",
        "note": "string",
        "ok": "boolean",
        "vide": "string",
    }
    assert _field(draft, "note")["constraints"]["enum"] == ["mal", "bien"]
    assert "format" not in _field(draft, "jour")
    validate(frame, schema_from_descriptor(draft, origin="draft"), source="x.parquet")


def test_a_nir_read_as_a_number_is_an_identifier():
    nir13 = "2850575123456"
    nir = int(f"{nir13}{97 - int(nir13) % 97:02d}")
    draft = infer_schema(pd.DataFrame({"numero_dossier": [nir, 12, 13]}))
    assert _field(draft, "numero_dossier")["identifier"] == "drop"
    assert "primaryKey" not in draft


# --- writing the draft ------------------------------------------------------------------


def test_infer_write_read_round_trip_validates_the_frame(draft, tmp_path):
    path = tmp_path / "enquete.yaml"
    write_schema(draft, path)
    schema = read_schema(path)
    typed = validate(_partner_file(), schema, source="enquete.csv", decimal=",")
    assert typed["revenu"].tolist()[:2] == [1234.5, 12000.0]
    assert {f.name for f in schema.identifiers} == {"nom", "tel", "contact"}


def test_the_written_draft_has_a_header_and_no_individual_value(draft, tmp_path):
    path = tmp_path / "enquete.yaml"
    write_schema(draft, path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Schéma de table")
    assert "VÉRIFIEZ CHAQUE LIGNE" in text and "CHECK EVERY LINE" in text
    for value in [*IDENTIFIERS, "1 234,5", "12\u202f000", "01/02/2024", "01000", "P01"]:
        assert value not in text
    assert "constraints: {required: true, enum: [contrôle, intervention]}" in text
    assert frictionless.Schema.validate_descriptor(yaml.safe_load(text)).valid


def test_writing_is_deterministic_whatever_the_keys_order(draft, tmp_path):
    shuffled = {key: draft[key] for key in reversed(list(draft))}
    shuffled["fields"] = [dict(reversed(list(f.items()))) for f in draft["fields"]]
    write_schema(draft, tmp_path / "a.yaml")
    write_schema(shuffled, tmp_path / "b.yaml")
    first = (tmp_path / "a.yaml").read_bytes()
    assert first == (tmp_path / "b.yaml").read_bytes()
    keys = list(yaml.safe_load(first))
    assert keys == ["unit", "primaryKey", "missingValues", "fields"]
    assert list(yaml.safe_load(first)["fields"][1])[:4] == [
        "name",
        "type",
        "identifier",
        "description",
    ]


def test_an_invalid_descriptor_is_not_written(tmp_path):
    with pytest.raises(SchemaError, match="unknown type 'texte'"):
        write_schema({"unit": "u", "fields": [{"name": "a", "type": "texte"}]}, tmp_path / "x")
    assert not (tmp_path / "x").exists()


# --- the data dictionary ----------------------------------------------------------------


def test_the_dictionary_describes_each_variable_by_counts(draft):
    schema = schema_from_descriptor(draft | {"unit": "un participant"}, origin="draft")
    typed = validate(_partner_file(), schema, source="enquete.csv", decimal=",")
    table = data_dictionary(typed, schema, labels={"ville": "Ville de résidence"})
    assert list(table.columns) == [
        "variable",
        "type",
        "label",
        "allowed values",
        "missing",
        "distinct",
    ]
    assert list(table["variable"]) == list(schema.names)
    rows = table.set_index("variable")
    assert rows.loc["groupe", "allowed values"] == "contrôle ; intervention"
    assert rows.loc["groupe", "label"] == "Bras de l'essai"
    assert rows.loc["ville", "label"] == "Ville de résidence"
    assert (rows.loc["age", "type"], rows.loc["age", "missing"], rows.loc["age", "distinct"]) == (
        "entier",
        1,
        5,
    )
    assert rows.loc["nom", "type"] == "identifiant direct (supprimé)"
    assert rows.loc["nom", "missing"] == 1 and pd.isna(rows.loc["nom", "distinct"])
    assert rows.loc["date_inclusion", "allowed values"] == "format %d/%m/%Y"


def test_the_dictionary_holds_no_value_of_the_frame(draft):
    descriptor = draft | {"unit": "un participant"}
    _field(descriptor, "tel")["identifier"] = "pseudonymise"
    _field(descriptor, "age")["constraints"] = {"minimum": 18, "maximum": 99}
    schema = schema_from_descriptor(descriptor, origin="draft")
    frame = _partner_file()
    typed = validate(frame, schema, source="enquete.csv", decimal=",")
    table = data_dictionary(typed, schema)
    assert (
        table.loc[table["variable"] == "tel", "type"].item() == "identifiant direct (pseudonymisé)"
    )
    assert table.loc[table["variable"] == "age", "allowed values"].item() == "de 18 à 99"
    cells = set(table.drop(columns=["missing", "distinct"]).to_numpy().ravel().tolist())
    texts = {v for v in frame.to_numpy().ravel().tolist() if v}
    numbers = set(typed.select_dtypes("number").stack().tolist())
    identifiers = {v for f in schema.identifiers for v in frame[f.name] if v}
    assert not cells & (texts - set(schema.field("groupe").constraints["enum"]))
    assert not cells & numbers
    assert not cells & identifiers
    every_cell = " ".join(map(str, table.to_numpy().ravel()))
    for value in identifiers:
        assert value not in every_cell


def test_the_dictionary_needs_the_schemas_columns(draft):
    schema = schema_from_descriptor(draft, origin="draft")
    with pytest.raises(SchemaError, match="rule 'missing column'"):
        data_dictionary(_partner_file().drop(columns="ville"), schema)
