"""How `sharemap serve` runs the app under uvicorn, with the limits a public server needs.

uvicorn times out idle keep-alive connections but not a client that opens a connection and then
sends its request line and headers a byte at a time (slowloris): such a connection is kept for ever
and enough of them exhaust the server. `HeaderTimeoutProtocol` (uvicorn's own HTTP protocol plus a
timer) closes a connection whose headers are not complete `header_timeout_s` after it opened or
after its next request began, and answers 431 when they grow past `header_kb`. Bodies are timed by
the `BodyTimeout` middleware of the app (body_timeout_s).

Two caps keep slow clients from crowding out normal ones. uvicorn's own `limit_concurrency` counts
every open connection, so 1,000 connections that never finish their headers made every other
request a 503 (issue 13: 9 of 18 normal requests answered beside 2,000 slow sockets). Here instead:
- `max_connections` counts requests past their headers that are being answered (503 beyond);
- `pending_connections` bounds connections that have not sent a complete request line and headers
  yet (new or idle keep-alive): when one more arrives, the oldest such connection of the client
  address holding the most of them is closed. A normal client sends its headers in one packet and
  leaves the pending set at once; a flood of slow sockets only evicts its own oldest sockets.
So open connections stay under pending_connections + max_connections, whatever the clients do.
"""

from __future__ import annotations

import asyncio
import resource
from collections import OrderedDict
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from sharemap.safety import limit, limit_bytes

PROTOCOL = "sharemap.web.server:HeaderTimeoutProtocol"


class PendingConnections:
    """The connections of this process that are waiting for request headers, by client address,
    oldest first; `admit` evicts beyond the cap."""

    def __init__(self) -> None:
        self.by_client: dict[str, OrderedDict[_HeaderTimer, None]] = {}
        self.count = 0
        self.evicted = 0

    def add(self, conn: _HeaderTimer) -> None:
        group = self.by_client.setdefault(conn.client_key, OrderedDict())
        if conn not in group:
            group[conn] = None
            self.count += 1

    def discard(self, conn: _HeaderTimer) -> None:
        group = self.by_client.get(conn.client_key)
        if group is not None and conn in group:
            del group[conn]
            self.count -= 1
            if not group:
                del self.by_client[conn.client_key]

    def admit(self, conn: _HeaderTimer, cap: int) -> None:
        """Count `conn` as pending; past `cap`, close the oldest pending connection of the client
        holding the most (which may be `conn` itself only if its client holds the most)."""
        self.add(conn)
        while self.count > cap:
            group = max(self.by_client.values(), key=len)
            victim = next(iter(group))
            self.discard(victim)
            self.evicted += 1
            victim.evict()


PENDING = PendingConnections()


class _HeaderTimer:
    """The timer and byte count of the request headers being received on one connection."""

    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    tasks: set[Any]
    limit_concurrency: int | None

    def _init_header_limits(self) -> None:
        self.header_timeout = limit("header_timeout_s")
        self.header_cap = limit_bytes("header_kb")
        self.max_active = int(limit("max_connections"))
        self.max_pending = int(limit("pending_connections"))
        self.header_timer: asyncio.TimerHandle | None = None
        self.awaiting_headers = True
        self.header_bytes = 0
        self.client_key = ""

    def _opened(self, transport: asyncio.Transport) -> None:
        peer = transport.get_extra_info("peername")
        self.client_key = str(peer[0]) if isinstance(peer, tuple) and peer else str(peer)
        self.arm_header_timer()
        PENDING.admit(self, self.max_pending)

    def _closed(self) -> None:
        self.disarm_header_timer()
        PENDING.discard(self)

    def _waiting(self) -> None:
        """Between requests or before the first: pending (counted, and timed once bytes arrive)."""
        self.awaiting_headers = True
        self.header_bytes = 0
        if not self.transport.is_closing():
            PENDING.add(self)

    def _headers_done(self) -> None:
        """Past the headers: no longer pending; 503 (uvicorn's answer) when too many requests run."""
        self.awaiting_headers = False
        self.disarm_header_timer()
        PENDING.discard(self)
        self.limit_concurrency = 0 if len(self.tasks) >= self.max_active else None

    def evict(self) -> None:
        """Closed to make room for a new connection (see PendingConnections)."""
        self.disarm_header_timer()
        if self.transport.is_closing():
            return
        if self.header_bytes:
            self._answer_and_close(b"408 Request Timeout", b"request headers took too long\n")
        else:
            self.transport.close()

    def arm_header_timer(self) -> None:
        if self.header_timer is None:
            self.header_timer = self.loop.call_later(self.header_timeout, self._headers_timed_out)

    def disarm_header_timer(self) -> None:
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None

    def _headers_timed_out(self) -> None:
        self.header_timer = None
        if self.awaiting_headers and not self.transport.is_closing():
            self._answer_and_close(b"408 Request Timeout", b"request headers took too long\n")

    def _answer_and_close(self, status: bytes, text: bytes) -> None:
        self.transport.write(
            b"HTTP/1.1 " + status + b"\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"content-length: " + str(len(text)).encode() + b"\r\nconnection: close\r\n\r\n" + text
        )
        self.transport.close()

    def count_header_bytes(self, n: int) -> bool:
        """Count bytes received while the headers are incomplete; False (431 sent) when over the cap."""
        if not self.awaiting_headers:
            return True
        self.header_bytes += n
        if self.header_bytes > self.header_cap:
            self.disarm_header_timer()
            self._answer_and_close(b"431 Request Header Fields Too Large", b"request headers too large\n")
            return False
        return True


class H11HeaderTimeoutProtocol(_HeaderTimer, H11Protocol):
    """uvicorn's h11 protocol with the header timeout and both caps (h11 itself caps header size)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_header_limits()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._opened(transport)

    def data_received(self, data: bytes) -> None:
        if self.awaiting_headers:  # h11 checks limit_concurrency while it handles these bytes
            self.limit_concurrency = 0 if len(self.tasks) >= self.max_active else None
        super().data_received(data)
        if self.conn.their_state is h11.IDLE:
            self.awaiting_headers = True
            self.arm_header_timer()
        elif self.awaiting_headers:
            self._headers_done()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._waiting()

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed()
        super().connection_lost(exc)


HeaderTimeoutProtocol: type[asyncio.Protocol]

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - httptools is optional in uvicorn
    HeaderTimeoutProtocol = H11HeaderTimeoutProtocol
else:

    class HttpToolsHeaderTimeoutProtocol(_HeaderTimer, HttpToolsProtocol):
        """uvicorn's httptools protocol with the header timeout, the header size cap and both caps."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._init_header_limits()

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._opened(transport)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._waiting()
            self.arm_header_timer()

        def on_headers_complete(self) -> None:
            self._headers_done()
            super().on_headers_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._waiting()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.parser is not None and not self.transport.is_closing():
                self.count_header_bytes(len(data))

        def connection_lost(self, exc: Exception | None) -> None:
            self._closed()
            super().connection_lost(exc)

    HeaderTimeoutProtocol = HttpToolsHeaderTimeoutProtocol


def raise_open_files_limit() -> int:
    """Raise this process's soft limit on open files to its hard limit (the caps above need
    pending_connections + max_connections descriptors, plus the app's own); returns the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft


def server_options() -> dict[str, Any]:
    """uvicorn options for `sharemap serve` (also `uvicorn.run(app, **server_options())`). uvicorn's
    `limit_concurrency` is left unset: the protocol applies max_connections to requests past their
    headers only (see the module docstring)."""
    return {
        "http": PROTOCOL,
        "timeout_keep_alive": max(1, min(5, int(limit("header_timeout_s")))),
        "h11_max_incomplete_event_size": limit_bytes("header_kb"),
        "backlog": max(2048, int(limit("pending_connections"))),
        "timeout_graceful_shutdown": 10,
        "log_level": "warning",
    }
