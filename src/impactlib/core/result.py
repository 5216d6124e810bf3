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

import pandas as pd

from impactlib.core.estimate import Estimate, tidy_frame


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
