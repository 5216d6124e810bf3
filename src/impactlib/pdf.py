"""Printable PDFs: the whole book through LaTeX, and a two-page brief per evaluation report.

``impact pdf`` (the DVC ``pdf`` stage) calls :func:`publish_pdfs`, which writes
``book/pdf/``:

- ``impact-tank.pdf``, the whole book: Jupyter Book 1's ``pdflatex`` builder with the
  ``latex:`` section of ``book/_config.yml`` (engine xelatex, Sphinx's own LaTeX writer);
- ``synthese-<id>.pdf`` for each study of ``params.yaml``: a two-page French brief for
  events, made from ``results/<id>/estimates.json`` (its ``comparison`` block) and one
  figure of ``results/<id>/figures/``, never from the notebook;
- or, on a machine without TeX, only ``LISEZMOI.txt``, which names the missing tools and
  the commands that install them (``make pdf-tools``, then ``dvc repro -f pdf``).

TeX comes from Debian packages (DESIGN.md section 6), not from pip: see
:data:`APT_PACKAGES` and :func:`missing_tools`.

Reproducibility: TeX is run with ``SOURCE_DATE_EPOCH`` (the time of the git commit unless
already set) and ``FORCE_SOURCE_DATE=1``, so dates in the PDFs are those of the commit and
a rebuild of the same inputs gives byte-identical files. A brief also carries a trailer
``/ID`` derived from its own LaTeX source, so that two different briefs never share one.

Examples
--------
>>> from impactlib.pdf import latex_escape
>>> latex_escape("50 % & 3 $")
'50 \\\\% \\\\& 3 \\\\$'
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from impactlib import citation
from impactlib.atomic import atomic_path
from impactlib.citation import latex_escape
from impactlib.paths import figures_dir, project_root, results_dir
from impactlib.report import fmt_interval, fmt_number, fmt_percent, fmt_pvalue
from impactlib.validation import InputError

PDF_DIR = Path("book") / "pdf"
BOOK_PDF = "impact-tank.pdf"
README_FILE = "LISEZMOI.txt"
TEMPLATE = Path(__file__).with_name("templates") / "brief.tex"
# The Debian packages of the PDF toolchain (DESIGN.md section 6), about 195 MB.
APT_PACKAGES = (
    "latexmk",
    "texlive-latex-recommended",
    "texlive-latex-extra",
    "texlive-fonts-recommended",
    "texlive-xetex",
    "fonts-freefont-otf",
    "texlive-plain-generic",
)
APT_COMMAND = "apt-get install -y --no-install-recommends " + " ".join(APT_PACKAGES)
# Programs called, and the Debian package that provides each. Jupyter Book's pdflatex
# builder runs `make all-pdf` in the LaTeX folder, which runs latexmk, xelatex, xdvipdfmx.
EXECUTABLES = {
    "xelatex": "texlive-xetex",
    "xdvipdfmx": "texlive-xetex",
    "latexmk": "latexmk",
    "kpsewhich": "texlive-binaries",
    "make": "make",
}
# Files found by kpsewhich that the book and the briefs load, and their package.
TEX_FILES = {
    "polyglossia.sty": "texlive-latex-recommended",
    "fncychap.sty": "texlive-latex-extra",
    "tabulary.sty": "texlive-latex-extra",
    "FreeSerif.otf": "fonts-freefont-otf",
    "FreeSans.otf": "fonts-freefont-otf",
}
# PDF-only Sphinx settings, added to a copy of book/_config.yml at build time unless the
# file already sets them (sphinx: config: latex_elements:).
LATEX_ELEMENTS = {
    "papersize": "a4paper",
    # For French under xelatex Sphinx loads babel, whose French (babel-french) is in
    # texlive-lang-french (112 MB), outside the toolchain: without it babel falls back to
    # no language at all ("Chapter", English hyphenation). polyglossia's French is in
    # texlive-latex-recommended; Sphinx then adds \setmainlanguage{french} itself.
    "babel": "",
    "polyglossia": r"\usepackage{polyglossia}",
    # Sphinx prints the chapter or section title in the page footer, beside the page
    # number; a long French title ran over the number. Same footers, titles wrapped.
    "preamble": r"""
\makeatletter
\fancypagestyle{normal}{%
  \fancyhf{}%
  \fancyfoot[RO,LE]{{\py@HeaderFamily\thepage}}%
  \fancyfoot[LO]{{\py@HeaderFamily\parbox[t]{.85\textwidth}{\raggedright\nouppercase{\rightmark}}}}%
  \fancyfoot[RE]{{\py@HeaderFamily\parbox[t]{.85\textwidth}{\raggedleft\nouppercase{\leftmark}}}}%
  \fancyhead[RO,LE]{{\py@HeaderFamily \@title\sphinxheadercomma\py@release}}%
  \renewcommand{\headrulewidth}{0.4pt}%
  \renewcommand{\footrulewidth}{0.4pt}%
}
\makeatother
""",
}
TODAY_FMT = "%d %B %Y"  # "27 novembre 2026" on the title page, not "nov. 27, 2026"
# Brief layouts tried in order until the brief fits on two pages: font size, figure height
# as a share of the text height.
LAYOUTS = (("10pt", 0.42), ("10pt", 0.32), ("9pt", 0.24))
MAX_PAGES = 2
BRIEF_FIGURE = "figure.png"  # the chart's name beside brief.tex
_NO_ID = "<00> <00>"

_PLACEHOLDER = re.compile(r"<<([a-z_]+)>>")
_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![A-Za-z])")
_STREAM = re.compile(rb"(?<!end)stream\r?\n(.*?)\r?\nendstream", re.S)
_PAGES_WRITTEN = re.compile(r"Output written on .*?\((\d+) pages?")


class PdfBuildError(RuntimeError):
    """TeX failed; the message names the document and where the full log is kept."""


# ----------------------------------------------------------------------------------------
# Tools


def missing_tools() -> list[str]:
    """The TeX tools and files this machine lacks, each with its Debian package.

    An empty list means that :func:`build_book_pdf` and :func:`build_brief` can run.

    Examples
    --------
    >>> missing = missing_tools()  # e.g. ['xelatex (texlive-xetex)', ...] without TeX
    """
    missing = [
        f"{name} ({package})" for name, package in EXECUTABLES.items() if not shutil.which(name)
    ]
    kpsewhich = shutil.which("kpsewhich")
    if kpsewhich is None:
        return missing
    completed = subprocess.run([kpsewhich, *TEX_FILES], capture_output=True, text=True, check=False)
    found = {Path(line.strip()).name for line in completed.stdout.splitlines() if line.strip()}
    return missing + [f"{name} ({pkg})" for name, pkg in TEX_FILES.items() if name not in found]


def install_instructions(missing: list[str]) -> str:
    """The text of ``LISEZMOI.txt`` (French): what is missing and how to install it."""
    lines = [
        "Les PDF du livre et les synthèses de deux pages n'ont pas été produits :",
        "les outils TeX suivants manquent sur cette machine.",
        "",
        *[f"  - {item}" for item in missing],
        "",
        "Pour les installer (Debian ou Ubuntu, environ 195 Mo), depuis la racine du dépôt :",
        "",
        "  make pdf-tools",
        "",
        "ce qui revient à (sans sudo si vous êtes root) :",
        "",
        "  sudo apt-get update",
        f"  sudo {APT_COMMAND}",
        "",
        "puis relancer l'étape (-f : l'étape est à jour pour DVC, qui a enregistré ce",
        "fichier comme sa sortie) :",
        "",
        "  dvc repro -f pdf",
        "",
    ]
    return "\n".join(lines)


def source_date_epoch(root: Path | None = None) -> str:
    """``SOURCE_DATE_EPOCH`` for TeX: the environment's, else the git commit time.

    Outside a git checkout, the current time (the PDFs then carry the build date and are
    not byte-reproducible).
    """
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return os.environ["SOURCE_DATE_EPOCH"]
    root = root or project_root()
    completed = subprocess.run(
        ["git", "-C", str(root), "log", "-1", "--format=%ct"],
        capture_output=True,
        text=True,
        check=False,
    )
    stamp = completed.stdout.strip()
    if completed.returncode == 0 and stamp.isdigit():
        return stamp
    return str(int(time.time()))


def _tex_environment(root: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SOURCE_DATE_EPOCH": source_date_epoch(root),
        "FORCE_SOURCE_DATE": "1",  # TeX's own date (\today, \year) from it too
        "PYTHONHASHSEED": "0",  # Sphinx: same set orders, same LaTeX source
    }


def pdf_page_count(path: Path) -> int:
    """Number of pages of a PDF, without a PDF library.

    Counts the ``/Type /Page`` objects, inside compressed object streams too (xdvipdfmx
    writes PDF 1.5 object streams).
    """
    data = Path(path).read_bytes()
    chunks = [data]
    for match in _STREAM.finditer(data):
        try:
            chunks.append(zlib.decompress(match.group(1)))
        except zlib.error:  # an image or a stream with another filter
            continue
    return sum(len(_PAGE_OBJECT.findall(chunk)) for chunk in chunks)


# ----------------------------------------------------------------------------------------
# The book


def _pdf_config(root: Path, folder: Path) -> Path:
    """A copy of ``book/_config.yml`` for the PDF build, written in ``folder``.

    Jupyter Book resolves ``local_extensions`` folders from the configuration file's own
    folder: they are made absolute. :data:`LATEX_ELEMENTS` and :data:`TODAY_FMT` are added
    where the file does not set them.
    """
    book = root / "book"
    config = yaml.safe_load((book / "_config.yml").read_text(encoding="utf-8")) or {}
    sphinx = config.setdefault("sphinx", {})
    extensions = sphinx.get("local_extensions") or {}
    sphinx["local_extensions"] = {
        name: str((book / path).resolve()) for name, path in extensions.items()
    }
    settings = sphinx.setdefault("config", {})
    elements = settings.setdefault("latex_elements", {})
    for key, value in LATEX_ELEMENTS.items():
        elements.setdefault(key, value)
    settings.setdefault("today_fmt", TODAY_FMT)
    path = folder / "_config.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def _target_name(config: Path) -> str:
    document = yaml.safe_load(config.read_text(encoding="utf-8"))
    tex = (document.get("latex") or {}).get("latex_documents", {}).get("targetname")
    return Path(tex or "book.tex").with_suffix(".pdf").name


def build_book_pdf(root: Path | None = None, *, output: Path | None = None) -> Path:
    """Build the whole book as one PDF through LaTeX; return its path.

    Runs ``jupyter-book build book --builder pdflatex`` (the ``latex:`` section of
    ``book/_config.yml``: xelatex, no sphinx-jupyterbook-latex) in a temporary folder, so
    that nothing is written under ``book/_build`` (the HTML stage's output), then copies
    the PDF to ``output`` (default ``book/pdf/impact-tank.pdf``).

    Warnings are not errors here: the HTML build of the same sources runs with ``-W`` and
    is the strict check. Sphinx warnings and characters missing from the fonts (which TeX
    would silently drop) are printed on stderr. A failed build raises
    :class:`PdfBuildError` and keeps its folder, whose path the message gives.
    """
    root = root or project_root()
    target = Path(output) if output else root / PDF_DIR / BOOK_PDF
    work = Path(tempfile.mkdtemp(prefix="impact-pdf-book-"))
    config = _pdf_config(root, work)
    command = [
        str(Path(sys.executable).with_name("jupyter-book")),
        "build",
        str(root / "book"),
        "--builder",
        "pdflatex",
        "--path-output",
        str(work),
        "--config",
        str(config),
    ]
    log = work / "build.log"
    with log.open("w", encoding="utf-8") as stream:
        completed = subprocess.run(
            command,
            cwd=root,
            env=_tex_environment(root),
            stdout=stream,
            stderr=subprocess.STDOUT,
            check=False,
        )
    built = work / "_build" / "latex" / _target_name(config)
    text = log.read_text(encoding="utf-8", errors="replace")
    if completed.returncode != 0 or not built.is_file():
        tail = "\n".join(text.splitlines()[-30:])
        raise PdfBuildError(
            f"book PDF build failed (exit {completed.returncode}); full log {log}, LaTeX "
            f"files in {built.parent}. Last lines:\n{tail}"
        )
    _report_warnings("book PDF", text, built.with_suffix(".log"))
    with atomic_path(target) as tmp:
        shutil.copyfile(built, tmp)
    shutil.rmtree(work, ignore_errors=True)
    return target


def _report_warnings(what: str, build_output: str, tex_log: Path) -> None:
    warnings = [line for line in build_output.splitlines() if "WARNING:" in line]
    missing = _missing_characters(tex_log)
    if warnings:
        print(
            f"{what}: {len(warnings)} Sphinx warning(s), not errors for the PDF:", file=sys.stderr
        )
        for line in warnings:
            print(f"  {line}", file=sys.stderr)
    if missing:
        print(f"{what}: characters absent from the fonts, dropped by TeX:", file=sys.stderr)
        for line in missing:
            print(f"  {line}", file=sys.stderr)


def _missing_characters(tex_log: Path) -> list[str]:
    if not tex_log.is_file():
        return []
    text = tex_log.read_text(encoding="utf-8", errors="replace")
    return sorted({line.strip() for line in text.splitlines() if "Missing character" in line})


# ----------------------------------------------------------------------------------------
# Briefs: formatting


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def _decimals(*values: float | None) -> int:
    """Decimals that show three significant digits of the largest of ``values``."""
    finite = [abs(v) for v in values if not _missing(v) and v != 0]
    if not finite:
        return 0
    return int(min(6, max(0, 2 - math.floor(math.log10(max(finite))))))


def fmt_with_interval(value: float, low: float | None, high: float | None) -> str:
    """``'1 794 [476 ; 3 113]'``: three significant digits, the interval at the same scale."""
    decimals = _decimals(value, low, high)
    text = fmt_number(value, decimals)
    if _missing(low) or _missing(high):
        return text
    return f"{text} {fmt_interval(low, high, decimals)}"


def fmt_amount(value: float, low: float | None = None, high: float | None = None) -> str:
    """Amounts of a million or more in millions: ``'292,5 millions [228,4 ; 356,6]'``."""
    if abs(value) < 1e6:
        return fmt_with_interval(value, low, high)
    value, low, high = (None if _missing(v) else v / 1e6 for v in (value, low, high))
    decimals = _decimals(value, low, high)
    text = f"{fmt_number(value, decimals)} {'million' if abs(value) < 2 else 'millions'}"
    if low is not None and high is not None:
        text += f" {fmt_interval(low, high, decimals)}"
    return text


def _level(alpha: float | None) -> str:
    return fmt_percent(1 - (alpha if alpha is not None else 0.05))


def _std_text(std: Mapping[str, Any]) -> str:
    if _missing(std.get("value")):
        return f"non standardisable : {std.get('reason') or 'raison non précisée'}"
    value, low, high = std["value"], std.get("ci_low"), std.get("ci_high")
    if std.get("kind") == "smd":
        text = f"{fmt_number(value, 2)} écart-type"
        if not (_missing(low) or _missing(high)):
            text += f" {fmt_interval(low, high, 2)}"
    else:  # relative changes ("relative", "ratio") read best as percentages
        text = fmt_percent(value, 1)
        if not (_missing(low) or _missing(high)):
            text += f" [{fmt_percent(low, 1)} ; {fmt_percent(high, 1)}]"
    return text


def _not_applicable(reason: str) -> str:
    """ "non applicable : <reason>", unless the reason already says so."""
    return (
        reason if reason.casefold().startswith("non applicable") else f"non applicable : {reason}"
    )


def _two_lines(main: str, detail: str, *, bold: bool = False) -> str:
    """A table cell: ``main`` (escaped, bold if asked), then ``detail`` in small type."""
    text = latex_escape(main)
    text = rf"\textbf{{{text}}}" if bold else text
    return text + (rf"\newline{{\small {latex_escape(detail)}}}" if detail else "")


def _sample_text(headline: Mapping[str, Any]) -> str:
    parts = []
    if not _missing(headline.get("n_treated")) and not _missing(headline.get("n_control")):
        parts.append(
            f"{fmt_number(headline['n_treated'])} traités, {fmt_number(headline['n_control'])} "
            "témoins"
        )
    if not _missing(headline.get("n_clusters")):
        parts.append(f"{fmt_number(headline['n_clusters'])} grappes")
    text = f"n\u00a0=\u00a0{fmt_number(headline['n'])}" if not _missing(headline.get("n")) else ""
    return f"{text} ({', '.join(parts)})" if parts and text else text


# ----------------------------------------------------------------------------------------
# Briefs: content


def read_comparison_block(study_id: str, root: Path | None = None) -> dict[str, Any]:
    """The ``comparison`` block and ``facts`` of ``results/<id>/estimates.json``."""
    path = results_dir(study_id, root) / "estimates.json"
    if not path.is_file():
        raise InputError(f"brief {study_id!r}: {path} does not exist (run the study first)")
    payload = json.loads(path.read_text(encoding="utf-8"))
    block = payload.get("comparison")
    if not isinstance(block, dict):
        raise InputError(f"brief {study_id!r}: {path} has no 'comparison' block")
    for field in ("title", "theme", "design", "outcome", "headline", "evidence"):
        if field not in block:
            raise InputError(f"brief {study_id!r}: comparison block lacks field {field!r}")
    return {"comparison": block, "facts": payload.get("facts") or {}}


def brief_figure(study_id: str, root: Path | None = None) -> Path | None:
    """The chart of a brief: the ``brief_figure`` fact of the results, else the first figure.

    A notebook chooses its chart with ``facts={"brief_figure": "rd_plot"}`` (the name of a
    PNG of ``results/<id>/figures/``, with or without ``.png``); without it, the first PNG
    in alphabetical order is taken. None when the study saved no figure.
    """
    facts = read_comparison_block(study_id, root)["facts"]
    folder = figures_dir(study_id, root)
    chosen = facts.get("brief_figure")
    if chosen:
        path = folder / (chosen if str(chosen).endswith(".png") else f"{chosen}.png")
        if not path.is_file():
            raise InputError(
                f"brief {study_id!r}: fact brief_figure={chosen!r} names no file of {folder}"
            )
        return path
    figures = sorted(folder.glob("*.png")) if folder.is_dir() else []
    return figures[0] if figures else None


def _row(label: str, value: str) -> str:
    return f"{latex_escape(label)} & {value} \\\\"


def _key_rows(block: Mapping[str, Any]) -> list[str]:
    headline = block["headline"]
    cea = block.get("cost_effectiveness") or {}
    scale = block.get("scale_up") or {}
    unit = cea.get("effect_unit") or scale.get("effect_unit") or ""
    currency = cea.get("currency") or scale.get("currency") or "EUR"
    higher = cea.get("higher_is_better", scale.get("higher_is_better", True))
    level = _level(headline.get("alpha"))

    value, low, high = headline["value"], headline.get("ci_low"), headline.get("ci_high")
    effect = f"{fmt_number(value, _decimals(value, low, high))} {unit}".strip()
    if not (_missing(low) or _missing(high)):
        effect += f", IC à {level} {fmt_interval(low, high, _decimals(value, low, high))}"
    p_value = fmt_pvalue(headline.get("p_value"))
    effect += f" ; p\u00a0{p_value}" if p_value.startswith("<") else f" ; p\u00a0=\u00a0{p_value}"
    direction = "une hausse est favorable" if higher else "une baisse est favorable"
    effect_text = _two_lines(effect, f"{_sample_text(headline)} ; {direction}.", bold=True)
    std = block.get("standardised_effect") or {}

    if _missing(block.get("cost_per_beneficiary")):
        cost = _not_applicable(block.get("cost_source") or "aucun coût retenu")
    else:
        cost = f"{fmt_number(block['cost_per_beneficiary'])} {currency}"
        if block.get("cost_source"):
            cost += f" ({block['cost_source']})"

    if not cea or _missing(cea.get("impact_per_1000")):
        impact = "non applicable"
    else:
        impact = fmt_with_interval(
            cea["impact_per_1000"],
            cea.get("impact_per_1000_ci_low"),
            cea.get("impact_per_1000_ci_high"),
        )
        impact = f"{impact} {unit}".strip()

    if not cea:
        per_unit = "non applicable"
    elif _missing(cea.get("cost_per_unit")):
        per_unit = cea.get("cost_per_unit_reason") or "non défini"
    else:
        per_unit = fmt_with_interval(
            cea["cost_per_unit"], cea.get("cost_per_unit_ci_low"), cea.get("cost_per_unit_ci_high")
        )
        per_unit = f"{per_unit} {currency} par unité d'effet ({unit})"

    evidence = block["evidence"]
    rows = [
        _row("Indicateur", latex_escape(block["outcome"])),
        _row("Méthode", latex_escape(block["design"])),
        _row("Effet estimé", effect_text),
        _row("Effet standardisé", _two_lines(_std_text(std), std.get("label") or "")),
        _row("Coût par bénéficiaire", latex_escape(cost)),
        _row(f"Impact pour 1 000 {currency}".replace(" 000", "\u202f000"), latex_escape(impact)),
        _row("Coût par unité d'effet", latex_escape(per_unit)),
        _row(
            "Niveau de preuve",
            rf"\textbf{{\color{{accent}}{latex_escape(evidence.get('label', ''))}}}"
            + latex_escape(" (grille GRADE ; raisons en page 2)"),
        ),
    ]
    return rows


def _scale_up(block: Mapping[str, Any]) -> str:
    scale = block.get("scale_up")
    if not scale:
        return latex_escape("Non applicable : ce travail ne donne pas de projection.")
    unit = scale.get("effect_unit") or ""
    currency = scale.get("currency") or "EUR"
    level = _level(scale.get("alpha"))
    take_up = fmt_percent(scale["take_up"])
    if scale.get("take_up_range"):
        low, high = scale["take_up_range"]
        take_up += f" (entre {fmt_percent(low)} et {fmt_percent(high)})"
    rows = [
        _row(
            "Hypothèses",
            latex_escape(
                f"population cible {fmt_number(scale['target_population'])} ; taux de recours "
                f"{take_up} ; effet ramené à {fmt_percent(scale.get('attenuation', 1.0))} de "
                "l'effet mesuré"
            ),
        ),
        _row(
            "Bénéficiaires",
            latex_escape(
                fmt_amount(
                    scale["beneficiaries"],
                    scale.get("beneficiaries_ci_low"),
                    scale.get("beneficiaries_ci_high"),
                )
            ),
        ),
    ]
    if _missing(scale.get("total_cost")):
        rows.append(_row("Coût total", latex_escape("non applicable")))
    else:
        cost = fmt_amount(
            scale["total_cost"], scale.get("total_cost_ci_low"), scale.get("total_cost_ci_high")
        )
        rows.append(_row("Coût total", latex_escape(f"{cost} {currency}")))
    total = fmt_amount(
        scale["total_effect"], scale.get("total_effect_ci_low"), scale.get("total_effect_ci_high")
    )
    rows.append(
        _row("Effet total", latex_escape(f"{total} (somme sur les bénéficiaires, en {unit})"))
    )
    if _missing(scale.get("impact_per_1000")):
        impact = "non applicable"
    else:
        impact = fmt_with_interval(
            scale["impact_per_1000"],
            scale.get("impact_per_1000_ci_low"),
            scale.get("impact_per_1000_ci_high"),
        )
        impact = f"{impact} {unit}"
    rows.append(_row(f"Impact pour 1\u202f000 {currency}", latex_escape(impact)))
    if _missing(scale.get("cost_per_unit")):
        per_unit = scale.get("cost_per_unit_reason") or "non défini"
    else:
        per_unit = fmt_with_interval(
            scale["cost_per_unit"],
            scale.get("cost_per_unit_ci_low"),
            scale.get("cost_per_unit_ci_high"),
        )
        per_unit = f"{per_unit} {currency} par unité d'effet"
    rows.append(_row("Coût par unité d'effet", latex_escape(per_unit)))
    draws = scale.get("n_draws")
    note = f"Intervalles de simulation à {level}"
    note += f" ({fmt_number(draws)} tirages Monte-Carlo)." if draws else "."
    table = "\n".join(rows)
    return (
        r"\begin{tabularx}{\linewidth}{@{}>{\raggedright\arraybackslash\bfseries}"
        r"p{0.27\linewidth}>{\raggedright\arraybackslash}X@{}}"
        f"\n{table}\n\\end{{tabularx}}\n\n{{\\small {latex_escape(note)}}}"
    )


def _trailer_id(source: str) -> str:
    digest = hashlib.md5(source.encode("utf-8"), usedforsecurity=False).hexdigest()
    return f"<{digest}> <{digest}>"


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
    (:mod:`impactlib.citation`). The chart (:func:`brief_figure`) is included as
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


def _breakable_paths(latex: str) -> str:
    """Let long file paths break after their slashes."""
    return latex.replace("/", r"/\allowbreak{}")


def _theme_label(theme: str) -> str:
    from impactlib.synthesis import THEMES

    return THEMES.get(theme, theme)


def _fill(template: str, values: Mapping[str, str]) -> str:
    names = set(_PLACEHOLDER.findall(template))
    if names != set(values):
        raise RuntimeError(
            f"brief template placeholders {sorted(names)} do not match {sorted(values)}"
        )
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


# ----------------------------------------------------------------------------------------
# Briefs: compilation


def _compile(source: str, folder: Path, root: Path) -> tuple[Path, int]:
    tex = folder / "brief.tex"
    tex.write_text(source, encoding="utf-8")
    completed = subprocess.run(
        ["xelatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
        cwd=folder,
        env=_tex_environment(root),
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
    missing = _missing_characters(log)
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


# ----------------------------------------------------------------------------------------
# The stage


def publish_pdfs(root: Path | None = None) -> Path:
    """Write ``book/pdf/``: the book PDF and one brief per study, or ``LISEZMOI.txt``.

    The folder is built beside its final place and swapped in only when complete, so a
    failure leaves the previous one untouched. Without the TeX tools, nothing fails: the
    folder holds only ``LISEZMOI.txt`` (what is missing, how to install it), and the same
    text is printed on stderr.
    """
    from impactlib.pipeline import declared_studies

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


def _swap(new: Path, target: Path) -> None:
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)
