"""Property-based tests of the regression-discontinuity family on degenerate samples.

Every public function receives generated samples (constant outcomes, outcomes constant on
each side or fitted exactly, few distinct values of the running variable, tiny samples,
one cluster, NaN and inf, extreme scales) and wrong parameters: finite, correctly shaped
results or an ``InputError`` naming a parameter or a column, never rdrobust's, rddensity's
or rdhonest's own exception. One explicit test per class of defect follows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from impactlib.core.validation import InputError
from impactlib.rd import (
    bandwidth,
    bandwidth_sensitivity,
    covariate_balance,
    cutoff_name,
    density_test,
    honest_rd,
    placebo_cutoffs,
    rd_plot_data,
    regression_discontinuity,
    running_histogram,
    window_means,
)
from support.strategies_panel import (
    BAD_VALUES,
    CLUSTER,
    COVARIATE,
    EXAMPLES,
    FAST,
    OUTCOME,
    RUNNING,
    check_estimate,
    check_table,
    holds,
    rd_samples,
)

SAMPLE = {"outcome": OUTCOME, "running": RUNNING}
COLUMNS = [OUTCOME, RUNNING, CLUSTER, COVARIATE, "data", "bandwidth", "cutoff"]


def _check_rd(result) -> None:
    for est in result.estimates().values():
        check_estimate(est)
    check_table(result.tidy())
    assert result.n_left > 0 and result.n_right > 0
    assert min(result.h_left, result.h_right, result.b_left, result.b_right) > 0


def _check_record(record) -> None:
    check_table(record.tidy())


def _check_honest(result) -> None:
    check_estimate(result.estimate)
    assert result.maximum_bias >= 0 and result.bandwidth > 0


def _check_plot(plot) -> None:
    for side in (plot.left, plot.right):
        for values in (side.centres, side.means, side.grid, side.fit):
            assert np.isfinite(values).all()
        assert side.counts.sum() > 0
    if plot.left.fit.size and plot.right.fit.size:
        assert np.isfinite(plot.jump)
    else:
        with pytest.raises(InputError, match=r"bandwidth .* too few observations"):
            _ = plot.jump


def _check_histogram(hist) -> None:
    assert hist.counts.sum() == hist.n
    assert np.isfinite(hist.density).all() and len(hist.edges) == len(hist.counts) + 1


@FAST
@given(
    sample=rd_samples(),
    p=st.sampled_from([0, 1, 2]),
    kernel=st.sampled_from(["triangular", "uniform"]),
    h=st.sampled_from([None, 0.05, 0.3, 1e12]),
    cluster=st.sampled_from([None, CLUSTER]),
)
def test_regression_discontinuity_holds_on_generated_samples(sample, p, kernel, h, cluster):
    holds(
        lambda: regression_discontinuity(
            sample, **SAMPLE, p=p, kernel=kernel, bandwidth=h, cluster=cluster
        ),
        _check_rd,
        names=COLUMNS,
    )


@FAST
@given(sample=rd_samples(), selector=st.sampled_from(["mserd", "msetwo", "cerrd"]))
def test_bandwidth_and_density_hold_on_generated_samples(sample, selector):
    holds(lambda: bandwidth(sample, **SAMPLE, selector=selector), _check_record, names=COLUMNS)
    holds(lambda: density_test(sample, running=RUNNING), _check_record, names=COLUMNS)


@settings(FAST, max_examples=max(10, EXAMPLES // 2))
@given(sample=rd_samples(), smoothness=st.sampled_from([None, 1.0, 1e-6]))
def test_honest_rd_holds_on_generated_samples(sample, smoothness):
    holds(
        lambda: honest_rd(sample, **SAMPLE, smoothness=smoothness),
        _check_honest,
        names=[*COLUMNS, "smoothness"],
    )


@FAST
@given(sample=rd_samples(), h=st.sampled_from([None, 0.01, 0.5]), bins=st.integers(1, 30))
def test_figure_data_hold_on_generated_samples(sample, h, bins):
    holds(
        lambda: rd_plot_data(sample, **SAMPLE, bandwidth=h, bins=bins), _check_plot, names=COLUMNS
    )
    holds(
        lambda: running_histogram(sample, running=RUNNING, bin_width=0.1),
        _check_histogram,
        names=COLUMNS,
    )


@settings(FAST, max_examples=max(10, EXAMPLES // 3))
@given(sample=rd_samples(max_n=200))
def test_checks_around_a_result_hold_on_generated_samples(sample):
    main = holds(lambda: regression_discontinuity(sample, **SAMPLE), _check_rd, names=COLUMNS)
    if main is None:
        return
    names = [*COLUMNS, "multipliers", "cutoffs"]
    sensitivity = holds(
        lambda: bandwidth_sensitivity(sample, main, multipliers=(0.5, 2.0)),
        lambda out: [_check_rd(r) for r in out.values()],
        names=names,
    )
    assert sensitivity is None or sorted(sensitivity) == [0.5, 2.0]
    holds(
        lambda: placebo_cutoffs(sample, main, cutoffs=[-0.5, 0.5]),
        lambda out: [_check_rd(r) for r in out.values()],
        names=names,
    )
    holds(
        lambda: covariate_balance(sample, main, covariates=[COVARIATE]),
        lambda out: check_table(out.tidy()),
        names=names,
    )
    holds(lambda: window_means(sample, main), _check_means, names=names)


def _check_means(means) -> None:
    assert np.isfinite([means.below, means.above, means.gap]).all()
    assert means.n_below > 0 and means.n_above > 0


# --- wrong parameters ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def good_sample() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    x = rng.uniform(-1, 1, 600)
    return pd.DataFrame(
        {
            RUNNING: x,
            OUTCOME: 1 + x + 0.8 * (x >= 0) + rng.normal(0, 0.4, 600),
            CLUSTER: rng.integers(0, 40, 600),
            COVARIATE: rng.normal(size=600),
        }
    )


CALLS = {
    "regression_discontinuity": (regression_discontinuity, SAMPLE, _check_rd),
    "honest_rd": (honest_rd, SAMPLE, _check_honest),
    "bandwidth": (bandwidth, SAMPLE, _check_record),
    "density_test": (density_test, {"running": RUNNING}, _check_record),
    "rd_plot_data": (rd_plot_data, SAMPLE, _check_plot),
    "running_histogram": (running_histogram, {"running": RUNNING, "bin_width": 0.1}, None),
}
PARAMETERS = {
    "regression_discontinuity": [
        "outcome",
        "running",
        "cutoff",
        "kernel",
        "bandwidth",
        "selector",
        "p",
        "cluster",
        "vcov",
        "alpha",
    ],
    "honest_rd": ["cutoff", "kernel", "bandwidth", "smoothness", "vcov", "alpha"],
    "bandwidth": ["cutoff", "selector", "kernel", "p", "cluster"],
    "density_test": ["running", "cutoff"],
    "rd_plot_data": ["cutoff", "bins", "p", "kernel", "bandwidth"],
    "running_histogram": ["running", "cutoff", "bin_width"],
}


@pytest.mark.parametrize("function", sorted(CALLS))
@settings(FAST, max_examples=max(10, EXAMPLES // 2))
@given(data=st.data())
def test_wrong_parameters_are_refused_by_name(good_sample, function, data):
    call, fixed, check = CALLS[function]
    name = data.draw(st.sampled_from(PARAMETERS[function]), label="parameter")
    value = data.draw(st.sampled_from(BAD_VALUES), label="value")
    holds(
        lambda: call(good_sample, **{**fixed, name: value}),
        check or _check_histogram,
        names=[name, *COLUMNS],
    )


@settings(FAST, max_examples=max(10, EXAMPLES // 3))
@given(
    argument=st.sampled_from(["multipliers", "cutoffs", "covariates"]),
    value=st.sampled_from(BAD_VALUES),
)
def test_wrong_arguments_of_the_checks_are_refused_by_name(good_sample, argument, value):
    main = regression_discontinuity(good_sample, **SAMPLE)
    call = {
        "multipliers": lambda: bandwidth_sensitivity(good_sample, main, multipliers=value),
        "cutoffs": lambda: placebo_cutoffs(good_sample, main, cutoffs=value),
        "covariates": lambda: covariate_balance(good_sample, main, covariates=value),
    }[argument]
    holds(call, _check_checks, names=[argument, *COLUMNS])


def _check_checks(out) -> None:
    """The results of bandwidth_sensitivity or placebo_cutoffs (dicts), or a balance table."""
    if isinstance(out, dict):
        for result in out.values():
            _check_rd(result)
    else:
        check_table(out.tidy())


# --- one test per class of defect ---------------------------------------------------------


@pytest.mark.parametrize("function", ["regression_discontinuity", "honest_rd", "bandwidth"])
def test_constant_outcome_is_refused_naming_the_outcome(good_sample, function):
    """Class: a constant outcome reached rdrobust's error blaming the running variable
    ("Not enough variability in the running variable"), or rdhonest's ZeroDivisionError."""
    call, fixed, _ = CALLS[function]
    with pytest.raises(InputError, match=rf"outcome column '{OUTCOME}' is constant"):
        call(good_sample.assign(**{OUTCOME: 2.0}), **fixed)


def test_bandwidth_holding_too_few_points_is_refused(good_sample):
    """Class: a bandwidth holding too few points reached rdrobust's own ValueError."""
    with pytest.raises(InputError, match=r"bandwidth 0.003 holds \d distinct value\(s\) of"):
        regression_discontinuity(good_sample, **SAMPLE, bandwidth=0.003)


@pytest.mark.parametrize("n_clusters", [1, 2])
def test_too_few_clusters_are_refused(good_sample, n_clusters):
    """Class: a single cluster reached rdrobust's error; two gave p = 4e-21."""
    few = good_sample.assign(**{CLUSTER: np.arange(len(good_sample)) % n_clusters})
    with pytest.raises(InputError, match=rf"cluster column '{CLUSTER}' has {n_clusters} clust"):
        regression_discontinuity(few, **SAMPLE, cluster=CLUSTER)


def test_too_few_distinct_running_values_are_refused(good_sample):
    """Class: three mass points a side reached rdrobust's bandwidth error; now an
    InputError that names the running variable and counts its distinct values."""
    coarse = good_sample.assign(**{RUNNING: np.round(good_sample[RUNNING] * 3) / 3})
    with pytest.raises(InputError, match=rf"running variable '{RUNNING}' has 3 distinct"):
        regression_discontinuity(coarse, **SAMPLE)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cutoff": "0"}, r"cutoff must be a number, got '0'"),
        ({"alpha": "0.05"}, r"alpha must be a number, got str '0.05'"),
        ({"outcome": [OUTCOME]}, r"outcome must be one column name"),
        ({"kernel": ["uniform"]}, r"kernel must be one of"),
    ],
)
def test_wrong_type_parameters_are_named(good_sample, kwargs, message):
    with pytest.raises(InputError, match=message):
        regression_discontinuity(good_sample, **{**SAMPLE, **kwargs})


def test_a_scalar_where_a_list_is_expected_is_named(good_sample):
    """Class: a scalar where a sequence is expected crashed with "not iterable"."""
    main = regression_discontinuity(good_sample, **SAMPLE)
    with pytest.raises(InputError, match=r"multipliers must be a list of values, got float"):
        bandwidth_sensitivity(good_sample, main, multipliers=2.0)
    with pytest.raises(InputError, match=r"cutoffs must be a list of values, got float"):
        placebo_cutoffs(good_sample, main, cutoffs=0.5)


@given(value=st.sampled_from(BAD_VALUES))
@settings(FAST, max_examples=len(BAD_VALUES))
def test_cutoff_name_refuses_what_is_not_a_number(value):
    holds(lambda: cutoff_name(value), _check_name, names=["cutoff"])


def _check_name(name: str) -> None:
    assert name[0] in "mp" and "." not in name


def test_non_finite_values_are_named(good_sample):
    infinite = good_sample.assign(**{RUNNING: good_sample[RUNNING].where(good_sample.index > 0)})
    result = regression_discontinuity(infinite, **SAMPLE)
    assert result.n_dropped == 1  # a missing running variable is dropped and counted
    infinite.loc[0, RUNNING] = np.inf
    with pytest.raises(InputError, match=rf"running variable column '{RUNNING}' has 1 infinite"):
        density_test(infinite, running=RUNNING)


def test_sizes_that_would_exhaust_memory_are_refused(good_sample):
    """Class: bins=1e9 ran for minutes and gigabytes; a bin width of 1e-12 asked numpy
    for terabytes."""
    with pytest.raises(InputError, match=r"bins must be at most 100000"):
        rd_plot_data(good_sample, **SAMPLE, bins=10**9, bandwidth=0.5)
    with pytest.raises(InputError, match=r"bin_width 1e-12 cuts the range of running variable"):
        running_histogram(good_sample, running=RUNNING, bin_width=1e-12)


def test_honest_bandwidth_holding_too_few_points_is_refused(good_sample):
    with pytest.raises(InputError, match=r"bandwidth 0.001 holds \d distinct value\(s\)"):
        honest_rd(good_sample, **SAMPLE, bandwidth=0.001)
