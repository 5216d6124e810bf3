"""Effect sizes and their sampling variances, one row per study (metafor's ``escalc``).

The formulas are those of R's metafor ``escalc`` (Viechtbauer 2010, J. Stat. Softw.
36(3)), with its defaults: the exact small-sample correction for Hedges' g, the
large-sample variances (``vtype="LS"``) and 1/2 added to every cell of a 2x2 table that
has a zero cell (``add=1/2, to="only0"``). No well-kept Python library computes all of
them with these conventions (statsmodels' ``effectsize_smd`` uses the approximate
correction), so they are written here and tested against metafor's own output.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.special import gammaln

from impactlib.core.validation import InputError, is_real, require_columns, require_dataframe

MEASURES = ("SMD", "RR", "OR", "RD", "ZCOR", "GEN")
TWO_BY_TWO = ("RR", "OR", "RD")
RATIO_MEASURES = ("RR", "OR")
#: Measures a pooled result may be labelled with: those computed here, and effects computed
#: elsewhere and given as ``yi``, ``vi`` (``"IRR"``: log incidence rate ratios, as the note on
#: falls prevention pools them).
POOLED_MEASURES = (*MEASURES, "IRR")

#: Column roles per measure, in metafor's names. For 2x2 measures either the
#: complementary counts (bi, di) or the group sizes (n1i, n2i) are needed.
ROLES = {
    "SMD": ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"),
    "ZCOR": ("ri", "ni"),
    "GEN": ("yi", "vi"),
}
TWO_BY_TWO_ROLES = ("ai", "bi", "ci", "di", "n1i", "n2i")


def require_measure(measure: str, *, allowed: Sequence[str] = MEASURES) -> str:
    if measure not in allowed:
        raise InputError(f"measure must be one of {', '.join(allowed)}; got {measure!r}")
    return measure


def required_roles(measure: str, available: Sequence[str] = ()) -> tuple[str, ...]:
    """The column roles ``measure`` needs; for 2x2 measures, group sizes unless bi/di exist."""
    require_measure(measure)
    if measure in TWO_BY_TWO:
        first = "bi" if "bi" in available and "n1i" not in available else "n1i"
        second = "di" if "di" in available and "n2i" not in available else "n2i"
        return ("ai", first, "ci", second)
    return ROLES[measure]


def row_name(row: int, label: object | None) -> str:
    """``row 3 (study 'Aronson 1948')``: rows are counted from 1, header excluded."""
    if label is None or (isinstance(label, float) and np.isnan(label)):
        return f"row {row}"
    return f"row {row} (study {str(label)!r})"


def parse_numbers(
    frame: pd.DataFrame,
    columns: Mapping[str, str],
    labels: Sequence,
    *,
    counts: Sequence[str] = (),
) -> tuple[dict[str, np.ndarray], list[str]]:
    """Each column of ``columns`` (role -> column) as floats, and one message per missing,
    non-numeric or infinite cell naming its row (from 1), study label and column.

    A missing value of a role in ``counts`` is called a missing count.
    """
    problems: list[str] = []
    values: dict[str, np.ndarray] = {}
    for role, column in columns.items():
        raw = frame[column]
        numeric = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        for i in np.flatnonzero(np.isnan(numeric)):
            what = "missing value" if pd.isna(raw.iloc[i]) else f"not a number ({raw.iloc[i]!r})"
            if role in counts and pd.isna(raw.iloc[i]):
                what = "missing count"
            problems.append(f"{row_name(i + 1, labels[i])}, column {column!r}: {what}")
        for i in np.flatnonzero(np.isinf(numeric)):
            problems.append(f"{row_name(i + 1, labels[i])}, column {column!r}: infinite value")
        values[role] = numeric
    return values, problems


def check_effect_columns(
    frame: pd.DataFrame, measure: str, columns: dict[str, str], labels: Sequence | None = None
) -> list[str]:
    """Row-level checks of the numbers ``measure`` needs; returns one message per problem.

    ``columns`` maps each role (``"ai"``, ``"n1i"``...) to a column of ``frame``. Each
    message names the 1-based row, the study label when given, and the column.
    """
    labels = list(labels) if labels is not None else [None] * len(frame)
    values, problems = parse_numbers(frame, columns, labels, counts=TWO_BY_TWO_ROLES)

    def flag(role: str, bad: np.ndarray, message: str) -> None:
        column = columns[role]
        for i in np.flatnonzero(bad):
            text = message.format(value=_fmt(values[role][i]), **_context(values, i))
            problems.append(f"{row_name(i + 1, labels[i])}, column {column!r}: {text}")

    with np.errstate(invalid="ignore"):
        if measure in TWO_BY_TWO:
            for role in columns:
                v = values[role]
                flag(role, v < 0, "negative count ({value})")
                flag(role, (v >= 0) & (v != np.round(v)), "count {value} is not a whole number")
            for events, size in (("ai", "n1i"), ("ci", "n2i")):
                if size in columns:
                    flag(
                        events,
                        values[events] > values[size],
                        f"{{value}} events exceed the group size {columns[size]} = {{{size}}}",
                    )
                    flag(size, values[size] == 0, "group size is 0")
        elif measure == "SMD":
            for role in ("sd1i", "sd2i"):
                flag(role, values[role] < 0, "negative standard deviation ({value})")
            flag("sd1i", (values["sd1i"] == 0) & (values["sd2i"] == 0), "both SDs are 0")
            for role in ("n1i", "n2i"):
                flag(role, values[role] < 2, "group size {value} is below 2")
                flag(
                    role,
                    (values[role] >= 2) & (values[role] != np.round(values[role])),
                    "group size {value} is not a whole number",
                )
        elif measure == "ZCOR":
            flag("ri", np.abs(values["ri"]) >= 1, "correlation {value} is not in (-1, 1)")
            flag("ni", values["ni"] <= 3, "sample size {value} must exceed 3 (variance 1/(n-3))")
        elif measure == "GEN":
            flag("vi", values["vi"] < 0, "negative variance ({value})")
            flag("vi", values["vi"] == 0, "variance is 0")
    return problems


def _fmt(value: float) -> str:
    return str(int(value)) if np.isfinite(value) and value == int(value) else f"{value:g}"


def _context(values: dict[str, np.ndarray], i: int) -> dict[str, str]:
    return {role: _fmt(v[i]) for role, v in values.items()}


def _resolve_columns(data: pd.DataFrame, measure: str, given: dict[str, str | None]):
    """Map each role to a column: the name given, else a column named like the role."""
    explicit = {role: col for role, col in given.items() if col is not None}
    for role, column in explicit.items():
        if column not in data.columns:
            available = ", ".join(repr(c) for c in data.columns[:20])
            raise InputError(f"{role}: column {column!r} not found in data (columns: {available})")
    present = [role for role in given if explicit.get(role) or role in data.columns]
    roles = required_roles(measure, present)
    missing = [r for r in roles if r not in explicit and r not in data.columns]
    if missing:
        raise InputError(
            f"measure {measure!r} needs the column(s) {', '.join(missing)} "
            "(pass them as keyword arguments, e.g. ai='events_treated')"
        )
    resolved = {role: explicit.get(role, role) for role in roles}
    require_columns(data, list(resolved.values()), role="column")
    return resolved


def hedges_correction(df: np.ndarray) -> np.ndarray:
    """Exact small-sample correction J(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2))."""
    return np.exp(gammaln(df / 2) - 0.5 * np.log(df / 2) - gammaln((df - 1) / 2))


def effect_sizes(
    data: pd.DataFrame,
    measure: str,
    *,
    id: str | None = None,
    ai: str | None = None,
    bi: str | None = None,
    ci: str | None = None,
    di: str | None = None,
    n1i: str | None = None,
    n2i: str | None = None,
    m1i: str | None = None,
    m2i: str | None = None,
    sd1i: str | None = None,
    sd2i: str | None = None,
    ri: str | None = None,
    ni: str | None = None,
    yi: str | None = None,
    vi: str | None = None,
    add: float = 0.5,
    to: str = "only0",
    vtype: str = "LS",
) -> pd.DataFrame:
    """Effect size ``yi`` and sampling variance ``vi`` of each study, as metafor's ``escalc``.

    Column arguments take the name of a column of ``data``; when omitted, a column named
    like the argument (metafor's names) is used if it exists.

    ============  =====================================================================
    measure       columns and formula
    ============  =====================================================================
    ``"SMD"``     ``m1i, sd1i, n1i, m2i, sd2i, n2i`` (means, SDs, sizes; group 1 is
                  treated): Hedges' g = J(m) (m1 - m2) / s_pooled with the exact
                  correction J and m = n1 + n2 - 2; variance 1/n1 + 1/n2 + g^2/(2(n1+n2))
                  (``vtype="LS"``) or the unbiased one (``vtype="UB"``).
    ``"RR"``      log risk ratio from ``ai`` (treated events), ``n1i`` (treated size) or
                  ``bi`` (treated non-events), ``ci``, ``n2i`` or ``di`` (control);
                  variance 1/a - 1/n1 + 1/c - 1/n2.
    ``"OR"``      log odds ratio log(ad / bc); variance 1/a + 1/b + 1/c + 1/d.
    ``"RD"``      risk difference a/n1 - c/n2; variance p1(1-p1)/n1 + p2(1-p2)/n2.
    ``"ZCOR"``    Fisher's z = atanh(r) from ``ri`` and ``ni``; variance 1/(n - 3).
    ``"GEN"``     effects and variances already computed, in ``yi`` and ``vi``.
    ============  =====================================================================

    For 2x2 measures, ``add`` (default 1/2) is added to the four cells of each study with
    a zero cell (``to="only0"``, metafor's default; ``"all"``: every study; ``"none"``).
    Like metafor, the correction is applied to the risk difference too.

    Parameters
    ----------
    data : DataFrame
        One row per study.
    measure : {"SMD", "RR", "OR", "RD", "ZCOR", "GEN"}
    id : str, optional
        Study label column, kept first in the result and used in error messages.

    Returns
    -------
    DataFrame
        The ``id`` column (if given), ``yi`` and ``vi``, with the index of ``data``;
        ``attrs["measure"]`` records the measure. Missing or impossible numbers are
        refused (an :class:`InputError` naming each row and column), never dropped.

    Examples
    --------
    >>> df = pd.DataFrame({"trial": ["A", "B"], "ai": [4, 6], "n1i": [123, 306],
    ...                    "ci": [11, 29], "n2i": [139, 303]})
    >>> es = effect_sizes(df, "RR", id="trial")
    >>> es.round(4).to_dict("list")
    {'trial': ['A', 'B'], 'yi': [-0.8893, -1.5854], 'vi': [0.3256, 0.1946]}
    """
    data = require_dataframe(data)
    require_measure(measure)
    if to not in ("only0", "all", "none"):
        raise InputError(f"to must be 'only0', 'all' or 'none'; got {to!r}")
    if vtype not in ("LS", "UB"):
        raise InputError(f"vtype must be 'LS' or 'UB'; got {vtype!r}")
    if not is_real(add) or not np.isfinite(add) or add < 0:
        raise InputError(f"add must be a non-negative number; got {add!r}")
    given = {"ai": ai, "bi": bi, "ci": ci, "di": di, "n1i": n1i, "n2i": n2i}
    if measure == "SMD":
        given = {"m1i": m1i, "sd1i": sd1i, "n1i": n1i, "m2i": m2i, "sd2i": sd2i, "n2i": n2i}
    elif measure == "ZCOR":
        given = {"ri": ri, "ni": ni}
    elif measure == "GEN":
        given = {"yi": yi, "vi": vi}
    columns = _resolve_columns(data, measure, given)
    labels = None
    if id is not None:
        if id not in data.columns:
            raise InputError(f"id column {id!r} not found in data")
        labels = data[id].tolist()
    problems = check_effect_columns(data, measure, columns, labels)
    if problems:
        raise InputError(
            f"{len(problems)} problem(s) in the {measure} data: " + "; ".join(problems)
        )
    x = {role: data[col].to_numpy(dtype=float) for role, col in columns.items()}

    if measure in TWO_BY_TWO:
        a, c = x["ai"], x["ci"]
        b = x["bi"] if "bi" in x else x["n1i"] - a
        d = x["di"] if "di" in x else x["n2i"] - c
        if to == "all":
            bump = np.ones_like(a, dtype=bool)
        elif to == "only0":
            bump = (a == 0) | (b == 0) | (c == 0) | (d == 0)
        else:
            bump = np.zeros_like(a, dtype=bool)
        a, b, c, d = (cell + add * bump for cell in (a, b, c, d))
        n1, n2 = a + b, c + d
        p1, p2 = a / n1, c / n2
        with np.errstate(divide="ignore", invalid="ignore"):
            if measure == "RR":
                y = np.log(p1) - np.log(p2)
                v = 1 / a - 1 / n1 + 1 / c - 1 / n2
            elif measure == "OR":
                y = np.log(a * d) - np.log(b * c)
                v = 1 / a + 1 / b + 1 / c + 1 / d
            else:
                y = p1 - p2
                v = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
        _refuse_undefined(y, v, measure, labels)
    elif measure == "SMD":
        n1, n2 = x["n1i"], x["n2i"]
        m = n1 + n2 - 2
        s_pooled = np.sqrt(((n1 - 1) * x["sd1i"] ** 2 + (n2 - 1) * x["sd2i"] ** 2) / m)
        j = hedges_correction(m)
        y = j * (x["m1i"] - x["m2i"]) / s_pooled
        if vtype == "LS":
            v = 1 / n1 + 1 / n2 + y**2 / (2 * (n1 + n2))
        else:
            v = 1 / n1 + 1 / n2 + (1 - (m - 2) / (m * j**2)) * y**2
    elif measure == "ZCOR":
        y = np.arctanh(x["ri"])
        v = 1 / (x["ni"] - 3)
    else:
        y, v = x["yi"], x["vi"]

    out = pd.DataFrame({"yi": y, "vi": v}, index=data.index)
    if id is not None:
        out.insert(0, id, data[id].to_numpy())
    out.attrs["measure"] = measure
    return out


def _refuse_undefined(y: np.ndarray, v: np.ndarray, measure: str, labels) -> None:
    """A 2x2 study with no event in either arm and ``to="none"`` has no defined effect."""
    bad = ~(np.isfinite(y) & np.isfinite(v) & (v > 0))
    if bad.any():
        labels = labels or [None] * len(y)
        rows = "; ".join(row_name(i + 1, labels[i]) for i in np.flatnonzero(bad))
        raise InputError(
            f"{measure} is undefined (zero cells without correction, or no variance) for {rows}: "
            "use to='only0' or remove these studies"
        )
