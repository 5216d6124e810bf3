"""The look of the book: figure theme, French number formatting, glue helpers, tables
(of estimates, of a simulation's truth beside its estimates).

The think tank publishes in French: numbers use a comma as decimal mark and a narrow
no-break space between thousands (``1 794,34``). Every number that reaches the prose goes
through :func:`glue` from the notebook that computed it, never typed by hand.
"""

from impactlib.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "PALETTE": ".figures",
        "french_axis": ".figures",
        "save_figure": ".figures",
        "set_theme": ".figures",
        "THIN_SPACE": ".formats",
        "fmt_interval": ".formats",
        "fmt_number": ".formats",
        "fmt_percent": ".formats",
        "fmt_pvalue": ".formats",
        "fmt_pvalue_phrase": ".formats",
        "fmt_year": ".formats",
        "glue": ".gluing",
        "glue_all": ".gluing",
        "glue_balance": ".gluing",
        "glue_estimate": ".gluing",
        "glue_ratio": ".gluing",
        "coverage_sentence": ".simulated",
        "coverage_summary": ".simulated",
        "coverage_table": ".simulated",
        "covers": ".simulated",
        "glue_simulation": ".simulated",
        "simulation_parameters": ".simulated",
        "simulation_table": ".simulated",
        "truth_table": ".simulated",
        "Cell": ".sortable",
        "sortable_table": ".sortable",
        "admonition": ".tables",
        "estimates_table": ".tables",
        "french_balance": ".tables",
        "french_cell": ".tables",
        "french_table": ".tables",
    },
)
