"""Partners' files in: read, checked against a schema, personal columns removed.

A field partner hands over a file (CSV or TSV, Excel, Stata, SPSS, Parquet), often with
personal data. This part turns it into a table a study may read, and nothing else:

- ``readers``: a file into a table, its encoding, separator and decimal mark declared or
  detected, mojibake and truncation refused;
- ``schema``: the file's Table Schema (Frictionless), types, allowed values, ranges, key,
  the unit of observation; validation that names the rows, the column and the rule;
- ``identifiers``: what a direct identifier looks like (names of columns, e-mails, French
  phone numbers, NIR with its key, street addresses);
- ``pseudonyms``: keyed pseudonyms (HMAC-SHA256) for identifiers that must link records.

It knows no path of the project: ``impactlib.project.sources`` says where files live.
"""

from impactlib.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "FileTable": ".readers",
        "Field": ".schema",
        "Finding": ".identifiers",
        "IDENTIFIER_NAMES": ".identifiers",
        "KINDS": ".readers",
        "PATTERN_KINDS": ".identifiers",
        "TextDialect": ".text_files",
        "detect_dialect": ".readers",
        "find_direct_identifiers": ".identifiers",
        "find_identifier": ".identifiers",
        "identifier_kind_of_name": ".identifiers",
        "kind_of": ".readers",
        "nir_key_is_valid": ".identifiers",
        "IntakeError": ".errors",
        "PseudonymKeyError": ".errors",
        "ReadError": ".errors",
        "SchemaError": ".errors",
        "KEY_ENV": ".pseudonyms",
        "load_key": ".pseudonyms",
        "pseudonymise": ".pseudonyms",
        "read_file": ".readers",
        "TableSchema": ".schema",
        "data_dictionary": ".dictionary",
        "find_direct_identifiers": ".identifiers",
        "find_identifier": ".identifiers",
        "identifier_kind_of_name": ".identifiers",
        "infer_schema": ".inference",
        "nir_key_is_valid": ".identifiers",
        "read_schema": ".schema",
        "schema_from_descriptor": ".schema",
        "validate": ".validation",
        "write_schema": ".inference",
    },
)
