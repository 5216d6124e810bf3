"""Identifiers the content scan of text does not see, refused at the import of a file.

A partner's NIR column with one blank cell is exported as numbers (declared ``type:
number``, read as floats), or written by a spreadsheet in scientific notation; a pivoted
table may carry an e-mail address as a column header. The import refuses both, naming the
column (by its position for a header) and the rows, never the value; an ordinary column of
amounts, even of the order of 1e12, passes. The people below are invented; the NIR key is
computed from its definition, 97 - (n mod 97).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from impactlib.intake import schema_from_descriptor, validate
from impactlib.intake.errors import SchemaError
from impactlib.intake.hidden_identifiers import identifier_labels, nir_positions
from impactlib.project.file_sources import read_checked

NIR13 = "1840376451089"
NIR = f"{NIR13}{97 - int(NIR13) % 97:02d}"
OTHER13 = "2950599350123"
OTHER = f"{OTHER13}{97 - int(OTHER13) % 97:02d}"
EMAIL = "jeanne.martin@exemple.fr"


def _schema(*fields: dict):
    descriptor = {
        "unit": "un participant",
        "primaryKey": ["participant_id"],
        "fields": [{"name": "participant_id", "type": "string"}, *fields],
    }
    return schema_from_descriptor(descriptor, origin="enquete.yaml")


def _import(tmp_path: Path, text: str, *fields: dict) -> pd.DataFrame:
    path = tmp_path / "enquete.csv"
    path.write_text(text, encoding="utf-8")
    frame, _ = read_checked(path, _schema(*fields), source="enquete.csv", file_format={})
    return frame


def _refused(tmp_path: Path, text: str, *fields: dict) -> SchemaError:
    with pytest.raises(SchemaError) as caught:
        _import(tmp_path, text, *fields)
    return caught.value


def test_a_nir_column_with_a_blank_cell_declared_number_is_refused_unseen(tmp_path):
    text = f"participant_id,numero,revenu\nP1,{NIR},1200.5\nP2,,980\nP3,{OTHER},1430\n"
    error = _refused(tmp_path, text, {"name": "numero", "type": "number"}, {"name": "revenu"})
    assert (error.column, error.rule, error.rows) == ("numero", "undeclared identifier", (1, 3))
    message = str(error)
    assert "social security number (NIR)" in message and "value not shown" in message
    for secret in (NIR, NIR13, OTHER13, f"{float(NIR):g}", "1.84", "2.95"):
        assert secret not in message


def test_a_nir_rounded_by_a_spreadsheet_is_refused_as_text_or_number(tmp_path):
    rounded = f"{float(NIR):.11E}"  # as Excel writes it: 1.84037645109E+14
    text = f"participant_id,numero\nP1,{rounded}\nP2,\n"
    for kind in ("string", "number"):
        error = _refused(tmp_path, text, {"name": "numero", "type": kind})
        assert (error.column, error.rule, error.rows) == ("numero", "undeclared identifier", (1,))
        assert rounded not in str(error) and NIR13[:6] not in str(error)


def test_a_header_that_is_an_email_is_refused_without_showing_it(tmp_path):
    text = f"participant_id,{EMAIL}\nP1,3\nP2,4\n"
    error = _refused(tmp_path, text, {"name": EMAIL, "type": "integer"})
    assert (error.column, error.rule, error.rows) == (None, "undeclared identifier", ())
    assert "column 2 (counting from 1)" in str(error) and "e-mail address" in str(error)
    assert "jeanne" not in str(error) and "exemple" not in str(error)
    error = _refused(tmp_path, text)  # not even in the schema: not named as undeclared
    assert error.rule == "undeclared identifier" and "jeanne" not in str(error)


def test_ordinary_amounts_pass_even_of_the_order_of_1e12(tmp_path):
    amounts = ["1234567890123.45", "2500000000000.5", "1000000000000", "", "980.25", "-3.5"]
    rows = "".join(f"P{i},{a}\n" for i, a in enumerate(amounts))
    frame = _import(
        tmp_path, f"participant_id,montant\n{rows}", {"name": "montant", "type": "number"}
    )
    assert frame["montant"].dtype == np.float64
    assert frame["montant"].iloc[0] == pytest.approx(1234567890123.45)


def test_identifier_false_lets_whole_numbers_of_a_nirs_shape_and_a_header_through():
    # Whole euros between 1e12 and 3e12 mostly have a NIR's shape: the schema says they
    # are no person's.
    schema = _schema(
        {"name": "budget", "type": "number", "identifier": False},
        {"name": "3 place de la Mairie", "type": "integer", "identifier": False},
    )
    frame = pd.DataFrame(
        {
            "participant_id": ["a", "b"],
            "budget": [1234567890123.0, np.nan],
            "3 place de la Mairie": [1, 2],
        }
    )
    assert len(validate(frame, schema, source="x.csv")) == 2
    undeclared = _schema(
        {"name": "budget", "type": "number"}, {"name": "3 place de la Mairie", "type": "integer"}
    )
    with pytest.raises(SchemaError, match="header of column 3"):
        validate(frame, undeclared, source="x.csv")
    budget = frame.drop(columns="3 place de la Mairie")
    with pytest.raises(SchemaError, match="'budget', rule 'undeclared identifier'"):
        validate(budget, _schema({"name": "budget", "type": "number"}), source="x.csv")


def test_the_scans_shared_with_the_disclosure_check():
    floats = pd.Series([float(NIR), np.nan, 12.5, float(NIR13), 1.5e12, np.inf])
    assert nir_positions(floats).tolist() == [0, 3]
    text = pd.Series(["1.84037645109E+14", None, "1e14", "x 1.8e+14", "2.95059935012e12"])
    assert nir_positions(text).tolist() == [0, 4]
    assert nir_positions(pd.Series([int(NIR), 3])).tolist() == []  # integers: intake's scan
    labels = ["id", EMAIL, "06 12 34 56 78", "revenu"]
    assert [(p, k) for p, k, _ in identifier_labels(labels)] == [
        (1, "e-mail address"),
        (2, "telephone number"),
    ]
