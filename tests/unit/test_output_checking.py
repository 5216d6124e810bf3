"""Output checking of confidential studies: rows, direct identifiers and small counts in an
executed notebook and its estimates.json.

The notebooks are real nbformat notebooks whose outputs are what Jupyter stores for the
pandas objects shown (``repr`` as text/plain, ``to_html`` as text/html, ``print`` as a
stream), and glued values as myst-nb's ``glue`` writes them (read in
``myst_nb/ext/glue/__init__.py``): a display_data whose data keys carry the prefix
``application/papermill.record/`` and whose metadata holds ``scrapbook``. The people are
invented.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from impactlib.core import InputError
from impactlib.experiment import balance_table
from impactlib.publish.disclosure import (
    DisclosureError,
    OutputFinding,
    check_study_outputs,
    find_output_findings,
)
from impactlib.report.tables import french_balance, french_table

STUDY = "etude-confidentielle"
NAMES = ["Jeanne Martin-Dubois", "Karim Benali", "Sophie Lefèvre", "Li"]
PHONES = ["06 12 34 56 78", "+33 7 98 76 54 32"]
EMAILS = ["k.benali@exemple.fr"]
NIRS = ["1 84 03 76 451 089 96"]


def _people(n: int = 240, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "pid": [hashlib.sha256(f"p{i}".encode()).hexdigest()[:16] for i in range(n)],
            "age": rng.integers(18, 95, n),
            "revenu": rng.normal(1500, 400, n).round(2),
            "arm": rng.choice(["controle", "traitement"], n),
            "sexe": rng.choice(["F", "M"], n),
            "commune": rng.choice(["Lille", "Roubaix", "Tourcoing"], n),
            "entree": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), "D"),
        }
    )


PEOPLE = _people()


def _shown(frame: pd.DataFrame | pd.Series) -> dict:
    """What Jupyter stores when a cell's last line is ``frame``."""
    data = {"text/plain": repr(frame)}
    if isinstance(frame, pd.DataFrame):
        data["text/html"] = frame.to_html()
    return nbformat.v4.new_output("execute_result", data=data, execution_count=1)


def _printed(text: object) -> dict:
    return nbformat.v4.new_output("stream", name="stdout", text=f"{text}\n")


def _glued(name: str, value: object) -> dict:
    prefix = "application/papermill.record/"
    return nbformat.v4.new_output(
        "display_data",
        data={f"{prefix}text/plain": repr(value)},
        metadata={"scrapbook": {"name": name, "mime_prefix": prefix}},
    )


def _html(html: str) -> dict:
    return nbformat.v4.new_output("display_data", data={"text/html": html, "text/plain": "<HTML>"})


def _notebook(tmp_path: Path, *cells: list[dict]) -> tuple[Path, list[str]]:
    """A notebook: a title cell, then one code cell per list of outputs; and the cell ids."""
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("# Étude confidentielle"))
    for outputs in cells:
        nb.cells.append(nbformat.v4.new_code_cell("...", outputs=outputs))
    path = tmp_path / f"{STUDY}.ipynb"
    nbformat.write(nb, path)
    return path, [cell.id for cell in nb.cells]


def _findings(path: Path, **kwargs) -> list[OutputFinding]:
    kwargs.setdefault("tables", {"menages": PEOPLE})
    kwargs.setdefault("estimates", None)
    return find_output_findings(STUDY, notebook=path, **kwargs)


def _aggregates(people: pd.DataFrame = PEOPLE) -> list[list[dict]]:
    """Cells a report shows: aggregates that must pass."""
    data = people.assign(t=(people["arm"] == "traitement").astype(int))
    ols = smf.ols("revenu ~ age + C(arm)", data=data).fit()
    summary = ols.summary()
    balance = balance_table(data, "t", ["age", "revenu"])
    french = french_balance(balance, treated="bénéficiaires", control="témoins")
    return [
        [_shown(people.describe())],
        [_shown(people.groupby("arm")[["age", "revenu"]].mean())],
        [_shown(people.groupby("arm", as_index=False)[["age", "revenu"]].median())],
        [_shown(people["arm"].value_counts())],
        [_shown(people[["arm", "sexe"]].value_counts())],
        [_shown(people[["arm", "sexe"]].value_counts().reset_index())],
        [_shown(people.groupby("commune").size())],
        [_shown(pd.crosstab(people["arm"], people["sexe"], margins=True))],
        [
            nbformat.v4.new_output(
                "execute_result",
                data={"text/plain": str(summary), "text/html": summary.as_html()},
                execution_count=2,
            )
        ],
        [_shown(balance), _html(french_table(french, "equilibre").data)],
        [_printed(f"Effectif : {len(people)} ménages"), _glued("n_menages", str(len(people)))],
        [_printed(people[["age", "revenu"]].corr())],
    ]


# --- row-level extracts -------------------------------------------------------------------


@pytest.mark.parametrize(
    "output",
    [
        _shown(PEOPLE.head()),
        _printed(PEOPLE.head()),
        _printed(PEOPLE.drop(columns="pid").iloc[:5]),
        _shown(PEOPLE.drop(columns="pid").sample(3, random_state=1)),
        _shown(PEOPLE.drop(columns="pid")[PEOPLE["age"] > 90]),
        _html(french_table(PEOPLE[["age", "revenu"]].head(4), "apercu").data),
        _printed(f"ménage suivi : {PEOPLE['pid'][7]}"),
        _shown(PEOPLE[["arm", "age", "entree"]].tail(2)),
    ],
    ids=["head", "print-head", "print-iloc", "sample", "filter", "french-table", "key", "dates"],
)
def test_a_row_level_extract_is_caught(tmp_path, output):
    path, ids = _notebook(tmp_path, [], [output])
    findings = _findings(path)
    assert [f.where for f in findings] == [f"cell 2 (id {ids[2]})"]
    assert findings[0].study == STUDY
    assert "row-level extract of source 'menages'" in findings[0].reason


def test_the_rows_shown_are_counted_and_min_row_match_tolerates_fewer(tmp_path):
    rows = PEOPLE.drop(columns="pid")
    path, _ = _notebook(tmp_path, [_shown(rows.head(3))], [_shown(rows.iloc[[9]])])
    findings = _findings(path)
    assert [f.reason.split(" in output")[0] for f in findings] == [
        "row-level extract of source 'menages' (3 row(s))",
        "row-level extract of source 'menages' (1 row(s))",
    ]
    assert len(_findings(path, min_row_match=2)) == 1


def test_a_pseudonym_shown_is_caught_with_its_key_column(tmp_path):
    path, _ = _notebook(tmp_path, [_shown(PEOPLE.set_index("pid")[["commune"]].head(2))])
    (finding,) = _findings(path)
    assert "key column(s) 'pid'" in finding.reason
    assert "(2 row(s)" in finding.reason


def test_short_keys_are_numbers_unless_they_hold_a_letter(tmp_path):
    codes = PEOPLE.assign(
        id=range(1, len(PEOPLE) + 1), id_menage=[f"P{i:05d}" for i in PEOPLE.index]
    )
    path, _ = _notebook(
        tmp_path, [_printed(f"{len(codes)} ménages, dont 12 à Lille")], [_printed("suivi : p00017")]
    )
    (finding,) = _findings(path, tables={"menages": codes.drop(columns="pid")})
    assert finding.where.startswith("cell 2 ")
    assert finding.reason.startswith("row-level extract of source 'menages' (1 row(s); values")


# --- direct identifiers --------------------------------------------------------------------


@pytest.mark.parametrize(
    "output",
    [
        _printed("Rappeler Mme JEANNE   martin-dubois demain"),
        _printed("contact : 0612345678"),
        _printed("contact : +33 (0)6 12 34 56 78"),
        _printed("numéro 07.98.76.54.32"),
        _printed("écrire à K.Benali@exemple.fr"),
        _printed("NIR 184037645108996"),
        _printed(pd.DataFrame({"tel": [612345678], "age": [40]})),
        _glued("contact", "Karim Benali"),
        _glued("appel", "06-12-34-56-78"),
        nbformat.v4.new_output(
            "error",
            ename="KeyError",
            evalue="'Sophie Lefèvre'",
            traceback=["\x1b[0;31mKeyError\x1b[0m: 'Sophie Lefèvre'"],
        ),
    ],
    ids=[
        "name",
        "phone",
        "phone-intl",
        "phone-dots",
        "email",
        "nir",
        "phone-as-int",
        "glued-name",
        "glued-phone",
        "traceback",
    ],
)
def test_a_direct_identifier_is_caught(tmp_path, output):
    path, ids = _notebook(tmp_path, [output])
    findings = _findings(path, identifier_values=NAMES + PHONES + EMAILS + NIRS)
    assert [f.where for f in findings] == [f"cell 1 (id {ids[1]})"]
    assert findings[0].reason.startswith("value of a direct identifier (1 value(s)")


def test_an_identifier_is_named_by_its_column_and_short_values_are_ignored(tmp_path):
    path, _ = _notebook(tmp_path, [_printed("Jeanne Martin-Dubois")], [_printed("Li a 3 ans")])
    (finding,) = _findings(path, identifier_values={"nom": NAMES, "telephone": PHONES})
    assert finding.reason.startswith("value of direct identifier column 'nom' (1 value(s)")


def test_identifiers_are_words_not_parts_of_words(tmp_path):
    path, _ = _notebook(tmp_path, [_printed("Karimbenali, 0612345678901234567, 6123456.78")])
    assert _findings(path, identifier_values=NAMES + PHONES) == []


# --- small counts ---------------------------------------------------------------------------


def _rare(n_rare: int) -> pd.DataFrame:
    return pd.DataFrame(
        {"groupe": ["a"] * 30 + ["b"] * n_rare, "sexe": ["F", "M"] * 15 + ["F"] * n_rare}
    )


@pytest.mark.parametrize(
    "output",
    [
        _shown(_rare(4)["groupe"].value_counts()),
        _printed(_rare(4)["groupe"].value_counts()),
        _shown(_rare(4)["groupe"].value_counts().to_frame()),
        _shown(_rare(4).groupby("groupe").size()),
        _shown(_rare(4).groupby("groupe", as_index=False).size()),
        _shown(pd.crosstab(_rare(3)["groupe"], _rare(3)["sexe"])),
        _printed(pd.crosstab(_rare(3)["groupe"], _rare(3)["sexe"], margins=True)),
        _html(pd.crosstab(_rare(3)["groupe"], _rare(3)["sexe"]).to_html()),
        _shown(_rare(4).groupby("groupe").size().rename("effectif").to_frame()),
    ],
    ids=[
        "value-counts",
        "print-value-counts",
        "value-counts-frame",
        "size",
        "size-frame",
        "crosstab",
        "print-crosstab-margins",
        "crosstab-html",
        "effectif",
    ],
)
def test_a_small_count_is_caught(tmp_path, output):
    path, ids = _notebook(tmp_path, [output])
    (finding,) = _findings(path, tables={})
    assert finding.where == f"cell 1 (id {ids[1]})"
    assert "count(s) below the threshold 11 (not shown)" in finding.reason


def test_small_counts_in_estimates_json_are_caught_and_other_counts_pass(tmp_path):
    path, _ = _notebook(tmp_path, [])
    estimates = tmp_path / "estimates.json"
    main = {"value": 1.0, "n": 40, "n_treated": 7, "n_control": 33, "n_clusters": 4}
    facts = {"n_people": 5, "n_clusters": 3, "n_resamples": 9, "n_pre_periods": 4, "n_x": 2.5}
    estimates.write_text(
        json.dumps({"study": STUDY, "estimates": {"main": main}, "facts": facts}),
        encoding="utf-8",
    )
    findings = _findings(path, estimates=estimates)
    assert [(f.where, f.reason) for f in findings] == [
        ("estimates.json: estimates.main.n_treated", "count below the threshold 11 (not shown)"),
        ("estimates.json: facts.n_people", "count below the threshold 11 (not shown)"),
    ]
    assert _findings(path, estimates=estimates, threshold=5) == []


# --- aggregates pass --------------------------------------------------------------------------


def test_aggregate_outputs_pass(tmp_path):
    path, _ = _notebook(tmp_path, *_aggregates())
    assert _findings(path, identifier_values=NAMES + PHONES + EMAILS + NIRS) == []
    check_study_outputs(STUDY, notebook=path, estimates=None, tables={"menages": PEOPLE})


# --- the refusal ------------------------------------------------------------------------------


def test_the_error_names_study_cell_and_reason_never_the_value(tmp_path):
    path, ids = _notebook(
        tmp_path,
        *_aggregates(),
        [_shown(PEOPLE.head(3))],
        [_printed("Appeler Karim Benali au 06 12 34 56 78")],
        [_shown(_rare(4)["groupe"].value_counts())],
    )
    with pytest.raises(DisclosureError) as caught:
        check_study_outputs(
            STUDY,
            notebook=path,
            estimates=None,
            tables={"menages": PEOPLE},
            identifier_values=NAMES + PHONES,
        )
    message = str(caught.value)
    n = len(_aggregates())
    assert message.startswith(f"study {STUDY!r}: 3 output(s) may not leave")
    assert f"cell {n + 1} (id {ids[n + 1]}): row-level extract of source 'menages'" in message
    assert f"cell {n + 2} (id {ids[n + 2]}): value of a direct identifier" in message
    assert f"cell {n + 3} (id {ids[n + 3]}): 1 count(s) below the threshold 11" in message
    for secret in ["Benali", "benali", "12 34", "0612345678", *PEOPLE["pid"].head(3)]:
        assert secret not in message
    assert [f.row for f in caught.value.findings] == [
        f"cell {n + k} (id {ids[n + k]})" for k in (1, 2, 3)
    ]


def test_bad_arguments_are_refused(tmp_path):
    path, _ = _notebook(tmp_path, [])
    with pytest.raises(InputError, match="no file"):
        _findings(tmp_path / "absent.ipynb")
    with pytest.raises(InputError, match="threshold"):
        _findings(path, threshold=0)
    with pytest.raises(InputError, match="DataFrame"):
        _findings(path, tables={"menages": [1, 2]})


def test_a_large_study_is_checked_in_one_pass(tmp_path):
    rng = np.random.default_rng(5)
    people = _people(10_000, seed=5)
    first = ["Jeanne", "Karim", "Sophie", "Lucas", "Inès", "Paul", "Nadia", "Hugo"] * 5
    last = [f"Nomdefamille{i}" for i in range(1250)]
    identifiers = [f"{f} {name}" for f, name in zip(first * 250, last * 8, strict=False)]
    identifiers += [
        f"06 {i // 10**6 % 100:02d} {i % 10**6:06d}" for i in rng.integers(0, 10**8, 5000)
    ]
    cells = _aggregates(people) * 5
    cells[37] = [_printed(people.sample(5, random_state=2))]
    cells[48] = [_printed(f"à rappeler : {identifiers[123]}")]
    path, ids = _notebook(tmp_path, *cells[:60])
    findings = _findings(path, tables={"menages": people}, identifier_values=identifiers)
    assert [f.where for f in findings] == [f"cell {k} (id {ids[k]})" for k in (38, 49)]
