"""Channel graph for a place and date, traces from an encounter to ICE, comparisons and diagrams."""

from sharemap.flows.graph import (
    CachedRules,
    EdgeState,
    EdgeStatus,
    HopRuling,
    Place,
    PlaceGraph,
    agreement_active,
    agreements_for_county,
    base_graph,
    encounter_paths,
    instantiate,
)
from sharemap.flows.render import Matrix, dot, matrix, mermaid
from sharemap.flows.trace import Comparison, Hop, Path, PathChange, Trace, compare, trace, trace_all

__all__ = [
    "CachedRules",
    "Comparison",
    "EdgeState",
    "EdgeStatus",
    "Hop",
    "HopRuling",
    "Matrix",
    "Path",
    "PathChange",
    "Place",
    "PlaceGraph",
    "Trace",
    "agreement_active",
    "agreements_for_county",
    "base_graph",
    "compare",
    "dot",
    "encounter_paths",
    "instantiate",
    "matrix",
    "mermaid",
    "trace",
    "trace_all",
]
