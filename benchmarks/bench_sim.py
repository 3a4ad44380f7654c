"""Benchmarks for the simulator (run: .venv/bin/python benchmarks/bench_sim.py [--quick]).

Goals (issue 6): kernel >= 5 million bookings per second per core; one national year, one replicate
<= 10 s on the 2-core machine; 100 replicates <= 5 minutes; SimPy model >= 300,000 events per second.
Issue 17: one national year with parameter uncertainty (at least 200 parameter draws, one replicate per
draw) <= 60 s on 2 cores; `--draws N` sets the number (default 200).
Prints one JSON object with the measured figures. Needs the ledger database (`sharemap build`; `--db`)
for the 287(g) agreements: ICE's list in force on 2025-12-31, read once before timing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time
from pathlib import Path

import numpy as np

from sharemap.sim.agreements import ledger_agreements
from sharemap.sim.counties import counties, select
from sharemap.sim.des import run_des
from sharemap.sim.params import load_params
from sharemap.sim.pipeline import run_kernel
from sharemap.sim.run import simulate
from sharemap.sim.scenarios import Scenario, compile_model


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="10 replicates instead of 100")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--draws", type=int, default=200, help="parameter draws for the uncertainty run")
    ap.add_argument("--db", type=Path, default=None, help="ledger DuckDB file (default: $SHAREMAP_DB)")
    args = ap.parse_args()
    out: dict[str, object] = {"cpu_count": os.cpu_count()}
    params = load_params()
    table = counties()
    t = time.perf_counter()
    agreements = ledger_agreements(args.db, dt.date(2025, 12, 31))
    out["ledger_agreements_s"] = round(time.perf_counter() - t, 3)
    scenario = Scenario(date=dt.date(2025, 12, 31))
    t = time.perf_counter()
    model = compile_model(params, table, scenario, agreements=agreements)
    out["compile_national_s"] = round(time.perf_counter() - t, 3)
    rng = np.random.default_rng(0)
    run_kernel(model, 1.0, rng)  # warm-up
    times = []
    bookings = 0.0
    for _ in range(5):
        t = time.perf_counter()
        r = run_kernel(model, 1.0, rng)
        times.append(time.perf_counter() - t)
        bookings = r.total("bookings")
    best = min(times)
    out["kernel_national_year_s"] = round(best, 4)
    out["kernel_bookings"] = bookings
    out["kernel_bookings_per_s_one_core"] = round(bookings / best)
    t = time.perf_counter()
    simulate(scenario, replicates=1, seed=1, engine="serial", agreements=agreements)
    out["national_year_1_replicate_end_to_end_s"] = round(time.perf_counter() - t, 2)
    reps = 10 if args.quick else 100
    t = time.perf_counter()
    simulate(scenario, replicates=reps, seed=1, engine="local", workers=args.workers, agreements=agreements)
    out[f"national_year_{reps}_replicates_local_{args.workers}_workers_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    simulate(
        scenario,
        replicates=args.draws,
        seed=1,
        engine="local",
        workers=args.workers,
        agreements=agreements,
        parameter_uncertainty=True,
    )
    key = f"national_year_{args.draws}_parameter_draws_local_{args.workers}_workers_s"
    out[key] = round(time.perf_counter() - t, 2)
    one = compile_model(params, select(table, county="12021"), scenario, agreements=agreements)
    t = time.perf_counter()
    res = run_des(one, 3.0, seed=1, write_ledger=False)
    secs = time.perf_counter() - t
    out["des_events"] = res.events
    out["des_events_per_s"] = round(res.events / secs)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
