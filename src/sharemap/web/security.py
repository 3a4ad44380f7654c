"""Browser-facing defences, as plain ASGI middleware: security headers on every answer, refusal of
cross-origin state-changing requests, and error texts that neither echo input nor name server paths.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from sharemap.web.cache import ASGIApp, Message, Receive, Scope, Send

# The app serves its own scripts (/static/*.js, no inline script), its own styles plus inline style
# attributes (legend swatches, trace diagrams) and inline <style> in standalone report pages, inline
# SVG, and findings downloads as data: links (navigation, which CSP does not restrict).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class SecurityHeaders:
    """Adds the security headers to every response (pages, JSON, static files, cached and error answers),
    keeping any a route set itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                have = {k.lower() for k, _ in headers}
                headers.extend((k, v) for k, v in HEADERS if k not in have)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def _netloc(value: str, default_scheme: str) -> str | None:
    """host[:port] of an Origin, Referer or Host value, with the scheme's default port dropped."""
    parts = urlsplit(value if "//" in value else f"{default_scheme}://{value}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host:
        return None
    scheme = parts.scheme or default_scheme
    if port is None or (scheme, port) in (("http", 80), ("https", 443)):
        return host
    return f"{host}:{port}"


class SameOrigin:
    """Refuses (403) a POST/PUT/PATCH/DELETE whose Origin (or, without one, Referer) names another host
    than the request's Host: another site's page must not start simulations or uploads in a visitor's
    browser. Requests with neither header (curl, scripts) pass: they carry no browser credentials."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in UNSAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        source = headers.get(b"origin") or headers.get(b"referer")
        scheme = str(scope.get("scheme", "http"))
        if source is not None:
            host = _netloc(headers.get(b"host", ""), scheme)
            theirs = None if source.strip() == "null" else _netloc(source, scheme)
            if host is None or theirs != host:
                from sharemap.web.limits import send_error

                await send_error(
                    scope,
                    send,
                    403,
                    "cross-origin request refused: the form must be sent from this site's own pages",
                    "a request from this site (same Origin as Host)",
                )
                return
        await self.app(scope, receive, send)


# --- error texts -----------------------------------------------------------------------------------

GIVEN = "(the value given)"
_SAFE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def redact(text: str, values: Iterable[str]) -> str:
    """`text` with what the client sent removed: quoted forms always, bare forms when the value is long
    or holds anything but letters, digits, '_' and '-' (so an error never reflects raw input back)."""
    for v in sorted({v for v in values if v}, key=len, reverse=True):
        for form in (repr(v), f'"{v}"', f"'{v}'"):
            text = text.replace(form, GIVEN)
        if len(v) >= 6 or not set(v) <= _SAFE_CHARS:
            text = text.replace(v, GIVEN)
    return text


def server_roots(extra: Iterable[str | Path] = ()) -> list[tuple[str, str]]:
    """Folders of this server that must not appear in an answer, each with the neutral word shown
    instead (longest first, so the most specific one wins)."""
    import sharemap
    from sharemap.settings import home

    roots: dict[str, str] = {}
    for root, label in (
        (tempfile.gettempdir(), "(temporary folder)"),
        (str(home()), "$SHAREMAP_HOME"),
        (str(Path(sharemap.__file__).resolve().parent), "sharemap"),
        (os.getcwd(), "."),
        (os.path.expanduser("~"), "~"),
    ):
        if root and root != "/":
            roots[root.rstrip("/")] = label
    for folder in extra:
        text = str(folder).rstrip("/")
        if text and text != "/":
            roots[text] = "(server folder)"
    return sorted(roots.items(), key=lambda kv: len(kv[0]), reverse=True)


def scrub_paths(text: str, roots: list[tuple[str, str]]) -> str:
    """`text` with every server folder of `roots` replaced by its neutral word."""
    for root, label in roots:
        if root in text:
            text = text.replace(root, label)
    return text
