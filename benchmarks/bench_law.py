"""Benchmark the law engine: one ruling in Python, and a table of rulings through the compiled SQL.

Goals (issue 3): a single ruling in at most 20 µs median after warm-up; at least 2 million rulings per
second over a 1-million-row table through the compiled SQL, on the 2-core development machine.

    .venv/bin/python benchmarks/bench_law.py            # full run (1M rows)
    .venv/bin/python benchmarks/bench_law.py --rows 200000 --json

The question table is synthetic (questions, not people): jurisdiction, actor, action, date and facts
drawn uniformly from the vocabularies with DuckDB's hash(), so every run sees the same rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import time
from typing import Any

import duckdb

from sharemap.law import Context, LegalProcess, default_law
from sharemap.law.compile import ENUM_COLUMNS, INPUT_COLUMNS, compile_query, create_enum_types, load_slots
from sharemap.law.vocab import JURISDICTIONS, Action, Actor, DataKind, Purpose


def bench_single(calls: int = 100_000) -> dict[str, Any]:
    """Median and p95 of single `rule()` calls, timed one by one after a warm-up."""
    law = default_law()
    rng = random.Random(7)
    questions = [
        (
            rng.choice(JURISDICTIONS),
            rng.choice(list(Actor)),
            rng.choice(list(Action)),
            dt.date(2017, 1, 1) + dt.timedelta(days=rng.randrange(3600)),
            Context(
                legal_process=rng.choice(list(LegalProcess)),
                purpose=rng.choice(list(Purpose)),
                data=rng.choice([None, *DataKind]),
                listed_conviction=rng.random() < 0.5,
            ),
        )
        for _ in range(1000)
    ]
    fixed = (
        "IL",
        Actor.SHERIFF,
        Action.HOLD_ON_DETAINER,
        dt.date(2024, 6, 1),
        Context(LegalProcess.DETAINER),
    )
    for q in questions * 5:  # warm-up (fills the candidate cache)
        law.rule(*q)
    out: dict[str, Any] = {}
    for name, qs in (("fixed_question", [fixed] * 1000), ("random_questions", questions)):
        samples = []
        clock = time.perf_counter_ns
        for i in range(calls):
            q = qs[i % len(qs)]
            t0 = clock()
            law.rule(*q)
            samples.append(clock() - t0)
        samples.sort()
        out[name] = {
            "calls": calls,
            "median_us": samples[len(samples) // 2] / 1000,
            "p95_us": samples[int(len(samples) * 0.95)] / 1000,
        }
    return out


def _questions_table(con: Any, rows: int) -> None:
    def pick(values: list[str], salt: int) -> str:
        arr = "[" + ", ".join(f"'{v}'" for v in values) + "]"
        return f"{arr}[1 + (hash(i, {salt}) % {len(values)})::INTEGER]"

    con.execute(
        f"""CREATE OR REPLACE TABLE questions AS SELECT
          {pick(list(JURISDICTIONS), 1)} AS jurisdiction,
          {pick([a.value for a in Actor], 2)} AS actor,
          {pick([a.value for a in Action], 3)} AS action,
          DATE '2017-01-01' + (hash(i, 4) % 3600)::INTEGER AS date,
          {pick([p.value for p in LegalProcess], 5)} AS legal_process,
          {pick([p.value for p in Purpose], 6)} AS purpose,
          NULL::VARCHAR AS recipient,
          CASE WHEN hash(i, 9) % 2 = 0 THEN NULL ELSE {pick([d.value for d in DataKind], 10)} END AS data,
          hash(i, 7) % 2 = 0 AS listed_conviction,
          hash(i, 8) % 2 = 0 AS consent,
          hash(i, 11) % 5 = 0 AS written_assurance
        FROM range({rows}) t(i)"""
    )
    create_enum_types(con)
    cols = ", ".join(
        f"CAST({c} AS {ENUM_COLUMNS[c]}) AS {c}" if c in ENUM_COLUMNS else c for c in INPUT_COLUMNS
    )
    con.execute(f"CREATE OR REPLACE TABLE questions_typed AS SELECT {cols} FROM questions")


def bench_sql(rows: int = 1_000_000, repeat: int = 5) -> dict[str, Any]:
    """Rulings per second through the compiled SQL (effect and deciding ids for every row)."""
    con = duckdb.connect()
    _questions_table(con, rows)
    compiled = load_slots(con, default_law())
    distinct = con.execute(
        "SELECT count(DISTINCT (jurisdiction, actor, action)), count(DISTINCT (jurisdiction, actor, action,"
        " date, legal_process, purpose, recipient, data, listed_conviction, consent, written_assurance))"
        " FROM questions"
    ).fetchone()
    out: dict[str, Any] = {
        "rows": rows,
        "threads": con.execute("SELECT current_setting('threads')").fetchone(),
        # what the table holds: nearly every row is a different question, so ruling only the
        # distinct questions and joining back would not save work here
        "distinct_keys": distinct[0] if distinct else None,
        "distinct_questions": distinct[1] if distinct else None,
    }
    for name, source, typed in (
        ("varchar_columns", "questions", False),
        ("enum_columns", "questions_typed", True),
    ):
        sql = compile_query(compiled, source, keep=("date",), typed=typed)
        # every row's effect and provisions are computed; the aggregate keeps the result off the wire
        query = f"SELECT effect, count(*), count(DISTINCT provisions) FROM ({sql}) GROUP BY effect"
        con.execute(query).fetchall()  # warm-up
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            con.execute(query).fetchall()
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        out[name] = {
            "load_average": os.getloadavg()[0],
            "median_s": med,
            "best_s": min(times),
            "rulings_per_s": rows / med,
            "best_rulings_per_s": rows / min(times),
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--calls", type=int, default=100_000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    result = {
        "load_average_before": os.getloadavg(),
        "cpus": os.cpu_count(),
        "single": bench_single(args.calls),
        "sql": bench_sql(args.rows, args.repeat),
        "load_average_after": os.getloadavg(),
    }
    if args.json:
        print(json.dumps(result, indent=2, default=str))
        return
    s = result["single"]
    print(f"cpus {result['cpus']}, load average before {result['load_average_before'][0]:.2f}")
    for name, v in s.items():
        print(
            f"single ruling ({name}): median {v['median_us']:.2f} µs, p95 {v['p95_us']:.2f} µs"
            f" over {v['calls']} calls"
        )
    q = result["sql"]
    print(
        f"question table: {q['rows']:,} rows, {q['distinct_keys']:,} distinct (jurisdiction, actor, action),"
        f" {q['distinct_questions']:,} distinct questions"
    )
    for name in ("varchar_columns", "enum_columns"):
        v = q[name]
        print(
            f"compiled SQL ({name}, {q['rows']:,} rows): median {v['median_s']:.3f} s = "
            f"{v['rulings_per_s'] / 1e6:.2f} M rulings/s (best {v['best_rulings_per_s'] / 1e6:.2f} M/s)"
            f" at load {v['load_average']:.2f}"
        )
    print(f"load average after {result['load_average_after'][0]:.2f}")


if __name__ == "__main__":
    main()
