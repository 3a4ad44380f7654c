"""`sharemap trace` without a ledger database (the ledger-backed path is exercised in docs/trace.md)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from sharemap.cli.app import app

runner = CliRunner()


def test_trace_json() -> None:
    r = runner.invoke(
        app, ["trace", "--state", "IL", "--no-ledger", "--event", "booking", "--date", "2026-05-20", "--json"]
    )
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    statuses = {p["id"]: p["status"] for p in data["paths"]}
    assert statuses["chan.detainer_hold_transfer"] == "closed_by_law"
    assert "summary" in data and data["elements_reaching_ice"]


def test_trace_table_mermaid_dot_matrix() -> None:
    base = ["trace", "--state", "FL", "--no-ledger", "--event", "jail_release", "--date", "2026-05-20"]
    assert runner.invoke(app, base).exit_code == 0
    mer = runner.invoke(app, [*base, "--format", "mermaid"])
    assert mer.exit_code == 0 and "flowchart LR" in mer.stdout
    dot = runner.invoke(app, [*base, "--format", "dot"])
    assert dot.exit_code == 0 and dot.stdout.startswith("digraph") and dot.stdout.rstrip().endswith("}")
    mat = runner.invoke(app, [*base, "--format", "matrix"])
    assert mat.exit_code == 0 and "data element" in mat.stdout


def test_trace_compare_dates_and_hypothetical_model() -> None:
    r = runner.invoke(
        app,
        ["trace", "--state", "IL", "--no-ledger", "--event", "plate_read", "--date", "2023-06-01",
         "--compare-date", "2024-06-01", "--json"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "de.plate_reads" in json.loads(r.stdout)["elements_removed"]
    r2 = runner.invoke(
        app,
        ["trace", "--state", "TX", "--no-ledger", "--event", "booking", "--date", "2026-05-20",
         "--compare-with-model", "JEM", "--json"],
    )  # fmt: skip
    assert r2.exit_code == 0, r2.output
    changes = {c["path"]: c for c in json.loads(r2.stdout)["path_changes"]}
    assert changes["chan.jem_jail_screening"]["after"] == "open"


def test_trace_errors_are_clear() -> None:
    r = runner.invoke(app, ["trace", "--no-ledger", "--event", "booking"])
    assert r.exit_code != 0
    r = runner.invoke(app, ["trace", "--state", "IL", "--no-ledger", "--date", "2026-13-01"])
    assert r.exit_code != 0


def test_trace_without_a_ledger_database_says_what_to_do(tmp_path) -> None:  # type: ignore[no-untyped-def]
    r = runner.invoke(
        app,
        ["trace", "--county", "Cook County, IL", "--db", str(tmp_path / "none.duckdb"), "--event", "booking"],
    )
    assert r.exit_code != 0
    assert "sharemap build" in r.output and "--no-ledger" in r.output


def test_trace_compare_takes_a_date_or_a_place() -> None:
    by_date = runner.invoke(
        app,
        ["trace", "--state", "IL", "--no-ledger", "--event", "plate_read", "--date", "2023-06-01",
         "--compare", "2024-06-01", "--json"],
    )  # fmt: skip
    assert by_date.exit_code == 0, by_date.output
    assert json.loads(by_date.stdout)["b"]["date"] == "2024-06-01"
    by_place = runner.invoke(
        app,
        ["trace", "--county", "Cook County, IL", "--no-ledger", "--event", "booking", "--date", "2026-05-20",
         "--compare", "Collier County, FL", "--json"],
    )  # fmt: skip
    assert by_place.exit_code == 0, by_place.output
    assert json.loads(by_place.stdout)["b"]["place"]["county_fips"] == "12021"
