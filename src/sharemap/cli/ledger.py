"""Ledger commands: build, update, agreements, agency, stats, export, and the snapshot/moa inspectors."""

from __future__ import annotations

import collections
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from sharemap import settings
from sharemap.cli.common import (
    JsonOption,
    atomic_write_text,
    command,
    console,
    parse_date,
    print_json,
    table,
    to_json_text,
)
from sharemap.errors import InputError
from sharemap.kb.model import ListKind
from sharemap.runner import exit_on_sigterm

if TYPE_CHECKING:  # the ledger modules load DuckDB and pyarrow: each command imports what it uses
    from sharemap.ledger import store
    from sharemap.ledger.freshness import Freshness

DbOption = typer.Option(
    None, "--db", help="DuckDB file (default: $SHAREMAP_DB or ~/.sharemap/sharemap.duckdb)."
)
HiddenOption = typer.Option(
    False, "--include-hidden-sheets", help="Also read hidden workbook sheets (ignored by default)."
)


def register(app: typer.Typer) -> None:
    """Attach the ledger commands to the top-level app."""
    for fn in (build, update, agreements, agency, stats, changes, export, snapshot, moa):
        app.command()(fn)


def _parse_folder(folder: Path, quiet: bool) -> tuple[store.BaseData, list[dict[str, str]]]:
    from sharemap.ledger import store
    from sharemap.ledger.snapshots import parse_many, snapshot_files, to_tables

    files, skipped = [], []
    for sub in ("participating", "pending"):
        found, skip = snapshot_files(folder / sub) if (folder / sub).exists() else ([], [])
        files += found
        skipped += skip
    if not files:
        found, skip = snapshot_files(folder)
        files, skipped = found, skip
    from rich.progress import Progress

    with Progress(console=console, transient=True, disable=quiet) as progress:
        task = progress.add_task(f"Parsing {len(files)} ICE list files", total=len(files))
        parsed, unreadable = parse_many(
            files, settings.cache_dir() / "lists", on_done=lambda n: progress.advance(task, n)
        )
    snaps, rows, problems = to_tables(parsed)
    report = [{"file": s.file_name, "reason": s.reason} for s in [*skipped, *unreadable]]
    return store.BaseData(snaps, rows, problems), report


@command
def build(
    from_reference: Path | None = typer.Option(
        None,
        "--from-reference",
        help="Rebuild from ICE's raw list files in this folder (e.g. ../shared/reference/ice-287g) "
        "instead of the parsed snapshots shipped in the package.",
    ),
    write_shipped: bool = typer.Option(False, help="Also rewrite the package's shipped snapshot data."),
    db: Path | None = DbOption,
    json: bool = JsonOption,
) -> None:
    """Build the ledger database (atomically) from the shipped data or from ICE's raw lists."""
    from sharemap.ledger import store
    from sharemap.sharing.store import write_database as write_sharing_tables

    skipped: list[dict[str, str]] = []
    with exit_on_sigterm():  # a `kill` still removes the unfinished database and stops the workers
        if from_reference is not None:
            base, skipped = _parse_folder(from_reference, quiet=json)
            origin = f"reference files in {from_reference}"
        else:
            base, origin = store.load_shipped(), "parsed snapshots shipped in the package"
        report = store.build_database(base, db, origin=origin)
        report.skipped = skipped
        sharing_rows = write_sharing_tables(report.db)  # the plate-reader sharing ledger beside it
        if write_shipped:
            store.write_shipped(base)
    if json:
        print_json({**report.__dict__, "sharing": sharing_rows})
        return
    console.print(
        f"Built [bold]{report.db}[/] from {origin}: {report.snapshots} snapshots, {report.rows:,} list rows, "
        f"{report.agreements:,} agreements ({report.active:,} in force), {report.agencies:,} agencies "
        f"({report.unmapped} not placed in a county), {report.pending} pending requests, "
        f"{report.moa_terms} MOA terms; {len(report.partial)} partial and {report.duplicates} duplicate "
        f"snapshots; {report.problems} row problems reported (see table snapshot_problems)."
    )
    console.print(
        f"Plate-reader sharing: {sharing_rows['portal_snapshots']} portal snapshots of "
        f"{sharing_rows['portals']} agencies, {sharing_rows['sharing_edges']:,} sharing links, "
        f"{sharing_rows['audit_orgs']} network-audit organisations (tables {', '.join(sharing_rows)}).",
        highlight=False,
    )
    for s in skipped:
        console.print(f"  skipped {s['file']}: {s['reason']}", highlight=False)


@command
def update(
    source: str = typer.Option(
        ...,
        "--from",
        help="'ice' (ICE's 287(g) page, see SHAREMAP_ICE_PAGE), a list file, a folder, or a URL.",
    ),
    kind: ListKind | None = typer.Option(None, help="Override: participating or pending."),
    accept_partial: bool = typer.Option(
        False,
        "--accept-partial",
        help="Add a list even if it reads as partial (far fewer rows than the lists before it) or has "
        "formula cells without saved values; a partial list adds sightings but ends no agreement.",
    ),
    include_hidden: bool = HiddenOption,
    db: Path | None = DbOption,
    json: bool = JsonOption,
) -> None:
    """Add new ICE list snapshots (and the MOA PDFs they link) to the ledger; recompute the history.

    With --from ice, reads ICE's page, downloads only workbooks that changed (conditional requests,
    checksums) and keeps them in $SHAREMAP_HOME/ice/. On any failure the database is left unchanged.
    A list that reads as partial is refused unless --accept-partial. One update runs at a time: a
    second waits for the first (up to SHAREMAP_DB_LOCK_WAIT_S seconds), then fails.
    Plate-reader portal snapshots (.json, or a folder of them) go to the sharing ledger instead.
    """
    from sharemap.sharing.update import is_portal_source

    if is_portal_source(source):  # portal JSON: `sharemap sharing update --from` does the work
        from sharemap.cli.sharing import portal_update

        return portal_update(source, db, json)
    from sharemap.ledger.update import update as update_ledger
    from sharemap.sharing.store import write_database as write_sharing_tables

    with exit_on_sigterm():
        result = update_ledger(source, kind, db, accept_partial=accept_partial, include_hidden=include_hidden)
        if result.report is not None:  # the ledger was rebuilt: put the sharing tables back beside it
            write_sharing_tables(result.report.db)
    if json:
        print_json(result.to_dict())
        return
    if result.page:
        console.print(f"read {result.page}: {len(result.links)} workbook links", highlight=False)
    for a in result.added:
        console.print(f"added {a['file']} (list of {a['captured']:%Y-%m-%d %H:%M}, {a['rows']} rows)")
    for f in result.partial:
        console.print(f"[yellow]accepted although incomplete:[/] {f['file']}: {f['reason']}", highlight=False)
    for name in result.already_present:
        console.print(f"already in the ledger: {name}")
    for url in result.unchanged:
        console.print(f"not modified since the last run: {url}", highlight=False)
    for name in result.moa_added:
        console.print(f"read MOA {name}")
    for f in result.moa_failed:
        console.print(f"[yellow]MOA not read[/] {f['url']}: {f['reason']}", highlight=False)
    if result.report:
        console.print(
            f"ledger now has {result.report.agreements:,} agreements, {result.report.active:,} in force"
        )


@command
def agreements(
    state: str | None = typer.Option(None, help="State: code or name, e.g. TX or Texas."),
    county: str | None = typer.Option(
        None, help='County, e.g. "Harris County, TX", "Harris County TX" or a FIPS code.'
    ),
    model: str | None = typer.Option(None, help="JEM, TFM or WSO."),
    as_of: str | None = typer.Option(None, "--as-of", help="Date (YYYY-MM-DD): agreements in force then."),
    all_: bool = typer.Option(False, "--all", help="Every agreement ever listed, with its status."),
    statewide: bool = typer.Option(
        True,
        "--statewide/--local-only",
        help="With --county: count the Task Force agreements of the state's statewide agencies, which "
        "cover every county (as the web page and report do); --local-only: the county's own agencies.",
    ),
    db: Path | None = DbOption,
    json: bool = JsonOption,
) -> None:
    """List 287(g) agreements, filtered by place, model and date (default: in force today).

    The answer names ICE's list it comes from and its age; a date before the first list held says so.
    """
    from sharemap.ledger import query, store
    from sharemap.ledger.freshness import freshness
    from sharemap.ledger.place import NATION, place_from

    if all_ and as_of:
        raise InputError("--all and --as-of ask different things", field="--all", expected="one of them")
    day = parse_date(as_of) if as_of else None
    wanted = query.parse_model(model) if model else None
    with store.connect(db) as con:
        where = place_from(con, county=county, state=state) if county or state else NATION
        fresh = freshness(con, day, None if where.kind == "nation" else where.state)
        if all_:
            rows = query.ever_covering(con, where, model=wanted, local_only=not statewide)
            counted: dict[str, Any] = {"count": len(rows)}
            title = f"{len(rows)} agreements for {where.label} ever listed"
        else:
            cov = query.covering(con, where, day, model=wanted, local_only=not statewide)
            rows, counted = list(cov.agreements), cov.to_dict()
            title = f"{cov.words()} ({fresh.note})"
    if json:
        print_json({"freshness": fresh.to_dict(), "coverage": counted, "agreements": rows})
        return
    if day is not None and fresh.list_date is None:
        _print_freshness(fresh)
        return
    console.print(
        table(
            title[0].upper() + title[1:],
            ["State", "Agency", "Model", "Signed", "First seen", "Last seen", "Status now"],
            [
                [a.state, a.agency_name, a.model.short, a.signed, a.first_seen, a.last_seen, a.status.value]
                for a in rows
            ],
        )
    )
    _print_freshness(fresh, note=False)


@command
def agency(
    name: str = typer.Argument(..., help="Agency name as ICE lists it (spelling variants are fine)."),
    state: str | None = typer.Option(None, help="Two-letter state code to disambiguate."),
    db: Path | None = DbOption,
    json: bool = JsonOption,
) -> None:
    """One agency: its agreements over time, pending requests, MOA terms and sources."""
    from sharemap.ledger import geo, query, store
    from sharemap.ledger.freshness import freshness

    with store.connect(db) as con:
        found = query.find_agency(con, name, geo.state_code(state) if state else None)
        detail = query.agency_history(con, found.agency_id)
        fresh = freshness(con, None, found.state)
    if json:
        print_json(detail | {"freshness": fresh.to_dict()})
        return
    ag = detail["agency"]
    where = (
        "statewide"
        if ag.statewide
        else f"{ag.county_name} (FIPS {ag.county_fips})"
        if ag.county_fips
        else f"not placed: {ag.unmapped_reason}"
    )
    console.print(f"[bold]{ag.name}[/] — {ag.state}, {ag.kind.value}, {where}")
    if len(ag.name_variants) > 1:
        console.print("Also listed as: " + "; ".join(v for v in ag.name_variants if v != ag.name))
    console.print(
        table(
            "287(g) agreements on ICE's lists",
            ["Model", "Signed", "First seen", "Last seen", "Status", "MOA"],
            [
                [a.model.label, a.signed, a.first_seen, a.last_seen, _status(a), a.moa_url or "not published"]
                for a in detail["agreements"]
            ],
        )
    )
    if detail["renames"]:
        console.print(
            table(
                "Listed under other names (one agreement; see table agency_links for the evidence)",
                ["Model", "Listed as", "Until", "Then as", "From", "Decided by"],
                [_rename_row(r) for r in detail["renames"]],
            )
        )
    if detail["pending"]:
        console.print(
            table(
                "Pending requests",
                ["Model", "First seen", "Last seen", "Outcome"],
                [[p["model_short"], p["first_seen"], p["last_seen"], p["status"]] for p in detail["pending"]],
            )
        )
    if detail["moa_terms"]:
        console.print(
            table(
                "Terms read from the agreement PDF",
                ["Category", "Term", "Value", "Page"],
                [
                    [t["category"], t.get("label") or t["term"], t["value"], t["pages"]]
                    for t in detail["moa_terms"]
                ],
            )
        )
    _print_freshness(fresh)
    for s in detail["sources"]:
        console.print(f"Source: {s['title']} — {s['url']}", highlight=False)


def _print_freshness(fresh: Freshness, note: bool = True) -> None:
    """The list behind the figures, and a warning when the date asked is past the newest list."""
    if note:
        console.print(f"{fresh.note}.", highlight=False)
    if fresh.warning:
        console.print(f"[yellow]Note:[/] {fresh.warning}", highlight=False)


def _rename_row(r: dict[str, Any]) -> list[Any]:
    by = f"{r['decided_by']} ({r['score']} points)"
    return [r["model"], r["older_name"], r["older_last_seen"], r["newer_name"], r["newer_first_seen"], by]


def _status(a: Any) -> str:
    if a.status.value == "active":
        return "in force"
    if a.status.value == "superseded":
        return f"superseded (last seen {a.last_seen})"
    return f"ended (off the list by {a.ended_on})"


@command
def stats(
    by: str | None = typer.Option(None, help="Group by: state, model or quarter."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Date (YYYY-MM-DD): counts and history then; quarters up to it."
    ),
    db: Path | None = DbOption,
    json: bool = JsonOption,
) -> None:
    """National summary of agreements, or counts by state, model or quarter.

    Every answer names the ICE list it comes from and its age on the date asked (default today), and
    warns when the date is later than the newest list held (with ICE's later published count).
    """
    from sharemap.ledger import query, store
    from sharemap.ledger.freshness import freshness

    day = parse_date(as_of) if as_of else None
    with store.connect(db) as con:
        fresh = freshness(con, day)
        if by is None:
            summary = query.national_summary(con, day)
            by_model = query.stats(con, "model", fresh.list_date) if fresh.list_date else []
        else:
            rows = query.stats(con, by, day)
    if by is not None:
        if json:
            print_json(rows if by == "quarter" else {"freshness": fresh.to_dict(), "rows": rows})
        elif rows:
            title = f"Agreements by {by}" + ("" if by == "quarter" else f" ({fresh.note})")
            console.print(table(title, list(rows[0]), [list(r.values()) for r in rows]))
            _print_freshness(fresh, note=False)
        else:
            _print_freshness(fresh)
        return
    if json:
        print_json(summary | {"models": by_model})
        return
    if fresh.list_date is None:
        _print_freshness(fresh)
        return
    m = summary["by_model"]
    console.print(
        f"[bold]287(g) agreements in force[/] on {fresh.asked} ({fresh.note}): "
        f"[bold]{summary['agreements_in_force']:,}[/] (Jail Enforcement Model {m['JEM']:,}, "
        f"Task Force Model {m['TFM']:,}, Warrant Service Officer {m['WSO']:,}) held by "
        f"{summary['agencies']:,} agencies in {len(summary['states'])} states and territories."
    )
    _print_freshness(fresh, note=False)
    console.print(
        f"History: {summary['participating_snapshots']} participating and {summary['pending_snapshots']} "
        f"pending list snapshots since {summary['history_from']}; {summary['agreements_ever_listed']:,} "
        f"agreements ever listed, {summary['ended']} ended, {summary['superseded']} superseded "
        f"(and {summary['renamed']} listings that continued under another name, not counted as ends); "
        f"{summary['pending_now']} requests still pending (never signed) on ICE's last pending list of "
        f"{summary['pending_list_date']}; {summary['unmapped_agencies']} agencies not "
        "placed in a county (listed in `sharemap export` table agencies)."
    )
    console.print(
        table(
            None,
            ["Model", "Agreements", "Agencies"],
            [[r["model"], r["total"], r["agencies"]] for r in by_model],
        )
    )


@command
def changes(
    since: str = typer.Option(..., "--since", help="First list date (YYYY-MM-DD)."),
    until: str | None = typer.Option(None, "--until", help="Last list date (default: today)."),
    state: str | None = typer.Option(None, help="Two-letter state code or state name."),
    fmt: str = typer.Option("table", "--format", help="table, json, csv or atom."),
    out: Path | None = typer.Option(None, "-o", "--out", help="Write to this file instead of the screen."),
    base_url: str = typer.Option("http://127.0.0.1:8000", help="Site address for links in the Atom feed."),
    db: Path | None = DbOption,
    json: bool = JsonOption,
) -> None:
    """What changed on ICE's lists: agreements added, ended, renewed, renamed, model changes, pending
    requests made and signed, each with the list date and its evidence."""
    from sharemap.ledger import changes as change_log
    from sharemap.ledger import geo, store
    from sharemap.ledger.freshness import freshness

    fmt = "json" if json else fmt
    if fmt not in ("table", "json", "csv", "atom"):
        raise InputError(f"unknown format {fmt!r}", field="format", expected="table, json, csv or atom")
    code = geo.state_code(state) if state else None
    start, end = parse_date(since, "since"), parse_date(until, "until") if until else None
    with store.connect(db) as con:
        found = change_log.changes(con, start, end, code)
        fresh = freshness(con, end, code)
    where = f" in {code}" if code else ""
    title = f"Changes on ICE's 287(g) lists{where}, {start} to {end or fresh.asked}"
    if fmt == "table":
        console.print(
            table(
                f"{title}: {len(found)} changes",
                ["List of", "Change", "State", "Agency", "Model", "Detail"],
                [
                    [c.date, c.kind.replace("_", " "), c.state, c.agency_name, c.model, c.detail]
                    for c in found
                ],
            )
        )
        _print_freshness(fresh, note=False)
        return
    if fmt == "json":
        text = to_json_text({"freshness": fresh.to_dict(), "changes": found})
    elif fmt == "csv":
        text = change_log.to_csv(found)
    else:
        query_string = (
            f"since={start}" + (f"&until={end}" if end else "") + (f"&state={code}" if code else "")
        )
        text = change_log.to_atom(
            found, title, base_url, f"{base_url.rstrip('/')}/changes.atom?{query_string}"
        )
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        atomic_write_text(out, text)
        console.print(f"wrote {len(found)} changes to {out}")


@command
def export(
    out: Path = typer.Option(Path("sharemap-export"), help="Folder to write to."),
    fmt: str = typer.Option("parquet,csv", "--format", help="Comma-separated: parquet, csv."),
    db: Path | None = DbOption,
    json: bool = JsonOption,
) -> None:
    """Export every table to Parquet and CSV."""
    from sharemap.ledger import store

    written = store.export(db, out, tuple(f.strip() for f in fmt.split(",") if f.strip()))
    if json:
        print_json([str(p) for p in written])
    else:
        console.print(f"wrote {len(written)} files to {out}")


@command
def snapshot(
    file: Path = typer.Argument(..., help="One ICE list file (.xlsx or .csv)."),
    kind: ListKind | None = typer.Option(None, help="Override: participating or pending."),
    include_hidden: bool = HiddenOption,
    json: bool = JsonOption,
) -> None:
    """Inspect one ICE list file without touching the database: date, rows, counts, anomalies."""
    from sharemap.ledger.linkage import agency_key
    from sharemap.ledger.lists import read_list

    parsed = read_list(file, kind, include_hidden=include_hidden)
    per_model = collections.Counter(r.model.short if r.model else "none" for r in parsed.rows)
    names = {(r.state, r.agency) for r in parsed.rows}
    merged = {agency_key(r.state, r.agency) for r in parsed.rows}
    info = {
        "file": parsed.file_name,
        "kind": parsed.kind,
        "format": parsed.source_format,
        "captured": parsed.captured,
        "date_source": parsed.date_source,
        "name_date": parsed.name_date,
        "workbook_saved": parsed.saved_at,
        "rows": len(parsed.rows),
        "blank_rows": parsed.blank_rows,
        "by_model": dict(per_model),
        "distinct_agency_names": len(names),
        "distinct_agencies": len(merged),
        "states": sorted({r.state for r in parsed.rows}),
        "columns": parsed.columns,
        "anomalies": parsed.anomalies,
        "row_problems": [p.__dict__ for p in parsed.problems],
        "sha256": parsed.sha256,
    }
    if json:
        print_json(info)
        return
    console.print(
        f"[bold]{parsed.file_name}[/]: {parsed.kind.value} list of {parsed.captured:%Y-%m-%d %H:%M} "
        f"(from {parsed.date_source}); format: {parsed.source_format}"
    )
    console.print(
        f"{len(parsed.rows):,} rows ({parsed.blank_rows} blank rows ignored); "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(per_model.items()))
        + f"; {len(names):,} distinct agency names, {len(merged):,} agencies after merging spelling "
        f"variants; {len(info['states'])} states and territories"  # type: ignore[arg-type]
    )
    for a in parsed.anomalies:
        console.print(f"[yellow]anomaly:[/] {a}", highlight=False)
    for p in parsed.problems:
        console.print(f"[yellow]row {p.row}[/] {p.field} {p.value!r}: {p.problem}", highlight=False)


@command
def moa(
    file: Path = typer.Argument(..., help="One 287(g) memorandum of agreement (PDF)."),
    json: bool = JsonOption,
) -> None:
    """Inspect one MOA PDF without touching the database: the terms read from it, with pages."""
    from sharemap.ledger.moa import read_moa, terms_to_rows

    terms = read_moa(file)
    if json:
        print_json(terms)
        return
    console.print(f"[bold]{terms.file_name}[/] — status: {terms.status.value}")
    rows = terms_to_rows([terms])
    if rows:
        console.print(
            table(
                None,
                ["Category", "Term", "Value", "Pages", "Evidence"],
                [
                    [r["category"], r["label"] or r["term"], r["value"], r["pages"], r["snippet"]]
                    for r in rows
                ],
            )
        )
