"""The whole book as one PDF, through Jupyter Book's LaTeX builder."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from impactlib.project.atomic import atomic_path
from impactlib.project.fingerprint import VERSION_MARK, fingerprint_lines
from impactlib.project.paths import project_root
from impactlib.publish.citation import version as repository_version
from impactlib.publish.pdf.html_tables import MIME_PRIORITY
from impactlib.publish.pdf.tools import (
    BOOK_PDF,
    PDF_DIR,
    PdfBuildError,
    report_warnings,
    tex_environment,
)

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


# The notebooks' HTML tables as LaTeX tables (html_tables.py), not their text fallback.
HTML_TABLES = "impactlib.publish.pdf.html_tables"


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
    extra = sphinx.setdefault("extra_extensions", []) or []
    sphinx["extra_extensions"] = [*extra, HTML_TABLES] if HTML_TABLES not in extra else extra
    settings.setdefault("nb_mime_priority_overrides", MIME_PRIORITY)
    path = folder / "_config.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), "utf-8")
    return path


# Tells book/_ext/citation_meta.py the version to print (impactlib.cli.runner.VERSION_ENV),
# the one the fingerprint of the LaTeX source masks.
VERSION_ENV = "IMPACT_BOOK_VERSION"

# The date of the title page: Sphinx's ``today``, from SOURCE_DATE_EPOCH (the commit's).
_TEX_DATE = re.compile(r"\\date\{[^}]*\}")

# What of the LaTeX folder makes the PDF: the source and its images (named by their hash).
SOURCE_SUFFIXES = (".tex", ".png", ".jpg", ".jpeg", ".svg")


def latex_source_digest(latex: Path, version: str) -> str:
    """SHA-256 of the LaTeX source of the book in ``latex``, version and date masked.

    The fingerprint of the ``.tex`` files and images Sphinx wrote (``<sha256>  <path>``
    lines, :func:`impactlib.project.fingerprint.fingerprint_lines`), hashed: the same at
    every commit and with any TeX, where the PDF itself holds the commit, its date and the
    TeX version. The version is masked as printed (Sphinx writes ``-`` as
    ``\\sphinxhyphen{}`` in the text), the title page's ``\\date{...}`` as ``\\date{}``.
    """
    masks = {version: VERSION_MARK, version.replace("-", r"\sphinxhyphen{}"): VERSION_MARK}
    for tex in sorted(latex.glob("*.tex")):
        text = tex.read_text(encoding="utf-8", errors="replace")
        masks.update((date, r"\date{}") for date in _TEX_DATE.findall(text))
    lines = fingerprint_lines(latex, masks=masks, suffixes=SOURCE_SUFFIXES)
    return hashlib.sha256("".join(f"{line}\n" for line in lines).encode()).hexdigest()


def _target_name(config: Path) -> str:
    document = yaml.safe_load(config.read_text(encoding="utf-8"))
    tex = (document.get("latex") or {}).get("latex_documents", {}).get("targetname")
    return Path(tex or "book.tex").with_suffix(".pdf").name


def build_book_pdf(
    root: Path | None = None,
    *,
    output: Path | None = None,
    digests: dict[str, str] | None = None,
) -> Path:
    """Build the whole book as one PDF through LaTeX; return its path.

    Runs ``jupyter-book build book --builder pdflatex`` (the ``latex:`` section of
    ``book/_config.yml``: xelatex, no sphinx-jupyterbook-latex) in a temporary folder, so
    that nothing is written under ``book/_build`` (the HTML stage's output), then copies
    the PDF to ``output`` (default ``book/pdf/impact-tank.pdf``).

    Warnings are not errors here: the HTML build of the same sources runs with ``-W`` and
    is the strict check. Sphinx warnings and characters missing from the fonts (which TeX
    would silently drop) are printed on stderr. A failed build raises
    :class:`PdfBuildError` and keeps its folder, whose path the message gives.

    ``digests``, when given, receives under the PDF's file name the digest of its LaTeX
    source (:func:`latex_source_digest`), what the stage's fingerprint records. The PDF is
    copied to ``output`` atomically.
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
    label = repository_version(root)
    log = work / "build.log"
    with log.open("w", encoding="utf-8") as stream:
        completed = subprocess.run(
            command,
            cwd=root,
            env={**tex_environment(root), VERSION_ENV: label},
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
    report_warnings("book PDF", text, built.with_suffix(".log"))
    if digests is not None:
        digests[target.name] = latex_source_digest(built.parent, label)
    with atomic_path(target) as tmp:
        shutil.copyfile(built, tmp)
    shutil.rmtree(work, ignore_errors=True)
    return target
