"""One set of numbers: the CLI, the Python API, the web JSON API and the report give a county the same
count of agreements in force, because all four ask `ledger.query.covering` (issue 15.3).

The disagreement this pins: `agreements --county "Harris County, TX"` once said 1 (the county's own
agencies) while the web page and the report said 5 (with four Task Force agreements of statewide Texas
agencies); in Florida the CLI then counted the Department of Corrections' statewide Jail Enforcement
agreement, which the report leaves out (it works in state prisons, not county jails).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from sharemap.cli.app import app as cli_app
from sharemap.ledger import query
from sharemap.ledger.place import place_from
from sharemap.report import build_report
from sharemap.report.model import Report, Table
from sharemap.web import create_app

DAY = dt.date(2026, 5, 18)  # the newest list the shipped ledger holds

# county, expected (local, statewide) on DAY: the numbers are ICE's list of 2026-05-18
COUNTIES = [
    ("Harris County, TX", "48201", 1, 4),
    ("Lee County, FL", "12071", 9, 11),
    ("Cook County, IL", "17031", 0, 0),
]


@pytest.fixture(scope="module")
def con(ledger_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect(str(ledger_db), read_only=True)
    yield c
    c.close()


@pytest.fixture(scope="module")
def web(ledger_db: Path) -> TestClient:
    return TestClient(create_app(ledger_db))


def _cli_count(ledger_db: Path, county: str, day: dt.date) -> int:
    result = CliRunner().invoke(
        cli_app,
        ["agreements", "--county", county, "--as-of", day.isoformat(), "--db", str(ledger_db), "--json"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["coverage"]["count"] == len(data["agreements"])
    return len(data["agreements"])


def _report_count(report: Report) -> int:
    tables = [
        b
        for s in report.sections
        for b in s.blocks
        if isinstance(b, Table) and b.caption == "287(g) agreements in force on this date"
    ]
    return len(tables[0].rows) if tables else 0


@pytest.mark.parametrize(("county", "fips", "local", "statewide"), COUNTIES)
def test_four_surfaces_give_one_count(
    con: duckdb.DuckDBPyConnection,
    web: TestClient,
    ledger_db: Path,
    county: str,
    fips: str,
    local: int,
    statewide: int,
) -> None:
    place = place_from(con, county=county)
    cov = query.covering(con, place, DAY)
    assert (len(cov.local), len(cov.statewide)) == (local, statewide)
    expected = local + statewide

    assert _cli_count(ledger_db, county, DAY) == expected

    page = web.get(f"/api/counties/{fips}", params={"date": DAY.isoformat()})
    assert page.status_code == 200, page.text
    body = page.json()
    assert len(body["agreements_in_force"]) == expected
    assert body["coverage"]["count"] == expected and body["coverage"]["words"] == cov.words()

    report = build_report(con, place, DAY)
    assert _report_count(report) == expected
    summary = " ".join(s.text for s in report.sentences())
    assert cov.words() in summary  # the count is worded the same way too


def test_the_cli_reads_the_county_as_the_web_search_does(ledger_db: Path, web: TestClient) -> None:
    assert (
        _cli_count(ledger_db, "Harris County TX", DAY) == _cli_count(ledger_db, "harris county, tx", DAY) == 5
    )
    found = web.get("/api/search", params={"q": "Harris County TX"}).json()
    assert found["results"][0]["key"] == "48201"


def test_the_counts_move_with_the_date(con: duckdb.DuckDBPyConnection, ledger_db: Path) -> None:
    earlier = dt.date(2025, 6, 30)
    harris = query.covering(con, place_from(con, county="48201"), earlier)
    assert (len(harris.local), len(harris.statewide)) == (1, 2)
    assert _cli_count(ledger_db, "Harris County, TX", earlier) == 3
