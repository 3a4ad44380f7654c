"""Containers (CSV, gzip, TSV, XLSX, Parquet, JSON lines) and the generic mapped reader."""

from __future__ import annotations

import csv
import gzip
import json
import shutil
from pathlib import Path

import duckdb
import openpyxl
import pytest
from audit_paths import AUDIT, KEY

from sharemap.audit.engine import AuditOptions, run_audit
from sharemap.audit.schema import AuditResult

SMALL = AUDIT / "network_audit_small.csv"


def _key(r: AuditResult) -> list[tuple[str, str | None, int, list[int]]]:
    return [(f.rule_id, f.org_name, f.count, [e.row for e in f.evidence]) for f in r.findings]


@pytest.fixture(scope="module")
def reference() -> AuditResult:
    return run_audit([SMALL], AuditOptions(state="OR", retention_days=30), engine="serial", key=KEY)


def _rows() -> list[list[str]]:
    with SMALL.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _gz(tmp: Path) -> Path:
    out = tmp / "log.csv.gz"
    with SMALL.open("rb") as src, gzip.open(out, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return out


def _tsv(tmp: Path) -> Path:
    out = tmp / "log.tsv"
    with out.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, delimiter="\t").writerows(_rows())
    return out


def _xlsx(tmp: Path) -> Path:
    out = tmp / "log.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in _rows():
        ws.append(row)
    wb.save(out)
    return out


def _parquet(tmp: Path) -> Path:
    out = tmp / "log.parquet"
    duckdb.execute(f"COPY (SELECT * FROM read_csv('{SMALL}', all_varchar=true)) TO '{out}' (FORMAT parquet)")
    return out


def _jsonl(tmp: Path) -> Path:
    out = tmp / "log.jsonl"
    header, *rows = _rows()
    out.write_text(
        "".join(json.dumps(dict(zip(header, r, strict=True))) + "\n" for r in rows), encoding="utf-8"
    )
    return out


@pytest.mark.parametrize(
    "make", [_gz, _tsv, _xlsx, _parquet, _jsonl], ids=["gzip", "tsv", "xlsx", "parquet", "jsonl"]
)
def test_same_findings_in_every_container(make, tmp_path: Path, reference: AuditResult) -> None:  # type: ignore[no-untyped-def]
    r = run_audit([make(tmp_path)], AuditOptions(state="OR", retention_days=30), engine="serial", key=KEY)
    assert r.files[0].format == "alpr-network-audit"
    assert _key(r) == _key(reference)
    assert r.summary.searches == reference.summary.searches


def test_mapped_jail_log() -> None:
    r = run_audit(
        [AUDIT / "jail_notifications.csv"],
        AuditOptions(state="OR", mapping=str(AUDIT / "jail_mapping.yaml")),
        engine="serial",
        key=KEY,
    )
    assert r.files[0].format == "mapped:county-jail-notifications"
    assert r.summary.searches == 2
    fed = [f for f in r.findings if f.org_kind == "federal"]
    assert not [f for f in r.findings if f.rule_id == "immigration_purpose"]
    assert fed == []  # federal_access is a plate-reader question; no law asked for jail logs
    assert r.summary.by_org_kind == {"federal": 1, "unknown": 1}


def test_forced_format_unknown() -> None:
    from sharemap.errors import InputError

    with pytest.raises(InputError, match="unknown format"):
        run_audit([SMALL], AuditOptions(format="nope"), engine="serial", key=KEY)
