"""Web and report speed: county page and JSON endpoints under load on loopback; report build times.

Goals (issue 7): county page p95 <= 150 ms at 50 concurrent clients; JSON endpoints p95 <= 50 ms;
a county report in <= 2 s (PDF <= 5 s).

The app runs in its own process (uvicorn, one worker; httptools and uvloop when installed) on
127.0.0.1; the load generator is a small asyncio HTTP/1.1 keep-alive client with N concurrent
connections that each send requests back to back (closed loop) for a fixed time.
Caches are warmed first (one request per URL), so the figures are the steady state of a running
site. Run: .venv/bin/python benchmarks/bench_web.py [--seconds 10] [--clients 50] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

COUNTIES = [
    "48201", "12021", "17031", "06037", "04013", "12086", "13121", "37119", "47157", "40017",
    "24031", "51059", "53033", "36061", "12095", "48113", "32003", "08031", "41051", "45045",
]  # fmt: skip
JSON_URLS = [
    "/api/map?date=2025-06-30",
    "/api/map?date=2026-01-15",
    "/api/counties/48201",
    "/api/counties/12021",
    "/api/summary",
    "/api/search?q=Harris",
    "/api/trace?county=48201&event=booking",
]


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = max(0, min(len(xs) - 1, round(q * (len(xs) - 1))))
    return xs[k]


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> int:
    """One HTTP/1.1 keep-alive GET (gzip accepted); returns the status after reading the whole body."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\n\r\n".encode())
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    length, chunked = 0, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "transfer-encoding" and "chunked" in value:
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readline()).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.readexactly(length)
    return status


async def _load(port: int, urls: list[str], clients: int, seconds: float) -> dict[str, Any]:
    """`clients` connections, each sending requests back to back (closed loop) for `seconds`."""
    lat: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def worker(i: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        j = i
        try:
            while time.perf_counter() < stop:
                url = urls[j % len(urls)]
                j += 1
                t0 = time.perf_counter()
                status = await _get(reader, writer, url)
                lat.append((time.perf_counter() - t0) * 1000)
                if status != 200:
                    errors += 1
        finally:
            writer.close()

    await asyncio.gather(*(worker(i) for i in range(clients)))
    return {
        "requests": len(lat),
        "errors": errors,
        "rps": round(len(lat) / seconds, 1),
        "p50_ms": round(_pct(lat, 0.5), 1),
        "p95_ms": round(_pct(lat, 0.95), 1),
        "p99_ms": round(_pct(lat, 0.99), 1),
        "max_ms": round(max(lat), 1) if lat else None,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _report_times(db: Path) -> dict[str, Any]:
    from sharemap.ledger import store
    from sharemap.report import build_report, resolve, to_html, to_markdown
    from sharemap.report.pdf import pdf_available, to_pdf

    out: dict[str, Any] = {}
    day = dt.date.today()
    with store.connect(db) as con:
        # first report in a fresh process includes loading the knowledge base and the law (about 1 s)
        t0 = time.perf_counter()
        rep = build_report(con, resolve(con, county="Harris County, TX"), day)
        to_markdown(rep)
        out["county_report_md_first_s"] = round(time.perf_counter() - t0, 3)
        times = []
        for fips in COUNTIES[:10]:
            t0 = time.perf_counter()
            rep = build_report(con, resolve(con, county=fips), day)
            to_markdown(rep)
            to_html(rep)
            times.append(time.perf_counter() - t0)
        out["county_report_md_html_median_s"] = round(statistics.median(times), 3)
        out["county_report_md_html_max_s"] = round(max(times), 3)
        ok, why = pdf_available()
        if ok:
            t0 = time.perf_counter()
            to_pdf(build_report(con, resolve(con, county="Harris County, TX"), day))
            out["county_report_pdf_s"] = round(time.perf_counter() - t0, 3)
        else:
            out["county_report_pdf_s"] = f"not measured: {why}"
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--db", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--plain", action="store_true", help="uvicorn with asyncio + h11 (no uvloop/httptools)")
    args = ap.parse_args()

    from sharemap.ledger import store

    tmp = tempfile.TemporaryDirectory(prefix="sharemap-bench-")
    db = args.db
    if db is None:
        db = Path(tmp.name) / "sharemap.duckdb"
        store.build_database(store.load_shipped(), db)

    port = _free_port()
    env = {**os.environ, "SHAREMAP_DB": str(db)}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "sharemap.web.asgi:app", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning", "--no-access-log",
         *(["--loop", "asyncio", "--http", "h11"] if args.plain else [])],
        env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(base + "/api/summary", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        county_urls = [f"/county/{f}" for f in COUNTIES]
        t0 = time.perf_counter()
        for u in county_urls + JSON_URLS:
            httpx.get(base + u, timeout=60)
        warm = time.perf_counter() - t0
        results: dict[str, Any] = {
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "cpus": os.cpu_count(),
            "clients": args.clients,
            "seconds_per_run": args.seconds,
            "warm_up_s": round(warm, 2),
            "warm_up_urls": len(county_urls) + len(JSON_URLS),
            "server": "uvicorn asyncio+h11" if args.plain else "uvicorn auto (uvloop+httptools if installed)",
        }
        results["county_page"] = asyncio.run(_load(port, county_urls, args.clients, args.seconds))
        results["json_endpoints"] = asyncio.run(_load(port, JSON_URLS, args.clients, args.seconds))
    finally:
        server.terminate()
        server.wait(timeout=10)
    results["reports"] = _report_times(db)
    results["goals"] = {
        "county_page_p95_le_150ms": results["county_page"]["p95_ms"] <= 150,
        "json_p95_le_50ms": results["json_endpoints"]["p95_ms"] <= 50,
        "county_report_le_2s": results["reports"]["county_report_md_html_max_s"] <= 2,
        "pdf_le_5s": (
            results["reports"]["county_report_pdf_s"] <= 5
            if isinstance(results["reports"]["county_report_pdf_s"], float)
            else None
        ),
    }
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    tmp.cleanup()


if __name__ == "__main__":
    main()
