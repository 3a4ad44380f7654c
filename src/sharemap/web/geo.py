"""The national map as SVG paths, decoded once from the shipped us-atlas TopoJSON (Albers USA, 975x610).

Decoding is a plain TopoJSON arc walk (delta-decoded, quantised), rounded to 0.1 px; no map library is
needed in the browser and the map shows without JavaScript.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any

TOPO = "static/topo/counties-albers-10m.json"
WIDTH, HEIGHT = 975, 610


@dataclass(frozen=True)
class MapShapes:
    counties: tuple[tuple[str, str, str], ...]  # (fips, name, svg path)
    states: tuple[tuple[str, str, str], ...]  # (state fips, name, svg path)
    borders: str  # state borders as one path


def _arcs(topo: dict[str, Any]) -> list[list[tuple[float, float]]]:
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    out = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((round(x * sx + tx, 1), round(y * sy + ty, 1)))
        out.append(pts)
    return out


def _ring(arcs: list[list[tuple[float, float]]], idx: list[int]) -> list[tuple[float, float]]:
    pts: list[tuple[float, float]] = []
    for i in idx:
        a = arcs[i] if i >= 0 else arcs[~i][::-1]
        pts.extend(a[1:] if pts else a)
    return pts


def _path(rings: list[list[tuple[float, float]]]) -> str:
    parts = []
    for ring in rings:
        last = None
        seq = []
        for p in ring:
            if p != last:
                seq.append(f"{p[0]:g},{p[1]:g}")
                last = p
        if len(seq) >= 3:
            parts.append("M" + "L".join(seq) + "Z")
    return "".join(parts)


def _geometry(arcs: list[list[tuple[float, float]]], g: dict[str, Any]) -> str:
    if g["type"] == "Polygon":
        return _path([_ring(arcs, r) for r in g["arcs"]])
    if g["type"] == "MultiPolygon":
        return _path([_ring(arcs, r) for poly in g["arcs"] for r in poly])
    return ""


@lru_cache(maxsize=1)
def shapes() -> MapShapes:
    topo = json.loads(files("sharemap.web").joinpath(TOPO).read_text(encoding="utf-8"))
    arcs = _arcs(topo)
    counties = tuple(
        (str(g["id"]), g.get("properties", {}).get("name", ""), _geometry(arcs, g))
        for g in topo["objects"]["counties"]["geometries"]
        if "id" in g
    )
    states = tuple(
        (str(g["id"]), g.get("properties", {}).get("name", ""), _geometry(arcs, g))
        for g in topo["objects"]["states"]["geometries"]
    )
    # borders: arcs shared by two different states (a mesh), drawn once
    used: dict[int, set[str]] = {}
    for g in topo["objects"]["states"]["geometries"]:
        polys = g["arcs"] if g["type"] == "MultiPolygon" else [g["arcs"]]
        for poly in polys:
            for ring in poly:
                for i in ring:
                    used.setdefault(i if i >= 0 else ~i, set()).add(str(g["id"]))
    border = []
    for i, owners in used.items():
        if len(owners) > 1:
            seq = [f"{x:g},{y:g}" for x, y in arcs[i]]
            border.append("M" + "L".join(seq))
    return MapShapes(counties, states, "".join(border))
