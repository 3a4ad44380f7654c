"""Mermaid, DOT and the data-element × channel matrix."""

from __future__ import annotations

from flows_places import COOK, DAY

from sharemap.flows.graph import CachedRules, EdgeStatus, instantiate
from sharemap.flows.render import STATUS_COLOUR, dot, matrix, mermaid
from sharemap.flows.trace import trace
from sharemap.kb.facts import Encounter
from sharemap.kb.load import load_kb


def test_mermaid_and_dot_show_every_hop_with_its_status(rules: CachedRules) -> None:
    g = instantiate(COOK, DAY, (), rules)
    t = trace(g, Encounter.BOOKING)
    hops = {h.channel: h.edge for p in t.paths for h in p.hops}
    mer = mermaid(t, include_inactive=True)
    assert mer.startswith("---") and "flowchart LR" in mer
    assert mer.count("linkStyle") == len(hops)
    assert STATUS_COLOUR[EdgeStatus.CLOSED_BY_LAW] in mer and "--x" in mer
    d = dot(t, include_inactive=True)
    assert d.startswith("digraph sharemap {") and d.rstrip().endswith("}")
    assert d.count(" -> ") == len(hops)
    whole = mermaid(g)  # the instantiated graph, without inactive hops
    assert "flowchart LR" in whole


def test_matrix_of_the_kb_and_of_a_place(rules: CachedRules) -> None:
    kb = load_kb()
    m = matrix(kb)
    assert len(m.elements) >= 40 and len(m.channels) == len(kb.channels)
    assert m.cells[("de.fingerprints", "chan.ngi_to_ident")] == "→"
    assert m.cells[("de.immigration_status", "chan.ngi_to_ident")] == "←"
    csv = m.to_csv().splitlines()
    assert csv[0].startswith("element,") and len(csv) == len(m.elements) + 1
    g = instantiate(COOK, DAY, (), rules)
    mp = matrix(kb, g, encounter=Encounter.PLATE_READ)
    assert all(s is EdgeStatus.CLOSED_BY_LAW for s in mp.status.values())
    assert mp.to_dict(kb)["rows"]
