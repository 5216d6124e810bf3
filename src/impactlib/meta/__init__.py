"""Meta-analysis for the literature-review notes (R's metafor is the reference).

- :mod:`.effects`: effect sizes and sampling variances (:func:`effect_sizes`);
- :mod:`.pooling`: fixed/random-effects pooling (:func:`pool`), whose result
  (:class:`MetaResult`) the analyses below take, as metafor's functions take ``rma``'s;
- :mod:`.regression`: :func:`meta_regression` on study-level moderators;
- :mod:`.sensitivity`: subgroups (:func:`pool_by`), :func:`leave_one_out`, :func:`cumulative`;
- :mod:`.bias`: :func:`egger_test`, :func:`rank_test`, :func:`trim_and_fill`;
- :mod:`.sheets`: extraction sheets, read, checked and verified against their source.

Their forest, funnel and bubble plots are drawn by :mod:`impactlib.report.plots`.

Examples
--------
>>> import pandas as pd
>>> from impactlib.meta import effect_sizes, pool
>>> trials = pd.DataFrame({"ai": [4, 6, 3], "n1i": [123, 306, 231],
...                        "ci": [11, 29, 11], "n2i": [139, 303, 220]})
>>> es = effect_sizes(trials, "RR")
>>> res = pool(es["yi"], es["vi"], tau2_estimator="REML", measure="RR")
>>> round(res.transformed().value, 3), res.estimate.design
(0.264, 'rct')
"""

from impactlib.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "EggerResult": ".bias",
        "RankTestResult": ".bias",
        "TrimAndFillResult": ".bias",
        "egger_test": ".bias",
        "rank_test": ".bias",
        "trim_and_fill": ".bias",
        "MEASURES": ".effects",
        "RATIO_MEASURES": ".effects",
        "effect_sizes": ".effects",
        "MetaResult": ".pooling",
        "SETTINGS": ".pooling",
        "TransformedResult": ".pooling",
        "pool": ".pooling",
        "MetaRegressionResult": ".regression",
        "meta_regression": ".regression",
        "SensitivityResult": ".sensitivity",
        "SubgroupResult": ".sensitivity",
        "cumulative": ".sensitivity",
        "leave_one_out": ".sensitivity",
        "pool_by": ".sensitivity",
        "METAFOR_THRESHOLD": ".tau2",
        "TAU2_ESTIMATORS": ".tau2",
    },
)
