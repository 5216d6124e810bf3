"""Lazy exports of a package: a name is imported from its module on first use.

A package's ``__init__`` lists its public names and the module of each, and pays for none
of them at import: ``from impactlib.experiment import difference_in_means`` loads the
module of the difference in means, not the rate models, the simulators or statsmodels'
count models (PEP 562 module ``__getattr__``). No module of a package is named like one of
its exports, so that a loaded submodule never shadows an exported function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """Return ``__getattr__``, ``__dir__`` and ``__all__`` for ``package``.

    ``exports`` maps each public name to its module, relative to the package (``".means"``).
    """
    names = sorted(exports)

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(exports[name], package), name)
        setattr(import_module(package), name, value)  # the next access skips this hook
        return value

    def __dir__() -> list[str]:
        return names

    return __getattr__, __dir__, names
