"""Ledger goal (issue 11): linking agencies across all snapshots adds at most 5 s to a full build.

Measured in one run, on the shipped parsed snapshots (1,257 lists, 377,043 rows): the history with
name linking (scoring every candidate pair, geocoding the names compared, the second aggregation)
against the naive history without it, alternated, median of `--repeats`; linkage's own caches are
emptied before each build (the geocoder's tables stay loaded, as they are in a real build). Also
reports the figures the linking changes (ends, renames), so a regression in accuracy shows beside
the time.

Usage: python benchmarks/bench_linkage.py [--repeats 5] [--out benchmarks/results/linkage.json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import time
from pathlib import Path

from sharemap.ledger import history, linkage, store

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "linkage.json")
    args = ap.parse_args()
    base = store.load_shipped()
    metas = [
        history.SnapshotMeta(
            r["snapshot_id"], history.ListKind(r["kind"]), r["captured"], r["rows"], r["sha256"]
        )
        for r in base.snapshots.select(["snapshot_id", "kind", "captured", "rows", "sha256"]).to_pylist()
    ]
    decisions = linkage.load_decisions()
    timings: dict[str, list[float]] = {"naive": [], "linked": []}
    results = {}
    for _ in range(args.repeats):
        for name, flag in (("naive", False), ("linked", True)):
            linkage._locate.cache_clear()  # each build starts with linkage's own caches empty
            linkage._parse.cache_clear()
            start = time.perf_counter()
            h = history.build_history(metas, base.rows, decisions, link_names=flag)
            timings[name].append(time.perf_counter() - start)
            results[name] = h
    med = {k: statistics.median(v) for k, v in timings.items()}
    naive, linked = results["naive"], results["linked"]

    def ends(h: history.History) -> int:
        return sum(a.status.value == "ended" for a in h.agreements)

    out = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "load_average_at_start": os.getloadavg()[0],
        "repeats": args.repeats,
        "history_naive_s": round(med["naive"], 3),
        "history_linked_s": round(med["linked"], 3),
        "added_by_linking_s": round(med["linked"] - med["naive"], 3),
        "ratio": round(med["linked"] / med["naive"], 2),
        "goal_added_s": 5.0,
        "met": med["linked"] - med["naive"] <= 5.0,
        "agreements": {"naive": len(naive.agreements), "linked": len(linked.agreements)},
        "ended": {"naive": ends(naive), "linked": ends(linked)},
        "pairs_considered": len(linked.name_links),
        "pairs_linked": sum(x.same for x in linked.name_links),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
