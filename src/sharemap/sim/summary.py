"""The simulation summary as a typed model (issue 14: no `dict[str, Any]` between a run and its readers).

`build_summary(res)` computes it from a run in named steps (stages, by status, by ethnicity, by
birthplace, hold rates, latencies, disclosures, law); `SimSummary.to_dict()` gives the JSON shape that
`summary.json`, the web's simulation pages and the report read (earlier keys unchanged). Every count
describes SYNTHETIC people.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sharemap.sim.birthplace import GROUPS as BIRTHPLACES
from sharemap.sim.birthplace import load_birthplace
from sharemap.sim.counties import counties
from sharemap.sim.ledger import EVENTS, describe, event_counts
from sharemap.sim.model import CELL_ETH, CELL_STATUS, ETHNICITIES, STATUSES
from sharemap.sim.pipeline import CELL_STAGES, LAT_EDGES, LATENCIES, STAGES
from sharemap.sim.result import RunResult
from sharemap.sim.scenarios import rulings_for
from sharemap.sim.uncertainty import NOT_INCLUDED

LABEL = "SYNTHETIC simulation output - counts describe simulated people, not real individuals"


@dataclass(frozen=True)
class StageRow:
    stage: str
    mean: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class StatusRow:
    stage: str
    status: str
    mean: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class EthnicityRow:
    stage: str
    ethnicity: str
    mean: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class BirthplaceRow:
    """A stage's count for one birthplace group (the expected split of each simulated cell count)."""

    stage: str
    birthplace: str
    mean: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class BirthplaceSource:
    """Which figures a state's birthplace split rests on (a sourced state share or the national fallback)."""

    state: str
    fallback: bool
    source: str


@dataclass(frozen=True)
class HoldRate:
    ethnicity: str
    holds_per_1000_bookings: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class LatencyRow:
    """Median and 90th percentile (hours) with intervals; None where no event reached the stage."""

    latency: str
    unit: str
    median: float | None
    p90: float | None
    intervals: dict[str, float] = field(default_factory=dict)  # median_ci_low, ..., p90_ci_high

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"latency": self.latency, "unit": self.unit}
        for key in ("median", "p90"):
            out[key] = getattr(self, key)
            if out[key] is not None:
                out[f"{key}_ci_low"] = self.intervals[f"{key}_ci_low"]
                out[f"{key}_ci_high"] = self.intervals[f"{key}_ci_high"]
        return out


@dataclass(frozen=True)
class DisclosureRow:
    event: str
    channel: str
    sender: str
    recipient: str
    data_elements: list[str]
    events: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class SimSummary:
    scenario: str
    scenario_description: str
    scenario_file: str
    scenario_date: str | None
    agreements: dict[str, Any]
    selection: str
    counties: int
    years: float
    replicates: int
    seed: int
    interval_includes: list[str]
    regime: str
    stages: list[StageRow]
    by_status: list[StatusRow]
    by_ethnicity: list[EthnicityRow]
    by_birthplace: list[BirthplaceRow]
    birthplace_sources: list[BirthplaceSource]
    hold_rates: list[HoldRate]
    latencies: list[LatencyRow]
    disclosures: list[DisclosureRow]
    law: list[dict[str, Any]]
    label: str = LABEL
    interval: str = "2.5th-97.5th percentile across replicates"
    interval_excludes: str = NOT_INCLUDED

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of summary.json (the keys the web and the report read)."""
        out: dict[str, Any] = {"label": self.label}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "latencies":
                out[f.name] = [r.to_dict() for r in value]
            elif isinstance(value, list) and value and dataclasses.is_dataclass(value[0]):
                out[f.name] = [dataclasses.asdict(r) for r in value]
            else:
                out[f.name] = value
        return out


def ci(samples: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and 95% interval across replicates (the spread of one replicate, not the error of the mean)."""
    mean = samples.mean(axis=axis)
    if samples.shape[axis] < 2:
        return mean, mean, mean
    return mean, np.percentile(samples, 2.5, axis=axis), np.percentile(samples, 97.5, axis=axis)


def _stages(res: RunResult) -> list[StageRow]:
    mean, lo, hi = ci(res.county.sum(axis=1))
    return [StageRow(s, float(mean[i]), float(lo[i]), float(hi[i])) for i, s in enumerate(STAGES)]


def _by_status(res: RunResult) -> list[StatusRow]:
    rows = []
    for k, stage in enumerate(CELL_STAGES):
        for si, name in enumerate(STATUSES):
            m, a, b = ci(res.cells[:, k][:, si == CELL_STATUS].sum(axis=1))
            rows.append(StatusRow(stage, name, float(m), float(a), float(b)))
    return rows


def _by_ethnicity(res: RunResult) -> list[EthnicityRow]:
    rows = []
    for k, stage in enumerate(CELL_STAGES):
        for ei, name in enumerate(ETHNICITIES):
            m, a, b = ci(res.cells[:, k][:, ei == CELL_ETH].sum(axis=1))
            rows.append(EthnicityRow(stage, name, float(m), float(a), float(b)))
    return rows


def _by_birthplace(res: RunResult) -> list[BirthplaceRow]:
    if res.birthplace is None:
        return []
    rows = []
    for k, stage in enumerate(CELL_STAGES):
        for g, name in enumerate(BIRTHPLACES):
            m, a, b = ci(res.birthplace[:, k, :, g].sum(axis=1))
            rows.append(BirthplaceRow(stage, name, float(m), float(a), float(b)))
    return rows


def _birthplace_sources(states: Iterable[str]) -> list[BirthplaceSource]:
    table = load_birthplace()
    return [
        BirthplaceSource(s, s not in table.mexico_by_state, table.source_of(s))
        for s in sorted({str(x) for x in states})
    ]


def _hold_rates(res: RunResult) -> list[HoldRate]:
    ib, ih = CELL_STAGES.index("bookings"), CELL_STAGES.index("holds")
    rows = []
    for ei, name in enumerate(ETHNICITIES):
        sel = ei == CELL_ETH
        rate = res.cells[:, ih][:, sel].sum(1) / np.maximum(res.cells[:, ib][:, sel].sum(1), 1)
        m, a, b = ci(rate * 1000)
        rows.append(HoldRate(name, float(m), float(a), float(b)))
    return rows


def _latency_quantiles(hist: np.ndarray, qs: tuple[float, ...] = (0.5, 0.9)) -> list[float | None]:
    total = hist.sum()
    if total <= 0:
        return [None for _ in qs]
    cum = np.cumsum(hist) / total
    mids = np.sqrt(np.maximum(LAT_EDGES[:-1], 1e-3) * LAT_EDGES[1:])
    return [float(mids[int(np.searchsorted(cum, q))]) for q in qs]


def _latencies(res: RunResult) -> list[LatencyRow]:
    rows = []
    for j, name in enumerate(LATENCIES):
        per_rep = [_latency_quantiles(res.latency_hist[r, j]) for r in range(res.replicates)]
        values: dict[str, float | None] = {}
        intervals: dict[str, float] = {}
        for q, key in enumerate(("median", "p90")):
            arr = np.array([x[q] for x in per_rep if x[q] is not None])
            values[key] = None
            if len(arr):
                m, a, b = ci(arr)
                values[key] = float(m)
                intervals.update({f"{key}_ci_low": float(a), f"{key}_ci_high": float(b)})
        rows.append(LatencyRow(name, "hours", values["median"], values["p90"], intervals))
    return rows


def _disclosures(res: RunResult) -> list[DisclosureRow]:
    ev = np.stack([event_counts(res.county[r], STAGES).sum(0) for r in range(res.replicates)])
    m, a, b = ci(ev)
    rows = []
    for j, e in enumerate(EVENTS):
        chans, sender, recipient, elements = describe(e)
        rows.append(
            DisclosureRow(e, chans, sender, recipient, list(elements), float(m[j]), float(a[j]), float(b[j]))
        )
    return rows


def _regime(res: RunResult) -> str:
    from sharemap.sim.regimes import load_regimes

    regs = load_regimes()
    if res.scenario.regime:
        return res.scenario.regime
    assert res.scenario.date is not None
    return regs.on(min(max(res.scenario.date, regs.first_day), regs.last_day)).key


def build_summary(res: RunResult) -> SimSummary:
    """Counts at every stage, by status and ethnicity, rates, latencies, disclosures, with 95% intervals."""
    full = counties()
    in_selection = np.nonzero(np.isin(full.fips, res.fips))[0]
    sc = res.scenario
    return SimSummary(
        scenario=sc.name,
        scenario_description=sc.description,
        scenario_file=sc.file,
        scenario_date=sc.date.isoformat() if sc.date else None,
        agreements=(
            res.agreements.restrict(res.fips).describe()
            if res.agreements is not None
            else {"source": sc.agreements_source}
        ),
        selection=res.selection,
        counties=len(res.fips),
        years=res.years,
        replicates=res.replicates,
        seed=res.seed,
        interval_includes=list(res.interval_includes),
        regime=_regime(res),
        stages=_stages(res),
        by_status=_by_status(res),
        by_ethnicity=_by_ethnicity(res),
        by_birthplace=_by_birthplace(res),
        birthplace_sources=_birthplace_sources(full.state[in_selection]),
        hold_rates=_hold_rates(res),
        latencies=_latencies(res),
        disclosures=_disclosures(res),
        law=[r.__dict__ for r in rulings_for(full.take(in_selection), sc)],
    )
