"""Open data: the think tank's own tables in ``data/open/``, described as a Data Package.

:func:`publish` (the ``open-data`` stage) writes, under the *Licence Ouverte / Etalab 2.0*:

- ``comparaison.csv``: the comparison of impacts (``comparison/comparison.json``), one row
  per report or note; list or mapping fields are JSON strings;
- ``estimations.csv``: every estimate of every ``results/<id>/estimates.json``;
- ``extraction-<id>.csv``: the extraction sheets of ``data/extraction/``, the think tank's
  own coding of published trials;
- ``datapackage.json``: a Frictionless Data Package (v2) describing them: licence, field
  types and French descriptions, SHA-256 and size of each file.

Third-party data (``data/sources.yaml``) is **not** republished: its licences are the
original authors', not ours to change. The package lists each source under ``sources``
with its licence, citation and address, marked ``"republished": false``.

Every table passes :func:`impactlib.publish.disclosure.check_table` (direct identifiers by column
name and content) and the whole package is validated with ``frictionless`` before anything
is written: the folder is built beside ``data/open/`` and swapped in only when complete.
If a table fails, nothing is written and the error names the table. The output is
deterministic: rows sorted (comparison by id, estimates by study and name; sheets keep
their order), floats written as the shortest text that reads back to the same number,
JSON keys sorted, no timestamps.
"""

from impactlib.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "CATALOGUE_PAGE": ".catalogue",
        "catalogue_markdown": ".catalogue",
        "write_catalogue": ".catalogue",
        "LICENCE": ".package",
        "OPEN_DIR": ".package",
        "PACKAGE_FILE": ".package",
        "PROFILE": ".package",
        "external_sources": ".package",
        "package_descriptor": ".package",
        "publish": ".package",
        "read_package": ".package",
        "validate_package": ".package",
        "ESTIMATE_FIELDS": ".tables",
        "FIELD_DESCRIPTIONS": ".tables",
        "OpenDataError": ".tables",
        "OpenTable": ".tables",
        "TYPE_LABELS": ".tables",
        "collect_tables": ".tables",
        "comparison_table": ".tables",
        "describe_field": ".tables",
        "estimates_table": ".tables",
        "extraction_tables": ".tables",
        "render_csv": ".tables",
        "undocumented_fields": ".tables",
    },
)
