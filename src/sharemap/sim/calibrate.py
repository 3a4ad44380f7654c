"""Fit the free parameters to published targets and report target, model value and error for each.

Each fitted target is paired with one free parameter (params/calibration.yaml names it). The fit runs the
kernel in expectation mode (no randomness) and updates every parameter multiplicatively towards its
target until all relative errors are below `tol` (3%; the acceptance band is 10%): a damped fixed-point
iteration, with the direction of each statistic in its parameter found by a finite difference first.
Targets with `fit: false` are reported as validation, not fitted.

The fitted runs (2012-13 era, Pierce County 2017) assume no 287(g) agreement; only the validation run
(the 2025 baseline) needs the ledger: ICE's list in force on 2025-12-31, passed in as `agreements`
(`sharemap.sim.agreements.ledger_agreements(db, BASELINE_SCENARIO.date)`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from sharemap.errors import DataError
from sharemap.sim.agreements import CountyAgreements
from sharemap.sim.counties import Counties, counties, select
from sharemap.sim.model import CITIZEN, STATUSES
from sharemap.sim.params import PARAMS_DIR, ParamSet, Target, load_params, load_targets
from sharemap.sim.pipeline import CELL_STAGES, KernelResult, run_kernel
from sharemap.sim.scenarios import Scenario, compile_model

PIERCE = "53053"
ERA_SCENARIO = Scenario(name="calibration-era", date=dt.date(2012, 9, 30), agreements_source="none")
BASELINE_SCENARIO = Scenario(name="baseline", date=dt.date(2025, 12, 31))
PIERCE_SCENARIO = Scenario(name="calibration-pierce", date=dt.date(2017, 6, 30), agreements_source="none")


def _cell_share(r: KernelResult, stage: str, statuses: np.ndarray) -> float:
    from sharemap.sim.model import CELL_STATUS

    row = r.cells[CELL_STAGES.index(stage)]
    tot = row.sum()
    return float(row[np.isin(CELL_STATUS, statuses)].sum() / tot) if tot else 0.0


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


Runs = dict[str, KernelResult]  # "era" (nation, 2013 admissions), "baseline" (nation, 2025), "pierce"
Stat = Callable[[Runs], float]
STATISTICS: dict[str, Stat] = {
    "sc_match_rate": lambda r: _ratio(r["era"].total("ident_match"), r["era"].total("prints_to_ident")),
    "trac_fy2012_detainers": lambda r: r["era"].total("detainers"),
    "detainers_2025_per_year": lambda r: r["baseline"].total("detainers"),
    "detainers_2024_per_year": lambda r: r["baseline"].total("detainers"),
    "trac_usc_share": lambda r: _cell_share(r["era"], "detainers", np.nonzero(CITIZEN)[0]),
    "trac_lpr_share": lambda r: _cell_share(r["era"], "detainers", np.array([STATUSES.index("lpr")])),
    "ice_pickup_share": lambda r: _ratio(r["era"].total("pickups"), r["era"].total("detainers")),
    "sc_custody_share": lambda r: _ratio(r["era"].total("pickups"), r["era"].total("ident_match")),
    "pierce_biometric_basis": lambda r: _ratio(
        r["pierce"].total("detainers_biometric_basis"), r["pierce"].total("detainers")
    ),
    "pierce_hold_rate": lambda r: _ratio(r["pierce"].total("holds"), r["pierce"].total("bookings")),
}


ACCEPT = 0.10  # a fitted target further than this from its published value is a model failure


@dataclass(frozen=True)
class Row:
    target: str
    value: float
    model: float
    rel_error: float
    fitted: bool
    parameter: str | None
    parameter_value: float | None
    period: str
    source: str
    bounds: tuple[float, float] | None = None
    bounds_source: str | None = None

    @property
    def at_bound(self) -> bool:
        if self.bounds is None or self.parameter_value is None:
            return False
        lo, hi = self.bounds
        tol = 1e-4 * (hi - lo)
        return bool(self.parameter_value <= lo + tol or self.parameter_value >= hi - tol)

    @property
    def verdict(self) -> str:
        """fitted | model failure (the target needs a value outside the cited bounds) | validation."""
        if not self.fitted:
            return "validation (not fitted)"
        if abs(self.rel_error) <= ACCEPT:
            return "fitted"
        if self.at_bound:
            assert self.bounds is not None
            lo, hi = self.bounds
            return f"MODEL FAILURE: needs {self.parameter} outside its bounds [{lo:g}, {hi:g}]"
        return "MODEL FAILURE: the fit did not reach the target"


@dataclass(frozen=True)
class Calibration:
    params: ParamSet
    rows: list[Row]
    iterations: int
    converged: bool

    def fitted_values(self) -> dict[str, float]:
        return {
            r.parameter: float(r.parameter_value)
            for r in self.rows
            if r.fitted and r.parameter and r.parameter_value is not None
        }


def _clip(params: ParamSet, key: str, value: float) -> float:
    """A fitted value kept inside the parameter's cited bounds (a start value outside them is moved in)."""
    lo, hi = params.params[key].bounds or (0.0, 1.0)
    return float(np.clip(value, lo, hi))


def evaluate(
    params: ParamSet,
    table: Counties | None = None,
    baseline: bool = True,
    agreements: CountyAgreements | None = None,
) -> Runs:
    """Expectation-mode runs: the calibration era (nation at 2013 admissions, no 287(g), law of 2012),
    the 2025 baseline (for validation) and Pierce County in 2017."""
    table = table or counties()
    era_params = params.with_values({"bookings.national_per_year": params["bookings.national_per_year_2013"]})
    runs = {
        "era": run_kernel(compile_model(era_params, table, ERA_SCENARIO), expected=True),
        "pierce": run_kernel(
            compile_model(era_params, select(table, county=PIERCE), PIERCE_SCENARIO), expected=True
        ),
    }
    if baseline:
        runs["baseline"] = run_kernel(
            compile_model(params, table, BASELINE_SCENARIO, agreements=agreements), expected=True
        )
    return runs


def report(
    params: ParamSet,
    targets: list[Target],
    table: Counties | None = None,
    agreements: CountyAgreements | None = None,
) -> list[Row]:
    runs = evaluate(params, table, agreements=agreements)
    rows = []
    for t in targets:
        if t.key not in STATISTICS:
            raise DataError(
                f"no model statistic for target {t.key!r}", file=PARAMS_DIR / "calibration.yaml", field=t.key
            )
        v = STATISTICS[t.key](runs)
        rows.append(
            Row(
                t.key,
                t.value,
                v,
                (v - t.value) / t.value,
                t.fit,
                t.parameter,
                params[t.parameter] if t.parameter else None,
                t.period,
                t.references[0].title,
                params.params[t.parameter].bounds if t.parameter else None,
                params.params[t.parameter].bounds_source if t.parameter else None,
            )
        )
    return rows


def calibrate(
    params: ParamSet | None = None,
    targets: list[Target] | None = None,
    *,
    tol: float = 0.03,
    max_iter: int = 100,
    table: Counties | None = None,
    agreements: CountyAgreements | None = None,
) -> Calibration:
    """Fit every free parameter named by a `fit: true` target; return the fitted set and the table."""
    params = params or load_params()
    targets = targets or load_targets()
    table = table or counties()
    fit = [t for t in targets if t.fit]
    for t in fit:
        if t.parameter is None or t.parameter not in params or not params.params[t.parameter].free:
            raise DataError(
                f"target {t.key!r} names parameter {t.parameter!r}, which is not a free parameter",
                file=PARAMS_DIR / "calibration.yaml",
                field=f"{t.key}.parameter",
            )
    values = {t.parameter: _clip(params, t.parameter, params[t.parameter]) for t in fit if t.parameter}
    # direction of each statistic in its own parameter (finite difference), so the update moves the right way
    base_runs = evaluate(params.with_values(values), table, baseline=False)
    sign: dict[str, float] = {}
    for t in fit:
        assert t.parameter is not None
        lo, hi = params.params[t.parameter].bounds or (0.0, 1.0)
        bumped = dict(values)
        # step up, or down when the value sits at its upper bound (a step that cannot move says nothing)
        step_up = values[t.parameter] * 1.2 + 1e-6 <= hi
        bumped[t.parameter] = float(np.clip(values[t.parameter] * (1.2 if step_up else 0.8) + 1e-6, lo, hi))
        moved = STATISTICS[t.key](evaluate(params.with_values(bumped), table, baseline=False))
        rises = moved >= STATISTICS[t.key](base_runs)
        sign[t.key] = 1.0 if rises == step_up else -1.0
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - `it` is reported after the loop
        current = params.with_values(values)
        runs = evaluate(current, table, baseline=False)
        worst = 0.0
        for t in fit:
            assert t.parameter is not None
            v = STATISTICS[t.key](runs)
            err = (v - t.value) / t.value
            worst = max(worst, abs(err))
            lo, hi = current.params[t.parameter].bounds or (0.0, 1.0)
            old = values[t.parameter]
            step = (t.value / v) ** (0.7 * sign[t.key]) if v > 0 else 2.0 ** sign[t.key]
            values[t.parameter] = float(np.clip(max(old, 1e-9) * step, lo, hi))
        if worst < tol:
            converged = True
            break
    fitted = params.with_values(values)
    return Calibration(fitted, report(fitted, targets, table, agreements), it, converged)


def write_fitted(cal: Calibration, path: Path | None = None) -> Path:
    """Write the fitted values (with the targets they were fitted to) to params/fitted.yaml."""
    path = path or PARAMS_DIR / "fitted.yaml"
    doc: dict[str, Any] = {
        "meta": {
            "title": "Fitted values of the free parameters (written by `sharemap sim calibrate --write`)",
            "fitted_on": dt.date.today().isoformat(),
            "method": "damped multiplicative fixed point, expectation-mode kernel, nation + Pierce County",
            "converged": cal.converged,
            "iterations": cal.iterations,
        },
        "values": cal.fitted_values(),
        "failures": {r.target: r.verdict for r in cal.rows if r.verdict.startswith("MODEL FAILURE")},
        "targets": {
            r.target: {"value": r.value, "model": round(r.model, 6), "rel_error": round(r.rel_error, 6)}
            for r in cal.rows
        },
    }
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def markdown_table(rows: list[Row]) -> str:
    """Target, published, model, error and verdict; then each fitted parameter with its bounds and source."""
    lines = [
        "| target | published | model | relative error | verdict | parameter = value | period | source |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        par = (
            f"`{r.parameter}` = {r.parameter_value:.4g}"
            if r.parameter and r.parameter_value is not None
            else "-"
        )
        lines.append(
            f"| {r.target} | {_num(r.value)} | {_num(r.model)} | {r.rel_error:+.1%} | {r.verdict} "
            f"| {par} | {r.period} | {r.source} |"
        )
    lines += ["", "| parameter | fitted value | bounds | source of the bounds |", "|---|---|---|---|"]
    for r in rows:
        if r.fitted and r.parameter and r.bounds is not None and r.parameter_value is not None:
            edge = " (at its bound)" if r.at_bound else ""
            lines.append(
                f"| `{r.parameter}` | {r.parameter_value:.4g}{edge} | [{r.bounds[0]:g}, {r.bounds[1]:g}] "
                f"| {r.bounds_source} |"
            )
    return "\n".join(lines)
