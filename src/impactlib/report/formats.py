"""French number formats: comma as decimal mark, narrow no-break space between thousands
(``1 794,34``)."""

from __future__ import annotations

import math

THIN_SPACE = "\u202f"  # narrow no-break space, the French thousands separator


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


def fmt_pvalue_phrase(p: float | None) -> str:
    """A p-value for the prose: ``p = 0,123``, ``p < 0,001`` or ``p n.d.``.

    Examples
    --------
    >>> fmt_pvalue_phrase(0.1234)
    'p = 0,123'
    >>> fmt_pvalue_phrase(0.0001) == "p <\u202f0,001"
    True
    """
    text = fmt_pvalue(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def fmt_year(value: float) -> str:
    """A year or a period as a label (no thousands separator): ``fmt_year(2004.0) == '2004'``."""
    if value is None or not math.isfinite(value) or value != int(value):
        raise ValueError(f"cannot format {value!r} as a year")
    return str(int(value)).replace("-", "\u2212")


def fmt_interval(low: float, high: float, decimals: int = 0) -> str:
    """An interval with the French separator: ``[476 ; 3 113]``."""
    return f"[{fmt_number(low, decimals)} ; {fmt_number(high, decimals)}]"
