"""`sharemap answer PLACE`: the answer first, in plain words, for a county, a state or an agency.

The place and its agreements are read here (the ledger is opened by `cli.trace`'s resolver, so
`trace` and `answer` see the same agreements); the wording is the pure `sharemap.flows.answer`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from sharemap.cli.common import JsonOption, command, parse_date, print_json
from sharemap.errors import InputError


def register(app: typer.Typer) -> None:
    app.command("answer")(answer_cmd)


def where(text: str, db: Path | None, use_ledger: bool) -> dict[str, str]:
    """What PLACE names, read by the shared place resolver (`sharemap.ledger.place`; agencies too when
    the ledger is used), as keyword arguments of the trace resolver (`cli.trace.resolve`)."""
    from sharemap.ledger.place import Resolver

    if not text.strip():
        raise InputError(
            "empty place", field="PLACE", expected='e.g. "Cook County, IL", TX or an agency name'
        )
    if use_ledger:
        from sharemap.ledger import store

        with store.connect(db) as con:
            place = Resolver.from_ledger(con).resolve(text)
    else:
        place = Resolver().resolve(text, kinds=("state", "county"))
    if place.kind == "county":
        return {"county": place.key}
    if place.kind == "agency":
        return {"agency": place.agency_name or place.label, "state": place.state}
    if place.kind == "state":
        return {"state": place.key}
    raise InputError(f"{place.label} is not a county, state or agency", field="PLACE", expected="one of them")


@command
def answer_cmd(
    place: str = typer.Argument(
        ..., help='A county ("Cook County, IL" or 17031), a state (TX) or an agency.'
    ),
    date: str | None = typer.Option(None, "--date", help="YYYY-MM-DD (default: today)."),
    lang: str = typer.Option("en", "--lang", help="en (English) or es (Spanish)."),
    no_ledger: bool = typer.Option(
        False, "--no-ledger", help="Do not open the ledger; assume no agreements."
    ),
    db: Path | None = typer.Option(None, "--db", help="Ledger DuckDB file."),
    json: bool = JsonOption,
) -> None:
    """What reaches ICE from each encounter here, how fast, by which route and what the law allows, in
    sentences to read aloud, each with its sources.

    Examples: sharemap answer "Cook County, IL"; sharemap answer TX --date 2026-01-01 --lang es.
    """
    from sharemap.cli.trace import resolve
    from sharemap.flows.answer import answer_for
    from sharemap.flows.graph import CachedRules, instantiate
    from sharemap.kb.load import load_kb
    from sharemap.law.labels import lang_of

    language = lang_of(lang)
    day = parse_date(date, "--date") if date else dt.date.today()
    found = where(place, db, not no_ledger)
    r = resolve(found.get("county"), found.get("agency"), found.get("state"), day, db, not no_ledger)
    graph = instantiate(r.place, day, r.agreements, CachedRules(), load_kb())
    result = answer_for(graph, language, ledger=r.source)
    if json:
        print_json({**result.to_dict(), "ledger_note": r.note})
        return
    typer.echo(result.text(), nl=False)
