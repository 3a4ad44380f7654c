"""The per-snapshot index: what a county's or a state's question needs, precomputed.

A trace or a page asks "what do the portals of this county show on this date?" many times, and the
first time in a process used to load every sharing list (326,640 names), resolve every organisation
(which reads the Census places table) and review every portal of the state against the law, about a
second or more. The answer needs far less: for each snapshot its agency, state, county, date, source
and how many of its outbound organisations are in state, out of state, federal or not placed. Those
counts are written once, beside the lists (`summaries.parquet` shipped, `portal_summaries` in the
database, both by the same function), and the organisations' resolutions beside them
(`organisations.parquet`), so a question reads two small tables and the full reviews of only the
snapshots it names (their lists read by row group; see `sharemap.sharing.store.snapshots_for`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import NamedTuple

import pyarrow as pa

from sharemap.sharing.findings import classify_outbound
from sharemap.sharing.orgs import Org, OrgKind, Placed, Reach, Resolver, place_county
from sharemap.sharing.portals import Snapshot


class SnapshotSummary(NamedTuple):
    """One portal snapshot's counts: outbound organisations by reach (active ones), inactive ones.
    (A named tuple: the index is read whole on a process's first question, and tuples are made
    several times faster than frozen dataclasses.)"""

    slug: str
    agency: str
    state: str | None
    county_fips: str | None
    date: dt.date
    outbound: int
    inbound: int
    in_state: int
    out_of_state: int
    federal: int
    unknown: int
    inactive: int
    source: str


SUMMARY_SCHEMA = pa.schema(
    [
        ("slug", pa.string()),
        ("agency", pa.string()),
        ("state", pa.string()),
        ("county_fips", pa.string()),
        ("date", pa.date32()),
        *((name, pa.int32()) for name in ("outbound", "inbound", "in_state", "out_of_state", "federal")),
        ("unknown", pa.int32()),
        ("inactive", pa.int32()),
        ("source", pa.string()),
    ]
)
ORG_SCHEMA = pa.schema(
    [
        ("name", pa.string()),
        ("kind", pa.string()),
        ("state", pa.string()),
        ("inactive", pa.bool_()),
        ("basis", pa.string()),
        ("county_fips", pa.string()),
        ("place_fips", pa.string()),
    ]
)


def county_of(slug: str, registry: dict[str, Placed]) -> str | None:
    """The county a portal's agency is placed in by the registry (its place's county when the
    registry gives only a place), or None."""
    placed = registry.get("slug:" + slug)
    if placed is None:
        return None
    return placed.county_fips or place_county(placed.place_fips or "")


def summarise(snapshots: Iterable[Snapshot], resolve: Resolver, registry: dict[str, Placed]) -> pa.Table:
    """The index rows of these snapshots (the same classification `review_snapshot` makes)."""
    rows = []
    for s in snapshots:
        by_reach, inactive = classify_outbound(s, resolve)
        rows.append(
            {
                "slug": s.slug,
                "agency": s.agency,
                "state": s.state,
                "county_fips": county_of(s.slug, registry),
                "date": s.date,
                "outbound": len(s.outbound),
                "inbound": len(s.inbound),
                **{reach.value: len(by_reach[reach]) for reach in Reach},
                "inactive": inactive,
                "source": s.source,
            }
        )
    return pa.Table.from_pylist(rows, schema=SUMMARY_SCHEMA)


def summaries_from(table: pa.Table) -> tuple[SnapshotSummary, ...]:
    cols = [table[name].to_pylist() for name in SUMMARY_SCHEMA.names]
    return tuple(SnapshotSummary(*row) for row in zip(*cols, strict=True))


def organisations(resolve: Resolver, names: Iterable[str]) -> pa.Table:
    """Each distinct name as resolved, to seed a process's resolver with."""
    orgs = [resolve(n) for n in sorted(set(names))]
    return pa.Table.from_pylist(
        [
            {
                "name": o.name,
                "kind": o.kind.value,
                "state": o.state,
                "inactive": o.inactive,
                "basis": o.basis,
                "county_fips": o.county_fips,
                "place_fips": o.place_fips,
            }
            for o in orgs
        ],
        schema=ORG_SCHEMA,
    )


class KnownOrgs:
    """The resolved names of a table, made into `Org`s only when asked for (a question needs a few
    hundred of the 5,990)."""

    def __init__(self, table: pa.Table) -> None:
        self._cols = [table[name].to_pylist() for name in ORG_SCHEMA.names]
        self._row = {name: i for i, name in enumerate(self._cols[0])}
        self._kinds = {k.value: k for k in OrgKind}

    def __len__(self) -> int:
        return len(self._row)

    def get(self, name: str) -> Org | None:
        i = self._row.get(name)
        if i is None:
            return None
        _, kind, state, inactive, basis, county, place = (c[i] for c in self._cols)
        return Org(name, self._kinds[kind], state, inactive, basis, county, place)


def latest_of(
    summaries: Iterable[SnapshotSummary], state: str, day: dt.date, county_fips: str | None = None
) -> list[SnapshotSummary]:
    """Each portal's newest snapshot on or before `day` in a state (or placed in one county), by slug."""
    best: dict[str, SnapshotSummary] = {}
    for x in summaries:
        if x.state != state or x.date > day or (county_fips is not None and x.county_fips != county_fips):
            continue
        if x.slug not in best or x.date > best[x.slug].date:
            best[x.slug] = x
    return [best[k] for k in sorted(best)]
