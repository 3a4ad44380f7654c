"""The one fan-out: run the same function over many tasks, locally in processes or on Ray.

Callers pass a top-level (picklable) function and a list of task arguments; results come back in
task order whatever the engine, so local and Ray runs of the same seeded tasks are identical.

Local worker processes die with their parent: each asks the kernel for SIGKILL when the parent dies
(prctl PR_SET_PDEATHSIG on Linux; elsewhere a thread watches the parent's pid). When the parent
stops on an exception, SystemExit or Ctrl-C, `stop_pool` stops the workers rather than leaving them
to finish: SIGTERM first, which a worker turns into SystemExit (`child_init`) so its own `finally`
blocks remove its temporary files, then SIGKILL for any still running after `STOP_GRACE_S`.
`exit_on_sigterm` turns SIGTERM into SystemExit in the main process, so that callers' `finally`
blocks remove temporary files on `kill` too; every CLI command runs under it (`cli.common.command`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from sharemap.errors import SharemapError

if TYPE_CHECKING:  # imported where a pool is made: every CLI command imports this module
    from concurrent.futures import ProcessPoolExecutor

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
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(max_workers=workers, initializer=child_init, initargs=(os.getpid(),))
        try:
            futures = [pool.submit(fn, task) for task in tasks]
            out: list[R] = []
            for fut in futures:
                out.append(fut.result())
                if on_done:
                    on_done(1)
        except BaseException:
            stop_pool(pool)
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
            import ctypes

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


STOP_GRACE_S = 5.0
"""How long a worker has, after SIGTERM, to run its `finally` blocks before it gets SIGKILL."""


def child_init(parent: int, then: Callable[[], None] | None = None) -> None:
    """Initializer of a worker process: die with `parent`, turn SIGTERM into SystemExit (so that
    `stop_pool` lets it clean up), then run `then` (a top-level function, for spawned pools)."""
    die_with_parent(parent)
    signal.signal(signal.SIGTERM, _raise_exit)
    if then is not None:
        then()


def _raise_exit(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def stop_pool(pool: ProcessPoolExecutor, grace: float = STOP_GRACE_S) -> None:
    """Stop a pool now: cancel queued tasks, SIGTERM the running workers, SIGKILL those still alive
    after `grace` seconds (shutdown alone waits for them to finish their tasks). Workers the pool
    was starting meanwhile (another thread's submit) are caught by a second look."""
    workers = getattr(pool, "_processes", None) or {}  # no public API; shutdown drops the attribute
    pool.shutdown(wait=False, cancel_futures=True)
    seen: set[int] = set()
    for _ in range(3):
        procs = [p for p in list(workers.values()) if id(p) not in seen]
        if not procs:
            return
        seen.update(id(p) for p in procs)
        for proc in procs:
            if proc.is_alive():
                with contextlib.suppress(OSError, ValueError):
                    proc.terminate()
        deadline = time.monotonic() + grace
        for proc in procs:
            with contextlib.suppress(ValueError, AssertionError):  # a process not yet started
                proc.join(timeout=max(0.0, deadline - time.monotonic()))
        for proc in procs:
            if proc.is_alive():
                proc.kill()
                with contextlib.suppress(ValueError, AssertionError):
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
