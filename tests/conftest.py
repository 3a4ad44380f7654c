"""Shared fixtures: real ICE list files, and a ledger database built once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

FIXTURES = Path(__file__).parent / "fixtures"
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"


@pytest.fixture(scope="session")
def lists_dir() -> Path:
    return FIXTURES / "ice-287g"


@pytest.fixture(scope="session")
def ledger_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ledger built from the package's shipped snapshots (the same build `make run` does)."""
    from sharemap.ledger import store

    db = tmp_path_factory.mktemp("ledger") / "sharemap.duckdb"
    store.build_database(store.load_shipped(), db)
    return db


@pytest.fixture()
def ledger(ledger_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(ledger_db), read_only=True)
    yield con
    con.close()
