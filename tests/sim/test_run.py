"""Runs: same seed same results; serial, local processes and Ray give identical results; outputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from sharemap.sim.run import compare, read_bookings_file, simulate, summarise
from sharemap.sim.scenarios import Scenario

FIX = Path(__file__).parents[1] / "fixtures" / "sim"


def test_engines_give_identical_results() -> None:
    a = simulate(Scenario(), state="DE", replicates=3, seed=42, engine="serial")
    b = simulate(Scenario(), state="DE", replicates=3, seed=42, engine="local", workers=2, rep_batch=1)
    assert np.array_equal(a.county, b.county) and np.array_equal(a.latency_hist, b.latency_hist)
    c = simulate(Scenario(), state="DE", replicates=3, seed=43, engine="serial")
    assert not np.array_equal(a.county, c.county)


def test_ray_gives_identical_results() -> None:
    pytest.importorskip("ray")
    a = simulate(Scenario(), state="DE", replicates=2, seed=5, engine="serial")
    b = simulate(Scenario(), state="DE", replicates=2, seed=5, engine="ray", workers=1, rep_batch=1)
    assert np.array_equal(a.county, b.county)


def test_summary_outputs_and_compare(tmp_path: Path) -> None:
    from sharemap.sim.outputs import write_outputs

    res = simulate(Scenario(), county="53053", replicates=4, seed=1, engine="serial")
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
    other = simulate(
        Scenario(state_law={"WA": "required"}), county="53053", replicates=4, seed=1, engine="serial"
    )
    rows = {r["stage"]: r for r in compare(res, other)}
    assert rows["holds"]["difference"] > 0 and rows["bookings"]["difference"] == 0


def test_user_bookings_file_sets_county_volume() -> None:
    book = read_bookings_file(FIX / "bookings.csv")
    res = simulate(Scenario(), county="53053", replicates=2, seed=1, engine="serial", bookings=book)
    assert abs(res.county[:, 0, 0].mean() - 20_000) < 1_000


def test_bad_bookings_file_is_refused() -> None:
    from sharemap.errors import InputError
    from sharemap.sim.counties import counties

    with pytest.raises(InputError, match=r"bad_bookings.csv: row 3: field 'fips': unknown county"):
        read_bookings_file(FIX / "bad_bookings.csv", set(map(str, counties().fips)))
