"""The one fan-out: run the same function over many tasks, locally in processes or on Ray.

Callers pass a top-level (picklable) function and a list of task arguments; results come back in
task order whatever the engine, so local and Ray runs of the same seeded tasks are identical.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
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
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(fn, task) for task in tasks]
            out: list[R] = []
            for fut in futures:
                out.append(fut.result())
                if on_done:
                    on_done(1)
            return out
    if engine == "ray":
        return _run_ray(fn, tasks, address, workers, on_done)
    raise SharemapError(f"unknown engine {engine!r}", field="engine", expected="local, serial or ray")


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
