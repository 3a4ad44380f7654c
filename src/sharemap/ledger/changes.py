"""What changed on ICE's lists between two dates: agreements added, ended, renewed, renamed, models
changed, pending requests made and signed. Each change carries the list date it was first seen on and
its evidence; renames come from the linkage decisions, so a typo fix is never an end plus an addition.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import Any

import duckdb

from sharemap.errors import InputError
from sharemap.kb.model import Frozen

MODEL_CHANGE_DAYS = 14
"""An agency ending one model and starting another this close together changed its model."""

KINDS = ("added", "ended", "renewed", "renamed", "model_changed", "requested", "signed_from_pending")


class Change(Frozen):
    date: dt.date
    """The ICE list on which the change was first seen (for an end: the first list without it)."""
    kind: str
    state: str
    agency_id: str
    agency_name: str
    model: str | None
    agreement_id: str | None
    detail: str
    evidence: tuple[str, ...] = ()


def changes(
    con: duckdb.DuckDBPyConnection,
    since: dt.date,
    until: dt.date | None = None,
    state: str | None = None,
) -> list[Change]:
    """Every change seen on a list dated `since`..`until` (inclusive), newest first."""
    until = until or dt.date.today()
    if until < since:
        raise InputError(f"--until {until} is before --since {since}", field="until", expected="a later date")
    first = con.execute("SELECT min(captured)::DATE FROM complete_snapshots").fetchone()
    first_pending = con.execute(
        "SELECT min(captured)::DATE FROM snapshots WHERE kind = 'pending' AND NOT partial"
    ).fetchone()
    start = first[0] if first else None
    out = [
        *_agreement_changes(con, since, until, start),
        *_renames(con, since, until),
        *_pending_changes(con, since, until, first_pending[0] if first_pending else None),
    ]
    out = [c for c in out if state is None or c.state == state]
    return sorted(out, key=lambda c: (c.date, KINDS.index(c.kind), c.state, c.agency_name), reverse=True)


_COLUMNS = (
    "agreement_id, agency_id, agency_name, state, model_short, signed, first_seen, last_seen, status, "
    "ended_on, superseded_by"
)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description or ()]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _agreement_changes(
    con: duckdb.DuckDBPyConnection, since: dt.date, until: dt.date, start: dt.date | None
) -> list[Change]:
    rows = _rows(con, f"SELECT {_COLUMNS} FROM agreements", [])
    renewed_from = {r["superseded_by"]: r for r in rows if r["superseded_by"]}
    by_agency: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_agency[r["agency_id"]].append(r)
    out: list[Change] = []
    paired: set[str] = set()
    for r in rows:  # model changes: one model ended, another began at about the same time
        if r["status"] != "ended" or not r["ended_on"]:
            continue
        for other in by_agency[r["agency_id"]]:
            gap = abs((other["first_seen"] - r["ended_on"]).days)
            if (
                other["model_short"] != r["model_short"]
                and gap <= MODEL_CHANGE_DAYS
                and other["first_seen"] != start
            ):
                day = max(other["first_seen"], r["ended_on"])
                if since <= day <= until:
                    text = (
                        f"{r['model_short']} ended (last listed {r['last_seen']}); {other['model_short']} "
                        f"first listed {other['first_seen']}"
                    )
                    ids = (r["agreement_id"], other["agreement_id"])
                    out.append(_change(day, "model_changed", other, text, ids))
                paired |= {r["agreement_id"], other["agreement_id"]}
    for r in rows:
        if r["agreement_id"] in paired:
            continue
        if start and r["first_seen"] > start and since <= r["first_seen"] <= until:
            old = renewed_from.get(r["agreement_id"])
            if old:
                text = f"signed {r['signed']}, replacing {old['signed']} (last listed {old['last_seen']})"
                ids = (old["agreement_id"], r["agreement_id"])
                out.append(_change(r["first_seen"], "renewed", r, text, ids))
            else:
                out.append(_change(r["first_seen"], "added", r, f"signed {r['signed'] or 'date not listed'}"))
        if r["status"] == "ended" and r["ended_on"] and since <= r["ended_on"] <= until:
            text = f"last listed {r['last_seen']}; not on ICE's complete list of {r['ended_on']}"
            out.append(_change(r["ended_on"], "ended", r, text))
    return out


def _change(
    day: dt.date, kind: str, r: dict[str, Any], detail: str, evidence: tuple[str, ...] = ()
) -> Change:
    return Change(
        date=day,
        kind=kind,
        state=r["state"],
        agency_id=r["agency_id"],
        agency_name=r["agency_name"],
        model=r.get("model_short") or r.get("model"),
        agreement_id=r.get("agreement_id"),
        detail=detail,
        evidence=evidence or ((r["agreement_id"],) if r.get("agreement_id") else ()),
    )


def _renames(con: duckdb.DuckDBPyConnection, since: dt.date, until: dt.date) -> list[Change]:
    rows = _rows(
        con,
        "SELECT l.*, a.agency_name FROM agency_links l "
        "JOIN agreements a ON a.agreement_id = l.newer_agreement_id "
        "WHERE l.same_agreement AND l.newer_first_seen BETWEEN ? AND ?",
        [since, until],
    )
    return [
        Change(
            date=r["newer_first_seen"],
            kind="renamed",
            state=r["state"],
            agency_id=r["agency_id"],
            agency_name=r["agency_name"],
            model=r["model"],
            agreement_id=r["newer_agreement_id"],
            detail=f"listed as {r['older_name']!r} until {r['older_last_seen']}, then as {r['newer_name']!r}"
            + (f" ({r['older_state']} -> {r['state']})" if r["older_state"] != r["state"] else ""),
            evidence=(f"decided by {r['decided_by']}: {r['reason']}", *r["evidence"]),
        )
        for r in rows
    ]


def _pending_changes(
    con: duckdb.DuckDBPyConnection, since: dt.date, until: dt.date, start: dt.date | None
) -> list[Change]:
    rows = _rows(con, "SELECT * FROM pending", [])
    out = []
    for r in rows:
        r = {**r, "model_short": r["model_short"], "agreement_id": r["signed_agreement_id"]}
        if start and r["first_seen"] > start and since <= r["first_seen"] <= until:
            out.append(_change(r["first_seen"], "requested", r, "on ICE's pending list", (r["pending_id"],)))
        signed = r["signed_first_seen"]
        if r["status"] == "signed" and signed and since <= signed <= until:
            text = f"pending from {r['first_seen']}; signed agreement first listed {signed}"
            out.append(
                _change(signed, "signed_from_pending", r, text, (r["pending_id"], r["signed_agreement_id"]))
            )
    return out


# --- outputs ---------------------------------------------------------------------------------------


def to_csv(items: list[Change]) -> str:
    """The changes as CSV; every text cell spreadsheet-safe (agency names come from ICE's files)."""
    from sharemap.safety import spreadsheet_safe

    buf = io.StringIO()
    fields = list(Change.model_fields)
    writer = csv.DictWriter(buf, fieldnames=fields)
    writer.writeheader()
    for c in items:
        row = c.model_dump(mode="json")
        row["evidence"] = " | ".join(row["evidence"])
        writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
    return buf.getvalue()


ATOM = "http://www.w3.org/2005/Atom"


def feed_url(base_url: str, since: dt.date, until: dt.date | None, state: str | None) -> str:
    """The web app's address of the same feed (the Atom feed's id and self link)."""
    query = f"since={since}" + (f"&until={until}" if until else "") + (f"&state={state}" if state else "")
    return f"{base_url.rstrip('/')}/changes.atom?{query}"


def to_atom(items: list[Change], title: str, base_url: str, self_url: str) -> str:
    """An Atom feed (RFC 4287) of the changes; each entry links to the agency's page."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = title
    ET.SubElement(feed, f"{{{ATOM}}}id").text = self_url
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_url)
    newest = max((c.date for c in items), default=dt.date.today())
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = f"{newest.isoformat()}T00:00:00Z"
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = "sharemap, from ICE's 287(g) lists"
    for c in items:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        label = c.kind.replace("_", " ")
        ET.SubElement(
            entry, f"{{{ATOM}}}title"
        ).text = f"{label}: {c.agency_name} ({c.state}){' ' + c.model if c.model else ''}"
        key = c.agreement_id or c.agency_id
        ET.SubElement(entry, f"{{{ATOM}}}id").text = f"tag:sharemap,2026:{c.kind}/{key}/{c.date.isoformat()}"
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = f"{c.date.isoformat()}T00:00:00Z"
        ET.SubElement(entry, f"{{{ATOM}}}link", href=f"{base_url.rstrip('/')}/agency/{c.agency_id}")
        ET.SubElement(entry, f"{{{ATOM}}}category", term=c.kind)
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = f"{c.detail}. ICE list of {c.date}."
    return ET.tostring(feed, encoding="unicode", xml_declaration=True)
