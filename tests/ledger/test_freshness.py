"""Every count says which ICE list it comes from, how old that list is, and what ICE published later."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from sharemap.errors import InputError
from sharemap.ledger.freshness import freshness, read_published

D = dt.date


def test_age_of_the_list_and_the_later_published_count(ledger: duckdb.DuckDBPyConnection) -> None:
    f = freshness(ledger, D(2026, 12, 3))
    assert (f.list_date, f.age_days, f.after_newest) == (D(2026, 5, 18), 199, True)
    assert f.note == "ICE list of 2026-05-18, 199 days before 2026-12-03"
    assert f.warning == (
        "ICE's list of 2026-10-09 reported 2,654 agreements (TFM 1,902, WSO 569, JEM 183); "
        "the rows held stop at ICE's list of 2026-05-18."
    )


def test_per_state_published_count_includes_a_misspelt_state(ledger: duckdb.DuckDBPyConnection) -> None:
    tx = freshness(ledger, D(2026, 12, 3), "TX")
    assert tx.published is not None and tx.published.state == "TX"
    assert tx.published.list_date == D(2026, 10, 9) and tx.published.total > 0
    # on the list of 2026-07-14, two New Hampshire rows were listed under "New Hamsphire"
    nh = freshness(ledger, D(2026, 7, 20), "NH")
    assert nh.published is not None and nh.published.list_date == D(2026, 7, 14)
    assert nh.published.total == sum(nh.published.by_model.values())


def test_a_date_between_published_lists_uses_the_one_before(ledger: duckdb.DuckDBPyConnection) -> None:
    f = freshness(ledger, D(2026, 9, 10))
    assert f.published is not None and (f.published.list_date, f.published.total) == (D(2026, 9, 8), 2466)
    assert freshness(ledger, D(2026, 6, 1)).published is None  # after the newest list, before any count


def test_dates_inside_and_before_coverage(ledger: duckdb.DuckDBPyConnection) -> None:
    inside = freshness(ledger, D(2026, 1, 5))
    assert (inside.list_date, inside.age_days, inside.warning) == (D(2026, 1, 5), 0, None)
    assert inside.note == "ICE list of 2026-01-05, the date asked"
    before = freshness(ledger, D(2020, 6, 30))
    assert before.before_coverage and before.list_date is None
    assert "before this ledger's coverage" in before.note and "2021-01-13" in before.note


def test_published_counts_are_checked_on_read(tmp_path: Path) -> None:
    table = read_published()
    assert table.num_rows == 244 and set(table["state"].to_pylist()) >= {"TX", "NH", "FL"}
    bad = tmp_path / "counts.csv"
    bad.write_text(
        "list_date,reported_on,source_sheet,state,state_as_listed,TFM,WSO,JEM,total\n"
        "2026-10-09,2026-10-09,x.xlsx,TX,Texas,1,2,3,7\n"
    )
    with pytest.raises(InputError, match="do not add up") as err:
        read_published(bad)
    assert err.value.row == 2
