"""The protocol of the family's pure tests (a statistic and its p-value, no effect).

A test result (:class:`~impactlib.experiment.JointBalanceTest`,
:class:`~impactlib.experiment.RandomizationInference` without the estimate it tests) has
``statistic``, ``p_value`` and ``method`` fields, ``to_dict()`` and ``summary()``; this mixin
gives it ``tidy()``, a one-row table of its scalar fields indexed by ``term``, and ``str()``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pandas as pd

#: The first columns of a test's tidy table, in this order.
TEST_COLUMNS = ("statistic", "p_value", "method")


class SignificanceTest:
    """Mixin of the pure tests: ``tidy()`` and ``str()`` from ``to_dict()`` and ``summary()``."""

    #: The row label of :meth:`tidy`.
    term: ClassVar[str] = "test"

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - every test defines it
        raise NotImplementedError

    def summary(self) -> str:  # pragma: no cover - every test defines it
        raise NotImplementedError

    def tidy(self) -> pd.DataFrame:
        """One row indexed by ``term``: ``statistic``, ``p_value``, ``method``, then the
        other scalar fields of :meth:`to_dict` (lists are left out)."""
        fields = self.to_dict()
        row = {name: fields[name] for name in TEST_COLUMNS}
        row.update(
            (name, value)
            for name, value in fields.items()
            if name not in row and not isinstance(value, list | dict)
        )
        frame = pd.DataFrame([row], index=[self.term])
        frame.index.name = "term"
        return frame

    def __str__(self) -> str:
        return self.summary()
