"""The one place resolver: what a person types -> the state, county or agency they mean, ranked."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from sharemap.errors import InputError, NotFoundError
from sharemap.kb.model import Model287g
from sharemap.ledger import geo, query
from sharemap.ledger.place import NATION, Resolver, county_place, place_from, place_of, state_place


@pytest.fixture(scope="module")
def resolver(ledger_db: Path) -> Resolver:
    con = duckdb.connect(str(ledger_db), read_only=True)
    try:
        return Resolver.from_ledger(con)
    finally:
        con.close()


@pytest.mark.parametrize(
    ("query_text", "label"),
    [
        ("cook county", "Cook County, IL"),
        ("Cook County", "Cook County, IL"),
        ("cook county il", "Cook County, IL"),
        ("cook", "Cook County, IL"),
        ("Harris County TX", "Harris County, TX"),
        ("harris county, tx", "Harris County, TX"),
        ("harris county texas", "Harris County, TX"),
        ("harris", "Harris County, TX"),
        ("48201", "Harris County, TX"),
        ("Texas", "Texas"),
        ("tx", "Texas"),
        ("washington", "Washington"),  # the state (7.7 million) before Washington County, OR
        ("Harris Co", "Harris County, TX"),  # 'Co' is the unit word here, not Colorado
        ("Miami-Dade", "Miami-Dade County, FL"),
        ("Harris County Sheriff's Office", "Harris County Sheriff's Office (GA)"),
    ],
)
def test_queries_decide_the_place_a_person_means(resolver: Resolver, query_text: str, label: str) -> None:
    found = resolver.search(query_text)
    assert found.place is not None, found.candidates
    assert found.place.label == label
    assert found.candidates[0].place == found.place


def test_exact_matches_rank_by_population(resolver: Resolver) -> None:
    cook = resolver.search("cook").candidates
    assert [c.place.label for c in cook[:3]] == ["Cook County, IL", "Cook County, GA", "Cook County, MN"]
    assert all(c.exact for c in cook[:3])
    harris = resolver.search("harris county").candidates
    assert [c.place.label for c in harris[:2]] == ["Harris County, TX", "Harris County, GA"]
    assert harris[0].population and harris[0].population > 4_000_000


def test_an_ambiguous_name_returns_the_candidates(resolver: Resolver) -> None:
    found = resolver.search("jefferson")
    assert found.place is None and found.ambiguous
    labels = [c.place.label for c in found.candidates]
    assert labels[:2] == ["Jefferson County, KY", "Jefferson County, AL"]  # 777,000 and 670,000 people
    expected = r"may mean \d+ places: Jefferson County, KY; Jefferson County, AL"
    with pytest.raises(NotFoundError, match=expected):
        resolver.resolve("jefferson")


def test_typos_are_offered_not_silently_taken(resolver: Resolver) -> None:
    agency = resolver.search("Canadian Conty Sherif Office")
    assert agency.place is None
    assert agency.candidates[0].place.label == "Canadian County Sheriff's Office (OK)"
    assert not agency.candidates[0].exact
    county = resolver.search("hariss county")
    assert county.place is None and county.candidates[0].place.label == "Harris County, TX"
    state = resolver.search("pennsylvnia")
    assert state.candidates[0].place == state_place("PA")


def test_nothing_found(resolver: Resolver) -> None:
    assert resolver.search("   ").candidates == ()
    with pytest.raises(NotFoundError, match="no place named 'zzzzqqq'"):
        resolver.resolve("zzzzqqq")


def test_kinds_limit_the_answer(resolver: Resolver) -> None:
    with pytest.raises(NotFoundError, match="Texas County, MO; Texas County, OK"):  # 25,000 and 20,000
        resolver.resolve("Texas", kinds=("county",))
    agencies = resolver.search("harris", kinds=("agency",)).candidates
    assert agencies[0].place.label == "Harris County Sheriff's Office (GA)"
    assert {c.place.kind for c in agencies} == {"agency"}


def test_suggestions_as_you_type(resolver: Resolver) -> None:
    assert [c.place.label for c in resolver.suggest("cook c")] == [
        "Cook County, IL",
        "Cook County, GA",
        "Cook County, MN",
    ]
    assert resolver.suggest("harris county t")[0].place.label == "Harris County, TX"
    assert resolver.suggest("tex")[0].place.label == "Texas"
    assert resolver.suggest("") == []


def test_without_the_ledger_states_and_counties_still_resolve() -> None:
    bare = Resolver()
    assert bare.resolve("cook county il") == county_place(geo.county_by_name("17031"))
    assert bare.search("Harris County Sheriff's Office").place is None


def test_cli_and_api_options_name_the_same_places(ledger: duckdb.DuckDBPyConnection) -> None:
    harris = place_from(ledger, county="Harris County TX")
    assert harris == place_of(ledger, "county", "48201") == county_place(geo.county_by_name("48201"))
    assert place_from(ledger, state="Texas") == place_of(ledger, "state", "tx") == state_place("TX")
    assert place_from(ledger, nation=True) is NATION
    agency = place_from(ledger, agency="Canadian County Sheriff's Office", state="OK")
    assert agency.kind == "agency" and agency.county_fips == "40017"
    assert place_of(ledger, "agency", agency.key) == agency
    with pytest.raises(InputError, match="is not in OK"):
        place_from(ledger, county="Harris County, TX", state="OK")
    with pytest.raises(InputError, match="say where"):
        place_from(ledger)


def test_county_by_name_reads_the_same_forms() -> None:
    for text in ("Harris County TX", "harris county, tx", "Harris County Texas", "harris"):
        assert geo.county_by_name(text).fips == "48201"
    with pytest.raises(
        NotFoundError, match="no county 'Hariss County' in TX; did you mean Harris County, TX"
    ):
        geo.county_by_name("Hariss County TX")


# --------------------------------------------------------------------------- coverage


def test_a_county_is_covered_by_its_own_and_statewide_task_force_agreements(
    ledger: duckdb.DuckDBPyConnection,
) -> None:
    day = dt.date(2026, 5, 18)
    cov = query.covering(ledger, place_from(ledger, county="Harris County, TX"), day)
    assert (len(cov.agreements), len(cov.local), len(cov.statewide)) == (5, 1, 4)
    assert all(a.model is Model287g.TFM for a in cov.statewide)
    assert cov.snapshot is not None and cov.snapshot[1] == day
    florida = place_from(ledger, county="Lee County, FL")
    wide = query.agreements(ledger, state="FL", statewide_only=True, as_of=day)
    assert any(a.model is not Model287g.TFM for a in wide)  # a statewide JEM or WSO agreement exists ...
    lee = query.covering(ledger, florida, day)
    ids = {a.agreement_id for a in lee.statewide}
    assert ids == {a.agreement_id for a in wide if a.model is Model287g.TFM}  # ... and does not cover Lee
    local = query.covering(ledger, florida, day, local_only=True)
    assert local.agreements == lee.local and not local.statewide


def test_coverage_before_the_first_list_reads_signing_dates(ledger: duckdb.DuckDBPyConnection) -> None:
    tx = state_place("TX")
    early = query.covering(ledger, tx, dt.date(2019, 6, 30))
    assert early.snapshot is None
    assert all(query.in_force_on(a, dt.date(2019, 6, 30)) for a in early.agreements)
    assert len(query.covering(ledger, tx, dt.date(2026, 5, 18)).agreements) > len(early.agreements)


def test_quarterly_counts_agree_with_coverage(ledger: duckdb.DuckDBPyConnection) -> None:
    harris = place_from(ledger, county="48201")
    labels, series, listed = query.quarterly(ledger, harris)
    last = sum(s[-1] for s in series.values())
    assert last == len(query.covering(ledger, harris, listed[-1]).agreements) == 5
    early_labels, _, _ = query.quarterly(ledger, harris, until=dt.date(2025, 6, 30))
    assert early_labels[-1] == "2025-06-30" and len(early_labels) < len(labels)


def test_the_report_target_is_the_one_place_type() -> None:
    from sharemap.ledger.place import Place
    from sharemap.report import Target

    assert Target is Place
