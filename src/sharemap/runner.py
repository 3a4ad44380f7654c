"""The one fan-out: run the same function over many tasks, locally in processes or on Ray.

Callers pass a top-level (picklable) function and a list of task arguments; results come back in
task order whatever the engine, so local and Ray runs of the same seeded tasks are identical.

Local worker processes die with their parent: each asks the kernel for SIGKILL when the parent dies
(prctl PR_SET_PDEATHSIG on Linux; elsewhere a thread watches the parent's pid), and when the parent
stops on an exception, SystemExit or Ctrl-C the workers are killed rather than left to finish.
`exit_on_sigterm` turns SIGTERM into SystemExit so that callers' `finally` blocks remove temporary
files on `kill` too.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, Literal, TypeVar

from sharemap.errors import SharemapError

T = TypeVar("T")
R = TypeVar("R")

Engine = Literal["local", "serial", "ray"]


def run_tasks(
    fn: Callable[[T], R],
    tasks: Sequence[T],
    engine: Engine = "local",
    address: str | None = None,
    workers: int | None = None,
    on_done: Callable[[int], None] | None = None,
) -> list[R]:
    """Apply `fn` to every task and return the results in task order.

    engine="serial" runs in this process (for debugging and tiny inputs), "local" in a process
    pool of `workers` (default: CPU count), "ray" on a Ray cluster at `address` (None starts a
    local Ray with `workers` CPUs). `on_done(n)` is called as tasks finish, for progress bars.
    """
    if engine == "serial" or (engine == "local" and len(tasks) <= 1):
        results = []
        for task in tasks:
            results.append(fn(task))
            if on_done:
                on_done(1)
        return results
    if engine == "local":
        pool = ProcessPoolExecutor(max_workers=workers, initializer=die_with_parent, initargs=(os.getpid(),))
        try:
            futures = [pool.submit(fn, task) for task in tasks]
            out: list[R] = []
            for fut in futures:
                out.append(fut.result())
                if on_done:
                    on_done(1)
        except BaseException:
            _kill_workers(pool)
            raise
        pool.shutdown(wait=True)
        return out
    if engine == "ray":
        return _run_ray(fn, tasks, address, workers, on_done)
    raise SharemapError(f"unknown engine {engine!r}", field="engine", expected="local, serial or ray")


_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """In a worker process: be killed when `parent` dies, however it dies (even by SIGKILL)."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            _watch_parent(parent)
    else:
        _watch_parent(parent)
    if os.getppid() != parent:  # the parent died before the request above took effect
        os._exit(1)


def _watch_parent(parent: int) -> None:
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now: cancel queued tasks and kill running workers (shutdown alone waits for them)."""
    procs = list((getattr(pool, "_processes", None) or {}).values())  # no public API for the workers
    for proc in procs:
        proc.kill()
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        proc.join(timeout=2)


@contextmanager
def exit_on_sigterm() -> Iterator[None]:
    """While the block runs (in the main thread), SIGTERM raises SystemExit(143), so `finally` blocks
    and except-BaseException clean-ups run on `kill` as they do on Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_ray(
    fn: Callable[[T], R],
    tasks: Sequence[T],
    address: str | None,
    workers: int | None,
    on_done: Callable[[int], None] | None,
) -> list[R]:
    try:
        import ray
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise SharemapError(
            "the Ray engine needs the 'ray' extra", expected="pip install 'sharemap[ray]'"
        ) from exc
    started_here = not ray.is_initialized()
    if started_here:
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        if address:
            kwargs["address"] = address
        elif workers:
            kwargs["num_cpus"] = workers
        ray.init(**kwargs)
    try:
        remote_fn = ray.remote(fn)
        refs = [remote_fn.remote(task) for task in tasks]
        index = {ref: i for i, ref in enumerate(refs)}
        results: list[Any] = [None] * len(refs)
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                results[index[ref]] = ray.get(ref)
                if on_done:
                    on_done(1)
        return results
    finally:
        if started_here:
            ray.shutdown()
