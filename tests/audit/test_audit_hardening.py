"""Issue 13, audit part: XLSX read whole and within limits, rejected rows never printed raw, one-line
errors for odd CSV and mapping input, `--max-issues`, and fuzzing of the log readers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from audit_paths import AUDIT, KEY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner
from xlsx_make import add_part, lie_dimension, small_rows, understate_sizes, workbook

from sharemap.audit.engine import AuditOptions, run_audit
from sharemap.audit.formats.spec import load_mapping
from sharemap.audit.schema import AuditResult
from sharemap.cli.app import app
from sharemap.errors import InputError

SMALL = AUDIT / "network_audit_small.csv"
PLATE, NAME = "QRS4455", "Jane Roe"


def _audit(path: Path, **kw: object) -> AuditResult:
    return run_audit([path], AuditOptions(state="OR", **kw), engine="serial", key=KEY)  # type: ignore[arg-type]


# --- 1. XLSX -------------------------------------------------------------------------------------------


def test_xlsx_dimension_that_lies_does_not_drop_rows(tmp_path: Path) -> None:
    header, *rows = small_rows()
    path = workbook(tmp_path / "log.xlsx", [header] + [rows[i % len(rows)] for i in range(100)])
    lie_dimension(path, "A1:E11")  # openpyxl read-only stopped here: 10 rows, no note
    r = _audit(path)
    assert r.files[0].rows_read == 100 and r.files[0].rows_unreadable == 0
    assert r.summary.searches == 100


def test_xlsx_hidden_decoy_sheet_is_ignored(tmp_path: Path) -> None:
    header, *rows = small_rows()
    path = workbook(tmp_path / "log.xlsx", [header, *rows], decoy=[header, rows[1], rows[1], rows[1]])
    r = _audit(path)
    assert r.summary.searches == len(rows)
    assert any("hidden sheet(s) 'decoy' not read" in n for n in r.files[0].notes)
    # asked for: the hidden sheet is read
    assert _audit(path, hidden_sheets=True).summary.searches == 3
    assert _audit(path, sheet="decoy").summary.searches == 3
    with pytest.raises(InputError, match="no worksheet named 'nope'"):
        _audit(path, sheet="nope")


def test_xlsx_zip_bomb_is_refused_before_reading(tmp_path: Path) -> None:
    header, *rows = small_rows()
    path = workbook(tmp_path / "bomb.xlsx", [header, *rows])
    add_part(path, "xl/media/pad.bin", b"\0" * (20 << 20))  # 20 MB of zeros in a ~30 kB file
    with pytest.raises(InputError) as exc:
        _audit(path)
    assert "zip bomb" in exc.value.describe() and "SHAREMAP_MAX_ZIP_RATIO" in exc.value.describe()
    assert "\n" not in exc.value.describe()


def test_xlsx_zip_that_understates_its_sizes_is_refused(tmp_path: Path) -> None:
    header, *rows = small_rows()
    path = workbook(tmp_path / "liar.xlsx", [header, *rows])
    add_part(path, "xl/media/pad.bin", b"\0" * (60 << 20))
    understate_sizes(path, "xl/media/pad.bin", 1000)  # the directory says 1 kB
    with pytest.raises(InputError, match="zip bomb"):
        _audit(path)


def test_xlsx_sparse_grid_is_refused_not_a_crash(tmp_path: Path) -> None:
    """Two cells at A1 and XFD1048576 make calamine allocate 512 GB and abort the process: refused
    first. Run in a child with a 3 GB address-space cap so a regression fails instead of swapping."""
    header, *rows = small_rows()
    path = workbook(tmp_path / "sparse.xlsx", [header, *rows])
    from xlsx_make import rewrite_part

    rewrite_part(
        path,
        "xl/worksheets/sheet1.xml",
        lambda d: d.replace(
            b"</sheetData>",
            b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>',
        ),
    )
    code = textwrap.dedent(
        f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from sharemap.audit.engine import AuditOptions, run_audit
        from sharemap.errors import InputError
        try:
            run_audit([{str(path)!r}], AuditOptions(), engine="serial", key=b"k")
        except InputError as exc:
            print("REFUSED", exc)
        """
    )
    env = {**os.environ, "SHAREMAP_HOME": str(tmp_path / "home")}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "REFUSED" in res.stdout and "SHAREMAP_MAX_SHEET_CELLS" in res.stdout


def test_xlsx_formula_without_cached_value_is_an_unreadable_row(tmp_path: Path) -> None:
    header, *rows = small_rows()
    data = [header, *(list(r) for r in rows)]
    data[3][header.index("Search Time")] = "=DATE(2025,11,14)"  # openpyxl saves no cached value
    r = _audit(workbook(tmp_path / "f.xlsx", data))
    assert r.files[0].rows_unreadable == 1 and r.summary.searches == len(rows) - 1
    (issue,) = r.issues
    assert (issue.row, issue.field, issue.kind) == (4, "Search Time", "formula_without_value")
    # the rows after it keep their sheet row numbers
    reference = _audit(SMALL)
    rows_of = {f.rule_id: [e.row for e in f.evidence] for f in reference.findings}
    got = {f.rule_id: [e.row for e in f.evidence] for f in r.findings}
    assert got["no_stated_purpose"] == rows_of["no_stated_purpose"]


# --- 2. rejected rows never printed raw ------------------------------------------------------------------


def _log_with_bad_row(tmp_path: Path) -> Path:
    lines = SMALL.read_text(encoding="utf-8").splitlines()
    bad = (
        f'"a9","{NAME}","Eugene OR PD","3","120","11/01/2025, 09:00:00 AM UTC","11/14/2025, 09:53:36 AM '
        f'UTC","{PLATE}","burglary","","","11/14/2025, 09:53:36 AM UTC","search","","one field too many"'
    )
    path = tmp_path / "log.csv"
    path.write_text("\n".join([*lines[:3], bad, *lines[3:]]) + "\n", encoding="utf-8")
    return path


def test_rejected_row_is_not_printed_unpseudonymised(tmp_path: Path) -> None:
    path = _log_with_bad_row(tmp_path)
    r = _audit(path)
    assert r.files[0].rows_unreadable == 1
    (issue,) = r.issues
    assert (
        issue.line == 4 and issue.kind == "too_many_columns" and "15 field(s), 14 expected" in issue.message
    )
    dumped = r.model_dump_json()
    assert PLATE not in dumped and NAME not in dumped and "Jane" not in dumped
    for args in (["--engine", "serial"], ["--engine", "serial", "--json"]):
        res = CliRunner().invoke(app, ["audit", str(path), "--state", "OR", *args, "--max-issues", "all"])
        assert res.exit_code == 0, res.output
        text = " ".join(res.output.split())
        assert PLATE not in text and "Jane" not in text
        assert (
            ("line 4" in text) if "--json" not in args else json.loads(res.stdout)["issues"][0]["line"] == 4
        )


def test_all_rows_rejected_error_quotes_no_row(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    header = SMALL.read_text(encoding="utf-8").splitlines()[0]
    path.write_text(header + "\n" + f'"a1","{NAME}","{PLATE}"\n', encoding="utf-8")
    with pytest.raises(InputError) as exc:
        _audit(path)
    assert "no readable rows" in exc.value.describe()
    assert PLATE not in exc.value.describe() and "Jane" not in exc.value.describe()


# --- 8. odd CSV input, mapping YAML, --max-issues --------------------------------------------------------


def test_header_cell_over_python_csv_limit_is_read(tmp_path: Path) -> None:
    lines = SMALL.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "wide.csv"
    path.write_text(
        "\n".join(
            [lines[0] + ',"' + "h" * 140_000 + '"', *(ln + ',"' + "x" * 140_000 + '"' for ln in lines[1:])]
        )
        + "\n",
        encoding="utf-8",
    )
    assert _audit(path).summary.searches == len(lines) - 1


def test_header_cell_over_our_limit_is_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHAREMAP_MAX_CSV_FIELD_KB", "64")
    lines = SMALL.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "wide.csv"
    path.write_text(lines[0] + ',"' + "h" * 140_000 + '"\n' + lines[1] + "\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["audit", str(path), "--engine", "serial"])
    assert res.exit_code == 2, res.output
    assert (
        "Traceback" not in res.output and "row 1" in res.output and "SHAREMAP_MAX_CSV_FIELD_KB" in res.output
    )


def test_cr_only_csv_is_read(tmp_path: Path) -> None:
    lines = SMALL.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "mac.csv"
    path.write_bytes(("\r".join(lines) + "\r").encode("utf-8"))
    r = _audit(path)
    ref = _audit(SMALL)
    assert r.summary.searches == ref.summary.searches and r.files[0].rows_unreadable == 0
    assert [f.rule_id for f in r.findings] == [f.rule_id for f in ref.findings]


_MAPPING = "name: jail\nsystem: jail_release_notification\ncolumns:\n  time: Notified At\n  reason: Purpose\n"


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        (_MAPPING.replace("Notified At", "123"), "columns.time", "column for 'time' is 123"),
        (_MAPPING.replace("Notified At", ""), "columns.time", "column for 'time' is None"),
        (_MAPPING + "time_formats: '%d.%m.%Y'\n", "time_formats", "list of date forms"),
        (_MAPPING + "org_kind: martian\n", "org_kind", "unknown org_kind 'martian'"),
        (_MAPPING + "system2: x\n", "system2", "unknown key"),
        (_MAPPING.replace("jail_release_notification", "[1, 2]"), "system", "unknown system"),
        (_MAPPING + "required: time\n", None, None),  # one name is a list of one: fine
        (_MAPPING + "required: [when]\n", "required", "required is"),
        ("a: &x [1]\nb: *x\n", None, "aliases"),
    ],
)
def test_mapping_errors_name_the_field(
    tmp_path: Path, text: str, field: str | None, words: str | None
) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    if words is None:
        load_mapping(path)
        return
    with pytest.raises(InputError) as exc:
        load_mapping(path)
    assert exc.value.field == field
    assert words in exc.value.describe() and "\n" not in exc.value.describe()


def test_mapping_error_through_the_cli(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(_MAPPING + "org_kind: martian\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["audit", str(SMALL), "--mapping", str(path), "--engine", "serial"])
    assert res.exit_code == 2 and "org_kind" in res.output and "Traceback" not in res.output


def _many_bad_rows(tmp_path: Path, n: int) -> Path:
    lines = SMALL.read_text(encoding="utf-8").splitlines()
    row = lines[1].replace("11/14/2025, 09:53:36 AM UTC", "not a date")
    path = tmp_path / "bad.csv"
    path.write_text("\n".join([lines[0], *lines[1:], *([row] * n)]) + "\n", encoding="utf-8")
    return path


def test_max_issues_lists_more_and_total_is_always_stated(tmp_path: Path) -> None:
    path = _many_bad_rows(tmp_path, 450)
    default = _audit(path)
    assert default.issues_total == 450 and len({i.row for i in default.issues}) == 200
    every = _audit(path, issue_limit=None)
    assert len({i.row for i in every.issues}) == 450
    assert len({i.row for i in _audit(path, issue_limit=300).issues}) == 300
    res = CliRunner().invoke(app, ["audit", str(path), "--engine", "serial", "--max-issues", "all"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "450 problem row(s) in all" in text and "450 listed" in text
    res = CliRunner().invoke(app, ["audit", str(path), "--engine", "serial", "--json"])
    assert json.loads(res.stdout)["issues_total"] == 450
    res = CliRunner().invoke(app, ["audit", str(path), "--engine", "serial"])
    assert "450 problem row(s) in all" in " ".join(res.output.split())
    res = CliRunner().invoke(app, ["audit", str(path), "--engine", "serial", "--max-issues", "0"])
    assert res.exit_code == 2 and "--max-issues" in res.output


# --- fuzzing the readers ---------------------------------------------------------------------------------


def _clean(path: Path) -> None:
    try:
        run_audit([path], AuditOptions(), engine="serial", key=KEY)
    except InputError as exc:
        assert "\n" not in exc.describe()  # one line: file, row or field, what was expected


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=2048))
def test_fuzz_csv_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.csv"
    header = SMALL.read_bytes().splitlines()[0]
    path.write_bytes(header + b"\n" + data if data[:1] != b"!" else data)
    _clean(path)


_BOOK: dict[str, bytes] = {}


def _valid_book(tmp: Path) -> bytes:
    if "b" not in _BOOK:
        header, *rows = small_rows()
        _BOOK["b"] = workbook(tmp / "seed.xlsx", [header, *rows]).read_bytes()
    return _BOOK["b"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    flips=st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=6),
    cut=st.one_of(st.none(), st.integers(min_value=0)),
    junk=st.binary(max_size=64),
)
def test_fuzz_xlsx_bytes(tmp_path: Path, flips: list[tuple[int, int]], cut: int | None, junk: bytes) -> None:
    data = bytearray(_valid_book(tmp_path))
    for pos, value in flips:
        data[pos % len(data)] = value
    if cut is not None:
        data = data[: cut % len(data)]
    path = tmp_path / "fuzz.xlsx"
    path.write_bytes(b"PK\x03\x04" + bytes(data[4:]) + junk if data else b"PK\x03\x04" + junk)
    _clean(path)
