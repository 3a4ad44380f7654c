"""The layers of DESIGN.md: a lower layer never imports a higher one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import sharemap

LAYERS = ["kb", "ledger", "law", "sharing", "flows", "identity", "sim", "audit", "report", "web", "cli"]
SHARED = {"errors", "settings", "runner", "safety"}
PACKAGE = Path(sharemap.__file__).parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sharemap."):
            names.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            names |= {a.name.split(".")[1] for a in node.names if a.name.startswith("sharemap.")}
    return names


@pytest.mark.parametrize("layer", [name for name in LAYERS if (PACKAGE / name).is_dir()])
def test_lower_layers_never_import_higher_ones(layer: str) -> None:
    rank = LAYERS.index(layer)
    for path in (PACKAGE / layer).rglob("*.py"):
        for target in _imports(path) - SHARED:
            assert target in LAYERS, f"{path} imports unknown part sharemap.{target}"
            assert LAYERS.index(target) <= rank, f"{path} ({layer}) imports the higher layer {target}"


def test_shared_modules_import_no_layer() -> None:
    for name in SHARED:
        assert _imports(PACKAGE / f"{name}.py") <= SHARED, name
