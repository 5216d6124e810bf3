"""Disclosure control: direct identifiers, small counts with secondary suppression, k-anonymity.

Every refusal must name the table and what was found (column, row, cell or classes) without
echoing the sensitive value. The personal data below are invented; the NIR keys are
recomputed here from their definition, 97 - (n mod 97), with 2A read as 19 and 2B as 18.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from impactlib.core import InputError
from impactlib.publish.disclosure import (
    DisclosureError,
    check_table,
    find_direct_identifiers,
    find_identifier,
    identifier_kind_of_name,
    nir_key_is_valid,
    recoverable_cells,
    suppress_small_counts,
)

NIR13 = "1840376451089"  # invented: man, born March 1984, Seine-Maritime (76)
NIR_KEY = 97 - int(NIR13) % 97  # = 96


def _clean() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "study": ["Aronson 1948", "Ferguson & Simes 1949", "Rosenthal et al 1960"],
            "design": ["rct", "rct", "rct"],
            "method": [
                "Difference in means, HC2 (Neyman) standard errors",
                "Negative-binomial (NB2, ML dispersion 1.172) log-rate GLM, 59 df",
                "Revenu annuel 1974-1978 (dollars), 15 992 hommes, p = 0.0612345678",
            ],
            "effect": [0.3, -0.26, 1794.34],
            "n": [445, 1506, 899],
        }
    )


# --- direct identifiers -----------------------------------------------------------------


def test_a_table_with_an_email_column_is_refused_by_name():
    table = _clean().assign(email=["x", "y", "z"])
    with pytest.raises(DisclosureError, match=r"table 'resultats': column 'email' is named like"):
        check_table(table, name="resultats")


@pytest.mark.parametrize(
    ("column", "kind"),
    [
        ("Prénom", "personal name"),
        ("NOM", "personal name"),
        ("first_name", "personal name"),
        ("adresseMail", "e-mail address"),
        ("Courriel", "e-mail address"),
        ("téléphone_fixe", "telephone number"),
        ("tel", "telephone number"),
        ("numero_securite_sociale", "social security number"),
        ("NIR", "social security number"),
        ("Adresse postale", "postal address"),
        ("street", "postal address"),
    ],
)
def test_identifier_column_names_are_recognised_without_accents_or_case(column, kind):
    assert identifier_kind_of_name(column) == kind


@pytest.mark.parametrize(
    "column", ["theme_label", "title", "std_label", "citation_key", "hotel", "telework", "n"]
)
def test_ordinary_column_names_are_not_identifiers(column):
    assert identifier_kind_of_name(column) is None


def test_a_nir_in_free_text_is_refused_naming_column_and_row_not_the_value():
    nir = f"{NIR13[0]} {NIR13[1:3]} {NIR13[3:5]} {NIR13[5:7]} {NIR13[7:10]} {NIR13[10:]} {NIR_KEY}"
    table = _clean().assign(commentaire=["RAS", f"dossier du bénéficiaire {nir}", "RAS"])
    with pytest.raises(DisclosureError) as caught:
        check_table(table, name="suivi")
    message = str(caught.value)
    assert "table 'suivi'" in message
    assert "column 'commentaire'" in message and "row 1" in message
    assert "social security number (NIR)" in message
    assert NIR13 not in message.replace(" ", "") and "451 089" not in message  # not echoed
    assert caught.value.findings[0].column == "commentaire"


def test_nir_key_follows_its_definition_including_corsica():
    assert NIR_KEY == 96
    assert nir_key_is_valid(NIR13, NIR_KEY)
    assert not nir_key_is_valid(NIR13, (NIR_KEY + 1) % 97)
    corsica = "185072A005123"  # 2A -> 19 in the computation
    key = 97 - int(corsica.replace("2A", "19")) % 97
    assert nir_key_is_valid(corsica, key)
    assert find_identifier(f"né en Corse, {corsica} {key:02d}")[0] == (
        "social security number (NIR)"
    )
    # 15 digits whose last two are not the key: some other number, not a NIR.
    assert find_identifier(f"référence {NIR13}{(NIR_KEY + 1) % 97:02d}") is None
    # 13 digits of the NIR's shape without a key cannot be checked: refused.
    assert find_identifier(f"id {NIR13}")[0] == "social security number (NIR)"


def test_a_nir_stored_as_an_integer_is_refused():
    table = pd.DataFrame({"identifiant": [int(NIR13 + str(NIR_KEY)), 12], "x": [1, 2]})
    with pytest.raises(DisclosureError, match=r"column 'identifiant' .*NIR\) at row 0"):
        check_table(table, name="t")


@pytest.mark.parametrize(
    "text",
    [
        "rappeler au 06 12 34 56 78 après 18 h",
        "tél. 01.23.45.67.89",
        "portable : +33 6 12 34 56 78",
        "+33 (0)1 23 45 67 89",
        "0612345678",
    ],
)
def test_a_phone_number_in_free_text_is_refused(text):
    table = _clean().assign(note=["", text, ""])
    with pytest.raises(DisclosureError) as caught:
        check_table(table, name="entretiens")
    message = str(caught.value)
    assert "table 'entretiens': column 'note' holds what looks like a telephone number" in message
    assert "at row 1" in message and "value not shown" in message
    assert "34 56" not in message and "45 67" not in message


@pytest.mark.parametrize(
    "text",
    [
        "habite 12 rue des Lilas, 76000 Rouen",
        "3 bis, bd Voltaire 75011 Paris",
        "5 allée des Pins",
        "14 avenue Jean Jaurès",
        "3 place de la Mairie",
    ],
)
def test_a_postal_address_is_refused(text):
    table = _clean().assign(lieu=[text, "", ""])
    with pytest.raises(
        DisclosureError, match=r"table 'visites': column 'lieu' .*postal address at row 0"
    ):
        check_table(table, name="visites")


def test_an_email_in_free_text_is_refused_with_its_shape_only():
    table = _clean().assign(source=["", "", "transmis par jean.dupont@example.org"])
    with pytest.raises(DisclosureError) as caught:
        check_table(table, name="t")
    message = str(caught.value)
    assert "column 'source'" in message and "e-mail address at row 2" in message
    assert "xxxx.xxxxxx@xxxxxxx.xxx" in message and "dupont" not in message


@pytest.mark.parametrize(
    "text",
    [
        "1 place en crèche",  # "place" not followed by a name
        "3 cours de yoga par semaine",
        "p = 0.0612345678",  # a decimal, not a phone number
        "1794.3423818500985",
        "Dehejia et Wahba 1999, 445 hommes, 185 traités",
        "n = 13598 vaccinés",
        f"{NIR13}{(NIR_KEY + 1) % 97:02d}",
    ],
)
def test_ordinary_text_is_not_taken_for_an_identifier(text):
    assert find_identifier(text) is None


def test_every_identifier_is_listed_and_allow_names_spares_a_name_only():
    table = pd.DataFrame({"nom_commune": ["Rouen"], "mail": ["?"], "note": ["06 12 34 56 78"]})
    with pytest.raises(DisclosureError) as caught:
        check_table(table, name="t", allow_names=["nom_commune"])
    columns = [f.column for f in caught.value.findings]
    assert columns == ["mail", "note"]
    assert "column 'mail'" in str(caught.value) and "column 'note'" in str(caught.value)
    assert find_direct_identifiers(table[["nom_commune"]], allow_names=["nom_commune"]) == []


# --- small counts -----------------------------------------------------------------------


def _frequency_table() -> pd.DataFrame:
    """Beneficiaries by commune and age band, with row and column totals."""
    inner = pd.DataFrame(
        {"moins_60": [3, 25, 40], "60_74": [30, 18, 52], "75_plus": [22, 14, 61]},
        index=["Auffay", "Bolbec", "Rouen"],
    )
    inner["total"] = inner.sum(axis=1)
    table = pd.concat([inner, inner.sum().to_frame("Total").T])
    table.index.name = "commune"
    return table


COUNTS = ["moins_60", "60_74", "75_plus", "total"]


def test_a_count_of_3_is_refused_in_strict_mode_naming_the_cell():
    with pytest.raises(DisclosureError) as caught:
        check_table(_frequency_table(), name="beneficiaires", count_columns=COUNTS)
    assert str(caught.value).startswith(
        "table 'beneficiaires': cell (row 'Auffay', column 'moins_60') counts fewer than 11"
    )


def test_a_count_of_3_is_suppressed_and_margins_cannot_give_it_back():
    table = _frequency_table()
    suppressed, cells = suppress_small_counts(
        table, count_columns=COUNTS, row_total="total", total_row="Total"
    )
    assert cells[0] == ("Auffay", "moins_60", "primary")
    assert pd.isna(suppressed.loc["Auffay", "moins_60"])
    assert {c.kind for c in cells[1:]} == {"secondary"}
    # By hand: the row total minus the visible cells of the row, and the column total
    # minus the visible cells of the column, each leave at least two unknowns.
    row = suppressed.loc["Auffay", ["moins_60", "60_74", "75_plus"]]
    assert row.isna().sum() >= 2
    column = suppressed.loc[["Auffay", "Bolbec", "Rouen"], "moins_60"]
    assert column.isna().sum() >= 2
    assert (
        recoverable_cells(suppressed, count_columns=COUNTS, row_total="total", total_row="Total")
        == []
    )
    # The smallest cells were chosen: 22 in Auffay's row (not 30), 25 in the column (not 40).
    assert pd.isna(suppressed.loc["Auffay", "75_plus"]) and pd.notna(
        suppressed.loc["Auffay", "60_74"]
    )
    assert pd.isna(suppressed.loc["Bolbec", "moins_60"])
    # Totals stay visible; visible cells are unchanged.
    assert suppressed.loc["Total"].tolist() == table.loc["Total"].tolist()
    visible = suppressed[COUNTS].notna()
    assert (suppressed[COUNTS][visible] == table[COUNTS][visible]).all().all()
    # Non-strict check_table returns the same suppressed table, and it then passes strictly.
    report = check_table(
        table,
        name="beneficiaires",
        count_columns=COUNTS,
        strict=False,
        row_total="total",
        total_row="Total",
    )
    pd.testing.assert_frame_equal(report.table, suppressed)
    check_table(report.table, name="b", count_columns=COUNTS, row_total="total", total_row="Total")


def test_a_missing_cell_that_a_total_gives_back_is_refused():
    table = _frequency_table()[COUNTS].astype("Int64")
    table.loc["Auffay", "moins_60"] = pd.NA  # primary only, no secondary suppression
    with pytest.raises(
        DisclosureError,
        match=r"table 't': suppressed cell \(row 'Auffay', column 'moins_60'\) is given back",
    ):
        check_table(table, name="t", count_columns=COUNTS, row_total="total", total_row="Total")


def test_threshold_is_a_parameter_and_zeros_may_be_kept():
    table = pd.DataFrame({"a": [0, 5, 30]}, index=list("xyz"))
    check_table(table, name="t", count_columns="a", threshold=5, keep_zeros=True)
    _, cells = suppress_small_counts(table, count_columns="a", threshold=5)
    assert [c.row for c in cells] == ["x"]  # no totals: primary suppression only


def test_bad_counts_and_margins_are_refused_by_name():
    with pytest.raises(InputError, match="count column 'a' must hold non-negative whole"):
        suppress_small_counts(pd.DataFrame({"a": [1.5, 20]}), count_columns="a")
    with pytest.raises(InputError, match="count column 'a' has a missing value at row 1"):
        suppress_small_counts(pd.DataFrame({"a": [12, None]}), count_columns="a")
    wrong = _frequency_table()
    wrong.loc["Rouen", "total"] += 1
    with pytest.raises(InputError, match="'total' is not the sum .* at row 'Rouen'"):
        suppress_small_counts(wrong, count_columns=COUNTS, row_total="total")


@st.composite
def frequency_tables(draw):
    n_rows = draw(st.integers(1, 5))
    n_cols = draw(st.integers(1, 5))
    values = draw(
        st.lists(
            st.lists(st.integers(0, 40), min_size=n_cols, max_size=n_cols),
            min_size=n_rows,
            max_size=n_rows,
        )
    )
    inner = pd.DataFrame(values, columns=[f"c{j}" for j in range(n_cols)])
    inner.index = [f"r{i}" for i in range(n_rows)]
    inner["total"] = inner.sum(axis=1)
    return pd.concat([inner, inner.sum().to_frame("T").T])


@settings(max_examples=150, deadline=None)
@given(table=frequency_tables(), threshold=st.integers(1, 15))
def test_suppressed_tables_show_no_small_count_and_no_cell_one_total_gives_back(table, threshold):
    counts = list(table.columns)
    out, cells = suppress_small_counts(
        table, count_columns=counts, threshold=threshold, row_total="total", total_row="T"
    )
    values = out[counts]
    shown = values.to_numpy(dtype=float, na_value=np.nan)
    assert not (shown < threshold).any()  # NaN compares False: only visible cells count
    missing = values.isna().to_numpy()
    # Every additive relation (a row with its total, a column with its total) has either
    # no unknown or at least two: subtraction from one total gives nothing back.
    for i in range(missing.shape[0]):
        assert missing[i, :].sum() != 1
    for j in range(missing.shape[1]):
        assert missing[:, j].sum() != 1
    original = table[counts].to_numpy(dtype=float)
    assert np.array_equal(shown[~missing], original[~missing])
    assert missing.sum() == len(cells)


# --- k-anonymity ------------------------------------------------------------------------


def test_a_table_that_is_not_5_anonymous_is_refused_naming_the_quasi_identifiers():
    people = pd.DataFrame(
        {
            "tranche_age": ["60-74"] * 12 + ["75-84"] * 6 + ["85+"] * 2,
            "sexe": ["F", "H"] * 6 + ["F"] * 6 + ["H", "H"],
            "chutes": range(20),
        }
    )
    with pytest.raises(DisclosureError) as caught:
        check_table(people, name="participants", quasi_identifiers=["tranche_age", "sexe"])
    message = str(caught.value)
    assert message.startswith(
        "table 'participants': not 5-anonymous on quasi-identifiers 'tranche_age', 'sexe': "
        "the smallest class has 2 row(s) (tranche_age='85+', sexe='H')"
    )
    assert "1 class(es) have fewer than 5" in message
    report = check_table(people, name="participants", quasi_identifiers="tranche_age", k=2)
    assert report.smallest_class == 2


# --- clean tables -----------------------------------------------------------------------


def test_clean_tables_pass(repo_root):
    report = check_table(_clean(), name="estimations")
    assert report.n_rows == 3 and report.suppressed == ()
    assert set(report.columns_scanned) == {"study", "design", "method"}
    assert "none found" in report.summary()
    # The think tank's own extraction sheets pass the identifier checks as they are.
    for path in sorted((repo_root / "data" / "extraction").glob("*.csv")):
        check_table(pd.read_csv(path), name=path.stem)


def test_bad_parameters_are_refused():
    with pytest.raises(InputError, match="k must be a positive whole number"):
        check_table(_clean(), name="t", k=0)
    with pytest.raises(InputError, match="quasi-identifier 'age' not found"):
        check_table(_clean(), name="t", quasi_identifiers="age")
    with pytest.raises(InputError, match="count column 'study' must be numeric"):
        check_table(_clean(), name="t", count_columns="study")
    with pytest.raises(InputError, match="threshold must be a positive whole number"):
        suppress_small_counts(_frequency_table(), count_columns=COUNTS, threshold=0)
