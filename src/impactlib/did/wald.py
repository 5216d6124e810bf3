"""Joint Wald tests: the pre-trend tests of the event study and of Callaway & Sant'Anna."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class WaldTest:
    """A joint test that several coefficients are zero.

    ``statistic`` is F (Wald / ``df``, compared with F(``df``, ``df_denominator``)) or the
    chi-square Wald statistic (``df_denominator`` is then None).

    Attributes
    ----------
    statistic, p_value : float
        The test statistic and its p-value.
    df : int
        Number of restrictions (numerator degrees of freedom).
    df_denominator : float or None
        Denominator degrees of freedom of an F test; None for a chi-square test.
    distribution : {"F", "chi2"}
        Reference distribution of ``statistic``.
    method : str
        How the test was computed (covariance, software).
    hypothesis : str
        The null hypothesis, in words.
    """

    statistic: float
    df: int
    df_denominator: float | None
    p_value: float
    distribution: str
    method: str
    hypothesis: str = ""

    def summary(self) -> str:
        """One line for people: hypothesis, statistic with its degrees of freedom, p-value."""
        dof = f"{self.df}" + (
            f", {self.df_denominator:g}" if self.df_denominator is not None else ""
        )
        return (
            f"{self.hypothesis}: {self.distribution}({dof}) = {self.statistic:.4f}, "
            f"p-value {self.p_value:.4g}"
        )

    def tidy(self, term: str = "pretrend") -> pd.DataFrame:
        """The test as a one-row table indexed by ``term``, its fields as columns."""
        row = {
            "statistic": self.statistic,
            "df": self.df,
            "df_denominator": np.nan if self.df_denominator is None else self.df_denominator,
            "p_value": self.p_value,
            "distribution": self.distribution,
            "hypothesis": self.hypothesis,
            "method": self.method,
        }
        return pd.DataFrame([row], index=pd.Index([term], name="term"))


def f_test(coef: np.ndarray, vcov: np.ndarray, *, df_denominator: float, **labels) -> WaldTest:
    """Wald test that ``coef`` is zero, as F = W / q against F(q, ``df_denominator``).

    ``labels`` are ``method`` and ``hypothesis``. This is Stata's ``testparm`` after a
    clustered regression (``df_denominator`` = G - 1).
    """
    wald = float(coef @ np.linalg.solve(vcov, coef))
    q = len(coef)
    return WaldTest(
        statistic=wald / q,
        df=q,
        df_denominator=df_denominator,
        p_value=float(stats.f.sf(wald / q, q, df_denominator)),
        distribution="F",
        **labels,
    )


def chi2_test(statistic: float, df: int, **labels) -> WaldTest:
    """A chi-square Wald test of ``df`` restrictions from its statistic."""
    return WaldTest(
        statistic=float(statistic),
        df=int(df),
        df_denominator=None,
        p_value=float(stats.chi2.sf(float(statistic), df)),
        distribution="chi2",
        **labels,
    )
