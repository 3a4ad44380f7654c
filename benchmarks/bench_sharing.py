"""Sharing goals (issue 16): read every portal snapshot and resolve every organisation in <= 10 s; the
sharing answer for one county in <= 50 ms.

Measured in one run: (a) parsing the 691 reference JSON files and the national workbook of 2025-06-11
alone (json.load and the workbook's sheet, the floor any reader pays) against reading them with
`read_snapshots` and `read_workbook` (1,207 snapshots), resolving every organisation name afresh and
reviewing every snapshot against the law engine (the ratio is the cost over the floor); (b) the
evidence for one county (San Diego, CA) and one state (WY, no data) on a date, first call and
repeated (cached), median of `--repeats`; (c) the same questions as the first call of a fresh process
(a new interpreter, shipped data, the law's compiled cache present; median of `--fresh` processes):
the evidence for San Diego County, and the full reviews for it (`reviews_for`, what `sharemap sharing
--county` and reports use, with the law's findings), each timed after the imports, against the time
the same process takes to read the shipped snapshots table alone (a floor measured in the same run).

Usage: python benchmarks/bench_sharing.py [--repeats 5] [--out benchmarks/results/sharing.json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sharemap import settings
from sharemap.sharing import evidence, review_snapshot
from sharemap.sharing.orgs import Resolver
from sharemap.sharing.portals import read_registry, read_snapshots
from sharemap.sharing.workbook import SHEET, read_workbook

ROOT = Path(__file__).resolve().parents[1]
DAY = dt.date(2026, 4, 30)


def _timed(fn: object) -> float:
    t = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - t


# run in a fresh interpreter: the import, then each first call, timed apart
_FRESH = """
import datetime as dt, json, time
t0 = time.perf_counter()
from sharemap.sharing import evidence, reviews_for
import pyarrow.parquet as pq
from sharemap.sharing.store import SHIPPED
t1 = time.perf_counter()
pq.ParquetFile(SHIPPED / "snapshots.parquet").read()
t2 = time.perf_counter()
evidence("CA", dt.date(2026, 4, 30), "06073")
t3 = time.perf_counter()
reviews_for("CA", dt.date(2026, 4, 30), "06073")
t4 = time.perf_counter()
evidence("WY", dt.date(2026, 4, 30))
t5 = time.perf_counter()
times = {"import": t1 - t0, "floor": t2 - t1, "county": t3 - t2, "reviews": t4 - t3, "empty": t5 - t4}
print(json.dumps(times))
"""


def _fresh(runs: int) -> dict[str, float]:
    """Medians over `runs` fresh processes, in ms, of the import and of each first call. The
    processes share one SHAREMAP_HOME without a database (so the shipped data), warmed by one run
    not counted: the law layer's compiled cache is there, as after any first use."""
    got: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "SHAREMAP_HOME": home}
        env.pop("SHAREMAP_DB", None)
        for i in range(runs + 1):
            out = subprocess.run(
                [sys.executable, "-c", _FRESH], env=env, capture_output=True, text=True, check=True
            )
            if i:
                got.append(json.loads(out.stdout.strip().splitlines()[-1]))
    med = {k: statistics.median(g[k] for g in got) * 1000 for k in got[0]}
    return {
        "fresh_import_ms": med["import"],
        "fresh_floor_snapshots_table_ms": med["floor"],
        "fresh_county_evidence_first_ms": med["county"],
        "fresh_county_reviews_first_ms": med["reviews"],
        "fresh_state_without_data_first_ms": med["empty"],
        "fresh_county_evidence_ratio_to_floor": med["county"] / med["floor"],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--fresh", type=int, default=5, help="fresh processes for the first-call figures")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "sharing.json")
    args = ap.parse_args()
    portals = settings.reference_dir() / "alpr" / "flock-portals" / "sm-alpr"
    files = sorted(portals.glob("*/????-??-??.json"))
    national = portals.parent / "national-2025-06-11" / "flock_all_public_6-11-2025.xlsx"

    def floor() -> None:
        from python_calamine import CalamineWorkbook

        for f in files:
            json.loads(f.read_bytes())
        CalamineWorkbook.from_path(str(national)).get_sheet_by_name(SHEET).to_python()

    def full() -> None:
        registry = read_registry(portals / "agency_registry.json")
        resolver = Resolver(registry)  # a fresh cache: every name resolved again
        for s in [*read_snapshots(portals, registry), *read_workbook(national, registry)]:
            review_snapshot(s, resolver)

    fresh = _fresh(args.fresh)  # before this process has loaded anything
    floors, fulls = [], []
    for _ in range(args.repeats):
        floors.append(_timed(floor))
        fulls.append(_timed(full))
    first = _timed(lambda: evidence("CA", DAY, "06073"))
    county = [_timed(lambda: evidence("CA", DAY, "06073")) for _ in range(args.repeats * 20)]
    empty = [_timed(lambda: evidence("WY", DAY)) for _ in range(args.repeats * 20)]
    out = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": dt.date.today().isoformat(),
        "files": len(files),
        "json_floor_s_median": statistics.median(floors),
        "read_resolve_review_s_median": statistics.median(fulls),
        "ratio_to_floor": statistics.median(fulls) / statistics.median(floors),
        "county_first_call_ms": first * 1000,
        "county_cached_ms_median": statistics.median(county) * 1000,
        "state_without_data_ms_median": statistics.median(empty) * 1000,
        **fresh,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
