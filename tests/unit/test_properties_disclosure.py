"""Property tests of disclosure control under degenerate tables and bad parameters (issue 12).

A table that lets a person out must be refused (a ``DisclosureError``, an ``InputError``
naming the table and the column); a bad parameter is named; a clean table passes and comes
back the same shape. Identifier values generated here are synthetic: NIR-shaped numbers
built from the NIR's rules, e-mail addresses at example.org.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from impactlib.core.validation import InputError
from impactlib.publish.disclosure import (
    DisclosureError,
    check_table,
    find_direct_identifiers,
    find_output_findings,
    recoverable_cells,
    smallest_class,
    suppress_small_counts,
)
from support.strategies import PROPERTY, bad_integers, check_outcome


@st.composite
def nir_numbers(draw) -> int:
    """A 15-digit number of the NIR's shape (sex, year, month, place, order, key)."""
    sex = draw(st.sampled_from([1, 2]))
    year = draw(st.integers(0, 99))
    month = draw(st.integers(1, 12))
    rest = draw(st.integers(0, 10**8 - 1))
    nir13 = int(f"{sex}{year:02d}{month:02d}{rest:08d}")
    return nir13 * 100 + 97 - nir13 % 97


@st.composite
def count_tables(draw) -> pd.DataFrame:
    rows = draw(st.integers(1, 5))
    counts = st.integers(0, 200)
    return pd.DataFrame(
        {
            "commune": [f"c{i}" for i in range(rows)],
            "a": draw(st.lists(counts, min_size=rows, max_size=rows)),
            "b": draw(st.lists(counts, min_size=rows, max_size=rows)),
        }
    )


@PROPERTY
@given(nirs=st.lists(nir_numbers(), min_size=1, max_size=5), blanks=st.integers(0, 2))
def test_nir_in_a_float_column_is_refused(nirs, blanks):
    """An identifier column with blank cells is read as floats; its NIRs are still seen."""
    values = [float(v) for v in nirs] + [np.nan] * blanks
    frame = pd.DataFrame({"ident": values, "n": range(len(values))})
    with pytest.raises(DisclosureError, match="'ident'"):
        check_table(frame, name="t")
    rounded = frame.assign(ident=[float(f"{v:.11e}") for v in values])  # a spreadsheet's
    with pytest.raises(DisclosureError, match="'ident'"):
        check_table(rounded, name="t")


@PROPERTY
@given(
    user=st.from_regex(r"[a-z]{1,8}(\.[a-z]{1,8})?", fullmatch=True),
    position=st.integers(0, 2),
)
def test_email_as_a_column_label_is_refused(user, position):
    columns = ["commune", "n", "x"]
    columns[position] = f"{user}@example.org"
    frame = pd.DataFrame([["a", 20, 1.0]], columns=columns)
    with pytest.raises(DisclosureError, match=f"column {position}") as caught:
        check_table(frame, name="t")
    assert f"{user}@example.org" not in str(caught.value)  # the label is not echoed


@PROPERTY
@given(table=count_tables(), threshold=bad_integers())
def test_a_bad_threshold_is_named(table, threshold):
    with pytest.raises(InputError, match="threshold"):
        check_table(table, name="t", count_columns=["a", "b"], threshold=threshold)
    with pytest.raises(InputError, match="threshold"):
        suppress_small_counts(table, count_columns=["a", "b"], threshold=threshold)


@PROPERTY
@given(table=count_tables(), k=bad_integers())
def test_a_bad_k_is_named(table, k):
    with pytest.raises(InputError, match="k must"):
        check_table(table, name="t", quasi_identifiers="commune", k=k)


@PROPERTY
@given(table=count_tables(), threshold=st.integers(1, 30), strict=st.booleans())
def test_count_tables_are_refused_or_safe(table, threshold, strict):
    """Strict: a small count is refused. Otherwise the table comes back with no small count."""
    has_small = bool(((table[["a", "b"]] < threshold) & (table[["a", "b"]] > 0)).any().any())
    has_small |= bool((table[["a", "b"]] == 0).any().any())
    outcome = check_outcome(
        lambda: check_table(
            table, name="t", count_columns=["a", "b"], threshold=threshold, strict=strict
        ),
        must_refuse=strict and has_small,
        names=("'a'", "'b'"),
    )
    if outcome == "result":
        report = check_table(
            table, name="t", count_columns=["a", "b"], threshold=threshold, strict=strict
        )
        shown = report.table[["a", "b"]].astype("Float64")
        assert report.table.shape == table.shape
        assert not (shown < threshold).fillna(False).any().any()


@PROPERTY
@given(
    table=count_tables(),
    column=st.sampled_from(["a", "b"]),
    bad=st.sampled_from([-1, 2.5, np.inf, "7", np.nan]),
)
def test_bad_counts_are_named(table, column, bad):
    table = table.astype({column: object})
    table.loc[0, column] = bad
    for call in (
        lambda: suppress_small_counts(table, count_columns=["a", "b"]),
        lambda: recoverable_cells(table, count_columns=["a", "b"]),
    ):
        check_outcome(call, must_refuse=not pd.isna(bad), names=(f"'{column}'",))


@PROPERTY
@given(
    values=st.lists(st.sampled_from(["A", "B", None, 3, 3.0]), min_size=1, max_size=12),
    k=st.integers(1, 6),
)
def test_k_anonymity_on_degenerate_classes(values, k):
    frame = pd.DataFrame({"age": values, "sexe": ["F"] * len(values)})
    smallest = smallest_class(frame, ["age", "sexe"])
    assert smallest["size"] >= 1
    check_outcome(
        lambda: check_table(frame, name="t", quasi_identifiers=["age", "sexe"], k=k),
        must_refuse=int(smallest["size"]) < k,
        names=("'age'",),
    )


@PROPERTY
@given(
    labels=st.lists(
        st.one_of(st.integers(-5, 5), st.floats(allow_nan=True), st.text(max_size=6)),
        min_size=1,
        max_size=5,
        unique_by=str,
    )
)
def test_odd_column_labels_do_not_crash(labels):
    frame = pd.DataFrame([list(range(len(labels)))], columns=labels)
    assert isinstance(find_direct_identifiers(frame), list)
    check_outcome(lambda: check_table(frame, name="t"), names=("column",))


def test_named_classes():
    """Class 5, one case each: a NIR in a float column, a threshold of 0 or as text, an
    e-mail address as a column label."""
    frame = pd.DataFrame({"id": [1.85057800608e14, np.nan], "n": [20, 30]})
    with pytest.raises(DisclosureError, match="social security number"):
        check_table(frame, name="t")
    counts = pd.DataFrame({"n": [1, 2, 3]})
    for threshold in (0, "11"):
        with pytest.raises(InputError, match="threshold must be a positive whole number"):
            check_table(counts, name="t", count_columns="n", threshold=threshold)
    labelled = pd.DataFrame({"jean.dupont@example.org": [20, 30]})
    with pytest.raises(DisclosureError, match="looks like an e-mail address"):
        check_table(labelled, name="t")


@pytest.mark.parametrize(
    ("option", "named"),
    [
        ({"tables": [1]}, "tables must map"),
        ({"tables": None}, "tables must map"),
        ({"identifier_values": "AB123456"}, "identifier_values"),
        ({"identifier_values": 5}, "identifier_values"),
        ({"threshold": True}, "threshold"),
        ({"min_row_match": "1"}, "min_row_match"),
    ],
)
def test_output_check_names_a_bad_argument(tmp_path, option, named):
    notebook = tmp_path / "n.ipynb"
    notebook.write_text('{"cells": []}', encoding="utf-8")
    arguments = {"notebook": notebook, "estimates": None, "tables": {}, **option}
    with pytest.raises(InputError, match=named):
        find_output_findings("etude", **arguments)


def test_output_check_names_a_corrupt_file(tmp_path):
    notebook = tmp_path / "n.ipynb"
    notebook.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="is not valid JSON"):
        find_output_findings("etude", notebook=notebook, estimates=None, tables={})
