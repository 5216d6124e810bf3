"""Statistical disclosure control: what every table passes before it reaches ``data/open/``.

Four rules, each refusing with a :class:`DisclosureError` that names the table and the
column or cell found (never the sensitive value itself):

1. **Direct identifiers.** A column whose *name* denotes a person's name, e-mail, phone,
   social security number (NIR) or address is refused (names are compared without accents
   or case, token by token: ``Prénom``, ``first_name``, ``adresseMail`` all match). Every
   text cell is also scanned for *content* that looks like an e-mail address, a French
   phone number, a NIR (13 characters of the NIR's shape; when two more digits follow,
   they must be its key, Corsica ``2A``/``2B`` included, so that a 15-digit number that is
   no NIR passes) or a street address (a number and a street type); integer columns are
   scanned for NIRs, and so are float columns (an identifier column with a blank cell);
   column labels are scanned for all four (``impactlib.intake.hidden_identifiers``, which
   the import of a partner's file runs too). Pattern matching can refuse a harmless text
   (it says which column and row) and cannot see a name written in prose: it is a safety
   net, not a reason to put free text about people in a table meant for publication.
2. **Small counts.** Cells of declared count columns below ``threshold`` (11 by default,
   the usual French rule of *secret statistique* for counts of people) are suppressed by
   :func:`suppress_small_counts`, with secondary suppression so that the totals printed in
   the table cannot give them back; :func:`check_table` refuses such a cell instead, by
   default.
3. **k-anonymity.** On microdata, every combination of the declared quasi-identifiers
   (age band, sex, commune...) must be shared by at least ``k`` rows (5 by default).
4. **Outputs of confidential studies.** What a study run on a partner's confidential data
   lets out (its executed notebook, whose cells also stand for its figures, and its
   ``estimates.json``) is refused by :func:`check_study_outputs` when an output shows rows
   of a confidential table or its pseudonyms, a raw value of a direct identifier, or a
   count of people below the threshold; the error names the study, the cell (index and
   id) and the reason (``outputs``; tables are read back from pandas' HTML and text reprs
   by ``rendered``).

No well-kept Python library does all three for a pandas table: the reference tools for
cell suppression are tau-Argus and the R package sdcTable; ACRO (Python) checks research
outputs inside its own session workflow. k-anonymity is a ``groupby``; the rest is written
here and tested in ``tests/unit/test_disclosure.py``, rule 4 in
``tests/unit/test_output_checking.py``.
"""

from impactlib.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "DEFAULT_K": ".check",
        "DisclosureReport": ".check",
        "check_table": ".check",
        "smallest_class": ".check",
        "DisclosureError": ".errors",
        "find_hidden_identifiers": "impactlib.intake.hidden_identifiers",
        "OutputFinding": ".outputs",
        "check_study_outputs": ".outputs",
        "find_output_findings": ".outputs",
        "Finding": "impactlib.intake.identifiers",
        "IDENTIFIER_NAMES": "impactlib.intake.identifiers",
        "PATTERN_KINDS": "impactlib.intake.identifiers",
        "find_direct_identifiers": "impactlib.intake.identifiers",
        "find_identifier": "impactlib.intake.identifiers",
        "identifier_kind_of_name": "impactlib.intake.identifiers",
        "nir_key_is_valid": "impactlib.intake.identifiers",
        "DEFAULT_THRESHOLD": ".suppression",
        "SuppressedCell": ".suppression",
        "Suppression": ".suppression",
        "recoverable_cells": ".suppression",
        "suppress_small_counts": ".suppression",
    },
)
