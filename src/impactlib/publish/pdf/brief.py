"""Two-page briefs of the reports and the ``pdf`` stage that writes ``book/pdf/``."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from impactlib.project.atomic import atomic_path
from impactlib.project.paths import project_root
from impactlib.publish import citation
from impactlib.publish.citation import latex_escape
from impactlib.publish.pdf.book import build_book_pdf
from impactlib.publish.pdf.brief_text import (
    BRIEF_FIGURE,
    LAYOUTS,
    MAX_PAGES,
    _fill,
    _key_rows,
    _scale_up,
    _theme_label,
    brief_figure,
    read_comparison_block,
)
from impactlib.publish.pdf.tools import (
    _NO_ID,
    BOOK_PDF,
    PDF_DIR,
    README_FILE,
    PdfBuildError,
    _breakable_paths,
    _compile,
    _swap,
    _trailer_id,
    install_instructions,
    missing_tools,
)

TEMPLATE = Path(__file__).with_name("templates") / "brief.tex"


def brief_tex(
    study_id: str,
    root: Path | None = None,
    *,
    layout: tuple[str, float] = LAYOUTS[0],
) -> str:
    """The LaTeX source of the brief of ``study_id``.

    Every number comes from ``results/<id>/estimates.json``, formatted the French way
    (:mod:`impactlib.report`); every string is escaped with :func:`latex_escape`. The
    "how to cite" block comes from ``book/citation.yaml`` and the repository version
    (:mod:`impactlib.publish.citation`). The chart (:func:`brief_figure`) is included as
    ``figure.png``, the name :func:`build_brief` copies it to; without one, the brief says
    that the study saved no figure. ``layout`` is the font size and the chart's height as
    a share of the text height.
    """
    root = root or project_root()
    block = read_comparison_block(study_id, root)["comparison"]
    page = citation.page(study_id, root)
    version = citation.version(root)
    simulated = bool(block.get("simulated"))
    evidence = block["evidence"]
    figure = brief_figure(study_id, root)

    banner = ""
    if simulated:
        banner = (
            r"\vspace{0.4em}\noindent\fcolorbox{accent}{accent!12}{\parbox{\dimexpr\linewidth-2"
            r"\fboxsep-2\fboxrule}{\bfseries\color{accent}DONNÉES SIMULÉES\quad"
            r"\normalfont\color{black}"
            + latex_escape(
                "Cette synthèse illustre une méthode sur des données fabriquées : ses chiffres "
                "ne mesurent l'effet d'aucun programme réel."
            )
            + "}}"
        )
    if figure is None:
        chart = (
            r"{\small\itshape " + latex_escape("Aucune figure enregistrée pour ce travail.") + "}"
        )
    else:
        chart = (
            r"\begin{center}\includegraphics[width=\linewidth,height="
            f"{layout[1]:.2f}"
            r"\textheight,keepaspectratio]{" + BRIEF_FIGURE + r"}\end{center}"
        )
    reasons = "\n".join(rf"\item {latex_escape(reason)}" for reason in evidence.get("reasons", []))
    reasons_block = (
        f"\\begin{{itemize}}\n{reasons}\n\\end{{itemize}}" if reasons else latex_escape("—")
    )
    doi = f"DOI {page.doi}" if page.doi else "DOI : à attribuer"
    cite = (
        latex_escape(page.reference(version))
        + r"\par{\small "
        + latex_escape(
            f"Clé BibTeX : {page.key} ; {doi} ; texte sous licence {page.licence_id} "
            f"({page.licence_name}). Le rapport complet, avec ses données et son code, est "
            f"le chapitre {study_id} du livre d'Impact Tank."
        )
        + "}"
    )
    sources = f"results/{study_id}/estimates.json"
    if figure is not None:
        sources += f" et results/{study_id}/figures/{figure.name}"
    provenance = _breakable_paths(
        latex_escape(
            f"Document produit automatiquement à partir de {sources} (version {version}) ; "
            "ne pas le modifier à la main."
        )
    )
    footer = f"Impact Tank — {study_id} — version {version}"
    if simulated:
        footer += " — DONNÉES SIMULÉES"
    authors = citation.join_french([a.display for a in page.authors])
    values = {
        "fontsize": layout[0],
        "pdf_title": latex_escape(block["title"]),
        "pdf_author": latex_escape(authors),
        "theme": latex_escape(_theme_label(block["theme"])),
        "title": latex_escape(block["title"]),
        "innovation": latex_escape(block.get("innovation", "")),
        "banner": banner,
        "key_rows": "\n\\addlinespace[2pt]\n".join(_key_rows(block)),
        "figure": chart,
        "evidence_label": latex_escape(evidence.get("label", "")),
        "evidence_reasons": reasons_block,
        "scale_up": _scale_up(block),
        "citation": cite,
        "provenance": provenance,
        "footer": latex_escape(footer),
        "trailer_id": _NO_ID,
    }
    source = _fill(TEMPLATE.read_text(encoding="utf-8"), values)
    # The trailer /ID is a digest of the source itself: identical briefs share it, and two
    # different ones never do.
    special = f"\\special{{pdf:trailerid [{_NO_ID}]}}"
    if special not in source:
        raise RuntimeError(f"brief template lacks {special}")
    return source.replace(special, f"\\special{{pdf:trailerid [{_trailer_id(source)}]}}", 1)


def build_brief(study_id: str, root: Path | None = None, *, output: Path | None = None) -> Path:
    """Build the two-page French brief of a report; return the PDF's path.

    Default ``output``: ``book/pdf/synthese-<id>.pdf``. The brief holds the headline effect
    with its interval, the standardised effect, the cost per beneficiary, the impact per
    1 000 of currency and the cost per unit of effect ("non applicable" when the report has
    no cost), the level of evidence with its reasons, the scale-up projection with its
    intervals, one chart (:func:`brief_figure`), how to cite the report, and a "données
    simulées" banner when the data are simulated.

    The layouts of :data:`LAYOUTS` are tried in order until the brief fits on two pages;
    :class:`PdfBuildError` if none does.
    """
    root = root or project_root()
    target = Path(output) if output else root / PDF_DIR / f"synthese-{study_id}.pdf"
    chart = brief_figure(study_id, root)
    folder = Path(tempfile.mkdtemp(prefix=f"impact-brief-{study_id}-"))
    if chart is not None:
        shutil.copyfile(chart, folder / BRIEF_FIGURE)
    pages = 0
    for layout in LAYOUTS:
        pdf, pages = _compile(brief_tex(study_id, root, layout=layout), folder, root)
        if pages <= MAX_PAGES:
            with atomic_path(target) as tmp:
                shutil.copyfile(pdf, tmp)
            shutil.rmtree(folder, ignore_errors=True)
            return target
    raise PdfBuildError(
        f"brief {study_id!r} takes {pages} pages even in its smallest layout (at most "
        f"{MAX_PAGES}); shorten the texts of its comparison block. LaTeX files in {folder}"
    )


# ----------------------------------------------------------------------------------------
# The stage


def publish_pdfs(root: Path | None = None) -> Path:
    """Write ``book/pdf/``: the book PDF and one brief per study, or ``LISEZMOI.txt``.

    The folder is built beside its final place and swapped in only when complete, so a
    failure leaves the previous one untouched. Without the TeX tools, nothing fails: the
    folder holds only ``LISEZMOI.txt`` (what is missing, how to install it), and the same
    text is printed on stderr.
    """
    from impactlib.project.notebooks import declared_studies

    root = root or project_root()
    target = root / PDF_DIR
    staging = target.with_name(f".{target.name}.new-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        missing = missing_tools()
        if missing:
            text = install_instructions(missing)
            (staging / README_FILE).write_text(text, encoding="utf-8")
            print(text, file=sys.stderr)
        else:
            build_book_pdf(root, output=staging / BOOK_PDF)
            for study_id in declared_studies(root):
                build_brief(study_id, root, output=staging / f"synthese-{study_id}.pdf")
        _swap(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
