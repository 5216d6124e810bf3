"""Figures of estimators' results, drawn the book's way: the only place that knows how a
plot looks. Estimator modules compute; these functions draw what they return.

Each design family has its module here (``estimates``: any labelled estimates; the family
modules: event studies, synthetic controls, regression-discontinuity plots, forest and
funnel plots of meta-analyses).
"""

from impactlib.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        # Any labelled estimates.
        "estimates_plot": ".estimates",
        # experiment
        # weighting
        # did
        # synth
        # rd
        # meta
        "bubble_plot": ".meta",
        "forest_plot": ".meta",
        "funnel_plot": ".meta",
    },
)
