"""Benchmark: one trace, and every US county × every encounter type.

Goals (issue 4): one trace (instantiate the graph for a place and date, then trace one encounter) in at
most 20 ms; all counties (~3,200) × 8 encounters in at most 60 s on the project's 2-core machine.

    .venv/bin/python benchmarks/bench_trace.py [--db /path/to/ledger.duckdb] [--date 2026-05-20]

With a ledger database, each county gets the 287(g) agreements in force on the date (its own agencies
and statewide ones); without one, every county is traced with no agreement. Reading the ledger is timed
separately: it is I/O at the edge, not part of the engine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time
from collections import defaultdict
from pathlib import Path

from sharemap.flows.graph import CachedRules, agreements_for_county, instantiate
from sharemap.flows.trace import trace
from sharemap.kb.facts import Encounter
from sharemap.kb.load import load_kb
from sharemap.kb.model import Agreement
from sharemap.law.engine import Context
from sharemap.ledger.geo import counties
from sharemap.ledger.place import county_place


def agreements_by_county(db: Path, day: dt.date) -> dict[str, list[Agreement]]:
    from sharemap.ledger import query, store

    with store.connect(db) as con:
        found = query.agreements(con, as_of=day)
        where = {
            r[0]: (r[1], r[2], r[3])
            for r in con.execute(
                "SELECT agreement_id, county_fips, statewide, state FROM agreements_full"
            ).fetchall()
        }
    by_county: dict[str, list[Agreement]] = defaultdict(list)
    statewide: dict[str, list[Agreement]] = defaultdict(list)
    for a in found:
        fips, is_statewide, state = where.get(a.agreement_id, (None, False, a.state))
        if fips:
            by_county[fips].append(a)
        elif is_statewide:
            statewide[state].append(a)
    out: dict[str, list[Agreement]] = {}
    for c in counties():
        out[c.fips] = list(agreements_for_county(by_county.get(c.fips, []), statewide.get(c.state, [])))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, default=None, help="ledger DuckDB file (optional)")
    ap.add_argument("--date", default="2026-05-20")
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    day = dt.date.fromisoformat(args.date)

    t0 = time.perf_counter()
    kb = load_kb()
    CachedRules()("TX", "sheriff", "hold_on_detainer", day, Context())  # loads the provisions
    startup = time.perf_counter() - t0

    all_counties = counties()
    t0 = time.perf_counter()
    agreements = agreements_by_county(args.db, day) if args.db else {c.fips: [] for c in all_counties}
    ledger_s = time.perf_counter() - t0

    harris = next(c for c in all_counties if c.fips == "48201")
    place = county_place(harris)
    cold, warm = [], []
    for _ in range(args.repeat):
        t = time.perf_counter()
        trace(instantiate(place, day, agreements[harris.fips], CachedRules(), kb), Encounter.BOOKING)
        cold.append((time.perf_counter() - t) * 1000)
    shared = CachedRules()
    for _ in range(args.repeat):
        t = time.perf_counter()
        trace(instantiate(place, day, agreements[harris.fips], shared, kb), Encounter.BOOKING)
        warm.append((time.perf_counter() - t) * 1000)

    rules = CachedRules()
    t0 = time.perf_counter()
    n_traces = n_paths = 0
    for c in all_counties:
        g = instantiate(county_place(c), day, agreements[c.fips], rules, kb)
        for enc in Encounter:
            n_paths += len(trace(g, enc).paths)
            n_traces += 1
    national_s = time.perf_counter() - t0

    result = {
        "date": day.isoformat(),
        "ledger": str(args.db) if args.db else None,
        "startup_s (load KB and provisions, once)": round(startup, 3),
        "ledger_read_s": round(ledger_s, 3),
        "one_trace_ms_fresh_law_cache": {
            "median": round(statistics.median(cold), 3),
            "p95": round(sorted(cold)[int(0.95 * len(cold)) - 1], 3),
            "max": round(max(cold), 3),
        },
        "one_trace_ms_warm_law_cache": {
            "median": round(statistics.median(warm), 3),
            "p95": round(sorted(warm)[int(0.95 * len(warm)) - 1], 3),
        },
        "counties": len(all_counties),
        "counties_with_agreements": sum(1 for v in agreements.values() if v),
        "traces": n_traces,
        "paths": n_paths,
        "all_counties_x_8_encounters_s": round(national_s, 3),
        "goals": {"one_trace_ms": 20, "national_s": 60},
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for k, v in result.items():
            print(f"{k}: {v}")


if __name__ == "__main__":
    main()
