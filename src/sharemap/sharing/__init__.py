"""Plate-reader data sharing in practice: who shares with whom, since when, and what the law says.

The evidence is the agencies' own transparency portals (their sharing lists, stated retention and
prohibited uses) and network audits (who searched a network); organisations are resolved from their
names (`orgs`), and each snapshot is held against the law engine on its date (`findings`).
"""

from __future__ import annotations

import datetime as dt

from sharemap.sharing.findings import Finding, PortalReview, review_audit, review_snapshot
from sharemap.sharing.orgs import Org, OrgKind, Reach, Resolver, name_key, resolve
from sharemap.sharing.portals import AuditOrg, Snapshot, latest, read_network_audit, read_snapshot
from sharemap.sharing.store import shipped_audits, shipped_registry, shipped_snapshots


def reviews(
    *, state: str | None = None, agency: str | None = None, as_of: dt.date | None = None
) -> list[PortalReview]:
    """Each portal's newest snapshot on or before `as_of`, reviewed (filtered by state or agency name)."""
    resolver = Resolver(shipped_registry())
    want = name_key(agency) if agency else None
    out = []
    for s in latest(shipped_snapshots(), as_of):
        if state is not None and s.state != state:
            continue
        if want is not None and want not in name_key(s.agency) and want != name_key(s.slug):
            continue
        out.append(review_snapshot(s, resolver))
    return out


def findings(*, state: str | None = None, as_of: dt.date | None = None) -> list[Finding]:
    """Every finding of the portals' newest snapshots and of the network audits (by state, date)."""
    found = [f for r in reviews(state=state, as_of=as_of) for f in r.findings]
    audits = [
        a
        for a in shipped_audits()
        if (state is None or a.network_state == state) and (as_of is None or a.first <= as_of)
    ]
    found.extend(review_audit(audits, Resolver(shipped_registry())))
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
    "findings",
    "read_network_audit",
    "read_snapshot",
    "resolve",
    "review_audit",
    "review_snapshot",
    "reviews",
]
