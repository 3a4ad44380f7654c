"""Refuse an upload that is too large before it is read: by Content-Length, or while it streams in.

The route checks the exact limit on the file itself; this middleware stops bodies larger than the
limit plus a margin for the multipart framing, so an oversized upload is never spooled to disk.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from sharemap.web.cache import ASGIApp, Message, Receive, Scope, Send

MARGIN = 64 * 1024


class TooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__("upload too large")
        self.limit = limit


def too_large_text(limit: int) -> str:
    return f"the file is larger than the upload limit of {limit / 1024 / 1024:g} MB"


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

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit + MARGIN:
                    raise TooLarge(self.limit)
            return message

        await self.app(scope, counted, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        text = too_large_text(self.limit)
        body: bytes
        if scope["path"].startswith("/api/"):
            body = json.dumps({"error": text, "expected": "a smaller file"}).encode()
            ctype = b"application/json"
        else:
            body = (
                '<!doctype html><html lang="en"><head><meta charset="utf-8">'
                "<title>Error 413 — sharemap</title>"
                '<link rel="stylesheet" href="/static/app.css"></head><body><main id="main">'
                "<h1>Error 413</h1>"
                f'<p class="error" role="alert">{escape(text)}</p><p><a href="/audit">Back</a></p></main>'
                "</body></html>"
            ).encode()
            ctype = b"text/html; charset=utf-8"
        headers: list[Any] = [(b"content-type", ctype), (b"content-length", str(len(body)).encode())]
        headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
