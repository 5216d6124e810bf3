"""The two-page brief of a report: its LaTeX source from the template, and its PDF."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from impactlib.appraisal.comparison import theme_label
from impactlib.project.atomic import atomic_path
from impactlib.project.paths import project_root
from impactlib.publish import citation
from impactlib.publish.citation import latex_escape
from impactlib.publish.pdf.brief_text import (
    BRIEF_FIGURE,
    LAYOUTS,
    MAX_PAGES,
    brief_figure,
    key_rows,
    read_comparison_block,
    scale_up_table,
)
from impactlib.publish.pdf.tools import (
    PDF_DIR,
    PdfBuildError,
    missing_characters,
    pdf_page_count,
    tex_environment,
)

TEMPLATE = Path(__file__).with_name("templates") / "brief.tex"


_PLACEHOLDER = re.compile(r"<<([a-z_]+)>>")


_NO_ID = "<00> <00>"


_PAGES_WRITTEN = re.compile(r"Output written on .*?\((\d+) pages?")


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
    footer = f"Impact Tank — {study_id} — version {version}"
    if simulated:
        footer += " — DONNÉES SIMULÉES"
    authors = citation.join_french([a.display for a in page.authors])
    values = {
        "fontsize": layout[0],
        "pdf_title": latex_escape(block["title"]),
        "pdf_author": latex_escape(authors),
        "theme": latex_escape(theme_label(block["theme"])),
        "title": latex_escape(block["title"]),
        "innovation": latex_escape(block.get("innovation", "")),
        "banner": _SIMULATED_BANNER if simulated else "",
        "key_rows": "\n\\addlinespace[2pt]\n".join(key_rows(block)),
        "figure": _chart(figure, layout[1]),
        "evidence_label": latex_escape(evidence.get("label", "")),
        "evidence_reasons": _reasons(evidence.get("reasons", [])),
        "scale_up": scale_up_table(block),
        "citation": _how_to_cite(page, version, study_id),
        "provenance": _provenance(study_id, figure, version),
        "footer": latex_escape(footer),
        "trailer_id": _NO_ID,
    }
    return _with_trailer_id(_fill(TEMPLATE.read_text(encoding="utf-8"), values))


_SIMULATED_BANNER = (
    r"\vspace{0.4em}\noindent\fcolorbox{accent}{accent!12}{\parbox{\dimexpr\linewidth-2"
    r"\fboxsep-2\fboxrule}{\bfseries\color{accent}DONNÉES SIMULÉES\quad"
    r"\normalfont\color{black}"
    + latex_escape(
        "Cette synthèse illustre une méthode sur des données fabriquées : ses chiffres "
        "ne mesurent l'effet d'aucun programme réel."
    )
    + "}}"
)


def _chart(figure: Path | None, height: float) -> str:
    """The chart, ``height`` a share of the text height; or a line saying there is none."""
    if figure is None:
        none = latex_escape("Aucune figure enregistrée pour ce travail.")
        return r"{\small\itshape " + none + "}"
    return (
        r"\begin{center}\includegraphics[width=\linewidth,height="
        f"{height:.2f}"
        r"\textheight,keepaspectratio]{" + BRIEF_FIGURE + r"}\end{center}"
    )


def _reasons(reasons: list[str]) -> str:
    """The reasons of the level of evidence as a LaTeX list (a dash when there are none)."""
    items = "\n".join(rf"\item {latex_escape(reason)}" for reason in reasons)
    return f"\\begin{{itemize}}\n{items}\n\\end{{itemize}}" if items else latex_escape("—")


def _how_to_cite(page: citation.PageCitation, version: str, study_id: str) -> str:
    """The reference of the report, then its BibTeX key, DOI and licence in small type."""
    doi = f"DOI {page.doi}" if page.doi else "DOI : à attribuer"
    return (
        latex_escape(page.reference(version))
        + r"\par{\small "
        + latex_escape(
            f"Clé BibTeX : {page.key} ; {doi} ; texte sous licence {page.licence_id} "
            f"({page.licence_name}). Le rapport complet, avec ses données et son code, est "
            f"le chapitre {study_id} du livre d'Impact Tank."
        )
        + "}"
    )


def _provenance(study_id: str, figure: Path | None, version: str) -> str:
    """The files the brief was made from, and that it must not be edited by hand."""
    sources = f"results/{study_id}/estimates.json"
    if figure is not None:
        sources += f" et results/{study_id}/figures/{figure.name}"
    return _breakable_paths(
        latex_escape(
            f"Document produit automatiquement à partir de {sources} (version {version}) ; "
            "ne pas le modifier à la main."
        )
    )


def _with_trailer_id(source: str) -> str:
    """The source with its trailer /ID, a digest of the source itself: identical briefs
    share it, and two different ones never do."""
    special = f"\\special{{pdf:trailerid [{_NO_ID}]}}"
    if special not in source:
        raise RuntimeError(f"brief template lacks {special}")
    return source.replace(special, f"\\special{{pdf:trailerid [{_trailer_id(source)}]}}", 1)


def _fill(template: str, values: Mapping[str, str]) -> str:
    names = set(_PLACEHOLDER.findall(template))
    if names != set(values):
        raise RuntimeError(
            f"brief template placeholders {sorted(names)} do not match {sorted(values)}"
        )
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def _trailer_id(source: str) -> str:
    digest = hashlib.md5(source.encode("utf-8"), usedforsecurity=False).hexdigest()
    return f"<{digest}> <{digest}>"


def _breakable_paths(latex: str) -> str:
    """Let long file paths break after their slashes."""
    return latex.replace("/", r"/\allowbreak{}")


def _compile(source: str, folder: Path, root: Path) -> tuple[Path, int]:
    tex = folder / "brief.tex"
    tex.write_text(source, encoding="utf-8")
    completed = subprocess.run(
        ["xelatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
        cwd=folder,
        env=tex_environment(root),
        capture_output=True,
        text=True,
        errors="replace",
        check=False,
    )
    pdf = folder / "brief.pdf"
    log = folder / "brief.log"
    if completed.returncode != 0 or not pdf.is_file():
        tail = "\n".join(completed.stdout.splitlines()[-25:])
        raise PdfBuildError(
            f"xelatex failed on the brief (exit {completed.returncode}); LaTeX files kept "
            f"in {folder}. Last lines:\n{tail}"
        )
    missing = missing_characters(log)
    if missing:
        raise PdfBuildError(
            f"the brief uses characters absent from its fonts ({'; '.join(missing)}); "
            f"LaTeX files kept in {folder}"
        )
    written = _PAGES_WRITTEN.search(log.read_text(encoding="utf-8", errors="replace"))
    return pdf, int(written.group(1)) if written else pdf_page_count(pdf)


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
