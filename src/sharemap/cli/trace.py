"""`sharemap trace`: every path by which identity data from an encounter reaches ICE, here and now.

This is the edge where the ledger database is opened; the graph and the trace are pure functions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from sharemap.cli.common import JsonOption, command, console, err_console, parse_date, print_json, table
from sharemap.errors import InputError, StoreError
from sharemap.flows.answer import status_label
from sharemap.flows.graph import (
    CachedRules,
    EdgeStatus,
    PlaceGraph,
    instantiate,
)
from sharemap.flows.render import dot, matrix, mermaid
from sharemap.flows.trace import Trace, format_seconds
from sharemap.flows.trace import compare as compare_traces
from sharemap.flows.trace import trace as run_trace
from sharemap.flows.words import agreement_words
from sharemap.kb.facts import Encounter
from sharemap.kb.load import load_kb
from sharemap.kb.model import Agreement, AgreementStatus, Model287g, Place, Source


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
    source: Source | None = None
    """ICE's list the agreements come from (title, URL, capture date), to cite."""


def resolve(
    county: str | None,
    agency: str | None,
    state: str | None,
    day: dt.date,
    db: Path | None,
    use_ledger: bool,
) -> _Resolved:
    """The place named by --county, --agency or --state, and the agreements that cover it on `day`
    (the ledger's one query, `ledger.query.covering`, as the web and the reports use it)."""
    from sharemap.ledger import geo
    from sharemap.ledger.place import agency_place, county_place, state_place

    if county is None and agency is None and state is None:
        raise InputError(
            "say where", field="--county/--agency/--state", expected='e.g. --county "Harris County, TX"'
        )
    place: Place | None = None
    if county is not None:
        place = county_place(geo.county_by_name(county))
    elif agency is None:
        place = state_place(state or "")
    if not use_ledger:
        if place is None:
            raise InputError("--agency needs the ledger", field="--no-ledger", expected="drop --no-ledger")
        return _Resolved(place, (), "ledger not used: no 287(g) agreements assumed")
    from sharemap.ledger import query, store
    from sharemap.ledger.freshness import freshness

    try:
        with store.connect(db) as con:
            if place is None:
                ag = query.find_agency(con, agency or "", geo.state_code(state) if state else None)
                place = agency_place(ag.agency_id, ag.name, ag.state, ag.county_fips)
            found = query.covering(con, place, day).agreements
            fresh = freshness(con, day, place.state)
            source = _list_source(con, fresh.list_date)
    except StoreError as exc:
        raise StoreError(
            exc.message, file=exc.file, expected="run `sharemap build` first, or pass --no-ledger"
        ) from exc
    note = (
        f"agreements from the {fresh.note}" + (f"; {fresh.warning}" if fresh.warning else "")
        if fresh.list_date
        else f"{fresh.note}: agreements inferred from signed dates"
    )
    return _Resolved(place, found, note, source)


def _list_source(con: Any, list_date: dt.date | None) -> Source | None:
    """ICE's participating list as captured on `list_date` (the ledger's own source record)."""
    from sharemap.flows.answer import list_source
    from sharemap.report.build import ledger_source

    return list_source(ledger_source(con), list_date)


def _hypothetical(place: Place, model: Model287g, day: dt.date) -> Agreement:
    who = (
        f"{place.agency_name} (hypothetical)"
        if place.agency_name
        else f"Hypothetical sheriff's office, {place.label}"
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
    """The paths in words: channel and data-element names, never internal ids."""
    kb = t.kb
    rows = []
    for p in t.paths:
        route = " → ".join(kb.channels[c].name for c in p.channels)
        elements = ", ".join(kb.data_elements[e].name for e in p.elements)
        lat = format_seconds(p.latency_seconds) if p.latency_seconds else "—"
        if p.unknown_latency:
            n = len(p.unknown_latency)
            lat += f" + {n} step{'s' if n > 1 else ''} not disclosed"
        decline = {True: "yes", False: "no", None: "not known"}[p.local_can_decline]
        why = p.hops[0].edge.reason if len(p.hops) == 1 else p.reason  # one hop: the route names it
        rows.append([STATUS_MARK[p.status], route, elements, lat, decline, why])
    console.print(
        table(
            f"{t.encounter_name} — {t.place.label} — {t.date.isoformat()}",
            ["status", "route", "data reaching ICE", "time (published)", "local can decline", "why"],
            rows,
        )
    )
    if t.agreements:
        listed = "; ".join(agreement_words(a) for a in t.agreements)
        console.print("287(g) agreements in force: " + listed, highlight=False)
    console.print(f"[dim]{note}[/]", highlight=False)
    console.print(t.summary(), highlight=False, soft_wrap=False)


def _print_matrix(g: PlaceGraph, t: Trace) -> None:
    """Numbered channel columns with a key below (names, not ids), element names as rows."""
    kb = g.kb
    chans = list(dict.fromkeys(c for p in t.paths for c in p.channels))
    m = matrix(kb, g, channels=chans)
    cols = ["data element", *[str(i) for i, _ in enumerate(m.channels, 1)]]
    rows = [[kb.data_elements[el].name, *[m.cells.get((el, c), "") for c in m.channels]] for el in m.elements]
    console.print(table(f"data element × route step — {t.encounter_name} — {t.place.label}", cols, rows))
    for i, c in enumerate(m.channels, 1):
        s = m.status[c]
        console.print(
            f"{i}: {kb.channels[c].name} ({status_label(s) if s else 'status not known'})", highlight=False
        )


def _print_comparison(ta: Trace, tb: Trace, model: str | None, as_json: bool) -> None:
    """What differs between two traces: a table of routes (in words) and the summary, or JSON."""
    hypothetical = f" with a hypothetical {model.upper()} agreement" if model else ""
    cmp = compare_traces(ta, tb, label_b=f"{tb.place.label} on {tb.date.isoformat()}{hypothetical}")
    if as_json:
        print_json({**cmp.to_dict(), "trace_a": ta.to_dict(), "trace_b": tb.to_dict()})
        return
    kb = ta.kb
    rows = [
        [
            " → ".join(kb.channels[ch].name for ch in c.channels),
            STATUS_MARK[c.before] if c.before else "—",
            STATUS_MARK[c.after] if c.after else "—",
            c.reason_after or c.reason_before,
        ]
        for c in cmp.changes
    ]
    label_a = f"{ta.place.label} {ta.date.isoformat()}"
    label_b = f"{tb.place.label} {tb.date.isoformat()}" + (" + hypothetical " + model if model else "")
    console.print(table(f"{ta.encounter_name}: {label_a}  vs  {label_b}", ["route", "a", "b", "why"], rows))
    console.print(cmp.summary(), highlight=False)


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

    A state alone (--state) traces the whole state: a route that needs a 287(g) agreement is in place
    if any agency in the state holds one. Examples: sharemap trace --county "Harris County, TX" --event
    booking; sharemap trace --state MD --event jail_release --date 2026-01-01 --compare-date 2026-12-01.
    """
    day = parse_date(date, "--date") if date else dt.date.today()
    kb = load_kb()
    rules = CachedRules()
    a = resolve(county, agency, state, day, db, not no_ledger)
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
            b = resolve(compare_county, compare_agency, None, day_b, db, not no_ledger)
        else:
            b = resolve(county, agency, state, day_b, db, not no_ledger)
        agreements_b = b.agreements
        if compare_with_model:
            from sharemap.ledger.query import parse_model

            agreements_b = (*agreements_b, _hypothetical(b.place, parse_model(compare_with_model), day_b))
        tb = run_trace(instantiate(b.place, day_b, agreements_b, rules, kb), event)
        _print_comparison(ta, tb, compare_with_model, json or fmt is Format.JSON)
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
