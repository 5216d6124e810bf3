"""The ``pdf`` stage: ``book/pdf/`` holds a brief per study (Typst) and the book as one PDF
(TeX), or, without TeX, the instructions to install it."""

from __future__ import annotations

import sys
from pathlib import Path

from impactlib.project.atomic import staged_folder
from impactlib.project.fingerprint import write_lines
from impactlib.project.notebooks import declared_studies
from impactlib.project.paths import project_root
from impactlib.publish.pdf.book import build_book_pdf
from impactlib.publish.pdf.brief import build_brief
from impactlib.publish.pdf.tools import (
    BOOK_PDF,
    FINGERPRINT_FILE,
    PDF_DIR,
    README_FILE,
    install_instructions,
    missing_tools,
)


def publish_pdfs(root: Path | None = None) -> Path:
    """Write ``book/pdf/``: one brief per study, and the book PDF or ``LISEZMOI.txt``.

    The briefs need nothing but the Python environment (Typst from PyPI). The book needs
    TeX, which ``make all`` installs (``make pdf-tools``); without it the book is replaced
    by ``LISEZMOI.txt`` (what is missing, how to install it), whose text is also printed
    on stderr, and the stage does not fail.

    The folder is built beside its final place and swapped in only when complete
    (:func:`impactlib.project.atomic.staged_folder`), so a failure leaves the previous one
    untouched.

    DVC records not the PDFs, which print the commit and its date and hold the bytes of the
    TeX of the machine, but :data:`FINGERPRINT_FILE`: a ``<sha256>  <pdf>`` line per
    document, hashing its sources with the version and date masked (the Typst template,
    data and chart of a brief; the LaTeX source of the book), sorted by name.
    """
    root = root or project_root()
    target = root / PDF_DIR
    digests: dict[str, str] = {}
    with staged_folder(target) as staging:
        for study_id in declared_studies(root):
            output = staging / f"synthese-{study_id}.pdf"
            build_brief(study_id, root, output=output, digests=digests)
        missing = missing_tools()
        if missing:
            text = install_instructions(missing)
            (staging / README_FILE).write_text(text, encoding="utf-8")
            print(text, file=sys.stderr)
        else:
            build_book_pdf(root, output=staging / BOOK_PDF, digests=digests)
        lines = [f"{digests[name]}  {name}" for name in sorted(digests)]
        write_lines(staging / FINGERPRINT_FILE, lines)
    return target
