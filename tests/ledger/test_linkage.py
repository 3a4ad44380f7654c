"""One agreement through ICE's renames: the real pairs are linked, look-alikes stay apart."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from sharemap.errors import InputError
from sharemap.kb.model import Model287g
from sharemap.ledger import query
from sharemap.ledger.linkage import Decision, Listing, link, load_decisions

D = dt.date


def _listed(con: duckdb.DuckDBPyConnection, name: str, state: str) -> list[tuple[object, ...]]:
    return con.execute(
        "SELECT model_short, signed, first_seen, last_seen, status FROM agreements "
        "WHERE list_contains(listed_as, ?) AND state = ? ORDER BY model_short",
        [name, state],
    ).fetchall()


def test_typo_fixes_are_one_agreement(ledger: duckdb.DuckDBPyConnection) -> None:
    # "Macro Island" was listed from 2025-04-29; ICE fixed the spelling on 2025-05-16
    (marco,) = _listed(ledger, "Macro Island Police Department", "FL")
    assert marco == ("TFM", D(2025, 4, 24), D(2025, 4, 29), D(2026, 5, 18), "active")
    # three Dimmit County agreements under "Dimmit Couny", each continued under the fixed name
    dimmit = _listed(ledger, "Dimmit Couny Sheriff's Office", "TX")
    assert [(m, first, status) for m, _, first, _, status in dimmit] == [
        ("JEM", D(2025, 12, 10), "active"),
        ("TFM", D(2025, 12, 10), "active"),
        ("WSO", D(2025, 12, 10), "active"),
    ]


def test_office_and_department_are_one_sheriff(ledger: duckdb.DuckDBPyConnection) -> None:
    ag = query.find_agency(ledger, "Waukesha County Sheriff's Office", "WI")
    assert set(ag.name_variants) == {
        "Waukesha County Sheriff's Office",
        "Waukesha County Sheriff's Department",
    }
    detail = query.agency_history(ledger, ag.agency_id)
    jem = next(a for a in detail["agreements"] if a.model is Model287g.JEM)
    # the 2020 JEM never stopped: it did not "end" in 2025 when ICE changed the name
    assert (jem.first_seen, jem.status.value) == (D(2021, 1, 13), "active")
    (rename,) = [r for r in detail["renames"] if r["model"] == "JEM"]
    assert rename["decided_by"] == "rules" and rename["same_agency"]
    assert any("same MOA document" in e for e in rename["evidence"])


def test_ends_are_counted_without_renames(ledger: duckdb.DuckDBPyConnection) -> None:
    summary = query.national_summary(ledger)
    assert (summary["ended"], summary["renamed"]) == (113, 76)  # 189 ends before names were linked
    assert summary["agreements_in_force"] == 1843  # unchanged: ICE's own count of its newest list


def test_real_ends_stay_ended(ledger: duckdb.DuckDBPyConnection) -> None:
    for name in ("Cobb County Sheriff's Office", "Gwinnett County Sheriff's Office"):
        ((_, _, _, last, status),) = _listed(ledger, name, "GA")
        assert (last, status) == (D(2021, 1, 13), "ended")
    # Maryland's eight agreements in force at the end of 2025 all ended after its 2026 law
    md = query.agreements(ledger, state="MD", as_of=D(2025, 12, 31))
    assert len(md) == 8 and {a.status.value for a in md} == {"ended"}
    assert all(a.ended_on and a.ended_on >= D(2026, 2, 17) for a in md)
    assert not query.agreements(ledger, state="MD")


def test_look_alikes_stay_apart(ledger: duckdb.DuckDBPyConnection) -> None:
    pairs = {(r["older_name"], r["newer_name"]): r for r in query.agency_links(ledger, same=None)}
    for older, newer in [
        ("City of Melbourne Police Department", "Melbourne Beach Police Department"),
        ("City of Melbourne Police Department", "West Melbourne Police Department"),
        ("Pinal County Sheriff's Office", "Pinal County Attorney's Office"),
        ("Haskell Police Department", "Haskell County Sheriff's Office"),
        ("Gulf County BOCC", "Gulf County Sheriff's Office"),
    ]:
        assert not pairs[(older, newer)]["same_agreement"], (older, newer, pairs[(older, newer)]["reason"])
    assert pairs[("City of Melbourne Police Department", "Melbourne Police Department")]["same_agreement"]
    assert pairs[("Gulf County BOCC", "Gulf County Sheriff's Office")]["decided_by"] == "review"


def test_a_row_moved_to_the_body_that_holds_it_keeps_the_agencies_apart(
    ledger: duckdb.DuckDBPyConnection,
) -> None:
    # Okaloosa's WSO (one MOA document) was listed under the sheriff, then under the county board
    sheriff = query.find_agency(ledger, "Okaloosa County Sheriff's Office", "FL")
    board = query.find_agency(ledger, "Okaloosa County Board of County Commissioners", "FL")
    assert board.name == "Okaloosa County Board of County Commissioners/ Department of Corrections"
    assert sheriff.agency_id != board.agency_id and sheriff.kind.value == "sheriff"
    assert [a.model for a in query.agreements(ledger, agency_id=sheriff.agency_id)] == [Model287g.TFM]
    wso = [a for a in query.agreements(ledger, agency_id=board.agency_id) if a.model is Model287g.WSO]
    assert len(wso) == 1 and "Okaloosa County Sheriff's Office" in wso[0].listed_as
    assert wso[0].first_seen == D(2025, 2, 26)


def _listing(
    name: str, state: str, first: dt.date, last: dt.date, ended: dt.date | None, **kw: object
) -> Listing:
    from sharemap.ledger.linkage import agency_key

    key = agency_key(state, name)
    values: dict[str, object] = {
        "agreement_id": f"{key}:tfm:2025-03-01",
        "agency_key": key,
        "state": state,
        "name": name,
        "model": Model287g.TFM,
        "signed": D(2025, 3, 1),
        "moa_url": None,
        "first_seen": first,
        "last_seen": last,
        "ended_on": ended,
        "snapshot_count": 10,
    } | kw
    return Listing(**values)  # type: ignore[arg-type]


def test_different_counties_are_never_linked() -> None:
    cobb = _listing("Cobb County Sheriff's Office", "GA", D(2025, 3, 1), D(2025, 4, 1), D(2025, 4, 2))
    hall = _listing("Hall County Sheriff's Office", "GA", D(2025, 4, 2), D(2026, 1, 1), None)
    result = link([cobb, hall])
    assert not result.canonical and not any(x.same for x in result.links)


def test_a_reviewed_decision_forbids_or_forces_a_link() -> None:
    old = _listing("Dimmit Couny Sheriff's Office", "TX", D(2025, 12, 10), D(2025, 12, 12), D(2025, 12, 29))
    new = _listing("Dimmit County Sheriff's Office", "TX", D(2025, 12, 29), D(2026, 5, 18), None)
    assert link([old, new]).canonical == {old.agency_key: new.agency_key, new.agency_key: new.agency_key}
    no = Decision("TX", (old.name, new.name), False, "checked: two offices", D(2026, 12, 3))
    (item,) = link([old, new], [no]).links
    assert (item.same, item.decided_by, item.reason) == (False, "review", "checked: two offices")
    far = _listing("Dimmit County Sheriff's Office", "TX", D(2026, 3, 1), D(2026, 5, 18), None)
    yes = Decision("TX", (old.name, far.name), True, "same office", D(2026, 12, 3))
    assert not link([old, far]).canonical  # too late to be a rename by the rules
    assert link([old, far], [yes]).canonical[old.agency_key] == far.agency_key


def test_malformed_decisions_name_the_entry(tmp_path: Path) -> None:
    bad = tmp_path / "links.yaml"
    bad.write_text("decisions:\n  - state: TX\n    names: [only one]\n    same: true\n    reason: x\n")
    with pytest.raises(InputError, match="decision 1") as err:
        load_decisions(bad)
    assert err.value.file == str(bad)


def test_the_shipped_decisions_are_valid_and_used() -> None:
    decisions = load_decisions()
    assert decisions and all(d.reason and d.reviewed <= D(2026, 12, 3) for d in decisions)
