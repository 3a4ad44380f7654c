"""A simulated period (`sim run --from DATE --to DATE`, or a scenario's `from` / `to`), reported per year.

The period is cut at calendar years and at the dated enforcement regimes (sharemap.sim.regimes); each
slice is one `simulate` run on its own last day (the law and ICE's 287(g) list in force that day; before
the ledger's first list no 287(g) agreement is modelled, and the output says so), for the slice's share
of a year. Slice i uses seed `seed + 7919 * i`, so the same seed gives the same period and the years do
not share random streams. A year's interval is over replicates of the sum of its slices.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from sharemap.runner import Engine
from sharemap.sim.agreements import CountyAgreements, ledger_agreements
from sharemap.sim.pipeline import STAGES
from sharemap.sim.regimes import Slice, load_regimes, slices
from sharemap.sim.run import RunResult, ci, simulate, stage_totals
from sharemap.sim.scenarios import Scenario

SEED_STEP = 7919


@dataclass(frozen=True)
class PeriodResult:
    scenario: Scenario
    start: dt.date
    end: dt.date
    slices: tuple[Slice, ...]
    runs: tuple[RunResult, ...]


def simulate_period(
    scenario: Scenario,
    start: dt.date,
    end: dt.date,
    *,
    county: str | None = None,
    state: str | None = None,
    replicates: int = 10,
    seed: int = 0,
    engine: Engine = "local",
    address: str | None = None,
    workers: int | None = None,
    bookings: Mapping[str, float] | None = None,
    db: Path | None = None,
    parameter_uncertainty: bool = False,
    on_done: Callable[[int], None] | None = None,
    agreements_on: Callable[[dt.date], CountyAgreements] | None = None,
) -> PeriodResult:
    """Run every slice of the period; `agreements_on(day)` (default: the ledger database) gives ICE's
    list in force on a slice's last day."""
    cut = slices(start, end, scenario.regime)
    runs = []
    for i, sl in enumerate(cut):
        sc = replace(scenario, date=sl.end, regime=sl.regime)
        ag = None
        if scenario.agreements_source == "ledger":
            ag = agreements_on(sl.end) if agreements_on else ledger_agreements(db, sl.end)
        runs.append(
            simulate(
                sc,
                county=county,
                state=state,
                years=sl.years,
                replicates=replicates,
                seed=seed + SEED_STEP * i,
                engine=engine,
                address=address,
                workers=workers,
                bookings=bookings,
                on_done=on_done,
                agreements=ag,
                parameter_uncertainty=parameter_uncertainty,
            )
        )
    return PeriodResult(scenario, start, end, tuple(cut), tuple(runs))


def by_year(res: PeriodResult) -> list[dict[str, Any]]:
    """Per calendar year: dates, regimes (with their sources), ICE's list used, and every stage with
    its 95% interval (plus detainers per day)."""
    regs = load_regimes()
    out = []
    for year in sorted({s.year for s in res.slices}):
        idx = [i for i, s in enumerate(res.slices) if s.year == year]
        tot = sum(stage_totals(res.runs[i]) for i in idx)
        assert isinstance(tot, np.ndarray)
        mean, lo, hi = ci(tot)
        days = sum((res.slices[i].end - res.slices[i].start).days + 1 for i in idx)
        det = STAGES.index("detainers")
        out.append(
            {
                "year": year,
                "from": res.slices[idx[0]].start.isoformat(),
                "to": res.slices[idx[-1]].end.isoformat(),
                "days": days,
                "regimes": [
                    {
                        "regime": res.slices[i].regime,
                        "name": regs.get(res.slices[i].regime).name,
                        "from": res.slices[i].start.isoformat(),
                        "to": res.slices[i].end.isoformat(),
                        "sources": [r.title for r in regs.get(res.slices[i].regime).references],
                    }
                    for i in idx
                ],
                "ice_list": [_list_of(res.runs[i]) for i in idx],
                "stages": [
                    {"stage": s, "mean": float(mean[k]), "ci_low": float(lo[k]), "ci_high": float(hi[k])}
                    for k, s in enumerate(STAGES)
                ],
                "detainers_per_day": {
                    "mean": float(mean[det]) / days,
                    "ci_low": float(lo[det]) / days,
                    "ci_high": float(hi[det]) / days,
                },
            }
        )
    return out


def _list_of(run: RunResult) -> str:
    ag = run.agreements
    if run.scenario.agreements_source != "ledger":
        return "none (scenario)"
    if ag is None or ag.list_date is None:
        return "no ICE list in the ledger on or before this day: no 287(g) agreement modelled"
    return f"ICE list of {ag.list_date} ({ag.snapshot_id})"


def summarise_period(res: PeriodResult) -> dict[str, Any]:
    """The period's summary: per-year rows and what the intervals include."""
    first = res.runs[0]
    return {
        "label": "SYNTHETIC simulation output - counts describe simulated people, not real individuals",
        "scenario": res.scenario.name,
        "scenario_file": res.scenario.file,
        "from": res.start.isoformat(),
        "to": res.end.isoformat(),
        "selection": first.selection,
        "counties": len(first.fips),
        "replicates": first.replicates,
        "seed": first.seed,
        "seed_per_slice": f"seed + {SEED_STEP} x slice number",
        "interval": "2.5th-97.5th percentile across replicates",
        "interval_includes": list(first.interval_includes),
        "by_year": by_year(res),
    }
