"""Printable PDFs: the two-page briefs, the book through LaTeX, the stage without TeX.

The briefs are checked on a scratch project whose results file is written here, so every
expected string below is the French formatting of a number of that file, worked out by
hand (three significant digits for effects, narrow no-break spaces U+202F between
thousands, a comma as decimal mark, U+2212 for minus).

Tests that run TeX are skipped, with the missing tools named, on a machine without it
(``make pdf-tools`` installs them). Measured on 2 cores: with TeX the default run of this
file takes about 14 s (a brief compiles in about 1 s), without TeX about 6 s; the book PDF
test builds the book twice (about 40 s each) and is marked slow.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
import yaml

from impactlib.core import InputError
from impactlib.publish import citation, pdf
from impactlib.publish.pdf import book, stage

ROOT = Path(__file__).resolve().parents[2]
MISSING = pdf.missing_tools()
needs_tex = pytest.mark.skipif(
    bool(MISSING), reason=f"TeX tools missing ({', '.join(MISSING)}): run `make pdf-tools`"
)
NNBSP = "\u202f"
MINUS = "\u2212"

NASTY = r"Taux à 50 % & plus_value #1 $ 3 ~ x^2 \chemin {accolades}"

# A report's comparison block (impactlib.appraisal.comparison_block), numbers chosen so that
# the formatted strings are easy to work out by hand.
BLOCK = {
    "title": "Accompagnement vers l'emploi (démonstration)",
    "theme": "emploi",
    "innovation": "Emploi de transition encadré",
    "design": "rct",
    "outcome": "Revenu annuel (dollars)",
    "simulated": False,
    "headline": {
        "value": 1794.342,
        "std_error": 670.99,
        "ci_low": 475.61,
        "ci_high": 3113.07,
        "p_value": 0.0078,
        "n": 445,
        "n_treated": 185,
        "n_control": 260,
        "n_clusters": None,
        "alpha": 0.05,
    },
    "standardised_effect": {
        "value": 0.3272,
        "ci_low": 0.0867,
        "ci_high": 0.5677,
        "kind": "smd",
        "label": "Différence standardisée (en écarts-types du groupe témoin)",
        "reason": None,
    },
    "cost_per_beneficiary": 8000.0,
    "cost_effectiveness": {
        "cost_per_beneficiary": 8000.0,
        "cost_per_unit": 4.4585,
        "cost_per_unit_ci_low": 2.5698,
        "cost_per_unit_ci_high": 16.8205,
        "cost_per_unit_reason": None,
        "impact_per_1000": 224.2928,
        "impact_per_1000_ci_low": 59.4513,
        "impact_per_1000_ci_high": 389.1343,
        "higher_is_better": True,
        "effect_unit": "dollars de revenu annuel",
        "currency": "EUR",
        "alpha": 0.05,
    },
    "cost_source": "hypothèse de travail",
    "evidence": {
        "level": "moderate",
        "label": "modéré",
        "reasons": [
            "Essai randomisé : niveau de départ élevé.",
            "Caractère indirect sérieux : −1.",
        ],
    },
    "scale_up": {
        "target_population": 10000,
        "take_up": 0.55,
        "take_up_range": [0.4, 0.7],
        "cost_per_beneficiary": 8000.0,
        "attenuation": 0.8,
        "beneficiaries": 5500.0,
        "beneficiaries_ci_low": 4067.5,
        "beneficiaries_ci_high": 6928.5,
        "total_cost": 44000000.0,
        "total_cost_ci_low": 32540395.0,
        "total_cost_ci_high": 55427860.0,
        "total_effect": 7895106.0,
        "total_effect_ci_low": 1984461.0,
        "total_effect_ci_high": 14713223.0,
        "impact_per_1000": 179.434,
        "impact_per_1000_ci_low": 47.108,
        "impact_per_1000_ci_high": 312.71,
        "cost_per_unit": 5.5731,
        "cost_per_unit_ci_low": 3.1979,
        "cost_per_unit_ci_high": 21.2277,
        "cost_per_unit_reason": None,
        "higher_is_better": True,
        "effect_unit": "dollars de revenu annuel",
        "currency": "EUR",
        "alpha": 0.05,
        "n_resamples": 10000,
    },
}

# What the brief must print for BLOCK, by hand.
KEY_STRINGS = [
    # effect: largest of value and bounds is 3 113, so 0 decimals
    f"1{NNBSP}794 dollars de revenu annuel, IC à 95{NNBSP}% [476 ; 3{NNBSP}113]",
    "p\u00a0=\u00a00,008",
    "n\u00a0=\u00a0445 (185 traités, 260 témoins)",
    "0,33 écart-type [0,09 ; 0,57]",  # standardised mean difference: 2 decimals
    f"8{NNBSP}000 EUR (hypothèse de travail)",
    "224 [59 ; 389] dollars de revenu annuel",  # impact per 1 000 EUR: bounds up to 389
    "4,5 [2,6 ; 16,8] EUR par unité d'effet",  # cost per unit: bounds up to 16.8
    "modéré",
    "Essai randomisé : niveau de départ élevé.",
    f"Caractère indirect sérieux : {MINUS}1.",
    f"population cible 10{NNBSP}000 ; taux de recours 55{NNBSP}% (entre 40{NNBSP}% et 70{NNBSP}%)",
    f"5{NNBSP}500 [4{NNBSP}068 ; 6{NNBSP}928]",  # beneficiaries (4 067.5 rounds half to even)
    "44,0 millions [32,5 ; 55,4] EUR",  # total cost, in millions
    "7,9 millions [2,0 ; 14,7]",  # total effect: bounds up to 14.7 millions
    "179 [47 ; 313] dollars de revenu annuel",
    "5,6 [3,2 ; 21,2] EUR par unité d'effet",  # cost per unit at scale: bounds up to 21.2
]

CITATION_YAML = """\
defaults:
  authors:
    - name: Impact Tank
      orcid: ""
  publisher: Impact Tank
  language: fr
  licence:
    id: CC-BY-4.0
    name: Creative Commons Attribution 4.0 International
    url: https://creativecommons.org/licenses/by/4.0/deed.fr
pages:
  demo:
    title: "Démonstration : une synthèse"
    date: 2026-11-26
    doi: ""
"""


def _png(path: Path, width: int = 40, height: int = 20) -> Path:
    """A small valid RGB PNG (a blue rectangle), written without an imaging library."""
    row = b"\x00" + b"\x1b\x49\x65" * width
    raw = zlib.compress(row * height)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
    )
    return path


def _write_results(root: Path, block: dict | None, facts: dict | None = None) -> None:
    payload = {"schema_version": 1, "study": "demo", "estimates": {}, "facts": facts or {}}
    if block is not None:
        payload["comparison"] = block
    folder = root / "results" / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "estimates.json").write_text(json.dumps(payload, ensure_ascii=False), "utf-8")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch project with one study, ``demo``: params, citation entry, results, figure."""
    (tmp_path / "dvc.yaml").write_text("stages: {}\n")
    (tmp_path / "params.yaml").write_text("studies:\n  - demo\n")
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "citation.yaml").write_text(CITATION_YAML, encoding="utf-8")
    _write_results(tmp_path, copy.deepcopy(BLOCK))
    _png(tmp_path / "results" / "demo" / "figures" / "effet.png")
    monkeypatch.setenv("IMPACT_ROOT", str(tmp_path))
    return tmp_path


def _pdf_text(path: Path) -> str | None:
    """The text of a PDF by pdftotext (poppler-utils), or None when it is not installed."""
    if shutil.which("pdftotext") is None:
        return None
    completed = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    )
    return completed.stdout.decode("utf-8")


def _flat(text: str) -> str:
    """Text with every run of spaces (line breaks, narrow or not) as one plain space."""
    return " ".join(re.split(r"[\s\u202f\u00a0]+", text))


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


# --- The brief's LaTeX source (no TeX needed) -----------------------------------------------


def test_brief_source_holds_the_key_numbers(project):
    source = pdf.brief_tex("demo", project)
    for expected in KEY_STRINGS:
        assert citation.latex_escape(expected) in source, expected
    assert "DONNÉES SIMULÉES" not in source
    assert r"\includegraphics" in source and "{figure.png}" in source
    # How to cite: the entry of book/citation.yaml, outside git the package version.
    assert citation.latex_escape("Impact Tank (2026). Démonstration : une synthèse.") in source
    assert "impacttank2026-demo" in source


def test_brief_source_says_non_applicable_without_costs(project):
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
    _write_results(project, block)
    source = pdf.brief_tex("demo", project)
    assert citation.latex_escape(reason) in source
    assert "non applicable : Non applicable" not in source  # the reason is not doubled
    assert source.count("non applicable") >= 3  # impact per 1 000, cost per unit, total cost
    assert citation.latex_escape("Non applicable : pas de coût par bénéficiaire.") in source


def test_brief_source_carries_the_simulated_banner(project):
    block = copy.deepcopy(BLOCK)
    block["simulated"] = True
    _write_results(project, block)
    source = pdf.brief_tex("demo", project)
    assert "DONNÉES SIMULÉES" in source.split(r"\begin{document}")[1]  # banner
    assert "DONNÉES SIMULÉES" in source.split(r"\begin{document}")[0]  # footer of each page


def test_brief_source_escapes_every_text_of_the_results(project):
    block = copy.deepcopy(BLOCK)
    block["title"] = NASTY
    block["evidence"]["reasons"] = [NASTY]
    block["cost_source"] = NASTY
    _write_results(project, block)
    source = pdf.brief_tex("demo", project)
    assert NASTY not in source
    assert source.count(citation.latex_escape(NASTY)) >= 4  # pdf title, title, reason, cost


def test_standardised_relative_effect_reads_as_a_percentage(project):
    block = copy.deepcopy(BLOCK)
    block["standardised_effect"].update(
        kind="ratio", value=-0.36018, ci_low=-0.47655, ci_high=-0.21794, label="Rapport − 1"
    )
    _write_results(project, block)
    source = pdf.brief_tex("demo", project)
    expected = f"{MINUS}36,0{NNBSP}% [{MINUS}47,7{NNBSP}% ; {MINUS}21,8{NNBSP}%]"
    assert citation.latex_escape(expected) in source


def test_brief_figure_rule(project):
    figures = project / "results" / "demo" / "figures"
    _png(figures / "autre.png")
    # Without a brief_figure fact: the first PNG in alphabetical order.
    assert pdf.brief_figure("demo", project) == figures / "autre.png"
    _write_results(project, copy.deepcopy(BLOCK), facts={"brief_figure": "effet"})
    assert pdf.brief_figure("demo", project) == figures / "effet.png"
    _write_results(project, copy.deepcopy(BLOCK), facts={"brief_figure": "absente.png"})
    with pytest.raises(InputError, match="brief_figure='absente.png' names no file"):
        pdf.brief_figure("demo", project)


def test_brief_without_figure_says_so(project):
    shutil.rmtree(project / "results" / "demo" / "figures")
    assert pdf.brief_figure("demo", project) is None
    source = pdf.brief_tex("demo", project)
    assert r"\includegraphics" not in source
    assert "Aucune figure" in source


def test_brief_refuses_results_without_comparison_block(project):
    _write_results(project, None)
    with pytest.raises(InputError, match="has no 'comparison' block"):
        pdf.brief_tex("demo", project)
    shutil.rmtree(project / "results" / "demo")
    with pytest.raises(InputError, match="does not exist"):
        pdf.brief_tex("demo", project)


def test_trailer_id_is_a_digest_of_the_brief(project):
    first = pdf.brief_tex("demo", project)
    assert first == pdf.brief_tex("demo", project)
    block = copy.deepcopy(BLOCK)
    block["title"] = "Autre titre"
    _write_results(project, block)
    second = pdf.brief_tex("demo", project)
    ids = [re.search(r"pdf:trailerid \[<([0-9a-f]{32})>", s).group(1) for s in (first, second)]
    assert ids[0] != ids[1]


# --- Missing tools ------------------------------------------------------------------------


def test_missing_tools_leave_instructions_and_do_not_fail(project, monkeypatch, capsys):
    stale = project / "book" / "pdf" / "ancien.pdf"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"%PDF-1.5 stale")
    monkeypatch.setattr(shutil, "which", lambda name: None)

    folder = pdf.publish_pdfs(project)

    assert folder == project / "book" / "pdf"
    assert sorted(p.name for p in folder.iterdir()) == ["LISEZMOI.txt"]
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
        def build(*args, output, **_kwargs):
            output.write_bytes(b"%PDF-1.5 " + name.encode())
            return output

        return build

    monkeypatch.setattr(stage, "build_book_pdf", fake("book"))
    monkeypatch.setattr(stage, "build_brief", fake("brief"))
    folder = pdf.publish_pdfs(project)
    assert sorted(p.name for p in folder.iterdir()) == ["impact-tank.pdf", "synthese-demo.pdf"]


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


def test_makefile_pdf_tools_installs_the_packages_of_the_module():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    if "pdf-tools" not in makefile:
        pytest.skip("the Makefile has no pdf-tools target yet")
    for package in pdf.APT_PACKAGES:
        assert package in makefile, package


# --- Compiled briefs (TeX needed) -----------------------------------------------------------


@needs_tex
def test_brief_is_at_most_two_pages_and_holds_the_key_numbers(project):
    path = pdf.build_brief("demo", project)
    assert path == project / "book" / "pdf" / "synthese-demo.pdf"
    assert path.read_bytes().startswith(b"%PDF-")
    assert 1 <= pdf.pdf_page_count(path) <= 2
    text = _pdf_text(path)
    if text is not None:  # poppler-utils installed: read the PDF itself
        flat = _flat(text)
        for expected in KEY_STRINGS[:6]:
            assert _flat(expected) in flat, expected


@needs_tex
def test_brief_is_byte_identical_across_builds(project, tmp_path, monkeypatch):
    # The scratch project is no git checkout: the date comes from the environment (in the
    # repository it is the commit time).
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")
    first = pdf.build_brief("demo", project, output=tmp_path / "a.pdf")
    second = pdf.build_brief("demo", project, output=tmp_path / "b.pdf")
    assert (
        hashlib.sha256(first.read_bytes()).digest() == hashlib.sha256(second.read_bytes()).digest()
    )


@needs_tex
def test_brief_with_nasty_strings_compiles_and_prints_them(project):
    block = copy.deepcopy(BLOCK)
    block["title"] = NASTY
    block["simulated"] = True
    _write_results(project, block)
    path = pdf.build_brief("demo", project)
    assert pdf.pdf_page_count(path) <= 2
    text = _pdf_text(path)
    if text is not None:
        assert _flat(NASTY) in _flat(text)
        assert "DONNÉES SIMULÉES" in text


@needs_tex
def test_long_brief_shrinks_to_two_pages_or_is_refused(project):
    block = copy.deepcopy(BLOCK)
    block["evidence"]["reasons"] = [f"Raison {i} : " + "texte assez long " * 8 for i in range(14)]
    _write_results(project, block)
    assert pdf.pdf_page_count(pdf.build_brief("demo", project)) <= 2
    block["evidence"]["reasons"] = block["evidence"]["reasons"] * 6
    _write_results(project, block)
    with pytest.raises(pdf.PdfBuildError, match="pages even in its smallest layout") as error:
        pdf.build_brief("demo", project)
    kept = Path(re.search(r"LaTeX files in (\S+)", str(error.value)).group(1))
    assert (kept / "brief.tex").is_file()  # kept for the author to look at
    shutil.rmtree(kept)


@needs_tex
def test_page_count_agrees_with_pdfinfo(project):
    if shutil.which("pdfinfo") is None:
        pytest.skip("pdfinfo (poppler-utils) not installed")
    path = pdf.build_brief("demo", project)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))
    assert pdf.pdf_page_count(path) == pages


@needs_tex
@pytest.mark.slow  # about 45 s: the whole book through xelatex
def test_book_pdf_builds_in_french_and_reproducibly(tmp_path):
    if not list((ROOT / "book" / "reports").glob("*.ipynb")):
        pytest.skip("book/reports holds no executed report: run `dvc repro` first")
    first = pdf.build_book_pdf(ROOT, output=tmp_path / "a" / "impact-tank.pdf")
    assert pdf.pdf_page_count(first) > 50
    assert not (ROOT / "book" / "pdf" / "a").exists()
    text = _pdf_text(first)
    if text is not None:
        assert "Chapitre 1" in text and "Chapter" not in text
    second = pdf.build_book_pdf(ROOT, output=tmp_path / "b" / "impact-tank.pdf")
    assert first.read_bytes() == second.read_bytes()
