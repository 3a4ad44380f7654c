"""`sharemap trace`: every path by which identity data from an encounter reaches ICE, here and now.

This is the edge where the ledger database is opened; the graph and the trace are pure functions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import typer

from sharemap.cli.common import JsonOption, command, console, err_console, parse_date, print_json, table
from sharemap.errors import InputError, StoreError
from sharemap.flows.graph import (
    CachedRules,
    EdgeStatus,
    Place,
    PlaceGraph,
    agreements_for_county,
    instantiate,
)
from sharemap.flows.render import dot, matrix, mermaid
from sharemap.flows.trace import Trace, format_seconds
from sharemap.flows.trace import compare as compare_traces
from sharemap.flows.trace import trace as run_trace
from sharemap.kb.facts import Encounter
from sharemap.kb.load import load_kb
from sharemap.kb.model import Agreement, AgreementStatus, Model287g


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    MERMAID = "mermaid"
    DOT = "dot"
    MATRIX = "matrix"


STATUS_MARK = {
    EdgeStatus.OPEN: "[green]open[/]",
    EdgeStatus.CONDITIONAL: "[yellow]conditional[/]",
    EdgeStatus.CLOSED_BY_LAW: "[red]closed by law[/]",
    EdgeStatus.UNKNOWN: "[dim]unknown[/]",
    EdgeStatus.INACTIVE: "[dim]not in place[/]",
}


def register(app: typer.Typer) -> None:
    app.command("trace")(trace_cmd)


@dataclass(frozen=True)
class _Resolved:
    place: Place
    agreements: tuple[Agreement, ...]
    note: str


def _resolve(
    county: str | None,
    agency: str | None,
    state: str | None,
    day: dt.date,
    db: Path | None,
    use_ledger: bool,
) -> _Resolved:
    from sharemap.ledger import geo

    if county is None and agency is None and state is None:
        raise InputError(
            "say where", field="--county/--agency/--state", expected='e.g. --county "Harris County, TX"'
        )
    if county is not None:
        c = geo.county_by_name(county)
        place = Place(state=c.state, county_fips=c.fips, name=c.label)
    elif agency is None:
        st = geo.state_code(state or "")
        place = Place(state=st, name=st)
    else:
        place = Place(state=geo.state_code(state) if state else "", agency=agency)
    if not use_ledger:
        if place.agency:
            raise InputError("--agency needs the ledger", field="--no-ledger", expected="drop --no-ledger")
        return _Resolved(place, (), "ledger not used: no 287(g) agreements assumed")
    from sharemap.ledger import query, store
    from sharemap.ledger.freshness import freshness

    try:
        with store.connect(db) as con:
            if place.agency:
                ag = query.find_agency(con, place.agency, state)
                place = Place(state=ag.state, county_fips=ag.county_fips, name=ag.county_name, agency=ag.name)
                found = query.agreements(con, agency_id=ag.agency_id, as_of=day)
                if not found and query.snapshot_as_of(con, day) is None:
                    found = query.agreements(con, agency_id=ag.agency_id, include_inactive=True)
            elif place.county_fips:
                listed = query.snapshot_as_of(con, day) is not None
                when = day if listed else None
                local = query.agreements(
                    con, county_fips=place.county_fips, as_of=when, include_inactive=not listed
                )
                with_state = query.agreements(
                    con,
                    county_fips=place.county_fips,
                    include_statewide=True,
                    as_of=when,
                    include_inactive=not listed,
                )
                local_ids = {a.agreement_id for a in local}
                statewide = [a for a in with_state if a.agreement_id not in local_ids]
                found = list(agreements_for_county(local, statewide))
            else:
                found = []
            fresh = freshness(con, day, place.state)
    except StoreError as exc:
        raise StoreError(
            exc.message, file=exc.file, expected="run `sharemap build` first, or pass --no-ledger"
        ) from exc
    note = (
        f"agreements from the {fresh.note}" + (f"; {fresh.warning}" if fresh.warning else "")
        if fresh.list_date
        else f"{fresh.note}: agreements inferred from signed dates"
    )
    return _Resolved(place, tuple(found), note)


def _hypothetical(place: Place, model: Model287g, day: dt.date) -> Agreement:
    who = (
        f"{place.agency} (hypothetical)" if place.agency else f"Hypothetical sheriff's office, {place.label}"
    )
    return Agreement(
        agreement_id=f"hypothetical-{model.short}",
        agency_id="hypothetical",
        agency_name=who,
        state=place.state,
        model=model,
        signed=day,
        status=AgreementStatus.ACTIVE,
        first_seen=day,
        last_seen=day,
    )


def _print_trace(t: Trace, note: str) -> None:
    rows = []
    for p in t.paths:
        systems = " → ".join(s.removeprefix("sys.") for s in p.systems())
        systems += "\n[dim]" + " > ".join(c.removeprefix("chan.") for c in p.channels) + "[/]"
        elements = ", ".join(e.removeprefix("de.") for e in p.elements)
        lat = format_seconds(p.latency_seconds) if p.latency_seconds else "—"
        if p.unknown_latency:
            lat += f" + {len(p.unknown_latency)} hop(s) not disclosed"
        decline = {True: "yes", False: "no", None: "?"}[p.local_can_decline]
        rows.append([STATUS_MARK[p.status], systems, elements, lat, decline, p.reason])
    console.print(
        table(
            f"{t.encounter.value} — {t.place.label} — {t.date.isoformat()}",
            ["status", "path", "data reaching ICE", "latency (known)", "local can decline", "why"],
            rows,
        )
    )
    if t.agreements:
        console.print("287(g) agreements in force: " + "; ".join(t.agreements), highlight=False)
    console.print(f"[dim]{note}[/]", highlight=False)
    console.print(t.summary(), highlight=False, soft_wrap=False)


def _print_matrix(g: PlaceGraph, t: Trace) -> None:
    chans = list(dict.fromkeys(c for p in t.paths for c in p.channels))
    m = matrix(g.kb, g, channels=chans)
    cols = ["data element", *[c.removeprefix("chan.") for c in m.channels]]
    rows = [[el.removeprefix("de."), *[m.cells.get((el, c), "") for c in m.channels]] for el in m.elements]
    console.print(table(f"data element × channel — {t.encounter.value} — {t.place.label}", cols, rows))
    console.print(
        "status: " + "; ".join(f"{c.removeprefix('chan.')}={s.value}" for c, s in m.status.items() if s),
        highlight=False,
    )


@command
def trace_cmd(
    county: str | None = typer.Option(None, "--county", help='A county: "Harris County, TX" or a FIPS code.'),
    agency: str | None = typer.Option(None, "--agency", help="An agency on ICE's 287(g) lists."),
    state: str | None = typer.Option(None, "--state", help="A state (alone, or to pick an agency)."),
    event: Encounter = typer.Option(Encounter.BOOKING, "--event", help="The encounter to trace."),
    date: str | None = typer.Option(None, "--date", help="YYYY-MM-DD (default: today)."),
    fmt: Format = typer.Option(Format.TABLE, "--format", help="table, json, mermaid, dot or matrix."),
    compare: str | None = typer.Option(
        None, "--compare", help="Compare with a date (YYYY-MM-DD) or a county (name or FIPS)."
    ),
    compare_county: str | None = typer.Option(None, "--compare-county", help="Compare with this county."),
    compare_agency: str | None = typer.Option(None, "--compare-agency", help="Compare with this agency."),
    compare_date: str | None = typer.Option(None, "--compare-date", help="Compare with this date."),
    compare_with_model: str | None = typer.Option(
        None, "--compare-with-model", help="Compare with the same place after signing JEM, TFM or WSO."
    ),
    no_ledger: bool = typer.Option(
        False, "--no-ledger", help="Do not open the ledger; assume no agreements."
    ),
    db: Path | None = typer.Option(None, "--db", help="Ledger DuckDB file."),
    json: bool = JsonOption,
) -> None:
    """Trace every path by which data from an encounter reaches ICE, with the law's ruling on each hop.

    Examples: sharemap trace --county "Harris County, TX" --event booking;
    sharemap trace --state MD --event jail_release --date 2026-01-01 --compare-date 2026-12-01.
    """
    day = parse_date(date, "--date") if date else dt.date.today()
    kb = load_kb()
    rules = CachedRules()
    a = _resolve(county, agency, state, day, db, not no_ledger)
    ga = instantiate(a.place, day, a.agreements, rules, kb)
    ta = run_trace(ga, event)

    if compare is not None:
        try:
            dt.date.fromisoformat(compare.strip())
            compare_date = compare_date or compare.strip()
        except ValueError:
            compare_county = compare_county or compare
    comparing = any(x is not None for x in (compare_county, compare_agency, compare_date, compare_with_model))
    if comparing:
        day_b = parse_date(compare_date, "--compare-date") if compare_date else day
        if compare_county or compare_agency:
            b = _resolve(compare_county, compare_agency, None, day_b, db, not no_ledger)
        else:
            b = _resolve(county, agency, state, day_b, db, not no_ledger)
        agreements_b = b.agreements
        if compare_with_model:
            from sharemap.ledger.query import parse_model

            agreements_b = (*agreements_b, _hypothetical(b.place, parse_model(compare_with_model), day_b))
        gb = instantiate(b.place, day_b, agreements_b, rules, kb)
        tb = run_trace(gb, event)
        cmp = compare_traces(
            ta,
            tb,
            label_b=f"{tb.place.label} on {day_b.isoformat()}"
            + (f" with a hypothetical {compare_with_model.upper()} agreement" if compare_with_model else ""),
        )
        if json or fmt is Format.JSON:
            print_json({**cmp.to_dict(), "trace_a": ta.to_dict(), "trace_b": tb.to_dict()})
            return
        rows = [
            [
                c.path,
                STATUS_MARK[c.before] if c.before else "—",
                STATUS_MARK[c.after] if c.after else "—",
                c.reason_after or c.reason_before,
            ]
            for c in cmp.changes
        ]
        label_a = f"{ta.place.label} {ta.date.isoformat()}"
        label_b = f"{tb.place.label} {tb.date.isoformat()}" + (
            " + hypothetical " + compare_with_model if compare_with_model else ""
        )
        console.print(table(f"{event.value}: {label_a}  vs  {label_b}", ["path", "a", "b", "why"], rows))
        console.print(cmp.summary(), highlight=False)
        return

    if json or fmt is Format.JSON:
        print_json({**ta.to_dict(), "ledger_note": a.note})
    elif fmt is Format.MERMAID:
        typer.echo(mermaid(ta, include_inactive=True), nl=False)
    elif fmt is Format.DOT:
        typer.echo(dot(ta, include_inactive=True), nl=False)
    elif fmt is Format.MATRIX:
        _print_matrix(ga, ta)
    else:
        _print_trace(ta, a.note)
    if not ta.paths:
        err_console.print("no path from this encounter reaches ICE in the knowledge base")
