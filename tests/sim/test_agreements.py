"""The simulator's 287(g) models per county come from the ledger, with the trace's statewide rule."""

from __future__ import annotations

import datetime as dt

import duckdb

from sharemap.kb.model import Agreement, AgreementStatus, Model287g
from sharemap.ledger import query
from sharemap.sim.agreements import CountyAgreements, from_connection
from sharemap.sim.counties import AgencyPlace, agreements_by_county, counties

DAY = dt.date(2025, 12, 31)


def _ledger_counts(con: duckdb.DuckDBPyConnection, day: dt.date) -> dict[str, int]:
    """Counties with each model, straight from the ledger's tables (independent SQL): agencies placed
    in a county, plus every county of a state where a statewide agency holds a Task Force agreement."""
    snap = query.snapshot_as_of(con, day)
    assert snap is not None
    rows = con.execute(
        """
        WITH listed AS (
            SELECT a.model, g.county_fips, g.statewide, g.state
            FROM agreements a JOIN agencies g USING (agency_id)
            WHERE a.agreement_id IN (SELECT agreement_id FROM agreement_snapshots WHERE snapshot_id = ?)
        ), hits AS (
            SELECT model, county_fips AS fips FROM listed WHERE county_fips IS NOT NULL
            UNION
            SELECT l.model, c.fips FROM listed l JOIN counties c ON c.state = l.state
            WHERE l.county_fips IS NULL AND l.statewide AND l.model = 'task_force_model'
        )
        SELECT model, count(DISTINCT fips) FROM hits
        WHERE fips IN (SELECT fips FROM counties WHERE population IS NOT NULL AND population > 0)
        GROUP BY model
        """,
        [snap[0]],
    ).fetchall()
    return {Model287g(m).short: n for m, n in rows}


def test_counties_with_each_model_match_the_ledger(
    ledger: duckdb.DuckDBPyConnection, county_agreements: CountyAgreements
) -> None:
    expected = _ledger_counts(ledger, DAY)
    assert county_agreements.counties_with() == {m: expected.get(m, 0) for m in ("JEM", "TFM", "WSO")}
    assert county_agreements.list_date is not None and county_agreements.list_date <= DAY
    assert county_agreements.agreements == len(query.agreements(ledger, as_of=DAY))
    # Collier (FL) has a Jail Enforcement agreement on ICE's list; Cook (IL) has none
    assert "JEM" in county_agreements.models["12021"]
    assert "17031" not in county_agreements.models


def test_latest_list_is_the_default(ledger: duckdb.DuckDBPyConnection) -> None:
    latest = from_connection(ledger, None)
    snap = query.snapshot_as_of(ledger, dt.date.max)
    assert snap is not None and latest.list_date == snap[1] and latest.snapshot_id == snap[0]
    before_any = from_connection(ledger, dt.date(2000, 1, 1))
    assert before_any.list_date is None and not before_any.models


def _agreement(agency: str, model: Model287g, state: str) -> Agreement:
    day = dt.date(2025, 1, 1)
    return Agreement(
        agreement_id=f"{agency}:{model.value}",
        agency_id=agency,
        agency_name=agency,
        state=state,
        model=model,
        signed=day,
        status=AgreementStatus.ACTIVE,
        first_seen=day,
        last_seen=day,
    )


def test_statewide_task_force_counts_everywhere_in_the_state_jail_models_do_not() -> None:
    places = {
        "sheriff": AgencyPlace("12021", False, "FL"),
        "patrol": AgencyPlace(None, True, "FL"),
        "nowhere": AgencyPlace(None, False, "FL"),
    }
    found = [
        _agreement("sheriff", Model287g.JEM, "FL"),
        _agreement("patrol", Model287g.TFM, "FL"),
        _agreement("patrol", Model287g.WSO, "FL"),
        _agreement("nowhere", Model287g.JEM, "FL"),
    ]
    out = agreements_by_county(found, places, {"12021": "FL", "12086": "FL", "13001": "GA"})
    assert out == {"12021": {"JEM", "TFM"}, "12086": {"TFM"}}


def test_counties_come_from_the_geography_layer() -> None:
    from sharemap.ledger import geo

    table = counties()
    with_pop = [c for c in geo.counties() if c.population]
    assert list(table.fips) == [c.fips for c in with_pop]
    assert int(table.population.sum()) == sum(c.population or 0 for c in with_pop)
    # missing foreign-born shares are imputed, never left empty
    assert table.foreign_born_imputed.sum() == sum(c.foreign_born_pct is None for c in with_pop)
    assert not (table.foreign_born_share != table.foreign_born_share).any()
