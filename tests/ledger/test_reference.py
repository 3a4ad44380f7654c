"""The shipped ledger is exactly what parsing ICE's raw files gives (skipped without ../shared)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sharemap.ledger import store
from sharemap.ledger.snapshots import parse_many, snapshot_files, to_tables

ICE_LISTS = Path(__file__).resolve().parents[3] / "shared" / "reference" / "ice-287g"


@pytest.mark.slow
@pytest.mark.skipif(not ICE_LISTS.exists(), reason="../shared/reference is not beside the checkout")
def test_shipped_snapshots_reproduce_from_reference(tmp_path: Path) -> None:
    files, skipped = [], []
    for sub in ("participating", "pending"):
        found, skip = snapshot_files(ICE_LISTS / sub)
        files += found
        skipped += skip
    assert len(files) == 945 + 312
    assert sorted(s.file_name for s in skipped) == [
        "combined_result.xlsx",
        "combined_result_deduped.xlsx",
        "final_combined_result.xlsx",
        "leftover_pending_agencies.xlsx",
        "rem-dup.py",
    ]
    parsed, unreadable = parse_many(files, tmp_path / "cache")
    assert unreadable == []
    snapshots, rows, problems = to_tables(parsed)
    shipped = store.load_shipped()
    assert snapshots.equals(shipped.snapshots)
    assert rows.equals(shipped.rows)
    assert problems.equals(shipped.problems)
