"""Issue 13 leftover and issue 15 for the audit: true sheet rows in XLSX logs with blank rows;
messages in each surface's words (no CLI flags on the web); non-log files named for what they are;
and the shape of the audit package (rules as objects, no import cycles, short functions)."""

from __future__ import annotations

import ast
import gzip
import io
import zipfile
from pathlib import Path

import duckdb
import pytest
from audit_paths import AUDIT, KEY
from typer.testing import CliRunner
from xlsx_make import small_rows, workbook

from sharemap.audit import rules
from sharemap.audit.engine import AuditOptions, run_audit
from sharemap.audit.model import GroupFlags
from sharemap.cli.app import app
from sharemap.errors import InputError
from sharemap.web.upload import run_upload

SRC = Path(__file__).resolve().parents[2] / "src" / "sharemap"


def _audit(path: Path, **kw: object) -> object:
    return run_audit([path], AuditOptions(state="OR", **kw), engine="serial", key=KEY)  # type: ignore[arg-type]


# --- XLSX rows as the spreadsheet numbers them ------------------------------------------------------


def test_xlsx_blank_rows_keep_the_sheet_row_numbers(tmp_path: Path) -> None:
    rows = small_rows()
    header, records = rows[0], rows[1:]
    window = header.index("Time Frame Start")
    bad = list(records[3])
    bad[window] = "not a date"
    # sheet rows: 1 blank, 2 header, 3 record, 4-5 blank, 6 record, 7 blank, 8 the bad window, 9... rest
    data: list[list[object]] = [[], header, records[0], [], [], records[1], [], bad, *records[4:]]
    path = workbook(tmp_path / "blank_rows.xlsx", data)
    r = _audit(path)
    assert r.summary.searches == len(records) - 1  # type: ignore[attr-defined]  # records[2] is left out
    (issue,) = [i for i in r.issues if i.kind == "bad_window"]  # type: ignore[attr-defined]
    assert issue.row == 8 and issue.line is None
    # every evidence row points at the sheet row holding that record (matched on the event id)
    sheet_row = {str(v[0]): n for n, v in enumerate(data, start=1) if v}
    evidence = [e for f in r.findings for e in f.evidence]  # type: ignore[attr-defined]
    assert evidence
    for e in evidence:
        assert e.row == sheet_row[e.event_id], (e.event_id, e.row)
    assert any(e.row > len(data) - len(records[4:]) for e in evidence)  # rows after the blanks too


def test_xlsx_blank_rows_numbered_the_same_as_the_csv_without_them(tmp_path: Path) -> None:
    """The same records as a CSV and as a sheet with no blank rows give the same row numbers."""
    rows = small_rows()
    path = workbook(tmp_path / "plain.xlsx", [list(r) for r in rows])
    from_sheet = _audit(path)
    from_csv = _audit(AUDIT / "network_audit_small.csv")
    rows_of = lambda res: sorted((f.rule_id, e.row) for f in res.findings for e in f.evidence)  # noqa: E731
    assert rows_of(from_sheet) == rows_of(from_csv)


# --- files that are not logs ------------------------------------------------------------------------


def _zip(names: list[str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n in names:
            z.writestr(n, "<x/>")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("report.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "a PDF document"),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(64), "a PNG image"),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + bytes(64), "a JPEG image"),
        ("logs.zip", _zip(["a.csv", "b.csv"]), "a zip archive that is not an XLSX workbook"),
        ("memo.docx", _zip(["[Content_Types].xml", "word/document.xml"]), "a Word document"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "old-format Office file"),
    ],
)
def test_non_log_files_are_named_for_what_they_are(
    tmp_path: Path, name: str, data: bytes, words: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError) as exc:
        _audit(path)
    text = exc.value.describe()
    assert words in text and "not a log" in text and "CSV, TSV, XLSX" in text
    assert "UTF-8" not in text
    gz = tmp_path / (name + ".gz")  # compressed, it is still the same file
    gz.write_bytes(gzip.compress(data))
    if not data.startswith(b"PK"):
        with pytest.raises(InputError, match=words):
            _audit(gz)


def test_binary_data_is_not_called_a_text_encoding_problem(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputError, match="binary data"):
        _audit(path)


def test_pdf_upload_says_pdf_not_utf8() -> None:
    with pytest.raises(InputError) as exc:
        run_upload(b"%PDF-1.4\n" + bytes(range(256)), "scan.pdf", "OR")
    assert "PDF document" in exc.value.describe() and "UTF-8" not in exc.value.describe()


# --- each surface's words ---------------------------------------------------------------------------


def test_web_messages_name_no_cli_flags() -> None:
    latin = (AUDIT / "bad_not_utf8.csv").read_bytes()
    with pytest.raises(InputError) as exc:
        run_upload(latin, "latin.csv", "OR")
    text = exc.value.describe()
    assert "not UTF-8" in text and "save the file as UTF-8" in text and "--" not in text
    answer = run_upload((AUDIT / "network_audit_small.csv").read_bytes(), "log.csv", None)
    said = [*answer.result.notices, *(n for f in answer.result.files for n in f.notes)]
    said += [f.law.why for f in answer.result.findings if f.law]
    assert any("state whose data was searched" in s for s in said)
    assert not any("--" in s for s in said), said


def test_cli_adds_its_own_flags() -> None:
    res = CliRunner().invoke(app, ["audit", str(AUDIT / "bad_not_utf8.csv"), "--engine", "serial"])
    assert res.exit_code == 2 and "--encoding" in res.output
    small = str(AUDIT / "network_audit_small.csv")
    res = CliRunner().invoke(app, ["audit", small, "--engine", "serial"])
    assert res.exit_code == 0, res.output
    assert "give a retention limit in days with --retention-days N" in " ".join(res.output.split())
    res = CliRunner().invoke(app, ["audit", small, "--engine", "serial", "--json"])
    assert res.exit_code == 0 and "give the state whose data was searched with --state ST" in res.output


# --- rules as objects; the package's shape ----------------------------------------------------------


def test_each_rule_matches_the_same_rows_in_sql_and_in_python() -> None:
    cats = [None, *sorted(str(v) for v in rules.REASON_RULES), "stated"]
    kinds = [None, *sorted(str(v) for v in rules.ORG_RULES), "local"]
    combos = [
        GroupFlags(c, k, lb, sw) for c in cats for k in kinds for lb in (False, True) for sw in (False, True)
    ]
    con = duckdb.connect()
    con.execute("CREATE TABLE hits (i INT, category VARCHAR, org_flag VARCHAR, lb_hit BOOL, sweep_hit BOOL)")
    con.executemany(
        "INSERT INTO hits VALUES (?, ?, ?, ?, ?)",
        [(i, f.category, f.org_flag, f.lb_hit, f.sweep_hit) for i, f in enumerate(combos)],
    )
    for rule in rules.RULES:
        in_sql = {i for (i,) in con.execute(f"SELECT i FROM hits WHERE {rule.match.sql()}").fetchall()}
        in_python = {i for i, f in enumerate(combos) if rule.match.test(f)}
        assert in_sql == in_python and in_sql, rule.id
    assert [r.id for r in rules.active(False, False)] == [r.id for r in rules.RULES if r.needs is None]


def _module_imports(path: Path) -> set[str]:
    """The sharemap.audit modules a module imports when it is loaded (not inside functions or
    TYPE_CHECKING blocks)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sharemap.audit"):
            if node.module == "sharemap.audit":
                out.update(f"sharemap.audit.{a.name}" for a in node.names)
            else:
                out.add(node.module)
    return out


def test_no_import_cycles_in_the_audit_package() -> None:
    root = SRC / "audit"
    graph = {}
    for p in root.rglob("*.py"):
        rel = p.relative_to(SRC.parent).with_suffix("")
        name = ".".join(rel.parts).removesuffix(".__init__")
        graph[name] = _module_imports(p) - {name}
    graph.pop("sharemap.audit", None)  # the package's own re-exports

    def visit(node: str, stack: list[str]) -> None:
        assert node not in stack, " -> ".join([*stack, node])
        for nxt in graph.get(node, ()):
            if nxt in graph:
                visit(nxt, [*stack, node])

    for name in graph:
        visit(name, [])


def test_no_function_over_80_lines_in_the_audit() -> None:
    files = [*(SRC / "audit").rglob("*.py"), SRC / "cli" / "audit.py", SRC / "web" / "upload.py"]
    long = [
        f"{p.name}:{n.name} {n.end_lineno - n.lineno + 1}"  # type: ignore[operator]
        for p in files
        for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.end_lineno - n.lineno + 1 > 80  # type: ignore[operator]
    ]
    assert not long
