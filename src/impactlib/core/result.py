"""The protocol every estimator's result follows, and the tidy table of estimates.

An estimator returns an :class:`~impactlib.core.estimate.Estimate` or a result object with
three members, whatever the design (as pyfixest's and linearmodels' results do):

- ``.estimate``: the headline :class:`Estimate` (what a report glues and grades);
- ``.tidy()``: a :class:`pandas.DataFrame`, one row per estimate the result holds (the
  headline first), indexed by ``term``, with :class:`Estimate`'s field names as columns;
- ``.summary()``: a short plain-text account for people.

:class:`Result` gives ``tidy()`` and ``summary()`` from :meth:`Result.estimates`, so a result
class writes only what is its own. :class:`Estimate` follows the protocol too (its
``estimate`` is itself), so code can treat any estimator's output the same way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import fields

import pandas as pd

from impactlib.core.estimate import Estimate

#: Columns of a tidy table: every field of :class:`Estimate` but ``extra``.
TIDY_COLUMNS = tuple(f.name for f in fields(Estimate) if f.name != "extra")


def tidy_frame(estimates: Mapping[str, Estimate]) -> pd.DataFrame:
    """One row per estimate, indexed by ``term`` (the mapping's keys), in the given order.

    Examples
    --------
    >>> est = Estimate(value=2.0, std_error=0.5, ci_low=1.02, ci_high=2.98, p_value=0.0001,
    ...                n=100, method="difference in means", outcome="y")
    >>> tidy_frame({"effect": est}).loc["effect", "value"]
    np.float64(2.0)
    """
    rows = [{c: getattr(est, c) for c in TIDY_COLUMNS} for est in estimates.values()]
    frame = pd.DataFrame(rows, columns=list(TIDY_COLUMNS), index=list(estimates))
    frame.index.name = "term"
    return frame


class Result(ABC):
    """Base of the result objects of the estimators.

    A subclass defines :attr:`estimate` (the headline) and, when it holds more than one
    estimate (effects by period, by cohort, by study...), :meth:`estimates`.
    """

    @property
    @abstractmethod
    def estimate(self) -> Estimate:
        """The headline estimate."""

    def estimates(self) -> dict[str, Estimate]:
        """Every estimate the result holds, by term, the headline first."""
        return {"estimate": self.estimate}

    def tidy(self) -> pd.DataFrame:
        """The estimates as a table with :class:`Estimate`'s field names (see module)."""
        return tidy_frame(self.estimates())

    def summary(self) -> str:
        """The headline estimate, in plain text."""
        return self.estimate.summary()
