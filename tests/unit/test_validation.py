"""The scalar checks of core.validation: what they accept, what they return, and refusals
that name the parameter and the problem."""

from __future__ import annotations

import math

import numpy as np
import pytest

from impactlib.core.validation import (
    ROUNDING_NOISE,
    InputError,
    is_constant,
    is_negligible,
    refuse_exact_fit,
    require_choice,
    require_flag,
    require_in_range,
    require_integer,
    require_non_negative,
    require_number,
    require_positive,
    require_probability,
    require_spread,
    require_std_error,
    require_text,
)


def test_numbers_come_back_as_floats():
    for value in (3, 3.5, np.int64(3), np.float32(0.5), -2.0):
        number = require_number(value, name="x")
        assert isinstance(number, float) and number == float(value)


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("3", r"x must be a number, got str '3'"),
        (None, r"x must be a number, got NoneType None"),
        (True, r"x must be a number, got bool True"),
        ([1.0], r"x must be a number, got list"),
        (math.nan, r"x must be finite, got nan"),
        (-math.inf, r"x must be finite, got -inf"),
    ],
)
def test_number_refusals_name_the_parameter(value, match):
    with pytest.raises(InputError, match=match):
        require_number(value, name="x")


def test_positive_and_non_negative():
    assert require_positive(0.1, name="sd") == 0.1
    assert require_non_negative(0, name="cost") == 0.0
    with pytest.raises(InputError, match=r"sd must be > 0, got 0"):
        require_positive(0, name="sd")
    with pytest.raises(InputError, match=r"sd must be a number, got str"):
        require_positive("1", name="sd")
    with pytest.raises(InputError, match=r"cost must be >= 0 \(why\), got -1"):
        require_non_negative(-1, name="cost", hint=" (why)")


def test_integers_accept_integral_floats_and_numpy():
    assert require_integer(3.0, name="n") == 3 and isinstance(require_integer(3.0, name="n"), int)
    assert require_integer(np.int64(7), name="n", minimum=1) == 7
    assert require_integer(-4, name="n") == -4  # no minimum: any whole number
    with pytest.raises(InputError, match=r"n must be an integer, got 2.5"):
        require_integer(2.5, name="n")
    with pytest.raises(InputError, match=r"n must be an integer >= 1000, got 10"):
        require_integer(10, name="n", minimum=1000)
    with pytest.raises(InputError, match=r"n must be a number, got bool"):
        require_integer(True, name="n")


@pytest.mark.parametrize(
    ("kwargs", "value", "match"),
    [
        ({"low": 0, "high": 1}, 1.5, r"share must be in \[0, 1\], got 1.5"),
        ({"low": 0, "high": 1, "include_low": False}, 0.0, r"share must be in \(0, 1\], got 0.0"),
        ({"low": 0, "high": 1, "include_high": False}, 1, r"share must be in \[0, 1\), got 1"),
        ({"low": 0.0, "include_low": False}, -2.0, r"share must be in \(0.0, inf\), got -2.0"),
        ({"high": 10}, 11, r"share must be in \(-inf, 10\], got 11"),
        ({"low": 0, "high": 1, "hint": " (a share)"}, 72, r"in \[0, 1\] \(a share\), got 72"),
        ({"low": 0, "high": 1}, "0.5", r"share must be a number, got str"),
    ],
)
def test_range_refusals_write_the_interval(kwargs, value, match):
    with pytest.raises(InputError, match=match):
        require_in_range(value, name="share", **kwargs)


def test_range_bounds_are_included_or_not_as_asked():
    assert require_in_range(0, name="x", low=0, high=1) == 0.0
    assert require_in_range(1, name="x", low=0, high=1) == 1.0
    assert require_in_range(1e9, name="x", low=0.0, include_low=False) == 1e9
    assert require_in_range(0.3, name="x") == 0.3  # no bounds: any finite number


def test_probabilities_open_and_closed():
    assert require_probability(0.05, name="alpha") == 0.05
    assert require_probability(0.0, name="dropout", open_interval=False) == 0.0
    with pytest.raises(InputError, match=r"alpha must be in \(0, 1\), got 0.0"):
        require_probability(0.0, name="alpha")
    with pytest.raises(InputError, match=r"dropout must be in \[0, 1\], got 1.5"):
        require_probability(1.5, name="dropout", open_interval=False)
    with pytest.raises(InputError, match=r"alpha must be a number, got str"):
        require_probability("0.05", name="alpha")


def test_flags_texts_and_choices():
    assert require_flag(np.True_, name="flag") is True
    with pytest.raises(InputError, match=r"flag must be True or False, got 'yes'"):
        require_flag("yes", name="flag")
    with pytest.raises(InputError, match=r"flag must be True or False, got 1"):
        require_flag(1, name="flag")
    assert require_text("points", name="unit") == "points"
    with pytest.raises(InputError, match=r"unit must be a non-empty string, got ' '"):
        require_text(" ", name="unit")
    assert require_choice("end", name="timing", allowed=("end", "start")) == "end"
    with pytest.raises(InputError, match=r"timing must be one of end, start; got 'middle'"):
        require_choice("middle", name="timing", allowed=("end", "start"))
    with pytest.raises(InputError, match=r"timing must be one of end, start; got 1"):
        require_choice(1, name="timing", allowed={"end": 0, "start": 1})


# --- rounding noise: one tolerance for data and computed results ---------------------------

BELOW, ABOVE = 0.1 * ROUNDING_NOISE, 10 * ROUNDING_NOISE  # relative sizes either side


@pytest.mark.parametrize("level", [1e-12, 1.0, 1e12])
def test_one_tolerance_judges_spread_residuals_and_standard_errors_alike(level):
    """At any magnitude, a spread, residual or standard error of 1e-11 of the data is noise
    for every check, and one of 1e-9 is not: the checks cannot disagree."""
    near = level * np.array([1.0, 1.0 + BELOW, 1.0])
    far = level * np.array([1.0, 1.0 + ABOVE, 1.0])
    assert is_constant(near) and is_negligible(level * BELOW, scale=near)
    assert not is_constant(far) and not is_negligible(level * ABOVE, scale=far)
    with pytest.raises(InputError, match=r"'y' varies only by rounding noise"):
        require_spread(near, name="y")
    require_spread(far, name="y")
    with pytest.raises(InputError, match=r"'y' is fitted exactly by the means"):
        refuse_exact_fit(np.full(3, level * BELOW), near, name="y", model="the means")
    refuse_exact_fit(np.full(3, level * ABOVE), far, name="y", model="the means")
    with pytest.raises(InputError, match=r"standard error of .* for outcome column 'y'"):
        require_std_error(level * BELOW, near, name="y", method="a test")
    assert require_std_error(level * ABOVE, far, name="y", method="a test") == level * ABOVE


def test_rounding_noise_is_relative_to_the_finite_values():
    """Missing and infinite values do not set the scale; no finite value means a scale of 0."""
    assert is_negligible(1e-11, scale=[np.nan, 1.0, np.inf])
    assert not is_negligible(1e-11, scale=[np.nan, np.inf])
    assert is_negligible(0.0, scale=[np.nan])
    assert is_constant([]) and is_constant([2.5]) and not is_constant([0.0, 1e-300])
