"""impactlib: the shared statistics of the Impact Tank research repository.

One result record (:class:`~impactlib.core.Estimate`) for every design, a registry
of checksummed data sources, and the commands that the DVC pipeline calls. The map of
its parts is ARCHITECTURE.md; importing the package loads none of them.
"""

from impactlib.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {"Estimate": "impactlib.core.estimate"})
__version__ = "0.1.0"
