"""Printable PDFs: a two-page brief per evaluation report (Typst), the whole book (LaTeX).

``impact pdf`` (the DVC ``pdf`` stage) calls :func:`publish_pdfs`, which writes
``book/pdf/``:

- ``synthese-<id>.pdf`` for each study of ``params.yaml``: a two-page French brief for
  events, made from ``results/<id>/estimates.json`` (its ``comparison`` block) and one
  figure of ``results/<id>/figures/``, never from the notebook. Typst typesets it through
  the ``typst`` wheel of PyPI, with the fonts embedded in that wheel only (Libertinus
  Serif): it needs nothing outside the Python environment;
- ``impact-tank.pdf``, the whole book: Jupyter Book 1's ``pdflatex`` builder with the
  ``latex:`` section of ``book/_config.yml`` (engine xelatex, Sphinx's own LaTeX writer).
  TeX comes from Debian packages (:data:`APT_PACKAGES`), which ``make all`` installs
  through ``make pdf-tools``; on a machine without them the book is replaced by
  ``LISEZMOI.txt``, which names the missing tools and the commands that install them.

Reproducibility: Typst gets the time of the git commit as its timestamp, TeX runs with
``SOURCE_DATE_EPOCH`` (the same) and ``FORCE_SOURCE_DATE=1``, so a rebuild of the same
inputs gives byte-identical files on one machine. DVC records ``book/pdf/fingerprint.txt``
rather than the PDFs, which print the commit and its date and differ with the TeX version:
a line per document hashing its sources, version and date masked.

Examples
--------
>>> from impactlib.publish.pdf import french_spacing
>>> french_spacing("IC [1 ; 2]") == "IC [1\u202f; 2]"
True
"""

from impactlib.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "LATEX_ELEMENTS": ".book",
        "TODAY_FMT": ".book",
        "build_book_pdf": ".book",
        "latex_source_digest": ".book",
        "TEMPLATE": ".brief",
        "brief_data": ".brief",
        "build_brief": ".brief",
        "compile_brief": ".brief",
        "source_digest": ".brief",
        "LAYOUTS": ".brief_text",
        "MAX_PAGES": ".brief_text",
        "Row": ".brief_text",
        "brief_figure": ".brief_text",
        "french_spacing": ".brief_text",
        "plain_text": ".brief_text",
        "fmt_amount": ".brief_text",
        "fmt_with_interval": ".brief_text",
        "read_comparison_block": ".brief_text",
        "publish_pdfs": ".stage",
        "APT_COMMAND": ".tools",
        "APT_PACKAGES": ".tools",
        "BOOK_PDF": ".tools",
        "EXECUTABLES": ".tools",
        "FINGERPRINT_FILE": ".tools",
        "PDF_DIR": ".tools",
        "PdfBuildError": ".tools",
        "README_FILE": ".tools",
        "TEX_FILES": ".tools",
        "install_instructions": ".tools",
        "missing_tools": ".tools",
        "page_count": ".tools",
        "pdf_page_count": ".tools",
        "source_date_epoch": ".tools",
    },
)
