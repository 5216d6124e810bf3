"""A PDF's pages as pixels and text, by poppler-utils (pdftoppm, pdftotext, pdfinfo).

Used by the PDF tests: a page must hold ink (not blank), and nothing may be drawn in the
bands of paper along its edges (text pushed past the margins). poppler-utils is required,
not optional: `make pdf-tools` installs it (as `make test` does), and without it these
helpers fail and say so.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

DPI = 50
MM = DPI / 25.4  # pixels per millimetre at DPI
WHITE = 245  # a pixel is ink when one of its channels is darker than this


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise AssertionError(
            f"{tool} (Debian package poppler-utils) is not installed: run `make pdf-tools`"
        )
    return path


def page_total(pdf: Path) -> int:
    """The page count as pdfinfo reads it."""
    done = subprocess.run(
        [require("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True
    )
    return int(re.search(r"^Pages:\s+(\d+)", done.stdout, re.M).group(1))


def text(pdf: Path, *, layout: bool = False) -> str:
    """The text of a PDF by pdftotext (UTF-8; with ``layout``, as laid out on the page)."""
    args = [require("pdftotext"), "-enc", "UTF-8", *(["-layout"] if layout else []), str(pdf)]
    return subprocess.run([*args, "-"], capture_output=True, check=True).stdout.decode("utf-8")


@dataclass(frozen=True)
class Page:
    """One rendered page: ``ink`` is True where a pixel is not white."""

    number: int
    ink: np.ndarray

    def share(self, *, top_mm: float = 0.0, bottom_mm: float = 0.0) -> float:
        """Share of ink pixels, leaving out bands at the top and bottom (a running footer)."""
        height = self.ink.shape[0]
        return float(self.ink[int(top_mm * MM) : height - int(bottom_mm * MM)].mean())

    def edge_ink(self, *, side_mm: float, top_mm: float, bottom_mm: float) -> dict[str, int]:
        """Ink pixels in the bands of paper along each edge, of the widths given in mm."""
        side, top, bottom = (max(1, int(v * MM)) for v in (side_mm, top_mm, bottom_mm))
        return {
            "left": int(self.ink[:, :side].sum()),
            "right": int(self.ink[:, -side:].sum()),
            "top": int(self.ink[:top].sum()),
            "bottom": int(self.ink[-bottom:].sum()),
        }


def pages(pdf: Path) -> list[Page]:
    """Every page of ``pdf`` rendered by pdftoppm at :data:`DPI`."""
    with tempfile.TemporaryDirectory(prefix="pdfpages-") as folder:
        subprocess.run(
            [require("pdftoppm"), "-r", str(DPI), "-png", str(pdf), f"{folder}/page"],
            check=True,
            capture_output=True,
        )
        files = sorted(Path(folder).glob("page-*.png"), key=lambda p: int(p.stem.split("-")[1]))
        rendered = []
        for path in files:
            pixels = np.asarray(Image.open(path).convert("RGB"))
            rendered.append(Page(int(path.stem.split("-")[1]), (pixels < WHITE).any(axis=2)))
    return rendered


# Bands of paper that must stay white, in mm (the template's margins are 17 mm at the sides,
# 15 mm at the top and 20 mm at the bottom, where the footer is).
SIDE_MM, TOP_MM, BOTTOM_MM = 12, 10, 5
FOOTER_MM = 20
MIN_INK = 0.01  # share of ink above the footer under which a page counts as blank


def assert_printable_brief(path: Path) -> list[Page]:
    """Exactly two pages (pdfinfo agrees with the library), none blank, nothing past the
    margins."""
    from impactlib.publish import pdf

    assert path.read_bytes().startswith(b"%PDF-")
    assert page_total(path) == pdf.pdf_page_count(path) == pdf.MAX_PAGES
    rendered = pages(path)
    assert len(rendered) == pdf.MAX_PAGES
    for page in rendered:
        share = page.share(bottom_mm=FOOTER_MM)
        assert share > MIN_INK, f"{path.name}: page {page.number} is blank ({share:.4f} ink)"
        edges = page.edge_ink(side_mm=SIDE_MM, top_mm=TOP_MM, bottom_mm=BOTTOM_MM)
        assert not any(edges.values()), f"{path.name}: page {page.number} past margins {edges}"
    return rendered
