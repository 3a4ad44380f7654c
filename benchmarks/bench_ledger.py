"""Ledger speed goals (issue 2): full build <= 30 s, one new snapshot <= 2 s, county query <= 50 ms.

Each figure is reported beside a baseline measured in the same run, since these machines are noisy:
- cold full build vs. openpyxl's bare read-only scan of the same files (the floor for any reader);
- warm full build (parse cache filled) and one-snapshot update vs. the same build from the shipped data;
- county query vs. a bare `count(*)` on the agreements table.

Usage: python benchmarks/bench_ledger.py [--reference ../shared/reference/ice-287g] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pyarrow as pa

from sharemap.ledger import query, store
from sharemap.ledger.lists import read_list
from sharemap.ledger.snapshots import parse_many, snapshot_files, to_tables

ROOT = Path(__file__).resolve().parents[1]


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bare_scan(files: list[Path]) -> None:
    for path in files:
        wb = openpyxl.load_workbook(path, read_only=True)
        for ws in wb.worksheets:
            for _ in ws.iter_rows(values_only=True):
                pass
        wb.close()


def full_build(files: list[Path], cache: Path, db: Path) -> None:
    parsed, _ = parse_many(files, cache)
    snapshots, rows, problems = to_tables(parsed)
    store.build_database(store.BaseData(snapshots, rows, problems), db)


def update_one(db: Path, new_file: Path) -> None:
    parsed = read_list(new_file)
    base = store.read_base(db)
    snaps, rows, problems = to_tables([parsed])
    merged = store.BaseData(
        pa.concat_tables([base.snapshots, snaps]),
        pa.concat_tables([base.rows, rows]),
        pa.concat_tables([base.problems, problems]),
    )
    store.build_database(merged, db, placements=store.read_placements(db))


def median_ms(fn: Callable[[], Any], runs: int) -> float:
    fn()
    return statistics.median(timed(fn) for _ in range(runs)) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reference", type=Path, default=ROOT.parent / "shared" / "reference" / "ice-287g")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "ledger.json")
    args = parser.parse_args()

    files = [f for sub in ("participating", "pending") for f in snapshot_files(args.reference / sub)[0]]
    work = Path(tempfile.mkdtemp(prefix="bench-ledger-"))
    results: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_at_start": os.getloadavg(),
        },
        "files": len(files),
    }
    try:
        results["baseline_bare_openpyxl_scan_s"] = timed(lambda: bare_scan(files))
        cache = work / "cache"
        results["full_build_cold_s"] = timed(lambda: full_build(files, cache, work / "cold.duckdb"))
        results["full_build_warm_s"] = timed(lambda: full_build(files, cache, work / "warm.duckdb"))
        shipped_db = work / "shipped.duckdb"
        results["build_from_shipped_s"] = timed(
            lambda: store.build_database(store.load_shipped(), shipped_db)
        )

        # one new snapshot: the newest list re-dated to the next day, with one row removed
        wb = openpyxl.load_workbook(args.reference / "participating" / "participatingAgencies05182026am.xlsx")
        wb.active.delete_rows(2)
        new_file = work / "participatingAgencies05192026am.xlsx"
        wb.save(new_file)
        update_db = work / "update.duckdb"
        shutil.copy(shipped_db, update_db)
        results["update_one_snapshot_s"] = timed(lambda: update_one(update_db, new_file))

        with store.connect(shipped_db) as con:
            results["county_query_median_ms"] = median_ms(
                lambda: query.agreements(con, county_fips="12071", include_statewide=True), 200
            )
            results["baseline_count_star_median_ms"] = median_ms(
                lambda: con.execute("SELECT count(*) FROM agreements").fetchall(), 200
            )
            results["as_of_state_query_median_ms"] = median_ms(
                lambda: query.agreements(con, state="TX", as_of=dt.date(2025, 12, 31)), 100
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["ratios"] = {
        "cold_build_over_bare_scan": results["full_build_cold_s"] / results["baseline_bare_openpyxl_scan_s"],
        "warm_build_over_shipped_build": results["full_build_warm_s"] / results["build_from_shipped_s"],
        "update_over_shipped_build": results["update_one_snapshot_s"] / results["build_from_shipped_s"],
        "county_query_over_count_star": results["county_query_median_ms"]
        / results["baseline_count_star_median_ms"],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    duckdb.execute("SET threads TO 2")
    main()
