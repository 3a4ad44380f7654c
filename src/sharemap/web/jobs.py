"""Background simulation runs for the web app: one thread per run, progress counted per finished task.

Runs describe SYNTHETIC people only. Results live in memory (bounded); nothing is written to disk.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from sharemap.report.charts import hbars

MAX_JOBS = 32
MAX_REPLICATES = 20
CHART_STAGES = (
    "bookings",
    "ident_match",
    "name_checks",
    "flagged",
    "detainers",
    "holds",
    "notify_only",
    "declined",
    "transfers",
    "released_after_detainer",
    "citizens_flagged",
)


def scenario_names() -> list[str]:
    try:
        folder = files("sharemap.sim").joinpath("scenarios")
        return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))
    except (ModuleNotFoundError, FileNotFoundError):
        return []


def sim_available() -> tuple[bool, str]:
    try:
        from sharemap.sim.run import simulate  # noqa: F401
        from sharemap.sim.scenarios import load_scenario  # noqa: F401
    except Exception as exc:  # the simulator is optional (extra 'sim')
        return False, f"the simulator could not be loaded: {exc}"
    if not scenario_names():
        return False, "no simulation scenarios are shipped"
    return True, ""


@dataclass
class Job:
    id: str
    county: str
    scenario_a: str
    scenario_b: str | None
    replicates: int
    total: int = 1
    done: int = 0
    state: str = "queued"  # queued | running | done | failed
    error: str | None = None
    result: dict[str, Any] = field(default_factory=dict)
    summaries: list[dict[str, Any]] = field(default_factory=list)  # full run summaries, for reports
    finished: str | None = None  # UTC date the run finished

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "county": self.county,
            "scenario_a": self.scenario_a,
            "scenario_b": self.scenario_b,
            "replicates": self.replicates,
            "state": self.state,
            "progress": round(self.done / self.total, 3) if self.total else 0.0,
            "error": self.error,
            "result": self.result if self.state == "done" else None,
            "synthetic": True,
        }


class Jobs:
    def __init__(self, db: Path | None = None) -> None:
        self.db = db
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def start(self, county: str, scenario_a: str, scenario_b: str | None, replicates: int) -> Job:
        from sharemap.errors import InputError

        names = scenario_names()
        for s in (scenario_a, scenario_b):
            if s is not None and s not in names:
                raise InputError(f"unknown scenario {s!r}", field="scenario", expected=", ".join(names))
        if not 1 <= replicates <= MAX_REPLICATES:
            raise InputError(f"replicates must be 1 to {MAX_REPLICATES}", field="replicates")
        job = Job(uuid.uuid4().hex[:12], county, scenario_a, scenario_b or None, replicates)
        with self._lock:
            if len(self._jobs) >= MAX_JOBS:
                oldest = next(iter(self._jobs))
                del self._jobs[oldest]
            self._jobs[job.id] = job
        threading.Thread(target=self._run, args=(job,), daemon=True, name=f"sim-{job.id}").start()
        return job

    def _run(self, job: Job) -> None:
        import inspect

        from sharemap.sim.run import compare, simulate, summarise
        from sharemap.sim.scenarios import load_scenario

        extra: dict[str, Any] = {}
        if self.db is not None and "db" in inspect.signature(simulate).parameters:
            extra["db"] = self.db  # the ledger the app serves gives the 287(g) models

        job.state = "running"
        try:
            folder = Path(str(files("sharemap.sim").joinpath("scenarios")))
            names = [job.scenario_a] + ([job.scenario_b] if job.scenario_b else [])
            job.total = len(names) * max(1, (job.replicates + 9) // 10)
            runs = []
            for name in names:
                sc = load_scenario(folder / f"{name}.yaml")
                res = simulate(
                    sc,
                    county=job.county,
                    replicates=job.replicates,
                    seed=1,
                    engine="serial",
                    on_done=lambda _n: self._tick(job),
                    **extra,
                )
                runs.append((name, res, summarise(res)))
            job.result = _result(runs, compare(runs[0][1], runs[1][1]) if len(runs) == 2 else None)
            job.summaries = [summary for _, _, summary in runs]
            job.finished = dt.datetime.now(dt.UTC).date().isoformat()
            job.done = job.total
            job.state = "done"
        except Exception as exc:  # shown to the user on the job page
            job.state = "failed"
            job.error = getattr(exc, "message", None) or str(exc)

    @staticmethod
    def _tick(job: Job) -> None:
        job.done = min(job.done + 1, job.total)


def report_runs(job: Job) -> list[Any]:
    """A finished job's runs as report inputs (`sharemap.report.sim.SimRun`), one per scenario."""
    from sharemap.errors import InputError
    from sharemap.report.sim import from_summary

    if job.state != "done" or not job.summaries:
        raise InputError(
            f"simulation run {job.id!r} has not finished (state: {job.state})",
            field="sim",
            expected="a finished simulation run (see /sim/jobs/" + job.id + ")",
        )
    return [
        from_summary(
            s,
            f"sharemap web app simulation run {job.id}, scenario {s.get('scenario')} "
            "(kept in memory by the server that ran it)",
            made=job.finished,
        )
        for s in job.summaries
    ]


def _stage_means(summary: dict[str, Any]) -> dict[str, float]:
    return {s["stage"]: float(s["mean"]) for s in summary.get("stages", [])}


def _result(runs: list[tuple[str, Any, dict[str, Any]]], diff: list[dict[str, Any]] | None) -> dict[str, Any]:
    first = _stage_means(runs[0][2])
    stages = [s for s in CHART_STAGES if s in first]
    if len(runs) == 2:
        second = _stage_means(runs[1][2])
        svg = hbars(
            [(s.replace("_", " "), first[s]) for s in stages],
            "SYNTHETIC: mean count per year, by stage",
            second=[second.get(s, 0.0) for s in stages],
            legend=(runs[0][0], runs[1][0]),
        )
    else:
        svg = hbars(
            [(s.replace("_", " "), first[s]) for s in stages], "SYNTHETIC: mean count per year, by stage"
        )
    return {
        "label": runs[0][2].get("label"),
        "runs": [{"scenario": n, "summary": _plain_summary(s)} for n, _, s in runs],
        "compare": diff,
        "chart_svg": svg,
    }


def _plain_summary(s: dict[str, Any]) -> dict[str, Any]:
    keep = (
        "label",
        "scenario",
        "scenario_description",
        "selection",
        "counties",
        "years",
        "replicates",
        "seed",
    )
    out = {k: s.get(k) for k in keep}
    out["stages"] = s.get("stages", [])
    return out
