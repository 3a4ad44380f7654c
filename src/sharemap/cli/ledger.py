"""Ledger commands: build, agreements, agency, stats, update, export, snapshot, moa."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach the ledger commands to the top-level app."""
