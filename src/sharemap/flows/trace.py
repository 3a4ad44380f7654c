"""Trace an encounter: every path by which identity data reaches ICE, at a place and date.

`trace(place_graph, encounter)` is pure and fast: the paths of an encounter are computed once per
knowledge base (`graph.encounter_paths`); a trace only looks up how each hop stands in the
instantiated graph. `compare(a, b)` lists the paths and data elements that differ.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sharemap.flows.graph import (
    REACHES,
    STATUS_RANK,
    EdgeState,
    EdgeStatus,
    Place,
    PlaceGraph,
    encounter_paths,
)
from sharemap.flows.words import agreement_words
from sharemap.kb.facts import Encounter, KnowledgeBase
from sharemap.kb.model import Agreement


@dataclass(frozen=True, slots=True)
class Hop:
    """One hop of a path, as it stands here and now."""

    edge: EdgeState

    @property
    def channel(self) -> str:
        return self.edge.channel.id

    def to_dict(self, kb: KnowledgeBase) -> dict[str, Any]:
        ch = self.edge.channel
        lat = ch.latency
        return {
            **self.edge.to_dict(),
            "latency": {
                "disclosed": lat.disclosed,
                "seconds": lat.seconds,
                "text": lat.text,
                "figure": lat.figure,
                "sources": [_src(kb, s) for s in lat.sources],
            },
            "authority": [{"id": a, "name": getattr(kb.entry(a), "name", a)} for a in ch.authority],
            "authority_text": ch.authority_text,
            "decline_note": ch.decline_note,
            "notes": [{"text": n.text, "sources": [_src(kb, s) for s in n.sources]} for n in ch.notes],
            "sources": [_src(kb, s) for s in ch.sources],
        }


def _src(kb: KnowledgeBase, sid: str) -> dict[str, Any]:
    s = kb.sources.get(sid)
    if s is None:
        return {"id": sid}
    return {
        "id": sid,
        "title": s.title,
        "url": str(s.url) if s.url else None,
        "date": s.date.isoformat() if s.date else None,
        "year": s.year,
    }


@dataclass(frozen=True, slots=True)
class Path:
    """A chain of hops from the encounter to the first ICE system."""

    hops: tuple[Hop, ...]
    status: EdgeStatus
    reason: str
    elements: tuple[str, ...]
    latency_seconds: float
    unknown_latency: tuple[str, ...]
    local_can_decline: bool | None

    @property
    def id(self) -> str:
        return " > ".join(h.channel for h in self.hops)

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(h.channel for h in self.hops)

    @property
    def ice_system(self) -> str:
        return self.hops[-1].edge.channel.to_system

    @property
    def reaches_ice(self) -> bool:
        return self.status in REACHES

    def systems(self) -> tuple[str, ...]:
        first = self.hops[0].edge.channel.from_system
        return (first, *(h.edge.channel.to_system for h in self.hops))

    def to_dict(self, kb: KnowledgeBase) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status.value,
            "reason": self.reason,
            "systems": list(self.systems()),
            "ice_system": self.ice_system,
            "elements_reaching_ice": list(self.elements),
            "latency": {
                "known_seconds": self.latency_seconds,
                "known_text": format_seconds(self.latency_seconds),
                "not_disclosed_hops": list(self.unknown_latency),
            },
            "local_can_decline": self.local_can_decline,
            "hops": [h.to_dict(kb) for h in self.hops],
        }


def format_seconds(s: float) -> str:
    if s <= 0:
        return "0 s"
    if s < 120:
        return f"{s:g} s"
    if s < 7200:
        return f"{s / 60:g} min"
    return f"{s / 3600:g} h"


def _path(edges: tuple[EdgeState, ...]) -> Path:
    worst = min(edges, key=lambda e: STATUS_RANK[e.status])
    status = worst.status
    reason = "" if status is EdgeStatus.OPEN else f"{worst.channel.name}: {worst.reason}"
    if status is EdgeStatus.OPEN:
        reason = "; ".join(dict.fromkeys(e.reason for e in edges))
    last = edges[-1]
    known = sum(e.channel.latency.seconds or 0.0 for e in edges if e.channel.latency.disclosed)
    unknown = tuple(e.channel.id for e in edges if not e.channel.latency.disclosed)
    declines = [e.local_can_decline for e in edges]
    if any(d is True for d in declines):
        can = True
    elif all(d is False for d in declines):
        can = False
    else:
        can = None
    return Path(
        hops=tuple(Hop(e) for e in edges),
        status=status,
        reason=reason,
        elements=last.forward,
        latency_seconds=known,
        unknown_latency=unknown,
        local_can_decline=can,
    )


@dataclass(frozen=True, slots=True)
class Trace:
    """Every path from an encounter to ICE at a place and date, with a one-paragraph summary."""

    place: Place
    date: dt.date
    encounter: Encounter
    paths: tuple[Path, ...]
    agreements: tuple[Agreement, ...]
    kb: KnowledgeBase

    def by_status(self, *statuses: EdgeStatus) -> tuple[Path, ...]:
        return tuple(p for p in self.paths if p.status in statuses)

    @property
    def elements_reaching(self) -> tuple[str, ...]:
        """Data elements that arrive at ICE on open or conditional paths, in KB order."""
        got = {el for p in self.paths if p.reaches_ice for el in p.elements}
        return tuple(e for e in self.kb.data_elements if e in got)

    @property
    def elements_closed(self) -> tuple[str, ...]:
        """Elements that would arrive only on paths the law closes here."""
        closed = {el for p in self.by_status(EdgeStatus.CLOSED_BY_LAW) for el in p.elements}
        return tuple(e for e in self.kb.data_elements if e in closed - set(self.elements_reaching))

    @property
    def encounter_name(self) -> str:
        """The encounter in words ("Booking after arrest")."""
        spec = self.kb.encounters.get(self.encounter)
        return spec.name if spec else self.encounter.value.replace("_", " ")

    def summary(self) -> str:
        kb = self.kb
        enc = self.encounter_name
        counts = {s: len(self.by_status(s)) for s in EdgeStatus}
        names = [kb.data_elements[e].name for e in self.elements_reaching]
        parts = [
            f"{enc} in {self.place.label} on {self.date.isoformat()}: "
            f"{len(self.paths)} known paths lead to ICE; "
            f"{counts[EdgeStatus.OPEN]} open, {counts[EdgeStatus.CONDITIONAL]} conditional, "
            f"{counts[EdgeStatus.CLOSED_BY_LAW]} closed by law, {counts[EdgeStatus.UNKNOWN]} unknown, "
            f"{counts[EdgeStatus.INACTIVE]} not in place here."
        ]
        if names:
            parts.append(f"Data that reaches ICE on open or conditional paths: {', '.join(names)}.")
        else:
            parts.append("No open or conditional path reaches ICE.")
        auto = [p for p in self.by_status(EdgeStatus.OPEN) if p.local_can_decline is False]
        if auto:
            parts.append("Without any local decision: " + "; ".join(self._describe(p) for p in auto) + ".")
        other = [p for p in self.paths if p.reaches_ice and p not in auto]
        if other:
            parts.append("Also open or conditional: " + "; ".join(self._describe(p) for p in other) + ".")
        closed = self.by_status(EdgeStatus.CLOSED_BY_LAW)
        if closed:
            cites = sorted(
                {
                    c
                    for p in closed
                    for h in p.hops
                    for r in h.edge.rulings
                    for c in r.citations
                    if r.effect.value == "prohibited"
                }
            )
            parts.append(
                "Closed by law here: "
                + "; ".join(self._describe(p) for p in closed)
                + (f" (under {'; '.join(cites)})" if cites else "")
                + "."
            )
        inactive = self.by_status(EdgeStatus.INACTIVE)
        if inactive:
            parts.append("Not in place here: " + "; ".join(self._describe(p) for p in inactive) + ".")
        seen = tuple(dict.fromkeys(e for p in self.paths for h in p.hops for e in h.edge.evidence))
        if seen:
            parts.append("In practice (plate-reader portals): " + "; ".join(seen) + ".")
        if self.elements_closed:
            parts.append(
                "Elements that the closed paths would otherwise carry: "
                + ", ".join(kb.data_elements[e].name for e in self.elements_closed)
                + "."
            )
        return " ".join(parts)

    def _describe(self, p: Path) -> str:
        kb = self.kb
        names = [kb.channels[c].name for c in p.channels]
        return " → ".join(names)

    def to_dict(self) -> dict[str, Any]:
        kb = self.kb
        return {
            "place": self.place.to_dict(),
            "date": self.date.isoformat(),
            "encounter": self.encounter.value,
            "agreements_in_force": [agreement_words(a) for a in self.agreements],
            "summary": self.summary(),
            "elements_reaching_ice": [
                {"id": e, "name": kb.data_elements[e].name} for e in self.elements_reaching
            ],
            "elements_only_on_closed_paths": list(self.elements_closed),
            "paths": [p.to_dict(kb) for p in self.paths],
        }


def trace(graph: PlaceGraph, encounter: Encounter | str) -> Trace:
    """Every path by which data from `encounter` reaches an ICE system at the graph's place and date."""
    enc = Encounter(encounter)
    edges = graph.edges
    paths = tuple(_path(tuple(edges[c] for c in chain)) for chain in encounter_paths(graph.kb, enc))
    paths = tuple(sorted(paths, key=lambda p: (-STATUS_RANK[p.status], len(p.hops), p.id)))
    return Trace(
        place=graph.place,
        date=graph.date,
        encounter=enc,
        paths=paths,
        agreements=graph.agreements,
        kb=graph.kb,
    )


# --- comparison ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PathChange:
    path: str
    channels: tuple[str, ...]
    before: EdgeStatus | None
    after: EdgeStatus | None
    reason_before: str
    reason_after: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "before": self.before.value if self.before else None,
            "after": self.after.value if self.after else None,
            "reason_before": self.reason_before,
            "reason_after": self.reason_after,
        }


@dataclass(frozen=True, slots=True)
class Comparison:
    """What differs between two traces of the same encounter (two places, or two dates)."""

    a: Trace
    b: Trace
    changes: tuple[PathChange, ...]
    elements_added: tuple[str, ...]
    elements_removed: tuple[str, ...]
    label_a: str = ""
    label_b: str = ""

    @property
    def same(self) -> bool:
        return not self.changes and not self.elements_added and not self.elements_removed

    def summary(self) -> str:
        kb = self.a.kb
        la = self.label_a or f"{self.a.place.label} on {self.a.date.isoformat()}"
        lb = self.label_b or f"{self.b.place.label} on {self.b.date.isoformat()}"
        enc = self.a.encounter_name
        if self.same:
            return f"{enc}: no difference between {la} and {lb}."
        n = len(self.changes)
        verb = "path differs" if n == 1 else "paths differ"
        parts = [f"{enc}: {n} {verb} between {la} and {lb}."]
        if self.elements_added:
            parts.append(
                f"Reach ICE in {lb} but not in {la}: "
                + ", ".join(kb.data_elements[e].name for e in self.elements_added)
                + "."
            )
        if self.elements_removed:
            parts.append(
                f"Reach ICE in {la} but not in {lb}: "
                + ", ".join(kb.data_elements[e].name for e in self.elements_removed)
                + "."
            )
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "encounter": self.a.encounter.value,
            "a": {"place": self.a.place.to_dict(), "date": self.a.date.isoformat()},
            "b": {"place": self.b.place.to_dict(), "date": self.b.date.isoformat()},
            "summary": self.summary(),
            "path_changes": [c.to_dict() for c in self.changes],
            "elements_added": list(self.elements_added),
            "elements_removed": list(self.elements_removed),
        }


def compare(a: Trace, b: Trace, label_a: str = "", label_b: str = "") -> Comparison:
    """Paths whose status differs, and data elements reaching ICE in one trace but not the other.
    `label_a` and `label_b` name the two sides in the summary (default: place and date)."""
    pa = {p.id: p for p in a.paths}
    pb = {p.id: p for p in b.paths}
    changes = []
    for pid in list(dict.fromkeys([*pa, *pb])):
        x, y = pa.get(pid), pb.get(pid)
        sx = x.status if x else None
        sy = y.status if y else None
        if sx != sy:
            changes.append(
                PathChange(
                    path=pid,
                    channels=(x or y).channels,  # type: ignore[union-attr]
                    before=sx,
                    after=sy,
                    reason_before=x.reason if x else "",
                    reason_after=y.reason if y else "",
                )
            )
    ea, eb = set(a.elements_reaching), set(b.elements_reaching)
    order = list(a.kb.data_elements)
    return Comparison(
        a=a,
        b=b,
        changes=tuple(changes),
        elements_added=tuple(e for e in order if e in eb - ea),
        elements_removed=tuple(e for e in order if e in ea - eb),
        label_a=label_a,
        label_b=label_b,
    )


def trace_all(graph: PlaceGraph, encounters: Iterable[Encounter] = tuple(Encounter)) -> list[Trace]:
    return [trace(graph, e) for e in encounters]
