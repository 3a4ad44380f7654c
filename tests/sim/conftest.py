"""Simulator fixtures: the 287(g) models per county from the session's ledger database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sharemap.sim.agreements import CountyAgreements, ledger_agreements

LIST_DAY = dt.date(2025, 12, 31)  # the tests pin ICE's list so new snapshots do not move them


@pytest.fixture(scope="session")
def county_agreements(ledger_db: Path) -> CountyAgreements:
    """ICE's list in force on 2025-12-31, mapped to counties, read from the ledger built for the session."""
    return ledger_agreements(ledger_db, LIST_DAY)
