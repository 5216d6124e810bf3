"""Printable PDFs: the data of the two-page briefs, the ``pdf`` stage, the TeX tools of the
book and its configuration. The compiled briefs, rendered page by page, are checked in
test_pdf_render.py.

The scratch project (:mod:`support.briefs`) holds one study whose every expected string is
worked out by hand.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from docutils import nodes as docutils_nodes
from docutils.core import publish_doctree

from impactlib.core import InputError
from impactlib.publish import citation, pdf
from impactlib.publish.pdf import book, html_tables, stage
from support.briefs import (
    BLOCK,
    KEY_STRINGS,
    MINUS,
    NASTY,
    NNBSP,
    flat,
    make_project,
    png,
    write_results,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("IMPACT_ROOT", str(tmp_path))
    return make_project(tmp_path)


def _text(data: object) -> str:
    """Every string of a brief's data, joined (for substring checks)."""
    if isinstance(data, dict):
        return " | ".join(_text(value) for value in data.values())
    if isinstance(data, list):
        return " | ".join(_text(value) for value in data)
    return data if isinstance(data, str) else ""


# --- LaTeX escaping -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "latex"),
    [
        ("50 %", r"50 \%"),
        ("R&D", r"R\&D"),
        ("plus_value", r"plus\_value"),
        ("#1", r"\#1"),
        ("3 $", r"3 \$"),
        ("~x", r"\textasciitilde{}x"),
        ("x^2", r"x\textasciicircum{}2"),
        (r"C:\chemin", r"C:\textbackslash{}chemin"),
        ("{a}", r"\{a\}"),
        ("sans\u00a0coupure", "sans~coupure"),
        ("deux\nlignes", "deux lignes"),
        (f"{MINUS}1{NNBSP}794", f"{MINUS}1{NNBSP}794"),  # Unicode passes through (xelatex)
    ],
)
def test_latex_escape(text, latex):
    assert citation.latex_escape(text) == latex


def test_escaping_leaves_no_special_character_unescaped():
    escaped = citation.latex_escape(NASTY)
    # Remove the escapes themselves: nothing special may remain.
    rest = re.sub(r"\\(textbackslash|textasciitilde|textasciicircum)\{\}|\\[%&_#${}]", "", escaped)
    assert not set(rest) & set("\\%&_#$~^{}")


# --- The brief's data (what the Typst template prints) ------------------------------------


def test_brief_data_holds_the_key_numbers(project):
    data = pdf.brief_data("demo", project)
    text = flat(_text(data))
    for expected in KEY_STRINGS:
        assert flat(expected) in text, expected
    assert data["simulated"] is False and "DONNÉES SIMULÉES" not in data["footer"]
    assert data["figure"] == "/effet.png" and 0 < data["figure_width"] <= pdf.brief.TEXT_WIDTH_MM
    # How to cite: the entry of book/citation.yaml, outside git the package version.
    assert "Impact Tank (2026). Démonstration\u00a0: une synthèse." in data["citation"]
    assert "impacttank2026-demo" in data["citation_details"]
    labels = [row["label"] for row in data["key_rows"]]
    assert labels[:3] == ["Indicateur", "Méthode", "Effet estimé"]
    assert data["key_rows"][2]["strong"] and data["key_rows"][-1]["accent"]


def test_brief_data_has_french_spaces_and_breakable_long_words():
    assert pdf.french_spacing("a ; b : « c » ?") == "a\u202f; b\u00a0: «\u00a0c\u00a0»\u202f?"
    path = "results/emploi-accompagnement-renforce/figures/distribution.png"
    assert pdf.plain_text(path) == path.replace("/", "/\u200b")
    word = "x" * 40
    assert pdf.plain_text(word).split("\u200b") == ["x" * 16, "x" * 16, "x" * 8]
    assert pdf.plain_text("court") == "court"


def test_a_cost_source_cited_by_key_prints_as_authors_and_year(tmp_path):
    bib = tmp_path / "book" / "references.bib"
    bib.parent.mkdir(parents=True)
    bib.write_text(
        "@book{kemper1984,\n  author = {Kemper, Peter and Long, David A. and Thornton, Craig},"
        "\n  title = {T},\n  year = {1984}\n}\n",
        encoding="utf-8",
    )
    assert citation.cited_source("kemper1984", tmp_path) == "Kemper, Long et Thornton (1984)"
    assert citation.cited_source("absent2020", tmp_path) == "absent2020"
    assert citation.cited_source("hypothèse de travail", tmp_path) == "hypothèse de travail"
    assert citation.cited_source(None, tmp_path) is None


def test_brief_data_says_non_applicable_without_costs(project):
    block = copy.deepcopy(BLOCK)
    reason = "Non applicable : une règle, sans coût de programme."
    block.update(cost_per_beneficiary=None, cost_effectiveness=None, cost_source=reason)
    block["scale_up"].update(
        cost_per_beneficiary=None,
        total_cost=None,
        total_cost_ci_low=None,
        total_cost_ci_high=None,
        impact_per_1000=None,
        cost_per_unit=None,
        cost_per_unit_reason="Non applicable : pas de coût par bénéficiaire.",
    )
    write_results(project, block)
    text = flat(_text(pdf.brief_data("demo", project)))
    assert reason in text
    assert "non applicable : Non applicable" not in text  # the reason is not doubled
    assert text.count("non applicable") >= 3  # impact per 1 000, cost per unit, total cost
    assert "Non applicable : pas de coût par bénéficiaire." in text


def test_brief_data_carries_the_simulated_banner(project):
    block = copy.deepcopy(BLOCK)
    block["simulated"] = True
    write_results(project, block)
    data = pdf.brief_data("demo", project)
    assert data["simulated"] is True
    assert data["footer"].endswith("DONNÉES SIMULÉES")  # the footer of each page
    assert "données fabriquées" in data["banner"]


def test_brief_data_passes_the_texts_of_the_results_unchanged(project):
    # Typst prints them as text, never as markup: nothing is escaped, nothing is lost.
    block = copy.deepcopy(BLOCK)
    block["title"] = NASTY
    block["evidence"]["reasons"] = [NASTY]
    block["cost_source"] = NASTY
    write_results(project, block)
    data = pdf.brief_data("demo", project)
    assert data["title"] == data["pdf_title"] == NASTY
    assert data["evidence_reasons"] == [NASTY]
    assert NASTY in data["key_rows"][4]["value"]


def test_standardised_relative_effect_reads_as_a_percentage(project):
    block = copy.deepcopy(BLOCK)
    block["standardised_effect"].update(
        kind="ratio", value=-0.36018, ci_low=-0.47655, ci_high=-0.21794, label="Rapport − 1"
    )
    write_results(project, block)
    data = pdf.brief_data("demo", project)
    expected = f"{MINUS}36,0{NNBSP}% [{MINUS}47,7{NNBSP}% ; {MINUS}21,8{NNBSP}%]"
    assert flat(expected) in flat(_text(data))


def test_chart_width_keeps_its_height_within_the_layout_share(project):
    figures = project / "results" / "demo" / "figures"
    png(figures / "effet.png", width=100, height=400)  # a tall chart: its height decides
    wide = pdf.brief_data("demo", project, layout=(10.0, 0.42))["figure_width"]
    assert wide == pytest.approx(0.42 * pdf.brief.TEXT_HEIGHT_MM / 4, abs=0.01)
    png(figures / "effet.png", width=1000, height=100)  # a wide one: the text width
    assert pdf.brief_data("demo", project)["figure_width"] == pdf.brief.TEXT_WIDTH_MM


def test_brief_figure_rule(project):
    figures = project / "results" / "demo" / "figures"
    png(figures / "autre.png")
    # Without a brief_figure fact: the first PNG in alphabetical order.
    assert pdf.brief_figure("demo", project) == figures / "autre.png"
    write_results(project, copy.deepcopy(BLOCK), facts={"brief_figure": "effet"})
    assert pdf.brief_figure("demo", project) == figures / "effet.png"
    write_results(project, copy.deepcopy(BLOCK), facts={"brief_figure": "absente.png"})
    with pytest.raises(InputError, match="brief_figure='absente.png' names no file"):
        pdf.brief_figure("demo", project)


def test_brief_without_figure_says_so(project):
    shutil.rmtree(project / "results" / "demo" / "figures")
    assert pdf.brief_figure("demo", project) is None
    data = pdf.brief_data("demo", project)
    assert data["figure"] is None
    assert data["no_figure"] == "Aucune figure enregistrée pour ce travail."


def test_brief_refuses_results_without_comparison_block(project):
    write_results(project, None)
    with pytest.raises(InputError, match="has no 'comparison' block"):
        pdf.brief_data("demo", project)
    shutil.rmtree(project / "results" / "demo")
    with pytest.raises(InputError, match="does not exist"):
        pdf.brief_data("demo", project)


# --- Missing tools ------------------------------------------------------------------------


def test_missing_tools_leave_instructions_and_do_not_fail(project, monkeypatch, capsys):
    stale = project / "book" / "pdf" / "ancien.pdf"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"%PDF-1.5 stale")
    monkeypatch.setattr(shutil, "which", lambda name: None)

    folder = pdf.publish_pdfs(project)

    assert folder == project / "book" / "pdf"
    # The briefs need no TeX: they are there; the book is replaced by the instructions.
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["LISEZMOI.txt", "fingerprint.txt", "synthese-demo.pdf"]
    # DVC's output names the brief only: the instructions are no document.
    fingerprint = (folder / pdf.FINGERPRINT_FILE).read_text(encoding="utf-8")
    assert re.fullmatch(r"[0-9a-f]{64}  synthese-demo\.pdf\n", fingerprint)
    text = (folder / "LISEZMOI.txt").read_text(encoding="utf-8")
    assert "make pdf-tools" in text
    assert "dvc repro -f pdf" in text
    assert pdf.APT_COMMAND in text
    assert "xelatex (texlive-xetex)" in text and "latexmk (latexmk)" in text
    assert text in capsys.readouterr().err
    assert not list((project / "book").glob(".pdf.*"))  # no staging folder left behind


def test_publish_swaps_in_a_complete_folder(project, monkeypatch):
    old = project / "book" / "pdf" / "LISEZMOI.txt"
    old.parent.mkdir(parents=True)
    old.write_text("ancien")
    monkeypatch.setattr(stage, "missing_tools", lambda: [])

    def fake(name):
        def build(*args, output, digests, **_kwargs):
            output.write_bytes(b"%PDF-1.5 " + name.encode())
            digests[output.name] = f"{name}-sources"
            return output

        return build

    monkeypatch.setattr(stage, "build_book_pdf", fake("book"))
    monkeypatch.setattr(stage, "build_brief", fake("brief"))
    folder = pdf.publish_pdfs(project)
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["fingerprint.txt", "impact-tank.pdf", "synthese-demo.pdf"]
    # The stage's DVC output: the digest of each document's sources, by name.
    assert (folder / pdf.FINGERPRINT_FILE).read_text(encoding="utf-8") == (
        "book-sources  impact-tank.pdf\nbrief-sources  synthese-demo.pdf\n"
    )


def test_the_book_source_digest_masks_the_version_and_the_date(tmp_path):
    def latex(name, version, date, body="Texte."):
        folder = tmp_path / name
        folder.mkdir()
        hyphenated = version.replace("-", r"\sphinxhyphen{}")
        (folder / "impact-tank.tex").write_text(
            f"\\date{{{date}}}\n\\release{{{version}}}\n{body} Version {hyphenated}.\n",
            encoding="utf-8",
        )
        (folder / "ab12.png").write_bytes(b"\x89PNG image")
        (folder / "impact-tank.log").write_text(f"xelatex {name}", encoding="utf-8")
        return book.latex_source_digest(folder, version)

    first = latex("a", "v1.0-2-gaaaaaaa", "03 décembre 2026")
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert latex("b", "bbbbbbb-dirty", "09 mars 2031") == first
    assert latex("c", "bbbbbbb-dirty", "09 mars 2031", body="Autre texte.") != first


def test_failed_publication_keeps_the_previous_folder(project, monkeypatch):
    previous = project / "book" / "pdf" / "impact-tank.pdf"
    previous.parent.mkdir(parents=True)
    previous.write_bytes(b"%PDF-1.5 previous")
    monkeypatch.setattr(stage, "missing_tools", lambda: [])

    def fail(*_args, **_kwargs):
        raise pdf.PdfBuildError("xelatex failed")

    monkeypatch.setattr(stage, "build_book_pdf", fail)
    with pytest.raises(pdf.PdfBuildError, match="xelatex failed"):
        pdf.publish_pdfs(project)
    assert previous.read_bytes() == b"%PDF-1.5 previous"
    assert not list((project / "book").glob(".pdf.*"))


def test_missing_tools_lists_absent_tex_files(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")

    def kpsewhich(command, **_kwargs):
        found = "/texmf/polyglossia.sty\n/fonts/FreeSans.otf\n"
        return subprocess.CompletedProcess(command, 0, stdout=found, stderr="")

    monkeypatch.setattr(subprocess, "run", kpsewhich)
    assert pdf.missing_tools() == [
        "fncychap.sty (texlive-latex-extra)",
        "tabulary.sty (texlive-latex-extra)",
        "FreeSerif.otf (fonts-freefont-otf)",
    ]


# --- The book configuration (no TeX needed) -------------------------------------------------


def test_book_config_builds_with_xelatex_without_jupyterbook_latex():
    config = yaml.safe_load((ROOT / "book" / "_config.yml").read_text(encoding="utf-8"))
    assert config["latex"]["latex_engine"] == "xelatex"
    assert config["latex"]["use_jupyterbook_latex"] is False
    assert config["latex"]["latex_documents"]["targetname"] == "impact-tank.tex"


def test_pdf_config_resolves_local_extensions_and_adds_latex_settings(tmp_path):
    path = book._pdf_config(ROOT, tmp_path)
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    original = yaml.safe_load((ROOT / "book" / "_config.yml").read_text(encoding="utf-8"))
    extensions = config["sphinx"]["local_extensions"]
    assert set(extensions) == set(original["sphinx"]["local_extensions"])
    assert all(
        Path(folder).is_absolute() and Path(folder).is_dir() for folder in extensions.values()
    )
    elements = config["sphinx"]["config"]["latex_elements"]
    assert elements["papersize"] == "a4paper" and elements["babel"] == ""
    assert config["latex"] == original["latex"]
    assert config["sphinx"]["config"]["language"] == "fr"


def test_makefile_installs_the_pdf_tools_before_the_pipeline_and_the_tests():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    packages = re.search(r"^PDF_APT_PACKAGES := ((?:.*\\\n)*.*)$", makefile, re.M).group(1)
    for package in (*pdf.APT_PACKAGES, "poppler-utils"):
        assert package in packages.split(), package
    # `make all` (through repro) and `make test` install them, as browser-tools does.
    for target in ("repro", "test", "test-all", "pdf"):
        prerequisites = re.search(rf"^{target}:([^#\n]*)", makefile, re.M).group(1).split()
        assert "pdf-tools" in prerequisites, target


@pytest.mark.slow  # about 45 s per build: the whole book through xelatex, twice
def test_book_pdf_builds_in_french_and_reproducibly(tmp_path):
    missing = pdf.missing_tools()
    assert not missing, f"TeX tools missing ({', '.join(missing)}): run `make pdf-tools`"
    if not list((ROOT / "book" / "reports").glob("*.ipynb")):
        pytest.fail("book/reports holds no executed report: run `dvc repro` first")
    first = pdf.build_book_pdf(ROOT, output=tmp_path / "a" / "impact-tank.pdf")
    assert pdf.pdf_page_count(first) > 50
    assert not (ROOT / "book" / "pdf" / "a").exists()
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(first), "-"], capture_output=True, check=True
    ).stdout.decode("utf-8")
    assert "Chapitre 1. " in text and "Chapter" not in text
    second = pdf.build_book_pdf(ROOT, output=tmp_path / "b" / "impact-tank.pdf")
    assert first.read_bytes() == second.read_bytes()


# --- The notebooks' HTML tables in the book PDF ---------------------------------------------


def test_html_table_rows_fill_spans_with_empty_cells():
    html = (
        "<style></style><table><thead><tr><th>&nbsp;</th><th colspan=2>Effet</th></tr>"
        "</thead><tbody><tr><th rowspan=2>emploi</th><td>1,5</td><td>p&nbsp;=&nbsp;0,2</td>"
        "</tr><tr><td>2<br>ans</td><td>3</td></tr></tbody></table><table><tr><td>x</td></tr>"
    )
    assert html_tables.table_rows(html) == [
        (True, ["", "Effet", ""]),
        (False, ["emploi", "1,5", "p = 0,2"]),
        (False, ["", "2 ans", "3"]),
    ]
    assert html_tables.table_rows("<div class='admonition'>texte</div>") == []


def test_html_tables_become_latex_tables_and_other_raw_html_is_named(caplog):
    source = (
        ".. raw:: html\n\n   <table><thead><tr><th>Champ</th><th>Description</th></tr></thead>"
        "<tr><td>std_label</td><td>Libellé de l'effet standardisé</td></tr></table>\n\n"
        ".. raw:: html\n\n   <id>\n"
    )
    doctree = publish_doctree(source)
    latex = SimpleNamespace(builder=SimpleNamespace(name="latex"))
    html_tables._replace_html_tables(latex, doctree)
    (table,) = doctree.findall(docutils_nodes.table)
    assert [entry.astext() for entry in table.findall(docutils_nodes.entry)] == [
        "Champ",
        "Description",
        "std_label",
        "Libellé de l'effet standardisé",
    ]
    assert "longtable" in table["classes"]
    spec = table.parent[table.parent.index(table) - 1]
    assert spec["spec"].count(r"\X{") == 2 and r"\raggedright" in spec["spec"]
    assert [raw.astext() for raw in doctree.findall(docutils_nodes.raw)] == [
        r"\begingroup\small",
        r"\endgroup",
        "<id>",
    ]


def test_pdf_config_keeps_the_html_of_notebook_outputs_for_latex(tmp_path):
    config = yaml.safe_load(book._pdf_config(ROOT, tmp_path).read_text(encoding="utf-8"))
    assert html_tables.__name__ in config["sphinx"]["extra_extensions"]
    assert config["sphinx"]["config"]["nb_mime_priority_overrides"] == [["latex", "text/html", 45]]


# --- The benefit-cost line of the brief -------------------------------------------------------


def test_brief_prints_the_benefit_cost_a_break_even_cost_or_why_there_is_none():
    from impactlib.publish.pdf.brief_text import key_rows

    money = {"price_year": 2017, "npv": -11284.2, "bcr": 0.2909, "prob_positive": 0.0}
    rows = {row.label: row.value for row in key_rows({**BLOCK, "benefit_cost": money})}
    assert rows["Bilan coût-bénéfice"] == (
        f"bénéfice net de {MINUS}11{NNBSP}284 euros de 2017 par participant (ratio "
        f"bénéfices/coûts 0,29) ; chance qu'il soit positif : 0{NNBSP}%"
    )
    even = {"price_year": 2017, "npv": None, "bcr": None, "break_even_cost": 3000.4}
    rows = {row.label: row.value for row in key_rows({**BLOCK, "benefit_cost": even})}
    assert rows["Bilan coût-bénéfice"] == (
        f"aucun coût publié ; rentable jusqu'à 3{NNBSP}000 euros de 2017 par participant"
    )
    rows = {row.label: row.value for row in key_rows(BLOCK)}
    assert rows["Bilan coût-bénéfice"].startswith("non calculé")
