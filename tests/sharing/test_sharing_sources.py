"""Issue 16, second part: the held-out resolution sample, the national workbook, the own-search
audits, `update --from` for portal snapshots, the database as the source of answers, agency pages
and the map layer."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from sharemap import settings
from sharemap.cli.app import app
from sharemap.errors import InputError
from sharemap.sharing import resolve, reviews
from sharemap.sharing.store import data_version, shipped_registry, write_database

REF = settings.reference_dir() / "alpr"
NATIONAL = REF / "flock-portals" / "national-2025-06-11" / "flock_all_public_6-11-2025.xlsx"
SEARCHES = REF / "ca-portal-search-audits" / "ca_portal_search_audits_2026-02_to_04.csv"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "sharing"
runner = CliRunner()


def _accuracy(sample: str) -> tuple[float, float, list[str]]:
    rows = list(csv.DictReader((FIXTURES / sample).open(encoding="utf-8")))
    registry = shipped_registry()
    got = [(r, resolve(r["name"], registry)) for r in rows]
    state = sum((o.state or "unknown") == r["state"] for r, o in got) / len(rows)
    kind = sum(o.kind.value == r["kind"] for r, o in got) / len(rows)
    wrong = [r["name"] for r, o in got if o.state is not None and o.state != r["state"]]
    return state, kind, wrong


def test_the_held_out_sample_is_disjoint_from_the_tuning_sample_and_large_enough() -> None:
    tuning = {r["name"] for r in csv.DictReader((FIXTURES / "labelled_orgs.csv").open(encoding="utf-8"))}
    held = list(csv.DictReader((FIXTURES / "heldout_labelled.csv").open(encoding="utf-8")))
    assert len(held) >= 300 and not tuning & {r["name"] for r in held}
    assert {r["source"].split(":")[0] for r in held} == {
        "santa-clara",
        "ca-search-audits",
        "sm-alpr",
        "national-2025-06-11",
    }


def test_resolution_on_the_held_out_sample_meets_the_goal() -> None:
    """Measured, not tuned on (docs/sharing.md): state >= 98% and never a wrong state; kind >= 95%."""
    state, kind, wrong = _accuracy("heldout_labelled.csv")
    assert state >= 0.98 and wrong == []
    assert kind >= 0.95


def test_resolution_kinds_on_the_tuning_sample_after_the_second_round() -> None:
    state, kind, wrong = _accuracy("labelled_orgs.csv")
    assert state >= 0.97 and len(wrong) <= 1 and kind >= 0.97


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Marina CA PD", "police"),  # a city, not a marina business
        ("Glen Cove Marina (CA)", "private"),
        ("TX - Ice Cream PD", "police"),  # "Ice" is not ICE
        ("Lake County DA CA", "prosecutor"),
        ("Chickasaw Nation Lighthorse OK PD", "tribal"),
        ("Rohnert Park Department of Public Safety (CA)", "police"),  # a city DPS, not a state agency
    ],
)
def test_second_round_kind_rules(name: str, kind: str) -> None:
    assert resolve(name).kind.value == kind


def test_the_national_workbook_gives_one_snapshot_per_portal_on_2025_06_11() -> None:
    from sharemap.sharing.workbook import read_workbook

    snaps = read_workbook(NATIONAL, shipped_registry())
    assert len(snaps) == 516 and {s.date for s in snaps} == {dt.date(2025, 6, 11)}
    merced = next(s for s in snaps if s.slug == "merced-county-ca-so")
    assert merced.state == "CA" and "Alameda CA PD" in merced.outbound and merced.inbound == ()
    assert "flock_all_public_6-11-2025.xlsx#master!row" in merced.source
    statement = [s for s in snaps if "a statement, not a list" in s.source]
    assert statement and all(s.outbound == () for s in statement)  # a sentence is not read as names


def test_a_workbook_of_another_layout_names_the_file_and_the_missing_column(tmp_path: Path) -> None:
    import openpyxl

    from sharemap.sharing.workbook import read_workbook

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "master"
    sheet.append(["Agency Name", "Transparency URL", "Sharing"])
    sheet.append(["X PD", "https://transparency.flocksafety.com/x-pd", "Y PD"])
    f = tmp_path / "flock_6-11-2025.xlsx"
    book.save(f)
    with pytest.raises(InputError, match="has no column 'External organizations with access'") as err:
        read_workbook(f)
    assert str(f) in str(err.value)
    f.write_text("<html>not a workbook</html>")
    with pytest.raises(InputError, match="not a readable workbook"):
        read_workbook(f)


def test_own_search_audits_are_kept_as_counts_without_reason_text() -> None:
    from sharemap.sharing.search_audits import read_search_audits, totals

    rows = read_search_audits(SEARCHES)
    t = totals(rows)
    assert t["portals"] == 78 and t["searches"] == 54_977 and t["immigration_named"] == 0
    assert t["federal_named"]["USMS"] >= 100  # reasons naming the US Marshals Service
    res = runner.invoke(app, ["sharing", "searches", "--json"])
    assert res.exit_code == 0, res.output
    reasons = {r["reason"] for r in csv.DictReader(SEARCHES.open(encoding="utf-8")) if len(r["reason"]) > 12}
    assert not any(reason in res.stdout for reason in reasons)  # no reason text reaches the output
    assert "userId" not in res.stdout and json.loads(res.stdout)["totals"] == t


def _portal(folder: Path, slug: str, day: str, outbound: list[str]) -> Path:
    f = folder / slug / f"{day}.json"
    f.parent.mkdir(parents=True, exist_ok=True)
    data = {"crawled_slug": slug, "crawled_name": "El Cajon PD ( CA)", "archived_date": day}
    f.write_text(json.dumps({**data, "sharing_outbound": outbound, "sharing_inbound": []}))
    return f


def test_update_from_adds_portal_snapshots_atomically_and_answers_use_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHAREMAP_HOME", str(tmp_path))
    monkeypatch.delenv("SHAREMAP_DB", raising=False)
    db = tmp_path / "sharemap.duckdb"
    write_database(db)
    assert data_version() != "shipped"  # a database with the sharing tables is the source now
    new = tmp_path / "new"
    _portal(new, "-el-cajon-pd-ca", "2026-05-01", ["Anaheim CA PD", "Houston TX PD", "U.S. Border Patrol"])
    bad = _portal(new, "-el-cajon-pd-ca", "2026-05-08", [])  # an empty list: refused, nothing added
    res = runner.invoke(app, ["update", "--from", str(new)])
    assert res.exit_code == 2 and "sharing lists are empty" in res.output and str(bad) in res.output
    assert not (tmp_path / "portals" / "-el-cajon-pd-ca").exists()
    bad.unlink()
    res = runner.invoke(app, ["update", "--from", str(new), "--json"])
    assert res.exit_code == 0, res.output
    assert [a["date"] for a in json.loads(res.stdout)["added"]] == ["2026-05-01"]
    assert (tmp_path / "portals" / "-el-cajon-pd-ca" / "2026-05-01.json").is_file()
    (review,) = reviews(agency="El Cajon", as_of=dt.date(2026, 5, 2))
    assert review.snapshot.date == dt.date(2026, 5, 1) and {f.rule for f in review.findings} >= {
        "out_of_state_sharing",
        "federal_sharing",
    }
    con = duckdb.connect(str(db), read_only=True)
    (first, last) = con.execute(
        "SELECT first_seen, last_seen FROM sharing_edges"
        " WHERE slug = '-el-cajon-pd-ca' AND org = 'Anaheim CA PD'"
    ).fetchone()  # type: ignore[misc]
    con.close()
    assert first < dt.date(2026, 5, 1) == last
    again = runner.invoke(app, ["sharing", "update", "--from", str(new), "--json"])
    assert again.exit_code == 0 and json.loads(again.stdout)["added"] == []  # already present
    write_database(db)  # a rebuilt database gets the kept snapshot back
    assert reviews(agency="El Cajon", as_of=dt.date(2026, 5, 2))[0].snapshot.date == dt.date(2026, 5, 1)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<!DOCTYPE html><html><body>Portal</body></html>", "an HTML page"),
        (b'{"crawled_slug": "x", "crawled_name": "X PD"}', "missing archived_date"),
    ],
)
def test_update_from_refuses_bad_portal_files(tmp_path: Path, content: bytes, message: str) -> None:
    from sharemap.sharing.update import add_snapshots

    f = tmp_path / "2026-05-01.json"
    f.write_bytes(content)
    with pytest.raises(InputError, match=message):
        add_snapshots(f, tmp_path / "db.duckdb", keep=tmp_path / "portals")
    assert not (tmp_path / "db.duckdb").exists() and not (tmp_path / "portals").exists()


def test_agency_page_context_and_include(tmp_path: Path) -> None:
    import jinja2

    from sharemap.sharing.pages import agency_context, agency_key

    assert agency_key("El Cajon Police Department", "CA") == agency_key("El Cajon PD (CA)", "CA")
    assert agency_key("San Diego County Sheriff's Department", "CA") == agency_key(
        "San Diego County CA SD", "CA"
    )
    day = dt.date(2026, 4, 30)
    sh = agency_context("El Cajon Police Department", "CA", day)
    (p,) = sh["portals"]
    assert p["date"] == "2026-04-22" and 340 <= p["by_class"]["out_of_state"] <= 370
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(settings.PACKAGE_DIR) / "web" / "templates"), autoescape=True
    )
    # the template's words are message keys since the Spanish pages (issue 15): render them in English
    words = json.loads((Path(settings.PACKAGE_DIR) / "web" / "messages" / "en.json").read_text())
    env.globals["t"] = lambda key: words.get(key, key)
    html = env.get_template("_sharing_agency.html").render(sh=sh, lang="en")
    assert "1798.90.55(b)" in html and "portal of <time" in html
    none = agency_context("Harris County Sheriff's Office", "TX", day)
    assert none["portals"] == [] and "No public plate-reader portal" in none["none"]


def test_map_layer_by_county_and_state() -> None:
    from sharemap.sharing.pages import map_layer

    day = dt.date(2026, 4, 30)
    county = map_layer(day, "county", "CA")
    san_diego = county["areas"]["06073"]
    assert san_diego["sharing_out_of_state"] >= 1 and any(
        a["agency"] == "El Cajon PD (CA)" for a in san_diego["agencies"]
    )
    states = map_layer(day)["areas"]
    assert states["CA"]["portals"] > 100 and "WY" not in states  # no data is absent, not "no sharing"
    with pytest.raises(ValueError, match="level"):
        map_layer(day, "city")


def test_reference_folder_copy_is_not_needed_for_kept_snapshots(tmp_path: Path) -> None:
    from sharemap.sharing.store import kept_snapshots

    assert kept_snapshots(tmp_path / "none") == []
    src = REF / "flock-portals" / "sm-alpr" / "-el-cajon-pd-ca" / "2026-04-22.json"
    (tmp_path / "k" / "-el-cajon-pd-ca").mkdir(parents=True)
    shutil.copyfile(src, tmp_path / "k" / "-el-cajon-pd-ca" / "2026-04-22.json")
    (kept,) = kept_snapshots(tmp_path / "k")
    assert kept.date == dt.date(2026, 4, 22) and len(kept.outbound) == 683
