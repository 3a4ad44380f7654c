"""One error hierarchy. Every error says which file, row or field was wrong and what was expected."""

from __future__ import annotations

from pathlib import Path


class SharemapError(Exception):
    """Base of every error sharemap raises on purpose; the CLI prints it and exits non-zero."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        field: str | None = None,
        expected: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.field = field
        self.expected = expected
        super().__init__(self.describe())

    def describe(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field {self.field!r}")
        text = f"{': '.join(where)}: {self.message}" if where else self.message
        if self.expected:
            text += f" (expected {self.expected})"
        return text


class InputError(SharemapError):
    """A file the user gave (or a shipped file) cannot be read as what it should be."""


class DataError(SharemapError):
    """Data was read but is inconsistent (unknown ids, missing sources, bad vocabulary)."""


class NotFoundError(SharemapError):
    """A requested agency, county, state or record does not exist."""

    exit_code = 3


class StoreError(SharemapError):
    """The database is missing, stale or could not be written."""
