"""Selection on observables: propensity score, inverse probability weighting, augmented
(doubly robust) weighting, nearest-neighbour matching, overlap and balance diagnostics.

The propensity score is a statsmodels ``Logit`` (or ``Probit``) fit, and its scores and
Hessian feed the standard errors. The weighting estimators are M-estimators: their
standard errors come from the sandwich of the stacked estimating equations (the effect
and the propensity-score model together, as Stata's ``teffects`` does), written out here
because statsmodels' ``TreatmentEffect`` clips the scores at 0.01/0.99 inside its GMM and
has no doubly robust effect on the treated; the results are tested against Stata's output
stored with statsmodels. Matching uses scipy's k-d tree and the Abadie-Imbens (2006)
variance, written here because no Python package offers it.
"""

from impactlib.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "EstimatorComparison": ".compare",
        "compare_estimators": ".compare",
        "aipw": ".doubly_robust",
        "ipw": ".inverse_probability",
        "ipw_weights": ".inverse_probability",
        "nearest_neighbor_match": ".matching",
        "PropensityScore": ".propensity",
        "propensity_score": ".propensity",
        "Overlap": ".support",
        "overlap": ".support",
        "trim_by_propensity": ".support",
        "weighted_balance": ".support",
    },
)
