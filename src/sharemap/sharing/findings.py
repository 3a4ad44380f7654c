"""Plate-reader sharing held against the law: each portal snapshot and network audit, ruled on its date.

For the sharing agency's state and the snapshot's date the law engine is asked whether a plate-reader
operator may share with out-of-state agencies, with federal agencies and for immigration enforcement,
and which retention limit applies. A finding is raised where the evidence (the organisations the
agency itself lists, or the searches its audit records) meets a prohibition, or where the portal's
own statements disagree (immigration listed as a prohibited use while federal immigration agencies
are on the list; retention stated longer than the state's limit). Findings cite the provisions and
the evidence; they state what the records show, not intent or whether data was in fact used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sharemap.law import Action, Actor, Effect, Law, Provision, default_law
from sharemap.law.retention import retention_days
from sharemap.sharing.orgs import Org, OrgKind, Reach, Resolver
from sharemap.sharing.portals import AuditOrg, Snapshot

_ACTION_OF = {Reach.OUT_OF_STATE: Action.SHARE_ALPR_OUT_OF_STATE, Reach.FEDERAL: Action.SHARE_ALPR_FEDERAL}


@dataclass(frozen=True, slots=True)
class Finding:
    """What the evidence shows against what the law says, with both cited."""

    rule: str  # out_of_state_sharing | federal_sharing | immigration_use | retention_over_limit
    agency: str
    state: str
    date: dt.date
    text: str
    provisions: tuple[Provision, ...]
    orgs: tuple[str, ...]
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "agency": self.agency,
            "state": self.state,
            "date": self.date.isoformat(),
            "text": self.text,
            "provisions": [
                {"id": p.id, "citation": p.citation, "url": str(p.sources[0].url)} for p in self.provisions
            ],
            "organisations": list(self.orgs),
            "count": len(self.orgs),
            "source": self.source,
        }


@dataclass(frozen=True)
class PortalReview:
    """One snapshot: its outbound organisations by reach, and the findings."""

    snapshot: Snapshot
    outbound: dict[Reach, tuple[Org, ...]]
    inactive: int
    findings: tuple[Finding, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        s = self.snapshot
        return {
            "agency": s.agency,
            "slug": s.slug,
            "state": s.state or "not stated",
            "date": s.date.isoformat(),
            "outbound": len(s.outbound),
            "inbound": len(s.inbound),
            "outbound_by_class": {r.value: len(self.outbound.get(r, ())) for r in Reach},
            "outbound_inactive": self.inactive,
            "retention_days": s.retention_days if s.retention_days is not None else "not stated",
            "camera_count": s.camera_count if s.camera_count is not None else "not stated",
            "findings": [f.to_dict() for f in self.findings],
            "source": s.source,
        }


def _prohibiting(law: Law, state: str, action: Action, day: dt.date) -> tuple[Provision, ...]:
    r = law.rule(state, Actor.PLATE_READER_OPERATOR, action, day)
    return r.provisions if r.effect is Effect.PROHIBITED else ()


def _count(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")


def classify_outbound(s: Snapshot, resolve: Resolver) -> tuple[dict[Reach, tuple[Org, ...]], int]:
    """A snapshot's active outbound organisations by reach from its agency's state (all `unknown`
    when that state is not known), and how many listed organisations are inactive."""
    orgs = [resolve(n) for n in s.outbound]
    active = [o for o in orgs if not o.inactive]
    home = s.state
    buckets: dict[Reach, list[Org]] = {reach: [] for reach in Reach}
    if home is not None:
        for o in active:  # each organisation's reach computed once
            buckets[o.reach(home)].append(o)
    by_reach = {reach: tuple(orgs) for reach, orgs in buckets.items()}
    if home is None:
        by_reach[Reach.UNKNOWN] = tuple(active)
    return by_reach, len(orgs) - len(active)


def review_snapshot(s: Snapshot, resolver: Resolver | None = None, law: Law | None = None) -> PortalReview:
    """Classify a snapshot's outbound list and hold it against the law of its state on its date."""
    by_reach, inactive = classify_outbound(s, resolver or Resolver())
    home = s.state
    if home is None:
        return PortalReview(s, by_reach, inactive)
    law = law or default_law()
    active = [o for reach in Reach for o in by_reach[reach]]
    findings: list[Finding] = []

    def found(rule: str, text: str, provisions: tuple[Provision, ...], listed: tuple[Org, ...]) -> None:
        opening = f"{s.agency}'s portal of {s.date.isoformat()} "
        orgs = tuple(o.name for o in listed)
        findings.append(Finding(rule, s.agency, home, s.date, opening + text, provisions, orgs, s.source))

    for reach, what in ((Reach.OUT_OF_STATE, "out-of-state"), (Reach.FEDERAL, "federal")):
        listed = by_reach[reach]
        provs = _prohibiting(law, home, _ACTION_OF[reach], s.date) if listed else ()
        if provs:
            cites = "; ".join(p.citation for p in provs)
            found(
                f"{reach.value}_sharing",
                f"lists {_count(len(listed), what + ' organisation')} among the {len(s.outbound)} it shares "
                f"its plate-reader network with; {cites} bars sharing plate-reader data with {what} "
                "agencies.",
                provs,
                listed,
            )
    immigration = tuple(o for o in active if o.kind is OrgKind.FEDERAL_IMMIGRATION)
    if immigration and s.prohibited_uses and "immigration" in s.prohibited_uses.lower():
        found(
            "immigration_use",
            "lists immigration enforcement as a prohibited use, yet shares its network with "
            f"{_count(len(immigration), 'federal immigration agency')}.",
            _prohibiting(law, home, Action.SHARE_ALPR_IMMIGRATION, s.date),
            immigration,
        )
    limit = retention_days(home, s.date, law=law) if s.retention_days is not None else None
    stated = s.retention_days
    if limit is not None and limit.days is not None and stated is not None and stated > limit.days:
        prov = law.get(limit.provision_id)
        found(
            "retention_over_limit",
            f"states a retention of {stated} days; {limit.citation} sets {limit.period}.",
            (prov,) if prov else (),
            (),
        )
    return PortalReview(s, by_reach, inactive, tuple(findings))


def review_audit(
    rows: Iterable[AuditOrg], resolver: Resolver | None = None, law: Law | None = None
) -> list[Finding]:
    """Out-of-state and federal searchers of a network, ruled on the date of their last search."""
    law = law or default_law()
    resolve = resolver or Resolver()
    out: list[Finding] = []
    for a in rows:
        org = resolve(a.org)
        reach = org.reach(a.network_state)
        if reach not in _ACTION_OF:
            continue
        provs = _prohibiting(law, a.network_state, _ACTION_OF[reach], a.last)
        if not provs:
            continue
        what = "an out-of-state" if reach is Reach.OUT_OF_STATE else "a federal"
        cites = "; ".join(p.citation for p in provs)
        out.append(
            Finding(
                rule=f"{reach.value}_sharing",
                agency=a.network,
                state=a.network_state,
                date=a.last,
                text=(
                    f"{a.org} ({what} agency) searched {a.network}'s plate-reader network "
                    f"{a.searches:,} times from {a.first.isoformat()} to {a.last.isoformat()}; {cites} bars "
                    "sharing plate-reader data with such agencies."
                ),
                provisions=provs,
                orgs=(a.org,),
                source=a.source,
            )
        )
    return out
