"""Input checks shared by the whole library: each failure names the parameter or column and
the problem.

Scalars (``require_number``, ``require_positive``, ``require_non_negative``,
``require_integer``, ``require_in_range``, ``require_probability``, ``require_flag``,
``require_text``, ``require_choice``) return the value checked, converted (a float, an int),
so that a caller writes ``rate = require_in_range(rate, name="rate", low=0, high=1)``.
Tables (``require_dataframe``, ``require_columns``, ``require_numeric``,
``require_binary``, ``require_finite``, ``require_unique_unit_period``) name the column.
Roles and degenerate data (``require_distinct_columns``: one column in two roles;
``require_varies``: a constant column; ``require_per_arm``: too few units in an arm;
``require_finite_array``; ``require_full_rank``: collinearity judged by the numerical rank;
``has_full_rank``; ``require_range_pair``: a ``(low, high)`` pair where a range is expected).

Rounding noise: one tolerance, :data:`ROUNDING_NOISE` (1e-10 of the largest absolute value of
the data), decides everywhere what is "equal up to rounding": ``is_negligible`` (residuals
of a perfect fit), ``is_constant`` and ``require_spread`` (values that are all equal),
``refuse_exact_fit`` (the residuals of a regression) and ``require_std_error`` (a standard
error). The spread of data read from a file and a number an algorithm computed from them are
judged alike: equal data differ by a few units of the 16th significant digit, far below the
tolerance, and no outcome, covariate, effect or variance is measured to 11 significant
digits, so data varying by less are not measurements that vary. Computed results need the
room: an algorithm leaves noise of its own well above the 16th digit (pyfixest's iterative
demeaning stops at a tolerance of 1e-6: an outcome fitted exactly by unit and time effects
and the treatment, on a panel of 40 units and 12 periods lacking 5 rows, leaves residuals of
4e-11 to 4e-10 of its magnitude and a standard error of 2e-12 to 7e-12 in six random
draws, four of which a tolerance of 1e-12 took for a measured effect and uncertainty). An
algorithm that stops further from the exact answer than the tolerance must be asked for a
tighter stop by its caller: no tolerance on the data can tell its noise from a result.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd


class InputError(ValueError):
    """Bad input to an impactlib function; the message names what is wrong."""


def require_dataframe(data: object, *, name: str = "data") -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"{name} must be a pandas DataFrame, got {type(data).__name__}")
    if data.empty:
        raise InputError(f"{name} has no rows")
    return data


def require_columns(data: pd.DataFrame, columns: Iterable[str], *, role: str = "column") -> None:
    """Raise :class:`InputError` naming every requested column that ``data`` lacks."""
    columns = list(columns)
    missing = [c for c in columns if c not in data.columns]
    if missing:
        listed = ", ".join(repr(c) for c in missing)
        available = ", ".join(repr(c) for c in data.columns[:20])
        raise InputError(f"{role} {listed} not found in data (columns: {available})")
    repeated = [c for c in dict.fromkeys(columns) if int((data.columns == c).sum()) > 1]
    if repeated:
        listed = ", ".join(repr(c) for c in repeated)
        raise InputError(f"{role} {listed} appears more than once among the columns of data")


def require_numeric(data: pd.DataFrame, column: str, *, role: str) -> None:
    if not (
        pd.api.types.is_numeric_dtype(data[column]) or pd.api.types.is_bool_dtype(data[column])
    ):
        raise InputError(
            f"{role} column {column!r} must be numeric, got dtype {data[column].dtype}"
        )


def require_binary(data: pd.DataFrame, column: str, *, role: str = "treatment") -> np.ndarray:
    """Return ``column`` as 0/1 integers, refusing anything else or a column that never varies."""
    values = data[column]
    n_missing = int(values.isna().sum())
    if n_missing:
        raise InputError(f"{role} column {column!r} has {n_missing} missing value(s)")
    if pd.api.types.is_bool_dtype(values):
        values = values.astype(int)
    require_numeric(data.assign(**{column: values}), column, role=role)
    distinct = set(pd.unique(values).tolist())  # Python scalars, for readable messages
    if not distinct <= {0, 1}:
        shown = ", ".join(repr(v) for v in sorted(distinct)[:5])
        raise InputError(f"{role} column {column!r} must be binary 0/1, found values {shown}")
    if len(distinct) < 2:
        raise InputError(
            f"{role} column {column!r} never varies (only {next(iter(distinct))!r}): "
            "both a treated and a control group are needed"
        )
    return values.to_numpy(dtype=int)


def require_finite(data: pd.DataFrame, columns: Sequence[str], *, role: str) -> None:
    """Refuse infinite values, which ``dropna`` keeps and which would poison every mean."""
    for column in columns:
        n_infinite = int(np.isinf(data[column].to_numpy(dtype=float)).sum())
        if n_infinite:
            raise InputError(f"{role} column {column!r} has {n_infinite} infinite value(s)")


def require_number(value: object, *, name: str) -> float:
    """``value`` as a float: a finite real number (Python or numpy), not a boolean."""
    if not is_real(value):
        raise InputError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number):
        raise InputError(f"{name} must be finite, got {value!r}")
    return number


def require_positive(value: object, *, name: str) -> float:
    """A finite number > 0, as a float."""
    number = require_number(value, name=name)
    if number <= 0:
        raise InputError(f"{name} must be > 0, got {value!r}")
    return number


def require_non_negative(value: object, *, name: str, hint: str = "") -> float:
    """A finite number >= 0, as a float; ``hint`` (" (why)") follows the rule in the message."""
    number = require_number(value, name=name)
    if number < 0:
        raise InputError(f"{name} must be >= 0{hint}, got {value!r}")
    return number


def require_integer(value: object, *, name: str, minimum: int | None = None) -> int:
    """A whole number (``3``, ``np.int64(3)`` or ``3.0``, as YAML may give it) >= ``minimum``."""
    number = require_number(value, name=name)
    if not number.is_integer() or (minimum is not None and number < minimum):
        bound = f" >= {minimum}" if minimum is not None else ""
        raise InputError(f"{name} must be an integer{bound}, got {value!r}")
    return int(number)


def _bounds(low: float | None, high: float | None, include_low: bool, include_high: bool) -> str:
    """Interval notation: ``[0, 1)``; a missing bound is infinite (and never included)."""
    left = "[" if include_low and low is not None else "("
    right = "]" if include_high and high is not None else ")"
    low_text = "-inf" if low is None else f"{low}"
    high_text = "inf" if high is None else f"{high}"
    return f"{left}{low_text}, {high_text}{right}"


def require_in_range(
    value: object,
    *,
    name: str,
    low: float | None = None,
    high: float | None = None,
    include_low: bool = True,
    include_high: bool = True,
    hint: str = "",
) -> float:
    """A finite number within ``low`` and ``high`` (``None``: no bound), as a float.

    The message writes the interval the way it is written here, ``[0, 1)`` or
    ``(0.0, inf)``, followed by ``hint`` (" (a share: 0.72 for 72 %)") when given.
    """
    number = require_number(value, name=name)
    too_low = low is not None and (number < low if include_low else number <= low)
    too_high = high is not None and (number > high if include_high else number >= high)
    if too_low or too_high:
        bounds = _bounds(low, high, include_low, include_high)
        raise InputError(f"{name} must be in {bounds}{hint}, got {value!r}")
    return number


def require_probability(value: object, *, name: str, open_interval: bool = True) -> float:
    """A number in (0, 1), or in [0, 1] when not ``open_interval``, as a float."""
    closed = not open_interval
    return require_in_range(
        value, name=name, low=0, high=1, include_low=closed, include_high=closed
    )


def require_flag(value: object, *, name: str) -> bool:
    """``True`` or ``False`` itself: a truthy string or number is refused, not guessed."""
    if not isinstance(value, bool | np.bool_):
        raise InputError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def require_text(value: object, *, name: str) -> str:
    """A string with something other than spaces in it."""
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{name} must be a non-empty string, got {value!r}")
    return value


def require_choice(value: object, *, name: str, allowed: Iterable[str]) -> str:
    """One of ``allowed`` (the message lists them)."""
    allowed = list(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise InputError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def drop_missing(data: pd.DataFrame, columns: Sequence[str]) -> tuple[pd.DataFrame, int]:
    """Drop rows missing any of ``columns``; return the rows kept and how many were removed.

    The count goes into the result so that no row disappears silently.
    """
    kept = data.dropna(subset=list(columns))
    return kept, len(data) - len(kept)


def as_list(columns: str | Sequence[str] | None) -> list[str]:
    """One column name or several, as a list (``None`` gives an empty list)."""
    if columns is None:
        return []
    if isinstance(columns, str):
        return [columns]
    return list(columns)


def plain(value: object) -> object:
    """A numpy scalar as the Python scalar, so that messages read ``7``, not ``np.int64(7)``."""
    return value.item() if isinstance(value, np.generic) else value


def is_real(value: object) -> bool:
    """A real number (Python or numpy), not a boolean."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def require_unique_unit_period(data: pd.DataFrame, unit: str, time: str) -> None:
    """Refuse a unit observed more than once in a period, naming the first such pair."""
    keyed = data.dropna(subset=[unit, time])
    repeated = keyed.duplicated(subset=[unit, time], keep=False)
    if repeated.any():
        position = int(np.flatnonzero(repeated.to_numpy())[0])
        u, t = plain(keyed[unit].iloc[position]), plain(keyed[time].iloc[position])
        times = int(((keyed[unit] == u) & (keyed[time] == t)).sum())
        n_pairs = int(keyed.loc[repeated].drop_duplicates(subset=[unit, time]).shape[0])
        raise InputError(
            f"unit {u!r} (column {unit!r}) is observed {times} times in period {t!r} "
            f"(column {time!r}); {n_pairs} unit-period pair(s) are repeated: a panel needs "
            "one row per unit and period"
        )


def require_distinct_columns(**columns: str | Sequence[str] | None) -> None:
    """Refuse one column playing two roles (``outcome="y", treatment="y"``), naming both roles.

    Each keyword is a role and its column (or columns, or ``None`` when the role is unused).
    An outcome equal to the treatment would give an effect of exactly 1 with p = 0.
    """
    seen: dict[str, str] = {}
    for role, names in columns.items():
        for column in as_list(names):  # type: ignore[arg-type]
            if column in seen and seen[column] != role:
                raise InputError(
                    f"column {column!r} is given both as {seen[column]} and as {role}: "
                    "each role needs its own column"
                )
            seen.setdefault(column, role)


def require_varies(values: object, *, name: str, role: str = "column") -> None:
    """Refuse a column (or array) whose non-missing values are all equal, or fewer than two."""
    array = pd.Series(np.asarray(values).ravel()).dropna()
    if array.nunique() < 2:
        shown = f" (only {plain(array.iloc[0])!r})" if len(array) else ""
        raise InputError(f"{role} {name!r} never varies{shown}: nothing to estimate from it")


def require_per_arm(
    treatment: object, *, name: str = "treatment", minimum: int = 2, what: str = "unit(s)"
) -> None:
    """Refuse a 0/1 arm indicator with fewer than ``minimum`` observations in either arm."""
    values = np.asarray(treatment).ravel()
    for arm, label in ((1, "treated"), (0, "control")):
        count = int((values == arm).sum())
        if count < minimum:
            raise InputError(
                f"treatment column {name!r} has {count} {label} {what}; at least {minimum} "
                "per arm are needed for a standard error"
            )


def require_finite_array(values: object, *, name: str) -> np.ndarray:
    """``values`` as a float array with no NaN or inf, naming ``name`` otherwise."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as error:
        raise InputError(f"{name} must hold numbers: {error}") from None
    n_bad = int((~np.isfinite(array)).sum())
    if n_bad:
        raise InputError(f"{name} has {n_bad} missing or infinite value(s)")
    return array


def require_full_rank(matrix: object, *, columns: Sequence[str], role: str = "covariates") -> None:
    """Refuse a design matrix whose columns are linearly dependent, judged by its numerical rank.

    The rank is ``numpy.linalg.matrix_rank`` of the columns scaled to unit norm (so that a
    covariate in euros and one in thousands of euros are judged alike); the message names
    the first column that adds nothing to those before it.
    """
    array = np.asarray(matrix, dtype=float)
    if array.ndim != 2 or array.shape[1] == 0:
        return
    norms = np.linalg.norm(array, axis=0)
    if np.any(norms == 0):
        column = columns[int(np.flatnonzero(norms == 0)[0])]
        raise InputError(f"{role} column {column!r} is all zero")
    if has_full_rank(array):
        return
    scaled = array / norms
    for j in range(1, array.shape[1] + 1):
        if np.linalg.matrix_rank(scaled[:, :j]) < j:
            raise InputError(
                f"{role} column {columns[j - 1]!r} is collinear with the columns before it "
                f"({', '.join(repr(c) for c in columns[: j - 1]) or 'the intercept'}); "
                "drop it or one of them"
            )


def require_range_pair(
    value: object, *, name: str, low: float | None = None, high: float | None = None
) -> tuple[float, float]:
    """A pair ``(a, b)`` of finite numbers with ``a <= b`` (each within ``low``/``high``)."""
    if isinstance(value, str) or not isinstance(value, Sequence | np.ndarray) or len(value) != 2:
        raise InputError(f"{name} must be a pair (low, high), got {value!r}")
    a = require_in_range(value[0], name=f"{name}[0]", low=low, high=high)
    b = require_in_range(value[1], name=f"{name}[1]", low=low, high=high)
    if a > b:
        raise InputError(f"{name} must be (low, high) with low <= high, got {value!r}")
    return a, b


def has_full_rank(matrix: object) -> bool:
    """Whether the columns of ``matrix`` are linearly independent, judged by the numerical rank
    (``numpy.linalg.matrix_rank``) of the columns scaled to unit norm: a covariate measured
    in 1e-12 or in 1e12 is judged like one measured in units, and an all-zero column is
    dependent."""
    array = np.asarray(matrix, dtype=float)
    if array.ndim != 2 or array.shape[1] == 0:
        return True
    if not np.isfinite(array).all():
        return False
    norms = np.linalg.norm(array, axis=0)
    if np.any(norms == 0) or array.shape[0] < array.shape[1]:
        return False
    return bool(np.linalg.matrix_rank(array / norms) == array.shape[1])


#: Relative size under which a number is rounding noise: a spread, residual or standard error
#: of at most ROUNDING_NOISE times the largest absolute value of the data is zero, and values
#: that agree to 10 significant digits are equal (see the module's docstring for why one
#: number serves data and computed results).
ROUNDING_NOISE = 1e-10


def is_negligible(values: object, *, scale: object) -> bool:
    """Whether every value of ``values`` is zero up to rounding relative to ``scale``: at most
    :data:`ROUNDING_NOISE` times the largest absolute finite value of ``scale`` (residuals
    of a perfect fit, the spread of effects that are all equal)."""
    array = np.abs(np.asarray(values, dtype=float))
    reference = _magnitude(np.asarray(scale, dtype=float).ravel())
    return bool(np.max(array, initial=0.0) <= ROUNDING_NOISE * reference)


def _magnitude(values: np.ndarray) -> float:
    """The largest absolute finite value (0 when there is none)."""
    finite = values[np.isfinite(values)]
    return float(np.abs(finite).max()) if finite.size else 0.0


def is_constant(values: object) -> bool:
    """Whether the values are all equal up to rounding (their range is negligible)."""
    array = np.asarray(values, dtype=float).ravel()
    if array.size == 0:
        return True
    return is_negligible(np.ptp(array), scale=array)


def require_column_name(column: object, *, role: str) -> object:
    """One column label (a string, or an integer label): not a list, ``None`` or a number.

    Checked before the label is looked up in a table, where a list would raise pandas'
    ``TypeError: unhashable type``.
    """
    if isinstance(column, bool) or not isinstance(column, str | numbers.Integral):
        raise InputError(
            f"{role} must be one column name (a string), got {type(column).__name__} {column!r}"
        )
    return column


def require_spread(values: object, *, name: str, role: str = "outcome", where: str = "") -> None:
    """Refuse a numeric column that never varies, even by less than :data:`ROUNDING_NOISE`.

    ``values`` are the column's values (missing ones are ignored); ``where`` (" below the
    cutoff") says which rows were looked at. A constant outcome leaves nothing to estimate:
    the estimators would return an effect and a p-value made of rounding errors.
    """
    array = np.asarray(values, dtype=float).ravel()
    array = array[~np.isnan(array)]
    if array.size == 0:
        raise InputError(f"{role} column {name!r} has no value{where}")
    spread = float(np.ptp(array))
    if spread == 0:
        raise InputError(
            f"{role} column {name!r} is constant{where} (every value is {array[0]:.6g}): "
            + (
                "there is no variation to estimate an effect from"
                if role == "outcome"
                else "it carries no information"
            )
        )
    if is_negligible(spread, scale=array):
        raise InputError(
            f"{role} column {name!r} varies only by rounding noise{where} (range {spread:.3g} "
            f"for values near {array[0]:.12g}): it is constant to 10 significant digits"
        )


def refuse_exact_fit(
    residuals: object, values: object, *, name: str, model: str, role: str = "outcome"
) -> None:
    """Refuse a regression whose residuals are rounding noise relative to the outcome.

    The outcome is then an exact function of the regressors (``model`` says which): its
    standard errors, and any p-value from them, would be made of rounding errors.
    """
    residual = np.asarray(residuals, dtype=float).ravel()
    rms = float(np.sqrt(np.mean(np.square(residual)))) if residual.size else 0.0
    if is_negligible(rms, scale=values):
        magnitude = _magnitude(np.asarray(values, dtype=float).ravel())
        raise InputError(
            f"{role} column {name!r} is fitted exactly by {model} (residuals of {rms:.3g} for "
            f"values up to {magnitude:.3g} are rounding noise): no standard error can be "
            "estimated from data without residual variation"
        )


def require_std_error(std_error: object, values: object, *, name: str, method: str) -> float:
    """A standard error that is finite and larger than rounding noise of the outcome.

    ``values`` are the outcome's values and ``name`` its column; ``method`` says where the
    standard error comes from, for the message.
    """
    se = float(std_error)  # type: ignore[arg-type]
    if not math.isfinite(se):
        raise InputError(
            f"{method} gives no finite standard error for outcome column {name!r} "
            f"(got {se!r}): the data leave this estimate without a comparison or variation"
        )
    if is_negligible(se, scale=values):
        magnitude = _magnitude(np.asarray(values, dtype=float).ravel())
        raise InputError(
            f"{method} gives a standard error of {se:.3g} for outcome column {name!r} (values "
            f"up to {magnitude:.3g}): that is rounding noise, the data have no variation left "
            "to measure uncertainty"
        )
    return se
