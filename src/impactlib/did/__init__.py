"""Difference-in-differences: the 2x2 design, two-way fixed effects, event studies and
staggered adoption (Callaway & Sant'Anna 2021).

Numerics are delegated: statsmodels fits the 2x2 regression and its cluster-robust
covariance, pyfixest absorbs the fixed effects of the two-way and event-study regressions
(CRV1 errors), moderndid computes the group-time effects of Callaway & Sant'Anna, their
aggregations and influence-function standard errors. This module adds the checks (one row
per unit and period, cohorts constant within units, never-treated units present...), the
accounting of dropped rows and the :class:`~impactlib.core.Estimate` records. The result
objects follow the protocol of :mod:`impactlib.core.result`; their figures are drawn by
:mod:`impactlib.report.plots.did`.

Conventions shared by the functions taking a ``cohort`` column: the cohort of a unit is the
period in which it is first treated, in the units of ``time``; **never-treated units have
cohort 0** (the convention of the R package ``did`` and of moderndid). A missing cohort is
refused rather than guessed, and a unit whose cohort lies after the last observed period is
not treated within the panel, so it counts as never treated.
"""

from impactlib.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "cohort_table": ".adoption",
        "treatment_status": ".adoption",
        "twfe_weights": ".adoption",
        "EventStudyResult": ".dynamic",
        "event_study": ".dynamic",
        "AGGREGATIONS": ".panel",
        "CONTROL_GROUPS": ".panel",
        "ESTIMATORS": ".panel",
        "VCOVS": ".panel",
        "CallawaySantAnnaResult": ".staggered",
        "callaway_santanna": ".staggered",
        "did_2x2": ".twoway",
        "twfe": ".twoway",
        "WaldTest": ".wald",
    },
)
