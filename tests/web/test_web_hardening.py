"""Issue 13, web part: bounded simulation queue, cross-origin refusal, cache keys, PDF pool, CSV-safe
downloads, security headers, error texts without input or server paths, private uploads, 413."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_paths import EUGENE

from sharemap.web import create_app
from sharemap.web import jobs as jobs_mod
from sharemap.web import upload as upload_mod
from sharemap.web.cache import ResponseCache, route_query_params
from sharemap.web.limits import BodyTimeout, Busy
from sharemap.web.pdfpool import PdfPool
from sharemap.web.security import redact

# --- simulation jobs --------------------------------------------------------------------------------


@pytest.fixture()
def held_runs(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Simulation runs that stay running until the event is set (then finish at once, no simulation)."""
    release = threading.Event()

    def fake_run(self: jobs_mod.Jobs, job: jobs_mod.Job) -> None:
        job.state = "running"
        release.wait(30)
        job.state = "done"

    monkeypatch.setattr(jobs_mod.Jobs, "_run", fake_run)
    yield release
    release.set()


def _sim_client(app: FastAPI, host: str) -> TestClient:
    return TestClient(app, client=(host, 50000))


def test_sim_jobs_are_bounded_per_client_and_in_total(
    ledger_db: Path, monkeypatch: pytest.MonkeyPatch, held_runs: threading.Event
) -> None:
    monkeypatch.setenv("SHAREMAP_SIM_JOBS_PER_CLIENT", "2")
    monkeypatch.setenv("SHAREMAP_SIM_JOBS_TOTAL", "6")
    monkeypatch.setenv("SHAREMAP_SIM_WORKERS", "2")
    app = create_app(ledger_db)
    sim_threads_before = len([t for t in threading.enumerate() if "sim-" in t.name])
    accepted: list[str] = []
    refused: list[Any] = []
    lock = threading.Lock()

    def post(i: int) -> None:
        c = _sim_client(app, f"10.0.0.{i % 10}")
        r = c.post("/api/sim/jobs", data={"county": "12021", "replicates": "1"})
        with lock:
            (accepted.append(r.json()["id"]) if r.status_code == 202 else refused.append(r))

    posts = [threading.Thread(target=post, args=(i,)) for i in range(40)]
    for t in posts:
        t.start()
    for t in posts:
        t.join()
    assert len(accepted) == 6 and len(refused) == 34  # the total limit (10 clients x 2 would be 20)
    for r in refused:
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) >= 1
        assert "simulations" in r.json()["error"] and r.json()["retry_after"] >= 1
    # a fixed pool of workers, not a thread per run
    names = [t.name for t in threading.enumerate() if "sim-" in t.name]
    assert len(names) - sim_threads_before == 2, names
    # every accepted id answers while it exists: two running, the others queued, none 404
    c = _sim_client(app, "10.0.0.1")
    states = [c.get(f"/api/sim/jobs/{j}").json()["state"] for j in accepted]
    assert sorted(states) == ["queued"] * 4 + ["running"] * 2
    # per client: one client may queue 2
    app2 = create_app(ledger_db)
    one = _sim_client(app2, "192.0.2.7")
    codes = [one.post("/api/sim/jobs", data={"county": "12021"}).status_code for _ in range(3)]
    assert codes == [202, 202, 429]
    other = _sim_client(app2, "192.0.2.8").post("/api/sim/jobs", data={"county": "12021"})
    assert other.status_code == 202
    page = one.post("/sim", data={"county": "12021"}, follow_redirects=False)
    assert page.status_code == 429 and "retry-after" in page.headers and 'class="error"' in page.text
    held_runs.set()


def test_finished_runs_are_dropped_never_active_ones(held_runs: threading.Event) -> None:
    jobs = jobs_mod.Jobs(per_client=100, total=100, workers=1)
    ids = [jobs.start("12021", "baseline", None, 1, client="c").id for _ in range(jobs_mod.MAX_JOBS + 8)]
    assert all(jobs.get(i) is not None for i in ids)  # the old code dropped the oldest (running) ones
    held_runs.set()
    for _ in range(200):
        if not jobs.active():
            break
        threading.Event().wait(0.02)
    jobs.start("12021", "baseline", None, 1, client="c")
    assert len([j for j in jobs._jobs.values() if j.state == "done"]) <= jobs_mod.MAX_JOBS


# --- cross-origin -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "http://evil.example"},
        {"origin": "null"},
        {"referer": "http://evil.example/page"},
        {"origin": "http://testserver:8080"},
    ],
)
def test_cross_origin_posts_are_refused(client: TestClient, headers: dict[str, str]) -> None:
    form = {"county": "12021", "scenario_a": "no-such-scenario"}  # would be a 400 if let through
    r = client.post("/api/sim/jobs", data=form, headers=headers)
    assert r.status_code == 403 and "cross-origin" in r.json()["error"]
    page = client.post("/sim", data=form, headers=headers)
    assert page.status_code == 403 and 'role="alert"' in page.text
    up = client.post("/audit", files={"file": ("a.csv", b"a\n1\n")}, headers=headers)
    assert up.status_code == 403


@pytest.mark.parametrize(
    "headers", [{}, {"origin": "http://testserver"}, {"referer": "http://testserver/sim"}]
)
def test_same_origin_and_scripted_posts_pass(client: TestClient, headers: dict[str, str]) -> None:
    r = client.post("/api/sim/jobs", data={"county": "12021", "scenario_a": "nope"}, headers=headers)
    assert r.status_code == 400  # reached the route (unknown scenario)


# --- security headers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/", "/county/12021", "/api/summary", "/static/app.css", "/api/counties/99999", "/nope"]
)
def test_security_headers_on_every_answer(client: TestClient, url: str) -> None:
    for _ in range(2):  # the second answer may come from the cache
        r = client.get(url)
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "same-origin"
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]


@pytest.mark.parametrize("url", ["/", "/county/12021", "/state/TX", "/audit", "/sim", "/methodology"])
def test_pages_fit_the_csp(client: TestClient, url: str) -> None:
    """No inline script or event handler (script-src 'self' would block it); scripts are the app's."""
    import re

    html = client.get(url).text
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert re.search(r'src="/static/[a-z]+\.js"', tag), tag
    assert not re.search(r"\son[a-z]+\s*=", html)
    assert "javascript:" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html.split("<main", 1)[0])  # no CDN in the shell


# --- cache keys ---------------------------------------------------------------------------------------


def _cache_of(app: FastAPI) -> ResponseCache:
    m: Any = app.middleware_stack
    while m is not None and not isinstance(m, ResponseCache):
        m = getattr(m, "app", None)
    assert m is not None
    return m


def test_unknown_query_parameters_hit_the_cache(ledger_db: Path) -> None:
    app = create_app(ledger_db)
    c = TestClient(app)
    first = c.get("/county/12021?date=2025-06-30")
    cache = _cache_of(app)
    misses = cache.misses
    for q in ("zz=1", "_=1712345678", "utm_source=x&date=2025-06-30&cb=2", "date=2025-06-30&x=%3Cb%3E"):
        r = c.get(f"/county/12021?{q}" if "date" in q else f"/county/12021?date=2025-06-30&{q}")
        assert r.status_code == 200 and r.text == first.text
    assert cache.misses == misses  # all hits
    c.get("/county/12021?date=2025-07-01")
    assert cache.misses == misses + 1  # a known parameter still makes its own entry
    j1 = c.get("/api/map?date=2025-06-30").json()
    m2 = cache.misses
    assert c.get("/api/map?date=2025-06-30&bust=9").json() == j1 and cache.misses == m2
    assert "zz" not in c.get("/county/12021?zz=1").text  # the page never shows the unknown parameter


def test_route_query_params(app: FastAPI) -> None:
    scope = {"type": "http", "method": "GET", "path": "/county/12021", "app": app, "query_string": b""}
    assert route_query_params(scope) == {"date", "compare_date", "sim"}
    scope["path"] = "/no/such/page"
    assert route_query_params(scope) is None


# --- PDF pool -----------------------------------------------------------------------------------------


def test_pdf_pool_shares_a_render_and_refuses_when_full() -> None:
    release = threading.Event()
    calls: list[str] = []

    def render(name: str) -> bytes:
        calls.append(name)
        release.wait(10)
        return name.encode()

    async def main() -> None:
        pool = PdfPool(workers=1)
        a1 = asyncio.create_task(pool.render("a", lambda: render("a")))
        a2 = asyncio.create_task(pool.render("a", lambda: render("a")))
        await asyncio.sleep(0.05)
        with pytest.raises(Busy) as busy:
            await pool.render("b", lambda: render("b"))
        assert busy.value.status == 503 and busy.value.retry_after >= 1
        release.set()
        assert await a1 == await a2 == b"a"
        assert calls == ["a"]  # one render for both requests
        assert await pool.render("b", lambda: render("b")) == b"b"  # a slot is free again
        pool.close()

    asyncio.run(main())


def test_concurrent_uncached_pdfs_get_503_not_a_pile_up(
    ledger_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sharemap.report.pdf as pdf_mod

    monkeypatch.setenv("SHAREMAP_PDF_WORKERS", "2")
    release = threading.Event()
    started = threading.Semaphore(0)

    def slow_pdf(report: Any) -> bytes:
        started.release()
        release.wait(20)
        return b"%PDF-1.7 fake"

    monkeypatch.setattr(pdf_mod, "to_pdf", slow_pdf)
    c = TestClient(create_app(ledger_db))
    out: dict[str, Any] = {}

    def get(fips: str) -> None:
        out[fips] = c.get(f"/report/county/{fips}.pdf")

    running = [threading.Thread(target=get, args=(f,)) for f in ("12021", "48201")]
    for t in running:
        t.start()
    assert started.acquire(timeout=30) and started.acquire(timeout=30)  # both slots busy
    third = c.get("/report/county/17031.pdf")
    assert third.status_code == 503 and int(third.headers["retry-after"]) >= 1
    assert c.get("/report/county/17031.html").status_code == 200  # other formats are not held up
    release.set()
    for t in running:
        t.join(30)
    assert out["12021"].status_code == out["48201"].status_code == 200
    assert out["12021"].content == b"%PDF-1.7 fake"


# --- spreadsheet-safe downloads -----------------------------------------------------------------------


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


def test_downloads_are_spreadsheet_safe(ledger_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "ledger.duckdb"
    shutil.copyfile(ledger_db, db)
    con = duckdb.connect(str(db))
    aid = _one(con, "SELECT agency_id FROM agencies ORDER BY agency_id LIMIT 1")
    con.execute("UPDATE agencies SET name = ? WHERE agency_id = ?", ['=HYPERLINK("http://x","y")', aid])
    ag = _one(con, "SELECT agreement_id FROM agreements ORDER BY agreement_id LIMIT 1")
    con.execute("UPDATE agreements SET agency_name = ? WHERE agreement_id = ?", ["\t=1+1", ag])
    con.close()
    c = TestClient(create_app(db))
    agencies = list(csv.DictReader(io.StringIO(c.get("/download/agencies.csv").text)))
    row = next(r for r in agencies if r["agency_id"] == aid)
    assert row["name"] == '\'=HYPERLINK("http://x","y")'
    for r in agencies:
        assert not any(v[:1] in ("=", "+", "-", "@", "\t", "\r") for v in r.values() if v), r
    agreements = list(csv.DictReader(io.StringIO(c.get("/download/agreements.csv").text)))
    assert next(r for r in agreements if r["agreement_id"] == ag)["agency_name"] == "'\t=1+1"
    assert c.get("/download/agencies.parquet").content[:4] == b"PAR1"


def test_findings_csv_uses_the_shared_function() -> None:
    rows = [{k: None for k in upload_mod.COLUMNS} | {"reason": "\t=cmd|'/c calc'!A1", "user": "\r@SUM(1)"}]
    got = next(csv.DictReader(io.StringIO(upload_mod._csv(rows).decode())))
    assert got["reason"] == "'\t=cmd|'/c calc'!A1" and got["user"] == "'\r@SUM(1)"


# --- error texts --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method,url,data",
    [
        ("get", "/api/map?date=<script>alert(1)</script>", None),
        ("get", "/api/counties/<svg onload=alert(1)>", None),
        ("get", "/api/trace?county=%22%3E%3Cimg%20src%3Dx%3E", None),
        ("get", "/api/report?state=%1B[31mEVIL", None),
        ("post", "/api/sim/jobs", {"county": "12021", "scenario_a": "<img src=x onerror=alert(1)>"}),
        ("post", "/api/sim/jobs", {"county": "Nowhere County<script>", "scenario_a": "baseline"}),
    ],
)
def test_json_errors_do_not_echo_input(
    client: TestClient, method: str, url: str, data: dict[str, str] | None
) -> None:
    r = client.get(url) if method == "get" else client.post(url, data=data)
    assert 400 <= r.status_code < 500
    body = r.json()
    text = r.text
    for bad in ("<script", "<svg", "<img", "\x1b", "\\u001b", "EVIL", "Nowhere County"):
        assert bad not in text, text
    assert body["error"]


def test_redact() -> None:
    assert redact("no county '<b>x'", ["<b>x"]) == "no county (the value given)"
    got = redact("no state 'ZZ' (expected a state)", ["ZZ"])
    assert got == "no state (the value given) (expected a state)"
    assert redact("county Harris", ["Harris"]) == "county (the value given)"
    assert redact("a date", ["a"]) == "a date"  # short plain words are not hunted for in the text


def test_no_server_paths_in_audit_answers(client: TestClient) -> None:
    r = client.post("/api/audit", files={"file": (EUGENE.name, EUGENE.read_bytes(), "text/csv")})
    assert r.status_code == 200
    assert [f["file"] for f in r.json()["files"]] == [EUGENE.name]
    for root in (tempfile.gettempdir(), "sharemap-upload", str(Path.home())):
        assert root not in r.text
    bad = client.post("/api/audit", files={"file": ("x.bin", bytes(range(256)) * 4, "text/csv")})
    assert bad.status_code == 400 and tempfile.gettempdir() not in bad.text


# --- uploads ------------------------------------------------------------------------------------------


def test_uploads_are_private_and_removed(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import sharemap.audit.engine as engine

    seen: list[tuple[int, int, Path]] = []
    real = engine.run_audit

    def spy(paths: list[Path], *a: Any, **k: Any) -> Any:
        p = Path(paths[0])
        seen.append((stat.S_IMODE(p.stat().st_mode), stat.S_IMODE(p.parent.stat().st_mode), p.parent))
        if p.name == "fail.csv":
            raise RuntimeError("boom")
        return real(paths, *a, **k)

    monkeypatch.setattr(engine, "run_audit", spy)
    old = os.umask(0o022)
    try:
        r = client.post("/audit", files={"file": (EUGENE.name, EUGENE.read_bytes())}, data={"state": "OR"})
        assert r.status_code == 200
        with pytest.raises(RuntimeError):
            client.post("/api/audit", files={"file": ("fail.csv", b"a,b\n1,2\n")})
    finally:
        os.umask(old)
    assert [(f, d) for f, d, _ in seen] == [(0o600, 0o700)] * 2
    assert not any(folder.exists() for _, _, folder in seen)  # removed after success and after a crash


def test_kept_uploads_are_private_and_named_not_located(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SHAREMAP_HOME", str(tmp_path))
    r = client.post(
        "/audit", files={"file": (EUGENE.name, EUGENE.read_bytes())}, data={"state": "OR", "keep": "true"}
    )
    assert r.status_code == 200
    kept = list((tmp_path / "uploads").iterdir())
    assert len(kept) == 1 and stat.S_IMODE(kept[0].stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "uploads").stat().st_mode) == 0o700
    assert kept[0].name in r.text and str(tmp_path) not in r.text


def test_uploads_left_at_shutdown_or_by_a_dead_server_are_removed(ledger_db: Path) -> None:
    with TestClient(create_app(ledger_db)):
        up = upload_mod.PrivateUpload("x.csv")  # as if an audit were running when the server stops
        assert up.folder.is_dir()
    assert not up.folder.exists()
    dead = Path(tempfile.mkdtemp(prefix=f"{upload_mod.PREFIX}999999999-"))  # no such pid
    alive = upload_mod.PrivateUpload("y.csv")
    assert upload_mod.remove_orphans() >= 1
    assert not dead.exists() and alive.folder.exists()
    alive.remove()


def _chunked(size: int) -> Iterator[bytes]:
    yield b'--abc\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
    yield b"Content-Type: text/csv\r\n\r\n"
    for _ in range(size // 1000):
        yield b"x" * 1000
    yield b"\r\n--abc--\r\n"


@pytest.mark.parametrize("url", ["/api/audit", "/audit"])
def test_oversized_chunked_upload_gets_413(ledger_db: Path, url: str) -> None:
    c = TestClient(create_app(ledger_db, upload_limit=1000))
    r = c.post(url, content=_chunked(200_000), headers={"content-type": "multipart/form-data; boundary=abc"})
    assert r.status_code == 413 and "upload limit" in r.text
    assert r.headers["x-content-type-options"] == "nosniff"


def test_upload_limit_comes_from_safety(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(upload_mod.LEGACY_ENV, raising=False)
    monkeypatch.setenv("SHAREMAP_MAX_UPLOAD_MB", "2")
    assert upload_mod.upload_limit_bytes() == 2 * 1024 * 1024
    monkeypatch.setenv(upload_mod.LEGACY_ENV, "3")  # the older name still works
    assert upload_mod.upload_limit_bytes() == 3 * 1024 * 1024
    monkeypatch.setenv(upload_mod.LEGACY_ENV, "lots")
    from sharemap.errors import InputError

    with pytest.raises(InputError, match=upload_mod.LEGACY_ENV):
        upload_mod.upload_limit_bytes()


# --- body timeout (ASGI level; the real server is in test_server_limits.py) ---------------------------


def test_body_timeout_answers_408() -> None:
    sent: list[MutableMapping[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def main() -> None:
        parts = [{"type": "http.request", "body": b"a", "more_body": True}]

        async def receive() -> MutableMapping[str, Any]:
            if parts:
                return parts.pop()
            await asyncio.sleep(60)  # the client stops sending
            return {}

        async def send(m: MutableMapping[str, Any]) -> None:
            sent.append(m)

        scope = {"type": "http", "path": "/api/audit", "method": "POST", "headers": []}
        await asyncio.wait_for(BodyTimeout(app, 0.2)(scope, receive, send), 5)

    asyncio.run(main())
    assert sent[0]["status"] == 408 and b"did not arrive" in sent[1]["body"]


# --- the audit pool (16 concurrent 47 MB uploads once took the server to 2 GB) --------------------------


def test_audit_pool_runs_at_most_its_workers_and_refuses_beyond_its_queue() -> None:
    release = threading.Event()
    running: list[int] = []
    most = 0
    lock = threading.Lock()

    def audit(n: int) -> int:
        nonlocal most
        with lock:
            running.append(n)
            most = max(most, len(running))
        release.wait(10)
        with lock:
            running.remove(n)
        return n

    async def main() -> None:
        pool = upload_mod.AuditPool(workers=2, queue=3)
        tasks = [asyncio.create_task(pool.run(audit, i)) for i in range(5)]  # 2 run, 3 wait
        await asyncio.sleep(0.2)
        assert sorted(running) == [0, 1] and pool.admitted == 5
        with pytest.raises(Busy) as busy:
            await pool.run(audit, 99)
        assert busy.value.status == 503 and busy.value.retry_after >= 1
        release.set()
        assert await asyncio.gather(*tasks) == [0, 1, 2, 3, 4]
        assert most == 2 and pool.admitted == 0
        assert await pool.run(audit, 7) == 7  # room again
        pool.close()

    asyncio.run(main())


def test_a_waiting_audit_whose_client_left_gives_its_place_back() -> None:
    release = threading.Event()

    async def main() -> None:
        pool = upload_mod.AuditPool(workers=1, queue=1)
        first = asyncio.create_task(pool.run(release.wait, 10))
        waiting = asyncio.create_task(pool.run(release.wait, 10))
        await asyncio.sleep(0.1)
        waiting.cancel()  # the client disconnected while queued
        await asyncio.sleep(0.1)
        assert pool.admitted == 1
        release.set()
        assert await first is True
        pool.close()

    asyncio.run(main())


def test_web_audits_run_in_the_pool_with_a_memory_cap(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sharemap.audit.engine as engine

    monkeypatch.setenv("SHAREMAP_AUDIT_MEMORY_MB", "200")
    seen: list[tuple[str, int | None, str]] = []
    real = engine.run_audit

    def spy(paths: list[Path], options: Any, *a: Any, **k: Any) -> Any:
        seen.append((options.memory_limit, options.threads, threading.current_thread().name))
        return real(paths, options, *a, **k)

    monkeypatch.setattr(engine, "run_audit", spy)
    r = client.post("/api/audit", files={"file": (EUGENE.name, EUGENE.read_bytes(), "text/csv")})
    assert r.status_code == 200
    assert [(m, t) for m, t, _ in seen] == [("200MB", 1)]
    assert seen[0][2].startswith("sharemap-audit")  # the pool's thread, not the request thread pool


def test_a_full_audit_queue_answers_503_with_retry_after(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = upload_mod.AuditPool(workers=1, queue=0)
    full.admitted = 1  # one audit running, no room to wait
    monkeypatch.setattr(upload_mod, "_POOL", full)
    r = client.post("/api/audit", files={"file": (EUGENE.name, EUGENE.read_bytes(), "text/csv")})
    assert r.status_code == 503 and int(r.headers["retry-after"]) >= 1
    assert "audited or waiting" in r.json()["error"]
    full.close()


def test_trim_heap_returns_memory_on_glibc() -> None:
    import platform

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("malloc_trim is glibc's")
    assert upload_mod.trim_heap() in (True, False)  # callable; 1 when memory was released
    blob = [bytearray(64 * 1024) for _ in range(2000)]  # ~128 MB in small-enough chunks for the heap
    del blob
    assert upload_mod.trim_heap() is True
