"""Randomised designs: difference in means, covariate and block adjustment, clustering,
randomisation inference, balance, attrition, power and minimum detectable effects.

Numerics are delegated to statsmodels (OLS with robust covariance estimators, Wald
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
        "attrition": ".follow_up",
        "difference_in_means": ".means",
        "minimum_detectable_effect": ".power",
        "sample_size": ".power",
        "RandomizationInference": ".randomisation",
        "randomization_inference": ".randomisation",
        "MODELS": ".rates",
        "implied_icc": ".rates",
        "rate_difference": ".rates",
        "rate_ratio": ".rates",
        "cluster_trial": ".simulate",
        "intraclass_correlation": ".simulate",
        "simulate_cluster_count_trial": ".simulate",
        "adjust_pvalues": "impactlib.core.multiplicity",
    },
)
