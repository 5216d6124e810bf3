"""Randomised designs: the 0/1 assignment indicator of a treatment column, difference in
means, covariate and block adjustment, clustering, randomisation inference, balance,
attrition, non-compliance, event rates, power and minimum detectable effects, intraclass
correlation, simulated trials and Monte Carlo studies of estimators.

Numerics are delegated to statsmodels (OLS and GLMs with robust covariance estimators, Wald
tests) and scipy (normal quantiles); this module adds the checks, the Lin (2013) design
matrix, the stratified estimator, a vectorised randomisation-inference engine and the
:class:`~impactlib.core.Estimate` record. Multiple-testing corrections live in
:mod:`impactlib.core.multiplicity` and are re-exported here (:func:`adjust_pvalues`).
"""

from impactlib.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "JointBalanceTest": ".balance",
        "balance_table": ".balance",
        "joint_balance_test": ".balance",
        "complier_effect": ".compliance",
        "attrition": ".follow_up",
        "assignment_indicator": ".samples",
        "implied_icc": ".icc",
        "intraclass_correlation": ".icc",
        "difference_in_means": ".means",
        "SimulationStudy": ".monte_carlo",
        "simulation_study": ".monte_carlo",
        "PowerDesign": ".power",
        "RandomizationInference": ".randomisation",
        "randomization_inference": ".randomisation",
        "MODELS": ".rates",
        "rate_difference": ".rates",
        "rate_ratio": ".rates",
        "cluster_count_trial": ".simulate",
        "cluster_trial": ".simulate",
        "adjust_estimates": "impactlib.core.multiplicity",
        "adjust_pvalues": "impactlib.core.multiplicity",
    },
)
