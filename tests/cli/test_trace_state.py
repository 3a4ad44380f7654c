"""A state-level trace counts the agreements of the state's counties (issue 15: `trace --help`'s own
Maryland example used to say "no difference" across the 2026 ban)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from sharemap.cli.app import app

runner = CliRunner()


def _compare(db: Path, event: str, a: str, b: str) -> dict:  # type: ignore[type-arg]
    r = runner.invoke(
        app,
        [
            "trace",
            "--state",
            "MD",
            "--event",
            event,
            "--date",
            a,
            "--compare-date",
            b,
            "--json",
            "--db",
            str(db),
        ],
    )
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def test_maryland_ban_closes_the_agreements_still_listed(ledger_db: Path) -> None:
    """2026-01-01: eight county sheriffs' JEM and WSO agreements; 2026-03-01 (after the ban of
    2026-02-17): three WSO agreements still listed, so the WSO hop is closed by law; JEM left the list."""
    cmp = _compare(ledger_db, "booking", "2026-01-01", "2026-03-01")
    changes = {c["path"]: c for c in cmp["path_changes"]}
    assert changes["chan.wso_warrant_service"]["before"] == "open"
    assert changes["chan.wso_warrant_service"]["after"] == "closed_by_law"
    assert "5-104.1" in changes["chan.wso_warrant_service"]["reason_after"]
    assert changes["chan.jem_jail_screening"]["after"] == "inactive"
    assert len(cmp["trace_a"]["agreements_in_force"]) == 8


def test_the_help_example_now_shows_a_difference(ledger_db: Path) -> None:
    cmp = _compare(ledger_db, "jail_release", "2026-01-01", "2026-12-01")
    assert cmp["path_changes"], cmp["summary"]
    assert "no difference" not in cmp["summary"]
    help_text = " ".join(runner.invoke(app, ["trace", "--help"]).stdout.split())
    assert "--state MD --event jail_release --date 2026-01-01 --compare-date 2026-12-01" in help_text


def test_state_trace_table_names_routes_not_ids(ledger_db: Path) -> None:
    r = runner.invoke(
        app,
        ["trace", "--state", "MD", "--event", "booking", "--date", "2026-03-01", "--db", str(ledger_db)],
        env={"COLUMNS": "80"},
    )
    assert r.exit_code == 0, r.output
    assert "Booking after arrest — Maryland — 2026-03-01" in r.stdout
    assert "287(g) officer serves ICE's" in r.stdout and "chan." not in r.stdout
