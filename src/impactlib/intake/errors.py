"""The errors of intake: each names the file, and the sheet, column, rows and rule at fault."""

from __future__ import annotations

from collections.abc import Sequence


class IntakeError(ValueError):
    """A partner's file cannot become a table: unreadable, or not what its schema says."""


class ReadError(IntakeError):
    """The file cannot be read as declared: missing, truncated, wrong sheet, wrong encoding."""


class SchemaError(IntakeError):
    """The table breaks a rule of its schema, or the schema itself is malformed.

    ``column`` and ``rule`` name what failed (``rule`` is a Table Schema constraint such as
    ``"required"``, ``"enum"``, ``"minimum"``, ``"unique"``, ``"primaryKey"``, or one of
    ``"type"``, ``"format"``, ``"missing column"``, ``"undeclared column"``,
    ``"undeclared identifier"``); ``rows`` holds the first offending row numbers as the
    partner sees them in the file (1 = first data row).
    """

    def __init__(
        self,
        message: str,
        *,
        column: str | None = None,
        rule: str | None = None,
        rows: Sequence[int] = (),
    ) -> None:
        super().__init__(message)
        self.column = column
        self.rule = rule
        self.rows = tuple(rows)


class PseudonymKeyError(IntakeError):
    """The secret key of the pseudonyms is missing or too short."""
