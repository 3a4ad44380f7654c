"""Channel graph for a place and date, traces from an encounter to ICE, comparisons, diagrams and the
answer in plain words."""

from sharemap.flows.answer import Answer, Sentence, answer, answer_for
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
from sharemap.flows.render import Matrix, dot, matrix, mermaid, svg
from sharemap.flows.trace import Comparison, Hop, Path, PathChange, Trace, compare, trace, trace_all

__all__ = [
    "Answer",
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
    "Sentence",
    "Trace",
    "agreement_active",
    "agreements_for_county",
    "answer",
    "answer_for",
    "base_graph",
    "compare",
    "dot",
    "encounter_paths",
    "instantiate",
    "matrix",
    "mermaid",
    "svg",
    "trace",
    "trace_all",
]
