"""Validation: the model against published figures it was never fitted to (params/validation.yaml).

For each parameter draw (sharemap.sim.uncertainty; free parameters at their fitted values) the kernel runs
once, with its own random stream, for every run a figure needs (the calibration era, Pierce County in
2017, national slices of early 2024 and 2025, FY2013, FY2015, Pennsylvania, ...), each compiled on its own
date so the regime, the law and ICE's 287(g) list are those of that day. The model value is the mean over
draws and its interval the 2.5th-97.5th percentile, so it includes Monte Carlo noise and the ranges of the
assumed parameters. A published figure with counts gets a 95% Wilson interval. The verdict is
"reproduced" when the two intervals overlap, else "MISS" with the figure's stated reason. Pure apart from
reading the ledger through `agreements_on`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sharemap.errors import DataError
from sharemap.sim.agreements import CountyAgreements
from sharemap.sim.birthplace import GROUPS as BIRTHPLACES
from sharemap.sim.counties import Counties, counties, select
from sharemap.sim.model import CELL_ETH
from sharemap.sim.params import PARAMS_DIR, ParamSet, load_params, read_yaml
from sharemap.sim.pipeline import CELL_STAGES, KernelResult, S, run_kernel
from sharemap.sim.regimes import slices
from sharemap.sim.scenarios import Scenario, compile_model
from sharemap.sim.uncertainty import NOT_INCLUDED, draws, sources

VALIDATION_FILE = PARAMS_DIR / "validation.yaml"
FY_DAYS = 365.25


@dataclass(frozen=True)
class Figure:
    key: str
    figure: str
    value: float
    low: float
    high: float
    period: str
    statistic: str
    source: str
    url: str
    date: str
    if_missed: str


@dataclass(frozen=True)
class Result:
    figure: Figure
    mean: float
    low: float
    high: float

    @property
    def reproduced(self) -> bool:
        return self.low <= self.figure.high and self.high >= self.figure.low

    @property
    def verdict(self) -> str:
        if self.reproduced:
            return "reproduced"
        ratio = self.mean / self.figure.value if self.figure.value else math.nan
        return f"MISS (model / published = {ratio:.2f}): {self.figure.if_missed}"


def _wilson(k: float, n: float) -> tuple[float, float]:
    """95% Wilson interval of a published proportion k / n."""
    p, z = k / n, 1.96
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def _interval(raw: Mapping[str, Any], value: float) -> tuple[float, float]:
    if "counts" in raw:
        return _wilson(*raw["counts"])
    if "ratio_counts" in raw:  # a ratio of two proportions: the ends of their intervals
        a, b = _wilson(raw["ratio_counts"][0], raw["ratio_counts"][1])
        c, d = _wilson(raw["ratio_counts"][2], raw["ratio_counts"][3])
        return a / d, b / c
    return float(raw.get("low", value)), float(raw.get("high", value))


def load_figures() -> tuple[list[Figure], dict[str, str]]:
    """The validation figures and the published figures listed as not comparable (id -> reason)."""
    data = read_yaml(VALIDATION_FILE)
    out = []
    for key, raw in (data.get("figures") or {}).items():
        src = raw.get("source") or {}
        if not (src.get("title") and src.get("url") and src.get("date")):
            raise DataError(
                "a validation figure needs a source with title, url and date",
                file=VALIDATION_FILE,
                field=f"figures.{key}.source",
            )
        if raw.get("statistic") not in STATISTICS:
            raise DataError(
                f"unknown statistic {raw.get('statistic')!r}",
                file=VALIDATION_FILE,
                field=f"figures.{key}.statistic",
                expected=", ".join(sorted(STATISTICS)),
            )
        value = float(raw["value"])
        low, high = _interval(raw, value)
        out.append(
            Figure(
                key,
                str(raw["figure"]),
                value,
                low,
                high,
                str(raw["period"]),
                str(raw["statistic"]),
                str(src["title"]),
                str(src["url"]),
                str(src["date"]),
                " ".join(str(raw.get("if_missed", "")).split()),
            )
        )
    return out, {str(k): str(v) for k, v in (data.get("not_comparable") or {}).items()}


# --- the runs one draw needs -----------------------------------------------------------------------


@dataclass
class Draw:
    """One parameter draw: runs the kernel for a (selection, period) once and keeps the result."""

    params: ParamSet
    rng: np.random.Generator
    agreements_on: Callable[[dt.date], CountyAgreements | None]
    cache: dict[tuple[Any, ...], KernelResult] = field(default_factory=dict)

    def run(
        self, table: Counties, start: dt.date, end: dt.date, *, era: bool = False, key: str = ""
    ) -> KernelResult:
        """Kernel totals over [start, end], one compiled model per regime and year slice."""
        cache_key = (key, start, end, era)
        if cache_key in self.cache:
            return self.cache[cache_key]
        params = self.params
        if era:  # as in calibration: 2013 admissions, no 287(g)
            params = params.with_values(
                {"bookings.national_per_year": params["bookings.national_per_year_2013"]}
            )
        parts = []
        for sl in slices(start, end):
            ag = None if era else self.agreements_on(sl.end)
            sc = Scenario(
                name="validation",
                date=sl.end,
                agreements_source="none" if era or ag is None else "ledger",
            )
            model = compile_model(params, table, sc, agreements=ag)
            parts.append(run_kernel(model, sl.years, self.rng))
        total = KernelResult(
            parts[0].fips,
            sum(p.county for p in parts),  # type: ignore[arg-type]
            sum(p.cells for p in parts),  # type: ignore[arg-type]
            sum(p.latency_hist for p in parts),  # type: ignore[arg-type]
            sum(p.birthplace for p in parts),  # type: ignore[arg-type]
        )
        self.cache[cache_key] = total
        return total


def _d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _nation(dr: Draw, start: str, end: str) -> KernelResult:
    return dr.run(counties(), _d(start), _d(end), key="nation")


def _pierce(dr: Draw) -> KernelResult:
    return dr.run(select(counties(), county="53053"), _d("2016-10-01"), _d("2018-07-31"), key="pierce")


def _per_day(dr: Draw, start: str, end: str) -> float:
    return _nation(dr, start, end).total("detainers") / ((_d(end) - _d(start)).days + 1)


def _hold_ratio(r: KernelResult) -> float:
    b, h = r.cells[CELL_STAGES.index("bookings")], r.cells[CELL_STAGES.index("holds")]
    rates = [h[e == CELL_ETH].sum() / max(b[e == CELL_ETH].sum(), 1) for e in (0, 1)]
    return rates[0] / rates[1] if rates[1] else math.inf


def _state_share(r: KernelResult, states: tuple[str, ...]) -> float:
    full = counties()
    mask = np.isin(full.state, states)
    det = r.county[:, S["detainers"]]
    return float(det[mask].sum() / det.sum())


def _era(dr: Draw) -> KernelResult:
    return dr.run(counties(), _d("2010-10-01"), _d("2011-04-30"), era=True, key="era")


def _pa(dr: Draw, start: str, end: str) -> KernelResult:
    return dr.run(select(counties(), state="PA"), _d(start), _d(end), key="pa")


def _birthplace_share(r: KernelResult, group: str, stage: str = "detainers") -> float:
    """A birthplace group's share of a stage (sim/birthplace.py's split of the simulated counts)."""
    k = CELL_STAGES.index(stage)
    by_group = r.birthplace[k].sum(axis=0)
    return float(by_group[BIRTHPLACES.index(group)] / max(by_group.sum(), 1e-12))


def _fy2021(dr: Draw) -> KernelResult:
    return _nation(dr, "2020-10-01", "2021-09-30")


Stat = Callable[[Draw], float]


def _fy2021_share(group: str) -> Stat:
    return lambda d: _birthplace_share(_fy2021(d), group)


STATISTICS: dict[str, Stat] = {
    "era_custody_per_match": lambda d: _era(d).total("pickups") / _era(d).total("ident_match"),
    "pierce_hold_rate": lambda d: _pierce(d).total("holds") / _pierce(d).total("bookings"),
    "pierce_hispanic_ratio": lambda d: _hold_ratio(_pierce(d)),
    "detainers_per_day_2024": lambda d: _per_day(d, "2024-01-20", "2024-02-17"),
    "detainers_per_day_2025": lambda d: _per_day(d, "2025-02-18", "2025-03-18"),
    "detainer_ratio_2025_2024": lambda d: (
        _per_day(d, "2025-01-20", "2025-03-18") / _per_day(d, "2024-01-20", "2024-02-17")
    ),
    "detainers_fy2013": lambda d: _nation(d, "2012-10-01", "2013-09-30").total("detainers"),
    "detainers_fy2015": lambda d: _nation(d, "2014-10-01", "2015-09-30").total("detainers"),
    "ca_tx_share_2022": lambda d: _state_share(_nation(d, "2022-01-01", "2022-12-31"), ("CA", "TX")),
    "fl_share_2022": lambda d: _state_share(_nation(d, "2022-01-01", "2022-12-31"), ("FL",)),
    "detainers_per_month_2023": lambda d: _nation(d, "2023-02-01", "2023-12-31").total("detainers") / 11,
    "pickups_per_day_2025": lambda d: _nation(d, "2025-01-20", "2025-12-31").total("pickups") / 346,
    "pa_detainers_fy2010": lambda d: _pa(d, "2009-10-01", "2010-09-30").total("detainers"),
    "fy2021_detainer_share_mexico": _fy2021_share("mexico"),
    "fy2021_detainer_share_guatemala": _fy2021_share("guatemala"),
    "fy2021_detainer_share_honduras": _fy2021_share("honduras"),
    "fy2021_detainer_share_el_salvador": _fy2021_share("el_salvador"),
    "pa_declined_share": lambda d: (
        _pa(d, "2009-10-01", "2010-09-30").total("declined")
        / max(_pa(d, "2009-10-01", "2010-09-30").total("detainers"), 1)
    ),
}


@dataclass(frozen=True)
class Validation:
    results: list[Result]
    not_comparable: dict[str, str]
    draws: int
    seed: int
    interval_includes: list[str]


def validate(
    agreements_on: Callable[[dt.date], CountyAgreements | None],
    *,
    n_draws: int = 40,
    seed: int = 2026,
    params: ParamSet | None = None,
    only: set[str] | None = None,
) -> Validation:
    """Every validation figure (or those in `only`) against `n_draws` model runs with parameter draws."""
    params = params or load_params()
    figures, not_comparable = load_figures()
    figures = [f for f in figures if only is None or f.key in only]
    values: dict[str, list[float]] = {f.key: [] for f in figures}
    for i, draw in enumerate(draws(params, n_draws, seed)):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(i,)))
        dr = Draw(params.with_values(draw), rng, agreements_on)
        for f in figures:
            values[f.key].append(STATISTICS[f.statistic](dr))
    results = []
    for f in figures:
        v = np.array(values[f.key])
        results.append(
            Result(f, float(v.mean()), float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5)))
        )
    return Validation(results, not_comparable, n_draws, seed, sources(params, True))


def _fmt(x: float) -> str:
    if math.isinf(x):
        return "-"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def markdown(v: Validation, command: str) -> str:
    """docs/sim-validation.md: one row per figure, then the figures that cannot be compared."""
    n_ok = sum(r.reproduced for r in v.results)
    lines = [
        "# Simulator validation: published figures the model was not fitted to",
        "",
        f"Generated by `{command}` ({v.draws} parameter draws, seed {v.seed}). "
        f"{n_ok} of {len(v.results)} figures reproduced; every miss stays in the table with its reason.",
        "None of these figures is used by the fit (`params/calibration.yaml`, the regime estimates in "
        "`params/regimes.yaml`); `tests/sim/test_validate.py` checks the sets are disjoint.",
        "",
        "Model intervals (2.5th-97.5th percentile over draws) include: "
        + "; ".join(v.interval_includes)
        + ".",
        NOT_INCLUDED[0].upper() + NOT_INCLUDED[1:] + ". Published intervals are 95% Wilson intervals where "
        "the source gives counts, the published range where it gives one, else the point.",
        "",
        "| figure | period | source | published (interval) | model (interval) | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for r in v.results:
        f = r.figure
        pub = _fmt(f.value) + ("" if f.low == f.high else f" ({_fmt(f.low)}-{_fmt(f.high)})")
        lines.append(
            f"| {f.figure} | {f.period} | [{f.source}]({f.url}), {f.date} | {pub} "
            f"| {_fmt(r.mean)} ({_fmt(r.low)}-{_fmt(r.high)}) | {r.verdict} |"
        )
    lines += ["", "## Published figures the model cannot produce", "", "| id | why not |", "|---|---|"]
    lines += [f"| {k} | {why} |" for k, why in v.not_comparable.items()]
    return "\n".join(lines) + "\n"
