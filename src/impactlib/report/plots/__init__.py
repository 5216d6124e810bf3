"""Figures (and the French tables and glued numbers that go with them) of estimators'
results, drawn the book's way: the only place that knows how a result looks on a page.
Estimator modules compute; these functions show what they return.

Each design family has its module here (``estimates``: any labelled estimates; the family
modules: balance and randomisation, propensity scores, event studies, synthetic controls,
regression-discontinuity plots, forest, funnel and bubble plots of meta-analyses).
"""

from impactlib.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        # Any labelled estimates.
        "estimates_plot": ".estimates",
        # The comparison of impacts.
        "effect_cost_plot": ".comparison",
        # experiment
        "balance_plot": ".experiment",
        "cluster_plot": ".experiment",
        "power_plot": ".experiment",
        "randomization_plot": ".experiment",
        "simulation_plot": ".experiment",
        # weighting
        "weighted_balance_plot": ".weighting",
        "benchmark_table": ".weighting",
        "overlap_table": ".weighting",
        "propensity_plot": ".weighting",
        # did
        "cohort_trends_plot": ".did",
        "dynamic_effects_plot": ".did",
        "event_study_plot": ".did",
        # synth
        "placebo_gaps_plot": ".synth",
        "rmspe_ratios_plot": ".synth",
        "synthetic_control_plot": ".synth",
        "synthetic_did_plot": ".synth",
        "synthetic_paths_plot": ".synth",
        # rd
        "density_plot": ".rd",
        "glue_balance": ".rd",
        "glue_density": ".rd",
        "glue_rd": ".rd",
        "rd_plot": ".rd",
        "rd_table": ".rd",
        # meta
        "bubble_plot": ".meta",
        "forest_plot": ".meta",
        "funnel_plot": ".meta",
    },
)
