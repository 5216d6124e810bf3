r"""Printable PDFs: the whole book through LaTeX, and a two-page brief per evaluation report.

``impact pdf`` (the DVC ``pdf`` stage) calls :func:`publish_pdfs`, which writes
``book/pdf/``:

- ``impact-tank.pdf``, the whole book: Jupyter Book 1's ``pdflatex`` builder with the
  ``latex:`` section of ``book/_config.yml`` (engine xelatex, Sphinx's own LaTeX writer);
- ``synthese-<id>.pdf`` for each study of ``params.yaml``: a two-page French brief for
  events, made from ``results/<id>/estimates.json`` (its ``comparison`` block) and one
  figure of ``results/<id>/figures/``, never from the notebook;
- or, on a machine without TeX, only ``LISEZMOI.txt``, which names the missing tools and
  the commands that install them (``make pdf-tools``, then ``dvc repro -f pdf``).

TeX comes from Debian packages (measured on the project machine), not from pip: see
:data:`APT_PACKAGES` and :func:`missing_tools`.

Reproducibility: TeX is run with ``SOURCE_DATE_EPOCH`` (the time of the git commit unless
already set) and ``FORCE_SOURCE_DATE=1``, so dates in the PDFs are those of the commit and
a rebuild of the same inputs gives byte-identical files. A brief also carries a trailer
``/ID`` derived from its own LaTeX source, so that two different briefs never share one.

Examples
--------
>>> from impactlib.publish.citation import latex_escape
>>> latex_escape("50 % & 3 $")
'50 \\% \\& 3 \\$'
"""

from impactlib.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "LATEX_ELEMENTS": ".book",
        "TODAY_FMT": ".book",
        "build_book_pdf": ".book",
        "TEMPLATE": ".brief",
        "brief_tex": ".brief",
        "build_brief": ".brief",
        "BRIEF_FIGURE": ".brief_text",
        "LAYOUTS": ".brief_text",
        "MAX_PAGES": ".brief_text",
        "brief_figure": ".brief_text",
        "fmt_amount": ".brief_text",
        "fmt_with_interval": ".brief_text",
        "read_comparison_block": ".brief_text",
        "publish_pdfs": ".stage",
        "APT_COMMAND": ".tools",
        "APT_PACKAGES": ".tools",
        "BOOK_PDF": ".tools",
        "EXECUTABLES": ".tools",
        "PDF_DIR": ".tools",
        "PdfBuildError": ".tools",
        "README_FILE": ".tools",
        "TEX_FILES": ".tools",
        "install_instructions": ".tools",
        "missing_tools": ".tools",
        "pdf_page_count": ".tools",
        "source_date_epoch": ".tools",
    },
)
