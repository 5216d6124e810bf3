"""Unit tests of :mod:`impactlib.did`: 2x2, TWFE, event study and Callaway & Sant'Anna.

Checks of five kinds: published figures on the real ``mpdta`` panel (R package ``did``
outputs stored in its documentation), independent re-computations (cell means, the within
estimator and CR1 written out with numpy, aggregations rebuilt from ATT(g, t)), seeded
Monte Carlo runs against a known truth, invariants, and refusals of bad input.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from impactlib.core import Estimate, InputError
from impactlib.core.estimate import TIDY_COLUMNS
from impactlib.core.result import Result
from impactlib.did import (
    AGGREGATIONS,
    CallawaySantAnnaResult,
    EventStudyResult,
    WaldTest,
    callaway_santanna,
    did_2x2,
    event_study,
    twfe,
)
from impactlib.report.plots import dynamic_effects_plot, event_study_plot

matplotlib.use("Agg")

# pyfixest 0.60 calls pandas methods with inplace=True, deprecated in pandas 3.1: noise that
# is not ours (our own warnings still fail the tests, see pyproject.toml).
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning")

MPDTA = {"outcome": "lemp", "unit": "countyreal", "time": "year", "cohort": "first.treat"}


# --- fixtures and simulators ----------------------------------------------------------------


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    moderndid = pytest.importorskip("moderndid")
    return moderndid.load_mpdta().to_pandas()


@pytest.fixture(scope="module")
def cs_mpdta(mpdta) -> CallawaySantAnnaResult:
    return callaway_santanna(mpdta, **MPDTA)


def simulate_staggered(
    rng: np.random.Generator,
    *,
    n_units: int = 200,
    periods: int = 4,
    cohorts: tuple[int, ...] = (0, 2, 3, 4),
    probs: tuple[float, ...] | None = None,
    effect=lambda e: np.ones_like(e, dtype=float),
    pretrend: float = 0.0,
) -> pd.DataFrame:
    """Balanced panel, periods 1..T; cohort 0 never treated; parallel trends unless
    ``pretrend`` adds a differential linear trend to the eventually treated."""
    g = rng.choice(cohorts, size=n_units, p=probs)
    unit = np.repeat(np.arange(n_units), periods)
    t = np.tile(np.arange(1, periods + 1), n_units)
    cohort = g[unit]
    e = t - cohort
    treated_now = (cohort > 0) & (e >= 0)
    level = rng.normal(size=n_units)[unit] + 0.3 * cohort  # levels differ by cohort
    tau = np.where(treated_now, effect(e), 0.0)
    trend = pretrend * np.where(cohort > 0, t, 0)
    y = level + 0.5 * t + tau + trend + rng.normal(size=len(t))
    return pd.DataFrame({"y": y, "id": unit, "t": t, "g": cohort, "d": treated_now.astype(int)})


def true_simple_att(cohorts, probs, periods, effect) -> float:
    """The simple aggregation of Callaway & Sant'Anna: post-treatment ATT(g, t) averaged with
    weights proportional to the (population) cohort shares."""
    num = den = 0.0
    for g, p in zip(cohorts, probs, strict=True):
        if g == 0:
            continue
        e = np.arange(periods + 1 - g)
        num += p * float(np.sum(effect(e)))
        den += p * len(e)
    return num / den


def simulate_2x2(rng: np.random.Generator, n_units: int = 120, effect: float = 1.5):
    """Two periods, half the units treated; unit effects and heteroskedastic noise."""
    treated = rng.permutation(np.repeat([0, 1], n_units // 2))
    unit = np.repeat(np.arange(n_units), 2)
    post = np.tile([0, 1], n_units)
    d = treated[unit]
    y = (
        rng.normal(size=n_units)[unit]
        + 0.7 * d
        + 0.4 * post
        + effect * d * post
        + rng.normal(size=2 * n_units) * (1 + d)
    )
    return pd.DataFrame({"y": y, "id": unit, "period": post + 2000, "treat": d, "post": post})


def drawn_effects(fig) -> list[tuple[float, float, float, float]]:
    """(x, value, low, high) of every errorbar of the figure's axes, sorted by x."""
    points = []
    for container in fig.axes[0].containers:
        line, _, (bars,) = container.lines
        for (x, y), ((_, low), (_, high)) in zip(
            line.get_xydata(), bars.get_segments(), strict=True
        ):
            points.append((float(x), float(y), float(low), float(high)))
    return sorted(points)


def table_effects(table: pd.DataFrame) -> list[tuple[float, float, float, float]]:
    """The same tuples from a table of effects by relative period."""
    columns = ["relative_period", "value", "ci_low", "ci_high"]
    return sorted(tuple(float(v) for v in row) for row in table[columns].to_numpy())


def cr1_vcov(x: np.ndarray, resid: np.ndarray, groups: np.ndarray, k: int) -> np.ndarray:
    """CR1 sandwich written out: (G/(G-1)) ((N-1)/(N-k)) (X'X)^-1 sum_g s_g s_g' (X'X)^-1."""
    n = len(resid)
    bread = np.linalg.inv(x.T @ x)
    scores = pd.DataFrame(x * resid[:, None]).groupby(groups).sum().to_numpy()
    g = len(scores)
    return g / (g - 1) * (n - 1) / (n - k) * bread @ (scores.T @ scores) @ bread


# --- published figures: mpdta (Callaway & Sant'Anna 2021) --------------------------------------


def test_mpdta_simple_aggregation_reproduces_published_figure(cs_mpdta):
    # Callaway & Sant'Anna (2021), J. Econometrics 225(2); R package `did`, aggte(type =
    # "simple") on mpdta, doubly robust, no covariates, never-treated controls: ATT -0.0400,
    # SE 0.0119.
    est = cs_mpdta.aggregate("simple")
    assert round(est.value, 4) == -0.0400
    assert est.std_error == pytest.approx(0.0119, rel=0.15)
    assert isinstance(est, Estimate)
    assert est.n == 2500 and est.n_dropped == 0
    assert est.n_treated == 191 and est.n_control == 309 and est.n_clusters == 500
    assert est.design == "staggered_did" and est.estimand == "ATT (simple aggregation)"
    assert "Callaway & Sant'Anna" in est.method and "analytical" in est.method
    z = stats.norm.ppf(0.975)
    assert est.ci_low == pytest.approx(est.value - z * est.std_error, rel=1e-12)
    assert est.p_value == pytest.approx(2 * stats.norm.sf(abs(est.value / est.std_error)))


# R package `did`, vignette "Getting Started with the did Package" (docs/articles/
# did-basics.md in github.com/bcallaway11/did), section "An example with real data":
# att_gt(yname = "lemp", gname = "first.treat", idname = "countyreal", tname = "year",
# xformla = ~1, data = mpdta), doubly robust. Estimates printed at 4 decimals; the standard
# errors printed there come from R's multiplier bootstrap (bstrap = TRUE by default), ours are
# analytical, so they are compared within 15 %.
R_VIGNETTE_ATT_GT = [  # (group, time, ATT(g,t), bootstrap SE)
    (2004, 2004, -0.0105, 0.0243),
    (2004, 2005, -0.0704, 0.0331),
    (2004, 2006, -0.1373, 0.0412),
    (2004, 2007, -0.1008, 0.0358),
    (2006, 2004, 0.0065, 0.0230),
    (2006, 2005, -0.0028, 0.0210),
    (2006, 2006, -0.0046, 0.0175),
    (2006, 2007, -0.0412, 0.0196),
    (2007, 2004, 0.0305, 0.0147),
    (2007, 2005, -0.0027, 0.0156),
    (2007, 2006, -0.0311, 0.0179),
    (2007, 2007, -0.0261, 0.0175),
]


def test_mpdta_group_time_effects_match_r_did_vignette(cs_mpdta):
    gt = cs_mpdta.group_time
    assert len(gt) == len(R_VIGNETTE_ATT_GT)
    for g, t, att, se in R_VIGNETTE_ATT_GT:
        row = gt[(gt["cohort"] == g) & (gt["time"] == t)].iloc[0]
        assert round(row["value"], 4) == att, (g, t)
        assert row["std_error"] == pytest.approx(se, rel=0.15), (g, t)
        assert row["post"] == (t >= g)
        assert row["relative_period"] == t - g
    # Same vignette: "P-value for pre-test of parallel trends assumption: 0.16812" (a Wald
    # test with the analytical variance, so it matches to the printed digits).
    test = cs_mpdta.pretrend_test
    assert round(test.p_value, 5) == 0.16812
    assert test.df == 5 and test.distribution == "chi2"


def test_mpdta_dynamic_aggregation_matches_r_did_vignette(cs_mpdta):
    # Same vignette: aggte(mw.attgt, type = "dynamic"): overall ATT -0.0772 (bootstrap SE
    # 0.0203) and event-time effects -3..3.
    est = cs_mpdta.aggregate("dynamic")
    assert round(est.value, 4) == -0.0772
    assert est.std_error == pytest.approx(0.0203, rel=0.15)
    table = cs_mpdta.aggregate_table("dynamic")
    assert table["relative_period"].tolist() == [-3, -2, -1, 0, 1, 2, 3]
    published = [0.0305, -0.0006, -0.0245, -0.0199, -0.0510, -0.1373, -0.1008]
    assert table["value"].round(4).tolist() == published
    published_se = [0.0157, 0.0136, 0.0144, 0.0124, 0.0163, 0.0402, 0.0354]
    np.testing.assert_allclose(table["std_error"], published_se, rtol=0.15)
    assert [row["relative_period"] for row in est.extra["by"]] == [-3, -2, -1, 0, 1, 2, 3]


def test_mpdta_group_aggregation_matches_r_did_readme(mpdta, cs_mpdta):
    # R package `did`, README.md (github.com/bcallaway11/did), "A short example":
    # aggte(out, type = "group") with est_method = "reg": overall ATT -0.031 (bootstrap SE
    # 0.0123), groups 2004 -0.0797, 2006 -0.0229, 2007 -0.0261. Without covariates the
    # regression, IPW and doubly robust ATT(g, t) are all the plain 2x2 DiD of means, so the
    # README's point estimates apply to our default (checked below).
    est = cs_mpdta.aggregate("group")
    assert round(est.value, 3) == -0.031
    assert est.std_error == pytest.approx(0.0123, rel=0.15)
    table = cs_mpdta.aggregate_table("group")
    assert table["cohort"].tolist() == [2004, 2006, 2007]
    assert table["value"].round(4).tolist() == [-0.0797, -0.0229, -0.0261]
    reg = callaway_santanna(mpdta, **MPDTA, estimator="reg")
    assert reg.aggregate("group").value == pytest.approx(est.value, abs=1e-12)
    assert "regression" in reg.aggregate("group").method


def test_mpdta_calendar_aggregation_rebuilt_from_r_group_time_effects(mpdta, cs_mpdta):
    # No published calendar aggregation of mpdta was found (R `did` docs print it only for
    # simulated data). We rebuild it from the R vignette's ATT(g, t) above and the cohort
    # sizes counted in the data: theta(t) = sum_{g <= t} n_g ATT(g, t) / sum_{g <= t} n_g,
    # and the overall effect is the mean of theta(t) (Callaway & Sant'Anna 2021, sec. 3).
    sizes = mpdta.drop_duplicates("countyreal").groupby("first.treat").size()
    r_att = {(g, t): att for g, t, att, _ in R_VIGNETTE_ATT_GT}
    theta = []
    for t in (2004, 2005, 2006, 2007):
        cells = [(g, sizes[g]) for g in (2004, 2006, 2007) if g <= t]
        theta.append(sum(n * r_att[(g, t)] for g, n in cells) / sum(n for _, n in cells))
    table = cs_mpdta.aggregate_table("calendar")
    assert table["time"].tolist() == [2004, 2005, 2006, 2007]
    # Inputs rounded to 4 decimals: the averages are within 5e-5 of the exact values.
    np.testing.assert_allclose(table["value"], theta, atol=6e-5)
    assert cs_mpdta.aggregate("calendar").value == pytest.approx(np.mean(theta), abs=6e-5)


def test_mpdta_aggregations_rebuilt_exactly_from_group_time(mpdta, cs_mpdta):
    # Independent re-computation from .group_time and cohort sizes counted in the data.
    gt = cs_mpdta.group_time
    post = gt[gt["post"]].copy()
    sizes = mpdta.drop_duplicates("countyreal").groupby("first.treat").size()
    post["n_g"] = post["cohort"].map(sizes)
    simple = np.average(post["value"], weights=post["n_g"])
    assert cs_mpdta.aggregate("simple").value == pytest.approx(simple, rel=1e-10)
    by_group = post.groupby("cohort")["value"].mean()
    group = np.average(by_group, weights=sizes[by_group.index])
    assert cs_mpdta.aggregate("group").value == pytest.approx(group, rel=1e-10)
    np.testing.assert_allclose(cs_mpdta.aggregate_table("group")["value"], by_group)
    dyn = cs_mpdta.aggregate_table("dynamic").set_index("relative_period")["value"]
    for e, rows in post.groupby("relative_period"):
        assert dyn[int(e)] == pytest.approx(np.average(rows["value"], weights=rows["n_g"]))
    assert cs_mpdta.aggregate("dynamic").value == pytest.approx(dyn[dyn.index >= 0].mean())


def test_mpdta_wrapper_equals_moderndid_called_directly(mpdta, cs_mpdta):
    moderndid = pytest.importorskip("moderndid")
    mp = moderndid.att_gt(
        data=moderndid.load_mpdta(),  # polars, as moderndid loads it
        yname="lemp",
        tname="year",
        idname="countyreal",
        gname="first.treat",
        xformla="~lpop",
        est_method="dr",
        boot=False,
        cband=False,
    )
    direct = moderndid.aggte(mp, type="simple", cband=False)
    ours = callaway_santanna(mpdta, **MPDTA, covariates="lpop").aggregate("simple")
    assert ours.value == pytest.approx(direct.overall_att, rel=1e-10)
    assert ours.std_error == pytest.approx(direct.overall_se, rel=1e-10)
    assert ours.extra["covariates"] == ["lpop"]


def test_mpdta_result_object(cs_mpdta, tmp_path):
    est = cs_mpdta.aggregate("group")
    assert Estimate.from_json(est.to_json()) == est
    assert len(est.extra["by"]) == 3
    text = cs_mpdta.summary()
    for kind in AGGREGATIONS:
        assert kind in text
    assert "chi2(5)" in text
    gt = cs_mpdta.group_time
    z = stats.norm.ppf(0.975)
    np.testing.assert_allclose(gt["ci_high"], gt["value"] + z * gt["std_error"])
    np.testing.assert_allclose(
        gt["p_value"], 2 * stats.norm.sf(np.abs(gt["value"] / gt["std_error"]))
    )
    fig = dynamic_effects_plot(cs_mpdta, title="Effets dynamiques")
    assert drawn_effects(fig) == table_effects(cs_mpdta.aggregate_table("dynamic"))
    assert fig.axes[0].get_title() == "Effets dynamiques"
    fig.savefig(tmp_path / "cs.png")


def test_mpdta_result_protocol(cs_mpdta):
    # The headline is the simple aggregation (the published -0.0400); every aggregation is
    # a term of tidy(), with Estimate's field names.
    assert isinstance(cs_mpdta, Result)
    assert cs_mpdta.estimate == cs_mpdta.aggregate("simple")
    assert round(cs_mpdta.estimate.value, 4) == -0.0400
    tidy = cs_mpdta.tidy()
    assert tidy.index.name == "term"
    assert list(tidy.index) == ["simple", "group", "dynamic", "calendar"]
    assert list(tidy.columns) == list(TIDY_COLUMNS)
    assert round(tidy.loc["dynamic", "value"], 4) == -0.0772
    assert round(tidy.loc["group", "value"], 3) == -0.031
    for kind, est in cs_mpdta.estimates().items():
        assert est == cs_mpdta.aggregate(kind)
    for kind in ("group", "dynamic", "calendar"):
        columns = list(cs_mpdta.aggregate_table(kind).columns)
        assert columns[1:] == ["value", "std_error", "ci_low", "ci_high", "p_value"]
        assert set(cs_mpdta.aggregate(kind).extra["by"][0]) == set(columns)
    extra = cs_mpdta.estimate.extra
    assert (extra["estimator"], extra["vcov"]) == ("dr", "analytical")
    assert "est_method" not in extra and "bootstrap" not in extra
    test = cs_mpdta.pretrend_test
    assert isinstance(test, WaldTest) and "chi-square" in test.method
    row = test.tidy()
    assert list(row.index) == ["pretrend"] and row.index.name == "term"
    assert round(row.loc["pretrend", "p_value"], 5) == 0.16812
    assert row.loc["pretrend", "df"] == 5 and np.isnan(row.loc["pretrend", "df_denominator"])
    assert test.tidy(term="cs").index.tolist() == ["cs"]


def test_mpdta_twfe_is_the_within_estimator_with_cr1(mpdta):
    # Balanced panel: the two-way within transformation is exact, y - y_i. - y_.t + y_..
    df = mpdta.assign(D=((mpdta["first.treat"] > 0) & (mpdta["year"] >= mpdta["first.treat"])))
    df["D"] = df["D"].astype(int)
    est = twfe(df, outcome="lemp", unit="countyreal", time="year", treatment="D")

    def within(col):
        x = df[col].astype(float)
        return (
            x
            - x.groupby(df["countyreal"]).transform("mean")
            - x.groupby(df["year"]).transform("mean")
            + x.mean()
        ).to_numpy()

    yt, dt = within("lemp"), within("D")
    beta = dt @ yt / (dt @ dt)
    # fixest's small-sample factor counts the coefficient and the 5 year effects, not the
    # county effects nested in the county clusters: k = 1 + 5 (pyfixest 0.60 = fixest).
    vcov = cr1_vcov(dt[:, None], yt - beta * dt, df["countyreal"].to_numpy(), k=1 + 5)
    assert est.value == pytest.approx(beta, rel=1e-8)
    assert est.std_error == pytest.approx(np.sqrt(vcov[0, 0]), rel=1e-6)
    assert est.n == 2500 and est.n_clusters == 500 and est.extra["df"] == 499
    assert est.n_treated == 191 and est.n_control == 309
    crit = stats.t.ppf(0.975, 499)
    assert est.ci_low == pytest.approx(beta - crit * est.std_error, rel=1e-8)


# --- did_2x2 ---------------------------------------------------------------------------------


def test_did_2x2_equals_difference_of_cell_means_with_cr1():
    df = simulate_2x2(np.random.default_rng(3), n_units=60)
    est = did_2x2(df, outcome="y", unit="id", time="period", treatment="treat", post="post")
    means = df.groupby(["treat", "post"])["y"].mean()
    by_hand = (means[1, 1] - means[1, 0]) - (means[0, 1] - means[0, 0])
    assert est.value == pytest.approx(by_hand, rel=1e-10)
    assert est.extra["cell_means"]["treated_post"] == pytest.approx(means[1, 1])
    x = np.column_stack(
        [np.ones(len(df)), df["treat"], df["post"], df["treat"] * df["post"]]
    ).astype(float)
    beta, *_ = np.linalg.lstsq(x, df["y"].to_numpy(), rcond=None)
    vcov = cr1_vcov(x, df["y"].to_numpy() - x @ beta, df["id"].to_numpy(), k=4)
    se = np.sqrt(vcov[3, 3])
    assert est.std_error == pytest.approx(se, rel=1e-9)
    crit = stats.t.ppf(0.975, 59)
    assert est.ci_low == pytest.approx(by_hand - crit * se, rel=1e-9)
    assert est.p_value == pytest.approx(2 * stats.t.sf(abs(by_hand / se), 59), rel=1e-6)
    assert (est.n, est.n_treated, est.n_control, est.n_clusters) == (120, 30, 30, 60)
    assert est.estimand == "ATT" and est.design == "did" and "CR1" in est.method


def test_did_2x2_equals_twfe_on_two_period_panel():
    df = simulate_2x2(np.random.default_rng(4))
    df["d"] = df["treat"] * df["post"]
    a = did_2x2(df, outcome="y", unit="id", time="period", treatment="treat", post="post")
    b = twfe(df, outcome="y", unit="id", time="period", treatment="d")
    assert a.value == pytest.approx(b.value, rel=1e-9)
    # The standard errors differ only by the small-sample factor (N-1)/(N-k): k = 4 in the
    # pooled regression, 1 + 2 in the TWFE one with unit effects nested in the clusters.
    n = len(df)
    assert a.std_error == pytest.approx(b.std_error * np.sqrt((n - 3) / (n - 4)), rel=1e-8)


def test_did_2x2_with_other_clusters_and_pooled_periods():
    rng = np.random.default_rng(5)
    n = 80  # four periods, two before and two after
    treat = rng.permutation(np.repeat([0, 1], n // 2))
    unit, period = np.repeat(np.arange(n), 4), np.tile(np.arange(2000, 2004), n)
    post, d = (period >= 2002).astype(int), treat[unit]
    y = rng.normal(size=n)[unit] + 0.2 * (period - 2000) + 1.5 * d * post
    df = pd.DataFrame({"y": y + rng.normal(size=4 * n), "id": unit, "period": period})
    df = df.assign(treat=d, post=post, state=unit % 10)
    est = did_2x2(
        df, outcome="y", unit="id", time="period", treatment="treat", post="post", cluster="state"
    )
    assert est.n_clusters == 10 and est.extra["df"] == 9 and est.extra["cluster"] == "state"
    means = df.groupby(["treat", "post"])["y"].mean()
    assert est.value == pytest.approx(
        (means[1, 1] - means[1, 0]) - (means[0, 1] - means[0, 0]), rel=1e-10
    )


def test_did_2x2_drops_and_counts_missing_rows():
    df = simulate_2x2(np.random.default_rng(6), 40)
    df.loc[[0, 7, 9], "y"] = np.nan
    est = did_2x2(df, outcome="y", unit="id", time="period", treatment="treat", post="post")
    assert (est.n, est.n_dropped) == (77, 3)
    assert "3 row(s) dropped" in est.summary()


def monte_carlo_2x2(reps: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    covered, values = np.empty(reps, dtype=bool), np.empty(reps)
    for r in range(reps):
        est = did_2x2(
            simulate_2x2(rng), outcome="y", unit="id", time="period", treatment="treat", post="post"
        )
        covered[r] = est.ci_low <= 1.5 <= est.ci_high
        values[r] = est.value
    assert abs(values.mean() - 1.5) <= 3 * values.std(ddof=1) / np.sqrt(reps)
    return covered


def test_monte_carlo_did_2x2_coverage():
    coverage = monte_carlo_2x2(reps=400, seed=20240611).mean()
    assert 0.92 <= coverage <= 0.98, coverage


@pytest.mark.slow
def test_monte_carlo_did_2x2_coverage_large():
    coverage = monte_carlo_2x2(reps=2000, seed=7).mean()
    assert 0.935 <= coverage <= 0.965, coverage


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), c=st.floats(0.01, 100), shift=st.floats(-100, 100))
def test_did_2x2_invariants(seed, c, shift):
    df = simulate_2x2(np.random.default_rng(seed), 30)
    kwargs = {"outcome": "y", "unit": "id", "time": "period", "treatment": "treat", "post": "post"}
    before = did_2x2(df, **kwargs)
    shuffled = df.sample(frac=1.0, random_state=seed % 2**31).reset_index(drop=True)
    after = did_2x2(shuffled.assign(y=c * shuffled["y"] + shift), **kwargs)
    assert after.value == pytest.approx(c * before.value, rel=1e-7, abs=1e-9 * (c + abs(shift)))
    assert after.std_error == pytest.approx(c * before.std_error, rel=1e-7)


# --- twfe ------------------------------------------------------------------------------------


def test_twfe_recovers_a_homogeneous_effect_under_staggered_adoption():
    rng = np.random.default_rng(11)
    df = simulate_staggered(
        rng, n_units=3000, periods=6, cohorts=(0, 2, 4, 5), effect=lambda e: np.full(e.shape, 2.0)
    )
    est = twfe(df, outcome="y", unit="id", time="t", treatment="d")
    assert est.ci_low < 2.0 < est.ci_high
    assert abs(est.value - 2.0) < 0.05
    assert est.n == 18000 and est.n_clusters == 3000


HETEROGENEOUS = {"cohorts": (0, 2, 4, 6), "probs": (0.1, 0.3, 0.3, 0.3), "periods": 7}


def dynamic_effect(e):
    return 1.0 + 1.0 * np.asarray(e, dtype=float)  # effects grow with exposure


def test_twfe_is_biased_with_heterogeneous_dynamic_effects_and_cs_is_not():
    # Goodman-Bacon (2021): with effects growing in exposure, early-treated units act as
    # controls for late ones and TWFE understates the average effect.
    truth = true_simple_att(
        HETEROGENEOUS["cohorts"], HETEROGENEOUS["probs"], HETEROGENEOUS["periods"], dynamic_effect
    )
    df = simulate_staggered(
        np.random.default_rng(12), n_units=3000, effect=dynamic_effect, **HETEROGENEOUS
    )
    tw = twfe(df, outcome="y", unit="id", time="t", treatment="d")
    cs = callaway_santanna(df, outcome="y", unit="id", time="t", cohort="g").aggregate("simple")
    assert abs(tw.value - truth) > 10 * tw.std_error
    assert abs(tw.value - truth) > 0.2 * truth
    assert not tw.ci_low < truth < tw.ci_high
    assert abs(cs.value - truth) < 3 * cs.std_error
    assert cs.ci_low < truth < cs.ci_high


def test_twfe_counts_singletons_as_dropped():
    df = simulate_staggered(np.random.default_rng(13), n_units=100)
    extra = pd.DataFrame({"y": [0.3], "id": [999], "t": [2], "g": [0], "d": [0]})
    df = pd.concat([df, extra], ignore_index=True)
    df.loc[3, "y"] = np.nan
    with pytest.warns(UserWarning, match="singleton"):  # pyfixest's own notice
        est = twfe(df, outcome="y", unit="id", time="t", treatment="d")
    assert est.n_dropped == 2 and est.extra["n_singletons"] == 1
    assert est.n == 400 - 1


# --- event study ------------------------------------------------------------------------------


def lsdv_event_study(df: pd.DataFrame, rel: np.ndarray, periods: list[int]):
    """Event-study coefficients by brute-force least squares with unit and time dummies,
    their CR1 errors (fixest's k: coefficients + time effects), and the pre-trend F."""
    dummies = np.column_stack([(rel == k).astype(float) for k in periods])
    units = pd.get_dummies(df["id"]).to_numpy(dtype=float)
    times = pd.get_dummies(df["t"]).to_numpy(dtype=float)[:, 1:]
    fe = np.column_stack([units, times])
    x = np.column_stack([dummies, fe])
    y = df["y"].to_numpy()
    beta = np.linalg.solve(x.T @ x, x.T @ y)  # normal equations: well conditioned here
    resid = y - x @ beta
    # Frisch-Waugh-Lovell: the sandwich of the coefficients of interest uses the dummies
    # residualised on the fixed effects.
    partial = dummies - fe @ np.linalg.solve(fe.T @ fe, fe.T @ dummies)
    k = len(periods) + df["t"].nunique()
    vcov = cr1_vcov(partial, resid, df["id"].to_numpy(), k=k)
    return beta[: len(periods)], vcov


def test_event_study_matches_brute_force_lsdv_and_cr1():
    df = simulate_staggered(
        np.random.default_rng(21),
        n_units=150,
        periods=6,
        cohorts=(0, 3, 4, 5),
        effect=dynamic_effect,
    )
    res = event_study(df, outcome="y", unit="id", time="t", cohort="g")
    rel = np.where(df["g"] > 0, df["t"] - df["g"], np.nan)
    periods = [-4, -3, -2, 0, 1, 2, 3]
    assert sorted(res.effects) == periods
    beta, vcov = lsdv_event_study(df, rel, periods)
    for j, k in enumerate(periods):
        assert res.effects[k].value == pytest.approx(beta[j], rel=1e-7, abs=1e-9)
        assert res.effects[k].std_error == pytest.approx(np.sqrt(vcov[j, j]), rel=1e-6)
    pre = [j for j, k in enumerate(periods) if k < 0]
    b = beta[pre]
    wald = b @ np.linalg.solve(vcov[np.ix_(pre, pre)], b)
    test = res.pretrend_test
    assert (test.df, test.df_denominator, test.distribution) == (3, 149, "F")
    assert test.statistic == pytest.approx(wald / 3, rel=1e-5)
    assert test.p_value == pytest.approx(stats.f.sf(wald / 3, 3, 149), rel=1e-4)
    # Tidy table: the reference row is there, at zero and without standard error.
    ref = res.table[res.table["reference"]].iloc[0]
    assert ref["relative_period"] == -1 and ref["value"] == 0 and np.isnan(ref["std_error"])
    assert res.table["relative_period"].tolist() == [-4, -3, -2, -1, 0, 1, 2, 3]
    assert res.effects[0].n_treated == int((rel == 0).sum())


def test_event_study_bins_end_points():
    df = simulate_staggered(np.random.default_rng(22), n_units=150, periods=6, cohorts=(0, 3, 4, 5))
    res = event_study(df, outcome="y", unit="id", time="t", cohort="g", leads=2, lags=1)
    assert sorted(res.effects) == [-2, 0, 1]
    assert res.effects[-2].extra["binned"] and res.effects[1].extra["binned"]
    assert not res.effects[0].extra["binned"]
    assert res.window == (-2, 1)
    rel = np.clip(np.where(df["g"] > 0, df["t"] - df["g"], np.nan), -2, 1)
    beta, _ = lsdv_event_study(df, rel, [-2, 0, 1])
    np.testing.assert_allclose([res.effects[k].value for k in (-2, 0, 1)], beta, rtol=1e-7)
    assert res.pretrend_test.df == 1


def test_event_study_recovers_dynamic_effects_with_a_single_cohort():
    # One adoption date plus never-treated units: the TWFE event study is unbiased there.
    df = simulate_staggered(
        np.random.default_rng(23), n_units=2000, periods=6, cohorts=(0, 4), effect=dynamic_effect
    )
    res = event_study(df, outcome="y", unit="id", time="t", cohort="g")
    assert sorted(res.effects) == [-3, -2, 0, 1, 2]
    for k, est in res.effects.items():
        truth = dynamic_effect(k) if k >= 0 else 0.0
        assert abs(est.value - truth) < 4 * est.std_error, (k, est.value)
        assert est.std_error < 0.1


def pretrend_rejections(pretrend: float, reps: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    rejected = 0
    for _ in range(reps):
        df = simulate_staggered(
            rng, n_units=200, periods=6, cohorts=(0, 3, 4, 5), pretrend=pretrend
        )
        res = event_study(df, outcome="y", unit="id", time="t", cohort="g", leads=3, lags=2)
        rejected += res.pretrend_test.p_value < 0.05
    return rejected / reps


def test_monte_carlo_pretrend_test_size_and_power():
    # Under parallel trends the 5 % test rejects rarely (about 5 %; bound 10 % with 100
    # replications, MC s.e. 2.2 points); a differential trend of 0.5 per period (half the
    # noise s.d.) is detected almost always (power 1.00 in 100 separate trial replications).
    assert pretrend_rejections(0.0, reps=100, seed=31) <= 0.10
    assert pretrend_rejections(0.5, reps=25, seed=32) >= 0.90


@pytest.mark.slow
def test_monte_carlo_pretrend_test_size_large():
    size = pretrend_rejections(0.0, reps=1000, seed=33)
    assert 0.03 <= size <= 0.075, size


def test_event_study_result_summary_and_plot(tmp_path):
    df = simulate_staggered(np.random.default_rng(24), n_units=120, periods=5)
    res = event_study(df, outcome="y", unit="id", time="t", cohort="g")
    assert isinstance(res, EventStudyResult)
    assert "reference" in res.summary() and "F(" in res.summary()
    fig = event_study_plot(res, ylabel="Effet sur y")
    assert isinstance(fig, matplotlib.figure.Figure)
    (ax,) = fig.axes
    assert ax.get_xlabel() == "Période relative au traitement"
    assert ax.get_ylabel() == "Effet sur y"
    estimated = res.table[~res.table["reference"]]
    assert drawn_effects(fig) == table_effects(estimated)
    # The reference period: an open dot at zero, beside the errorbars.
    dots = [
        line.get_xydata().tolist() for line in ax.lines if line.get_markerfacecolor() == "white"
    ]
    assert dots == [[[-1.0, 0.0]]]
    fig.savefig(tmp_path / "event_study.png")
    assert (tmp_path / "event_study.png").stat().st_size > 0


def test_event_study_result_protocol():
    df = simulate_staggered(np.random.default_rng(24), n_units=120, periods=5, cohorts=(0, 3, 4))
    res = event_study(df, outcome="y", unit="id", time="t", cohort="g")
    assert isinstance(res, Result)
    # Headline: the effect at the first treated period; the tidy table starts with it.
    assert res.estimate is res.effects[0]
    assert "relative period 0" in res.estimate.estimand
    tidy = res.tidy()
    assert tidy.index.name == "term" and list(tidy.columns) == list(TIDY_COLUMNS)
    assert list(tidy.index) == ["e=0", "e=-3", "e=-2", "e=1", "e=2"]
    for k, est in res.effects.items():
        assert tidy.loc[f"e={k}", "value"] == est.value
        row = res.table.set_index("relative_period").loc[k]
        assert (row["value"], row["ci_low"], row["p_value"]) == (est.value, est.ci_low, est.p_value)
    assert list(res.table.columns) == [
        "relative_period", "value", "std_error", "ci_low", "ci_high", "p_value", "reference",
        "binned",
    ]  # fmt: skip
    test = res.pretrend_test
    assert isinstance(test, WaldTest) and "CRV1" in test.method
    row = test.tidy().loc["pretrend"]
    assert (row["statistic"], row["df"], row["p_value"]) == (test.statistic, 2, test.p_value)
    assert row["df_denominator"] == 119 and row["distribution"] == "F"


def test_plots_refuse_other_results(cs_mpdta):
    df = simulate_staggered(np.random.default_rng(24), n_units=120, periods=5)
    res = event_study(df, outcome="y", unit="id", time="t", cohort="g")
    with pytest.raises(InputError, match="result must be an EventStudyResult, got Callaway"):
        event_study_plot(cs_mpdta)
    with pytest.raises(InputError, match="result must be a CallawaySantAnnaResult, got Event"):
        dynamic_effects_plot(res)


def test_event_study_treats_cohorts_after_the_panel_as_never_treated():
    df = simulate_staggered(np.random.default_rng(25), n_units=120, periods=5)
    res = event_study(df, outcome="y", unit="id", time="t", cohort="g")
    later = df.assign(g=df["g"].replace(0, 99))
    res_later = event_study(later, outcome="y", unit="id", time="t", cohort="g")
    for k, est in res.effects.items():
        assert res_later.effects[k].value == pytest.approx(est.value, rel=1e-9)


# --- callaway_santanna -------------------------------------------------------------------------

# Three periods, cohorts first treated in 2 and 3 (e = 0, 1 and e = 0): effects still differ
# by exposure; small enough that 200 replications run in a few seconds.
CS_DESIGN = {"cohorts": (0, 2, 3), "probs": (0.4, 0.3, 0.3), "periods": 3}


def monte_carlo_cs(reps: int, seed: int) -> float:
    truth = true_simple_att(
        CS_DESIGN["cohorts"], CS_DESIGN["probs"], CS_DESIGN["periods"], dynamic_effect
    )
    rng = np.random.default_rng(seed)
    covered, values = np.empty(reps, dtype=bool), np.empty(reps)
    for r in range(reps):
        df = simulate_staggered(rng, n_units=200, effect=dynamic_effect, **CS_DESIGN)
        est = callaway_santanna(df, outcome="y", unit="id", time="t", cohort="g").aggregate()
        covered[r] = est.ci_low <= truth <= est.ci_high
        values[r] = est.value
    assert abs(values.mean() - truth) <= 3 * values.std(ddof=1) / np.sqrt(reps)
    return covered.mean()


def test_monte_carlo_callaway_santanna_simple_coverage():
    coverage = monte_carlo_cs(reps=200, seed=20240612)
    assert 0.92 <= coverage <= 0.98, coverage


@pytest.mark.slow
def test_monte_carlo_callaway_santanna_simple_coverage_large():
    coverage = monte_carlo_cs(reps=1500, seed=41)
    assert 0.935 <= coverage <= 0.965, coverage


def test_callaway_santanna_bootstrap_is_seeded(mpdta, cs_mpdta):
    a = callaway_santanna(mpdta, **MPDTA, vcov="bootstrap", n_resamples=499, seed=3)
    b = callaway_santanna(mpdta, **MPDTA, vcov="bootstrap", n_resamples=499, seed=3)
    c = callaway_santanna(mpdta, **MPDTA, vcov="bootstrap", n_resamples=499, seed=4)
    assert a.aggregate("simple") == b.aggregate("simple")
    assert a.aggregate("simple").std_error != c.aggregate("simple").std_error
    assert a.aggregate("simple").value == cs_mpdta.aggregate("simple").value
    analytical = cs_mpdta.aggregate("dynamic").std_error
    assert a.aggregate("dynamic").std_error == pytest.approx(analytical, rel=0.15)
    assert "bootstrap (499 draws, seed 3)" in a.aggregate("simple").method
    assert a.estimate.extra["vcov"] == a.vcov == "bootstrap" and a.n_resamples == 499


def test_callaway_santanna_not_yet_treated_controls(mpdta, cs_mpdta):
    res = callaway_santanna(mpdta, **MPDTA, control_group="not_yet_treated")
    est = res.aggregate("group")
    assert "not-yet-treated controls" in est.method
    assert est.value != cs_mpdta.aggregate("group").value
    assert abs(est.value - cs_mpdta.aggregate("group").value) < 0.01  # same data, close


def test_callaway_santanna_accepts_string_unit_labels(mpdta, cs_mpdta):
    labelled = mpdta.assign(countyreal="county-" + mpdta["countyreal"].astype(str))
    est = callaway_santanna(labelled, **MPDTA).aggregate("simple")
    assert est.value == pytest.approx(cs_mpdta.aggregate("simple").value, rel=1e-12)
    assert est.std_error == pytest.approx(cs_mpdta.aggregate("simple").std_error, rel=1e-12)


def test_callaway_santanna_drops_and_counts_rows(mpdta, cs_mpdta):
    df = mpdta.copy()
    units = df["countyreal"].unique()
    df.loc[df.index[3], "lemp"] = np.nan  # a missing outcome unbalances its county
    always = pd.DataFrame(  # two counties treated from the first period on
        {
            "year": np.tile(np.arange(2003, 2008), 2),
            "countyreal": np.repeat([1, 2], 5),
            "lpop": 1.0,
            "lemp": 5.0,
            "first.treat": 2003,
            "treat": 1,
        }
    )
    df = pd.concat([df, always], ignore_index=True)
    df = df[~((df["countyreal"] == units[10]) & (df["year"] == 2005))]  # unbalanced county
    res = callaway_santanna(df, **MPDTA)
    dropped = res.dropped
    assert dropped == {
        "missing_values_rows": 1,
        "always_treated_units": 2,
        "always_treated_rows": 10,
        "unbalanced_units": 2,
        "unbalanced_rows": 4 + 4,
        "after_last_cohort_rows": 0,
    }
    est = res.aggregate("simple")
    assert est.n_dropped == 1 + 10 + 8 == res.n_dropped
    assert est.extra["dropped"] == dropped and est.extra["n_periods"] == res.n_periods == 5
    assert est.n == 2500 - 10 and res.n_units == 498
    clean = mpdta[~mpdta["countyreal"].isin([df.loc[df.index[3], "countyreal"], units[10]])]
    assert est.value == pytest.approx(
        callaway_santanna(clean, **MPDTA).aggregate("simple").value, rel=1e-12
    )


def test_callaway_santanna_cohort_after_panel_counts_as_never_treated(mpdta, cs_mpdta):
    later = mpdta.assign(**{"first.treat": mpdta["first.treat"].replace(0, 2010)})
    est = callaway_santanna(later, **MPDTA).aggregate("simple")
    assert est.value == pytest.approx(cs_mpdta.aggregate("simple").value, rel=1e-12)
    assert est.n_control == 309


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_callaway_santanna_ignores_row_order_and_unit_labels(seed):
    df = simulate_staggered(np.random.default_rng(seed % 1000), n_units=80)
    before = callaway_santanna(df, outcome="y", unit="id", time="t", cohort="g").aggregate()
    rng = np.random.default_rng(seed)
    relabel = dict(zip(range(80), rng.permutation(80) + 1000, strict=True))
    shuffled = df.assign(id=df["id"].map(relabel)).sample(frac=1.0, random_state=seed % 2**31)
    after = callaway_santanna(shuffled, outcome="y", unit="id", time="t", cohort="g").aggregate()
    assert after.value == pytest.approx(before.value, rel=1e-9, abs=1e-12)
    assert after.std_error == pytest.approx(before.std_error, rel=1e-9)


# --- bad input -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return simulate_staggered(np.random.default_rng(99), n_units=60, periods=4)


@pytest.fixture(scope="module")
def two_by_two() -> pd.DataFrame:
    return simulate_2x2(np.random.default_rng(98), 40)


def call_each(panel, two_by_two):
    return {
        "did_2x2": lambda **kw: did_2x2(
            two_by_two,
            **{
                "outcome": "y",
                "unit": "id",
                "time": "period",
                "treatment": "treat",
                "post": "post",
                **kw,
            },
        ),
        "twfe": lambda **kw: twfe(
            panel, **{"outcome": "y", "unit": "id", "time": "t", "treatment": "d", **kw}
        ),
        "event_study": lambda **kw: event_study(
            panel, **{"outcome": "y", "unit": "id", "time": "t", "cohort": "g", **kw}
        ),
        "callaway_santanna": lambda **kw: callaway_santanna(
            panel, **{"outcome": "y", "unit": "id", "time": "t", "cohort": "g", **kw}
        ),
    }


@pytest.mark.parametrize("function", ["did_2x2", "twfe", "event_study", "callaway_santanna"])
@pytest.mark.parametrize(
    ("argument", "role"), [("outcome", "outcome"), ("unit", "unit"), ("time", "time")]
)
def test_refuses_missing_columns(panel, two_by_two, function, argument, role):
    with pytest.raises(InputError, match=rf"{role} 'nowhere' not found in data"):
        call_each(panel, two_by_two)[function](**{argument: "nowhere"})


@pytest.mark.parametrize(
    ("function", "argument"),
    [
        ("did_2x2", "treatment"),
        ("did_2x2", "post"),
        ("twfe", "treatment"),
        ("event_study", "cohort"),
        ("callaway_santanna", "cohort"),
        ("callaway_santanna", "covariates"),
        ("twfe", "cluster"),
    ],
)
def test_refuses_missing_role_columns(panel, two_by_two, function, argument):
    role = "covariate" if argument == "covariates" else argument
    with pytest.raises(InputError, match=rf"{role} 'nowhere' not found in data"):
        call_each(panel, two_by_two)[function](**{argument: "nowhere"})


def test_refuses_non_binary_treatment(panel):
    bad = panel.assign(dose=panel["d"] * 2 + (panel["t"] == 4))
    with pytest.raises(InputError, match=r"treatment column 'dose' must be binary 0/1"):
        twfe(bad, outcome="y", unit="id", time="t", treatment="dose")


def test_refuses_treatment_that_never_varies(panel):
    with pytest.raises(InputError, match=r"treatment column 'd' never varies"):
        twfe(panel.assign(d=0), outcome="y", unit="id", time="t", treatment="d")


def test_refuses_treatment_collinear_with_fixed_effects(panel):
    fixed = panel.assign(d=(panel["id"] < 30).astype(int))  # constant within units
    with pytest.raises(InputError, match=r"treatment column 'd' is collinear with the unit"):
        twfe(fixed, outcome="y", unit="id", time="t", treatment="d")


def test_did_2x2_refuses_non_binary_or_constant_indicators(two_by_two):
    kwargs = {"outcome": "y", "unit": "id", "time": "period"}
    with pytest.raises(InputError, match=r"treatment column 'group' must be binary 0/1"):
        did_2x2(
            two_by_two.assign(group=two_by_two["id"] % 3), **kwargs, treatment="group", post="post"
        )
    with pytest.raises(InputError, match=r"treatment column 'treat' never varies"):
        did_2x2(two_by_two.assign(treat=1), **kwargs, treatment="treat", post="post")
    with pytest.raises(InputError, match=r"post column 'post' never varies"):
        did_2x2(two_by_two.assign(post=0), **kwargs, treatment="treat", post="post")


def test_did_2x2_refuses_group_that_changes_within_unit(two_by_two):
    bad = two_by_two.copy()
    bad.loc[(bad["id"] == 5) & (bad["post"] == 1), "treat"] = (
        1 - bad.loc[(bad["id"] == 5) & (bad["post"] == 1), "treat"]
    )
    with pytest.raises(InputError, match=r"treatment column 'treat' changes within 'id' = 5"):
        did_2x2(bad, outcome="y", unit="id", time="period", treatment="treat", post="post")


def test_did_2x2_refuses_post_that_changes_within_period(two_by_two):
    bad = two_by_two.assign(post=np.where(two_by_two["id"] == 0, 1, two_by_two["post"]))
    with pytest.raises(InputError, match=r"post column 'post' changes within 'period' = 2000"):
        did_2x2(bad, outcome="y", unit="id", time="period", treatment="treat", post="post")


def test_did_2x2_refuses_empty_cell(two_by_two):
    bad = two_by_two[~((two_by_two["treat"] == 1) & (two_by_two["post"] == 0))]
    with pytest.raises(InputError, match=r"no observation in cell\(s\) \['treated_pre'\]"):
        did_2x2(bad, outcome="y", unit="id", time="period", treatment="treat", post="post")


@pytest.mark.parametrize("function", ["did_2x2", "twfe", "event_study", "callaway_santanna"])
def test_refuses_unit_observed_twice_in_a_period(panel, two_by_two, function):
    source = two_by_two if function == "did_2x2" else panel
    time = "period" if function == "did_2x2" else "t"
    row = source[(source["id"] == 7)].iloc[[1]]
    doubled = pd.concat([source, row], ignore_index=True)
    period = row[time].iloc[0]
    calls = call_each(doubled, doubled)
    with pytest.raises(
        InputError, match=rf"unit 7 \(column 'id'\) is observed 2 times in period {period}"
    ):
        calls[function]()


def test_refuses_no_never_treated_units_with_never_treated_controls(panel):
    treated_only = panel[panel["g"] > 0]
    with pytest.raises(InputError, match=r"no never-treated unit \(cohort 0 in 'g'\)"):
        callaway_santanna(treated_only, outcome="y", unit="id", time="t", cohort="g")
    # With not-yet-treated controls the same data can be used.
    res = callaway_santanna(
        treated_only,
        outcome="y",
        unit="id",
        time="t",
        cohort="g",
        control_group="not_yet_treated",
    )
    assert res.n_control == 0
    # moderndid keeps the periods before the last cohort (4) is treated: 52 units x 3.
    assert res.n == 52 * 3 and res.n_dropped == 52
    assert res.dropped["after_last_cohort_rows"] == 52
    assert res.aggregate().n == 156


def test_refuses_unknown_aggregation(cs_mpdta):
    with pytest.raises(InputError, match=r"unknown aggregation 'overall'"):
        cs_mpdta.aggregate("overall")
    with pytest.raises(InputError, match=r"unknown aggregation 'event'"):
        cs_mpdta.aggregate_table("event")
    with pytest.raises(InputError, match=r"'simple' aggregation has a single effect"):
        cs_mpdta.aggregate_table("simple")


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ({"control_group": "nevertreated"}, r"unknown control_group 'nevertreated'"),
        ({"estimator": "ols"}, r"unknown estimator 'ols': choose one of \['dr', "),
        ({"vcov": "boot"}, r"unknown vcov 'boot': choose one of \['analytical', "),
        ({"n_resamples": 0}, r"n_resamples must be a positive integer, got 0"),
        ({"seed": 1.5}, r"seed must be an integer, got 1.5"),
    ],
)
def test_callaway_santanna_refuses_bad_options(panel, option, message):
    kwargs = {"outcome": "y", "unit": "id", "time": "t", "cohort": "g"}
    with pytest.raises(InputError, match=message):
        callaway_santanna(panel, **kwargs, **option)


@pytest.mark.parametrize("function", ["event_study", "callaway_santanna"])
def test_refuses_bad_cohorts(panel, function, two_by_two):
    kwargs = {"outcome": "y", "unit": "id", "time": "t"}
    run = {"event_study": event_study, "callaway_santanna": callaway_santanna}[function]
    missing = panel.assign(g=panel["g"].where(panel["g"] > 0))  # NaN for never treated
    with pytest.raises(InputError, match=r"cohort column 'g' has \d+ missing value\(s\): code"):
        run(missing, **kwargs, cohort="g")
    varying = panel.assign(g=np.where((panel["id"] == 4) & (panel["t"] == 2), 3, panel["g"]))
    varying.loc[varying["id"] == 4, "g"] = [2, 3, 2, 2]
    with pytest.raises(InputError, match=r"cohort column 'g' changes within 'id' = 4"):
        run(varying, **kwargs, cohort="g")
    with pytest.raises(InputError, match=r"cohort column 'g' has \d+ negative value"):
        run(panel.assign(g=panel["g"].replace(0, -1)), **kwargs, cohort="g")


def test_event_study_refuses_bad_window(panel):
    kwargs = {"outcome": "y", "unit": "id", "time": "t", "cohort": "g"}
    with pytest.raises(InputError, match=r"reference must be a negative integer"):
        event_study(panel, **kwargs, reference=0)
    with pytest.raises(InputError, match=r"leads must be an integer >= 1"):
        event_study(panel, **kwargs, leads=0)
    with pytest.raises(InputError, match=r"reference -3 lies outside the window \[-2, 2\]"):
        event_study(panel, **kwargs, leads=2, reference=-3)
    with pytest.raises(InputError, match=r"column 't' must hold whole numbers"):
        event_study(panel.assign(t=panel["t"] + 0.5), **kwargs)


def test_event_study_refuses_no_treatment_within_panel(panel):
    with pytest.raises(InputError, match=r"no unit is treated within the panel"):
        event_study(
            panel.assign(g=np.where(panel["g"] > 0, 9, 0)),
            outcome="y",
            unit="id",
            time="t",
            cohort="g",
        )
    with pytest.raises(InputError, match=r"cohort column 'g' has no treated unit"):
        event_study(panel.assign(g=0), outcome="y", unit="id", time="t", cohort="g")
    before_only = panel[(panel["g"] == 0) | (panel["t"] < panel["g"])]
    with pytest.raises(InputError, match=r"no treated unit is observed from its first treated"):
        event_study(before_only, outcome="y", unit="id", time="t", cohort="g")


def test_event_study_refuses_unidentified_relative_periods(panel):
    treated_only = panel[panel["g"] > 0]
    with pytest.raises(InputError, match=r"collinear with the fixed effects: add never-treated"):
        event_study(treated_only, outcome="y", unit="id", time="t", cohort="g")


@pytest.mark.parametrize("function", ["did_2x2", "twfe", "event_study", "callaway_santanna"])
def test_refuses_bad_alpha_and_non_dataframe(panel, two_by_two, function):
    calls = call_each(panel, two_by_two)
    with pytest.raises(InputError, match=r"alpha must be in \(0, 1\)"):
        calls[function](alpha=1.5)


def test_refuses_non_dataframe_and_shared_roles(panel):
    with pytest.raises(InputError, match="data must be a pandas DataFrame, got dict"):
        twfe(panel.to_dict(), outcome="y", unit="id", time="t", treatment="d")
    with pytest.raises(InputError, match=r"column\(s\) \['y'\] given for more than one role"):
        twfe(panel, outcome="y", unit="id", time="t", treatment="y")


def test_refuses_string_outcome(panel):
    with pytest.raises(InputError, match=r"outcome column 'label' must be numeric"):
        twfe(panel.assign(label="a"), outcome="label", unit="id", time="t", treatment="d")
