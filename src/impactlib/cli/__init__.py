"""The ``impact`` command: what the DVC stages call (import, run, synthesis, book, open
data, pdf) and the study scaffold."""

from impactlib.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "main": ".commands",
    },
)
