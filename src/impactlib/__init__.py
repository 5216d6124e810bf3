"""impactlib: the shared statistics of the Impact Tank research repository.

One result record (:class:`~impactlib.core.Estimate`) for every design, a registry
of checksummed data sources, and the commands that the DVC pipeline calls.
"""

from impactlib.core.estimate import Estimate

__all__ = ["Estimate"]
__version__ = "0.1.0"
