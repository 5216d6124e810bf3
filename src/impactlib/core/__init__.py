"""The base every other part stands on: the :class:`Estimate` record, intervals and test
statistics, input validation, multiplicity corrections.

It imports no other part of impactlib."""

from impactlib.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "DESIGNS": ".designs",
        "Design": ".designs",
        "TEMPLATE_DESIGNS": ".designs",
        "get_design": ".designs",
        "Estimate": ".estimate",
        "Result": ".result",
        "tidy_frame": ".estimate",
        "critical_value": ".inference",
        "two_sided_p_value": ".inference",
        "wald_estimate": ".inference",
        "wald_interval": ".inference",
        "CORRECTIONS": ".multiplicity",
        "adjust_estimates": ".multiplicity",
        "adjust_pvalues": ".multiplicity",
        "InputError": ".validation",
        "as_list": ".validation",
        "drop_missing": ".validation",
        "is_real": ".validation",
        "plain": ".validation",
        "require_binary": ".validation",
        "require_columns": ".validation",
        "require_dataframe": ".validation",
        "require_finite": ".validation",
        "require_numeric": ".validation",
        "require_probability": ".validation",
        "require_unique_unit_period": ".validation",
    },
)
