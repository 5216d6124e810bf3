"""What the records of the rd family that are not estimates share: a plain dictionary and a
one-row tidy table (bandwidths, density test)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, ClassVar

import pandas as pd


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
