"""Plate-reader sharing on real portal snapshots and network-audit aggregates, held against the law."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sharemap import settings
from sharemap.cli.app import app
from sharemap.errors import InputError
from sharemap.sharing import OrgKind, Reach, findings, read_snapshot, resolve, review_snapshot, reviews
from sharemap.sharing.orgs import Resolver
from sharemap.sharing.store import shipped_registry, shipped_snapshots

REF = settings.reference_dir() / "alpr"
EL_CAJON = REF / "flock-portals" / "sm-alpr" / "-el-cajon-pd-ca" / "2026-04-22.json"
runner = CliRunner()
HEAD = b'{"crawled_slug": "x", "crawled_name": "X PD", '  # the start of a minimal snapshot


@pytest.mark.parametrize(
    ("name", "kind", "state"),
    [
        ("Houston TX PD", OrgKind.POLICE, "TX"),
        ("Las Vegas Metro Police Department - NV", OrgKind.POLICE, "NV"),
        ("KS - Meade County SO", OrgKind.SHERIFF, "KS"),
        ("Arlington PD (WA)", OrgKind.POLICE, "WA"),
        ("Los Angeles County CA SD", OrgKind.SHERIFF, "CA"),  # SD: sheriff's department, not South Dakota
        ("Rapid City SD PD", OrgKind.POLICE, "SD"),
        ("[Federal] US Postal Inspection Service", OrgKind.FEDERAL, "US"),
        ("Homeland Security Investigations", OrgKind.FEDERAL_IMMIGRATION, "US"),
        ("Arizona Department of Public Safety [Inactive]", OrgKind.STATE_AGENCY, "AZ"),
        ("Albion MI DPS", OrgKind.POLICE, "MI"),
        ("San Jose State University CA", OrgKind.CAMPUS, "CA"),
        ("LA County Sheriff", OrgKind.SHERIFF, None),  # LA here is Los Angeles: no state is read
        ("Washington County SO", OrgKind.SHERIFF, None),  # a county name, not the state
    ],
)
def test_names_resolve_by_the_vendor_conventions(name: str, kind: OrgKind, state: str | None) -> None:
    org = resolve(name)
    assert (org.kind, org.state) == (kind, state)
    if state is None:
        assert "no state" in org.basis
    assert org.inactive is ("[Inactive]" in name)


def test_el_cajon_shares_with_about_350_out_of_state_organisations() -> None:
    registry = shipped_registry()
    review = review_snapshot(read_snapshot(EL_CAJON, registry), Resolver(registry))
    d = review.to_dict()
    assert d["agency"] == "El Cajon PD (CA)" and d["state"] == "CA" and d["date"] == "2026-04-22"
    assert d["outbound"] == 683
    by = d["outbound_by_class"]
    assert 340 <= by["out_of_state"] <= 370 and by["in_state"] > 300
    assert sum(by.values()) + d["outbound_inactive"] == 683
    (finding,) = [f for f in review.findings if f.rule == "out_of_state_sharing"]
    assert any("1798.90.55(b)" in p.citation for p in finding.provisions)
    assert len(finding.orgs) == by["out_of_state"] and "Anaheim CA PD" not in finding.orgs
    assert f"lists {by['out_of_state']} out-of-state organisations among the 683" in finding.text


def test_santa_clara_audit_shows_las_vegas_metro_and_two_federal_searchers() -> None:
    found = [f for f in findings(state="CA") if f.agency == "Santa Clara CA PD"]
    vegas = [f for f in found if f.orgs == ("Las Vegas Metro NV PD",)]
    assert vegas and vegas[0].date == dt.date(2025, 9, 23) and vegas[0].rule == "out_of_state_sharing"
    federal = {f.orgs[0] for f in found if f.rule == "federal_sharing"}
    assert federal == {"[Federal] US Postal Inspection Service", "[Federal] FBI [Inactive]"}
    assert all(any("1798.90.55" in p.citation for p in f.provisions) for f in found)


def test_a_state_without_portal_data_says_so() -> None:
    assert reviews(state="WY") == []
    res = runner.invoke(app, ["sharing", "--state", "WY"])
    assert res.exit_code == 0 and "No public sharing data" in res.stdout


def test_shipped_snapshots_match_the_reference_files() -> None:
    shipped = {(s.slug, s.date): s for s in shipped_snapshots()}
    # 691 sm-alpr snapshots (2026) and, since the national workbook is read, 516 portals of 2025-06-11
    assert len(shipped) == 691 + 516
    assert sum(s.date == dt.date(2025, 6, 11) for s in shipped.values()) == 516
    again = read_snapshot(EL_CAJON)
    assert shipped[(again.slug, again.date)].outbound == again.outbound


def test_portal_inspector_json_touches_no_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHAREMAP_HOME", str(tmp_path))
    res = runner.invoke(app, ["portal", str(EL_CAJON), "--json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert 340 <= d["outbound_by_class"]["out_of_state"] <= 370
    assert d["findings"][0]["provisions"][0]["citation"].startswith("Cal. Civ. Code 1798.90.55(b)")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<!doctype html><html><body>Not found</body></html>", "an HTML page"),
        (b'{"crawled_slug": "x"}', "missing crawled_name"),
        (b"[1, 2]", "not a JSON object"),
        (
            HEAD + b'"archived_date": "2026-13-01", "sharing_outbound": []}',
            "not a date",
        ),
        (
            HEAD + b'"archived_date": "2026-01-01", "sharing_outbound": "a"}',
            "not a list",
        ),
    ],
)
def test_bad_portal_files_get_a_clear_error(tmp_path: Path, content: bytes, message: str) -> None:
    f = tmp_path / "2026-01-01.json"
    f.write_bytes(content)
    with pytest.raises(InputError, match=message) as err:
        read_snapshot(f)
    assert str(f) in str(err.value)
    res = runner.invoke(app, ["portal", str(f)])
    assert res.exit_code == 2 and message in res.output


def test_an_empty_sharing_list_is_stated_not_guessed(tmp_path: Path) -> None:
    f = tmp_path / "2026-01-01.json"
    f.write_text(
        json.dumps(
            {
                "crawled_slug": "x-ca-pd",
                "crawled_name": "X CA PD",
                "archived_date": "2026-01-01",
                "sharing_outbound": [],
            }
        )
    )
    d = review_snapshot(read_snapshot(f)).to_dict()
    assert d["outbound"] == 0 and d["findings"] == [] and d["retention_days"] == "not stated"
    assert d["outbound_by_class"] == {r.value: 0 for r in Reach}


def test_resolution_on_the_hand_labelled_sample() -> None:
    """355 names labelled by hand (tests/fixtures/sharing/README.md): the state is right or left unknown."""
    import csv

    sample = Path(__file__).parents[1] / "fixtures" / "sharing" / "labelled_orgs.csv"
    rows = list(csv.DictReader(sample.open(encoding="utf-8")))
    assert len(rows) >= 300
    registry = shipped_registry()
    got = [(r, resolve(r["name"], registry)) for r in rows]
    state_right = sum((o.state or "unknown") == r["state"] for r, o in got)
    wrong = [r["name"] for r, o in got if o.state is not None and o.state != r["state"]]
    assert state_right / len(rows) >= 0.97
    assert len(wrong) <= 1, wrong  # a name is left unknown rather than placed in the wrong state
    assert sum(o.kind.value == r["kind"] for r, o in got) / len(rows) >= 0.88


def test_the_trace_shows_the_law_and_what_the_portals_show() -> None:
    from sharemap.flows.graph import instantiate
    from sharemap.flows.trace import trace
    from sharemap.ledger import geo
    from sharemap.ledger.place import county_place

    day = dt.date(2026, 4, 30)
    san_diego = trace(instantiate(county_place(geo.county_by_name("06073")), day), "plate_read")
    text = san_diego.summary()
    # the summary names the provision by its citation (it gave the provision id before issue 15.2)
    assert "Closed by law here" in text and "Cal. Civ. Code 1798.90.55(b)" in text
    assert "In practice (plate-reader portals): El Cajon PD (CA)'s portal of 2026-04-22 lists" in text
    hop = next(h for p in san_diego.paths for h in p.hops if h.edge.evidence)
    assert "in practice:" in hop.edge.reason and hop.edge.to_dict()["evidence"]
    wyoming = trace(instantiate("WY", day), "plate_read").summary()
    assert "no public sharing data for WY on or before 2026-04-30" in wyoming


def test_the_sharing_ledger_is_written_to_duckdb_in_one_transaction(tmp_path: Path) -> None:
    import duckdb

    from sharemap.sharing.store import write_database

    db = tmp_path / "sharemap.duckdb"
    counts = write_database(db)
    assert counts["portal_snapshots"] == 691 + 516 and counts["audit_orgs"] == 152  # with the national scrape
    assert write_database(db) == counts  # replacing gives the same tables, not doubled rows
    con = duckdb.connect(str(db), read_only=True)
    (far,) = con.execute(
        "SELECT count(*) FROM sharing_edges WHERE slug = '-el-cajon-pd-ca' AND direction = 'outbound'"
        " AND reach = 'out_of_state' AND NOT inactive AND last_seen = DATE '2026-04-22'"
    ).fetchone()  # type: ignore[misc]
    assert 340 <= far <= 370
    (last,) = con.execute(
        "SELECT last FROM audit_orgs WHERE org = 'Las Vegas Metro NV PD' AND reach = 'out_of_state'"
    ).fetchone()  # type: ignore[misc]
    assert last == dt.date(2025, 9, 23)
    con.close()


def test_sharing_by_county_through_the_cli() -> None:
    res = runner.invoke(
        app, ["sharing", "--county", "San Diego County, CA", "--as-of", "2026-04-30", "--json"]
    )
    assert res.exit_code == 0, res.output
    agencies = {d["agency"] for d in json.loads(res.stdout)}
    assert "El Cajon PD (CA)" in agencies and all("Los Angeles" not in a for a in agencies)
    text = runner.invoke(app, ["sharing", "--county", "San Diego County, CA", "--as-of", "2026-04-30"]).stdout
    assert "El Cajon PD (CA), portal of 2026-04-22" in text
    assert runner.invoke(app, ["sharing"]).exit_code == 2
