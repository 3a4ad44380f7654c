"""`sharemap sim` commands: JSON output, refusal of bad scenario input with file, key and reason."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from sharemap.cli.app import app

FIX = Path(__file__).parents[1] / "fixtures" / "sim"
runner = CliRunner()
RUN = ["sim", "run", "--json"]


def test_run_json(ledger_db: Path) -> None:
    r = runner.invoke(
        app,
        [*RUN, "--county", "53053", "--replicates", "2", "--engine", "serial", "--db", str(ledger_db)],
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["label"].startswith("SYNTHETIC") and out["stages"][0]["stage"] == "bookings"
    # no date in the default scenario: ICE's latest list in the ledger, and the law on its date
    assert out["agreements"]["source"] == "ledger"
    assert out["scenario_date"] == out["agreements"]["ice_list_date"]


def test_run_without_a_database_says_to_build_it(tmp_path: Path) -> None:
    r = runner.invoke(
        app, ["sim", "run", "--county", "53053", "--db", str(tmp_path / "none.duckdb"), "--json"]
    )
    assert r.exit_code != 0 and "sharemap build" in r.output


def test_bad_scenario_is_refused(ledger_db: Path) -> None:
    r = runner.invoke(
        app,
        [*RUN, "--county", "53053", "--scenario", str(FIX / "bad_probability.yaml"), "--db", str(ledger_db)],
    )
    assert r.exit_code == 2
    assert "bad_probability.yaml" in r.output and "pickup.after_hold" in r.output


def test_selection_must_be_one() -> None:
    r = runner.invoke(app, ["sim", "run", "--json"])
    assert r.exit_code == 2


def test_params_and_des(ledger_db: Path) -> None:
    r = runner.invoke(app, ["sim", "params", "--json"])
    assert r.exit_code == 0 and any(p["key"] == "bookings.national_per_year" for p in json.loads(r.stdout))
    r = runner.invoke(
        app, ["sim", "des", "--county", "10001", "--years", "0.2", "--db", str(ledger_db), "--json"]
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["counts"]["bookings"] > 0
