"""The TeX toolchain of the book PDF: what is missing and how to install it, the environment
of a reproducible run, and what TeX's output says (pages, warnings, characters dropped).

The briefs need none of it: Typst comes from PyPI (:mod:`impactlib.publish.pdf.brief`)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import zlib
from pathlib import Path

from impactlib.project.paths import project_root

PDF_DIR = Path("book") / "pdf"


BOOK_PDF = "impact-tank.pdf"


README_FILE = "LISEZMOI.txt"

# The pdf stage's DVC output (dvc.yaml), in PDF_DIR: the PDFs' sources hashed (stage.py).
FINGERPRINT_FILE = "fingerprint.txt"


# The Debian packages of the book PDF's toolchain, about 195 MB (measured on the project
# machine). `make pdf-tools` installs them, and poppler-utils for the tests (pdftoppm).
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


_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![A-Za-z])")


_STREAM = re.compile(rb"(?<!end)stream\r?\n(.*?)\r?\nendstream", re.S)


class PdfBuildError(RuntimeError):
    """TeX failed; the message names the document and where the full log is kept."""


def missing_tools() -> list[str]:
    """The TeX tools and files this machine lacks, each with its Debian package.

    An empty list means that :func:`build_book_pdf` can run.

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
        "Le PDF du livre (impact-tank.pdf) n'a pas été produit : les outils TeX",
        "suivants manquent sur cette machine (les synthèses de deux pages, faites",
        "avec Typst, n'en ont pas besoin et sont dans ce dossier).",
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


def tex_environment(root: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SOURCE_DATE_EPOCH": source_date_epoch(root),
        "FORCE_SOURCE_DATE": "1",  # TeX's own date (\today, \year) from it too
        "PYTHONHASHSEED": "0",  # Sphinx: same set orders, same LaTeX source
    }


def pdf_page_count(path: Path) -> int:
    """Number of pages of a PDF file, without a PDF library (:func:`page_count`)."""
    return page_count(Path(path).read_bytes())


def page_count(data: bytes) -> int:
    """Number of pages of a PDF's bytes, without a PDF library.

    Counts the ``/Type /Page`` objects, inside compressed object streams too (xdvipdfmx
    writes PDF 1.5 object streams).
    """
    chunks = [data]
    for match in _STREAM.finditer(data):
        try:
            chunks.append(zlib.decompress(match.group(1)))
        except zlib.error:  # an image or a stream with another filter
            continue
    return sum(len(_PAGE_OBJECT.findall(chunk)) for chunk in chunks)


def report_warnings(what: str, build_output: str, tex_log: Path) -> None:
    warnings = [line for line in build_output.splitlines() if "WARNING:" in line]
    missing = missing_characters(tex_log)
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


def missing_characters(tex_log: Path) -> list[str]:
    if not tex_log.is_file():
        return []
    text = tex_log.read_text(encoding="utf-8", errors="replace")
    return sorted({line.strip() for line in text.splitlines() if "Missing character" in line})
