"""Diagrams and matrices of instantiated graphs and traces: Mermaid, Graphviz DOT, element × channel."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sharemap.flows.graph import EdgeState, EdgeStatus, PlaceGraph
from sharemap.flows.trace import Trace
from sharemap.kb.facts import Direction, Encounter, KnowledgeBase

STATUS_COLOUR = {
    EdgeStatus.OPEN: "#2b8a3e",
    EdgeStatus.CONDITIONAL: "#e67700",
    EdgeStatus.CLOSED_BY_LAW: "#c92a2a",
    EdgeStatus.UNKNOWN: "#868e96",
    EdgeStatus.INACTIVE: "#ced4da",
}
STATUS_STYLE = {
    EdgeStatus.OPEN: "solid",
    EdgeStatus.CONDITIONAL: "dashed",
    EdgeStatus.CLOSED_BY_LAW: "bold",
    EdgeStatus.UNKNOWN: "dotted",
    EdgeStatus.INACTIVE: "dotted",
}


def _edges_for(
    source: PlaceGraph | Trace, encounter: Encounter | None, include_inactive: bool
) -> tuple[KnowledgeBase, str, list[EdgeState]]:
    if isinstance(source, Trace):
        seen: dict[str, EdgeState] = {}
        for p in source.paths:
            if p.status is EdgeStatus.INACTIVE and not include_inactive:
                continue
            for h in p.hops:
                seen.setdefault(h.channel, h.edge)
        title = f"{source.encounter.value} — {source.place.label} — {source.date.isoformat()}"
        return source.kb, title, list(seen.values())
    edges = [
        e
        for e in source.edges.values()
        if (encounter is None or encounter in e.channel.encounters)
        and (include_inactive or e.status is not EdgeStatus.INACTIVE)
    ]
    title = f"{source.place.label} — {source.date.isoformat()}" + (
        f" — {encounter.value}" if encounter else ""
    )
    return source.kb, title, edges


def _node_id(sid: str) -> str:
    return sid.replace(".", "_")


def _short(text: str, n: int = 48) -> str:
    text = text.replace('"', "'")
    return text if len(text) <= n else text[: n - 1] + "…"


def mermaid(
    source: PlaceGraph | Trace, encounter: Encounter | None = None, include_inactive: bool = False
) -> str:
    """A Mermaid flowchart: systems as nodes (ICE systems highlighted), channels as labelled edges
    coloured by status (green open, orange conditional, red closed by law, grey unknown/inactive)."""
    kb, title, edges = _edges_for(source, encounter, include_inactive)
    nodes = list(dict.fromkeys(s for e in edges for s in (e.channel.from_system, e.channel.to_system)))
    lines = ["---", f"title: {_short(title, 100)}", "---", "flowchart LR"]
    for sid in nodes:
        s = kb.systems[sid]
        shape = (
            f'{_node_id(sid)}[["{_short(s.name)}"]]'
            if s.side.value == "ice"
            else f'{_node_id(sid)}["{_short(s.name)}"]'
        )
        lines.append(f"  {shape}")
    for i, e in enumerate(edges):
        arrow = (
            "-.->" if e.status in (EdgeStatus.CONDITIONAL, EdgeStatus.UNKNOWN, EdgeStatus.INACTIVE) else "-->"
        )
        if e.status is EdgeStatus.CLOSED_BY_LAW:
            arrow = "--x"
        label = _short(f"{e.channel.name} [{e.status.label}]", 60)
        lines.append(
            f'  {_node_id(e.channel.from_system)} {arrow}|"{label}"| {_node_id(e.channel.to_system)}'
        )
        lines.append(f"  linkStyle {i} stroke:{STATUS_COLOUR[e.status]}")
    lines.append("  classDef ice fill:#fff3bf,stroke:#e67700")
    ice_nodes = [_node_id(s) for s in nodes if kb.systems[s].side.value == "ice"]
    if ice_nodes:
        lines.append(f"  class {','.join(ice_nodes)} ice")
    return "\n".join(lines) + "\n"


def _dot_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot(
    source: PlaceGraph | Trace, encounter: Encounter | None = None, include_inactive: bool = False
) -> str:
    """A Graphviz DOT digraph with the same content and colours as `mermaid`."""
    kb, title, edges = _edges_for(source, encounter, include_inactive)
    nodes = list(dict.fromkeys(s for e in edges for s in (e.channel.from_system, e.channel.to_system)))
    lines = [
        "digraph sharemap {",
        "  rankdir=LR;",
        f"  label={_dot_str(title)}; labelloc=t;",
        '  node [shape=box, style="rounded,filled", fillcolor="#f8f9fa", fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for sid in nodes:
        s = kb.systems[sid]
        fill = ', fillcolor="#fff3bf", penwidth=2' if s.side.value == "ice" else ""
        lines.append(f"  {_dot_str(sid)} [label={_dot_str(s.name)}{fill}];")
    for e in edges:
        ch = e.channel
        lines.append(
            f"  {_dot_str(ch.from_system)} -> {_dot_str(ch.to_system)} "
            f"[label={_dot_str(_short(ch.name, 40) + ' [' + e.status.label + ']')}, "
            f"color={_dot_str(STATUS_COLOUR[e.status])}, style={STATUS_STYLE[e.status]}, "
            f"tooltip={_dot_str(e.reason)}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Matrix:
    """Data elements (rows) × channels (columns). A cell is '→' (carried forward), '←' (carried back),
    '↔' (both) or '' (not carried). `status` gives each channel's status when instantiated."""

    elements: tuple[str, ...]
    channels: tuple[str, ...]
    cells: dict[tuple[str, str], str]
    status: dict[str, EdgeStatus | None]

    def to_dict(self, kb: KnowledgeBase) -> dict[str, Any]:
        return {
            "channels": [
                {"id": c, "name": kb.channels[c].name, "status": s.value if (s := self.status[c]) else None}
                for c in self.channels
            ],
            "rows": [
                {
                    "element": el,
                    "name": kb.data_elements[el].name,
                    "cells": {c: self.cells[(el, c)] for c in self.channels if self.cells.get((el, c))},
                }
                for el in self.elements
            ],
        }

    def to_csv(self) -> str:
        out = ["element," + ",".join(self.channels)]
        for el in self.elements:
            out.append(el + "," + ",".join(self.cells.get((el, c), "") for c in self.channels))
        return "\n".join(out) + "\n"


def matrix(
    kb: KnowledgeBase,
    graph: PlaceGraph | None = None,
    encounter: Encounter | None = None,
    channels: Iterable[str] | None = None,
) -> Matrix:
    """The element × channel matrix of the whole KB, one encounter, or a chosen list of channels.
    With a graph, carries are those in force on its date and statuses are filled in."""
    if channels is not None:
        chosen = list(channels)
    else:
        chosen = [c for c, ch in kb.channels.items() if encounter is None or encounter in ch.encounters]
    cells: dict[tuple[str, str], str] = {}
    status: dict[str, EdgeStatus | None] = {}
    for cid in chosen:
        ch = kb.channels[cid]
        carries = graph.edges[cid].carries if graph is not None else ch.carries
        status[cid] = graph.edges[cid].status if graph is not None else None
        for c in carries:
            mark = "→" if c.direction is Direction.FORWARD else "←"
            prev = cells.get((c.element, cid), "")
            cells[(c.element, cid)] = mark if prev in ("", mark) else "↔"
    used = {el for el, _ in cells}
    elements = tuple(e for e in kb.data_elements if e in used)
    return Matrix(elements=elements, channels=tuple(chosen), cells=cells, status=status)
