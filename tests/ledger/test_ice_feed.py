"""`update --from ice` against a local copy of ICE's page, on loopback: new lists in, nothing else changed.

The page is a constructed stand-in with ICE's link layout (the 2026 `/file-download/download/public/`
path and a drifting file name); the workbooks are real ICE lists from tests/fixtures/ice-287g, one of
them the newest real list with Autauga County's three agreements removed (a constructed next list).
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from sharemap.errors import InputError
from sharemap.kb.model import ListKind
from sharemap.ledger import ice_feed, query, store
from sharemap.ledger.update import update

PAGE = """<html><body><h1>Delegation of Immigration Authority Section 287(g)</h1>
<p><a href="/file-download/download/public/{name}">Participating Agencies (XLSX, 280 KB)</a></p>
<p><a href="/doclib/287gMOA/some-agreement.pdf">A memorandum of agreement</a></p>
<p><a href="https://www.dhs.gov/">DHS</a></p></body></html>"""


class _Handler(http.server.SimpleHTTPRequestHandler):
    slow = 0.0

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.startswith("/slow/"):
            time.sleep(self.slow)
            try:
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"late")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up, as it should
            return
        super().do_GET()


@pytest.fixture()
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    monkeypatch.setenv("SHAREMAP_ALLOW_PRIVATE_URLS", "1")  # the stand-in for ICE's site is on loopback
    root = tmp_path / "www"
    (root / "file-download" / "download" / "public").mkdir(parents=True)
    handler = functools.partial(_Handler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", root
    finally:
        server.shutdown()


@pytest.fixture()
def db(ledger_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SHAREMAP_HOME", str(tmp_path / "home"))
    copy = tmp_path / "ledger.duckdb"
    shutil.copy(ledger_db, copy)
    return copy


def _next_list(lists_dir: Path, folder: Path, name: str) -> Path:
    wb = openpyxl.load_workbook(lists_dir / "participatingAgencies05182026am.xlsx")
    ws = wb.active
    for row in reversed([c.row for c in ws["B"] if str(c.value).startswith("Autauga County")]):
        ws.delete_rows(row)
    target = folder / "file-download" / "download" / "public" / name
    wb.save(target)
    return target


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


FAST = ice_feed.Fetcher(timeout=2, retries=2, backoff=0.01)


def test_new_list_is_added_and_a_second_run_downloads_nothing(
    site: tuple[str, Path], db: Path, lists_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, root = site
    name = "ParticipatingAgency052026am.xlsx"  # a drifting name: MMDDYY, singular
    _next_list(lists_dir, root, name)
    (root / "287g.html").write_text(PAGE.format(name=name))
    monkeypatch.setenv("SHAREMAP_ICE_PAGE", f"{base}/287g.html")
    first = update("ice", db=db, fetcher=FAST)
    assert [a["file"] for a in first.added] == [name]
    assert first.links[0]["kind"] == "participating" and first.links[0]["url"].endswith(name)
    with store.connect(db) as con:
        summary = query.national_summary(con)
    assert (summary["list_date"].isoformat(), summary["agreements_in_force"]) == ("2026-05-20", 1840)
    kept = Path(store.settings.ice_dir()) / "raw" / name
    assert kept.exists()  # the raw file is kept as fetched
    before = _digest(db)
    second = update("ice", db=db, fetcher=FAST)
    assert second.added == [] and second.unchanged == [first.links[0]["url"]]  # 304: nothing downloaded
    assert second.report is None and _digest(db) == before


@pytest.mark.parametrize("case", ["no link", "404", "timeout", "corrupt"])
def test_failures_leave_the_database_byte_identical(
    case: str, site: tuple[str, Path], db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, root = site
    public = root / "file-download" / "download" / "public"
    if case == "no link":
        (root / "287g.html").write_text("<html><body><p>The page was redesigned.</p></body></html>")
    elif case == "404":
        (root / "287g.html").write_text(PAGE.format(name="participatingAgencies12012026.xlsx"))
    elif case == "timeout":
        _Handler.slow = 3.0
        slow_page = PAGE.replace("/file-download/download/public/", "/slow/")
        (root / "287g.html").write_text(slow_page.format(name="participatingAgencies12012026.xlsx"))
    else:
        (public / "participatingAgencies12012026.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
        (root / "287g.html").write_text(PAGE.format(name="participatingAgencies12012026.xlsx"))
    monkeypatch.setenv("SHAREMAP_ICE_PAGE", f"{base}/287g.html")
    before = _digest(db)
    fetcher = ice_feed.Fetcher(timeout=0.5, retries=2, backoff=0.01)
    with pytest.raises(InputError) as err:
        update("ice", db=db, fetcher=fetcher)
    _Handler.slow = 0.0
    message = str(err.value)
    expected = {
        "no link": "layout is not understood",
        "404": "HTTP 404",
        "timeout": "download failed after 2 tries",
        "corrupt": "participatingAgencies12012026.xlsx",
    }[case]
    assert expected in message
    assert _digest(db) == before
    assert not (store.settings.ice_dir() / "feed.json").exists()  # nothing remembered either


def test_links_are_found_by_what_they_point_at() -> None:
    html = """<a href="/doclib/about/offices/ero/287g/287gParticipatingAgencies091526pm.xlsx">list</a>
    <a href="https://www.ice.gov/file-download/download/public/12345">Pending agencies (xlsx)</a>
    <a href="/doclib/287gMOA/x.pdf">MOA</a>"""
    links = ice_feed.find_workbooks(html, "https://www.ice.gov/identify-and-arrest/287g")
    assert [(x.kind, x.url) for x in links] == [
        (ListKind.PARTICIPATING, "https://www.ice.gov/doclib/about/offices/ero/287g/287gParticipatingAgencies091526pm.xlsx"),
        (ListKind.PENDING, "https://www.ice.gov/file-download/download/public/12345"),
    ]  # fmt: skip
