"""Background simulation runs for the web app: a bounded queue run by a fixed pool of threads.

At most `sim_jobs_total` runs are queued or running, at most `sim_jobs_per_client` of them from one
client; beyond that `start` raises `Busy` (the app answers 429 with Retry-After), so a burst of posts
cannot start a thread each and starve the API. `sim_workers` threads run the queue, each handing its
run to a child process (spawned), so simulations do not compete with requests for the GIL; a run's
progress is known only when it ends. A run's id
answers (queued, running, done or failed) for as long as the run exists: only finished runs are
dropped, oldest first, beyond MAX_JOBS. Runs describe SYNTHETIC people only; results live in memory.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import multiprocessing
import os
import queue
import statistics
import threading
import time
import uuid
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from sharemap.report.charts import hbars
from sharemap.runner import child_init, stop_pool
from sharemap.safety import limit
from sharemap.web.limits import Busy

MAX_JOBS = 32  # finished runs kept (queued and running ones are bounded by sim_jobs_total)
DEFAULT_RUN_S = 10.0  # a guess of one run's duration, until runs have been timed
MAX_REPLICATES = 20
SIM_NICENESS = 15  # how much lower a simulation's CPU priority is than the server's
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
    client: str = ""  # who asked (the client's address): counts towards sim_jobs_per_client

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
    def __init__(
        self,
        db: Path | None = None,
        per_client: int | None = None,
        total: int | None = None,
        workers: int | None = None,
    ) -> None:
        self.db = db
        self.per_client = int(per_client if per_client is not None else limit("sim_jobs_per_client"))
        self.total = int(total if total is not None else limit("sim_jobs_total"))
        self.workers = int(workers if workers is not None else limit("sim_workers"))
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._durations: deque[float] = deque(maxlen=20)
        self._pool: ProcessPoolExecutor | None = None

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def active(self) -> list[Job]:
        """Runs queued or running."""
        with self._lock:
            return [j for j in self._jobs.values() if j.state in ("queued", "running")]

    def retry_after(self, ahead: int) -> float:
        """Seconds until a place is likely free: the mean run time times the runs ahead per worker."""
        per_run = statistics.fmean(self._durations) if self._durations else DEFAULT_RUN_S
        return per_run * max(1, ahead) / max(1, self.workers)

    def start(
        self, county: str, scenario_a: str, scenario_b: str | None, replicates: int, client: str = ""
    ) -> Job:
        from sharemap.errors import InputError

        names = scenario_names()
        for s in (scenario_a, scenario_b):
            if s is not None and s not in names:
                raise InputError(f"unknown scenario {s!r}", field="scenario", expected=", ".join(names))
        if not 1 <= replicates <= MAX_REPLICATES:
            raise InputError(f"replicates must be 1 to {MAX_REPLICATES}", field="replicates")
        job = Job(uuid.uuid4().hex[:12], county, scenario_a, scenario_b or None, replicates, client=client)
        with self._lock:
            active = [j for j in self._jobs.values() if j.state in ("queued", "running")]
            if len(active) >= self.total:
                raise Busy(
                    f"the server is already running or queueing {len(active)} simulations, its limit",
                    self.retry_after(len(active) - self.workers + 1),
                )
            mine = sum(1 for j in active if j.client == client)
            if mine >= self.per_client:
                raise Busy(
                    f"you already have {mine} simulations queued or running, the limit per client",
                    self.retry_after(1),
                )
            self._jobs[job.id] = job
            self._drop_finished()
            while len(self._threads) < self.workers:
                t = threading.Thread(
                    target=self._work, daemon=True, name=f"sharemap-sim-{len(self._threads)}"
                )
                self._threads.append(t)
                t.start()
        self._queue.put(job)
        return job

    def _drop_finished(self) -> None:
        """Forget the oldest finished runs beyond MAX_JOBS (never a queued or running one)."""
        done = [k for k, j in self._jobs.items() if j.state in ("done", "failed")]
        for k in done[: max(0, len(done) - MAX_JOBS)]:
            del self._jobs[k]

    def _work(self) -> None:
        _lower_this_thread()  # the child processes this thread starts inherit its priority
        while True:
            job = self._queue.get()
            began = time.monotonic()
            self._run(job)
            self._durations.append(time.monotonic() - began)
            with self._lock:
                self._drop_finished()

    def _run(self, job: Job) -> None:
        """Run one job in a child process, so a CPU-bound simulation never holds the server's GIL."""
        job.state = "running"
        names = [job.scenario_a] + ([job.scenario_b] if job.scenario_b else [])
        job.total = len(names) * max(1, (job.replicates + 9) // 10)
        try:
            future = self._processes().submit(_simulate, names, job.county, job.replicates, self.db)
            job.result, job.summaries = future.result()
            job.finished = dt.datetime.now(dt.UTC).date().isoformat()
            job.done = job.total
            job.state = "done"
        except Exception as exc:  # shown to the user on the job page
            job.state = "failed"
            job.error = getattr(exc, "message", None) or str(exc)

    def _processes(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                ctx = multiprocessing.get_context("spawn")  # no copy of the server's threads and locks
                self._pool = ProcessPoolExecutor(  # workers die with the server (runner.child_init)
                    max_workers=self.workers,
                    mp_context=ctx,
                    initializer=child_init,
                    initargs=(os.getpid(), _yield_to_requests),
                )
            return self._pool

    def close(self) -> None:
        """Stop the child processes (at server shutdown)."""
        if self._pool is not None:
            stop_pool(self._pool)  # running simulations stopped too, not awaited
            self._pool = None


def _lower_this_thread() -> None:
    """Give the calling thread the simulations' lower CPU priority.

    On Linux the nice value belongs to a thread and a child process inherits its creator's, so a
    simulation process started from this thread runs at the lower priority from its first
    instruction, including the second or so it spends importing the package (an initializer would
    only lower it after that import, while it competes with requests at full priority)."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), SIM_NICENESS)


def _yield_to_requests() -> None:
    """In a simulation process: the lower priority, whichever thread started it, and on Linux the
    idle scheduling class, so a request that wakes up takes the core at once instead of waiting for
    the simulation's time slice (nice alone still left the API at 68-77 % of its idle throughput)."""
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, 0, max(SIM_NICENESS, os.getpriority(os.PRIO_PROCESS, 0)))
    with contextlib.suppress(OSError, AttributeError):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


def _simulate(
    names: list[str], county: str, replicates: int, db: Path | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One job's simulations (in a child process): the page's result and the plain summaries."""
    import inspect

    from sharemap.sim.run import compare, simulate, summarise
    from sharemap.sim.scenarios import load_scenario

    extra: dict[str, Any] = {}
    if db is not None and "db" in inspect.signature(simulate).parameters:
        extra["db"] = db  # the ledger the app serves gives the 287(g) models
    folder = Path(str(files("sharemap.sim").joinpath("scenarios")))
    runs = []
    for name in names:
        sc = load_scenario(folder / f"{name}.yaml")
        res = simulate(sc, county=county, replicates=replicates, seed=1, engine="serial", **extra)
        runs.append((name, res, summarise(res)))
    result = _result(runs, compare(runs[0][1], runs[1][1]) if len(runs) == 2 else None)
    return result, [summary for _, _, summary in runs]


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
