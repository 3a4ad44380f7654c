"""A response cache for read-only GET routes, as plain ASGI middleware.

The ledger is opened read-only and does not change while the app runs, so a page or JSON answer
depends only on its path, its query and the language. The first answer is stored (raw and gzipped);
later requests are served from memory without entering the router. Responses that set cookies, are
not 200, come from routes that are not listed (uploads, simulation runs, downloads) or name a
simulation run (`?sim=`) are never cached. The cache is bounded (oldest entries dropped first).

The key holds only the query parameters the matched route declares (`date`, `compare_date`, `q`,
...): anything else is dropped from the key and from the request the app sees, so adding an unknown
parameter (`?x=1`, `?_=timestamp`) cannot bypass the cache and make every request a fresh render.
`format=json` / `format=csv` (a page's data) are kept on every route, and `Accept: application/json`
makes its own entry, since one handler answers a page and its data.
"""

from __future__ import annotations

import gzip
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CACHED_PREFIXES = (
    "/county/",
    "/state/",
    "/agency/",
    "/report/",
    "/methodology",
    "/api/map",
    "/api/dates",
    "/api/summary",
    "/api/counties/",
    "/api/states/",
    "/api/agencies/",
    "/api/trace",
    "/api/report",
    "/api/search",
    "/api/sharing/map",
    "/embed",
)


_FORMATS = (b"format=json", b"format=csv")  # a page's data, kept on every route (routes.common)


def _cacheable(path: str) -> bool:
    return path == "/" or path.startswith(CACHED_PREFIXES)


def _name(piece: bytes) -> str:
    return unquote_plus(piece.split(b"=", 1)[0].decode("latin-1"))


def route_query_params(scope: Scope) -> frozenset[str] | None:
    """The query parameter names the route matching `scope` declares (None: no route matches fully,
    or it is not a FastAPI route), read from the app that Starlette puts in the scope."""
    from starlette.routing import Match

    for route in getattr(scope.get("app"), "routes", ()):
        match, _ = route.matches(scope)
        if match is not Match.FULL:
            continue
        dependant = getattr(route, "dependant", None)
        if dependant is None:
            return None
        names: set[str] = set()
        stack = [dependant]
        while stack:
            d = stack.pop()
            names.update(str(getattr(f, "alias", None) or f.name) for f in d.query_params)
            stack.extend(d.dependencies)
        return frozenset(names)
    return None


class ResponseCache:
    def __init__(self, app: ASGIApp, max_entries: int = 1024, max_bytes: int = 512 * 1024 * 1024) -> None:
        self.app = app
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.size = 0
        self.store: OrderedDict[tuple[str, str, str], tuple[bytes, bytes, list[tuple[bytes, bytes]]]] = (
            OrderedDict()
        )
        self.hits = 0
        self.misses = 0
        self.known: dict[str, frozenset[str] | None] = {}  # path -> its route's query parameters

    def _known(self, scope: Scope) -> frozenset[str] | None:
        """The query parameters of the route a GET path matches, looked up once per path (the routes do
        not change while the app runs; at most 8,192 paths are remembered)."""
        path = scope["path"]
        if path in self.known:
            return self.known[path]
        names = route_query_params(scope)
        if len(self.known) >= 8192:
            self.known.clear()
        self.known[path] = names
        return names

    @staticmethod
    def _headers(scope: Scope) -> dict[bytes, bytes]:
        return {k.lower(): v for k, v in scope.get("headers", [])}

    def _key(self, scope: Scope, headers: dict[bytes, bytes]) -> tuple[str, str, str] | None:
        known = self._known(scope)
        if known is None:
            return None
        pieces = sorted(
            ((_name(p), p) for p in scope.get("query_string", b"").split(b"&") if p),
            key=lambda np: np[0],  # stable: repeated values keep their order
        )
        canonical = b"&".join(p for n, p in pieces if n in known or n == "lang" or p in _FORMATS).decode(
            "latin-1"
        )
        query = parse_qsl(canonical, keep_blank_values=True)
        if any(k == "lang" for k, _ in query):
            return None  # the response sets the language cookie
        if any(k == "sim" for k, _ in query):
            return None  # a user's simulation run (in memory, may be dropped)
        lang = "en"
        raw = headers.get(b"cookie")
        if raw:
            cookie: SimpleCookie = SimpleCookie()
            try:
                cookie.load(raw.decode("latin-1"))
            except Exception:
                return None
            if "lang" in cookie and cookie["lang"].value in ("en", "es"):
                lang = cookie["lang"].value
        if headers.get(b"accept", b"").lstrip().startswith(b"application/json"):
            lang += "+json"  # the same URL answered as data (routes.common.wants_json)
        return scope["path"], canonical, lang

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "GET" or not _cacheable(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = self._headers(scope)
        key = self._key(scope, headers)
        if key is None:
            await self.app(scope, receive, send)
            return
        gz_ok = b"gzip" in headers.get(b"accept-encoding", b"")
        hit = self.store.get(key)
        if hit is not None:
            self.hits += 1
            await self._send(send, hit, gz_ok)
            return
        self.misses += 1
        # ask the app for an uncompressed answer; compress it once here
        inner_scope = dict(scope)
        inner_scope["query_string"] = key[1].encode("latin-1")  # the app sees what the key holds
        inner_scope["headers"] = [
            (k, v) for k, v in scope.get("headers", []) if k.lower() != b"accept-encoding"
        ]
        status = 0
        resp_headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, resp_headers
            if message["type"] == "http.response.start":
                status = message["status"]
                resp_headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(inner_scope, receive, capture)
        body = b"".join(chunks)
        cacheable = status == 200 and not any(k.lower() == b"set-cookie" for k, _ in resp_headers)
        kept = [(k, v) for k, v in resp_headers if k.lower() not in (b"content-length", b"content-encoding")]
        entry = (body, gzip.compress(body, compresslevel=6) if len(body) > 1024 else b"", kept)
        if cacheable:
            self._put(key, entry)
            await self._send(send, entry, gz_ok)
        else:
            await send({"type": "http.response.start", "status": status, "headers": resp_headers})
            await send({"type": "http.response.body", "body": body})

    def _put(self, key: tuple[str, str, str], entry: tuple[bytes, bytes, list[tuple[bytes, bytes]]]) -> None:
        size = len(entry[0]) + len(entry[1])
        while self.store and (len(self.store) >= self.max_entries or self.size + size > self.max_bytes):
            _, old = self.store.popitem(last=False)
            self.size -= len(old[0]) + len(old[1])
        self.store[key] = entry
        self.size += size

    @staticmethod
    async def _send(send: Send, entry: tuple[bytes, bytes, list[tuple[bytes, bytes]]], gz_ok: bool) -> None:
        raw, gz, headers = entry
        body = gz if gz_ok and gz else raw
        out = list(headers)
        if body is gz:
            out.append((b"content-encoding", b"gzip"))
        out.append((b"vary", b"Accept-Encoding, Cookie"))
        out.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": out})
        await send({"type": "http.response.body", "body": body})
