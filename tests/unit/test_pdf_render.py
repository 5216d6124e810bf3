"""The compiled two-page briefs, read back by poppler-utils: page count, text, pixels.

Typst comes from PyPI with the environment and poppler-utils from `make pdf-tools` (a
prerequisite of `make test`), so nothing here is skipped: without pdftoppm the tests fail
and say how to install it. Each page is rendered (support.pdfpages): a page whose share of
ink above the footer is under 1 % is blank; ink in the bands of paper along the edges is
text pushed past the margins. A brief has exactly two pages, or it is refused.

Measured on the project machine (2 busy cores): a brief compiles in about 0.09 s; this
file runs in about 7 s.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from impactlib.project.notebooks import declared_studies
from impactlib.publish import citation, pdf
from support import pdfpages
from support.briefs import BLOCK, KEY_STRINGS, NASTY, flat, make_project, png, write_results
from support.pdfpages import assert_printable_brief

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "projet"
    root.mkdir()
    monkeypatch.setenv("IMPACT_ROOT", str(root))
    return make_project(root)


def test_brief_has_two_printable_pages_with_the_key_numbers(project):
    path = pdf.build_brief("demo", project)
    assert path == project / "book" / "pdf" / "synthese-demo.pdf"
    assert_printable_brief(path)
    text = flat(pdfpages.text(path))
    for expected in KEY_STRINGS:  # accents, no-break spaces, U+2212: all printed
        assert flat(expected) in text, expected
    first, second = pdfpages.text(path).split("\f")[:2]
    assert "Les chiffres clés" in first and "Citer ce document" in second


def test_brief_embeds_only_the_fonts_of_the_typst_wheel(project):
    path = pdf.build_brief("demo", project)
    listed = subprocess.run(
        [pdfpages.require("pdffonts"), str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert listed
    for line in listed:
        name, embedded = line.split()[0], line.split()[-5]
        assert "Libertinus" in name or "NewCM" in name, line
        assert embedded == "yes", line


def test_brief_is_byte_identical_across_builds(project, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")
    first = pdf.build_brief("demo", project, output=tmp_path / "a.pdf")
    second = pdf.build_brief("demo", project, output=tmp_path / "b.pdf")
    assert first.read_bytes() == second.read_bytes()
    info = subprocess.run(
        [pdfpages.require("pdfinfo"), "-isodates", str(first)], capture_output=True, text=True
    ).stdout
    assert re.search(r"^CreationDate:\s+2026-11-18T", info, re.M)  # from the epoch


def test_brief_with_nasty_strings_prints_them(project):
    block = copy.deepcopy(BLOCK)
    block["title"] = NASTY
    block["simulated"] = True
    block["evidence"]["reasons"] = [NASTY, "*gras* _souligné_ <étiquette> @ref = $x$ // #fin"]
    write_results(project, block)
    path = pdf.build_brief("demo", project)
    assert_printable_brief(path)
    text = flat(pdfpages.text(path))
    assert flat(NASTY) in text
    assert "*gras* _souligné_ <étiquette> @ref = $x$ // #fin" in text
    assert text.count("DONNÉES SIMULÉES") >= 3  # the banner and each page's footer


def test_long_words_stay_within_the_margins(project):
    block = copy.deepcopy(BLOCK)
    url = "https://exemple.org/" + "abcdefghij" * 20
    block["cost_source"] = url
    block["evidence"]["reasons"] = ["x" * 300]
    write_results(project, block)
    path = pdf.build_brief("demo", project)
    assert_printable_brief(path)
    assert url in pdfpages.text(path).replace("\u200b", "").replace("\n", "")


def test_long_brief_shrinks_to_two_pages_or_is_refused(project):
    block = copy.deepcopy(BLOCK)
    block["evidence"]["reasons"] = [f"Raison {i} : " + "texte assez long " * 8 for i in range(14)]
    write_results(project, block)
    assert_printable_brief(pdf.build_brief("demo", project))
    block["evidence"]["reasons"] = block["evidence"]["reasons"] * 6
    write_results(project, block)
    with pytest.raises(pdf.PdfBuildError, match="pages even in its smallest layout") as error:
        pdf.build_brief("demo", project)
    kept = Path(re.search(r"are in (\S+)", str(error.value)).group(1))
    assert json.loads((kept / "data.json").read_text(encoding="utf-8"))["font_size"] == 9.0
    assert pdfpages.page_total(kept / "brief.pdf") > pdf.MAX_PAGES
    shutil.rmtree(kept)


def test_a_first_page_that_overflows_is_refused_not_spilled(project):
    # Page 1 ends with a page break: its overflow would make a third page, never a page 2
    # that starts with the end of page 1.
    block = copy.deepcopy(BLOCK)
    block["innovation"] = "Une description bien trop longue pour une synthèse. " * 120
    write_results(project, block)
    with pytest.raises(pdf.PdfBuildError, match="pages even in its smallest layout"):
        pdf.build_brief("demo", project)


@pytest.mark.parametrize("study_id", declared_studies(ROOT))
def test_brief_of_each_study_of_the_repository(study_id, tmp_path, monkeypatch):
    # The texts and numbers of the real results (kept in git), in a scratch copy. Their
    # charts are DVC outputs: a fresh clone has none yet, so a placeholder of a chart's
    # usual shape stands in for a missing one.
    root = tmp_path / "copie"
    (root / "book").mkdir(parents=True)
    (root / "dvc.yaml").write_text("stages: {}\n")
    shutil.copy(ROOT / "params.yaml", root / "params.yaml")
    shutil.copy(ROOT / "book" / "citation.yaml", root / "book" / "citation.yaml")
    results = ROOT / "results" / study_id
    (root / "results" / study_id).mkdir(parents=True)
    shutil.copy(results / "estimates.json", root / "results" / study_id / "estimates.json")
    figures = root / "results" / study_id / "figures"
    if (results / "figures").is_dir():
        shutil.copytree(results / "figures", figures)
    facts = json.loads((results / "estimates.json").read_text(encoding="utf-8")).get("facts")
    chosen = (facts or {}).get("brief_figure") or "figure"
    name = chosen if str(chosen).endswith(".png") else f"{chosen}.png"
    if not (figures / name).is_file() and not list(figures.glob("*.png")):
        png(figures / name, width=1200, height=750)
    monkeypatch.setenv("IMPACT_ROOT", str(root))
    path = pdf.build_brief(study_id, root)
    assert_printable_brief(path)
    block = yaml.safe_load((results / "estimates.json").read_text(encoding="utf-8"))
    text = flat(pdfpages.text(path))
    assert flat(block["comparison"]["title"]) in text
    assert flat(block["comparison"]["evidence"]["label"]) in text


def test_the_fingerprint_of_a_brief_ignores_the_commit_and_its_date(project, tmp_path):
    """The PDF prints the version and carries the commit's date; the digest of its sources,
    what DVC records (book/pdf/fingerprint.txt), changes with neither, but with its data."""
    builds = []
    for epoch, described in (("1795000000", "v1.0-2-gaaaaaaa"), ("1796000000", "bbbbbbb-dirty")):
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("SOURCE_DATE_EPOCH", epoch)
            patch.setattr(citation, "describe", lambda _root, found=described: found)
            digests: dict[str, str] = {}
            path = pdf.build_brief("demo", project, output=tmp_path / "a.pdf", digests=digests)
            assert described in flat(pdfpages.text(path))
            builds.append((path.read_bytes(), digests))
    (first_pdf, first), (second_pdf, second) = builds
    assert first_pdf != second_pdf
    assert list(first) == ["a.pdf"] and re.fullmatch(r"[0-9a-f]{64}", first["a.pdf"])
    assert first == second

    block = copy.deepcopy(BLOCK)
    block["title"] += " (révisé)"
    write_results(project, block)
    changed: dict[str, str] = {}
    pdf.build_brief("demo", project, output=tmp_path / "a.pdf", digests=changed)
    assert changed["a.pdf"] != first["a.pdf"]
