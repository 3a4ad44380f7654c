"""Runs: same seed same results; serial, local processes and Ray give identical results; outputs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from sharemap.sim.run import compare, read_bookings_file, simulate, summarise
from sharemap.sim.scenarios import Scenario

FIX = Path(__file__).parents[1] / "fixtures" / "sim"
BASE = Scenario(date=dt.date(2025, 12, 31))


def test_engines_give_identical_results(ledger_db: Path) -> None:
    a = simulate(BASE, state="DE", replicates=3, seed=42, engine="serial", db=ledger_db)
    b = simulate(
        BASE, state="DE", replicates=3, seed=42, engine="local", workers=2, rep_batch=1, db=ledger_db
    )
    assert np.array_equal(a.county, b.county) and np.array_equal(a.latency_hist, b.latency_hist)
    assert a.birthplace is not None and np.array_equal(a.birthplace, b.birthplace)
    c = simulate(BASE, state="DE", replicates=3, seed=43, engine="serial", db=ledger_db)
    assert not np.array_equal(a.county, c.county)


def test_ray_gives_identical_results(ledger_db: Path) -> None:
    pytest.importorskip("ray")
    a = simulate(BASE, state="DE", replicates=2, seed=5, engine="serial", db=ledger_db)
    b = simulate(BASE, state="DE", replicates=2, seed=5, engine="ray", workers=1, rep_batch=1, db=ledger_db)
    assert np.array_equal(a.county, b.county)
    assert a.birthplace is not None and np.array_equal(a.birthplace, b.birthplace)


def test_summary_outputs_and_compare(tmp_path: Path, ledger_db: Path) -> None:
    from sharemap.sim.outputs import write_outputs

    res = simulate(BASE, county="53053", replicates=4, seed=1, engine="serial", db=ledger_db)
    s = summarise(res)
    assert s["label"].startswith("SYNTHETIC")
    assert {r["status"] for r in s["by_status"]} >= {"us_born", "naturalised", "derived", "lpr"}
    files = write_outputs(res, s, tmp_path)
    assert (tmp_path / "funnel.vl.json").exists() and (tmp_path / "README.md").exists()
    t = pq.read_table(tmp_path / "disclosure_ledger.parquet")
    assert t.schema.metadata[b"synthetic"] == b"true"
    assert set(t.column("channel").to_pylist()) >= {"chan.ngi_to_ident", "chan.ident_to_lesc"}
    assert json.loads((tmp_path / "summary.json").read_text())["selection"] == "53053"
    assert len(files) > 8
    assert s["agreements"]["ice_list_date"] == "2025-12-30" and s["scenario_date"] == "2025-12-31"
    other = simulate(
        Scenario(date=BASE.date, state_law={"WA": "required"}),
        county="53053",
        replicates=4,
        seed=1,
        engine="serial",
        db=ledger_db,
    )
    rows = {r["stage"]: r for r in compare(res, other)}
    assert rows["holds"]["difference"] > 0 and rows["bookings"]["difference"] == 0


def test_user_bookings_file_sets_county_volume(ledger_db: Path) -> None:
    book = read_bookings_file(FIX / "bookings.csv")
    res = simulate(BASE, county="53053", replicates=2, seed=1, engine="serial", bookings=book, db=ledger_db)
    assert abs(res.county[:, 0, 0].mean() - 20_000) < 1_000


def test_bad_bookings_file_is_refused() -> None:
    from sharemap.errors import InputError
    from sharemap.sim.counties import counties

    with pytest.raises(InputError, match=r"bad_bookings.csv: row 3: field 'fips': unknown county"):
        read_bookings_file(FIX / "bad_bookings.csv", set(map(str, counties().fips)))


def test_without_a_ledger_database_the_run_says_to_build_it(tmp_path: Path) -> None:
    from sharemap.errors import StoreError

    with pytest.raises(StoreError, match="sharemap build"):
        simulate(Scenario(), county="53053", replicates=1, engine="serial", db=tmp_path / "none.duckdb")
    # a scenario without 287(g) agreements needs no database
    res = simulate(
        Scenario(date=BASE.date, agreements_source="none"),
        county="53053",
        replicates=1,
        engine="serial",
        db=tmp_path / "none.duckdb",
    )
    assert res.agreements is None and summarise(res)["agreements"] == {"source": "none"}
