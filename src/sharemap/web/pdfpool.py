"""PDF reports rendered in a bounded pool, so a burst of uncached PDF requests cannot pile up.

A render takes seconds of CPU. At most `pdf_workers` run at once; a request for a report already
being rendered waits for that render (no second slot); any other request while every slot is busy
gets `Busy` (the app answers 503 with Retry-After) at once instead of queueing behind the others
until every one of them times out.
"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor

from sharemap.safety import limit
from sharemap.web.limits import Busy

DEFAULT_RENDER_S = 20.0  # a guess of one render's duration, until renders have been timed


class PdfPool:
    def __init__(self, workers: int | None = None) -> None:
        self.workers = int(workers if workers is not None else limit("pdf_workers"))
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="sharemap-pdf")
        self._lock = threading.RLock()  # a done callback may run at once, in this thread
        self._inflight: dict[Hashable, Future[bytes]] = {}
        self._durations: deque[float] = deque(maxlen=20)

    @property
    def busy(self) -> int:
        return len(self._inflight)

    def retry_after(self) -> float:
        return statistics.fmean(self._durations) if self._durations else DEFAULT_RENDER_S

    def _timed(self, render: Callable[[], bytes]) -> bytes:
        began = time.monotonic()
        try:
            return render()
        finally:
            self._durations.append(time.monotonic() - began)

    def _forget(self, key: Hashable) -> None:
        with self._lock:
            self._inflight.pop(key, None)

    async def render(self, key: Hashable, render: Callable[[], bytes]) -> bytes:
        """The PDF of `key`, rendered by `render` in the pool (shared with a render of the same key
        already running); Busy when every slot renders something else."""
        with self._lock:
            fut = self._inflight.get(key)
            if fut is None:
                if len(self._inflight) >= self.workers:
                    raise Busy(
                        f"{len(self._inflight)} PDF reports are being rendered, the most at once",
                        self.retry_after(),
                        status=503,
                        expected="to try again shortly, or the HTML or Markdown report now",
                    )
                fut = self._executor.submit(self._timed, render)
                self._inflight[key] = fut
                fut.add_done_callback(lambda _f: self._forget(key))
        # shielded: a client that goes away must not cancel a render others may be waiting for
        return await asyncio.shield(asyncio.wrap_future(fut))

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
