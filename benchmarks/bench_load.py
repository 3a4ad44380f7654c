"""Load test of `sharemap serve` on loopback (issue 13): what the server does under load and abuse.

It starts `sharemap serve` itself on a free 127.0.0.1 port, with SHAREMAP_HOME in a temporary folder
and a ledger database built there by `sharemap build` (or copied from `--db`; the original is never
written), then measures, each phase bounded in time and request count:

1. pages: N concurrent clients (closed loop) on county pages and JSON endpoints, first as they are
   cached, then cache-busted with an unknown query parameter (`?_bench=123`): p50 / p95 ms.
   Goals: county page p95 <= 150 ms, JSON p95 <= 50 ms, with unknown parameters too.
   Two load generators: `wrk` (compiled; Debian's `apt-get install wrk`), used when it is on PATH,
   and the Python asyncio client (httpx). The Python client spends ~2.7 ms of CPU per request, the
   server ~0.3-0.7 ms, so on a 2-core machine the Python client measures mostly itself (its own
   run-queue wait shows up as latency). `--client both` (the default when wrk is found) reports
   both, each row names its client, with the server's and the client's CPU per request and the
   mean run queue (runnable tasks, /proc/stat) during the run; `--client python` needs no wrk.
2. simulations: API throughput idle, then during M parallel `POST /api/sim/jobs` (how many accepted,
   how many refused 429, whether accepted ids can be read back), and one cross-origin post.
   Goal: a bounded queue, API throughput during the posts >= 80% of idle.
3. slow connections: S sockets that send a request header one byte per second; meanwhile a normal
   request each second must be answered within 1 s. Goal: the server keeps answering.
4. uploads: U concurrent uploads of a SYNTHETIC ~47 MB plate-reader audit log to `/api/audit`; the
   server's resident memory (its process tree, from /proc) before, at peak and after.
   Goal: peak < 1.5 GB and back near the baseline after.

The script reports what it sees; it asserts nothing (the server is being hardened while this is
written, so its answers may change). It prints a Markdown table, and JSON with `--json FILE`.

    .venv/bin/python benchmarks/bench_load.py --quick          # small counts, about a minute
    .venv/bin/python benchmarks/bench_load.py                  # the issue's figures (a few minutes)
    .venv/bin/python benchmarks/bench_load.py --db ~/.sharemap/sharemap.duckdb   # skip the build
    .venv/bin/python benchmarks/bench_load.py --client python  # the Python client only (no wrk)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench_web import COUNTIES  # the same twenty large counties as the web benchmark

HOST = "127.0.0.1"  # loopback only: the script never talks to another host
JSON_URLS = [
    "/api/map?date=2025-06-30",
    "/api/counties/48201",
    "/api/counties/12021",
    "/api/summary",
    "/api/search?q=Harris",
    "/api/trace?county=48201&event=booking",
]
API_URLS = ["/api/summary", "/api/counties/48201", "/api/counties/17031", "/api/search?q=Cook"]
MB = 1024 * 1024


@dataclass
class Plan:
    """Counts and times of one run (the full plan reproduces the issue's figures; --quick is small)."""

    clients: int = 50
    seconds: float = 10.0
    max_requests: int = 200_000  # per load phase, whatever the time
    sim_posts: int = 100
    api_clients: int = 10
    job_wait_s: float = 120.0
    slow_sockets: int = 2000
    slow_seconds: float = 20.0
    uploads: int = 16
    upload_mb: float = 47.0
    upload_timeout_s: float = 600.0
    settle_s: float = 10.0
    budget_s: float = 1200.0  # the whole run, server start included; later phases are skipped past it
    phases: tuple[str, ...] = ()  # only these (pages, simulations, slow, uploads); all when empty
    client: str = "auto"  # load generator of the pages phase: auto (both if wrk is found), wrk, python, both

    @classmethod
    def quick(cls) -> Plan:
        return cls(
            clients=10,
            seconds=2.0,
            max_requests=5_000,
            sim_posts=20,
            api_clients=4,
            job_wait_s=8.0,
            slow_sockets=100,
            slow_seconds=4.0,
            uploads=2,
            upload_mb=4.0,
            upload_timeout_s=40.0,
            settle_s=2.0,
            budget_s=90.0,
        )


@dataclass
class Row:
    phase: str
    measure: str
    seen: str
    goal: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def add(self, phase: str, measure: str, seen: Any, goal: str = "") -> None:
        self.rows.append(Row(phase, measure, str(seen), goal))

    def markdown(self) -> str:
        out = ["| phase | measure | seen | goal |", "|---|---|---|---|"]
        out += [f"| {r.phase} | {r.measure} | {r.seen} | {r.goal} |" for r in self.rows]
        return "\n".join(out)


# --- helpers ----------------------------------------------------------------------------------------


def _pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[max(0, min(len(xs) - 1, round(q * (len(xs) - 1))))]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _sharemap_cmd() -> list[str]:
    """The `sharemap` console script of this interpreter's environment."""
    beside = Path(sys.executable).with_name("sharemap")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("sharemap")
    if found:
        return [found]
    return [sys.executable, "-c", "from sharemap.cli.app import app; app()"]


def _tree_pids(pid: int) -> list[int]:
    """pid and all its descendants (audit or report workers the server may start)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            with suppress(OSError):
                todo += [int(c) for c in (task / "children").read_text().split()]
    return out


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_s(pid: int) -> float:
    """User plus system CPU seconds of one process (0 once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_split(pid: int) -> dict[str, float]:
    """CPU seconds so far of the server process, of its children (simulation workers) and of this client."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "server": _cpu_s(pid),
        "children": sum(_cpu_s(p) for p in _tree_pids(pid)[1:]),
        "client": own.ru_utime + own.ru_stime,
    }


def _cpu_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {k: round(after[k] - before[k], 2) for k in before}


def tree_rss_mb(pid: int) -> float:
    return sum(_status_kb(p, "VmRSS") for p in _tree_pids(pid)) / 1024


class _Sampler:
    """Calls `sample()` every `every` seconds in a thread while the `with` block runs."""

    every = 0.1

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.every)

    def __enter__(self) -> Any:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


class RssSampler(_Sampler):
    """Samples the resident memory of the server's process tree every 50 ms in a thread."""

    every = 0.05

    def __init__(self, pid: int) -> None:
        super().__init__()
        self.pid = pid
        self.samples: list[tuple[float, float]] = []

    def sample(self) -> None:
        self.samples.append((time.perf_counter(), tree_rss_mb(self.pid)))

    def peak(self, since: float = 0.0) -> float:
        return max((m for t, m in self.samples if t >= since), default=float("nan"))


def _bust(url: str, i: int) -> str:
    return f"{url}{'&' if '?' in url else '?'}_bench={i}"


async def closed_loop(
    client: httpx.AsyncClient, urls: list[str], clients: int, seconds: float, max_requests: int, bust: bool
) -> dict[str, Any]:
    """`clients` workers, each sending requests back to back for `seconds` (or until max_requests)."""
    lat: list[float] = []
    statuses: Counter[str] = Counter()
    stop = time.perf_counter() + seconds
    sent = 0

    async def worker(i: int) -> None:
        nonlocal sent
        j = i
        while time.perf_counter() < stop and sent < max_requests:
            sent += 1
            url = urls[j % len(urls)]
            if bust:
                url = _bust(url, sent)
            j += 1
            t0 = time.perf_counter()
            try:
                r = await client.get(url)
                await r.aread()
                statuses[str(r.status_code)] += 1
            except httpx.HTTPError as exc:
                statuses[type(exc).__name__] += 1
                continue
            lat.append((time.perf_counter() - t0) * 1000)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(clients)))
    took = time.perf_counter() - t0
    return {
        "requests": sum(statuses.values()),
        "rps": round(len(lat) / took, 1) if took else 0.0,
        "p50_ms": round(_pct(lat, 0.5), 1),
        "p95_ms": round(_pct(lat, 0.95), 1),
        "max_ms": round(max(lat), 1) if lat else None,
        "statuses": dict(statuses),
    }


def _codes(d: dict[str, Any]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(d.items()))


# --- the server -------------------------------------------------------------------------------------


@contextmanager
def running_server(home: Path, db: Path, log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`sharemap serve` on a free loopback port; stopped (TERM, then KILL) however the block ends."""
    port = _free_port()
    env = {**os.environ, "SHAREMAP_HOME": str(home), "SHAREMAP_DB": str(db)}
    cmd = [*_sharemap_cmd(), "serve", "--host", HOST, "--port", str(port), "--db", str(db), "--no-build"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://{HOST}:{port}"
    try:
        deadline = time.perf_counter() + 120
        while time.perf_counter() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited ({proc.returncode}):\n{log.read_text()[-2000:]}")
            try:
                if httpx.get(base + "/api/summary", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError("the server did not answer within 120 s")
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


# --- phases -----------------------------------------------------------------------------------------


WRK_SCRIPT = r"""
local paths = {%(paths)s}
local bust = %(bust)s
local i = 0
request = function()
  i = i + 1
  local p = paths[(i %% #paths) + 1]
  if bust then
    p = p .. (string.find(p, "?", 1, true) and "&" or "?") .. "_bench=" .. i
  end
  return wrk.format("GET", p, {["Accept-Encoding"] = "gzip, deflate"})
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK-JSON {\"requests\": %%d, \"seconds\": %%f, \"p50_ms\": %%f, \"p95_ms\": %%f, "
    .. "\"max_ms\": %%f, \"not_2xx_3xx\": %%d, \"socket_errors\": %%d}\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency.max / 1000, e.status,
    e.connect + e.read + e.write + e.timeout))
end
"""


class RunQueue(_Sampler):
    """Samples the number of runnable tasks (procs_running of /proc/stat) every 100 ms in a thread:
    above the CPU count, requests wait for a core, in the client as well as in the server."""

    def __init__(self) -> None:
        super().__init__()
        self.samples: list[int] = []

    def sample(self) -> None:
        with suppress(OSError, ValueError):
            for line in Path("/proc/stat").read_text().splitlines():
                if line.startswith("procs_running "):
                    self.samples.append(int(line.split()[1]) - 1)  # not this sampler

    def mean(self) -> float:
        return round(statistics.fmean(self.samples), 1) if self.samples else float("nan")


def wrk_path() -> str | None:
    return shutil.which("wrk")


def _run_wrk(
    wrk: str, base: str, urls: list[str], clients: int, seconds: float, bust: bool, folder: Path
) -> dict[str, Any]:
    """One closed-loop run of wrk (2 threads, `clients` connections, gzip accepted as httpx does)."""
    script = folder / f"bench-{'bust' if bust else 'cached'}.lua"
    paths = ", ".join(json.dumps(u) for u in urls)
    script.write_text(WRK_SCRIPT % {"paths": paths, "bust": "true" if bust else "false"}, encoding="utf-8")
    cmd = [wrk, "-t2", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout", "30s", "-s", str(script)]
    out = subprocess.run([*cmd, base], capture_output=True, text=True, timeout=seconds + 60, check=False)
    line = next((x for x in out.stdout.splitlines() if x.startswith("WRK-JSON ")), None)
    if line is None:
        raise OSError(f"wrk gave no figures (exit {out.returncode}): {out.stderr.strip()[-300:]}")
    got = json.loads(line.removeprefix("WRK-JSON "))
    ok = got["requests"] - got["not_2xx_3xx"]
    statuses = {"2xx/3xx": ok, "other status": got["not_2xx_3xx"], "socket errors": got["socket_errors"]}
    return {
        "requests": got["requests"],
        "rps": round(got["requests"] / got["seconds"], 1) if got["seconds"] else 0.0,
        "p50_ms": round(got["p50_ms"], 1),
        "p95_ms": round(got["p95_ms"], 1),
        "max_ms": round(got["max_ms"], 1),
        "statuses": {k: v for k, v in statuses.items() if v},
    }


def _children_cpu_s() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


async def _measured(run: Any, pid: int, client_cpu: Any) -> tuple[dict[str, Any], dict[str, float], float]:
    """A load run with the server's and the client's CPU seconds and the mean run queue during it."""
    s0, c0 = _cpu_s(pid), client_cpu()
    with RunQueue() as rq:
        res = await run()
    return res, {"server": round(_cpu_s(pid) - s0, 2), "client": round(client_cpu() - c0, 2)}, rq.mean()


def _clients(plan: Plan) -> list[str]:
    found = wrk_path() is not None
    if plan.client in ("auto", "both"):
        return ["wrk", "python"] if found else ["python"]
    if plan.client == "wrk" and not found:
        raise OSError("--client wrk: wrk is not installed (apt-get install wrk)")
    return [plan.client]


async def phase_pages(base: str, pid: int, plan: Plan, folder: Path, rep: Report) -> None:
    county_urls = [f"/county/{f}" for f in COUNTIES]
    limits = httpx.Limits(max_connections=plan.clients + 5, max_keepalive_connections=plan.clients + 5)
    clients = _clients(plan)
    if clients[0] != "wrk":
        rep.add("pages", "load generator", "Python asyncio client only (wrk not found or not chosen)")
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        t0 = time.perf_counter()
        for u in county_urls + JSON_URLS:  # warm the caches: one request per URL
            await client.get(u)
        rep.add("pages", "warm-up (one request per URL)", f"{time.perf_counter() - t0:.1f} s")
        for name, urls, goal in (("county page", county_urls, 150), ("JSON", JSON_URLS, 50)):
            for bust in (False, True):
                for who in clients:
                    await _one_pages_run(client, who, base, pid, plan, folder, rep, (name, urls, goal, bust))


async def _one_pages_run(
    client: httpx.AsyncClient,
    who: str,
    base: str,
    pid: int,
    plan: Plan,
    folder: Path,
    rep: Report,
    what: tuple[str, list[str], int, bool],
) -> None:
    name, urls, goal, bust = what
    if who == "wrk":
        wrk = wrk_path() or "wrk"

        async def run() -> dict[str, Any]:
            return await asyncio.to_thread(
                _run_wrk, wrk, base, urls, plan.clients, plan.seconds, bust, folder
            )

        res, cpu, rq = await _measured(run, pid, _children_cpu_s)
    else:

        async def run() -> dict[str, Any]:
            return await closed_loop(client, urls, plan.clients, plan.seconds, plan.max_requests, bust)

        res, cpu, rq = await _measured(run, pid, lambda: cpu_split(pid)["client"])
    n = res["requests"] or 1
    res.update(
        client=who,
        cpu_s=cpu,
        server_ms_per_request=round(1000 * cpu["server"] / n, 2),
        client_ms_per_request=round(1000 * cpu["client"] / n, 2),
        run_queue_mean=rq,
    )
    label = f"{name}, {'unknown parameter' if bust else 'cached'}, {plan.clients} clients"
    rep.data[f"{name}_{'busted' if bust else 'cached'}_{who}"] = res
    client_name = "wrk" if who == "wrk" else "Python client"
    rep.add(
        "pages",
        f"{label} ({client_name}): p50 / p95 ms",
        f"{res['p50_ms']} / {res['p95_ms']} ({res['rps']} req/s; {_codes(res['statuses'])}; CPU ms per "
        f"request server {res['server_ms_per_request']} / client {res['client_ms_per_request']}; "
        f"run queue {rq})",
        f"p95 <= {goal} ms",
    )


async def phase_sim(base: str, pid: int, plan: Plan, rep: Report) -> None:
    limits = httpx.Limits(max_connections=plan.api_clients + 5)
    origin = {"Origin": base}
    form = {"county": "53053", "scenario_a": "baseline", "scenario_b": "", "replicates": "5"}
    async with (
        httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as api,
        httpx.AsyncClient(base_url=base, limits=httpx.Limits(max_connections=None), timeout=60) as posts,
    ):
        c0 = cpu_split(pid)
        idle = await closed_loop(api, API_URLS, plan.api_clients, plan.seconds, plan.max_requests, False)
        c1 = cpu_split(pid)

        async def post(i: int) -> tuple[str, str | None]:
            try:
                r = await posts.post("/api/sim/jobs", data=form, headers=origin)
            except httpx.HTTPError as exc:
                return type(exc).__name__, None
            job_id = None
            if r.status_code in (200, 202):
                with suppress(ValueError):
                    job_id = r.json().get("id")
            return str(r.status_code), job_id

        during_task = asyncio.create_task(
            closed_loop(api, API_URLS, plan.api_clients, plan.seconds, plan.max_requests, False)
        )
        t0 = time.perf_counter()
        answers = await asyncio.gather(*(post(i) for i in range(plan.sim_posts)))
        post_s = time.perf_counter() - t0
        during = await during_task
        c2 = cpu_split(pid)
        codes = Counter(code for code, _ in answers)
        ids = [j for _, j in answers if j]
        readable: Counter[str] = Counter()
        for job_id in ids:
            r = await posts.get(f"/api/sim/jobs/{job_id}")
            readable[str(r.status_code)] += 1
        try:
            cross = await posts.post("/api/sim/jobs", data=form, headers={"Origin": "http://evil.example"})
            cross_code = str(cross.status_code)
        except httpx.HTTPError as exc:
            cross_code = type(exc).__name__
        # let the accepted runs finish (bounded), so they do not load the later phases
        t1 = time.perf_counter()
        pending = set(ids)
        while pending and time.perf_counter() - t1 < plan.job_wait_s:
            for job_id in list(pending):
                r = await posts.get(f"/api/sim/jobs/{job_id}")
                if r.status_code != 200 or r.json().get("state") in ("done", "failed"):
                    pending.discard(job_id)
            await asyncio.sleep(0.5)
    ratio = during["rps"] / idle["rps"] if idle["rps"] else float("nan")
    rep.data["sim"] = {
        "idle": idle,
        "during": during,
        "posts": dict(codes),
        "post_seconds": round(post_s, 2),
        "accepted_ids_read_back": dict(readable),
        "cross_origin_post": cross_code,
        "unfinished_after_wait": len(pending),
        "cpu_s_idle": _cpu_delta(c0, c1),
        "cpu_s_during": _cpu_delta(c1, c2),
    }
    rep.add(
        "simulations", f"{plan.sim_posts} parallel POST /api/sim/jobs", _codes(dict(codes)), "bounded: 429s"
    )
    rep.add("simulations", "accepted job ids read back", _codes(dict(readable)) or "none accepted", "all 200")
    rep.add(
        "simulations",
        f"API req/s idle -> during the posts ({plan.api_clients} clients)",
        f"{idle['rps']} -> {during['rps']} ({ratio:.0%}); p95 {idle['p95_ms']} -> {during['p95_ms']} ms",
        ">= 80%",
    )
    for label, cpu, run in (("idle", _cpu_delta(c0, c1), idle), ("during", _cpu_delta(c1, c2), during)):
        per_request = 1000 * cpu["server"] / run["requests"] if run["requests"] else float("nan")
        rep.add(
            "simulations",
            f"CPU s {label}: server / simulation children / load client",
            f"{cpu['server']} / {cpu['children']} / {cpu['client']} "
            f"(server {per_request:.1f} ms per request)",
        )
    rep.add("simulations", "cross-origin POST /api/sim/jobs", cross_code, "403")
    rep.add(
        "simulations",
        f"accepted runs unfinished after {plan.job_wait_s:g} s",
        f"{len(pending)} of {len(ids)}",
    )


PROBE = r"""
import json, socket, sys, time
host, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
out, stop = [], time.perf_counter() + seconds
while time.perf_counter() < stop:
    t0 = time.perf_counter()
    try:
        with socket.create_connection((host, port), timeout=1.0) as s:
            s.settimeout(max(0.01, 1.0 - (time.perf_counter() - t0)))
            s.sendall(b"GET /api/summary HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            got = b""
            while chunk := s.recv(65536):
                got += chunk
        ms = (time.perf_counter() - t0) * 1000
        out.append(ms if got.startswith(b"HTTP/1.1 200") and ms <= 1000 else None)
    except OSError:
        out.append(None)
    time.sleep(max(0.0, 1.0 - (time.perf_counter() - t0)))
print(json.dumps(out))
"""


def _raise_open_files(want: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        with suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return soft


def _fd_count(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


async def phase_slow(base: str, pid: int, plan: Plan, rep: Report) -> None:
    """S sockets that send a header byte a second (opened at most 500 at a time), while a separate
    process (not slowed by this client's event loop) sends a normal request each second."""
    n = max(1, min(plan.slow_sockets, _raise_open_files(plan.slow_sockets + 300) - 300))
    port = int(base.rsplit(":", 1)[1])
    stop = time.perf_counter() + plan.slow_seconds
    outcome: Counter[str] = Counter()
    connecting = asyncio.Semaphore(500)
    fds: list[int] = []

    async def slow(i: int) -> None:
        try:
            async with connecting:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout=10)
        except (OSError, TimeoutError) as exc:
            outcome[f"could not connect ({type(exc).__name__})"] += 1
            return
        try:
            writer.write(f"GET /api/summary HTTP/1.1\r\nHost: {HOST}\r\nX-Slow-{i}: ".encode())
            await writer.drain()
            while time.perf_counter() < stop:
                try:
                    data = await asyncio.wait_for(reader.read(4096), timeout=1.0)
                except TimeoutError:
                    writer.write(b"a")  # one header byte per second
                    await writer.drain()
                    continue
                outcome["answered (408/400)" if data else "closed by the server"] += 1
                return
            outcome["still open at the end"] += 1
        except (ConnectionError, OSError):
            outcome["reset by the server"] += 1
        finally:
            writer.close()

    async def watch_fds() -> None:
        while time.perf_counter() < stop:
            fds.append(_fd_count(pid))
            await asyncio.sleep(0.5)

    probe_s = max(1.0, plan.slow_seconds - min(2.0, plan.slow_seconds / 3) - 0.5)
    sockets = [asyncio.create_task(slow(i)) for i in range(n)]
    watcher = asyncio.create_task(watch_fds())
    await asyncio.sleep(min(2.0, plan.slow_seconds / 3))
    probe = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PROBE, HOST, str(port), str(probe_s), stdout=subprocess.PIPE
    )
    out, _ = await probe.communicate()
    answers: list[float | None] = json.loads(out or b"[]")
    await asyncio.gather(*sockets, watcher)
    ok = [a for a in answers if a is not None]
    rep.data["slow"] = {"sockets": n, "outcome": dict(outcome), "probe_ms": answers, "server_fds": fds}
    rep.add("slow connections", f"{n} sockets sending a header byte per second, {plan.slow_seconds:g} s",
            _codes(dict(outcome)))  # fmt: skip
    rep.add(
        "slow connections",
        "normal requests answered within 1 s meanwhile (separate process)",
        f"{len(ok)} of {len(answers)}"
        + (f" (median {statistics.median(ok):.0f} ms, max {max(ok):.0f} ms)" if ok else ""),
        "all",
    )
    rep.add("slow connections", "server's open file descriptors, most seen", max(fds, default=-1))


def _make_log(folder: Path, mb: float) -> Path:
    """A SYNTHETIC plate-reader network-audit log of about `mb` MB (benchmarks/make_audit_log.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from make_audit_log import generate

    sample = generate(folder / "sample.csv", 2000)
    per_row = sample.stat().st_size / 2000
    sample.unlink()
    return generate(folder / "network_audit.csv", max(100, int(mb * MB / per_row)))


async def phase_uploads(base: str, pid: int, plan: Plan, folder: Path, rep: Report) -> None:
    log = _make_log(folder, plan.upload_mb)
    size_mb = log.stat().st_size / MB
    cold = tree_rss_mb(pid)
    # one small audit first: its imports (DuckDB, pyarrow, the audit engine) stay loaded for good,
    # so "back near baseline" is measured against a server that has audited once
    (folder / "warm-up").mkdir(exist_ok=True)
    small = _make_log(folder / "warm-up", 0.5)
    async with httpx.AsyncClient(base_url=base, timeout=plan.upload_timeout_s) as warm:
        with small.open("rb") as fh:
            await warm.post("/api/audit", files={"file": (small.name, fh, "text/csv")})
    with RssSampler(pid) as rss:
        await asyncio.sleep(1.0)
        baseline = statistics.median(m for _, m in rss.samples) if rss.samples else tree_rss_mb(pid)
        t_start = time.perf_counter()

        async def upload(client: httpx.AsyncClient) -> tuple[str, float]:
            t0 = time.perf_counter()
            try:
                with log.open("rb") as fh:
                    r = await client.post(
                        "/api/audit",
                        files={"file": ("network_audit.csv", fh, "text/csv")},
                        headers={"Origin": base},
                    )
                return str(r.status_code), time.perf_counter() - t0
            except httpx.HTTPError as exc:
                return type(exc).__name__, time.perf_counter() - t0

        async with httpx.AsyncClient(
            base_url=base, timeout=plan.upload_timeout_s, limits=httpx.Limits(max_connections=None)
        ) as client:
            results = await asyncio.gather(*(upload(client) for _ in range(plan.uploads)))
        t_end = time.perf_counter()
        peak = rss.peak(t_start)
        await asyncio.sleep(2.0)
        after_2s = tree_rss_mb(pid)
        await asyncio.sleep(max(0.0, plan.settle_s - 2.0))
        after = tree_rss_mb(pid)
    codes = Counter(code for code, _ in results)
    times = [t for _, t in results]
    rep.data["uploads"] = {
        "file_mb": round(size_mb, 1),
        "uploads": plan.uploads,
        "statuses": dict(codes),
        "seconds": [round(t, 2) for t in times],
        "rss_cold_mb": round(cold),
        "rss_baseline_mb": round(baseline),
        "rss_peak_mb": round(peak),
        "rss_after_2s_mb": round(after_2s),
        "rss_after_settle_mb": round(after),
        "server_vmhwm_mb": round(_status_kb(pid, "VmHWM") / 1024),
    }
    rep.add(
        "uploads",
        f"{plan.uploads} concurrent {size_mb:.0f} MB uploads to /api/audit",
        f"{_codes(dict(codes))}; {statistics.median(times):.1f} s median, {max(times):.1f} s slowest "
        f"({t_end - t_start:.1f} s in all)",
    )
    rep.add(
        "uploads",
        "server RSS (process tree) before any audit / after one small audit (baseline) / peak / "
        "2 s after / settled",
        f"{cold:.0f} / {baseline:.0f} / {peak:.0f} / {after_2s:.0f} / {after:.0f} MB",
        "peak < 1536 MB, back near baseline",
    )


# --- main -------------------------------------------------------------------------------------------


def _prepare_db(home: Path, given: Path | None, rep: Report) -> Path:
    db = home / "sharemap.duckdb"
    t0 = time.perf_counter()
    if given is not None:
        shutil.copyfile(given, db)  # the benchmark never writes the user's database
        rep.add("setup", f"ledger database copied from {given}", f"{time.perf_counter() - t0:.1f} s")
    else:
        env = {**os.environ, "SHAREMAP_HOME": str(home), "SHAREMAP_DB": str(db)}
        subprocess.run([*_sharemap_cmd(), "build", "--db", str(db)], env=env, check=True, capture_output=True)
        rep.add(
            "setup", "`sharemap build` into the temporary SHAREMAP_HOME", f"{time.perf_counter() - t0:.1f} s"
        )
    return db


async def run_phases(base: str, pid: int, plan: Plan, folder: Path, rep: Report, t_begin: float) -> None:
    phases = (
        ("pages", lambda: phase_pages(base, pid, plan, folder, rep)),
        ("simulations", lambda: phase_sim(base, pid, plan, rep)),
        ("slow connections", lambda: phase_slow(base, pid, plan, rep)),
        ("uploads", lambda: phase_uploads(base, pid, plan, folder, rep)),
    )
    for name, fn in phases:
        if plan.phases and name.split()[0] not in plan.phases:
            continue
        left = plan.budget_s - (time.perf_counter() - t_begin)
        if left < 3:
            rep.add(name, "skipped", f"time budget of {plan.budget_s:g} s used up")
            continue
        try:
            await asyncio.wait_for(fn(), timeout=left)
        except TimeoutError:
            rep.add(name, "stopped", f"time budget of {plan.budget_s:g} s reached in this phase")
        except (httpx.HTTPError, OSError) as exc:
            rep.add(name, "failed", f"{type(exc).__name__}: {exc}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small counts; about a minute")
    ap.add_argument("--db", type=Path, default=None, help="copy this ledger database instead of building one")
    ap.add_argument("--clients", type=int, default=None)
    ap.add_argument("--seconds", type=float, default=None, help="length of each load run")
    ap.add_argument("--sim-posts", type=int, default=None)
    ap.add_argument("--slow-sockets", type=int, default=None)
    ap.add_argument("--uploads", type=int, default=None)
    ap.add_argument("--upload-mb", type=float, default=None)
    ap.add_argument(
        "--budget", type=float, default=None, help="seconds for the whole run (phases past it skip)"
    )
    ap.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    ap.add_argument(
        "--phases", default=None, help="comma-separated subset of: pages, simulations, slow, uploads"
    )
    ap.add_argument(
        "--client",
        choices=("auto", "wrk", "python", "both"),
        default=None,
        help="load generator of the pages phase (auto: wrk and the Python client if wrk is found)",
    )
    args = ap.parse_args()
    plan = Plan.quick() if args.quick else Plan()
    for opt, attr in (
        ("clients", "clients"),
        ("seconds", "seconds"),
        ("sim_posts", "sim_posts"),
        ("slow_sockets", "slow_sockets"),
        ("uploads", "uploads"),
        ("upload_mb", "upload_mb"),
        ("budget", "budget_s"),
        ("client", "client"),
    ):
        if getattr(args, opt) is not None:
            setattr(plan, attr, getattr(args, opt))
    if args.phases:
        plan.phases = tuple(p.strip() for p in args.phases.split(",") if p.strip())
    rep = Report()
    t_begin = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sharemap-load-") as tmp:
        home = Path(tmp)
        db = _prepare_db(home, args.db, rep)
        t_server = time.perf_counter()
        with running_server(home, db, home / "server.log") as (base, proc):
            rep.add(
                "setup",
                "server start (until /api/summary answers)",
                f"{time.perf_counter() - t_server:.1f} s",
            )
            asyncio.run(run_phases(base, proc.pid, plan, home, rep, t_begin))
            alive = proc.poll() is None
        rep.add("end", "server still running at the end", "yes" if alive else f"no (exit {proc.returncode})")
    rep.add(
        "end",
        "whole run",
        f"{time.perf_counter() - t_begin:.1f} s ({'quick' if args.quick else 'full'} plan)",
    )
    rep.data.update(
        {
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "cpus": os.cpu_count(),
            "load_avg_1min": round(os.getloadavg()[0], 1),
            "plan": plan.__dict__,
        }
    )
    print(
        f"\nsharemap load test, {rep.data['when']}, {os.cpu_count()} CPUs, load {rep.data['load_avg_1min']}\n"
    )
    print(rep.markdown())
    if args.json:
        args.json.write_text(json.dumps(rep.data, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
