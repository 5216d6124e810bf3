"""Open data: a valid Frictionless Data Package, written whole or not at all, byte-stable."""

from __future__ import annotations

import hashlib
import json
import shutil

import pandas as pd
import pytest

from impactlib.appraisal import (
    appraise,
    grade_evidence,
    standardised_effect,
)
from impactlib.core import Estimate
from impactlib.meta.sheets import bibtex_keys
from impactlib.project import build_comparison, write_comparison, write_estimates
from impactlib.project.results import round_significant
from impactlib.publish.opendata import (
    LICENCE,
    OpenDataError,
    catalogue_markdown,
    collect_tables,
    external_sources,
    publish,
    read_package,
    undocumented_fields,
    write_catalogue,
)

frictionless = pytest.importorskip("frictionless")

EFFECT = Estimate(
    value=2.0,
    std_error=0.5,
    ci_low=1.0,
    ci_high=3.0,
    p_value=3.850858834382784e-05,
    n=400,
    method="Difference in means, HC2 (Neyman) standard errors",
    outcome="re78",
    design="rct",
    estimand="ATE",
)


@pytest.fixture
def project(scratch_project, repo_root):
    """A scratch project with one study, its comparison, and the real BCG extraction sheet."""
    # The block a report gives to the comparison, built the way reports build it.
    block = appraise(
        EFFECT,
        standardised=standardised_effect(EFFECT, kind="smd", sd=4.0),
        grade=grade_evidence(design="rct", risk_of_bias="low", estimate=EFFECT),
        cost_per_beneficiary=500.0,
        target_population=1000,
        take_up=[0.5, 0.5],
        attenuation=1.0,
        seed=1,
        effect_unit="dollars",
    ).comparison(
        title="Étude test",
        theme="emploi",
        innovation="innovation",
        outcome="re78",
        cost_source="hypothèse de travail",
    )
    second = EFFECT.__class__(**{**EFFECT.to_dict(), "value": 0.1, "n": None})
    write_estimates("demo", {"main": EFFECT, "secondary": second}, comparison=block)
    write_comparison(build_comparison())
    (scratch_project / "data" / "extraction").mkdir()
    shutil.copy(
        repo_root / "data" / "extraction" / "note-bcg.csv",
        scratch_project / "data" / "extraction" / "note-bcg.csv",
    )
    return scratch_project


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_clean_publish_is_a_valid_data_package(project):
    path = publish()
    assert path == project / "data" / "open" / "datapackage.json"
    report = frictionless.validate(str(path))
    assert report.valid, report.flatten(["type", "note"])
    package = read_package()
    assert package["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert package["licenses"] == [LICENCE]
    names = [r["name"] for r in package["resources"]]
    assert names == ["comparaison", "estimations", "extraction-note-bcg"]
    files = sorted(p.name for p in path.parent.iterdir())
    assert files == [
        "comparaison.csv",
        "datapackage.json",
        "estimations.csv",
        "extraction-note-bcg.csv",
    ]  # no third-party raw data copied
    for resource in package["resources"]:
        data = (path.parent / resource["path"]).read_bytes()
        assert resource["bytes"] == len(data)
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert (resource["format"], resource["mediatype"], resource["encoding"]) == (
            "csv",
            "text/csv",
            "utf-8",
        )
        for field in resource["schema"]["fields"]:
            assert field["type"] in {"string", "integer", "number", "boolean"}
            assert field["description"] and "à compléter" not in field["description"]
    # Third-party sources are listed with licence, citation and address, not republished.
    sources = {s["name"]: s for s in package["sources"]}
    registry = (project / "data" / "sources.yaml").read_text()
    assert sources and all(f"\n  {name}:\n" in registry for name in sources)
    assert all(s["republished"] is False and s["licence"] for s in sources.values())
    # a package source cites its authors; a partner's file names its provider
    assert all(s["citation"] or s["provider"] for s in sources.values())
    assert sources["nsw_mixtape"]["path"] == "https://github.com/NickCH-K/causaldata"


def test_estimates_read_back_exactly(project):
    publish()
    table = pd.read_csv(project / "data" / "open" / "estimations.csv")
    assert table[["study", "estimate"]].values.tolist() == [
        ["demo", "main"],
        ["demo", "secondary"],
    ]
    main = table.iloc[0]
    # Exact round trip of the double the results file holds (rounded when it was written).
    assert main["p_value"] == round_significant(EFFECT.p_value)
    assert main["n"] == 400 and pd.isna(table.iloc[1]["n"])
    assert main["method"] == EFFECT.method
    fields = {f["name"]: f["type"] for f in read_package()["resources"][1]["schema"]["fields"]}
    assert fields["n"] == "integer" and fields["value"] == "number"
    comparison = pd.read_csv(project / "data" / "open" / "comparaison.csv")
    reasons = json.loads(comparison.loc[0, "evidence_reasons"])  # a list, as JSON text
    assert isinstance(reasons, list) and reasons


def test_reruns_are_byte_identical(project):
    folder = publish().parent
    first = _snapshot(folder)
    publish()
    assert _snapshot(folder) == first


def test_an_email_column_stops_publishing_and_leaves_data_open_untouched(project):
    folder = publish().parent
    before = _snapshot(folder)
    sheet = pd.read_csv(project / "data" / "extraction" / "note-bcg.csv")
    sheet["courriel_auteur"] = "inconnu"
    sheet.to_csv(project / "data" / "extraction" / "note-bcg.csv", index=False)
    with pytest.raises(
        OpenDataError,
        match=r"nothing written to data/open: table 'extraction-note-bcg': "
        r"column 'courriel_auteur' is named like an e-mail address",
    ):
        publish()
    assert _snapshot(folder) == before
    assert sorted(p.name for p in (project / "data").iterdir()) == [
        "extraction",
        "open",
        "sources.yaml",
    ]  # no temporary folder left behind


def test_an_email_in_a_results_text_stops_publishing(project):
    leaky = EFFECT.__class__(**{**EFFECT.to_dict(), "method": "OLS (contact: a.b@exemple.fr)"})
    write_estimates("demo", {"main": leaky}, comparison=None)
    with pytest.raises(
        OpenDataError, match=r"table 'estimations': column 'method' .*e-mail address at row 0"
    ):
        publish()
    assert not (project / "data" / "open").exists()


def test_a_missing_comparison_is_named(project):
    (project / "comparison" / "comparison.json").unlink()
    with pytest.raises(OpenDataError, match="table 'comparaison': .*comparison.json does not"):
        publish()


def test_catalogue_lists_datasets_dictionaries_and_external_sources(project):
    package = read_package(publish().parent.parent.parent)
    page = catalogue_markdown(package)
    assert page.startswith("# Données ouvertes\n")
    assert "Licence Ouverte / Open Licence version 2.0" in page
    for resource in package["resources"]:
        assert f"## {resource['title']}" in page
        assert f"[{resource['path']}](../data/open/{resource['path']})" in page
    assert "| `p_value` | nombre | Valeur p (test de nullité de l'effet) |" in page
    assert "## Sources externes (non republiées)" in page
    assert "{cite:p}`lalonde1986, dehejia1999, cunningham2021`" in page
    assert catalogue_markdown(project / "data" / "open" / "datapackage.json") == page
    assert "](_static/open/estimations.csv)" in catalogue_markdown(
        package, link_base="_static/open/"
    )
    # Descriptions are literal text: `<id>` is no HTML tag (MyST would swallow it), `|`
    # ends no table cell.
    assert "(fichiers results/\\<id\\>/estimates.json)" in page
    assert "very\\_low" in page and "results/<id>" not in page
    written = write_catalogue()
    assert written == project / "book" / "donnees-ouvertes.md"
    assert written.read_text(encoding="utf-8") == page


def test_every_column_of_the_repository_tables_is_described(repo_root):
    assert undocumented_fields(collect_tables(repo_root)) == []


def test_every_external_source_is_citable_in_the_book(repo_root):
    """The catalogue cites sources with {cite:p}: a key missing from the bib breaks the book."""
    keys = bibtex_keys(repo_root / "book" / "references.bib")
    for source in external_sources(repo_root):
        assert set(source["citation"]) <= keys, source["name"]
