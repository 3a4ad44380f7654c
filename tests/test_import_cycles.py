"""No import cycles between sharemap's modules (issue 14): shared types live below the modules that
orchestrate them, so every module can be imported, tested and read on its own."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

import sharemap

PACKAGE = Path(sharemap.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_imports(path: Path, known: set[str]) -> set[str]:
    """The sharemap modules `path` imports anywhere: at the top, inside functions (an import put in a
    function to dodge a cycle is still a cycle of meaning) and under TYPE_CHECKING."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in known else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {m for m in found if m in known and m != module_name(path)}


def import_graph() -> nx.DiGraph:
    paths = sorted(PACKAGE.rglob("*.py"))
    known = {module_name(p) for p in paths}
    graph = nx.DiGraph()
    for p in paths:
        graph.add_node(module_name(p))
        for target in module_imports(p, known):
            graph.add_edge(module_name(p), target)
    return graph


def _own_cycles(graph: nx.DiGraph) -> list[list[str]]:
    """Cycles that are not a package importing its own submodule which imports a sibling back
    through the package (`a/__init__` re-exporting `a.b` is not a cycle of `a.b`)."""
    cycles = []
    for cycle in nx.simple_cycles(graph):
        packages = [m for m in cycle if any(o.startswith(m + ".") for o in cycle)]
        if not packages:
            cycles.append(sorted(cycle))
    return cycles


def test_no_import_cycles() -> None:
    cycles = _own_cycles(import_graph())
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_the_graph_sees_the_package() -> None:
    graph = import_graph()
    assert graph.number_of_nodes() > 100
    assert graph.has_edge("sharemap.law.engine", "sharemap.law.model")
