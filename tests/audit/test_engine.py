"""Engines agree; --out holds every flagged row; the CLI prints JSON and a report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from audit_paths import AUDIT, EUGENE, KEY
from typer.testing import CliRunner

from sharemap.audit.engine import AuditOptions, run_audit
from sharemap.audit.schema import AuditResult
from sharemap.cli.app import app

SMALL = AUDIT / "network_audit_small.csv"


def _files(tmp: Path) -> list[Path]:
    out = []
    for i in range(3):
        p = tmp / f"part{i}.csv"
        shutil.copy(SMALL, p)
        out.append(p)
    return out


def test_local_and_ray_agree(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    files = _files(tmp_path)
    opts = AuditOptions(state="CA", retention_days=30, threads=1)
    serial = run_audit(files, opts, engine="serial", key=KEY)
    local = run_audit(files, opts, engine="local", workers=2, key=KEY)
    ray = run_audit(files, opts, engine="ray", workers=2, key=KEY)
    a, b, c = (r.model_dump(exclude={"engine"}) for r in (serial, local, ray))
    assert a == b == c
    assert sum(f.count for f in serial.findings if f.rule_id == "out_of_state_access") == 12


def test_out_parquet_has_every_flagged_row(tmp_path: Path) -> None:
    out = tmp_path / "findings.parquet"
    r = run_audit([EUGENE], AuditOptions(state="OR"), engine="serial", key=KEY, out=out)
    con = duckdb.connect()
    rows = dict(con.execute(f"SELECT rule_id, count(*) FROM '{out}' GROUP BY 1").fetchall())
    assert rows == {f.rule_id: f.count for f in r.findings}
    users = [u for (u,) in con.execute(f"SELECT DISTINCT user FROM '{out}'").fetchall()]
    assert all(u.startswith("user:") for u in users)
    # the SQL pseudonyms equal the Python ones
    ev = r.findings[0].evidence[0]
    (u,) = con.execute(
        f"SELECT user FROM '{out}' WHERE rule_id = ? AND row = ?", [r.findings[0].rule_id, ev.row]
    ).fetchone()  # type: ignore[misc]
    assert u == ev.user


def test_cli_json_and_report(tmp_path: Path) -> None:
    report = tmp_path / "audit.md"
    res = CliRunner().invoke(
        app, ["audit", str(SMALL), "--state", "OR", "--engine", "serial", "--json", "--report", str(report)]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["summary"]["searches"] == 6
    assert {f["rule_id"] for f in data["findings"]} >= {"immigration_purpose", "no_stated_purpose"}
    text = report.read_text()
    # the Oregon provision is cited as re-verified on 2026-12-03: "ORS 181A.826(2)(b)(A), (3) and 181A.823"
    assert "181A.823" in text and "XYZ9876" not in text


def test_cli_error_exit(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["audit", str(AUDIT / "bad_not_a_log.csv"), "--engine", "serial"])
    assert res.exit_code == 2
    assert "bad_not_a_log.csv: row 1: not a recognised log" in " ".join(res.output.split())


def test_cli_table_output() -> None:
    res = CliRunner().invoke(app, ["audit", str(EUGENE), "--state", "OR", "--engine", "serial"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "4,294 searches" in text and "147 users" in text


def test_parquet_row_groups_fan_out(tmp_path: Path) -> None:
    pq = tmp_path / "eugene.parquet"
    duckdb.execute(
        f"COPY (SELECT * FROM read_csv('{EUGENE}', all_varchar=true)) TO '{pq}' "
        "(FORMAT parquet, ROW_GROUP_SIZE 1024)"
    )
    groups = duckdb.execute(f"SELECT count(DISTINCT row_group_id) FROM parquet_metadata('{pq}')").fetchone()
    assert groups is not None and groups[0] > 1
    opts = AuditOptions(state="OR", threads=1)
    whole = run_audit([pq], opts, engine="serial", key=KEY)
    split = run_audit([pq], opts, engine="local", workers=2, key=KEY)
    assert whole.model_dump(exclude={"engine"}) == split.model_dump(exclude={"engine"})
    csv = run_audit([EUGENE], opts, engine="serial", key=KEY)
    assert [(f.rule_id, f.count, [e.row for e in f.evidence]) for f in split.findings] == [
        (f.rule_id, f.count, [e.row for e in f.evidence]) for f in csv.findings
    ]
    assert split.files[0].rows_read == 4294 and len(split.files) == 1


def _evidence_is_first_rows(r: AuditResult, out: Path, limit: int) -> None:
    """Each finding's evidence is the first `limit` rows of its rule and organisation in `out`, and
    its count that of its rows there."""
    con = duckdb.connect()
    for f in r.findings:
        where = f"FROM '{out}' WHERE rule_id = ? AND org_name IS NOT DISTINCT FROM ?"
        rows = con.execute(
            f"SELECT row, user, reason {where} ORDER BY row LIMIT {limit}", [f.rule_id, f.org_name]
        )
        assert [(e.row, e.user, e.reason) for e in f.evidence] == rows.fetchall()
        (n,) = con.execute(f"SELECT count(*) {where}", [f.rule_id, f.org_name]).fetchone()  # type: ignore[misc]
        assert f.evidence_total == f.count == n


def test_evidence_is_first_rows_of_every_rule(tmp_path: Path) -> None:
    """Evidence (row numbers per group in the pass, rows picked afterwards) equals the first rows of
    each rule and organisation in the full flagged-row output."""
    out = tmp_path / "hits.parquet"
    opts = AuditOptions(state="OR", retention_days=3, evidence_limit=7)
    r = run_audit([EUGENE], opts, engine="serial", key=KEY, out=out)
    assert r.findings
    _evidence_is_first_rows(r, out, 7)


def test_evidence_is_first_rows_on_synthetic_log(tmp_path: Path) -> None:
    """The same on the benchmark's synthetic log: every rule (look-back, sweeps, federal and
    out-of-state organisations) over twelve months, so each rule's evidence is merged from many fine
    groups (organisation, reason, month, look-back hit, sweep hit) of the one pass."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from make_audit_log import generate

    log = generate(tmp_path / "synthetic.csv", 20_000, seed=3, threads=1)
    out = tmp_path / "hits.parquet"
    opts = AuditOptions(state="OR", retention_days=30, evidence_limit=5)
    r = run_audit([log], opts, engine="serial", key=KEY, out=out)
    assert len({f.rule_id for f in r.findings}) >= 3
    _evidence_is_first_rows(r, out, 5)
