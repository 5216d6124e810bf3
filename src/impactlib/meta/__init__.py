"""Meta-analysis for the literature-review notes (R's metafor is the reference).

- :mod:`.effects`: effect sizes and sampling variances (:func:`effect_sizes`);
- :mod:`.pooling`: fixed/random-effects pooling (:func:`pool`);
- :mod:`.regression`: :func:`meta_regression` on study-level moderators;
- :mod:`.sensitivity`: subgroups (:func:`pool_by`), :func:`leave_one_out`, :func:`cumulative`;
- :mod:`.bias`: :func:`egger_test`, :func:`rank_test`, :func:`trim_and_fill`;
- :mod:`.plots`: :func:`forest_plot` and the contour-enhanced :func:`funnel_plot`.

Examples
--------
>>> import pandas as pd
>>> from impactlib.meta import effect_sizes, pool
>>> trials = pd.DataFrame({"ai": [4, 6, 3], "n1i": [123, 306, 231],
...                        "ci": [11, 29, 11], "n2i": [139, 303, 220]})
>>> es = effect_sizes(trials, "RR")
>>> res = pool(es["yi"], es["vi"], method="REML", measure="RR")
>>> round(res.transformed().value, 3)
0.264
"""

from impactlib.meta.bias import (
    EggerResult,
    RankTestResult,
    TrimAndFillResult,
    egger_test,
    rank_test,
    trim_and_fill,
)
from impactlib.meta.effects import MEASURES, effect_sizes
from impactlib.meta.plots import forest_plot, funnel_plot
from impactlib.meta.pooling import (
    METHODS,
    MetaResult,
    TransformedResult,
    pool,
)
from impactlib.meta.regression import MetaRegressionResult, meta_regression
from impactlib.meta.sensitivity import SubgroupResult, cumulative, leave_one_out, pool_by

__all__ = [
    "MEASURES",
    "METHODS",
    "EggerResult",
    "MetaRegressionResult",
    "MetaResult",
    "RankTestResult",
    "SubgroupResult",
    "TransformedResult",
    "TrimAndFillResult",
    "cumulative",
    "effect_sizes",
    "egger_test",
    "forest_plot",
    "funnel_plot",
    "leave_one_out",
    "meta_regression",
    "pool",
    "pool_by",
    "rank_test",
    "trim_and_fill",
]
