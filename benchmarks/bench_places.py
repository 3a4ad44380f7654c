"""Place resolver and `geo.locate` speed (issues 14.2 and 15.1).

Measured in one run: (a) the resolver over the ledger's agencies: `Resolver.from_ledger` once, then
`search` for a fixed list of queries a person types and `suggest` for each keystroke of three
queries, median of `--repeats`; (b) `geo.locate` over every distinct (agency, state, type, county) of
the shipped lists (2,269 rows), best of `--repeats`; with `--old-geo FILE` (a copy of an earlier
`ledger/geo.py`, e.g. `git show HEAD~1:src/sharemap/ledger/geo.py > /tmp/geo_old.py`) the same rows
through that module's `locate`, alternated with the current one, and the ratio current/old.

Usage: python benchmarks/bench_places.py [--repeats 5] [--old-geo FILE] [--out benchmarks/results/places.json]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from sharemap.ledger import geo, store
from sharemap.ledger.place import Resolver

QUERIES = (
    "cook county",
    "cook county il",
    "Harris County TX",
    "harris county, tx",
    "harris",
    "48201",
    "Texas",
    "tx",
    "jefferson",
    "Canadian Conty Sherif Office",
    "Harris County Sheriff's Office",
    "miami dade sheriff",
)
TYPED = ("cook county", "harris county tx", "canadian county")

Row = tuple[str, str, str | None, str | None]


def _rows() -> list[Row]:
    table = store.load_shipped().rows.select(["agency", "state", "ice_type", "county"]).to_pylist()
    found = {(r["agency"], r["state"], r["ice_type"], r["county"]) for r in table}
    return sorted(found, key=lambda r: tuple(x or "" for x in r))


def _locate_all(locate: Callable[..., Any], rows: list[Row]) -> float:
    t = time.perf_counter()
    for row in rows:
        with contextlib.suppress(Exception):  # an unreadable row fails the same way in both versions
            locate(*row)
    return time.perf_counter() - t


def _old_locate(path: Path) -> Callable[..., Any]:
    spec = importlib.util.spec_from_file_location("sharemap_geo_baseline", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.locate


def _resolver_figures(db: Path, repeats: int) -> dict[str, Any]:
    con = duckdb.connect(str(db), read_only=True)
    t = time.perf_counter()
    resolver = Resolver.from_ledger(con)
    build = time.perf_counter() - t
    con.close()
    t = time.perf_counter()
    resolver.suggest("warm")
    index = time.perf_counter() - t
    per_query = []
    for _ in range(repeats):
        t = time.perf_counter()
        for q in QUERIES:
            resolver.search(q)
        per_query.append((time.perf_counter() - t) / len(QUERIES))
    keystrokes = [q[:n] for q in TYPED for n in range(1, len(q) + 1)]
    per_key = []
    for _ in range(repeats):
        t = time.perf_counter()
        for k in keystrokes:
            resolver.suggest(k)
        per_key.append((time.perf_counter() - t) / len(keystrokes))
    return {
        "agencies": len(resolver.agencies),
        "from_ledger_ms": round(build * 1000, 1),
        "suggest_index_ms": round(index * 1000, 1),
        "search_median_ms": round(statistics.median(per_query) * 1000, 2),
        "suggest_median_ms": round(statistics.median(per_key) * 1000, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--old-geo", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-places-") as d:
        db = Path(d) / "ledger.duckdb"
        store.build_database(store.load_shipped(), db)
        out: dict[str, Any] = {"resolver": _resolver_figures(db, args.repeats)}
    rows = _rows()
    old = _old_locate(args.old_geo) if args.old_geo else None
    for fn in (geo.locate, old):  # warm the tables and caches of both
        if fn is not None:
            _locate_all(fn, rows[:200])
    new_t, old_t = [], []
    for _ in range(args.repeats):
        new_t.append(_locate_all(geo.locate, rows))
        if old is not None:
            old_t.append(_locate_all(old, rows))
    out["locate"] = {
        "rows": len(rows),
        "best_s": round(min(new_t), 3),
        "per_row_us": round(min(new_t) / len(rows) * 1e6),
    }
    if old_t:
        out["locate"] |= {
            "old_best_s": round(min(old_t), 3),
            "ratio_new_over_old": round(min(new_t) / min(old_t), 3),
        }
    out["machine"] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "note": "shared, loaded machine",
    }
    text = json.dumps(out, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
