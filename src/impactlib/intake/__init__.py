"""Partners' files in: read, checked against a schema, personal columns removed.

A field partner hands over a file (CSV or TSV, Excel, Stata, SPSS, Parquet), often with
personal data. This part turns it into a table a study may read, and nothing else:

- ``readers``: a file into a table, its encoding, separator and decimal mark declared or
  detected, mojibake and truncation refused;
- ``schema``: the file's Table Schema (Frictionless), types, allowed values, ranges, key,
  the unit of observation; ``casting`` and ``validation`` apply it and name the rows, the
  column and the rule;
- ``identifiers``: what a direct identifier looks like (names of columns, e-mails, French
  phone numbers, NIR with its key, street addresses); ``hidden_identifiers``: those the
  content scan does not see (a NIR in a float column, an identifier as a column label);
- ``pseudonyms``: keyed pseudonyms (HMAC-SHA256) for identifiers that must link records.

It knows no path of the project: ``impactlib.project.sources`` says where files live.
"""

from impactlib.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "data_dictionary": ".dictionary",
        "detect_dialect": ".readers",
        "Field": ".schema",
        "FileTable": ".readers",
        "find_direct_identifiers": ".identifiers",
        "find_hidden_identifiers": ".hidden_identifiers",
        "find_identifier": ".identifiers",
        "Finding": ".identifiers",
        "identifier_kind_of_name": ".identifiers",
        "IDENTIFIER_NAMES": ".identifiers",
        "infer_schema": ".inference",
        "IntakeError": ".errors",
        "KEY_ENV": ".pseudonyms",
        "kind_of": ".readers",
        "KINDS": ".readers",
        "load_key": ".pseudonyms",
        "nir_key_is_valid": ".identifiers",
        "PATTERN_KINDS": ".identifiers",
        "pseudonymise": ".pseudonyms",
        "PseudonymKeyError": ".errors",
        "read_file": ".readers",
        "read_schema": ".schema",
        "ReadError": ".errors",
        "schema_from_descriptor": ".schema",
        "SchemaError": ".errors",
        "TableSchema": ".schema",
        "TextDialect": ".text_files",
        "validate": ".validation",
        "write_schema": ".inference",
    },
)
