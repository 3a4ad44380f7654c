"""`update --from URL` and ICE feed downloads: public http(s) hosts only (every redirect re-checked),
a size cap, a stall timeout, and clean errors for addresses that name no file (issue 13, items 6-8)."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from sharemap.cli.app import app
from sharemap.errors import InputError
from sharemap.ledger import ice_feed

PUBLIC = "http://93.184.216.34"
"""A public address (an IP literal, so the check needs no DNS); the mock transport answers for it."""


def _fetcher(handler: object, **kw: object) -> tuple[ice_feed.Fetcher, list[str]]:
    seen: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return handler(request)  # type: ignore[operator]

    args: dict[str, object] = {"timeout": 2, "retries": 1, "backoff": 0.0} | kw
    return ice_feed.Fetcher(transport=httpx.MockTransport(record), **args), seen  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _public_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHAREMAP_ALLOW_PRIVATE_URLS", raising=False)


@pytest.mark.parametrize(
    ("location", "why"),
    [
        ("http://127.0.0.1:8080/admin", "loopback, private or link-local"),
        ("http://169.254.169.254/latest/meta-data/", "loopback, private or link-local"),
        ("http://10.0.0.5/list.xlsx", "loopback, private or link-local"),
        ("ftp://93.184.216.34/list.xlsx", "not an http"),
    ],
)
def test_every_redirect_target_is_checked(tmp_path: Path, location: str, why: str) -> None:
    fetcher, seen = _fetcher(lambda r: httpx.Response(302, headers={"location": location}))
    with pytest.raises(InputError, match=why):
        fetcher.get(f"{PUBLIC}/participatingAgencies05202026am.xlsx", tmp_path / "out")
    assert seen == [f"{PUBLIC}/participatingAgencies05202026am.xlsx"]  # the private host never asked


def test_a_download_over_the_limit_is_dropped_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHAREMAP_MAX_DOWNLOAD_MB", "1")

    def endless() -> Iterator[bytes]:
        for _ in range(100):
            yield b"\0" * 65536

    fetcher, _ = _fetcher(lambda r: httpx.Response(200, content=endless()))
    state = ice_feed.FeedState(tmp_path / "feed.json")
    with pytest.raises(InputError, match=r"larger than the 1 MB download limit \(SHAREMAP_MAX_DOWNLOAD_MB\)"):
        ice_feed.fetch_file(
            f"{PUBLIC}/participatingAgencies05202026am.xlsx", tmp_path / "dl", state, set(), fetcher
        )
    assert list((tmp_path / "dl").iterdir()) == []
    declared, _ = _fetcher(
        lambda r: httpx.Response(200, headers={"content-length": str(2**40)}, content=b"x")
    )
    with pytest.raises(InputError, match="download limit"):
        declared.get(f"{PUBLIC}/big.xlsx", tmp_path / "out")


class _Trickle(http.server.BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        try:
            self.wfile.write(b"P")
            self.wfile.flush()
            time.sleep(3)  # then nothing: a stalled server
        except (BrokenPipeError, ConnectionResetError):
            pass


def test_a_stalled_download_is_dropped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHAREMAP_ALLOW_PRIVATE_URLS", "1")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        fetcher = ice_feed.Fetcher(timeout=5, stall=0.3, retries=1, backoff=0)
        start = time.monotonic()
        with pytest.raises(InputError, match=r"sent nothing for 0.3 s .*SHAREMAP_DOWNLOAD_STALL_S"):
            fetcher.get(f"http://127.0.0.1:{server.server_port}/list.xlsx", tmp_path / "out")
        assert time.monotonic() - start < 2.5
    finally:
        server.shutdown()


def test_urls_that_name_no_file_or_are_not_http_get_clean_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "none.duckdb")
    for url, why in (
        (f"{PUBLIC}/lists/..", "does not name a file"),
        ("ftp://93.184.216.34/participatingAgencies.xlsx", "not an http(s) URL"),
        ("http://127.0.0.1/participatingAgencies.xlsx", "loopback"),
    ):
        (tmp_path / "none.duckdb").write_bytes(b"")  # never opened: the address is refused first
        result = runner.invoke(app, ["update", "--from", url, "--db", db])
        assert result.exit_code == 2 and why in result.output, result.output
        assert "Traceback" not in result.output


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, *args: object) -> None:
        pass


def test_a_name_that_rebinds_to_a_private_address_is_refused_after_connecting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name resolves to a public address for the check, then to loopback for the
    connection; the address actually reached is checked, so nothing is saved."""
    import socket

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    real = socket.getaddrinfo
    answers = iter(["93.184.216.34"])

    def rebinding(host: str, *args: object, **kw: object) -> list[tuple[object, ...]]:
        if host != "rebind.example":
            return real(host, *args, **kw)  # type: ignore[arg-type]
        ip = next(answers, "127.0.0.1")  # public for the first lookup, loopback after
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, server.server_port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    target = tmp_path / "out"
    try:
        with pytest.raises(InputError, match=r"rebind.example is a loopback.*127\.0\.0\.1"):
            url = f"http://rebind.example:{server.server_port}/x"
            ice_feed.Fetcher(timeout=5, retries=1).get(url, target)
    finally:
        server.shutdown()
    assert not target.exists()
