"""The single result record shared by every design, and its JSON round trip."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

from impactlib.core.designs import DESIGNS

if TYPE_CHECKING:
    import pandas as pd

_FLOAT_FIELDS = ("value", "std_error", "ci_low", "ci_high", "p_value", "alpha")
_INT_FIELDS = ("n", "n_treated", "n_control", "n_dropped", "n_clusters")


@dataclass(frozen=True)
class Estimate:
    """One estimated effect with its uncertainty and provenance.

    Every estimator of :mod:`impactlib` returns this record (or an object that yields
    them), so that reports, the comparison of impacts and the tests read one shape.

    Parameters
    ----------
    value : float
        Point estimate, in the units of ``outcome``.
    std_error : float
        Standard error of ``value``.
    ci_low, ci_high : float
        Bounds of the ``1 - alpha`` confidence interval.
    p_value : float or None
        Two-sided p-value for the null of no effect, when the method gives one.
    n : int
        Observations used (after rows with missing values were removed).
    method : str
        How the estimate was computed, including the variance estimator.
    outcome : str
        Name of the outcome column.
    treatment, design, estimand : str
        Treatment column, study design (a code of :data:`impactlib.core.designs.DESIGNS`,
        such as ``"rct"`` or ``"did"``; empty when none applies) and estimand (``"ATE"``...).
    n_treated, n_control, n_clusters : int or None
        Group sizes, when they apply.
    n_dropped : int
        Rows removed because of missing values: never silent.
    alpha : float
        Level of the interval.
    extra : dict
        Method-specific details (degrees of freedom, covariates...), JSON-serialisable.

    Examples
    --------
    >>> est = Estimate(value=2.0, std_error=0.5, ci_low=1.02, ci_high=2.98, p_value=0.0001,
    ...                n=100, method="difference in means", outcome="y")
    >>> Estimate.from_json(est.to_json()) == est
    True
    """

    value: float
    std_error: float
    ci_low: float
    ci_high: float
    p_value: float | None
    n: int
    method: str
    outcome: str
    treatment: str = ""
    design: str = ""
    estimand: str = ""
    n_treated: int | None = None
    n_control: int | None = None
    n_clusters: int | None = None
    n_dropped: int = 0
    alpha: float = 0.05
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Coerce numpy scalars to Python numbers so that JSON and equality behave.
        for name in _FLOAT_FIELDS:
            raw = getattr(self, name)
            if raw is None:
                if name == "p_value":
                    continue
                raise ValueError(f"Estimate.{name} is required, got None")
            number = float(raw)
            if not math.isfinite(number):
                raise ValueError(f"Estimate.{name} must be finite, got {raw!r}")
            object.__setattr__(self, name, number)
        for name in _INT_FIELDS:
            raw = getattr(self, name)
            if raw is None:
                continue
            if int(raw) != raw or raw < 0:
                raise ValueError(f"Estimate.{name} must be a non-negative integer, got {raw!r}")
            object.__setattr__(self, name, int(raw))
        if self.std_error < 0:
            raise ValueError(f"Estimate.std_error must be >= 0, got {self.std_error}")
        if self.ci_low > self.ci_high:
            raise ValueError(f"Estimate.ci_low {self.ci_low} is above ci_high {self.ci_high}")
        if self.p_value is not None and not 0.0 <= self.p_value <= 1.0:
            raise ValueError(f"Estimate.p_value must be in [0, 1], got {self.p_value}")
        if not 0.0 < self.alpha < 1.0:
            raise ValueError(f"Estimate.alpha must be in (0, 1), got {self.alpha}")
        if self.design and self.design not in DESIGNS:
            raise ValueError(
                f"Estimate.design {self.design!r} is not a registered design ({', '.join(DESIGNS)})"
            )

    @property
    def estimate(self) -> Estimate:
        """The estimate itself: an :class:`Estimate` follows the result protocol."""
        return self

    def tidy(self) -> pd.DataFrame:
        """A one-row table with the field names as columns (see :mod:`impactlib.core.result`)."""
        return tidy_frame({"estimate": self})

    @property
    def level(self) -> float:
        """Confidence level of the interval, e.g. 0.95."""
        return 1.0 - self.alpha

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary of every field, ready for JSON."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Estimate:
        """Rebuild an estimate from :meth:`to_dict`; unknown or missing keys are errors."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown Estimate field(s): {', '.join(unknown)}")
        return cls(**data)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, allow_nan=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Estimate:
        return cls.from_dict(json.loads(text))

    def summary(self) -> str:
        """A short plain-text summary for people."""
        pct = f"{self.level:.0%}"
        lines = [
            f"{self.method}",
            f"  outcome: {self.outcome}"
            + (f"   treatment: {self.treatment}" if self.treatment else ""),
            f"  estimate: {self.value:.4f}   std. error: {self.std_error:.4f}",
            f"  {pct} CI: [{self.ci_low:.4f}, {self.ci_high:.4f}]"
            + (f"   p-value: {self.p_value:.4g}" if self.p_value is not None else ""),
        ]
        counts = f"  n = {self.n}"
        if self.n_treated is not None and self.n_control is not None:
            counts += f" ({self.n_treated} treated, {self.n_control} control)"
        if self.n_clusters is not None:
            counts += f", {self.n_clusters} clusters"
        if self.n_dropped:
            counts += f"; {self.n_dropped} row(s) dropped for missing values"
        lines.append(counts)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


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
    import pandas as pd  # imported here: an Estimate is cheap to create without pandas

    rows = [{c: getattr(est, c) for c in TIDY_COLUMNS} for est in estimates.values()]
    frame = pd.DataFrame(rows, columns=list(TIDY_COLUMNS), index=list(estimates))
    frame.index.name = "term"
    return frame
