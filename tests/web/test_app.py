"""The web app without a browser: pages, JSON API, OpenAPI, bad input, escaping, traversal, no retention."""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_paths import EUGENE, FIXTURES

from sharemap.web import create_app

PAGES = [
    "/",
    "/?date=2024-01-01",
    "/state/TX",
    "/county/48201",
    "/county/48201?compare_date=2025-01-01",
    "/agency/ok-canadian-county-sheriff-office",
    "/methodology",
    "/audit",
    "/sim",
    "/report/county/48201.html",
    "/report/nation/US.html",
]


@pytest.mark.parametrize("url", PAGES)
def test_pages_render(client: TestClient, url: str) -> None:
    r = client.get(url)
    assert r.status_code == 200, r.text[:500]
    assert "<html" in r.text


def test_home_map_matches_api(client: TestClient) -> None:
    html = client.get("/?date=2025-06-30").text
    api = client.get("/api/map", params={"date": "2025-06-30"}).json()
    coloured = re.findall(r'<path d="[^"]*" data-fips="(\d{5})" class="m-(\w+)"', html)
    assert len(coloured) == api["counties_coloured"] > 100
    assert dict(coloured) == api["counties"]
    assert html.count('data-fips="') == 3144


def test_map_changes_with_date(client: TestClient) -> None:
    early = client.get("/api/map", params={"date": "2021-06-30"}).json()
    late = client.get("/api/map", params={"date": "2026-05-31"}).json()
    assert early["list_date"] < late["list_date"]
    assert late["counties_coloured"] > early["counties_coloured"]
    before = client.get("/api/map", params={"date": "2000-01-01"}).json()
    assert before["list_date"] is None and before["counties"] == {}


def test_search_redirects(client: TestClient) -> None:
    r = client.get("/search", params={"q": "Harris County, TX"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/county/48201"
    r = client.get("/search", params={"q": "Maryland"}, follow_redirects=False)
    assert r.headers["location"] == "/state/MD"
    hits = client.get("/api/search", params={"q": "Canadian County Sheriff"}).json()["results"]
    assert any(h["url"] == "/agency/ok-canadian-county-sheriff-office" for h in hits)


def test_json_api_and_openapi(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in (
        "/api/summary",
        "/api/map",
        "/api/states/{code}",
        "/api/counties/{fips}",
        "/api/trace",
        "/api/report",
        "/api/audit",
    ):
        assert path in spec["paths"], path
    s = client.get("/api/summary").json()
    assert s["agreements_in_force"] > 1000 and s["source"]["url"].startswith("https://www.ice.gov")
    st = client.get("/api/states/TX").json()
    assert st["stance"]["stance"] in ("requires", "mixed") and st["provisions"]
    assert any(c["fips"] == "48201" for c in st["counties"])  # keyboard route from state to county
    tr = client.get("/api/trace", params={"county": "48201", "event": "booking"}).json()
    assert tr["paths"] and tr["place"]["county_fips"] == "48201"
    rep = client.get("/api/report", params={"county": "48201"}).json()
    # issue 15: a report opens with its one-page briefing, then the executive summary
    assert rep["references"] and [s["id"] for s in rep["sections"][:2]] == ["briefing", "summary"]
    assert client.get("/report/county/48201.md").text.startswith("# How local law enforcement")


def test_errors(client: TestClient) -> None:
    r = client.get("/county/99999")
    assert r.status_code == 404 and "no county" in r.text
    r = client.get("/api/counties/99999")
    assert r.status_code == 404 and "error" in r.json()
    r = client.get("/state/TX", params={"date": "yesterday"})
    assert r.status_code == 400 and "not a date" in r.text
    assert client.get("/report/planet/earth.html").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/download/..%2F..%2F..%2Fetc%2Fpasswd",
        "/download/../../etc/passwd",
        "/download/agreements.csv%00.txt",
        "/download/agreements.exe",
        "/download/nosuchtable.csv",
        "/report/county/..%2F..%2Fetc%2Fpasswd.md",
        "/static/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    ],
)
def test_downloads_reject_traversal(client: TestClient, url: str) -> None:
    r = client.get(url)
    assert r.status_code in (400, 404), url
    assert "root:" not in r.text


def test_downloads(client: TestClient) -> None:
    r = client.get("/download/agreements.csv")
    assert r.status_code == 200 and r.text.startswith("agreement_id,")
    r = client.get("/download/counties.parquet")
    assert r.status_code == 200 and r.content[:4] == b"PAR1"


def _upload(client: TestClient, name: str, data: bytes, state: str = "OR") -> object:
    return client.post("/audit", files={"file": (name, data, "text/csv")}, data={"state": state})


def test_eugene_upload(client: TestClient) -> None:
    r = _upload(client, EUGENE.name, EUGENE.read_bytes())
    assert r.status_code == 200  # type: ignore[attr-defined]
    text = r.text  # type: ignore[attr-defined]
    assert re.search(r'id="searches">4,294<', text)
    assert re.search(r'id="immigration-findings">0<', text)
    assert 'href="data:text/csv;base64,' in text and "application/vnd.apache.parquet" in text


def test_retention_days(client: TestClient) -> None:
    r = client.post(
        "/audit",
        files={"file": (EUGENE.name, EUGENE.read_bytes(), "text/csv")},
        data={"state": "OR", "retention_days": "30"},
    )
    assert r.status_code == 200 and "look-back check not run" not in r.text
    bad = client.post(
        "/audit", files={"file": ("x.csv", b"a\n", "text/csv")}, data={"retention_days": "soon"}
    )
    assert bad.status_code == 400 and "retention_days" in bad.text


def test_uploaded_text_is_escaped(client: TestClient) -> None:
    rows = ['"id","userId","searchDate","cameraCount","reason"']
    for i in range(3):
        rows.append(f'"e{i}","u{i}","2025-06-18 00:0{i}:00.000",10,"ICE <script>alert(1)</script> detainer"')
    r = _upload(client, "log.csv", ("\n".join(rows) + "\n").encode())
    assert r.status_code == 200  # type: ignore[attr-defined]
    assert "<script>alert(1)</script>" not in r.text  # type: ignore[attr-defined]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "name",
    [
        "bad_not_a_log.csv",
        "bad_empty.csv",
        "bad_truncated.csv",
        "bad_not_utf8.csv",
        "bad_wrong_delimiter.csv",
    ],
)
def test_bad_uploads_get_a_clear_error(client: TestClient, name: str) -> None:
    path = FIXTURES / "audit" / name
    r = _upload(client, name, path.read_bytes())
    assert r.status_code in (200, 400), r.text[:300]  # type: ignore[attr-defined]
    if r.status_code == 400:  # type: ignore[attr-defined]
        assert 'class="error"' in r.text and "sharemap-upload" not in r.text  # type: ignore[attr-defined]
    binary = _upload(client, "x.bin", bytes(range(256)) * 4)
    assert binary.status_code == 400  # type: ignore[attr-defined]


def test_upload_size_limit(ledger_db: Path) -> None:
    small = TestClient(create_app(ledger_db, upload_limit=1000))
    r = small.post("/audit", files={"file": ("big.csv", b"x" * 2000, "text/csv")}, data={"state": "OR"})
    assert r.status_code == 413 and "upload limit" in r.text
    r = small.post("/api/audit", files={"file": ("big.csv", b"x" * 2000, "text/csv")})
    assert r.status_code == 413 and "upload limit" in r.json()["error"]
    # far over the limit: refused by Content-Length before the body is read
    r = small.post("/audit", files={"file": ("big.csv", b"x" * 200_000, "text/csv")})
    assert r.status_code == 413 and "upload limit" in r.text and 'role="alert"' in r.text
    r = small.post("/api/audit", files={"file": ("big.csv", b"x" * 200_000, "text/csv")})
    assert r.status_code == 413 and "upload limit" in r.json()["error"]


def test_nothing_uploaded_is_kept(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    _upload(client, EUGENE.name, EUGENE.read_bytes())
    _upload(client, "bad.csv", b"a,b\n1,2\n")
    assert list(tmp_path.iterdir()) == []


def test_simulation_job(client: TestClient) -> None:
    r = client.post("/api/sim/jobs", data={"county": "12021", "scenario_a": "baseline", "replicates": "2"})
    assert r.status_code == 202
    job = r.json()
    # up to 120 s: simulation processes run in the idle scheduling class, so a busy machine slows them
    for _ in range(1200):
        job = client.get(f"/api/sim/jobs/{job['id']}").json()
        if job["state"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert job["state"] == "done", job
    assert job["synthetic"] and "SYNTHETIC" in job["result"]["chart_svg"]
    bad = client.post("/api/sim/jobs", data={"county": "12021", "scenario_a": "nope"})
    assert bad.status_code == 400
    # the finished run goes into the county's report, cited (Markdown, HTML page, JSON)
    page = client.get(f"/sim/jobs/{job['id']}").text
    assert f'href="/report/county/12021.md?sim={job["id"]}"' in page
    md = client.get("/report/county/12021.md", params={"sim": job["id"]})
    assert md.status_code == 200
    part = md.text[md.text.index("## Simulation outputs (SYNTHETIC people)") :]
    assert "not real individuals" in part and "seed 1, 2 replicates" in part
    assert f"sharemap web app simulation run {job['id']}, scenario baseline" in part  # the run's reference
    detainers = next(s for s in job["result"]["runs"][0]["summary"]["stages"] if s["stage"] == "detainers")
    assert f"{detainers['mean']:,.0f} detainers (95% interval" in part
    county = client.get("/county/12021", params={"sim": job["id"]}).text
    assert 'id="sec-simulation"' in county and f"sim={job['id']}" in county
    data = client.get("/api/report", params={"county": "12021", "sim": job["id"]}).json()
    sec = next(s for s in data["sections"] if s["id"] == "simulation")
    refs = {r["n"]: r for r in data["references"]}
    cited = [n for b in sec["blocks"] for x in b.get("sentences", b.get("items", [])) for n in x["cites"]]
    assert cited and all(n in refs for n in cited)
    assert {refs[n]["kind"] for n in cited} >= {"simrun", "sim"}
    assert "simulation" not in [s["id"] for s in client.get("/api/report?county=12021").json()["sections"]]
    other = client.get("/report/county/48201.html", params={"sim": job["id"]})
    assert other.status_code == 400 and "not Harris County, TX" in other.text
    assert client.get("/report/county/12021.md", params={"sim": "nope"}).status_code == 404


def test_spanish(client: TestClient) -> None:
    r = client.get("/", params={"lang": "es"})
    assert '<html lang="es">' in r.text and "Acuerdos 287(g) por condado" in r.text
    assert "lang=es" in r.headers.get("set-cookie", "")
    r2 = client.get("/methodology", cookies={"lang": "es"})
    assert "Metodología" in r2.text


def test_message_catalogues_cover_the_templates() -> None:
    import json
    from importlib.resources import files

    web = files("sharemap.web")
    en = json.loads(web.joinpath("messages/en.json").read_text(encoding="utf-8"))
    es = json.loads(web.joinpath("messages/es.json").read_text(encoding="utf-8"))
    assert set(en) == set(es)
    used: set[str] = set()
    for tpl in web.joinpath("templates").iterdir():
        used |= set(re.findall(r"t\('([a-z_]+)'\)", tpl.read_text(encoding="utf-8")))
    assert used and used <= set(en), used - set(en)
    assert all(es[k] for k in used if k != "spanish_note")
