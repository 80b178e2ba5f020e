"""Errors that caremap shows to its users.

A `CaremapError` is the user's to fix: the CLI prints its message without a traceback.
Anything else is a bug in caremap: the CLI prints the traceback and asks for a report.
"""

from __future__ import annotations


class CaremapError(Exception):
    """An error in the user's input or request, with a message that says how to fix it."""


class InputError(CaremapError):
    """Bad input data: names the file, and the row and field where known."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file = file
        self.row = row
        self.field = field
        where = []
        if file:
            where.append(str(file))
        if row is not None:
            where.append(f"row {row}")
        if field:
            where.append(f"field {field!r}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)
        self.detail = message


class WorkspaceError(CaremapError):
    """The workspace is missing something a step needs (a table, a column)."""


class ConfigError(CaremapError):
    """A configuration or specification is invalid; lists every problem found."""
