"""What changed: ends with their dates, renames as renames (never an end plus an addition), feeds."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import duckdb
import pytest

from sharemap.errors import InputError
from sharemap.ledger.changes import ATOM, changes, to_atom, to_csv

D = dt.date


def test_maryland_ends_in_2026_with_their_dates(ledger: duckdb.DuckDBPyConnection) -> None:
    md = changes(ledger, D(2026, 1, 1), D(2026, 12, 3), "MD")
    ended = sorted((c.date, c.agency_name, c.model) for c in md if c.kind == "ended")
    assert len(ended) == 9  # the 8 in force at the end of 2025 and Wicomico's, signed in January
    assert ended[0] == (D(2026, 2, 17), "Frederick County Sheriff's Office", "JEM")
    assert ended[-1][0] == D(2026, 5, 18)


def test_renames_are_renames_not_ends(ledger: duckdb.DuckDBPyConnection) -> None:
    found = changes(ledger, D(2025, 12, 1), D(2025, 12, 31), "TX")
    dimmit = [c for c in found if "Dimmit" in c.agency_name]
    # requested, signed and added under the typo "Couny", then renamed: never ended
    assert {c.kind for c in dimmit} == {"requested", "signed_from_pending", "added", "renamed"}
    renamed = [c for c in dimmit if c.kind == "renamed"]
    assert len(renamed) == 3 and all(c.date == D(2025, 12, 29) for c in renamed)
    assert "Dimmit Couny" in renamed[0].detail and renamed[0].evidence[0].startswith("decided by rules")
    assert not any(c.kind == "ended" and "Dimmit" in c.agency_name for c in found)


def test_pending_to_signed_and_window(ledger: duckdb.DuckDBPyConnection) -> None:
    found = changes(ledger, D(2026, 2, 1), D(2026, 2, 28), "MD")
    assert [(c.kind, c.date) for c in found if "Wicomico" in c.agency_name and c.kind != "ended"] == [
        ("signed_from_pending", D(2026, 2, 3)),
        ("added", D(2026, 2, 3)),
    ]
    with pytest.raises(InputError, match="before --since"):
        changes(ledger, D(2026, 2, 1), D(2026, 1, 1))


def test_feeds(ledger: duckdb.DuckDBPyConnection) -> None:
    found = changes(ledger, D(2026, 5, 1), D(2026, 5, 18))
    root = ET.fromstring(to_atom(found, "t", "https://example.org", "https://example.org/changes.atom"))
    entries = root.findall(f"{{{ATOM}}}entry")
    assert len(entries) == len(found) > 10
    ids = [e.findtext(f"{{{ATOM}}}id") for e in entries]
    assert len(set(ids)) == len(ids)  # every entry has its own stable id
    lines = to_csv(found).splitlines()
    assert lines[0].startswith("date,kind,state") and len(lines) == len(found) + 1
