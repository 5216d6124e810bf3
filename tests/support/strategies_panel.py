"""Hypothesis strategies for the panel and running-variable families (did, synth, rd), and
the property they all check: a finite, correctly shaped result or an ``InputError`` that
names a parameter or a column; never NaN, inf, a dependency's exception or a silent number.

Data are drawn as a few discrete choices (sizes, the kind of outcome, its scale, one
degradation) and a seed for numpy's generator, so that each example is cheap to build and
hypothesis shrinks towards the simplest degenerate case.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from impactlib.core.estimate import Estimate
from support.strategies_common import TALLY, Tally, property_settings, run_property, seeded_rng

#: Examples per property: 60 in CI (derandomized, so every run draws the same ones); set
#: IMPACT_HYPOTHESIS_EXAMPLES to explore further by hand.
EXAMPLES = int(os.environ.get("IMPACT_HYPOTHESIS_EXAMPLES", "60"))
#: The settings of the panel properties.
FAST = property_settings(EXAMPLES)

# Column names distinctive enough that a message naming one cannot do so by accident.
OUTCOME, UNIT, TIME = "outcome_y", "unit_id", "period_t"
GROUP, POST, TREATED, COHORT, CLUSTER = "group_g", "post_p", "treat_d", "cohort_c", "cluster_k"
RUNNING, COVARIATE = "running_x", "covariate_z"

#: Kinds of outcome: noise, constant, near constant (1e12 plus rounding-sized noise), an
#: exact function of the design (no residual), a 0/1 outcome, and a copy of the treatment.
OUTCOME_KINDS = ("noise", "constant", "near_constant", "exact", "binary", "treatment")
SCALES = (1.0, 1e-12, 1e12)
#: One degradation of a valid table.
MUTATIONS = (
    "none",
    "nan",
    "inf",
    "duplicate",
    "drop_row",
    "drop_treated",
    "string_outcome",
    "time_nan",
    "time_inf",
    "unit_nan",
)

#: Wrong values for parameters: strings, containers, None, NaN, inf, booleans, signs, scales.
BAD_VALUES = (
    "0.05",
    "x",
    None,
    [0.05],
    (1, 2, 3),
    {"a": 1},
    float("nan"),
    float("inf"),
    -float("inf"),
    True,
    0,
    -1,
    1,
    1.5,
    -0.5,
    1e12,
    1e-12,
)


# --- data ---------------------------------------------------------------------------------


def _outcome(kind: str, rng: np.random.Generator, design: np.ndarray, scale: float) -> np.ndarray:
    """The outcome of each row; ``design`` holds unit index, period index and treatment."""
    n = len(design)
    unit, period, treated = design[:, 0], design[:, 1], design[:, 2]
    if kind == "constant":
        return np.full(n, 3.0 * scale)
    if kind == "near_constant":
        return 1e12 + rng.normal(scale=1e-5, size=n)
    if kind == "exact":
        return scale * (0.5 * unit + 0.25 * period + 2.0 * treated)
    if kind == "binary":
        return rng.integers(0, 2, size=n).astype(float)
    if kind == "treatment":
        return treated.astype(float)
    return scale * (0.3 * unit + 0.1 * period + treated + rng.normal(size=n))


def _degrade(frame: pd.DataFrame, mutation: str, column: str, treated: pd.Series) -> pd.DataFrame:
    """``frame`` with one ``mutation`` applied to ``column`` (or its rows)."""
    frame = frame.copy()
    if mutation.startswith(("time_", "unit_")):
        column = TIME if mutation.startswith("time_") else UNIT
        frame[column] = frame[column].astype(float)
        mutation = mutation.split("_")[1]
    if mutation == "nan":
        frame.loc[frame.index[0], column] = np.nan
    elif mutation == "inf":
        frame.loc[frame.index[-1], column] = np.inf
    elif mutation == "duplicate":
        frame = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
    elif mutation == "drop_row":
        frame = frame.iloc[1:].reset_index(drop=True)
    elif mutation == "drop_treated":
        frame = frame.loc[~treated.to_numpy()].reset_index(drop=True)
    elif mutation == "string_outcome":
        frame[column] = frame[column].astype(str)
    return frame


def _mostly(usual: str, choices: tuple[str, ...]) -> st.SearchStrategy[str]:
    """``usual`` about half the time, else any of ``choices``: most examples stay valid
    enough to reach the estimator, the others probe one degradation each."""
    return st.one_of(st.just(usual), st.sampled_from(choices))


@st.composite
def panels(draw, *, max_units: int = 9, max_periods: int = 6, staggered: bool = True):
    """A long panel with every column the did and synth functions read.

    ``group_g``: the treated group (constant within unit); ``post_p``: periods from the
    adoption on; ``treat_d``: treated now (D_it); ``cohort_c``: first treated period, 0 for
    never treated (with ``staggered``, treated units may start at different periods);
    ``cluster_k``: pairs of units; ``covariate_z``: noise (at scale 1 or 1e12), a function
    of the unit, or constant.
    """
    n_units = draw(st.one_of(st.integers(4, max_units), st.integers(2, max_units)))
    n_periods = draw(st.one_of(st.integers(3, max_periods), st.integers(2, max_periods)))
    # Mostly a design with treated and control units, pre and post periods; else anything.
    n_treated = draw(st.one_of(st.integers(1, max(1, n_units - 1)), st.integers(0, n_units)))
    start = draw(st.one_of(st.integers(1, n_periods - 1), st.integers(0, n_periods)))
    late = draw(st.integers(0, n_periods)) if staggered and draw(st.booleans()) else start
    kind = draw(_mostly("noise", OUTCOME_KINDS))
    scale = draw(st.sampled_from(SCALES))
    mutation = draw(_mostly("none", MUTATIONS))
    rng = seeded_rng(draw)
    first = draw(st.sampled_from((0, 2001)))  # periods 0, 1... or years
    unit = np.repeat(np.arange(n_units), n_periods)
    period = np.tile(np.arange(n_periods), n_units)
    treated_unit = unit >= n_units - n_treated
    adoption = np.where(treated_unit & (unit % 2 == 1), late, start)
    cohort = np.where(treated_unit & (adoption < n_periods), adoption + first, 0)
    now = treated_unit & (period >= adoption)
    design = np.column_stack([unit, period, now]).astype(float)
    frame = pd.DataFrame(
        {
            UNIT: unit,
            TIME: period + first,
            OUTCOME: _outcome(kind, rng, design, scale),
            GROUP: treated_unit.astype(int),
            POST: (period >= start).astype(int),
            TREATED: now.astype(int),
            COHORT: cohort,
            CLUSTER: unit // 2,
            COVARIATE: {
                "noise": rng.normal(size=len(unit)),
                "unit": unit * 2.0,
                "constant": np.full(len(unit), 4.0),
                "huge": rng.normal(size=len(unit)) * 1e12,
            }[draw(st.sampled_from(["noise", "unit", "constant", "huge"]))],
        }
    )
    return _degrade(frame, mutation, OUTCOME, pd.Series(treated_unit))


@st.composite
def rd_samples(draw, *, max_n: int = 160):
    """A cross-section with a running variable ``running_x`` (cutoff 0), an outcome and a
    cluster column: continuous or with few distinct values, at an extreme scale or not,
    with one degradation of the outcome or of the running variable."""
    n = draw(st.one_of(st.integers(max_n // 2, max_n), st.integers(2, max_n)))
    rng = seeded_rng(draw)
    x_scale = draw(st.sampled_from(SCALES))
    distinct = draw(st.one_of(st.none(), st.sampled_from((None, 2, 3, 4, 6))))
    x = rng.uniform(-1, 1, n)
    if distinct is not None:
        x = np.round(x * distinct) / distinct
    shape = draw(_mostly("noise", ("noise", "constant", "step", "exact", "binary", "one_side")))
    y_scale = draw(st.sampled_from(SCALES))
    above = (x >= 0).astype(float)
    y = {
        "noise": x + above + rng.normal(scale=0.5, size=n),
        "constant": np.full(n, 2.0),
        "step": above,  # constant on each side
        "exact": 1.0 + x + 2.0 * above,
        "binary": rng.integers(0, 2, size=n).astype(float),
        "one_side": np.where(above > 0, rng.normal(size=n), 0.0),
    }[shape] * y_scale
    frame = pd.DataFrame(
        {
            RUNNING: x * x_scale,
            OUTCOME: y,
            CLUSTER: rng.integers(0, draw(st.integers(1, 12)), size=n),
            COVARIATE: rng.normal(size=n),
        }
    )
    mutation = draw(_mostly("none", ("none", "nan", "inf", "string_outcome", "running_nan")))
    if mutation == "running_nan":
        return _degrade(frame, "nan", RUNNING, pd.Series(np.zeros(n, dtype=bool)))
    return _degrade(frame, mutation, OUTCOME, pd.Series(np.zeros(n, dtype=bool)))


# --- the property -------------------------------------------------------------------------


def _finite_numbers(values: Iterable[Any], where: str) -> None:
    for value in values:
        if isinstance(value, bool) or value is None or isinstance(value, str):
            continue
        if isinstance(value, int | float | np.integer | np.floating):
            assert math.isfinite(float(value)), f"{where}: non-finite number {value!r}"


def check_estimate(est: Estimate) -> None:
    """An estimate with every number finite, a p-value in [0, 1] and a non-negative error."""
    assert isinstance(est, Estimate)
    numbers = (est.value, est.std_error, est.ci_low, est.ci_high, est.p_value)
    _finite_numbers(numbers, f"estimate {est.method[:40]}")
    assert est.p_value is not None, f"no p-value: {est.method[:60]}"
    assert 0 <= est.p_value <= 1
    assert est.std_error > 0, f"zero standard error: {est.method[:60]}"
    assert est.ci_low <= est.ci_high


def check_table(table: pd.DataFrame, *, allow_nan: Iterable[str] = ()) -> None:
    """Every numeric cell of ``table`` finite, but in the columns of ``allow_nan``."""
    assert isinstance(table, pd.DataFrame) and len(table) > 0
    for column in table.columns:
        if column in set(allow_nan) or not pd.api.types.is_numeric_dtype(table[column]):
            continue
        if pd.api.types.is_bool_dtype(table[column]):
            continue
        values = table[column].to_numpy(dtype=float)
        assert np.isfinite(values).all(), f"column {column!r} of a table is not finite: {values}"


def holds(
    call: Callable[[], Any],
    check: Callable[[Any], None],
    *,
    names: Iterable[str],
    tally: Tally = TALLY,
) -> Any:
    """Run ``call``: its result must pass ``check``, or it must raise an ``InputError`` whose
    message names one of ``names`` (parameters or columns, quoted or not). Any other
    exception propagates and fails the test. Returns the result, or None when refused."""
    return run_property(call, check, names=names, tally=tally)[1]
