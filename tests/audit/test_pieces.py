"""Large CSV logs audited in pieces side by side give exactly what one pass over the file gives."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import duckdb
import pytest
from audit_paths import KEY

from sharemap.audit import pieces, plan
from sharemap.audit.engine import AuditOptions, run_audit
from sharemap.audit.pieces import cut_points

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from make_audit_log import generate

OPTS = AuditOptions(state="OR", retention_days=30, evidence_limit=5, threads=1)


@pytest.fixture
def small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Split files from 256 KiB on, into pieces of about 200 KiB."""
    monkeypatch.setattr(pieces, "PIECE_MIN_BYTES", 256 * 1024)
    monkeypatch.setattr(plan, "PIECE_BYTES", 200 * 1024)


def _audit(path: Path, engine_name: str, out: Path) -> tuple[dict[str, object], int]:
    tasks: list[int] = []
    r = run_audit([path], OPTS, engine=engine_name, workers=2, key=KEY, out=out, on_plan=tasks.append)
    return r.model_dump(exclude={"engine"}), tasks[0]


def _same_outputs(path: Path, tmp: Path) -> int:
    """Audit `path` whole (serial) and in pieces (local); assert equal results; return the task count."""
    whole, n_whole = _audit(path, "serial", tmp / "whole.parquet")
    split, n_split = _audit(path, "local", tmp / "split.parquet")
    assert n_whole == 1
    assert split == whole
    a, b = (
        duckdb.execute(f"SELECT * FROM '{tmp / n}'").fetchall() for n in ("whole.parquet", "split.parquet")
    )
    assert a == b and a
    return n_split


def _with_odd_rows(src: Path, dest: Path) -> None:
    """The synthetic log with rows in a second date form and unreadable times spread over it."""
    lines = src.read_text().splitlines(keepends=True)
    for k, i in enumerate(range(500, len(lines), 1500)):
        fields = next(csv.reader([lines[i]]))
        fields[11] = "2025-07-01 10:00:00" if k % 3 else "not a date"
        lines[i] = ",".join(f'"{f}"' for f in fields) + "\n"
    dest.write_text("".join(lines))


def test_pieces_give_the_same_findings_rows_and_issues(tmp_path: Path, small_pieces: None) -> None:
    log = tmp_path / "log.csv"
    _with_odd_rows(generate(tmp_path / "raw.csv", 12_000, seed=5, threads=1), log)
    assert _same_outputs(log, tmp_path) > 5
    r = run_audit([log], OPTS, engine="local", workers=2, key=KEY)
    kinds = {i.kind for i in r.issues}
    assert kinds == {"mixed_date_form", "unreadable_time"}
    assert sum("mixed date forms" in n for n in r.files[0].notes) == 1
    # evidence rows are rows of the whole file: row n is line n of this one-line-per-record file
    lines = log.read_text().splitlines()
    for f in r.findings:
        for e in f.evidence:
            assert e.event_id is not None and lines[e.row - 1].startswith(f'"{e.event_id}"')


def _multi_line_log(path: Path, records: int) -> Path:
    """A log whose time-frame cells hold a line break, so half the line ends are inside quotes."""
    with path.open("w", newline="") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\n")
        w.writerow(["ID", "Name", "Org Name", "Total Networks Searched", "Time Frame", "License Plate",
                    "Reason", "Search Time"])  # fmt: skip
        for i in range(records):
            reason = ["ICE", "burglary", "", "assist USBP", "stolen vehicle"][i % 5]
            w.writerow([f"x{i}", f"U{i % 17}", ["Reno NV PD", "Eugene OR PD"][i % 2], str(i % 300),
                        "10/01/2025, 09:00:00 AM UTC\n11/14/2025, 09:53:36 AM UTC", f"P{i}", reason,
                        "11/14/2025, 09:53:36 AM UTC"])  # fmt: skip
    return path


def test_cuts_fall_on_record_starts(tmp_path: Path) -> None:
    log = _multi_line_log(tmp_path / "tf.csv", 6_000)
    data = log.read_bytes()
    points = cut_points(log, 8, ",", 8, "utf-8")
    assert len(points) == 9 and points[-1] == len(data)
    for p in points[:-1]:
        assert data[p - 1 : p] == b"\n" and data[:p].count(b'"') % 2 == 0  # not inside a quoted cell


def test_multi_line_records_in_pieces(tmp_path: Path, small_pieces: None) -> None:
    assert _same_outputs(_multi_line_log(tmp_path / "tf.csv", 6_000), tmp_path) > 1


def test_a_cut_inside_a_quoted_cell_reads_the_file_whole(
    tmp_path: Path, small_pieces: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong cut makes the parser reject rows; the file is then audited in one piece."""
    log = _multi_line_log(tmp_path / "tf.csv", 6_000)
    data = log.read_bytes()
    inside = data.index(b"UTC\n", len(data) // 2) + 4  # just after a line break inside a quoted cell

    def bad_cuts(path: Path, pieces: int, delimiter: str, columns: int, encoding: str) -> list[int]:
        return [data.index(b"\n") + 1, inside, len(data)]

    monkeypatch.setattr(plan, "cut_points", bad_cuts)
    assert _same_outputs(log, tmp_path) == 2
    r = run_audit([log], OPTS, engine="local", workers=2, key=KEY)
    assert r.issues_total == 0 and r.files[0].rows_read == 6_000


def test_rejected_rows_are_listed_by_line_as_in_one_pass(tmp_path: Path, small_pieces: None) -> None:
    log = tmp_path / "log.csv"
    lines = generate(tmp_path / "raw.csv", 6_000, seed=9, threads=1).read_text().splitlines(keepends=True)
    lines[4_000] = lines[4_000].split(",", 3)[0] + ",truncated\n"  # too few fields: rejected
    log.write_text("".join(lines))
    _same_outputs(log, tmp_path)
    r = run_audit([log], OPTS, engine="local", workers=2, key=KEY)
    assert [i.line for i in r.issues if i.line] == [4_001]


def test_windows_line_ends_and_a_byte_order_mark(tmp_path: Path, small_pieces: None) -> None:
    raw = generate(tmp_path / "raw.csv", 6_000, seed=11, threads=1).read_bytes()
    log = tmp_path / "crlf.csv"
    log.write_bytes(b"\xef\xbb\xbf" + raw.replace(b"\n", b"\r\n"))
    assert _same_outputs(log, tmp_path) > 1
    r = run_audit([log], OPTS, engine="local", workers=2, key=KEY)
    assert r.files[0].rows_read == 6_000 and r.issues_total == 0


def test_ray_audits_the_pieces_alike(tmp_path: Path, small_pieces: None) -> None:
    pytest.importorskip("ray")
    log = _multi_line_log(tmp_path / "tf.csv", 6_000)
    whole, _ = _audit(log, "serial", tmp_path / "whole.parquet")
    ray, tasks = _audit(log, "ray", tmp_path / "ray.parquet")
    assert tasks > 1 and ray == whole
    a, b = (
        duckdb.execute(f"SELECT * FROM '{tmp_path / n}'").fetchall() for n in ("whole.parquet", "ray.parquet")
    )
    assert a == b and a


def test_compressed_logs_are_not_cut(tmp_path: Path, small_pieces: None) -> None:
    import gzip

    raw = generate(tmp_path / "raw.csv", 6_000, seed=13, threads=1)
    gz = tmp_path / "log.csv.gz"
    gz.write_bytes(gzip.compress(raw.read_bytes()))
    assert pieces.may_cut(raw) and not pieces.may_cut(gz)
    tasks: list[int] = []
    r = run_audit([gz], OPTS, engine="local", workers=2, key=KEY, on_plan=tasks.append)
    assert tasks == [1] and r.summary.searches == 6_000
