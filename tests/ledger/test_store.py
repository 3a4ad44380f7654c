"""The ledger database built from the shipped snapshots: the figures the issue names."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from sharemap.errors import StoreError
from sharemap.kb.model import AgreementStatus, Model287g
from sharemap.ledger import query, store


def test_national_figures_on_the_newest_list(ledger: duckdb.DuckDBPyConnection) -> None:
    summary = query.national_summary(ledger)
    assert summary["list_date"] == dt.date(2026, 5, 18)
    assert summary["agreements_in_force"] == 1843
    assert summary["by_model"] == {"JEM": 182, "TFM": 1162, "WSO": 499}
    # 1,557 names as ICE printed them; six Texas names differ only by a curly apostrophe, and
    # Waukesha County's sheriff is listed as both "Sheriff's Office" (WSO) and "...Department" (JEM)
    assert summary["agencies"] == 1550
    assert len(summary["states"]) == 40 and {"GU", "MP"} <= set(summary["states"])
    assert summary["participating_snapshots"] == 945


def test_quarter_end_totals(ledger: duckdb.DuckDBPyConnection) -> None:
    totals = {r["quarter"]: r["total"] for r in query.stats(ledger, "quarter")}
    assert {q: totals[q] for q in ["2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1"]} == {
        "2024Q4": 135,
        "2025Q1": 427,
        "2025Q2": 736,  # 737 rows: Zephyrhills PD is listed twice (also as "City of Zephyrhills ...")
        "2025Q3": 1035,
        "2025Q4": 1274,
        "2026Q1": 1560,
    }


def test_maryland_agreements_end_after_its_2026_law(ledger: duckdb.DuckDBPyConnection) -> None:
    on_new_year = query.agreements(ledger, state="MD", as_of=dt.date(2025, 12, 31))
    assert len(on_new_year) == 8
    now = {a.agreement_id: a for a in query.agreements(ledger, state="MD", include_inactive=True)}
    for a in on_new_year:
        later = now[a.agreement_id]
        assert later.status is AgreementStatus.ENDED
        assert dt.date(2026, 1, 1) < later.last_seen < later.ended_on  # type: ignore[operator]
    assert query.agreements(ledger, state="MD") == []


def test_county_and_model_filters(ledger: duckdb.DuckDBPyConnection) -> None:
    lee = query.agreements(ledger, county_fips="12071")  # Lee County, Florida
    assert any(a.model is Model287g.JEM and "Lee County Sheriff" in a.agency_name for a in lee)
    jem_fl = query.agreements(ledger, state="FL", model=Model287g.JEM)
    assert jem_fl and all(a.model is Model287g.JEM and a.state == "FL" for a in jem_fl)
    assert query.agreements(ledger, as_of=dt.date(2019, 1, 1)) == []  # before the first snapshot


def test_every_agency_is_placed_or_explained(ledger: duckdb.DuckDBPyConnection) -> None:
    rows = ledger.execute("SELECT county_fips, statewide, unmapped_reason FROM agencies").fetchall()
    assert all(fips or statewide or reason for fips, statewide, reason in rows)
    unmapped = sum(1 for fips, statewide, _ in rows if not fips and not statewide)
    assert unmapped < 0.03 * len(rows)


def test_find_agency_across_spellings(ledger: duckdb.DuckDBPyConnection) -> None:
    ag = query.find_agency(ledger, "galveston county sheriffs office", "TX")
    assert ag.county_fips == "48167"
    assert {"Galveston County Sheriff's Office", "Galveston County Sheriff’s Office"} <= set(ag.name_variants)


def test_failed_build_leaves_database_unchanged(ledger_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "copy.duckdb"
    db.write_bytes(ledger_db.read_bytes())
    before = db.read_bytes()
    base = store.load_shipped()
    broken = store.BaseData(base.snapshots, base.rows.drop_columns(["agency"]), base.problems)
    with pytest.raises((KeyError, pa.ArrowInvalid, duckdb.Error)):
        store.build_database(broken, db)
    assert db.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["copy.duckdb"]  # no half-written file left


def test_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="sharemap build"), store.connect(tmp_path / "none.duckdb"):
        pass


def test_export_writes_every_table(ledger_db: Path, tmp_path: Path) -> None:
    written = store.export(ledger_db, tmp_path / "out")
    names = {p.name for p in written}
    tables = (
        "agreements",
        "agencies",
        "snapshots",
        "pending",
        "agreement_snapshots",
        "counties",
        "agency_links",
    )
    for table in tables:
        assert {f"{table}.parquet", f"{table}.csv"} <= names
    con = duckdb.connect()
    rows = con.execute(f"SELECT count(*) FROM '{tmp_path / 'out' / 'agreements.parquet'}'").fetchall()
    assert rows == [(2076,)]  # 2,151 listings, 75 of which continue an agreement under another name
