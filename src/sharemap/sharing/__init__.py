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
from sharemap.sharing.orgs import Org, OrgKind, Reach, Resolver, name_key, place_county, resolve
from sharemap.sharing.portals import AuditOrg, Snapshot, latest, read_network_audit, read_snapshot
from sharemap.sharing.store import data_of, data_version, shipped_registry, states_with_data


@lru_cache(maxsize=1)
def _resolver() -> Resolver:
    """One resolver over the shipped registry for the process: names resolve once, not per query."""
    return Resolver(shipped_registry())


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
    resolver = _resolver()
    want = name_key(agency) if agency else None
    out = []
    for s in latest(data_of(version)[0], as_of):
        if state is not None and s.state != state:
            continue
        if want is not None and want not in name_key(s.agency) and want != name_key(s.slug):
            continue
        out.append(review_snapshot(s, resolver))
    return tuple(out)


def _reviews_on(state: str, day: dt.date, db: Path | None = None) -> tuple[PortalReview, ...]:
    version = data_version(db)
    if state not in states_with_data(version):
        return ()  # a state without portal data is answered without loading the sharing lists
    return _reviews(version, state, None, day)


def _county_of(review: PortalReview) -> str | None:
    placed = shipped_registry().get("slug:" + review.snapshot.slug)
    if placed is None:
        return None
    if placed.county_fips:
        return placed.county_fips
    return place_county(placed.place_fips or "")


def reviews_for(
    state: str, day: dt.date, county_fips: str | None = None, db: Path | None = None
) -> list[PortalReview]:
    """The newest portal snapshot on or before `day` of each agency in a state (or placed in one
    county, by the registry and the Census places table), reviewed; cached per state and date."""
    found = _reviews_on(state, day, db)
    return [r for r in found if county_fips is None or _county_of(r) == county_fips]


def evidence(
    state: str, day: dt.date, county_fips: str | None = None, db: Path | None = None
) -> tuple[str, ...]:
    """What the portals show about plate-reader sharing out of state or with federal agencies, for a
    state (or one county's agencies) on a date, as sentences with their source; or that none is public."""
    found = reviews_for(state, day, county_fips, db)
    where = f"county {county_fips}" if county_fips else state
    if not found:
        return (f"no public sharing data for {where} on or before {day.isoformat()}",)
    out = []
    for r in found:
        far, fed = len(r.outbound[Reach.OUT_OF_STATE]), len(r.outbound[Reach.FEDERAL])
        if far or fed:
            s = r.snapshot
            out.append(
                f"{s.agency}'s portal of {s.date.isoformat()} lists {far} out-of-state and {fed} federal "
                f"organisations among the {len(s.outbound)} it shares its cameras with (source: {s.source})"
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
    found.extend(review_audit(audits, _resolver()))
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
    "review_audit",
    "review_snapshot",
    "reviews",
    "reviews_for",
]
