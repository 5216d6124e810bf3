"""What the records of the rd family share: the fields of a sharp-RD :class:`Estimate`
(both result classes), and a plain dictionary with a one-row tidy table (bandwidths,
density test)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, ClassVar

import pandas as pd


class SharpRDFields:
    """Mixin of the RD result classes: the :class:`Estimate` fields they share.

    The class has ``outcome``, ``running``, ``cutoff``, ``n_left``, ``n_right``,
    ``n_dropped`` and ``alpha``; units at or above the cutoff are the treated ones.
    """

    def _estimate_fields(self) -> dict[str, Any]:
        return {
            "n": self.n_left + self.n_right,
            "outcome": self.outcome,
            "treatment": f"{self.running} >= {self.cutoff:g}",
            "design": "rd",
            "estimand": "ATE at the cutoff",
            "n_treated": self.n_right,
            "n_control": self.n_left,
            "n_dropped": self.n_dropped,
            "alpha": self.alpha,
        }


class OneRowRecord:
    """Mixin of a frozen dataclass: ``to_dict()`` and a one-row ``tidy()``.

    ``tidy()`` is indexed by ``term`` (the class's ``term``), like the tables of the result
    protocol, with a column per field; ``messages`` (what the package printed) is left out.
    """

    term: ClassVar[str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def tidy(self) -> pd.DataFrame:
        row = {name: value for name, value in self.to_dict().items() if name != "messages"}
        return pd.DataFrame([row], index=pd.Index([self.term], name="term"))
