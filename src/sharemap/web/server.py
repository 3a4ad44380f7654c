"""How `sharemap serve` runs the app under uvicorn, with the limits a public server needs.

uvicorn times out idle keep-alive connections but not a client that opens a connection and then
sends its request line and headers a byte at a time (slowloris): such a connection is kept for ever
and enough of them exhaust the server. `HeaderTimeoutProtocol` (uvicorn's own HTTP protocol plus a
timer) closes a connection whose headers are not complete `header_timeout_s` after it opened or
after its next request began, and answers 431 when they grow past `header_kb`. Bodies are timed by
the `BodyTimeout` middleware of the app (body_timeout_s); `max_connections` caps open connections
(uvicorn's limit_concurrency answers 503 beyond it).
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from sharemap.safety import limit, limit_bytes

PROTOCOL = "sharemap.web.server:HeaderTimeoutProtocol"


class _HeaderTimer:
    """The timer and byte count of the request headers being received on one connection."""

    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop

    def _init_header_limits(self) -> None:
        self.header_timeout = limit("header_timeout_s")
        self.header_cap = limit_bytes("header_kb")
        self.header_timer: asyncio.TimerHandle | None = None
        self.awaiting_headers = True
        self.header_bytes = 0

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
    """uvicorn's h11 protocol with the header timeout (h11 itself caps header size)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_header_limits()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.arm_header_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self.awaiting_headers = self.conn.their_state is h11.IDLE
        if self.awaiting_headers:
            self.arm_header_timer()
        else:
            self.disarm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self.disarm_header_timer()
        super().connection_lost(exc)


HeaderTimeoutProtocol: type[asyncio.Protocol]

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - httptools is optional in uvicorn
    HeaderTimeoutProtocol = H11HeaderTimeoutProtocol
else:

    class HttpToolsHeaderTimeoutProtocol(_HeaderTimer, HttpToolsProtocol):
        """uvicorn's httptools protocol with the header timeout and the header size cap."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._init_header_limits()

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self.arm_header_timer()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self.awaiting_headers = True
            self.header_bytes = 0
            self.arm_header_timer()

        def on_headers_complete(self) -> None:
            self.awaiting_headers = False
            self.disarm_header_timer()
            super().on_headers_complete()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.parser is not None and not self.transport.is_closing():
                self.count_header_bytes(len(data))

        def connection_lost(self, exc: Exception | None) -> None:
            self.disarm_header_timer()
            super().connection_lost(exc)

    HeaderTimeoutProtocol = HttpToolsHeaderTimeoutProtocol


def server_options() -> dict[str, Any]:
    """uvicorn options for `sharemap serve` (also `uvicorn.run(app, **server_options())`)."""
    return {
        "http": PROTOCOL,
        "timeout_keep_alive": max(1, min(5, int(limit("header_timeout_s")))),
        "limit_concurrency": int(limit("max_connections")),
        "h11_max_incomplete_event_size": limit_bytes("header_kb"),
        "timeout_graceful_shutdown": 10,
        "log_level": "warning",
    }
