"""Diagrams and matrices of instantiated graphs and traces: Mermaid, Graphviz DOT, element × channel."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

from sharemap.flows.answer import (
    answer,
    by_encounter,
    channel_name,
    encounter_name,
    status_label,
    system_name,
)
from sharemap.flows.graph import EdgeState, EdgeStatus, PlaceGraph
from sharemap.flows.trace import Path, Trace
from sharemap.kb.facts import Direction, Encounter, KnowledgeBase
from sharemap.kb.model import Source
from sharemap.law.labels import Lang

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
        title = f"{source.encounter_name} — {source.place.label} — {source.date.isoformat()}"
        return source.kb, title, list(seen.values())
    edges = [
        e
        for e in source.edges.values()
        if (encounter is None or encounter in e.channel.encounters)
        and (include_inactive or e.status is not EdgeStatus.INACTIVE)
    ]
    title = f"{source.place.label} — {source.date.isoformat()}" + (
        f" — {encounter_name(source.kb, encounter)}" if encounter else ""
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


# --- server-side SVG (web pages: no scripts) ---------------------------------------------------------

_BOX_W, _BOX_H, _GAP, _ROW_H, _CAPTION_H, _PAD = 132, 44, 34, 78, 18, 8
_LINE_CHARS = 22


def _wrap(text: str, width: int = _LINE_CHARS, lines: int = 3) -> list[str]:
    """Words wrapped to `lines` lines of about `width` characters (the last one cut with '…')."""
    out: list[str] = []
    for word in text.split():
        if out and len(out[-1]) + 1 + len(word) <= width:
            out[-1] += " " + word
        else:
            out.append(word)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][: width - 1] + "…"
    return out


def svg(t: Trace, lang: Lang = "en") -> str:
    """The routes of a trace as an SVG figure: one row per route, the systems as boxes, each hop's
    arrow coloured by its status (solid open, dashed conditional, crossed closed, dotted otherwise),
    and a caption naming the route and its status. Self-contained markup: no script, no external file."""
    kb = t.kb
    paths = list(t.paths)
    longest = max((len(p.hops) for p in paths), default=0)
    width = _PAD * 2 + (longest + 1) * _BOX_W + longest * _GAP
    height = _PAD * 2 + len(paths) * _ROW_H
    title = f"{encounter_name(kb, t.encounter, lang)} — {t.place.label} — {t.date.isoformat()}"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="routes" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-labelledby="svg-{t.encounter.value}" '
        'style="max-width:100%;height:auto" font-family="sans-serif">',
        f'<title id="svg-{t.encounter.value}">{escape(title)}</title>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker></defs>',
    ]
    for i, p in enumerate(paths):
        out.append(_svg_row(kb, p, _PAD + i * _ROW_H, lang))
    out.append("</svg>")
    return "\n".join(out)


def _svg_row(kb: KnowledgeBase, p: Path, y: int, lang: Lang) -> str:
    colour = STATUS_COLOUR[p.status]
    route = " → ".join(channel_name(kb, c, lang) for c in p.channels)
    caption = f"{route} — {status_label(p.status, lang)}"
    parts = [
        f"<g><title>{escape(caption)}</title>",
        f'<text x="{_PAD}" y="{y + 12}" font-size="11" fill="#212529">{escape(_short(caption, 140))}</text>',
    ]
    top = y + _CAPTION_H
    for j, sid in enumerate(p.systems()):
        x = _PAD + j * (_BOX_W + _GAP)
        ice = kb.systems[sid].side.value == "ice"
        fill, stroke = ("#fff3bf", "#e67700") if ice else ("#f8f9fa", "#868e96")
        parts.append(
            f'<rect x="{x}" y="{top}" width="{_BOX_W}" height="{_BOX_H}" rx="6" '
            f'fill="{fill}" stroke="{stroke}"/>'
        )
        lines = _wrap(system_name(kb, sid, lang))
        first = top + _BOX_H / 2 - (len(lines) - 1) * 6 + 4
        for k, line in enumerate(lines):
            parts.append(
                f'<text x="{x + _BOX_W / 2}" y="{first + k * 12:.0f}" font-size="10" text-anchor="middle">'
                f"{escape(line)}</text>"
            )
        if j < len(p.hops):
            hop = p.hops[j].edge
            parts.append(_svg_arrow(x + _BOX_W, top + _BOX_H / 2, hop.status))
    parts.append(f'<rect x="0" y="{top}" width="4" height="{_BOX_H}" fill="{colour}"/></g>')
    return "".join(parts)


_DASH = {
    EdgeStatus.OPEN: "",
    EdgeStatus.CONDITIONAL: ' stroke-dasharray="6 3"',
    EdgeStatus.CLOSED_BY_LAW: "",
    EdgeStatus.UNKNOWN: ' stroke-dasharray="2 3"',
    EdgeStatus.INACTIVE: ' stroke-dasharray="2 3"',
}


def _svg_arrow(x: float, y: float, status: EdgeStatus) -> str:
    colour = STATUS_COLOUR[status]
    line = (
        f'<line x1="{x + 2}" y1="{y}" x2="{x + _GAP - 2}" y2="{y}" stroke="{colour}" stroke-width="2.5"'
        f'{_DASH[status]} marker-end="url(#arrow)"/>'
    )
    if status is EdgeStatus.CLOSED_BY_LAW:
        mid = x + _GAP / 2
        line += (
            f'<path d="M{mid - 5},{y - 5} L{mid + 5},{y + 5} M{mid - 5},{y + 5} L{mid + 5},{y - 5}" '
            f'stroke="{colour}" stroke-width="2.5"/>'
        )
    return line


def card(
    traces: Mapping[Encounter, Trace] | Iterable[Trace], lang: str = "en", ledger: Source | None = None
) -> dict[str, Any]:
    """What a web page needs for its answer card and diagrams: `answer` (an Answer) and
    `answer_diagrams` (one SVG per encounter, in the same language). Unknown languages read English."""
    ts = by_encounter(traces) if isinstance(traces, Mapping) else list(traces)
    language: Lang = "es" if lang == "es" else "en"
    result = answer(ts, language, ledger=ledger)
    diagrams = [
        {
            "id": t.encounter.value,
            "name": encounter_name(t.kb, t.encounter, language),
            "svg": svg(t, language),
        }
        for t in ts
    ]
    return {"answer": result, "answer_diagrams": diagrams}
