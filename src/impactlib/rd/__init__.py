"""Sharp regression discontinuity: local-polynomial estimate, bandwidths, density test, plot.

Numerics are delegated to the packages of Cattaneo and co-authors: ``rdrobust`` (estimate
and bandwidth selection, Calonico, Cattaneo & Titiunik 2014) and ``rddensity`` (the
manipulation test of Cattaneo, Jansson & Ma 2020). Those packages print notes (for example
"Mass points detected in the running variable.") and raise warnings; this module captures
both on purpose, so that it prints nothing, and returns what they said in
``extra["messages"]`` (or the ``messages`` field). The binned plot is drawn by hand with
numpy and matplotlib, because ``rdrobust.rdplot`` draws with plotnine and prints.

Units whose running variable equals the cutoff are treated (``running >= cutoff``), as in
``rdrobust``.
"""

from impactlib.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "Bandwidths": ".bandwidths",
        "bandwidth": ".bandwidths",
        "DensityTest": ".density",
        "density_test": ".density",
        "regression_discontinuity": ".local",
        "rd_plot": ".plot",
    },
)
