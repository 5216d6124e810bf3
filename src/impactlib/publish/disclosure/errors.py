"""The refusal of a table by disclosure control."""

from __future__ import annotations

from collections.abc import Sequence

from impactlib.core.validation import InputError
from impactlib.intake.identifiers import Finding


class DisclosureError(InputError):
    """A table that may not be published; the message names the table and what was found.

    ``findings`` lists one :class:`Finding` per problem.
    """

    def __init__(self, message: str, findings: Sequence[Finding] = ()):
        super().__init__(message)
        self.findings = list(findings)
