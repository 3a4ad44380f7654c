"""SIGTERM (`kill`) to a running command leaves no temporary files and no child processes (issue 13).

Every CLI command runs under `runner.exit_on_sigterm` (cli.common.command), so SIGTERM becomes
SystemExit in the main process; worker pools are stopped by `runner.stop_pool`, which sends the
workers SIGTERM first so that their own `finally` blocks remove their temporary folders. Each test
runs the real `sharemap` console script with TMPDIR set to a folder of its own, waits until the
command has started workers and made temporary files, sends SIGTERM, and then checks both are gone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

SHAREMAP = Path(sys.executable).with_name("sharemap")


def _children(pid: int) -> set[int]:
    """All living descendants of `pid` (zombies count as gone)."""
    out: set[int] = set()
    todo = [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                kids = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            for k in kids:
                if _alive(k) and k not in out:
                    out.add(k)
                    todo.append(k)
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _wait_for(cond: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return False


def _run_and_term(
    args: list[str], tmp: Path, home: Path, ready: Callable[[int], bool]
) -> tuple[int, set[int]]:
    """Start `sharemap *args`, wait until `ready(pid)`, SIGTERM it; its exit code and the children
    it had when signalled."""
    env = {**os.environ, "TMPDIR": str(tmp), "SHAREMAP_HOME": str(home)}
    proc = subprocess.Popen(
        [str(SHAREMAP), *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        if not _wait_for(lambda: proc.poll() is not None or ready(proc.pid), 90):
            pytest.fail("the command never reached the state to interrupt")
        if proc.poll() is not None:
            pytest.fail(f"the command ended before it could be interrupted: {proc.stderr.read()!r}")  # type: ignore[union-attr]
        kids = _children(proc.pid)
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return code, kids


def test_sigterm_to_an_audit_removes_its_temporary_folders_and_stops_its_workers(tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from make_audit_log import generate

    log = generate(tmp_path / "network_audit.csv", 1_500_000, seed=5, threads=1)  # ~100 MB
    tmp = tmp_path / "tmp"
    tmp.mkdir()

    def working(pid: int) -> bool:  # workers started and scanning, with their temporary folders
        return len(_children(pid)) >= 2 and any(tmp.glob("sharemap-audit-*"))

    args = ["audit", str(log), "--engine", "local", "--workers", "2", "--state", "OR"]
    code, kids = _run_and_term(args, tmp, tmp_path / "home", working)
    assert code == 128 + signal.SIGTERM, code
    assert kids, "the audit had no worker processes when it was signalled"
    assert _wait_for(lambda: not any(_alive(k) for k in kids), 10), "worker processes left running"
    assert list(tmp.iterdir()) == [], f"temporary files left: {sorted(p.name for p in tmp.iterdir())}"


def test_sigterm_to_a_simulation_stops_its_worker_processes(tmp_path: Path, ledger_db: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    args = [
        "sim",
        "run",
        "--db",
        str(ledger_db),
        "--county",
        "53053",
        "--replicates",
        "400",
        "--workers",
        "2",
    ]
    code, kids = _run_and_term(args, tmp, tmp_path / "home", lambda pid: len(_children(pid)) >= 2)
    assert code == 128 + signal.SIGTERM, code
    assert kids
    assert _wait_for(lambda: not any(_alive(k) for k in kids), 10), "simulation workers left running"
    assert list(tmp.iterdir()) == []


def test_sigterm_to_serve_stops_its_simulation_workers_and_removes_uploads(
    tmp_path: Path, ledger_db: Path
) -> None:
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    base = f"http://127.0.0.1:{port}"
    tmp = tmp_path / "tmp"
    tmp.mkdir()

    def up() -> bool:
        try:
            with urllib.request.urlopen(base + "/api/dates", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    started: list[bool] = []

    def simulating(pid: int) -> bool:
        if not started:
            if not up():
                return False
            form = b"county=53053&scenario_a=baseline&scenario_b=&replicates=20"
            req = urllib.request.Request(base + "/api/sim/jobs", data=form, headers={"Origin": base})
            with urllib.request.urlopen(req, timeout=10) as r:
                started.append(r.status in (200, 202))
        return any(b"spawn_main" in _cmdline(k) for k in _children(pid))  # a simulation worker

    args = ["serve", "--no-build", "--db", str(ledger_db), "--port", str(port)]
    code, kids = _run_and_term(args, tmp, tmp_path / "home", simulating)
    assert started == [True]
    assert kids, "the server had no simulation worker when it was signalled"
    assert code in (0, 128 + signal.SIGTERM), code
    assert _wait_for(lambda: not any(_alive(k) for k in kids), 10), "simulation workers left running"
    assert not list(tmp.glob("sharemap-upload-*"))
