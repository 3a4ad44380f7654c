"""Simulation processes run at a lower CPU priority from their first instruction (issue 13)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from sharemap.web import jobs


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread nice values are a Linux behaviour")
def test_a_process_started_by_a_simulation_thread_is_niced_before_it_runs_any_python() -> None:
    seen: list[str] = []

    def start_child() -> None:
        jobs._lower_this_thread()
        out = subprocess.run(
            [sys.executable, "-S", "-c", "import os; print(os.getpriority(os.PRIO_PROCESS, 0))"],
            capture_output=True,
            text=True,
            check=True,
        )
        seen.append(out.stdout.strip())

    base = os.getpriority(os.PRIO_PROCESS, 0)
    t = threading.Thread(target=start_child)
    t.start()
    t.join(timeout=30)
    assert seen == [str(max(base, jobs.SIM_NICENESS))]
    # the server's own threads keep their priority
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == base


def _priority() -> tuple[int, int]:
    return os.getpriority(os.PRIO_PROCESS, 0), os.sched_getscheduler(0)


def test_the_simulation_workers_run_niced_in_the_idle_class() -> None:
    pool = jobs.Jobs(workers=1)
    try:
        nice, policy = pool._processes().submit(_priority).result(timeout=60)
    finally:
        pool.close()
    assert nice >= jobs.SIM_NICENESS
    if sys.platform == "linux":
        assert policy == os.SCHED_IDLE
    assert os.sched_getscheduler(0) != os.SCHED_IDLE  # the server itself keeps its class
