"""The public Python API (`import sharemap`): a short list of documented names, loaded on first use."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import sharemap

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("duckdb", "networkx", "pyarrow", "pandas", "numpy", "pydantic", "yaml")


def test_all_is_the_sorted_table_of_public_names() -> None:
    assert sharemap.__all__ == sorted(sharemap._PUBLIC)
    assert len(sharemap.__all__) <= 40  # a handful per capability, not every internal
    assert not set(sharemap.__all__) & set(sharemap._MOVED)


@pytest.mark.parametrize("name", sharemap.__all__)
def test_public_name_resolves_to_its_module_and_has_a_docstring(name: str) -> None:
    obj = getattr(sharemap, name)
    assert getattr(importlib.import_module(sharemap._PUBLIC[name]), name) is obj
    own_doc = obj.__dict__.get("__doc__") if isinstance(obj, type) else obj.__doc__
    assert own_doc and own_doc.strip(), f"{name} has no docstring"
    if isinstance(obj, type):  # a dataclass's generated "Name(field: type, ...)" is no docstring
        assert not own_doc.startswith(f"{obj.__name__}("), f"{name} has only the generated docstring"
    if callable(obj) and not isinstance(obj, type):
        inspect.signature(obj)  # introspectable, so help() and the docs can show it


def test_from_import_and_dir() -> None:
    namespace: dict[str, object] = {}
    exec("from sharemap import *", namespace)
    assert set(sharemap.__all__) <= set(namespace)
    assert set(sharemap.__all__) <= set(dir(sharemap))
    from sharemap import settings  # submodules still import through the package

    assert settings.__name__ == "sharemap.settings"


@pytest.mark.parametrize("name", sorted(sharemap._MOVED))
def test_a_name_no_longer_public_says_where_it_lives(name: str) -> None:
    where = sharemap._MOVED[name]
    module, _, alias = where.partition(" (as ")
    assert hasattr(importlib.import_module(module), alias.rstrip(")") or name)
    with pytest.raises(AttributeError, match=re.escape(module)):
        getattr(sharemap, name)


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'no_such_thing'"):
        sharemap.no_such_thing  # noqa: B018


def test_import_sharemap_loads_no_heavy_library() -> None:
    """A fresh interpreter: `import sharemap` imports neither DuckDB, pyarrow, pandas, networkx,
    numpy, pydantic nor YAML; asking for `connect` then loads DuckDB (the lazy import works)."""
    code = (
        "import json, sys\n"
        "import sharemap\n"
        f"before = sorted(m for m in {HEAVY!r} if m in sys.modules)\n"
        "sharemap.connect\n"
        "print(json.dumps([before, 'duckdb' in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, duckdb_after = json.loads(out.stdout)
    assert before == []
    assert duckdb_after


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_names_the_docs_use_are_public_or_modules() -> None:
    """Every `sharemap.NAME` in a Python example of the README or docs/ is public or a submodule."""
    used: dict[str, str] = {}
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]:
        for block in _python_blocks(path.read_text(encoding="utf-8")):
            for name in re.findall(r"(?<![\w.])sharemap\.([A-Za-z_]\w*)", block):
                used.setdefault(name, path.name)
    assert {"connect", "agreements"} <= set(used)  # the README's own example is seen
    for name, where in used.items():
        ok = name in sharemap.__all__ or importlib.util.find_spec(f"sharemap.{name}") is not None
        assert ok, f"{where} uses sharemap.{name}, which is not public"
