"""Plate-reader data sharing in practice: who shares with whom, since when, and what the law says.

The evidence is the agencies' own transparency portals (their sharing lists, stated retention and
prohibited uses) and network audits (who searched a network); organisations are resolved from their
names (`orgs`), and each snapshot is held against the law engine on its date (`findings`).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from sharemap.sharing.findings import Finding, PortalReview, review_audit, review_snapshot
from sharemap.sharing.index import latest_of
from sharemap.sharing.orgs import Org, OrgKind, Reach, Resolver, name_key, resolve
from sharemap.sharing.portals import AuditOrg, Snapshot, latest, read_network_audit, read_snapshot
from sharemap.sharing.store import (
    data_of,
    data_version,
    shipped_organisations,
    shipped_registry,
    snapshots_for,
    states_with_data,
    summaries_of,
)


@lru_cache(maxsize=1)
def resolver() -> Resolver:
    """The one organisation resolver of the process, over the shipped registry: `sharemap sharing`,
    `sharemap portal` and the audit of network-audit files all read names through it, so a name
    gets the same kind and state everywhere (and is resolved once)."""
    return Resolver(known=shipped_organisations(), load_registry=shipped_registry)


def reviews(
    *,
    state: str | None = None,
    agency: str | None = None,
    as_of: dt.date | None = None,
    db: Path | None = None,
) -> list[PortalReview]:
    """Each portal's newest snapshot on or before `as_of`, reviewed (filtered by state or agency name);
    from the sharing tables of the database `db` (default SHAREMAP_DB) when it has them."""
    return list(_reviews(data_version(db), state, agency, as_of))


@lru_cache(maxsize=512)
def _reviews(
    version: str, state: str | None, agency: str | None, as_of: dt.date | None
) -> tuple[PortalReview, ...]:
    """Reviews of one version of the data (the database's, or the shipped), cached per question."""
    names = resolver()
    want = name_key(agency) if agency else None
    out = []
    for s in latest(data_of(version)[0], as_of):
        if state is not None and s.state != state:
            continue
        if want is not None and want not in name_key(s.agency) and want != name_key(s.slug):
            continue
        out.append(review_snapshot(s, names))
    return tuple(out)


@lru_cache(maxsize=512)
def _reviews_of(version: str, keys: tuple[tuple[str, dt.date], ...]) -> tuple[PortalReview, ...]:
    """The snapshots `keys` reviewed (their lists read alone, `store.snapshots_for`); cached."""
    names = resolver()
    return tuple(review_snapshot(s, names) for s in snapshots_for(version, frozenset(keys)))


def reviews_for(
    state: str, day: dt.date, county_fips: str | None = None, db: Path | None = None
) -> list[PortalReview]:
    """The newest portal snapshot on or before `day` of each agency in a state (or placed in one
    county, by the registry and the Census places table), reviewed; cached per question. The
    snapshots are chosen from the index, so only theirs are read and reviewed."""
    version = data_version(db)
    if state not in states_with_data(version):
        return []  # a state without portal data is answered without loading the sharing lists
    chosen = latest_of(summaries_of(version), state, day, county_fips)
    return list(_reviews_of(version, tuple((x.slug, x.date) for x in chosen)))


def evidence(
    state: str, day: dt.date, county_fips: str | None = None, db: Path | None = None
) -> tuple[str, ...]:
    """What the portals show about plate-reader sharing out of state or with federal agencies, for a
    state (or one county's agencies) on a date, as sentences with their source; or that none is public."""
    version = data_version(db)
    found = []
    if state in states_with_data(version):  # a state without portal data reads nothing more
        found = latest_of(summaries_of(version), state, day, county_fips)
    where = f"county {county_fips}" if county_fips else state
    if not found:
        return (f"no public sharing data for {where} on or before {day.isoformat()}",)
    out = []
    for x in found:  # the index's counts: the same classification as the reviews, without the lists
        if x.out_of_state or x.federal:
            out.append(
                f"{x.agency}'s portal of {x.date.isoformat()} lists {x.out_of_state} out-of-state and "
                f"{x.federal} federal organisations among the {x.outbound} it shares its cameras with "
                f"(source: {x.source})"
            )
    if not out:
        out.append(f"{len(found)} public portal(s) in {where} list no out-of-state or federal organisation")
    return tuple(out)


def findings(
    *, state: str | None = None, as_of: dt.date | None = None, db: Path | None = None
) -> list[Finding]:
    """Every finding of the portals' newest snapshots and of the network audits (by state, date)."""
    found = [f for r in reviews(state=state, as_of=as_of, db=db) for f in r.findings]
    audits = [
        a
        for a in data_of(data_version(db))[1]
        if (state is None or a.network_state == state) and (as_of is None or a.first <= as_of)
    ]
    found.extend(review_audit(audits, resolver()))
    return found


__all__ = [
    "AuditOrg",
    "Finding",
    "Org",
    "OrgKind",
    "PortalReview",
    "Reach",
    "Resolver",
    "Snapshot",
    "evidence",
    "findings",
    "read_network_audit",
    "read_snapshot",
    "resolve",
    "resolver",
    "review_audit",
    "review_snapshot",
    "reviews",
    "reviews_for",
]
