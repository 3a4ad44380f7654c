"""Issue 13, ledger parts: partial newest lists, hidden/merged/formula cells, zip bombs, the write lock,
clean exits, and what is read from files and URLs. Each test fails on the code before the fix."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sharemap.errors import InputError, StoreError
from sharemap.kb.model import ListKind
from sharemap.ledger import store
from sharemap.ledger.history import SnapshotMeta, find_partial
from sharemap.ledger.lists import read_list
from sharemap.ledger.update import update

STATES = ("AL", "GA")
"""The tiny ledger holds these states' rows of the newest real lists: fast to build and to update."""


def _tiny_base() -> store.BaseData:
    base = store.load_shipped()
    snaps = base.snapshots.to_pylist()
    part = sorted((s for s in snaps if s["kind"] == "participating"), key=lambda s: s["captured"])[-6:]
    pend = sorted((s for s in snaps if s["kind"] == "pending"), key=lambda s: s["captured"])[-2:]
    ids = pa.array([s["snapshot_id"] for s in part + pend])
    pending = pa.array([s["snapshot_id"] for s in pend])
    in_states = pc.and_(
        pc.is_in(base.rows["snapshot_id"], ids), pc.is_in(base.rows["state"], pa.array(STATES))
    )
    rows = base.rows.filter(pc.or_(in_states, pc.is_in(base.rows["snapshot_id"], pending)))
    counts: dict[str, int] = {}
    for sid in rows["snapshot_id"].to_pylist():
        counts[sid] = counts.get(sid, 0) + 1
    kept = base.snapshots.filter(pc.is_in(base.snapshots["snapshot_id"], ids))
    kept = kept.set_column(
        kept.schema.get_field_index("rows"),
        "rows",
        pa.array([counts.get(s, 0) for s in kept["snapshot_id"].to_pylist()], pa.int32()),
    )
    problems = base.problems.filter(pc.is_in(base.problems["snapshot_id"], ids))
    return store.BaseData(kept, rows, problems)


@pytest.fixture(scope="module")
def tiny_db_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("tiny") / "ledger.duckdb"
    store.build_database(_tiny_base(), db)
    return db


@pytest.fixture()
def tiny_db(tiny_db_master: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "db" / "ledger.duckdb"
    copy.parent.mkdir()
    copy.write_bytes(tiny_db_master.read_bytes())
    return copy


def _newest_rows(db: Path) -> list[dict[str, object]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [
            dict(zip(("state", "agency", "ice_type", "county", "model", "signed", "moa"), r, strict=True))
            for r in con.execute(
                "SELECT state_raw, agency, ice_type, county, model, signed, moa_url FROM snapshot_rows "
                "WHERE snapshot_id = (SELECT snapshot_id FROM snapshots WHERE kind = 'participating' "
                "ORDER BY captured DESC LIMIT 1) ORDER BY row"
            ).fetchall()
        ]


def _write_list(path: Path, rows: list[dict[str, object]]) -> Path:
    """An ICE list as CSV (the columns of ICE's 2026 workbooks)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "COUNTY", "SUPPORT TYPE", "SIGNED", "MOA"])
        for r in rows:
            model = str(r["model"]).replace("_", " ").title()
            out.writerow([r["state"], r["agency"], r["ice_type"], r["county"], model, r["signed"], r["moa"]])
    return path


def _in_force(db: Path) -> tuple[int, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute(
            "SELECT count(*) FILTER (WHERE status = 'active'), count(*) FILTER (WHERE status = 'ended') "
            "FROM agreements"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


# --- item 3: a partial newest list -------------------------------------------------------------------


def test_a_partial_newest_list_is_refused_and_the_database_is_unchanged(
    tiny_db: Path, tmp_path: Path
) -> None:
    rows = _newest_rows(tiny_db)
    before, figures = tiny_db.read_bytes(), _in_force(tiny_db)
    assert len(rows) > 100 and figures[0] > 100
    cut = _write_list(tmp_path / "participatingAgencies05202026am.csv", rows[:20])
    with pytest.raises(
        InputError, match=r"reads as partial \(20 rows where the 5 lists before it.*--accept-partial"
    ):
        update(str(cut), db=tiny_db)
    assert tiny_db.read_bytes() == before
    # accepted, it is kept as a partial list: it adds sightings but ends no agreement
    result = update(str(cut), db=tiny_db, accept_partial=True)
    assert result.partial and result.partial[0]["file"] == cut.name
    assert _in_force(tiny_db) == figures
    with duckdb.connect(str(tiny_db), read_only=True) as con:
        assert con.execute("SELECT partial FROM snapshots WHERE file_name = ?", [cut.name]).fetchone() == (
            True,
        )


def test_the_newest_list_reads_as_partial_by_the_rule_for_every_snapshot() -> None:
    day = 86400
    import datetime as dt

    def series(rows: list[int], kind: ListKind = ListKind.PARTICIPATING) -> list[SnapshotMeta]:
        start = dt.datetime(2026, 1, 1)
        return [
            SnapshotMeta(f"{kind.value}{i}", kind, start + dt.timedelta(seconds=i * day), n, str(i))
            for i, n in enumerate(rows)
        ]

    assert find_partial(series([2030] * 6 + [20])) == {"participating6"}
    assert find_partial(series([2030] * 6 + [20, 20])) == {"participating6", "participating7"}
    # a real drop stops reading as partial once five later lists confirm it
    assert find_partial(series([2030] * 6 + [1000] * 6)) == set()
    # pending lists hold a few dozen rows and halve from one day to the next: not partial
    assert find_partial(series([34, 30, 12, 10, 12, 2], ListKind.PENDING)) == set()


def test_a_hidden_decoy_sheet_is_ignored_unless_asked(lists_dir: Path, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(lists_dir / "participatingAgencies05182026am.xlsx")
    decoy = wb.create_sheet("Decoy", 0)
    decoy.append(["STATE", "LAW ENFORCEMENT AGENCY", "SUPPORT TYPE", "SIGNED"])
    decoy.append(["Texas", "Decoy Sheriff's Office", "Task Force Model", "2025-01-01"])
    decoy.sheet_state = "hidden"
    wb.active = 1
    target = tmp_path / "participatingAgencies05202026am.xlsx"
    wb.save(target)
    parsed = read_list(target)
    assert len(parsed.rows) == 1843 and not any(r.agency.startswith("Decoy") for r in parsed.rows)
    assert any("hidden sheet 'Decoy' ignored" in a for a in parsed.anomalies)
    assert [r.agency for r in read_list(target, include_hidden=True).rows] == ["Decoy Sheriff's Office"]


def test_merged_state_cells_are_read_in_every_row(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["STATE", "LAW ENFORCEMENT AGENCY", "SUPPORT TYPE", "SIGNED"])
    for i in range(30):
        ws.append(
            ["Texas" if i == 0 else None, f"Agency {i} Sheriff's Office", "Task Force Model", "2025-01-01"]
        )
    ws.merge_cells("A2:A31")
    target = tmp_path / "participatingAgencies05202026am.xlsx"
    wb.save(target)
    parsed = read_list(target)
    assert len(parsed.rows) == 30 and {r.state for r in parsed.rows} == {"TX"} and not parsed.problems
    assert any("29 cells of merged ranges" in a for a in parsed.anomalies)


def _bomb(path: Path, sheet_padding: int) -> Path:
    """A valid small workbook whose sheet XML is padded with spaces (compresses about 1000 to 1)."""
    wb = openpyxl.Workbook()
    wb.active.append(["STATE", "LAW ENFORCEMENT AGENCY", "SUPPORT TYPE"])
    wb.active.append(["Texas", "A Sheriff's Office", "Task Force Model"])
    buf = io.BytesIO()
    wb.save(buf)
    with (
        zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * sheet_padding)
            out.writestr(info.filename, data)
    return path


def test_a_zip_bomb_is_refused_from_the_zip_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = _bomb(tmp_path / "participatingAgencies05202026am.xlsx", 8 * 2**20)
    assert bomb.stat().st_size < 100_000
    with pytest.raises(InputError, match=r"unzips to .* times its size, over the 200x limit"):
        read_list(bomb)
    monkeypatch.setenv("SHAREMAP_MAX_ZIP_RATIO", "100000")
    monkeypatch.setenv("SHAREMAP_MAX_UNZIPPED_MB", "4")
    with pytest.raises(InputError, match=r"unzips to 8 MB, over the 4 MB limit"):
        read_list(bomb)


def test_a_zip_directory_that_lies_about_sizes_is_refused(tmp_path: Path) -> None:
    bomb = _bomb(tmp_path / "participatingAgencies05202026am.xlsx", 4 * 2**20)
    data = bytearray(bomb.read_bytes())
    with zipfile.ZipFile(bomb) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    # declare 2,000 bytes unzipped, in the local header and in the central directory
    data[info.header_offset + 22 : info.header_offset + 26] = (2000).to_bytes(4, "little")
    central = data.find(b"PK\x01\x02")
    while central != -1:
        name_len = int.from_bytes(data[central + 28 : central + 30], "little")
        if data[central + 46 : central + 46 + name_len] == b"xl/worksheets/sheet1.xml":
            data[central + 24 : central + 28] = (2000).to_bytes(4, "little")
        central = data.find(b"PK\x01\x02", central + 4)
    bomb.write_bytes(bytes(data))
    with pytest.raises(InputError, match="corrupt or unreadable workbook"):
        read_list(bomb)


# --- item 4: formulas without values -------------------------------------------------------------------


def test_formula_cells_without_values_are_reported_never_read_as_empty(tiny_db: Path, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "List"
    ws.append(["STATE", "LAW ENFORCEMENT AGENCY", "SUPPORT TYPE", "SIGNED", "MOA"])
    ws.append(["Texas", "A Sheriff's Office", "Task Force Model", "=DATE(2025,1,5)", "=B2"])
    ws.append(["Texas", "B Sheriff's Office", "Task Force Model", "2025-01-06", "=B3"])
    target = tmp_path / "participatingAgencies05202026am.xlsx"
    wb.save(target)  # openpyxl saves formulas without their values, as many tools do
    parsed = read_list(target)
    assert [r.agency for r in parsed.rows] == ["B Sheriff's Office"] and parsed.formula_cells == 3
    signed = [p for p in parsed.problems if p.field == "SIGNED"]
    assert signed[0].row == 2 and signed[0].value == "=DATE(2025,1,5)"
    assert "sheet 'List', cell D2" in signed[0].problem and "row skipped" in signed[0].problem
    assert any(p.field == "MOA" and p.row == 3 and "cell E3" in p.problem for p in parsed.problems)
    before = tiny_db.read_bytes()
    with pytest.raises(InputError, match="3 formula cells have no saved value"):
        update(str(target), db=tiny_db)
    assert tiny_db.read_bytes() == before


# --- item 5: the write lock ------------------------------------------------------------------------------

_COUNTER = """
import sys, time
from pathlib import Path
from sharemap.ledger import store
db, counter = Path(sys.argv[1]), Path(sys.argv[2])
for _ in range(15):
    with store.write_lock(db):
        value = int(counter.read_text())
        time.sleep(0.005)
        counter.write_text(str(value + 1))
"""


def test_the_write_lock_serialises_two_processes(tmp_path: Path) -> None:
    counter = tmp_path / "counter"
    counter.write_text("0")
    args = [sys.executable, "-c", _COUNTER, str(tmp_path / "ledger.duckdb"), str(counter)]
    procs = [subprocess.Popen(args) for _ in range(2)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    assert counter.read_text() == "30"  # without the lock, read-modify-write loses increments


_HOLD = """
import sys, time
from pathlib import Path
from sharemap.ledger import store
with store.write_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(30)
"""


def test_an_update_waits_then_names_the_lock_holder(
    tiny_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(tiny_db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        monkeypatch.setenv("SHAREMAP_DB_LOCK_WAIT_S", "0.3")
        new = _write_list(tmp_path / "participatingAgencies05202026am.csv", _newest_rows(tiny_db))
        with pytest.raises(
            StoreError,
            match=rf"another update is running \(lock .*ledger.duckdb.lock held by pid {holder.pid}\)",
        ):
            update(str(new), db=tiny_db)
    finally:
        holder.kill()
        holder.wait()
    assert update(str(new), db=tiny_db).added  # the kernel released the dead holder's lock


def test_two_concurrent_updates_keep_both_lists(tiny_db: Path, tmp_path: Path) -> None:
    rows = _newest_rows(tiny_db)
    lists = [
        _write_list(tmp_path / "participatingAgencies05202026am.csv", rows[1:]),
        _write_list(tmp_path / "participatingAgencies05212026am.csv", rows[2:]),
    ]
    with duckdb.connect(str(tiny_db), read_only=True) as con:
        (before,) = con.execute("SELECT count(*) FROM snapshots").fetchone() or (0,)
    code = "from sharemap.cli.app import main; main()"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, "update", "--from", str(p), "--db", str(tiny_db), "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in lists
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    with duckdb.connect(str(tiny_db), read_only=True) as con:
        (after,) = con.execute("SELECT count(*) FROM snapshots").fetchone() or (0,)
        names = {r[0] for r in con.execute("SELECT file_name FROM snapshots").fetchall()}
    assert after == before + 2 and {p.name for p in lists} <= names


# --- item 8: clean exits ----------------------------------------------------------------------------------

_WORKERS = """
import contextlib, os, sys, time
from pathlib import Path
from sharemap.runner import run_tasks
try:
    from sharemap.runner import exit_on_sigterm
except ImportError:  # the code before the fix: the same run, without it
    exit_on_sigterm = contextlib.nullcontext

def task(i):
    Path(sys.argv[1], f"worker-{os.getpid()}").touch()
    time.sleep(60)
    return i

if __name__ == "__main__":
    with exit_on_sigterm():
        run_tasks(task, list(range(4)), workers=2)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead, only not yet reaped
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_their_parent(tmp_path: Path, sig: signal.Signals) -> None:
    script = tmp_path / "workers.py"
    script.write_text(_WORKERS)
    parent = subprocess.Popen([sys.executable, str(script), str(tmp_path)])
    deadline = time.monotonic() + 30
    while len(list(tmp_path.glob("worker-*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = [int(p.name.split("-")[1]) for p in tmp_path.glob("worker-*")]
    assert len(workers) == 2
    try:
        parent.send_signal(sig)
        assert parent.wait(timeout=10) != 0
        deadline = time.monotonic() + 5
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(w) for w in workers), "workers outlived their parent"
    finally:
        for w in workers:
            if _alive(w):
                os.kill(w, signal.SIGKILL)


_SLOW_BUILD = """
import sys, time
from pathlib import Path
import pyarrow as pa
from sharemap.ledger import store
from sharemap.runner import exit_on_sigterm

class Slow(dict):
    def items(self):
        yield "one", pa.table({"x": [1]})
        print("writing", flush=True)
        time.sleep(30)
        yield "two", pa.table({"x": [2]})

with exit_on_sigterm():
    store._write_atomically(Path(sys.argv[1]), Slow())
"""


def test_a_terminated_build_leaves_no_temporary_files(tmp_path: Path) -> None:
    db = tmp_path / "ledger.duckdb"
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_BUILD, str(db)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
    assert list(tmp_path.glob(".ledger.duckdb.*.building*"))
    proc.terminate()
    assert proc.wait(timeout=10) == 128 + signal.SIGTERM
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.duckdb.lock"]


def test_stale_files_of_a_killed_build_are_removed_at_the_next_write(tmp_path: Path) -> None:
    db = tmp_path / "ledger.duckdb"
    stale = [tmp_path / ".ledger.duckdb.abc123.building", tmp_path / ".ledger.duckdb.abc123.building.wal"]
    for p in stale:
        p.write_bytes(b"left by kill -9")
    store.build_database(_tiny_base(), db)
    assert not any(p.exists() for p in stale) and db.exists()


# --- readers: files that are not lists -------------------------------------------------------------------


def test_folders_devices_and_fifos_are_refused_in_one_line(tmp_path: Path) -> None:
    fifo = tmp_path / "participatingAgencies05202026am.csv"
    os.mkfifo(fifo)
    for path, why in (
        (tmp_path, "is a folder"),
        (Path("/dev/zero"), "not a regular file"),
        (fifo, "not a regular file"),
    ):
        with pytest.raises(InputError, match=why):
            read_list(path)


def test_an_empty_folder_is_no_silent_success(tiny_db: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no ICE list found in"):
        update(str(tmp_path / "empty"), db=tiny_db)


def test_cr_only_and_oversized_csv_cells(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cr = tmp_path / "participatingAgencies05202026am.csv"
    cr.write_bytes(b"STATE,LAW ENFORCEMENT AGENCY,SUPPORT TYPE\rTexas,A Sheriff's Office,Task Force Model\r")
    assert [r.agency for r in read_list(cr).rows] == ["A Sheriff's Office"]
    monkeypatch.setenv("SHAREMAP_MAX_CSV_FIELD_KB", "1")
    big = tmp_path / "participatingAgencies05212026am.csv"
    big.write_text("STATE,LAW ENFORCEMENT AGENCY,SUPPORT TYPE\nTexas," + "A" * 5000 + ",Task Force Model\n")
    with pytest.raises(InputError, match="row 2"):
        read_list(big)


def _small_workbook() -> bytes:
    wb = openpyxl.Workbook()
    wb.active.append(["STATE", "LAW ENFORCEMENT AGENCY", "SUPPORT TYPE", "SIGNED"])
    wb.active.append(["Texas", "A Sheriff's Office", "Task Force Model", "2025-01-01"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


_WORKBOOK = _small_workbook()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.one_of(
        st.binary(max_size=2000),
        st.text(max_size=500).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.tuples(st.integers(0, len(_WORKBOOK) - 1), st.binary(min_size=1, max_size=64)).map(
            lambda m: _WORKBOOK[: m[0]] + m[1] + _WORKBOOK[m[0] + len(m[1]) :]
        ),
    ),
    suffix=st.sampled_from([".xlsx", ".csv"]),
)
def test_any_bytes_give_a_list_or_a_clean_error(tmp_path: Path, data: bytes, suffix: str) -> None:
    target = tmp_path / f"participatingAgencies05202026am{suffix}"
    target.write_bytes(data)
    try:
        parsed = read_list(target)
    except InputError as exc:
        assert exc.file == str(target)
    else:
        assert parsed.rows or parsed.kind is ListKind.PENDING


# --- exports --------------------------------------------------------------------------------------------


def test_export_csv_cells_are_spreadsheet_safe(tmp_path: Path) -> None:
    base = _tiny_base()
    agencies = base.rows["agency"].to_pylist()
    evil = '=HYPERLINK("http://evil.example/","click")'
    first = agencies[0]
    base.rows = base.rows.set_column(
        base.rows.schema.get_field_index("agency"),
        "agency",
        pa.array([evil if a == first else a for a in agencies]),
    )
    urls = base.rows["moa_url"].to_pylist()
    base.rows = base.rows.set_column(
        base.rows.schema.get_field_index("moa_url"),
        "moa_url",
        pa.array(["\t=1+1" if i == 0 else u for i, u in enumerate(urls)]),
    )
    db = tmp_path / "ledger.duckdb"
    store.build_database(base, db)
    store.export(db, tmp_path / "out", ("csv",))
    text = (tmp_path / "out" / "agencies.csv").read_text(encoding="utf-8")
    names = [r["name"] for r in csv.DictReader(io.StringIO(text))]
    assert "'" + evil in names and evil not in names
    rows = list(
        csv.DictReader(io.StringIO((tmp_path / "out" / "snapshot_rows.csv").read_text(encoding="utf-8")))
    )
    assert all(not r["agency"].startswith("=") and not r["moa_url"].startswith(("\t", "=")) for r in rows)
    assert any(r["moa_url"] == "'\t=1+1" for r in rows)


def test_a_long_moa_pdf_is_read_only_to_the_page_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    from sharemap.ledger.moa import read_moa

    pdf = Path(__file__).parents[1] / "fixtures" / "moa" / "287gWSO_FinneyCoKs2020-03-17.pdf"
    full = read_moa(pdf)
    assert full.page_count > 3
    monkeypatch.setenv("SHAREMAP_MAX_PDF_PAGES", "3")
    try:
        cut = read_moa(pdf)
    except InputError as exc:  # three pages may not read as an agreement: still a clean refusal
        assert pdf.name in str(exc)
        return
    assert cut.page_count == 3
    assert any(f"only the first 3 of {full.page_count} pages were read" in n for n in cut.notes)


def test_a_sheet_spanning_the_whole_grid_is_refused(tmp_path: Path) -> None:
    # two cells, at A1 and XFD1048576: calamine would lay out 17 billion cells from A1
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    target = tmp_path / "participatingAgencies05202026am.xlsx"
    with zipfile.ZipFile(io.BytesIO(_WORKBOOK)) as src, zipfile.ZipFile(target, "w") as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", far)
            out.writestr(info.filename, data)
    with pytest.raises(InputError, match=r"spans 1,048,576 rows by 16,384 columns"):
        read_list(target)
