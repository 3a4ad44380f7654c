"""Runs: split a selection into (county batch x replicate batch) tasks, fan out, merge, summarise with CIs.

Per-task random streams come from one `numpy.random.SeedSequence(seed)`: replicate r of county batch b
uses `SeedSequence(seed, spawn_key=(r, b))`. Batches are fixed (county order and batch size do not depend
on the engine or the number of workers), so local processes, serial runs and Ray give identical results.

`simulate` is an edge: when the scenario takes its 287(g) agreements from the ledger and none are passed
in, it reads them from the ledger database (`db`, default $SHAREMAP_DB or ~/.sharemap/sharemap.duckdb)
on the scenario's date (no date: the latest list). Workers get plain data and never open the database.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from sharemap.errors import InputError
from sharemap.runner import Engine, run_tasks
from sharemap.safety import csv_field_cap, read_regular_file
from sharemap.sim.agreements import CountyAgreements, ledger_agreements
from sharemap.sim.counties import Counties, counties, select
from sharemap.sim.params import check_replicates, check_seed, check_years, load_params
from sharemap.sim.pipeline import STAGES, KernelResult, run_kernel
from sharemap.sim.result import RunResult
from sharemap.sim.scenarios import Scenario, compile_model, on_date
from sharemap.sim.summary import build_summary, ci
from sharemap.sim.uncertainty import draws, sources, with_draw

COUNTY_BATCH = 512


@dataclass(frozen=True)
class Task:
    scenario: Scenario
    county_idx: tuple[int, ...]
    batch: int
    replicates: tuple[int, ...]
    seed: int
    years: float
    bookings: Mapping[str, float] = field(default_factory=dict)
    agreements: CountyAgreements | None = None
    draws: tuple[Mapping[str, float], ...] = ()  # one parameter draw per replicate, or none


def run_task(task: Task) -> list[KernelResult]:
    """Worker: compile the model for one county batch and run its replicates (top-level, picklable).
    With parameter draws each replicate is compiled with its own draw."""
    table = counties().take(np.array(task.county_idx))
    params = load_params()
    model = compile_model(params, table, task.scenario, task.bookings or None, task.agreements)
    out = []
    for i, r in enumerate(task.replicates):
        if task.draws:
            sc = replace(task.scenario, parameters=with_draw(task.scenario.parameters, task.draws[i]))
            model = compile_model(params, table, sc, task.bookings or None, task.agreements)
        rng = np.random.default_rng(np.random.SeedSequence(task.seed, spawn_key=(r, task.batch)))
        out.append(run_kernel(model, task.years, rng))
    return out


def read_bookings_file(path: str | Path, known_fips: set[str] | None = None) -> dict[str, float]:
    """A user's own county bookings file: CSV with columns fips, bookings_per_year."""
    p = Path(path)
    raw = read_regular_file(p, what="bookings CSV file")  # refuses folders, FIFOs, devices, oversize
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", file=p) from None
    cap = csv_field_cap()
    try:
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
    except csv.Error as exc:  # a NUL byte, ...
        raise InputError(f"not a readable CSV file: {exc}", file=p) from None
    for i, row in enumerate(rows, start=2):
        if any(isinstance(v, str) and len(v) > cap for v in row.values()):
            limit_kb = cap // 1024
            raise InputError(
                f"a cell is over the {limit_kb} kB limit (SHAREMAP_MAX_CSV_FIELD_KB)", file=p, row=i
            )
    out = {}
    for i, row in enumerate(rows, start=2):
        fips_cell, value = row.get("fips"), row.get("bookings_per_year")
        if not isinstance(fips_cell, str) or not isinstance(value, str):
            raise InputError("missing column", file=p, row=i, expected="columns fips, bookings_per_year")
        try:
            v = float(value)
        except ValueError as exc:
            raise InputError(
                f"not a number: {value[:40]!r}", file=p, row=i, field="bookings_per_year"
            ) from exc
        if not math.isfinite(v) or v < 0:
            raise InputError(
                f"bookings {v} is not a finite number >= 0",
                file=p,
                row=i,
                field="bookings_per_year",
                expected="a value >= 0",
            )
        fips = fips_cell.strip().zfill(5)
        if known_fips is not None and fips not in known_fips:
            raise InputError(
                f"unknown county {fips_cell[:20]!r}",
                file=p,
                row=i,
                field="fips",
                expected="a county FIPS code",
            )
        out[fips] = v
    return out


def make_tasks(
    table: Counties,
    scenario: Scenario,
    *,
    years: float,
    replicates: int,
    seed: int,
    rep_batch: int = 10,
    bookings: Mapping[str, float] | None = None,
    agreements: CountyAgreements | None = None,
    draws: list[dict[str, float]] | None = None,
) -> list[Task]:
    full = counties()
    idx = np.array([full.index(str(f)) for f in table.fips])
    tasks = []
    for b, start in enumerate(range(0, len(idx), COUNTY_BATCH)):
        chunk = tuple(int(i) for i in idx[start : start + COUNTY_BATCH])
        mine = agreements.restrict(full.fips[list(chunk)]) if agreements is not None else None
        for r0 in range(0, replicates, rep_batch):
            reps = tuple(range(r0, min(replicates, r0 + rep_batch)))
            mine_draws = tuple(draws[r] for r in reps) if draws else ()
            tasks.append(Task(scenario, chunk, b, reps, seed, years, dict(bookings or {}), mine, mine_draws))
    return tasks


def merge(
    tasks: list[Task],
    results: list[list[KernelResult]],
    scenario: Scenario,
    years: float,
    seed: int,
    selection: str,
    agreements: CountyAgreements | None = None,
) -> RunResult:
    reps = sorted({r for t in tasks for r in t.replicates})
    batches = sorted({t.batch for t in tasks})
    by: dict[tuple[int, int], KernelResult] = {}
    for t, res in zip(tasks, results, strict=True):
        for r, kr in zip(t.replicates, res, strict=True):
            by[(r, t.batch)] = kr
    county = np.stack([np.concatenate([by[(r, b)].county for b in batches]) for r in reps])
    cells = np.stack([sum(by[(r, b)].cells for b in batches) for r in reps])
    hist = np.stack([sum(by[(r, b)].latency_hist for b in batches) for r in reps])
    birthplace = np.stack([sum(by[(r, b)].birthplace for b in batches) for r in reps])
    fips = np.concatenate([by[(reps[0], b)].fips for b in batches])
    return RunResult(
        scenario, fips, county, cells, hist, years, seed, selection, agreements, birthplace=birthplace
    )


def simulate(
    scenario: Scenario,
    *,
    county: str | None = None,
    state: str | None = None,
    years: float = 1.0,
    replicates: int = 10,
    seed: int = 0,
    engine: Engine = "local",
    address: str | None = None,
    workers: int | None = None,
    bookings: Mapping[str, float] | None = None,
    on_done: Callable[[int], None] | None = None,
    rep_batch: int = 10,
    db: Path | None = None,
    agreements: CountyAgreements | None = None,
    parameter_uncertainty: bool = False,
) -> RunResult:
    """Run a scenario for a county, a state or the nation; every replicate is a SYNTHETIC year set.

    287(g) models come from `agreements` if given, else (scenario source `ledger`) from the ledger
    database `db` on the scenario's date; a scenario without a date takes the date of that list."""
    years = check_years(years)
    replicates = check_replicates(replicates)
    seed = check_seed(seed)
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise InputError(f"workers must be a whole number >= 1, not {workers!r}", field="workers")
    table = select(counties(), county=county, state=state)
    selection = county or state or "nation"
    if agreements is None and scenario.agreements_source == "ledger":
        agreements = ledger_agreements(db, scenario.date)
    scenario = on_date(scenario, agreements)
    if scenario.agreements_source != "ledger":
        agreements = None
    tasks = make_tasks(
        table,
        scenario,
        years=years,
        replicates=replicates,
        seed=seed,
        bookings=bookings,
        rep_batch=rep_batch,
        agreements=agreements,
        draws=draws(load_params(), replicates, seed) if parameter_uncertainty else None,
    )
    results = run_tasks(run_task, tasks, engine=engine, address=address, workers=workers, on_done=on_done)
    res = merge(tasks, results, scenario, years, seed, selection, agreements)
    return replace(res, interval_includes=tuple(sources(load_params(), parameter_uncertainty)))


# --- summaries ---------------------------------------------------------------------------------------


def stage_totals(res: RunResult) -> np.ndarray:
    """(R, stages) totals over the selection."""
    return res.county.sum(axis=1)


def summarise(res: RunResult) -> dict[str, Any]:
    """The run's summary in the JSON shape of summary.json (built as the typed `SimSummary`)."""
    return build_summary(res).to_dict()


def compare(a: RunResult, b: RunResult) -> list[dict[str, Any]]:
    """Stage-by-stage difference B - A with a 95% interval over paired replicates (same seeds)."""
    ta, tb = stage_totals(a), stage_totals(b)
    n = min(len(ta), len(tb))
    diff = tb[:n] - ta[:n]
    m, lo, hi = ci(diff)
    ma, mb = ta.mean(0), tb.mean(0)
    se = diff.std(axis=0, ddof=1) / np.sqrt(n) if n > 1 else np.zeros(len(STAGES))
    return [
        {
            "stage": s,
            "a": float(ma[i]),
            "b": float(mb[i]),
            "difference": float(m[i]),
            "ci_low": float(lo[i]),
            "ci_high": float(hi[i]),
            "mean_diff_ci_low": float(m[i] - 1.96 * se[i]),
            "mean_diff_ci_high": float(m[i] + 1.96 * se[i]),
            "relative": float(m[i] / ma[i]) if ma[i] else None,
        }
        for i, s in enumerate(STAGES)
    ]
