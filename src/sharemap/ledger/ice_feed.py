"""Fed from ICE itself: find the current workbooks on ICE's 287(g) page and download only what is new.

ICE's page links its participating and pending workbooks; the file names drift
(`287gParticipatingAgencies091526pm.xlsx`, `ParticipatingAgency091826am.xlsx`) and the download path
moved in 2026 (`/file-download/download/public/...`), so links are found by what they point at, not by
a fixed address. Each download is conditional (ETag / Last-Modified remembered per address in
`feed.json`), checked by SHA-256 against what the ledger holds, kept as fetched under `raw/`, bounded
in size and time, and retried with back-off on timeouts and server errors. Every address, and every
redirect target, must be http(s) on a public host (safety.check_public_url); a download streams to a
file on disk, is capped at the download_mb limit, and is dropped when the server sends nothing for
download_stall_s seconds. Nothing here writes the
database: the caller builds it (atomically) only once every file has been read, and saves the feed
state only after that, so a failure anywhere leaves both as they were.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlparse

import httpx

from sharemap import settings
from sharemap.errors import InputError
from sharemap.kb.model import ListKind
from sharemap.safety import check_public_address, check_public_url, limit, limit_bytes

RETRIES = 3
MAX_REDIRECTS = 5
USER_AGENT = "sharemap (287(g) ledger; https://github.com/)"
_LIST_FILE = re.compile(r"\.(xlsx|xls|csv)$", re.IGNORECASE)
_LIST_TEXT = re.compile(r"\b(xlsx|xls|excel|csv)\b", re.IGNORECASE)


class FeedError(InputError):
    """ICE's page or a file on it could not be fetched or understood; names the address."""


def check_url(url: str) -> str:
    """An address we may fetch: http(s), a public host, and a path that names a file."""
    file_name(url)
    check_public_url(url)
    return url


def file_name(url: str, default: str = "download") -> str:
    """The file name a URL's path ends in; a clear error for names that are no file ('..', '.')."""
    name = unquote(urlparse(url).path.rsplit("/", 1)[-1]).strip()
    if not name:
        return default
    if name in (".", "..") or any(ch in name for ch in "/\\\x00"):
        raise InputError(
            f"the URL does not name a file (its path ends in {name!r})",
            file=url,
            expected="an address ending in a file name, e.g. .../participatingAgencies05182026am.xlsx",
        )
    return name


@dataclass(frozen=True)
class WorkbookLink:
    url: str
    kind: ListKind
    text: str

    @property
    def file_name(self) -> str:
        return file_name(self.url, "download.xlsx")


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href")
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, " ".join("".join(self._text).split())))
            self._href = None


def find_workbooks(html: str, page_url: str) -> list[WorkbookLink]:
    """The links to participating and pending workbooks on ICE's page, by file name or link text."""
    parser = _Anchors()
    parser.feed(html)
    found: dict[str, WorkbookLink] = {}
    for href, text in parser.links:
        url = urljoin(page_url, href.strip())
        name = unquote(urlparse(url).path.rsplit("/", 1)[-1])
        if not _LIST_FILE.search(name) and not _LIST_TEXT.search(text):
            continue
        words = f"{name} {text}".lower()
        kind = (
            ListKind.PENDING
            if "pending" in words
            else ListKind.PARTICIPATING
            if "participat" in words
            else None
        )
        if kind is not None and url not in found:
            found[url] = WorkbookLink(url, kind, text)
    if not found:
        raise FeedError(
            "the page's layout is not understood: it links no participating or pending workbook",
            file=page_url,
            expected="links to ICE's .xlsx lists of participating and pending agencies",
        )
    return list(found.values())


@dataclass
class FeedState:
    """What is known of each address fetched: validators for conditional requests, and the checksum."""

    path: Path
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, folder: Path) -> FeedState:
        path = folder / "feed.json"
        if not path.exists():
            return cls(path)
        try:
            return cls(path, json.loads(path.read_text(encoding="utf-8"))["entries"])
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"feed state unreadable: {exc}", file=path, expected="feed.json") from exc

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps({"entries": self.entries}, indent=1, sort_keys=True), encoding="utf-8")
        tmp.replace(self.path)


@dataclass(frozen=True)
class Fetched:
    url: str
    status: str
    """'new' (downloaded, unknown content), 'same' (downloaded, content already held), 'unchanged' (304)."""
    path: Path | None
    sha256: str | None


@dataclass
class Fetcher:
    """Bounded, retried HTTP GETs that stream to disk, to public http(s) hosts only.

    `timeout` bounds connecting and waiting for an answer; `stall` drops a download that sends
    nothing for that long (each read); `max_bytes` caps the size. Redirects are followed by hand
    so that every target is checked like the first address.
    """

    timeout: float = field(default_factory=settings.http_timeout)
    retries: int = RETRIES
    backoff: float = 0.5
    max_bytes: int = field(default_factory=lambda: limit_bytes("download_mb"))
    stall: float = field(default_factory=lambda: limit("download_stall_s"))
    transport: httpx.BaseTransport | None = None

    def get(self, url: str, target: Path, headers: dict[str, str] | None = None) -> httpx.Response:
        """GET `url` into `target`; returns the response (304 leaves `target` absent)."""
        last: Exception | None = None
        for attempt in range(self.retries):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                return self._once(url, target, headers or {})
            except httpx.ReadTimeout as exc:
                last = _Stalled(
                    f"the server sent nothing for {self._read_timeout():g} s "
                    "(limit download_stall_s, SHAREMAP_DOWNLOAD_STALL_S)"
                )
                last.__cause__ = exc
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                last = exc
            except _ServerError as exc:
                last = exc
        raise FeedError(
            f"download failed after {self.retries} tries: {last}",
            file=url,
            expected="a reachable ICE address (check the network, or SHAREMAP_ICE_PAGE)",
        ) from last

    def _read_timeout(self) -> float:
        return min(self.timeout, self.stall)

    def _once(self, url: str, target: Path, headers: dict[str, str]) -> httpx.Response:
        limits = httpx.Timeout(self.timeout, read=self._read_timeout())
        with httpx.Client(timeout=limits, follow_redirects=False, transport=self.transport) as client:
            for _ in range(MAX_REDIRECTS + 1):
                check_public_url(url)
                request = client.build_request("GET", url, headers={"User-Agent": USER_AGENT, **headers})
                response = client.send(request, stream=True)
                try:
                    _check_peer(response, url)
                    if response.has_redirect_location:
                        url = str(response.url.join(response.headers["location"]))
                        continue
                    return self._save(response, url, target)
                finally:
                    response.close()
        raise FeedError(f"more than {MAX_REDIRECTS} redirects", file=url, expected="a file to download")

    def _save(self, response: httpx.Response, url: str, target: Path) -> httpx.Response:
        if response.status_code == 304:
            return response
        if response.status_code >= 500:
            raise _ServerError(f"HTTP {response.status_code}")
        if response.status_code != 200:
            raise FeedError(f"HTTP {response.status_code}", file=url, expected="HTTP 200 from ICE")
        too_big = FeedError(
            f"larger than the {self.max_bytes / 2**20:g} MB download limit (SHAREMAP_MAX_DOWNLOAD_MB)",
            file=url,
            expected="an ICE list or agreement (a few MB)",
        )
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise too_big
        deadline = time.monotonic() + self.timeout * 4
        size = 0
        with target.open("wb") as out:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise too_big
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout("the download is too slow", request=response.request)
                out.write(chunk)
        return response


def _check_peer(response: httpx.Response, url: str) -> None:
    """The address the connection reached must be public too (see safety.check_public_address)."""
    stream = response.extensions.get("network_stream")
    peer = stream.get_extra_info("server_addr") if stream is not None else None
    if peer:
        check_public_address(url, str(peer[0]))


class _Stalled(Exception):
    """A server that stopped sending (no byte within the stall limit)."""


class _ServerError(Exception):
    """A 5xx answer: worth another try."""


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def fetch_file(url: str, folder: Path, state: FeedState, known: set[str], fetcher: Fetcher) -> Fetched:
    """One conditional download into `folder` (kept as fetched, by its own name; never overwritten)."""
    entry = state.entries.get(url, {})
    headers = {}
    if entry.get("etag"):
        headers["If-None-Match"] = entry["etag"]
    if entry.get("last_modified"):
        headers["If-Modified-Since"] = entry["last_modified"]
    name = file_name(url)
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".download-", dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        response = fetcher.get(url, tmp, headers)
        if response.status_code == 304:
            return Fetched(url, "unchanged", None, entry.get("sha256"))
        digest = _sha256(tmp)
        final = folder / name
        if final.exists() and _sha256(final) != digest:
            final = folder / f"{final.stem}-{digest[:8]}{final.suffix}"
        tmp.replace(final)
        state.entries[url] = {
            "etag": response.headers.get("etag"),
            "last_modified": response.headers.get("last-modified"),
            "sha256": digest,
            "file": final.name,
            "fetched": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        return Fetched(url, "same" if digest in known else "new", final, digest)
    finally:
        tmp.unlink(missing_ok=True)


@dataclass
class FeedRun:
    page: str
    links: list[WorkbookLink]
    fetched: list[Fetched]
    state: FeedState

    @property
    def new_files(self) -> list[Path]:
        return [f.path for f in self.fetched if f.status == "new" and f.path is not None]


def fetch_lists(
    known: set[str], page_url: str | None = None, folder: Path | None = None, fetcher: Fetcher | None = None
) -> FeedRun:
    """Read ICE's page and download the workbooks it links that may be new (state saved by the caller)."""
    page_url = page_url or settings.ice_page()
    folder = folder or settings.ice_dir()
    fetcher = fetcher or Fetcher()
    state = FeedState.load(folder)
    fd, tmp_name = tempfile.mkstemp(prefix=".page-")
    os.close(fd)
    try:
        fetcher.get(page_url, Path(tmp_name))
        html = Path(tmp_name).read_text(encoding="utf-8", errors="replace")
    finally:
        Path(tmp_name).unlink(missing_ok=True)
    links = find_workbooks(html, page_url)
    fetched = [fetch_file(link.url, folder / "raw", state, known, fetcher) for link in links]
    return FeedRun(page_url, links, fetched, state)


def moa_file_name(url: str) -> str:
    return unquote(url.split("?", 1)[0].rsplit("/", 1)[-1]).strip()


def new_moa_urls(urls: Iterable[str | None], have: set[str]) -> list[str]:
    """MOA links whose PDF file name is not among those already known."""
    out: dict[str, str] = {}
    for url in urls:
        if not url or not url.lower().split("?", 1)[0].endswith(".pdf"):
            continue
        name = moa_file_name(url)
        if name not in have and name not in out:
            out[name] = url
    return sorted(out.values())
