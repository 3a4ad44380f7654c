"""`sharemap serve` as a real process on a free loopback port: slow and oversized requests are cut off
(header and body timeouts, header cap) while the server keeps answering. Timeouts set to 1 s."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

TIMEOUT_S = 1.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _serving(db: Path, home: Path, **env_extra: str) -> Iterator[int]:
    """`sharemap serve` on a free port with these settings, stopped however the block ends."""
    port = _free_port()
    env = {**os.environ, "SHAREMAP_HOME": str(home), **env_extra}
    exe = Path(sys.executable).with_name("sharemap")
    proc = subprocess.Popen(
        [str(exe), "serve", "--no-build", "--db", str(db), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"sharemap serve exited: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                if _get(port, "/api/dates").startswith(b"HTTP/1.1 200"):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("sharemap serve did not start")
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def server(ledger_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    timeouts = {"SHAREMAP_HEADER_TIMEOUT_S": str(TIMEOUT_S), "SHAREMAP_BODY_TIMEOUT_S": str(TIMEOUT_S)}
    with _serving(ledger_db, tmp_path_factory.mktemp("home"), **timeouts) as port:
        yield port


def _held_request(port: int) -> socket.socket:
    """A request past its headers that the server is still answering (its body never finishes)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(
        b"POST /api/audit HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n"
        b"Content-Type: multipart/form-data; boundary=abc\r\n\r\n--abc\r\n"
    )
    return s


def test_requests_beyond_max_connections_get_503_but_idle_connections_do_not_count(
    ledger_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # Issue 13: uvicorn's limit_concurrency counted every open connection, so sockets that never
    # finished their headers made normal requests 503. Now only requests being answered count.
    with _serving(ledger_db, tmp_path_factory.mktemp("home"), SHAREMAP_MAX_CONNECTIONS="3") as port:
        idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(6)]
        time.sleep(0.3)  # let the server accept them
        assert _get(port, "/api/dates").startswith(b"HTTP/1.1 200"), "idle connections counted"
        held = [_held_request(port) for _ in range(3)]
        time.sleep(0.3)
        try:
            assert _get(port, "/api/dates").startswith(b"HTTP/1.1 503")
        finally:
            for s in [*held, *idle]:
                s.close()
        time.sleep(0.5)
        assert _get(port, "/api/dates").startswith(b"HTTP/1.1 200")


def test_beyond_pending_connections_the_oldest_unfinished_headers_are_closed(
    ledger_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # 60 sockets that never finish their headers, with room for 20: the 40 oldest are closed (408),
    # the 20 newest stay, and a normal request is answered at once all the while.
    env = {"SHAREMAP_MAX_PENDING_CONNECTIONS": "20", "SHAREMAP_HEADER_TIMEOUT_S": "30"}
    with _serving(ledger_db, tmp_path_factory.mktemp("home"), **env) as port:
        slow = []
        for _ in range(60):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"GET /api/dates HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            slow.append(s)
            time.sleep(0.005)  # in this order on the server too
        began = time.monotonic()
        assert _get(port, "/api/dates").startswith(b"HTTP/1.1 200")
        assert time.monotonic() - began < 5  # generous: the test machine may be loaded
        try:
            oldest = [_closed_within(s, 5.0) for s in slow[:40]]
            newest = [_closed_within(s, 0.2)[0] for s in slow[-19:]]
        finally:
            for s in slow:
                s.close()
        assert all(closed for closed, _ in oldest), "the oldest pending connections were kept"
        assert all(got == b"" or got.startswith(b"HTTP/1.1 408") for _, got in oldest)
        assert not any(newest), "a newer pending connection was closed while older ones stayed"


def _get(port: int, path: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        out = b""
        while chunk := s.recv(65536):
            out += chunk
        return out


def _closed_within(s: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """Whether the server closed `s` within `seconds` (and what it sent before closing)."""
    s.settimeout(seconds)
    got = b""
    try:
        while chunk := s.recv(4096):
            got += chunk
        return True, got
    except TimeoutError:
        return False, got
    except ConnectionResetError:
        return True, got


def test_slow_headers_are_cut_off_and_the_server_keeps_answering(server: int) -> None:
    slow = []
    for _ in range(50):
        s = socket.create_connection(("127.0.0.1", server), timeout=5)
        s.sendall(b"GET /api/dates HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # and never finishes
        slow.append(s)
    idle = socket.create_connection(("127.0.0.1", server), timeout=5)  # sends nothing at all
    began = time.monotonic()
    assert _get(server, "/api/dates").startswith(b"HTTP/1.1 200")  # answers meanwhile
    for s in [*slow, idle]:
        closed, got = _closed_within(s, TIMEOUT_S + 3)
        assert closed, "a connection with unfinished headers was kept open"
        assert got == b"" or got.startswith(b"HTTP/1.1 408")
        s.close()
    assert time.monotonic() - began < TIMEOUT_S + 4
    assert _get(server, "/api/dates").startswith(b"HTTP/1.1 200")


def test_a_byte_at_a_time_does_not_extend_the_header_timeout(server: int) -> None:
    s = socket.create_connection(("127.0.0.1", server), timeout=5)
    began = time.monotonic()
    closed = False
    for ch in b"GET /api/dates HTTP/1.1\r\nHost: 127.0.0.1\r\n":
        try:
            s.sendall(bytes([ch]))
        except OSError:
            closed = True
            break
        time.sleep(0.1)
        if time.monotonic() - began > TIMEOUT_S + 2:
            break
    if not closed:
        closed, _ = _closed_within(s, 2)
    s.close()
    assert closed and time.monotonic() - began < TIMEOUT_S + 3


def test_slow_body_gets_408(server: int) -> None:
    s = socket.create_connection(("127.0.0.1", server), timeout=5)
    boundary = "abc"
    s.sendall(
        f"POST /api/audit HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n\r\n--{boundary}\r\n".encode()
    )
    closed, got = _closed_within(s, TIMEOUT_S + 3)
    s.close()
    assert closed and got.startswith(b"HTTP/1.1 408"), got[:200]


def test_huge_headers_get_431(server: int) -> None:
    s = socket.create_connection(("127.0.0.1", server), timeout=5)
    with contextlib.suppress(OSError):  # the server may close before all is sent
        s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Big: " + b"a" * 200_000 + b"\r\n")
    closed, got = _closed_within(s, TIMEOUT_S + 3)
    s.close()
    assert closed and (got.startswith(b"HTTP/1.1 431") or got.startswith(b"HTTP/1.1 400")), got[:100]
