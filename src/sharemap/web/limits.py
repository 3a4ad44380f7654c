"""Limits the server enforces before a route runs, as plain ASGI middleware, and the error it answers.

`UploadLimit` refuses an upload that is too large before it is read: by Content-Length, or while it
streams in (chunked, no Content-Length). The route checks the exact limit on the file itself; this
middleware stops bodies larger than the limit plus a margin for the multipart framing, so an
oversized upload is never spooled to disk. `BodyTimeout` drops a client that sends its body too
slowly (slowloris on the body). `Busy` is raised by bounded pools (simulations, PDFs) when full.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from html import escape
from typing import Any

from sharemap.web.cache import ASGIApp, Message, Receive, Scope, Send

MARGIN = 64 * 1024


class TooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__("upload too large")
        self.limit = limit


class BodyTimedOut(Exception):
    """The client did not send its request body within the body_timeout_s limit."""


class Busy(Exception):
    """A bounded pool is full: answer `status` (429 or 503) with Retry-After instead of piling up."""

    def __init__(self, message: str, retry_after: float, status: int = 429, expected: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = max(1, min(3600, math.ceil(retry_after)))
        self.status = status
        self.expected = expected or f"to try again in {self.retry_after} s"


def too_large_text(limit: int) -> str:
    return f"the file is larger than the upload limit of {limit / 1024 / 1024:g} MB"


async def send_error(
    scope: Scope,
    send: Send,
    status: int,
    text: str,
    expected: str,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """An error answered from middleware (no route ran): JSON under /api/, a small HTML page elsewhere.
    The connection is closed, since the rest of the request body is left unread."""
    body: bytes
    if str(scope.get("path", "")).startswith("/api/"):
        body = json.dumps({"error": text, "expected": expected}).encode()
        ctype = b"application/json"
    else:
        body = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>Error {status} — sharemap</title>"
            '<link rel="stylesheet" href="/static/app.css"></head><body><main id="main">'
            f"<h1>Error {status}</h1>"
            f'<p class="error" role="alert">{escape(text)}</p><p><a href="/">Back</a></p></main>'
            "</body></html>"
        ).encode()
        ctype = b"text/html; charset=utf-8"
    out: list[Any] = [(b"content-type", ctype), (b"content-length", str(len(body)).encode())]
    out.append((b"connection", b"close"))
    out.extend(headers or [])
    await send({"type": "http.response.start", "status": status, "headers": out})
    await send({"type": "http.response.body", "body": body})


class _Guarded:
    """Wraps `send` so that, once the request has been refused, the app's own answer is dropped and
    ours is sent instead (the app may turn the exception raised in `receive` into a 400 of its own)."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.started = False
        self.refused = False

    async def __call__(self, message: Message) -> None:
        if self.refused:
            return
        if message["type"] == "http.response.start":
            self.started = True
        await self.send(message)


class UploadLimit:
    def __init__(self, app: ASGIApp, limit: int, paths: tuple[str, ...] = ("/audit", "/api/audit")) -> None:
        self.app = app
        self.limit = limit
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        try:
            declared = int(headers.get(b"content-length", b"-1"))
        except ValueError:
            declared = -1
        if declared > self.limit + MARGIN:
            await self._refuse(scope, send)
            return
        seen = 0
        guarded = _Guarded(send)

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit + MARGIN and not guarded.started:
                    guarded.refused = True
                    raise TooLarge(self.limit)
            return message

        try:
            await self.app(scope, counted, guarded)
        except Exception:  # whatever the app made of TooLarge, the answer is ours
            if not guarded.refused:
                raise
        if guarded.refused:
            await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        await send_error(scope, send, 413, too_large_text(self.limit), "a smaller file")


class BodyTimeout:
    """Answers 408 and closes the connection when a request body has not fully arrived `timeout`
    seconds after the request started (uvicorn has no body-read timeout of its own)."""

    def __init__(self, app: ASGIApp, timeout: float) -> None:
        self.app = app
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline = time.monotonic() + self.timeout
        complete = False
        guarded = _Guarded(send)

        async def timed() -> Message:
            nonlocal complete
            if complete:  # after the body: waiting for a disconnect is not bounded here
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                guarded.refused = not guarded.started
                raise BodyTimedOut() from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                complete = True
            return message

        try:
            await self.app(scope, timed, guarded)
        except Exception:  # whatever the app made of BodyTimedOut, the answer is ours
            if not guarded.refused:
                raise
        if guarded.refused:
            await send_error(
                scope,
                send,
                408,
                f"the request body did not arrive within {self.timeout:g} s",
                "the whole request sent without long pauses",
            )
