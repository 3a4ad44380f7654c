"""Read plate-reader transparency-portal snapshots and network-audit aggregates (pure readers).

A portal snapshot is one agency's own public page on one date: its sharing lists (outbound: who may
search its cameras; inbound: whose cameras it may search), stated retention, prohibited uses and
counts. A network audit lists the organisations that searched a network, with first and last search.
Every record keeps the file it came from; a file that is not what it should be is an InputError
naming it, and a field the page does not state is None ("not stated"), never a guess.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sharemap.errors import InputError
from sharemap.safety import read_regular_file
from sharemap.sharing.orgs import Placed, name_key, resolve

_DATED = re.compile(r"\d{4}-\d{2}-\d{2}")
SNAPSHOT_FIELDS = ("crawled_slug", "crawled_name", "archived_date", "sharing_outbound")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One portal page as archived on one date."""

    slug: str
    agency: str
    state: str | None
    date: dt.date
    outbound: tuple[str, ...]
    inbound: tuple[str, ...]
    retention_days: int | None
    prohibited_uses: str | None
    camera_count: int | None
    source: str


@dataclass(frozen=True, slots=True)
class AuditOrg:
    """One organisation in a network audit: how often and over which dates it searched the network."""

    network: str
    network_state: str
    org: str
    searches: int
    first: dt.date
    last: dt.date
    source: str


def _int(value: Any) -> int | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _names(value: Any, path: Path, key: str) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{key} is not a list of organisation names", file=path, field=key)
    return tuple(dict.fromkeys(v.strip() for v in value if v.strip()))


def read_snapshot(path: str | Path, registry: dict[str, Placed] | None = None) -> Snapshot:
    """One archived portal snapshot (the sm-alpr JSON form)."""
    p = Path(path)
    raw = read_regular_file(p, what="portal snapshot")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        start = raw[:200].lstrip().lower()
        what = "an HTML page" if start.startswith((b"<!doctype", b"<html")) else "not JSON"
        raise InputError(f"{what}, not a portal snapshot: {exc}", file=p, expected="portal JSON") from None
    if not isinstance(data, dict):
        raise InputError("not a JSON object", file=p, expected="a portal snapshot object")
    missing = [k for k in SNAPSHOT_FIELDS if k not in data]
    if missing:
        need = "a portal snapshot with " + ", ".join(SNAPSHOT_FIELDS)
        raise InputError(f"missing {', '.join(missing)}", file=p, expected=need)
    try:
        day = dt.date.fromisoformat(str(data["archived_date"])[:10])
    except ValueError:
        raise InputError(f"not a date: {data['archived_date']!r}", file=p, field="archived_date") from None
    slug = str(data["crawled_slug"])
    agency = re.sub(r"\(\s+", "(", re.sub(r"\s+", " ", str(data["crawled_name"]))).strip()
    placed = (registry or {}).get("slug:" + slug)
    state = placed.state if placed else resolve(agency).state
    prohibited = data.get("prohibited_uses")
    return Snapshot(
        slug=slug,
        agency=agency,
        state=state,
        date=day,
        outbound=_names(data.get("sharing_outbound"), p, "sharing_outbound"),
        inbound=_names(data.get("sharing_inbound"), p, "sharing_inbound"),
        retention_days=_int(data.get("data_retention_days")),
        prohibited_uses=str(prohibited).strip() or None if prohibited is not None else None,
        camera_count=_int(data.get("camera_count")),
        source=str(p),
    )


def read_snapshots(root: str | Path, registry: dict[str, Placed] | None = None) -> list[Snapshot]:
    """Every <slug>/<date>.json under `root`, oldest first per agency."""
    base = Path(root)
    if not base.is_dir():
        raise InputError("not a folder of portal snapshots", file=base, expected="<slug>/<YYYY-MM-DD>.json")
    files = sorted(f for f in base.glob("*/*.json") if _DATED.fullmatch(f.stem))
    if not files:
        raise InputError("no portal snapshots found", file=base, expected="<slug>/<YYYY-MM-DD>.json")
    return [read_snapshot(f, registry) for f in files]


def read_registry(path: str | Path) -> dict[str, Placed]:
    """The archive's agency registry: name keys (and "slug:<slug>") to state, county and place."""
    p = Path(path)
    try:
        rows = json.loads(read_regular_file(p, what="agency registry").decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not JSON: {exc}", file=p) from None
    if not isinstance(rows, list):
        raise InputError("not a list of agencies", file=p)
    out: dict[str, Placed] = {}
    for row in rows:
        geo = row.get("geo") or {} if isinstance(row, dict) else {}
        state = geo.get("state")
        if not isinstance(state, str) or len(state) != 2:
            continue
        fips = str(geo.get("fips") or "")
        kind = geo.get("kind")
        placed = Placed(
            state=state,
            county_fips=fips if kind == "county" and len(fips) == 5 else None,
            place_fips=fips if kind == "place" and len(fips) == 7 else None,
        )
        for slug in row.get("flock_slugs") or []:
            out["slug:" + str(slug)] = placed
        for name in [*(row.get("flock_names") or []), row.get("display_name")]:
            if isinstance(name, str) and name.strip():
                out[name_key(name)] = placed
    return out


def read_network_audit(path: str | Path, network: str, network_state: str) -> list[AuditOrg]:
    """Network-audit aggregates: CSV with org, searches, first, last (one row per organisation)."""
    p = Path(path)
    text = read_regular_file(p, what="network-audit CSV").decode("utf-8", errors="replace")
    rows = list(csv.DictReader(io.StringIO(text)))
    need = {"org", "searches", "first", "last"}
    if not rows or not need <= set(rows[0]):
        raise InputError("not a network-audit table", file=p, expected="columns org, searches, first, last")
    out: list[AuditOrg] = []
    for i, r in enumerate(rows, start=2):
        try:
            out.append(
                AuditOrg(
                    network=network,
                    network_state=network_state,
                    org=r["org"].strip(),
                    searches=int(r["searches"]),
                    first=dt.date.fromisoformat(r["first"][:10]),
                    last=dt.date.fromisoformat(r["last"][:10]),
                    source=str(p),
                )
            )
        except (ValueError, TypeError, AttributeError) as exc:
            raise InputError(f"cannot read the row: {exc}", file=p, row=i) from None
    return out


def latest(snapshots: Iterable[Snapshot], as_of: dt.date | None = None) -> Iterator[Snapshot]:
    """Each agency's newest snapshot on or before `as_of` (all dates when None)."""
    best: dict[str, Snapshot] = {}
    for s in snapshots:
        if as_of is not None and s.date > as_of:
            continue
        if s.slug not in best or s.date > best[s.slug].date:
            best[s.slug] = s
    return iter(sorted(best.values(), key=lambda s: s.slug))
