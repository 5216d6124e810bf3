"""Figures of the book: the theme, French axes and byte-identical PNG files."""

from __future__ import annotations

import io
import os
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt

from impactlib.report.formats import fmt_number

PALETTE = ["#1b4965", "#e07a5f", "#81b29a", "#f2cc8f", "#5c677d", "#3d405b"]


def set_theme() -> None:
    """Apply the book's figure style (called once at the top of each notebook)."""
    mpl.rcParams.update(
        {
            "figure.figsize": (7.0, 4.2),
            "figure.dpi": 110,
            "savefig.dpi": 150,
            "savefig.bbox": "tight",
            "font.size": 10.5,
            "axes.titlesize": 12,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "axes.grid.axis": "y",
            "grid.color": "#d9d9d9",
            "grid.linewidth": 0.6,
            "axes.prop_cycle": mpl.cycler(color=PALETTE),
            "axes.formatter.use_locale": False,
            "legend.frameon": False,
        }
    )


def french_axis(axis: mpl.axis.Axis, decimals: int = 0) -> None:
    """Label an axis with French-formatted numbers."""
    axis.set_major_formatter(mpl.ticker.FuncFormatter(lambda x, _pos: fmt_number(x, decimals)))


def save_figure(fig: plt.Figure, folder: Path | str, name: str) -> Path:
    """Save ``fig`` as ``<folder>/<name>.png``, byte-identical across runs.

    A study saves in ``impactlib.project.figures_dir(study_id)`` (``results/<id>/figures``).
    """
    path = Path(folder) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    # No "Software" stamp: the file then depends only on the figure.
    fig.savefig(buffer, format="png", metadata={"Software": None})
    # Written whole or not at all (a temporary file renamed into place): a run killed while
    # saving leaves no truncated PNG where the book reads. (report does not import
    # project, whose atomic_path does the same.)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(buffer.getvalue())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
