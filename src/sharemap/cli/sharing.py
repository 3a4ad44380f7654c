"""Plate-reader sharing commands: `sharing` (who shares with whom), `sharing findings`, `portal FILE`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from sharemap.cli.common import JsonOption, command, console, print_json, table
from sharemap.errors import InputError

sharing_app = typer.Typer(
    help="Plate-reader data sharing in practice, from agencies' own portals, held against the law.",
    invoke_without_command=True,
)


def _day(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"not a date: {value!r}", field=name, expected="YYYY-MM-DD") from None


def _state(value: str | None) -> str | None:
    if value is None:
        return None
    from sharemap.ledger.geo import state_code

    return state_code(value)


def _print_review(d: dict[str, object]) -> None:
    by = d["outbound_by_class"]
    assert isinstance(by, dict)
    name = str(d["agency"])
    where = "" if name.endswith(f"({d['state']})") else f" ({d['state']})"
    console.print(
        f"[bold]{name}[/]{where}, portal of {d['date']}: shares its network with "
        f"{d['outbound']} organisations (in state {by['in_state']}, out of state {by['out_of_state']}, "
        f"federal {by['federal']}, not placed {by['unknown']}; {d['outbound_inactive']} marked inactive, "
        f"not counted); receives from {d['inbound']}. Retention stated: {d['retention_days']} days.",
        highlight=False,
        soft_wrap=True,
        markup=True,
    )
    findings = d["findings"]
    assert isinstance(findings, list)
    for f in findings:
        cites = "; ".join(f"{p['citation']} <{p['url']}>" for p in f["provisions"])
        console.print(f"  - {f['text']} ({cites})", highlight=False, soft_wrap=True, markup=False)


@sharing_app.callback()
@command
def sharing_cmd(
    ctx: typer.Context,
    agency: str | None = typer.Option(None, "--agency", help="Agency name (or part of it)."),
    county: str | None = typer.Option(None, "--county", help='A county: "San Diego County, CA" or FIPS.'),
    state: str | None = typer.Option(None, "--state", help="State code or name."),
    as_of: str | None = typer.Option(None, "--as-of", help="Newest snapshot on or before YYYY-MM-DD."),
    as_json: bool = JsonOption,
) -> None:
    """Who each agency shares its plate-reader network with (newest portal snapshot), and findings."""
    if ctx.invoked_subcommand is not None:
        return
    from sharemap.sharing import reviews, reviews_for

    if agency is None and state is None and county is None:
        raise InputError("say which agencies", field="--agency/--county/--state", expected="one of them")
    day = _day(as_of, "--as-of")
    if county is not None:
        from sharemap.ledger.geo import county_by_name

        c = county_by_name(county)
        found = reviews_for(c.state, day or dt.date.today(), c.fips)
    else:
        found = reviews(state=_state(state), agency=agency, as_of=day)
    out = [r.to_dict() for r in found]
    if as_json:
        print_json(out)
        return
    if not out:
        console.print("No public sharing data for this selection (no portal snapshot on or before the date).")
        return
    for d in out:
        _print_review(d)


@sharing_app.command("findings")
@command
def findings_cmd(
    state: str | None = typer.Option(None, "--state", help="State code or name (default: all)."),
    as_of: str | None = typer.Option(None, "--as-of", help="Newest snapshot on or before YYYY-MM-DD."),
    as_json: bool = JsonOption,
) -> None:
    """Sharing that the law bars, as the portals and network audits record it, with citations."""
    from sharemap.sharing import findings

    found = findings(state=_state(state), as_of=_day(as_of, "--as-of"))
    if as_json:
        print_json([f.to_dict() for f in found])
        return
    if not found:
        console.print("No finding: no public sharing data, or nothing the law bars, for this selection.")
        return
    rows = [
        [f.state, f.agency, f.date.isoformat(), f.rule.replace("_", " "), str(len(f.orgs))] for f in found
    ]
    console.print(
        table("Plate-reader sharing findings", ["state", "agency", "date", "finding", "orgs"], rows)
    )
    for f in found:
        cites = "; ".join(p.citation for p in f.provisions)
        console.print(f"- {f.text} [{cites}]", highlight=False, soft_wrap=True, markup=False)


def portal_cmd(
    file: Path = typer.Argument(..., help="A portal snapshot (JSON) to inspect; no database is touched."),
    as_json: bool = JsonOption,
) -> None:
    """Inspect one portal snapshot: agency, state, date, outbound by class and findings."""
    from sharemap.sharing import read_snapshot, review_snapshot
    from sharemap.sharing.orgs import Resolver
    from sharemap.sharing.store import shipped_registry

    registry = shipped_registry()
    review = review_snapshot(read_snapshot(file, registry), Resolver(registry))
    d = review.to_dict()
    if as_json:
        print_json(d)
        return
    _print_review(d)


@sharing_app.command("searches")
@command
def searches_cmd(
    portal: str | None = typer.Option(None, "--portal", help="Agency name or portal slug (or part of it)."),
    as_json: bool = JsonOption,
) -> None:
    """Own-search audits of California portals, per portal: searches, dates, reach, federal agencies
    named in the reasons (counts only: no reason text, no user)."""
    from sharemap.sharing.search_audits import matching, totals
    from sharemap.sharing.store import shipped_search_audits

    rows = matching(shipped_search_audits(), portal)
    if as_json:
        print_json({"totals": totals(rows), "portals": [s.to_dict() for s in rows]})
        return
    if not rows:
        console.print("No own-search audit for this selection.")
        return
    t = totals(rows)
    named = ", ".join(f"{k} {v}" for k, v in t["federal_named"].items()) or "none"
    body = [
        [
            s.agency,
            f"{s.first} to {s.last}",
            f"{s.searches:,}",
            f"{s.reached_other_networks:,}",
            f"{s.reason_blank:,}",
            ", ".join(f"{k} {v}" for k, v in sorted(s.federal_named.items())) or "-",
        ]
        for s in rows
    ]
    head = ["portal", "dates", "searches", "reached other networks", "no reason", "federal agency named"]
    console.print(table("Own-search audits (counts only)", head, body))
    console.print(
        f"{t['portals']} portals, {t['searches']:,} searches, {t['reached_other_networks']:,} reached other "
        f"agencies' networks; reasons naming a federal agency: {named}; naming "
        f"immigration: {t['immigration_named']}. Source: {rows[0].source}",
        highlight=False,
        soft_wrap=True,
    )


def portal_update(source: str, db: Path | None, as_json: bool, accept_empty: bool = False) -> None:
    """Add portal snapshots and print what was added (shared by `sharing update` and `update --from`)."""
    from sharemap.sharing.update import add_snapshots

    result = add_snapshots(source, db, accept_empty=accept_empty)
    if as_json:
        print_json(result.to_dict())
        return
    for a in result.added:
        console.print(
            f"added {a['file']} ({a['agency']}, portal of {a['date']}, "
            f"{a['outbound']} outbound organisations)",
            highlight=False,
        )
    for name in result.already_present:
        console.print(f"already in the sharing ledger: {name}", highlight=False)
    if result.rows:
        r = result.rows
        console.print(
            f"sharing ledger now has {r['portal_snapshots']} portal snapshots of {r['portals']} agencies, "
            f"{r['sharing_edges']:,} sharing links",
            highlight=False,
        )


@sharing_app.command("update")
@command
def update_cmd(
    source: str = typer.Option(..., "--from", help="A portal snapshot (.json) or a folder of them."),
    accept_empty: bool = typer.Option(
        False,
        "--accept-empty",
        help="Add a snapshot whose sharing lists are empty (a portal listing no one).",
    ),
    db: Path | None = typer.Option(None, "--db", help="Database file (default $SHAREMAP_DB)."),
    as_json: bool = JsonOption,
) -> None:
    """Add new portal snapshots to the sharing ledger (all files checked first; nothing half-written)."""
    portal_update(source, db, as_json, accept_empty)


def register(app: typer.Typer) -> None:
    """Attach `sharing` and `portal` to the top-level app."""
    app.add_typer(sharing_app, name="sharing")
    app.command("portal")(command(portal_cmd))
