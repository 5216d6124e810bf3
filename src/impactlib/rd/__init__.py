"""Sharp regression discontinuity: local-polynomial estimate, honest interval, bandwidths,
density test, re-estimations at other bandwidths and fake cutoffs, and the numbers behind
the RD figures (drawn by :mod:`impactlib.report.plots.rd`).

Numerics are delegated to the packages of Cattaneo and co-authors: ``rdrobust`` (estimate
and bandwidth selection, Calonico, Cattaneo & Titiunik 2014) and ``rddensity`` (the
manipulation test of Cattaneo, Jansson & Ma 2020), and to ``rdhonest`` (the bias-aware
interval of Armstrong & Kolesar 2020). Those packages print notes (for example "Mass
points detected in the running variable.") and raise warnings; this package captures both
on purpose, so that it prints nothing, and returns what they said in the ``messages``
field of its results. Binned means and local fits for the plot are computed with numpy,
because ``rdrobust.rdplot`` draws with plotnine and prints.

Units whose running variable equals the cutoff are treated (``running >= cutoff``), as in
``rdrobust``.
"""

from impactlib.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "Bandwidths": ".bandwidths",
        "bandwidth": ".bandwidths",
        "bandwidth_sensitivity": ".checks",
        "CovariateBalance": ".checks",
        "covariate_balance": ".checks",
        "cutoff_name": ".checks",
        "placebo_cutoffs": ".checks",
        "WindowMeans": ".checks",
        "window_means": ".checks",
        "DensityTest": ".density",
        "density_test": ".density",
        "RDPlotData": ".figure_data",
        "RDSide": ".figure_data",
        "RunningHistogram": ".figure_data",
        "rd_plot_data": ".figure_data",
        "running_histogram": ".figure_data",
        "HonestRDResult": ".honest",
        "honest_rd": ".honest",
        "RDResult": ".local",
        "regression_discontinuity": ".local",
    },
)
