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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sharemap.errors import InputError
from sharemap.runner import Engine, run_tasks
from sharemap.safety import csv_field_cap, read_regular_file
from sharemap.sim.agreements import CountyAgreements, ledger_agreements
from sharemap.sim.counties import Counties, counties, select
from sharemap.sim.ledger import EVENTS, describe, event_counts
from sharemap.sim.model import CELL_ETH, CELL_STATUS, ETHNICITIES, STATUSES
from sharemap.sim.params import check_replicates, check_seed, check_years, load_params
from sharemap.sim.pipeline import CELL_STAGES, LAT_EDGES, LATENCIES, STAGES, KernelResult, run_kernel
from sharemap.sim.scenarios import Scenario, compile_model, on_date, rulings_for

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


def run_task(task: Task) -> list[KernelResult]:
    """Worker: compile the model for one county batch and run its replicates (top-level, picklable)."""
    table = counties().take(np.array(task.county_idx))
    model = compile_model(load_params(), table, task.scenario, task.bookings or None, task.agreements)
    out = []
    for r in task.replicates:
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
) -> list[Task]:
    full = counties()
    idx = np.array([full.index(str(f)) for f in table.fips])
    tasks = []
    for b, start in enumerate(range(0, len(idx), COUNTY_BATCH)):
        chunk = tuple(int(i) for i in idx[start : start + COUNTY_BATCH])
        mine = agreements.restrict(full.fips[list(chunk)]) if agreements is not None else None
        for r0 in range(0, replicates, rep_batch):
            reps = tuple(range(r0, min(replicates, r0 + rep_batch)))
            tasks.append(Task(scenario, chunk, b, reps, seed, years, dict(bookings or {}), mine))
    return tasks


@dataclass
class RunResult:
    """All replicates, merged over county batches: arrays with a leading replicate axis."""

    scenario: Scenario
    fips: np.ndarray
    county: np.ndarray  # (R, C, stages)
    cells: np.ndarray  # (R, cell stages, cells)
    latency_hist: np.ndarray  # (R, latencies, bins)
    years: float
    seed: int
    selection: str
    agreements: CountyAgreements | None = None

    @property
    def replicates(self) -> int:
        return self.county.shape[0]


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
    fips = np.concatenate([by[(reps[0], b)].fips for b in batches])
    return RunResult(scenario, fips, county, cells, hist, years, seed, selection, agreements)


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
    )
    results = run_tasks(run_task, tasks, engine=engine, address=address, workers=workers, on_done=on_done)
    return merge(tasks, results, scenario, years, seed, selection, agreements)


# --- summaries ---------------------------------------------------------------------------------------


def ci(samples: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and 95% interval across replicates (normal approximation with the replicate standard error
    for the mean of a quantity over replicates would be narrower; this is the spread of one replicate)."""
    mean = samples.mean(axis=axis)
    if samples.shape[axis] < 2:
        return mean, mean, mean
    lo = np.percentile(samples, 2.5, axis=axis)
    hi = np.percentile(samples, 97.5, axis=axis)
    return mean, lo, hi


def stage_totals(res: RunResult) -> np.ndarray:
    """(R, stages) totals over the selection."""
    return res.county.sum(axis=1)


def _latency_quantiles(hist: np.ndarray, qs: tuple[float, ...] = (0.5, 0.9)) -> list[float | None]:
    total = hist.sum()
    if total <= 0:
        return [None for _ in qs]
    cum = np.cumsum(hist) / total
    mids = np.sqrt(np.maximum(LAT_EDGES[:-1], 1e-3) * LAT_EDGES[1:])
    return [float(mids[int(np.searchsorted(cum, q))]) for q in qs]


def summarise(res: RunResult) -> dict[str, Any]:
    """Counts at every stage, by status and ethnicity, rates, latencies, disclosures, with 95% intervals."""
    tot = stage_totals(res)
    mean, lo, hi = ci(tot)
    stages = [
        {"stage": s, "mean": float(mean[i]), "ci_low": float(lo[i]), "ci_high": float(hi[i])}
        for i, s in enumerate(STAGES)
    ]
    by_status = []
    by_eth = []
    for k, stage in enumerate(CELL_STAGES):
        for si, sname in enumerate(STATUSES):
            v = res.cells[:, k][:, si == CELL_STATUS].sum(axis=1)
            m, a, b = ci(v)
            by_status.append(
                {"stage": stage, "status": sname, "mean": float(m), "ci_low": float(a), "ci_high": float(b)}
            )
        for ei, ename in enumerate(ETHNICITIES):
            v = res.cells[:, k][:, ei == CELL_ETH].sum(axis=1)
            m, a, b = ci(v)
            by_eth.append(
                {
                    "stage": stage,
                    "ethnicity": ename,
                    "mean": float(m),
                    "ci_low": float(a),
                    "ci_high": float(b),
                }
            )
    hold_rates = []
    ib, ih = CELL_STAGES.index("bookings"), CELL_STAGES.index("holds")
    for ei, ename in enumerate(ETHNICITIES):
        sel = ei == CELL_ETH
        rate = res.cells[:, ih][:, sel].sum(1) / np.maximum(res.cells[:, ib][:, sel].sum(1), 1)
        m, a, b = ci(rate * 1000)
        hold_rates.append(
            {"ethnicity": ename, "holds_per_1000_bookings": float(m), "ci_low": float(a), "ci_high": float(b)}
        )
    lat = []
    for j, name in enumerate(LATENCIES):
        per_rep = [_latency_quantiles(res.latency_hist[r, j]) for r in range(res.replicates)]
        med = np.array([x[0] for x in per_rep if x[0] is not None])
        p90 = np.array([x[1] for x in per_rep if x[1] is not None])
        row: dict[str, Any] = {"latency": name, "unit": "hours"}
        for key, arr in (("median", med), ("p90", p90)):
            if len(arr):
                m, a, b = ci(arr)
                row.update({key: float(m), f"{key}_ci_low": float(a), f"{key}_ci_high": float(b)})
            else:
                row.update({key: None})
        lat.append(row)
    ev = np.stack([event_counts(res.county[r], STAGES).sum(0) for r in range(res.replicates)])
    m, a, b = ci(ev)
    disclosures = []
    for j, e in enumerate(EVENTS):
        chans, sender, recipient, elements = describe(e)
        disclosures.append(
            {
                "event": e,
                "channel": chans,
                "sender": sender,
                "recipient": recipient,
                "data_elements": list(elements),
                "events": float(m[j]),
                "ci_low": float(a[j]),
                "ci_high": float(b[j]),
            }
        )
    full = counties()
    in_selection = np.isin(full.fips, res.fips)
    law = [r.__dict__ for r in rulings_for(full.take(np.nonzero(in_selection)[0]), res.scenario)]
    return {
        "label": "SYNTHETIC simulation output - counts describe simulated people, not real individuals",
        "scenario": res.scenario.name,
        "scenario_description": res.scenario.description,
        "scenario_file": res.scenario.file,
        "scenario_date": res.scenario.date.isoformat() if res.scenario.date else None,
        "agreements": (
            res.agreements.restrict(res.fips).describe()
            if res.agreements is not None
            else {"source": res.scenario.agreements_source}
        ),
        "selection": res.selection,
        "counties": len(res.fips),
        "years": res.years,
        "replicates": res.replicates,
        "seed": res.seed,
        "interval": "2.5th-97.5th percentile across replicates",
        "stages": stages,
        "by_status": by_status,
        "by_ethnicity": by_eth,
        "hold_rates": hold_rates,
        "latencies": lat,
        "disclosures": disclosures,
        "law": law,
    }


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
