"""The look of the book: figure theme, French number formatting, glue helpers.

The think tank publishes in French: numbers use a comma as decimal mark and a narrow
no-break space between thousands (``1 794,34``). Every number that reaches the prose goes
through :func:`glue` from the notebook that computed it, never typed by hand.
"""

from __future__ import annotations

import math
import numbers
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML

from impactlib.estimate import Estimate
from impactlib.paths import figures_dir

THIN_SPACE = "\u202f"  # narrow no-break space, the French thousands separator
PALETTE = ["#1b4965", "#e07a5f", "#81b29a", "#f2cc8f", "#5c677d", "#3d405b"]


def fmt_number(value: float, decimals: int = 0) -> str:
    """Format a number the French way: ``fmt_number(-1794.342, 2) == '−1 794,34'``.

    Examples
    --------
    >>> fmt_number(1794.3424, 2)
    '1\u202f794,34'
    """
    if value is None or not math.isfinite(value):
        raise ValueError(f"cannot format {value!r} as a number")
    text = f"{abs(value):,.{decimals}f}".replace(",", THIN_SPACE).replace(".", ",")
    negative = round(value, decimals) < 0
    return ("\u2212" if negative else "") + text


def fmt_percent(share: float, decimals: int = 0) -> str:
    """``fmt_percent(0.0412, 1) == '4,1 %'`` (French puts a space before %)."""
    return f"{fmt_number(100 * share, decimals)}{THIN_SPACE}%"


def fmt_pvalue(p: float | None) -> str:
    if p is None:
        return "n.d."
    if p < 0.001:
        return f"<{THIN_SPACE}0,001"
    return fmt_number(p, 3)


def fmt_interval(low: float, high: float, decimals: int = 0) -> str:
    """An interval with the French separator: ``[476 ; 3 113]``."""
    return f"[{fmt_number(low, decimals)} ; {fmt_number(high, decimals)}]"


def glue(name: str, value: object) -> None:
    """Store ``value`` in the executed notebook for ``{glue:text}`name``` in the book."""
    from myst_nb import glue as myst_glue  # imported here: only notebooks need it

    myst_glue(name, value, display=False)


def glue_estimate(prefix: str, estimate: Estimate, *, decimals: int = 0) -> dict[str, str]:
    """Glue the French-formatted parts of an estimate under ``<prefix>_<part>``.

    Parts: ``value``, ``se``, ``ci`` (interval), ``level`` (e.g. 95 %), ``p`` and ``n``.
    Returns the formatted strings, so a notebook can also show them.
    """
    parts = {
        "value": fmt_number(estimate.value, decimals),
        "se": fmt_number(estimate.std_error, decimals),
        "ci": fmt_interval(estimate.ci_low, estimate.ci_high, decimals),
        "level": fmt_percent(estimate.level),
        "p": fmt_pvalue(estimate.p_value),
        "n": fmt_number(estimate.n),
    }
    for part, text in parts.items():
        glue(f"{prefix}_{part}", text)
    return parts


def french_table(frame: pd.DataFrame, name: str, *, precision: int = 2) -> HTML:
    """Render a table as HTML with French numbers and a stable id (``name``).

    A pandas ``Styler`` would give the table a random id and a text representation holding
    a memory address, so every run of a report would differ; this HTML does not.
    ``name`` must be unique within a page.
    """

    def french(value: object) -> object:
        # Integers (counts, years) are left without separators; decimals are French.
        if isinstance(value, bool | numbers.Integral):
            return str(value).replace("-", "\u2212")
        if isinstance(value, numbers.Real) and math.isfinite(value):
            return fmt_number(float(value), precision)
        return value

    styler = frame.style.format(french)
    return HTML(styler.set_uuid(name).to_html())


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


def save_figure(fig: plt.Figure, study: str, name: str, *, folder: Path | None = None) -> Path:
    """Save ``fig`` as ``results/<study>/figures/<name>.png`` (or in ``folder``).

    The file is byte-identical across runs.
    """
    path = (folder or figures_dir(study)) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    # No "Software" stamp: the file then depends only on the figure.
    fig.savefig(path, format="png", metadata={"Software": None})
    return path
