"""Hypothesis strategies of bad and degenerate input, and the check every property test makes.

The contract (issue 12): a public function given degenerate data or a bad parameter returns
finite, correctly shaped results or raises :class:`InputError` naming the parameter or the
column; never a NaN, an inf, a dependency's exception, or a silent number. A "silent number"
is flagged here as a standard error of exactly 0 that still comes with a p-value.

- :func:`trial_frames`: a randomised trial (outcome ``y``, arm ``t``, covariates ``x1``,
  ``x2``, cluster ``c``, stratum ``s``, ``observed``, ``received``, counts ``k`` over
  ``exposure``) in one of :data:`TRIAL_MODES`;
- :func:`bad_probabilities`, :func:`bad_integers`, :func:`bad_ranges`: wrong-type and
  out-of-range parameters;
- :func:`meta_inputs`: effects and variances of a meta-analysis in one of :data:`META_MODES`;
- :func:`check_outcome`: run a call, accept a refusal naming what it must name, or check
  the result.

Other families' panel strategies live in ``strategies_panel.py``; the settings, the seed
and the run of one call that both use in ``strategies_common.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
from hypothesis import settings
from hypothesis import strategies as st

from impactlib.core.estimate import Estimate
from impactlib.core.validation import InputError
from support.strategies_common import property_settings, run_property, seeded_rng

# Deterministic and fast: the same examples on every machine and in CI.
PROPERTY = property_settings(40)
SLOW_PROPERTY = settings(PROPERTY, max_examples=15)

# Modes in which a refusal is the only right answer, and what it must name.
TRIAL_MODES = (
    "plain",
    "constant_outcome",
    "one_treated",
    "one_control",
    "nan_cells",
    "inf_outcome",
    "collinear",
    "tiny_scale",
    "huge_scale",
    "duplicated_rows",
    "duplicated_index",
    "tiny_n",
    "constant_covariate",
)
MUST_REFUSE = {
    "constant_outcome": ("y",),
    "one_treated": ("t",),
    "one_control": ("t",),
    "inf_outcome": ("y",),
}


@dataclass(frozen=True)
class Case:
    """A generated input: its mode (what is degenerate about it) and the data."""

    mode: str
    data: pd.DataFrame

    def __repr__(self) -> str:  # hypothesis prints the failing example
        return f"Case(mode={self.mode!r}, n={len(self.data)})\n{self.data.to_string()}"


def _arms(n: int, mode: str, rng: np.random.Generator) -> np.ndarray:
    if mode == "one_treated":
        t = np.zeros(n, dtype=int)
        t[0] = 1
    elif mode == "one_control":
        t = np.ones(n, dtype=int)
        t[0] = 0
    else:
        t = np.r_[np.ones(n // 2, dtype=int), np.zeros(n - n // 2, dtype=int)]
    return rng.permutation(t)


@st.composite
def trial_frames(draw: st.DrawFn, modes: Iterable[str] = TRIAL_MODES) -> Case:
    """A trial of 4 to 40 units (1 to 4 in mode ``tiny_n``) with one degenerate feature."""
    mode = draw(st.sampled_from(tuple(modes)))
    n = draw(st.integers(2, 4)) if mode == "tiny_n" else draw(st.integers(8, 40))
    rng = seeded_rng(draw)
    t = _arms(n, mode, rng)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    y = 0.5 * t + x1 + rng.normal(size=n)
    received = np.where(rng.random(n) < 0.8, t, 1 - t)
    received[np.flatnonzero(t == 1)[:1]] = 1  # both arms keep a first stage
    received[np.flatnonzero(t == 0)[:1]] = 0
    frame = pd.DataFrame(
        {
            "y": y,
            "t": t,
            "x1": x1,
            "x2": x2,
            "c": np.arange(n) % max(2, n // 3),
            "s": np.arange(n) % 2,
            "observed": (rng.random(n) < 0.85).astype(int),
            "received": received,
            "k": rng.poisson(3.0 + t, size=n),
            "exposure": rng.uniform(0.5, 2.0, size=n),
        }
    )
    if mode == "constant_outcome":
        frame["y"] = draw(st.sampled_from([0.0, 1.0, -3.5, 1e6]))
    elif mode == "nan_cells":
        for column in ("y", "x1"):
            rows = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3))
            frame.loc[rows, column] = np.nan
    elif mode == "inf_outcome":
        frame.loc[draw(st.integers(0, n - 1)), "y"] = draw(st.sampled_from([np.inf, -np.inf]))
    elif mode == "collinear":
        frame["x2"] = 3.0 * frame["x1"] - 2.0
    elif mode in ("tiny_scale", "huge_scale"):
        scale = 1e-12 if mode == "tiny_scale" else 1e12
        for column in draw(st.sampled_from([("y",), ("x1",), ("y", "x1", "x2")])):
            frame[column] = frame[column] * scale
    elif mode == "duplicated_rows":
        frame = pd.concat([frame, frame], ignore_index=True)
    elif mode == "duplicated_index":
        frame.index = np.arange(n) // 2
    elif mode == "constant_covariate":
        frame["x2"] = 4.0
    return Case(mode, frame)


def with_duplicated_column(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """``frame`` with a second column named ``column`` (a careless merge or concat)."""
    return pd.concat([frame, frame[[column]].rename(columns={column: column})], axis=1)


def bad_probabilities() -> st.SearchStrategy[object]:
    """What a probability (alpha, a share, a take-up rate) must not be."""
    return st.sampled_from(
        ["0.05", 0, 1, -0.1, 1.5, math.nan, math.inf, None, [0.05], (0.05,), True, b"0.05"]
    )


def bad_integers() -> st.SearchStrategy[object]:
    """What a count (n_resamples, k, a threshold) must not be."""
    return st.sampled_from(["11", 0, -3, 2.5, math.nan, math.inf, None, [11], True])


def bad_ranges() -> st.SearchStrategy[object]:
    """What a (low, high) pair must not be."""
    return st.sampled_from(
        ["0.1", (0.1,), (0.9, 0.1), (0.1, 0.2, 0.3), ("a", "b"), (math.nan, 0.9), (-0.1, 0.5)]
    )


META_MODES = (
    "plain",
    "identical_effects",
    "identical_variances",
    "both_identical",
    "tiny_variances",
    "huge_effects",
    "two_studies",
    "nan_effect",
    "zero_variance",
    "absurd_scale",
)


@st.composite
def meta_inputs(draw: st.DrawFn, modes: Iterable[str] = META_MODES) -> tuple[str, list, list]:
    """``(mode, effects, variances)`` of 3 to 12 studies (2 in ``two_studies``)."""
    mode = draw(st.sampled_from(tuple(modes)))
    k = 2 if mode == "two_studies" else draw(st.integers(3, 12))
    rng = seeded_rng(draw)
    v = rng.uniform(0.005, 0.1, size=k)
    y = 0.2 + rng.normal(size=k) * np.sqrt(v + 0.01)
    if mode in ("identical_effects", "both_identical"):
        y[:] = draw(st.sampled_from([0.0, 0.2, -1.3]))
    if mode in ("identical_variances", "both_identical"):
        v[:] = v[0]
    if mode == "tiny_variances":
        v = v * 1e-12
    if mode == "huge_effects":
        y = y * 1e12
        v = v * 1e24
    if mode == "absurd_scale":  # beyond what floating point can weigh
        if draw(st.booleans()):
            y, v = y * 1e200, v * 1e300
        else:
            v = v * 1e-298
    if mode == "nan_effect":
        y[draw(st.integers(0, k - 1))] = np.nan
    if mode == "zero_variance":
        v[draw(st.integers(0, k - 1))] = 0.0
    return mode, y.tolist(), v.tolist()


def _estimates(result: object) -> list[Estimate]:
    if isinstance(result, Estimate):
        return [result]
    try:  # a test given no estimate to test says so with an InputError
        many = getattr(result, "estimates", None)
        found = list(many().values()) if callable(many) else []
        one = getattr(result, "estimate", None)
    except InputError:
        return []
    return [*found, one] if isinstance(one, Estimate) else found


def check_finite_frame(frame: pd.DataFrame, *, allow_nan: Iterable[str] = ()) -> None:
    """No inf anywhere; NaN only in the columns of ``allow_nan``."""
    numbers = frame.select_dtypes("number")
    assert not np.isinf(numbers.to_numpy(dtype=float)).any(), f"inf in\n{frame}"
    strict = numbers.drop(columns=[c for c in allow_nan if c in numbers.columns])
    assert not strict.isna().to_numpy().any(), f"NaN in\n{frame}"


def check_result(result: object, *, allow_nan: Iterable[str] = ()) -> None:
    """A result holds finite numbers and no silent p-value of a zero standard error."""
    if isinstance(result, pd.DataFrame):
        check_finite_frame(result, allow_nan=allow_nan)
        return
    if isinstance(result, pd.Series):
        check_finite_frame(result.to_frame(), allow_nan=allow_nan)
        return
    if isinstance(result, float | int | np.floating | np.integer):
        assert math.isfinite(float(result)), result
        return
    estimates = _estimates(result)
    for est in estimates:  # an Estimate checks its own fields are finite when built
        assert not (est.std_error == 0 and est.p_value is not None), f"silent number: {est}"
    tidy = getattr(result, "tidy", None)
    if callable(tidy):
        table = tidy()
        assert len(table) >= 1
        numbers = table.select_dtypes("number")
        assert not np.isinf(numbers.to_numpy(dtype=float)).any(), f"inf in\n{table}"
        if "value" in table:
            assert table["value"].notna().all(), f"NaN value in\n{table}"
    for name in ("p_value", "statistic", "tau"):
        value = getattr(result, name, None)
        if isinstance(value, float | np.floating):
            assert math.isfinite(value), f"{name} = {value}"


def check_outcome(
    call: Callable[[], object],
    *,
    must_refuse: bool = False,
    names: Iterable[str] = (),
    allow_nan: Iterable[str] = (),
) -> str:
    """Run ``call``: a refusal (``InputError``) must name one of ``names`` when given; a
    result must pass :func:`check_result`, and is a defect when ``must_refuse``.

    Any other exception propagates: the property test fails on it.
    """
    check = partial(check_result, allow_nan=allow_nan)
    return run_property(call, check, names=names, must_refuse=must_refuse)[0]
