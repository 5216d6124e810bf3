"""did_2x2 with a single treated cluster: placebo standard error, not cluster-robust.

With one treated territory the CR1 variance rests on that one cluster and over-rejects
(Conley & Taber 2011). The reference is synthdid-py's ``did_estimate`` (the estimator of
Arkhangelsky et al. 2021, table 1), run by hand with each donor of Proposition 99 taken once
as treated; a simulation checks the interval's coverage.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import synthdid
from scipy import stats

from impactlib.core import InputError
from impactlib.did import did_2x2

KWARGS = {"outcome": "y", "unit": "id", "time": "t", "treatment": "treated", "post": "after"}


@pytest.fixture(scope="module")
def prop99() -> pd.DataFrame:
    data = synthdid.load_california_prop99()
    california = data.groupby("State")["treated"].transform("max").astype(int)
    return data.assign(ca=california, after=(data["Year"] >= 1989).astype(int))


def test_prop99_matches_synthdid_did_estimate_and_its_exhaustive_placebo_error(prop99):
    est = did_2x2(
        prop99, outcome="PacksPerCapita", unit="State", time="Year", treatment="ca", post="after"
    )
    panel = synthdid.panel_matrices(prop99)
    y, n0, t0 = panel.Y, panel.N0, panel.T0
    assert est.value == pytest.approx(float(synthdid.did_estimate(y, n0, t0)), rel=1e-12)
    donors = y[:n0]
    placebos = [
        float(synthdid.did_estimate(np.vstack([np.delete(donors, j, 0), donors[j]]), n0 - 1, t0))
        for j in range(n0)
    ]
    assert est.std_error == pytest.approx(np.std(placebos), rel=1e-12)
    z = stats.norm.ppf(0.975)
    assert est.ci_low == pytest.approx(est.value - z * est.std_error, rel=1e-12)
    assert est.extra["df"] is None and "placebo" in est.method and "38 control" in est.method


def one_treated_panel(rng: np.random.Generator, effect: float, n_controls: int = 40):
    """Unit and year effects, iid noise; unit 0 treated from period 6 of 10."""
    units, periods = n_controls + 1, 10
    unit, t = np.repeat(np.arange(units), periods), np.tile(np.arange(periods), units)
    after = (t >= 6).astype(int)
    treated = (unit == 0).astype(int)
    y = rng.normal(size=units)[unit] + 0.3 * t + effect * treated * after
    return pd.DataFrame(
        {"y": y + rng.normal(size=len(y)), "id": unit, "t": t, "treated": treated, "after": after}
    )


def test_recovers_a_known_effect_with_an_honest_interval():
    rng = np.random.default_rng(20261203)
    reps, effect = 300, 2.0
    values, covered = np.empty(reps), np.empty(reps, dtype=bool)
    for r in range(reps):
        est = did_2x2(one_treated_panel(rng, effect), **KWARGS)
        values[r], covered[r] = est.value, est.ci_low <= effect <= est.ci_high
    assert abs(values.mean() - effect) <= 3 * values.std(ddof=1) / np.sqrt(reps)
    assert 0.91 <= covered.mean() <= 0.99, covered.mean()


def test_several_treated_clusters_keep_cluster_robust_errors():
    rng = np.random.default_rng(1)
    data = one_treated_panel(rng, 1.0)
    data["treated"] = (data["id"] < 5).astype(int)
    est = did_2x2(data, **KWARGS)
    assert "CR1" in est.method and est.extra["df"] == est.n_clusters - 1


def test_refuses_too_few_control_clusters_or_a_control_without_both_periods():
    data = one_treated_panel(np.random.default_rng(2), 1.0, n_controls=1)
    with pytest.raises(InputError, match="at least 2 control clusters"):
        did_2x2(data, **KWARGS)
    data = one_treated_panel(np.random.default_rng(3), 1.0, n_controls=5)
    data = data[~((data["id"] == 3) & (data["after"] == 1))]
    with pytest.raises(InputError, match=r"control cluster\(s\) \[3\].*'after'"):
        did_2x2(data, **KWARGS)
