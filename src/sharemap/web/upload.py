"""Audit an uploaded log: write it to a private temporary folder, audit it, delete it.

Nothing uploaded is kept after the response unless the user ticks "keep" (then the file is moved to
$SHAREMAP_HOME/uploads with a random name and the page says where). Downloads of the findings (CSV and
Parquet, pseudonymised) are embedded in the answer as data URLs, so no server-side copy is needed.
"""

from __future__ import annotations

import base64
import csv
import io
import os
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sharemap.errors import InputError, SharemapError

DEFAULT_LIMIT_MB = 50.0
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def upload_limit_bytes(override: int | None = None) -> int:
    if override is not None:
        return override
    raw = os.environ.get("SHAREMAP_UPLOAD_LIMIT_MB", "")
    try:
        mb = float(raw) if raw else DEFAULT_LIMIT_MB
    except ValueError:
        mb = DEFAULT_LIMIT_MB
    return int(mb * 1024 * 1024)


def audit_available() -> tuple[bool, str]:
    try:
        from sharemap.audit.engine import run_audit  # noqa: F401
    except Exception as exc:
        return False, f"the auditor could not be loaded: {exc}"
    return True, ""


@dataclass
class AuditAnswer:
    result: Any  # sharemap.audit.schema.AuditResult
    csv_url: str
    parquet_url: str | None
    kept: str | None


def safe_name(name: str | None) -> str:
    base = os.path.basename((name or "upload").replace("\\", "/"))
    base = _SAFE.sub("_", base).strip("._") or "upload"
    return base[:80]


def run_upload(
    data: bytes,
    filename: str | None,
    state: str | None,
    keep: bool = False,
    retention_days: float | None = None,
) -> AuditAnswer:
    from sharemap.audit.engine import AuditOptions, run_audit

    if not data:
        raise InputError("the uploaded file is empty", file=safe_name(filename))
    tmp = tempfile.mkdtemp(prefix="sharemap-upload-")
    try:
        path = Path(tmp) / safe_name(filename)
        path.write_bytes(data)
        try:
            result = run_audit(
                [path], AuditOptions(state=state or None, retention_days=retention_days), engine="serial"
            )
        except SharemapError as exc:  # name the user's file, not the temporary path
            raise type(exc)(
                exc.message.replace(tmp + "/", ""),
                file=path.name,
                row=exc.row,
                field=exc.field,
                expected=exc.expected,
            ) from exc
        kept = None
        if keep:
            from sharemap.settings import home

            dest_dir = home() / "uploads"
            dest_dir.mkdir(parents=True, exist_ok=True)
            dest = dest_dir / f"{uuid.uuid4().hex}-{path.name}"
            shutil.copyfile(path, dest)
            kept = str(dest)
        rows = evidence_rows(result)
        return AuditAnswer(result, _data_url(_csv(rows), "text/csv"), _parquet_url(rows), kept)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


COLUMNS = (
    "rule_id",
    "severity",
    "org_name",
    "file",
    "row",
    "time",
    "user",
    "subject",
    "reason",
    "matched_terms",
)


def evidence_rows(result: Any) -> list[dict[str, Any]]:
    out = []
    for f in result.findings:
        for e in f.evidence:
            out.append(
                {
                    "rule_id": f.rule_id,
                    "severity": str(f.severity.value if hasattr(f.severity, "value") else f.severity),
                    "org_name": f.org_name,
                    "file": os.path.basename(e.file),
                    "row": e.row,
                    "time": e.time.isoformat() if e.time else None,
                    "user": e.user,
                    "subject": e.subject,
                    "reason": e.reason,
                    "matched_terms": ";".join(e.matched_terms),
                }
            )
    return out


def _csv(rows: list[dict[str, Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(COLUMNS))
    w.writeheader()
    for r in rows:
        # neutralise spreadsheet formulas in text cells
        w.writerow({k: ("'" + v if isinstance(v, str) and v[:1] in "=+-@" else v) for k, v in r.items()})
    return buf.getvalue().encode("utf-8")


def _parquet_url(rows: list[dict[str, Any]]) -> str | None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow is a core dependency
        return None
    table = pa.table({c: [r.get(c) for r in rows] for c in COLUMNS})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return _data_url(buf.getvalue(), "application/vnd.apache.parquet")


def _data_url(data: bytes, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")
