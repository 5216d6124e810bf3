"""The two-page brief of a report: its data for the Typst template, and its PDF.

The brief is typeset by Typst through the ``typst`` wheel of PyPI (pinned in
``requirements.lock``): no TeX, no system font, a few milliseconds per brief.
"""

from __future__ import annotations

import hashlib
import json
import struct
import tempfile
from pathlib import Path
from typing import Any

import typst

from impactlib.appraisal.comparison import theme_label
from impactlib.project.atomic import atomic_path
from impactlib.project.fingerprint import VERSION_MARK, masked_digest
from impactlib.project.paths import project_root
from impactlib.publish import citation
from impactlib.publish.pdf.brief_text import (
    LAYOUTS,
    MAX_PAGES,
    brief_figure,
    key_rows,
    plain_text,
    read_comparison_block,
    scale_up_table,
)
from impactlib.publish.pdf.tools import PDF_DIR, PdfBuildError, page_count, source_date_epoch

TEMPLATE = Path(__file__).with_name("templates") / "brief.typ"


# The page's text block in millimetres: A4 less the margins of the template.
TEXT_WIDTH_MM = 210 - 2 * 17
TEXT_HEIGHT_MM = 297 - 15 - 20


SIMULATED_BANNER = (
    "Cette synthèse illustre une méthode sur des données fabriquées : ses chiffres ne "
    "mesurent l'effet d'aucun programme réel."
)


def brief_data(
    study_id: str,
    root: Path | None = None,
    *,
    layout: tuple[float, float] = LAYOUTS[0],
) -> dict[str, Any]:
    """What the template prints for ``study_id``: plain French text, no markup.

    Every number comes from ``results/<id>/estimates.json``, formatted the French way
    (:mod:`impactlib.report`), with French no-break spaces (:func:`plain_text`). The
    "how to cite" block comes from ``book/citation.yaml`` and the repository version
    (:mod:`impactlib.publish.citation`). ``figure`` is the chart's file name
    (:func:`brief_figure`), read from its own folder, or None; ``layout`` is the font size
    in points and the chart's largest height as a share of the text height.
    """
    root = root or project_root()
    block = read_comparison_block(study_id, root)["comparison"]
    block["cost_source"] = citation.cited_source(block.get("cost_source"), root)
    page = citation.page(study_id, root)
    version = citation.version(root)
    simulated = bool(block.get("simulated"))
    evidence = block["evidence"]
    figure = brief_figure(study_id, root)
    footer = f"Impact Tank — {study_id} — version {version}"
    if simulated:
        footer += " — DONNÉES SIMULÉES"
    scale_rows, scale_note = scale_up_table(block)
    doi = f"DOI {page.doi}" if page.doi else "DOI : à attribuer"
    text = {
        "pdf_title": block["title"],
        "pdf_author": citation.join_french([a.display for a in page.authors]),
        "theme": theme_label(block["theme"]),
        "title": block["title"],
        "innovation": block.get("innovation", ""),
        "banner": SIMULATED_BANNER,
        "no_figure": "Aucune figure enregistrée pour ce travail.",
        "evidence_title": f"Le niveau de preuve : {evidence.get('label', '')}",
        "scale_up_note": scale_note,
        "citation": page.reference(version),
        "citation_details": (
            f"Clé BibTeX : {page.key} ; {doi} ; texte sous licence {page.licence_id} "
            f"({page.licence_name}). Le rapport complet, avec ses données et son code, est "
            f"le chapitre {study_id} du livre d'Impact Tank."
        ),
        "provenance": _provenance(study_id, figure, version),
        "footer": footer,
    }
    data: dict[str, Any] = {key: plain_text(value) for key, value in text.items()}
    data.update(
        simulated=simulated,
        font_size=float(layout[0]),
        figure=None if figure is None else f"/{figure.name}",
        figure_width=_figure_width(figure, layout[1]),
        key_rows=[row.as_dict() for row in key_rows(block)],
        evidence_reasons=[plain_text(r) for r in evidence.get("reasons", [])],
        scale_up_rows=[row.as_dict() for row in scale_rows],
    )
    return data


def _figure_width(figure: Path | None, height_share: float) -> float:
    """The chart's width in mm: the text width, or less so that its height is at most
    ``height_share`` of the text height (the PNG's own size gives its aspect ratio)."""
    if figure is None:
        return 0.0
    header = figure.read_bytes()[:24]
    if header[:8] != b"\x89PNG\r\n\x1a\n":
        raise PdfBuildError(f"the chart of the brief, {figure}, is not a PNG file")
    width, height = struct.unpack(">II", header[16:24])
    if not (width and height):
        raise PdfBuildError(f"the chart of the brief, {figure}, has a zero width or height")
    return round(min(TEXT_WIDTH_MM, height_share * TEXT_HEIGHT_MM * width / height), 2)


def _provenance(study_id: str, figure: Path | None, version: str) -> str:
    """The files the brief was made from, and that it must not be edited by hand."""
    sources = f"results/{study_id}/estimates.json"
    if figure is not None:
        sources += f" et results/{study_id}/figures/{figure.name}"
    return (
        f"Document produit automatiquement à partir de {sources} (version {version}) ; "
        "ne pas le modifier à la main."
    )


def compile_brief(data: dict[str, Any], figures: Path | None, root: Path) -> bytes:
    """The PDF of one brief from its data; ``figures`` is the folder of its chart.

    Typst reads no system font (the same PDF on every machine) and no file outside
    ``figures``; its timestamp is :func:`source_date_epoch`. A Typst error or warning
    raises :class:`PdfBuildError`.
    """
    folder = figures if figures is not None else TEMPLATE.parent
    try:
        pdf, warnings = typst.compile_with_warnings(
            TEMPLATE.read_bytes(),
            root=str(folder),
            sys_inputs={"data": json.dumps(data, ensure_ascii=False)},
            ignore_system_fonts=True,
            timestamp=int(source_date_epoch(root)),
        )
    except typst.TypstError as error:
        raise PdfBuildError(f"Typst failed on the brief {data['title']!r}: {error}") from None
    if warnings:
        messages = "; ".join(str(w.message) for w in warnings)
        raise PdfBuildError(f"Typst warned on the brief {data['title']!r}: {messages}")
    return pdf


def source_digest(data: dict[str, Any], chart: Path | None, version: str) -> str:
    """SHA-256 of what Typst gets for a brief, ``version`` masked: the template, the data
    and the chart's bytes; not the PDF, which also holds the commit's date (its timestamp)."""
    sources = {
        "template": TEMPLATE.read_text(encoding="utf-8"),
        "data": data,
        "chart": None if chart is None else hashlib.sha256(chart.read_bytes()).hexdigest(),
    }
    text = json.dumps(sources, ensure_ascii=False, sort_keys=True)
    return masked_digest(text.encode("utf-8"), {version: VERSION_MARK})


def build_brief(
    study_id: str,
    root: Path | None = None,
    *,
    output: Path | None = None,
    digests: dict[str, str] | None = None,
) -> Path:
    """Build the two-page French brief of a report; return the PDF's path.

    Default ``output``: ``book/pdf/synthese-<id>.pdf``. The brief holds the headline effect
    with its interval, the standardised effect, the cost per beneficiary, the impact per
    1 000 of currency and the cost per unit of effect ("non applicable" when the report has
    no cost), the level of evidence with its reasons, the scale-up projection with its
    intervals, one chart (:func:`brief_figure`), how to cite the report, and a "données
    simulées" banner when the data are simulated.

    Page 1 ends with a page break: content that overflows either page makes a third page.
    The layouts of :data:`LAYOUTS` are tried in order until the brief takes exactly
    :data:`MAX_PAGES` pages; :class:`PdfBuildError` if none does, with the data of the last
    try kept in a folder the message names. The PDF is written atomically; ``digests``,
    when given, receives under its file name the digest of its sources
    (:func:`source_digest`), what the stage's fingerprint records.
    """
    root = root or project_root()
    target = Path(output) if output else root / PDF_DIR / f"synthese-{study_id}.pdf"
    chart = brief_figure(study_id, root)
    pages = 0
    for layout in LAYOUTS:
        data = brief_data(study_id, root, layout=layout)
        pdf = compile_brief(data, None if chart is None else chart.parent, root)
        pages = page_count(pdf)
        if pages == MAX_PAGES:
            with atomic_path(target) as tmp:
                tmp.write_bytes(pdf)
            if digests is not None:
                digests[target.name] = source_digest(data, chart, citation.version(root))
            return target
    kept = Path(tempfile.mkdtemp(prefix=f"impact-brief-{study_id}-"))
    (kept / "data.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), "utf-8")
    (kept / TEMPLATE.name).write_bytes(TEMPLATE.read_bytes())
    (kept / "brief.pdf").write_bytes(pdf)
    raise PdfBuildError(
        f"brief {study_id!r} takes {pages} pages even in its smallest layout (exactly "
        f"{MAX_PAGES} expected); shorten the texts of its comparison block. Its data, "
        f"template and PDF are in {kept}"
    )
