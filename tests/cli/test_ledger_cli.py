"""The ledger commands, run as a user would, on the shipped data and real list files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from sharemap.cli.app import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture()
def db(ledger_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "ledger.duckdb"
    shutil.copy(ledger_db, copy)
    return copy


def test_stats_summary(db: Path) -> None:
    code, out = run("stats", "--db", str(db), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["agreements_in_force"] == 1843 and data["by_model"]["TFM"] == 1162
    assert data["list_date"] == "2026-05-18" and data["list_age_days"] >= 199
    published = data["latest_published"]
    assert (published["list_date"], published["total"]) == ("2026-10-09", 2654)
    assert published["by_model"] == {"TFM": 1902, "WSO": 569, "JEM": 183}
    code, out = run("stats", "--as-of", "2025-06-30", "--db", str(db), "--json")
    data = json.loads(out)
    assert (data["list_date"], data["agreements_in_force"]) == ("2025-06-27", 736)
    assert data["latest_published"] is None and data["freshness"]["warning"] is None


def test_agreements_by_county_and_date(db: Path) -> None:
    code, out = run("agreements", "--county", "Lee County, FL", "--db", str(db), "--json")
    assert code == 0
    data = json.loads(out)
    assert any(r["model"] == "jail_enforcement_model" for r in data["agreements"])
    code, out = run("agreements", "--state", "MD", "--as-of", "2025-12-31", "--db", str(db), "--json")
    data = json.loads(out)
    assert code == 0 and len(data["agreements"]) == 8
    # the 2025-12-31 file repeats the 2025-12-30 list byte for byte: still ICE's list of that day
    assert data["freshness"]["list_date"] == "2025-12-31" and data["freshness"]["list_age_days"] == 0
    code, out = run("agreements", "--state", "MD", "--as-of", "2020-06-30", "--db", str(db))
    assert code == 0 and "before this ledger's coverage" in out and "2021-01-13" in out
    code, out = run("agreements", "--as-of", "31/12/2025", "--db", str(db))
    assert code != 0 and "YYYY-MM-DD" in out


def test_agency_shows_history_and_moa_terms(db: Path) -> None:
    code, out = run("agency", "Lee County Sheriffs Office", "--state", "FL", "--db", str(db), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["agency"]["county_fips"] == "12071"
    assert any(a["model"] == "jail_enforcement_model" for a in data["agreements"])
    assert data["sources"][0]["url"].startswith("https://www.ice.gov/")
    code, out = run("agency", "Nowhere Sheriff Office", "--state", "FL", "--db", str(db))
    assert code == 3 and "no agency named" in out


def test_snapshot_inspector_touches_no_database(
    lists_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHAREMAP_HOME", str(tmp_path))
    code, out = run("snapshot", str(lists_dir / "participatingAgencies01052025pm.xlsx"), "--json")
    assert code == 0
    info = json.loads(out)
    assert info["captured"].startswith("2026-01-05") and info["name_date"] == "2025-01-05"
    assert info["anomalies"] and info["rows"] > 1000
    assert list(tmp_path.iterdir()) == []


def test_update_adds_a_snapshot_and_refuses_bad_files(db: Path, lists_dir: Path, tmp_path: Path) -> None:
    before = db.read_bytes()
    corrupt = tmp_path / "participatingAgencies05192026am.xlsx"
    corrupt.write_bytes(b"PK\x03\x04 this is not a workbook")
    code, out = run("update", "--from", str(corrupt), "--db", str(db))
    assert code == 2 and corrupt.name in out and "workbook" in out
    assert db.read_bytes() == before  # unchanged

    code, out = run(
        "update", "--from", str(lists_dir / "participatingAgencies05182026am.xlsx"), "--db", str(db), "--json"
    )
    assert code == 0 and json.loads(out)["already_present"] == ["participatingAgencies05182026am.xlsx"]

    # A constructed next-day list: the newest real list without Autauga County's three agreements.
    wb = openpyxl.load_workbook(lists_dir / "participatingAgencies05182026am.xlsx")
    ws = wb.active
    autauga = [c.row for c in ws["B"] if str(c.value).startswith("Autauga County")]
    for row in reversed(autauga):
        ws.delete_rows(row)
    newer = tmp_path / "participatingAgencies05202026am.xlsx"
    wb.save(newer)
    code, out = run("update", "--from", str(newer), "--db", str(db), "--json")
    assert code == 0, out
    assert json.loads(out)["added"][0]["file"] == newer.name
    code, out = run("stats", "--db", str(db), "--json")
    assert json.loads(out)["list_date"] == "2026-05-20" and json.loads(out)["agreements_in_force"] == 1840
    code, out = run("agency", "Autauga County Sheriff's Office", "--state", "AL", "--db", str(db), "--json")
    ended = [a for a in json.loads(out)["agreements"] if a["last_seen"] == "2026-05-18"]
    assert len(ended) == 3 and {a["status"] for a in ended} == {"ended"}
    assert {a["ended_on"] for a in ended} == {"2026-05-20"}


def test_update_from_unreachable_url_times_out_cleanly(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = "http://127.0.0.1:9/participatingAgencies.xlsx"
    code, out = run("update", "--from", url, "--db", str(db))
    assert code == 2 and "loopback, private or link-local" in out  # refused before any connection
    monkeypatch.setenv("SHAREMAP_ALLOW_PRIVATE_URLS", "1")
    code, out = run("update", "--from", url, "--db", str(db))
    assert code == 2 and "download failed" in out


def test_update_from_url_on_loopback(db: Path, lists_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHAREMAP_ALLOW_PRIVATE_URLS", "1")
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # keep stderr clean for --json
            pass

    handler = functools.partial(Quiet, directory=str(lists_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/participatingAgencies09222025pm.xlsx"
        code, out = run("update", "--from", url, "--db", str(db), "--json")
    finally:
        server.shutdown()
    assert code == 0, out
    data = json.loads(out)
    assert data["already_present"] == ["participatingAgencies09222025pm.xlsx"]


def test_build_json_and_export(tmp_path: Path) -> None:
    db = tmp_path / "built.duckdb"
    code, out = run("build", "--db", str(db), "--json")
    assert code == 0
    report = json.loads(out)
    assert report["agreements"] == 2076 and report["active"] == 1843
    assert report["sharing"]["portal_snapshots"] == 691 + 516 and report["sharing"]["sharing_edges"] > 40_000
    code, out = run("export", "--db", str(db), "--out", str(tmp_path / "x"), "--format", "csv")
    assert code == 0 and (tmp_path / "x" / "agreements.csv").exists()


def test_changes_since_2026_lists_maryland_ends_and_renames(db: Path, tmp_path: Path) -> None:
    code, out = run("changes", "--since", "2026-01-01", "--until", "2026-05-18", "--db", str(db), "--json")
    assert code == 0, out
    data = json.loads(out)
    md = [c for c in data["changes"] if c["state"] == "MD" and c["kind"] == "ended"]
    assert len(md) == 9 and {c["date"] for c in md} >= {"2026-02-17", "2026-02-27", "2026-05-18"}
    renamed = [c for c in data["changes"] if c["kind"] == "renamed"]
    assert any("Dogulas" in c["detail"] for c in renamed)
    feed = tmp_path / "md.atom"
    args = ["--since", "2026-01-01", "--state", "Maryland", "--format", "atom", "-o", str(feed)]
    code, out = run("changes", *args, "--db", str(db))
    assert code == 0 and feed.read_text().count("<entry>") == 12
    code, out = run("changes", "--since", "2026-01-01", "--format", "xml", "--db", str(db))
    assert code == 2 and "table, json, csv or atom" in out


def test_a_county_count_agrees_with_the_web_page_and_the_report(db: Path) -> None:
    # Harris County, TX: one local agreement and four of statewide agencies, as the web page counts them
    harris = [
        "agreements",
        "--county",
        "Harris County, TX",
        "--as-of",
        "2026-05-18",
        "--db",
        str(db),
        "--json",
    ]
    code, out = run(*harris)
    assert code == 0 and len(json.loads(out)["agreements"]) == 5
    code, out = run(*harris, "--local-only")
    assert len(json.loads(out)["agreements"]) == 1


def test_stats_as_of_answers_for_that_day(db: Path) -> None:
    # issue 15.3: `stats --as-of 2025-06-30` printed the same history as `stats`
    code, now = run("stats", "--db", str(db))
    code_then, then = run("stats", "--as-of", "2025-06-30", "--db", str(db))
    assert code == code_then == 0 and now != then
    assert "945 participating and 312 pending list snapshots" in " ".join(now.split())
    assert "739 participating and 104 pending list snapshots" in " ".join(then.split())
    code, out = run("stats", "--as-of", "2025-06-30", "--db", str(db), "--json")
    data = json.loads(out)
    assert (data["agreements_ever_listed"], data["ended"], data["pending_list_date"]) == (
        778,
        23,
        "2025-06-30",
    )
    code, out = run("stats", "--by", "quarter", "--as-of", "2025-06-30", "--db", str(db), "--json")
    rows = json.loads(out)
    assert rows[-1]["quarter"] == "2025Q2" and rows[-1]["total"] == 736


def test_agreements_options_name_places_as_people_write_them(db: Path) -> None:
    base = ["agreements", "--as-of", "2026-05-18", "--db", str(db), "--json"]
    code, out = run(*base, "--county", "Harris County TX")
    assert code == 0 and json.loads(out)["coverage"]["count"] == 5
    code, out = run(*base, "--state", "Texas")
    texas = json.loads(out)["agreements"]
    code, out = run(*base, "--state", "tx")
    assert code == 0 and len(texas) == len(json.loads(out)["agreements"]) > 300
    # Florida: the Department of Corrections' statewide JEM agreement does not cover a county jail
    code, out = run(*base, "--county", "Lee County, FL")
    lee = json.loads(out)
    assert lee["coverage"]["statewide"] == 11
    assert "Florida Department of Corrections" not in {a["agency_name"] for a in lee["agreements"]}
    code, out = run(*base, "--county", "Harris County, TX", "--state", "OK")
    assert code != 0 and "is not in OK" in out
    code, out = run("agreements", "--all", "--as-of", "2026-05-18", "--db", str(db))
    assert code != 0 and "--all and --as-of" in out
    code, out = run(
        "agreements", "--county", "Harris County TX", "--model", "TFM", "--all", "--db", str(db), "--json"
    )
    assert code == 0 and {a["model"] for a in json.loads(out)["agreements"]} == {"task_force_model"}
