"""The PDFs the main job writes: `impact repro` in the session's copy (conftest.py) leaves the
book as one PDF and a two-page brief per study in book/pdf/, not the LISEZMOI.txt of a
machine without TeX.

TeX (for the book) and poppler-utils (to read the pages back) come from `make pdf-tools`, a
prerequisite of `make test` and of `make all`: without them this test fails and says so.
Each brief's pages are rendered and checked by support.pdfpages.assert_printable_brief,
as in tests/unit/test_pdf_render.py.
"""

from __future__ import annotations

import pytest

from impactlib.project.notebooks import declared_studies
from impactlib.publish import pdf
from support import pdfpages
from support.pdfpages import assert_printable_brief

pytestmark = pytest.mark.pipeline

# The book PDF had 167 pages on the project machine (2026-12-03); far fewer means that
# chapters are missing.
MIN_BOOK_PAGES = 120


def test_pdf_stage_writes_the_book_and_a_brief_per_study(project):
    root = project["root"]
    folder = root / "book" / "pdf"
    assert not pdf.missing_tools(), (
        f"TeX tools missing: {pdf.missing_tools()}; run `make pdf-tools`"
    )
    names = {path.name for path in folder.iterdir()}
    briefs = {f"synthese-{study}.pdf" for study in declared_studies(root)}
    assert names == {pdf.BOOK_PDF, pdf.FINGERPRINT_FILE} | briefs  # no LISEZMOI.txt
    # DVC's output: a line per document, the digest of its sources.
    lines = (folder / pdf.FINGERPRINT_FILE).read_text(encoding="utf-8").splitlines()
    assert [line.split("  ")[1] for line in lines] == sorted({pdf.BOOK_PDF} | briefs)
    book = folder / pdf.BOOK_PDF
    assert pdfpages.page_total(book) == pdf.pdf_page_count(book) >= MIN_BOOK_PAGES
    text = pdfpages.text(book)
    assert "Chapitre 1. " in text and "Chapter" not in text  # the book is in French
    for name in sorted(briefs):
        assert_printable_brief(folder / name)
