"""Unit tests of :class:`impactlib.core.Estimate`: validation, JSON round trip, summary."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from impactlib.core import Estimate


def make(**overrides) -> Estimate:
    """A valid estimate, with any field replaced."""
    fields = {
        "value": 2.0,
        "std_error": 0.5,
        "ci_low": 1.02,
        "ci_high": 2.98,
        "p_value": 0.0001,
        "n": 100,
        "method": "difference in means",
        "outcome": "y",
    }
    fields.update(overrides)
    return Estimate(**fields)


# --- JSON round trip --------------------------------------------------------------------


def test_round_trip_json_with_every_field():
    est = make(
        treatment="treat",
        design="rct",
        estimand="ATE",
        n_treated=40,
        n_control=60,
        n_clusters=12,
        n_dropped=3,
        alpha=0.1,
        extra={"df": 98.0, "covariates": ["age", "educ"], "cluster": None, "nested": {"a": 1}},
    )
    back = Estimate.from_json(est.to_json())
    assert back == est
    assert back.extra == {
        "df": 98.0,
        "covariates": ["age", "educ"],
        "cluster": None,
        "nested": {"a": 1},
    }
    assert Estimate.from_dict(est.to_dict()) == est


def test_round_trip_with_none_p_value():
    est = make(p_value=None)
    back = Estimate.from_json(est.to_json())
    assert back == est
    assert back.p_value is None
    assert json.loads(est.to_json())["p_value"] is None


def test_numpy_scalars_are_coerced_to_python_numbers():
    est = make(
        value=np.float64(1.5),
        std_error=np.float32(0.25),
        ci_low=np.float64(1.0),
        ci_high=np.float64(2.0),
        p_value=np.float64(0.01),
        alpha=np.float64(0.05),
        n=np.int64(100),
        n_treated=np.int32(40),
        n_control=np.int64(60),
        n_clusters=np.int64(10),
        n_dropped=np.int64(2),
    )
    for name in ("value", "std_error", "ci_low", "ci_high", "p_value", "alpha"):
        assert type(getattr(est, name)) is float, name
    for name in ("n", "n_treated", "n_control", "n_clusters", "n_dropped"):
        assert type(getattr(est, name)) is int, name
    # json.dumps would refuse numpy integers: the coercion is what makes this work.
    back = Estimate.from_json(est.to_json())
    assert back == est
    assert back.n == 100 and back.std_error == 0.25


def test_to_dict_is_plain_and_json_sorted():
    est = make(extra={"df": 3.0})
    data = est.to_dict()
    assert data["value"] == 2.0 and data["extra"] == {"df": 3.0}
    assert data["extra"] is not est.extra  # a copy, not the record's own dict
    text = est.to_json()
    assert list(json.loads(text)) == sorted(data)


def test_level_is_one_minus_alpha():
    assert make(alpha=0.1).level == pytest.approx(0.9)


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
bounded = st.floats(min_value=-1e300, max_value=1e300, allow_nan=False)


@settings(max_examples=100, deadline=None)
@given(
    value=finite,
    std_error=st.floats(min_value=0.0, allow_infinity=False, allow_nan=False),
    bounds=st.tuples(bounded, bounded).map(sorted),
    p_value=st.none() | st.floats(min_value=0.0, max_value=1.0),
    alpha=st.floats(min_value=1e-9, max_value=1 - 1e-9),
    n=st.integers(min_value=0, max_value=10**9),
    n_treated=st.none() | st.integers(min_value=0, max_value=10**6),
    n_dropped=st.integers(min_value=0, max_value=10**6),
    method=st.text(max_size=30),
    extra_value=finite,
)
def test_round_trip_over_finite_floats(
    value, std_error, bounds, p_value, alpha, n, n_treated, n_dropped, method, extra_value
):
    est = Estimate(
        value=value,
        std_error=std_error,
        ci_low=bounds[0],
        ci_high=bounds[1],
        p_value=p_value,
        n=n,
        method=method,
        outcome="y",
        n_treated=n_treated,
        n_dropped=n_dropped,
        alpha=alpha,
        extra={"x": extra_value, "label": method},
    )
    back = Estimate.from_json(est.to_json())
    assert back == est
    assert Estimate.from_dict(est.to_dict()) == est
    # Exact float round trip, including the sign of zero.
    assert math.copysign(1.0, back.value) == math.copysign(1.0, value)


# --- refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["value", "std_error", "ci_low", "ci_high"])
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, np.float64("nan")])
def test_refuses_non_finite(name, bad):
    with pytest.raises(ValueError, match=rf"Estimate\.{name} must be finite"):
        make(**{name: bad})


def test_refuses_non_finite_p_value():
    with pytest.raises(ValueError, match=r"Estimate\.p_value must be finite"):
        make(p_value=math.nan)


@pytest.mark.parametrize("name", ["value", "std_error", "ci_low", "ci_high", "alpha"])
def test_refuses_none_for_required_float(name):
    with pytest.raises(ValueError, match=rf"Estimate\.{name} is required, got None"):
        make(**{name: None})


def test_refuses_negative_std_error():
    with pytest.raises(ValueError, match=r"Estimate\.std_error must be >= 0, got -0\.1"):
        make(std_error=-0.1)


def test_zero_std_error_accepted():
    assert make(std_error=0.0, ci_low=2.0, ci_high=2.0).std_error == 0.0


def test_refuses_ci_low_above_ci_high():
    with pytest.raises(ValueError, match=r"Estimate\.ci_low 3\.0 is above ci_high 1\.0"):
        make(ci_low=3.0, ci_high=1.0)


@pytest.mark.parametrize("bad", [-0.01, 1.01, 2.0])
def test_refuses_p_value_outside_unit_interval(bad):
    with pytest.raises(ValueError, match=r"Estimate\.p_value must be in \[0, 1\]"):
        make(p_value=bad)


@pytest.mark.parametrize("ok", [0.0, 1.0])
def test_p_value_bounds_accepted(ok):
    assert make(p_value=ok).p_value == ok


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.05, 1.5])
def test_refuses_alpha_outside_open_unit_interval(bad):
    with pytest.raises(ValueError, match=r"Estimate\.alpha must be in \(0, 1\)"):
        make(alpha=bad)


def test_from_dict_refuses_unknown_keys_naming_them():
    data = make().to_dict()
    data["zeta"] = 1
    data["colour"] = "red"
    with pytest.raises(ValueError, match=r"unknown Estimate field\(s\): colour, zeta"):
        Estimate.from_dict(data)


def test_from_json_refuses_unknown_key():
    data = make().to_dict()
    data["bogus"] = True
    with pytest.raises(ValueError, match="unknown Estimate field.*bogus"):
        Estimate.from_json(json.dumps(data))


def test_from_dict_refuses_missing_required_key():
    data = make().to_dict()
    del data["value"]
    with pytest.raises(TypeError, match="value"):
        Estimate.from_dict(data)


def test_from_dict_revalidates():
    data = make().to_dict()
    data["std_error"] = -1.0
    with pytest.raises(ValueError, match="std_error must be >= 0"):
        Estimate.from_dict(data)


def test_to_json_refuses_non_finite_extra():
    est = make(extra={"df": math.inf})
    with pytest.raises(ValueError, match="Out of range float"):
        est.to_json()


# --- summary ----------------------------------------------------------------------------


def test_summary_contains_value_and_counts():
    est = make(
        value=1794.3424,
        std_error=670.9965,
        ci_low=475.6105,
        ci_high=3113.0743,
        p_value=0.007769,
        n=445,
        n_treated=185,
        n_control=260,
        treatment="treat",
        outcome="re78",
        method="Difference in means, HC2 (Neyman) standard errors",
    )
    text = est.summary()
    assert text.splitlines()[0] == "Difference in means, HC2 (Neyman) standard errors"
    assert "estimate: 1794.3424" in text
    assert "std. error: 670.9965" in text
    assert "95% CI: [475.6105, 3113.0743]" in text
    assert "p-value: 0.007769" in text
    assert "outcome: re78" in text and "treatment: treat" in text
    assert "n = 445 (185 treated, 260 control)" in text
    assert "clusters" not in text and "dropped" not in text
    assert str(est) == text


def test_summary_clusters_dropped_level_and_no_p_value():
    est = make(
        p_value=None, n=90, n_treated=45, n_control=45, n_clusters=9, n_dropped=10, alpha=0.1
    )
    text = est.summary()
    assert "90% CI: [1.0200, 2.9800]" in text
    assert "p-value" not in text
    assert "n = 90 (45 treated, 45 control), 9 clusters; 10 row(s) dropped" in text
    assert "treatment:" not in text
