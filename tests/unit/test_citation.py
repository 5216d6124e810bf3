"""Citation metadata: CITATION.cff, .zenodo.json, book/citation.yaml, BibTeX, Highwire tags."""

from __future__ import annotations

import copy
import datetime
import json
import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import jsonschema
import pybtex.database
import pytest
import yaml

from impactlib.core import InputError
from impactlib.project import declared
from impactlib.publish import citation

ROOT = Path(__file__).resolve().parents[2]
# CFF 1.2.0 JSON schema, vendored from the cffconvert 2.0.0 wheel (tests/data/README.md).
SCHEMA = ROOT / "tests" / "data" / "cff-1.2.0.schema.json"


def _stringify_dates(value):
    """The CFF schema wants dates as strings; YAML loads them as dates (schema $comment)."""
    if isinstance(value, dict):
        return {k: _stringify_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify_dates(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


@pytest.fixture(scope="module")
def cff() -> dict:
    return _stringify_dates(yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["$schema"].startswith("http://json-schema.org/draft-07/")
    assert schema["$id"] == "https://citation-file-format.github.io/1.2.0/schema.json"
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )


# --- CITATION.cff and .zenodo.json ----------------------------------------------------------


def test_citation_cff_is_valid_cff_1_2_0(cff, validator):
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(cff)]
    assert errors == []
    assert cff["cff-version"] == "1.2.0"


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda d: d.pop("title"), "title is required"),
        (lambda d: d.pop("authors"), "authors is required"),
        (lambda d: d.update(license="MIT-ish"), "not an SPDX identifier"),
        (lambda d: d.update({"date-released": "27/11/2026"}), "not YYYY-MM-DD"),
        (lambda d: d.update({"repository-code": "../impact-tank"}), "not an absolute URL"),
        (lambda d: d.update(authors=[{"name": "Impact Tank", "orcid": "0000"}]), "bad ORCID"),
        (lambda d: d.update(titel="typo"), "unknown key"),
        (lambda d: d.update(type="report"), "type is software or dataset"),
    ],
)
def test_a_broken_citation_cff_fails_the_schema(cff, validator, change, why):
    broken = copy.deepcopy(cff)
    change(broken)
    assert list(validator.iter_errors(broken)), why


def test_zenodo_json_agrees_with_citation_cff(cff):
    zenodo = json.loads((ROOT / ".zenodo.json").read_text(encoding="utf-8"))
    assert zenodo["title"] == cff["title"]
    cff_authors = [
        a.get("name") or f"{a['family-names']}, {a['given-names']}" for a in cff["authors"]
    ]
    assert [c["name"] for c in zenodo["creators"]] == cff_authors
    cff_orcids = [a.get("orcid", "").removeprefix("https://orcid.org/") for a in cff["authors"]]
    assert [c.get("orcid", "") for c in zenodo["creators"]] == cff_orcids
    assert zenodo["license"].lower() == cff["license"].lower()
    assert zenodo["upload_type"] == cff["type"]
    assert zenodo["publication_date"] == cff["date-released"]
    assert zenodo["keywords"] == cff["keywords"]
    assert " ".join(zenodo["description"].split()) == " ".join(cff["abstract"].split())
    # Version scheme: both hold the last release, which is the package version (the tag
    # v<version>); the exact build version is git describe (impactlib.publish.citation.version).
    package = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert zenodo["version"] == str(cff["version"]) == package["version"]
    assert cff["license"] == package["license"]


# --- book/citation.yaml -----------------------------------------------------------------------


def test_every_study_and_note_of_params_yaml_has_a_citation_entry():
    kinds = declared(ROOT)
    expected = {i for i, kind in kinds.items() if kind.name in citation.CITED_KINDS}
    assert citation.missing_pages(ROOT) == [], (
        "add an entry (title, date, doi) to book/citation.yaml for each of these"
    )
    assert set(citation.load(ROOT)) == expected
    for page in citation.load(ROOT).values():
        assert page.title and page.authors and page.publisher == "Impact Tank"
        assert page.licence_id == "CC-BY-4.0" and page.language == "fr"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of params.yaml and book/citation.yaml, to break."""
    (tmp_path / "book").mkdir()
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    shutil.copy(ROOT / citation.CITATION_FILE, tmp_path / citation.CITATION_FILE)
    return tmp_path


def _edit(project: Path, change) -> None:
    path = project / citation.CITATION_FILE
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


def test_a_new_study_without_entry_is_reported_missing(project):
    params = project / "params.yaml"
    params.write_text(params.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    document = yaml.safe_load(params.read_text(encoding="utf-8"))
    document["studies"].append("emploi-nouvelle-etude")
    params.write_text(yaml.safe_dump(document), encoding="utf-8")
    assert citation.missing_pages(project) == ["emploi-nouvelle-etude"]


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (
            lambda d: d["pages"].update({"emploi-inconnu": {"title": "x"}}),
            "'emploi-inconnu' is not",
        ),
        (lambda d: d["pages"].update({"guide-rd": {"title": "x"}}), "'guide-rd' is not a study"),
        (lambda d: d["pages"]["note-bcg"].pop("title"), "'note-bcg' has no title"),
        (lambda d: d["pages"]["note-bcg"].update(title=""), "'note-bcg' has no title"),
        (lambda d: d["pages"]["note-bcg"].pop("date"), "'note-bcg': date None"),
        (lambda d: d["pages"]["note-bcg"].update(date="27/11/2026"), "'note-bcg': date"),
        (lambda d: d["pages"]["note-bcg"].update(doi="doi:10.1/x"), "'note-bcg': doi"),
        (lambda d: d["pages"]["note-bcg"].update(auteurs=[]), "'note-bcg': unknown key"),
        (
            lambda d: d["pages"]["note-bcg"].update(authors=[{"family": "Dupont"}]),
            "'note-bcg': author 1: give either",
        ),
        (
            lambda d: d["defaults"]["authors"][0].update(orcid="0000-0002-1825-0098"),
            "defaults: author 1: orcid",
        ),
        (lambda d: d.pop("defaults"), "'defaults' and 'pages'"),
        (lambda d: d["defaults"].pop("publisher"), "'publisher' must be"),
    ],
)
def test_bad_citation_yaml_is_refused_naming_the_page(project, change, match):
    _edit(project, change)
    with pytest.raises(InputError, match=match):
        citation.load(project)


def test_page_authors_override_the_defaults(project):
    # 0000-0002-1825-0097 is ORCID's documented example identifier (Josiah Carberry),
    # https://support.orcid.org/hc/en-us/articles/360006897674 (structure of the ORCID iD).
    authors = [
        {"family": "Carberry", "given": "Josiah", "orcid": "0000-0002-1825-0097"},
        {"name": "Impact Tank", "orcid": ""},
    ]
    _edit(project, lambda d: d["pages"]["note-bcg"].update(authors=authors, doi="10.5281/x.1"))
    page = citation.load(project)["note-bcg"]
    assert [a.display for a in page.authors] == ["Josiah Carberry", "Impact Tank"]
    assert page.authors[0].orcid_url == "https://orcid.org/0000-0002-1825-0097"
    assert citation.load(project)["note-chutes"].authors == (citation.Author(name="Impact Tank"),)

    tags = page.highwire()
    assert tags["citation_author"] == ["Carberry, Josiah", "Impact Tank"]
    assert tags["citation_doi"] == ["10.5281/x.1"]

    entry = pybtex.database.parse_string(page.bibtex("v1.2.0"), "bibtex").entries[page.key]
    assert [str(p) for p in entry.persons["author"]] == ["Carberry, Josiah", "{Impact Tank}"]
    assert entry.fields["doi"] == "10.5281/x.1"


def test_add_page_entry_appends_a_loadable_entry(project):
    path = project / citation.CITATION_FILE
    text = path.read_text(encoding="utf-8")
    params = yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))
    params["studies"].append("emploi-nouvelle-etude")
    (project / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")

    updated = citation.add_page_entry(
        text, "emploi-nouvelle-etude", title='Un "titre" : essai', date=datetime.date(2027, 1, 5)
    )
    assert updated.startswith(text.rstrip("\n"))  # comments and existing entries kept
    path.write_text(updated, encoding="utf-8")
    page = citation.load(project)["emploi-nouvelle-etude"]
    assert (page.title, page.date, page.doi) == (
        'Un "titre" : essai',
        datetime.date(2027, 1, 5),
        "",
    )
    assert page.key == "impacttank2027-emploi-nouvelle-etude"
    assert citation.missing_pages(project) == []
    with pytest.raises(InputError, match="already has an entry"):
        citation.add_page_entry(updated, "emploi-nsw", title="x", date=datetime.date(2027, 1, 5))


# --- BibTeX and Highwire tags -------------------------------------------------------------------


@pytest.mark.parametrize("page_id", ["emploi-nsw", "note-bcg"])
def test_bibtex_parses_with_pybtex_and_holds_title_authors_year(page_id):
    page = citation.page(page_id, ROOT)
    text = citation.bibtex(page_id, "v0.1.0-3-g1a2b3c4-dirty", ROOT)
    entries = pybtex.database.parse_string(text, "bibtex").entries
    assert list(entries) == [f"impacttank2026-{page_id}"]
    entry = entries[f"impacttank2026-{page_id}"]
    assert entry.type == "techreport"
    assert entry.fields["title"] == "{" + page.title + "}"
    assert [str(p) for p in entry.persons["author"]] == ["{Impact Tank}"]
    assert entry.fields["year"] == str(page.date.year)
    assert entry.fields["institution"] == "Impact Tank"
    assert entry.fields["version"] == "v0.1.0-3-g1a2b3c4-dirty"
    assert entry.fields["type"] == page.document_type
    assert "doi" not in entry.fields  # none minted yet


def test_bibtex_escapes_latex_specials(project):
    _edit(project, lambda d: d["pages"]["note-bcg"].update(title="Coûts & effets : 50 % de_plus"))
    text = citation.bibtex("note-bcg", "v1", project)
    entry = pybtex.database.parse_string(text, "bibtex").entries["impacttank2026-note-bcg"]
    assert entry.fields["title"] == r"{Coûts \& effets : 50 \% de\_plus}"


def test_highwire_tags_of_a_report():
    tags = citation.highwire_tags("emploi-nsw", ROOT)
    assert tags == {
        "citation_title": ["Accompagnement vers l'emploi : le programme National Supported Work"],
        "citation_author": ["Impact Tank"],
        "citation_publication_date": ["2026/11/26"],
        "citation_publisher": ["Impact Tank"],
        "citation_language": ["fr"],
    }  # no citation_doi (none minted), no citation_pdf_url (HTML only)


def test_unknown_page_is_refused():
    with pytest.raises(InputError, match="no entry for 'guide-rd'"):
        citation.bibtex("guide-rd", "v1", ROOT)


def test_french_formatting():
    assert citation.french_date(datetime.date(2026, 8, 1)) == "1 août 2026"
    assert citation.join_french(["A"]) == "A"
    assert citation.join_french(["A", "B", "C"]) == "A, B et C"


# --- version ---------------------------------------------------------------------------------


def test_version_is_git_describe_in_the_repository():
    expected = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--tags", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert citation.version(ROOT) == expected


def test_version_outside_git_is_the_package_version_and_says_so(tmp_path):
    from importlib.metadata import version

    assert citation.describe(tmp_path) is None
    assert (
        citation.version(tmp_path) == f"{version('impactlib')} (paquet impactlib, hors dépôt git)"
    )


def test_a_copy_inside_another_git_repository_does_not_take_its_version(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "copy").mkdir()
    assert citation.describe(tmp_path / "copy") is None


def _bib(root, authors: str, year: str) -> None:
    bib = root / "book" / "references.bib"
    bib.parent.mkdir(parents=True, exist_ok=True)
    bib.write_text(
        f"@book{{kemper1984,\n  author = {{{authors}}},\n  title = {{T}},\n"
        f"  year = {{{year}}}\n}}\n",
        encoding="utf-8",
    )


def test_cited_source_reads_the_bibliography_once_and_again_when_it_changes(tmp_path):
    from impactlib.publish.citation import bib_sources, cited_source

    bib_sources.cache_clear()
    _bib(tmp_path, "Kemper, Peter and Long, David A.", "1984")
    for _ in range(6):  # a stage prints several sources: one parse
        assert cited_source("kemper1984", tmp_path) == "Kemper et Long (1984)"
    assert cited_source("KEMPER1984", tmp_path) == "Kemper et Long (1984)"  # keys ignore case
    assert bib_sources.cache_info().misses == 1
    # The file changes (other authors, other size, a later time): it is read again.
    _bib(tmp_path, "Kemper, Peter and Long, David A. and Thornton, Craig", "1985")
    bib = tmp_path / "book" / "references.bib"
    stat = bib.stat()
    os.utime(bib, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert cited_source("kemper1984", tmp_path) == "Kemper, Long et Thornton (1985)"
    assert bib_sources.cache_info().misses == 2
