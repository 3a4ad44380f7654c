"""Birthplace jointly with status and ethnicity (issue 17): the sourced table, the kernel's split, the
summary, the run folder, the CLI, the report section, and `sim population --n` bounded."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from sharemap.cli.app import app
from sharemap.errors import DataError
from sharemap.sim.birthplace import (
    BIRTHPLACE_FILE,
    FOREIGN,
    GROUPS,
    NATIONAL_FALLBACK,
    load_birthplace,
    parse,
)
from sharemap.sim.model import CELL_ETH, CELL_STATUS, N_CELLS, STATUSES
from sharemap.sim.params import read_yaml
from sharemap.sim.pipeline import CELL_STAGES
from sharemap.sim.run import simulate, summarise
from sharemap.sim.scenarios import Scenario

runner = CliRunner()
NO_LEDGER = Scenario(date=dt.date(2025, 12, 31), agreements_source="none")
G = {g: i for i, g in enumerate(GROUPS)}


def test_table_shares_are_distributions_and_us_born_are_born_in_the_us() -> None:
    t = load_birthplace()
    assert t.unauthorized.sum() == pytest.approx(1) and t.lawful.sum() == pytest.approx(1)
    # lawful = foreign born minus unauthorized: Mexicans are a smaller share of lawful immigrants
    assert t.lawful[FOREIGN.index("mexico")] < t.unauthorized[FOREIGN.index("mexico")]
    for state in ("TX", "WA", "MA"):
        cs = t.cell_shares(state)
        assert cs.shape == (N_CELLS, len(GROUPS)) and np.allclose(cs.sum(axis=1), 1)
        us_born = STATUSES.index("us_born") == CELL_STATUS
        assert np.all(cs[us_born, G["us"]] == 1) and np.all(cs[~us_born, G["us"]] == 0)
        # nobody not Hispanic is born in Mexico or the Northern Triangle (their Hispanic share is 1)
        not_hisp = (CELL_ETH == 1) & ~us_born
        assert np.all(cs[not_hisp][:, [G["mexico"], G["guatemala"], G["honduras"], G["el_salvador"]]] == 0)
        # Hispanic foreign-born people are never born in Asia or Africa
        assert np.all(cs[(CELL_ETH == 0) & ~us_born][:, [G["asia"], G["africa"]]] == 0)


def test_a_sourced_state_differs_from_the_national_fallback_and_says_which_source() -> None:
    t = load_birthplace()
    tx, wa, ma = t.unauthorized_in("TX"), t.unauthorized_in("WA"), t.unauthorized_in("MA")
    assert np.array_equal(wa, t.unauthorized)  # no sourced figure: the national shares
    assert tx[0] == pytest.approx(0.75) and ma[0] == pytest.approx(0.03)
    assert tx.sum() == pytest.approx(1) and ma.sum() == pytest.approx(1)
    # the rest keeps the national proportions between groups
    assert ma[1:] / ma[1:].sum() == pytest.approx(t.unauthorized[1:] / t.unauthorized[1:].sum())
    assert "Pew" in t.source_of("TX") and "75%" in t.source_of("TX")
    assert t.source_of("WA").startswith(f"WA: {NATIONAL_FALLBACK}")
    assert "latinolosangeles.com" in t.source_of("WA")


def _raw() -> dict:
    return copy.deepcopy(read_yaml(BIRTHPLACE_FILE))


def test_bad_tables_are_refused_with_the_field() -> None:
    raw = _raw()
    raw["unauthorized_national"]["mexico"]["value"] = 0.6
    with pytest.raises(DataError, match=r"unauthorized shares sum to 1\.12"):
        parse(raw, BIRTHPLACE_FILE)
    raw = _raw()
    raw["unauthorized_mexico_share_by_state"]["TX"]["source"] = "nowhere"
    with pytest.raises(DataError, match="unknown source 'nowhere'") as exc:
        parse(raw, BIRTHPLACE_FILE)
    assert "unauthorized_mexico_share_by_state.TX" in str(exc.value)
    raw = _raw()
    del raw["hispanic_share_by_group"]["other_lac"]["assumption"]
    with pytest.raises(DataError, match="no source and no assumption"):
        parse(raw, BIRTHPLACE_FILE)


@pytest.fixture(scope="module")
def nm_run():  # type: ignore[no-untyped-def]
    """New Mexico (a state with a sourced share), 6 replicates, no ledger (scenario levers only)."""
    return simulate(NO_LEDGER, state="NM", replicates=6, seed=3, engine="serial")


def test_split_sums_to_the_stage_and_status_totals_in_every_replicate(nm_run) -> None:  # type: ignore[no-untyped-def]
    bp = nm_run.birthplace
    assert bp.shape == (6, len(CELL_STAGES), N_CELLS, len(GROUPS))
    # over groups the split gives back each cell's count: the status and ethnicity totals are kept
    assert np.allclose(bp.sum(axis=3), nm_run.cells)
    k = CELL_STAGES.index("detainers")
    us_cells = STATUSES.index("us_born") == CELL_STATUS
    assert np.allclose(bp[:, k, :, G["us"]].sum(axis=1), nm_run.cells[:, k, us_cells].sum(axis=1))
    assert nm_run.cells[:, k].sum() > 0 and bp[:, k, :, G["mexico"]].sum() > 0


def test_summary_has_every_stage_and_group_and_its_means_add_up(nm_run) -> None:  # type: ignore[no-untyped-def]
    s = summarise(nm_run)
    rows = s["by_birthplace"]
    assert {(r["stage"], r["birthplace"]) for r in rows} == {(k, g) for k in CELL_STAGES for g in GROUPS}
    stages = {r["stage"]: r["mean"] for r in s["stages"]}
    for k in CELL_STAGES:
        total = sum(r["mean"] for r in rows if r["stage"] == k)
        assert total == pytest.approx(stages[k], rel=1e-9, abs=1e-6)
    assert all(r["ci_low"] <= r["mean"] <= r["ci_high"] for r in rows)
    # New Mexico's own figure: 89% of unauthorized immigrants born in Mexico (Pew, 2012)
    assert s["birthplace_sources"] == [
        {"state": "NM", "fallback": False, "source": load_birthplace().source_of("NM")}
    ]
    det = {r["birthplace"]: r["mean"] for r in rows if r["stage"] == "detainers"}
    assert det["mexico"] > 0.5 * sum(det.values())


def test_same_seed_same_split_and_engines_agree() -> None:
    a = simulate(NO_LEDGER, state="DE", replicates=2, seed=11, engine="serial")
    b = simulate(NO_LEDGER, state="DE", replicates=2, seed=11, engine="local", workers=2, rep_batch=1)
    assert a.birthplace is not None and np.array_equal(a.birthplace, b.birthplace)


def test_run_folder_json_parquet_chart_and_readme_carry_it(nm_run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from sharemap.sim.outputs import write_outputs

    s = summarise(nm_run)
    write_outputs(nm_run, s, tmp_path)
    t = pq.read_table(tmp_path / "by_birthplace.parquet")
    assert t.schema.metadata[b"synthetic"] == b"true"
    assert t.num_rows == len(CELL_STAGES) * len(GROUPS)
    assert set(t.column("birthplace").to_pylist()) == set(GROUPS)
    js = json.loads((tmp_path / "summary.json").read_text())
    assert js["by_birthplace"] == s["by_birthplace"] and js["birthplace_sources"][0]["state"] == "NM"
    spec = json.loads((tmp_path / "by_birthplace.vl.json").read_text())
    assert spec["title"].startswith("SYNTHETIC") and "birthplace" in json.dumps(spec["encoding"])
    readme = (tmp_path / "README.md").read_text()
    assert "## By birthplace" in readme and "| el_salvador |" in readme and "Pew" in readme


def test_cli_run_prints_the_birthplace_table(ledger_db: Path) -> None:
    args = ["sim", "run", "--county", "53053", "--replicates", "2", "--engine", "serial"]
    r = runner.invoke(app, [*args, "--db", str(ledger_db)])
    assert r.exit_code == 0, r.output
    assert "by birthplace" in r.output and "el_salvador" in r.output
    assert "national fallback for 1 state(s) (WA)" in " ".join(r.output.split())
    j = runner.invoke(app, [*args, "--db", str(ledger_db), "--json"])
    rows = json.loads(j.stdout)["by_birthplace"]
    assert {r["birthplace"] for r in rows} == set(GROUPS)


def test_population_has_a_birthplace_and_n_is_bounded(ledger_db: Path, tmp_path: Path) -> None:
    from sharemap.cli.sim import MAX_POPULATION

    for n in ("0", str(MAX_POPULATION + 1)):
        r = runner.invoke(app, ["sim", "population", "--county", "48201", "--n", n, "--db", str(ledger_db)])
        assert r.exit_code == 2, r.output
        assert "'--n'" in r.output and f"{MAX_POPULATION:,}" in r.output and "\n" not in r.output.strip()
    out = tmp_path / "people.parquet"
    r = runner.invoke(
        app,
        ["sim", "population", "--county", "48201", "--n", "400", "--db", str(ledger_db), "--out", str(out)],
    )
    assert r.exit_code == 0, r.output
    t = pq.read_table(out).to_pylist()
    assert {p["birthplace"] for p in t} <= set(GROUPS)
    assert all((p["birthplace"] == "us") == (p["status"] == "us_born") for p in t)
    assert any(p["birthplace"] == "mexico" for p in t)


def test_report_section_shows_birthplace(ledger_db: Path, tmp_path: Path) -> None:
    from sharemap.report import build_report, load_run, resolve, to_markdown

    out = tmp_path / "run"
    args = ["sim", "run", "--county", "35001", "--replicates", "2", "--engine", "serial", "--out", str(out)]
    assert runner.invoke(app, [*args, "--db", str(ledger_db), "--json"]).exit_code == 0
    con = duckdb.connect(str(ledger_db), read_only=True)
    try:
        rep = build_report(con, resolve(con, county="35001"), dt.date(2026, 11, 24), sims=[load_run(out)])
    finally:
        con.close()
    md = to_markdown(rep)
    part = md[md.index("SYNTHETIC people flagged, detained and held per year, by birthplace") - 2000 :]
    assert "El Salvador" in part and "a state share of Mexicans among unauthorized immigrants for NM" in md
    urls = {r.url for r in rep.references}
    assert load_birthplace().sources["pew_testimony_2015"]["url"] in urls


def test_split_does_not_depend_on_county_order() -> None:
    """Counties out of state order take the kernel's sorting path and give the same split."""
    from sharemap.sim.counties import counties, select
    from sharemap.sim.params import load_params
    from sharemap.sim.pipeline import run_kernel
    from sharemap.sim.scenarios import compile_model

    table = select(counties(), state="NM")
    both = counties().take(np.r_[np.nonzero(np.isin(counties().state, ["NM", "WA"]))[0]])
    shuffled = both.take(np.random.default_rng(0).permutation(len(both)))
    params = load_params()
    a = run_kernel(compile_model(params, both, NO_LEDGER), expected=True)
    b = run_kernel(compile_model(params, shuffled, NO_LEDGER), expected=True)
    assert not np.all(np.diff(compile_model(params, shuffled, NO_LEDGER).bp_index) >= 0)
    assert np.allclose(a.birthplace, b.birthplace) and np.allclose(a.birthplace.sum(axis=2), a.cells)
    nm = run_kernel(compile_model(params, table, NO_LEDGER), expected=True)
    k = CELL_STAGES.index("bookings")
    # New Mexico's sourced 89% makes Mexico a larger share of its foreign-born bookings than in WA
    wa = run_kernel(compile_model(params, select(counties(), state="WA"), NO_LEDGER), expected=True)
    share = [r.birthplace[k].sum(0)[G["mexico"]] / r.birthplace[k].sum(0)[1:].sum() for r in (nm, wa)]
    assert share[0] > share[1]
