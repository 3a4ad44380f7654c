"""Network-audit aggregates: one row per searching organisation, not per search.

Some network audits are released (or published) only as totals per organisation: `org, searches,
first, last` (the Santa Clara PD audit's aggregates, `../shared/reference/alpr/santa-clara-network-
audit/`). Such a file names no reason, user or plate, so only the organisation rules can apply: each
organisation is read by the sharing layer's resolver (`sharemap.audit.orgs.classify_org`) and held
to the same rules and law questions (`sharemap.audit.rules`) as the rows of a per-search log, with
its searches as the count and its first and last search as the dates. The rows are read by the
sharing layer's reader (`sharemap.sharing.portals.read_network_audit`), the one `sharemap sharing`
uses for the same files. The task returns a `FilePartial` like any scan, so the summary and the
findings are merged and written by the same code.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from sharemap.audit import checks, rules
from sharemap.audit.model import FilePartial, FileTask, OrgClass, ReasonClass, RuleHit
from sharemap.audit.orgs import classify_org
from sharemap.audit.schema import Evidence, FileRead, System

FORMAT = "alpr-network-audit-aggregates"
COLUMNS = ("org", "searches", "first", "last")
NOT_IN_FILE = "(not in this file)"  # the reason key of every row: aggregates state no reasons
_NOTE = (
    "network-audit aggregates: one row per organisation (searches, first and last search); the file "
    "holds no reasons, users or plates, so only the organisation rules apply"
)


def is_aggregates(path: str | Path) -> bool:
    """Whether the file is a CSV whose header carries org, searches, first and last (read from its
    first line only; anything else, a binary file included, is left to the log readers)."""
    p = Path(path)
    if p.suffix.lower() not in (".csv", ".txt") or not p.is_file():
        return False
    try:
        with p.open("rb") as fh:
            head = fh.read(4096).decode("utf-8-sig", errors="replace")
    except OSError:
        return False
    lines = head.splitlines()  # any line ending, a lone CR included
    try:
        header = next(csv.reader(io.StringIO(lines[0])), []) if lines else []
    except csv.Error:
        return False
    return set(COLUMNS) <= {h.strip().lower() for h in header}


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)


def audit_aggregates(task: FileTask) -> FilePartial:
    """The per-file task for an aggregates file: counts by organisation, and the organisation rules'
    hits with one evidence row each (the file's row, the organisation's last search)."""
    from sharemap.sharing.portals import read_network_audit

    opts = task.options
    network = opts.org or Path(task.path).stem
    rows = read_network_audit(task.path, network, opts.state or "")
    read = FileRead(
        file=task.path, format=FORMAT, format_detected=True, container="csv", rows_read=len(rows),
        rows_unreadable=0, notes=[_NOTE],
    )  # fmt: skip
    part = FilePartial(
        index=task.index, read=read, system=System.PLATE_READER.value, file_index=task.file_index
    )
    part.classes[NOT_IN_FILE] = ReasonClass("not_in_file")
    for a in rows:
        part.searches += a.searches
        part.first = min(part.first or _at(a.first), _at(a.first))
        part.last = max(part.last or _at(a.last), _at(a.last))
        part.org_reason_month.append((a.org, NOT_IN_FILE, None, a.searches))
        info = classify_org(a.org, opts.state)
        part.orgs[a.org] = OrgClass(info.state, info.kind.value, info.org_type, info.basis)
    part.records = len(rows)
    org_rules = rules.restricted_org_rules(opts.state, part.system, part.last)
    active = [r for r in rules.active(False, False, org_rules) if r.match.column == "org_flag"]
    flagged: list[tuple[str, int, str, dt.date]] = []
    for row, a in enumerate(rows, start=2):
        for rule in active:
            if part.orgs[a.org].flag not in rule.match.values:
                continue
            hit = RuleHit(count=a.searches, span=(a.first, a.last))
            hit.evidence.append(Evidence(file=task.path, row=row, time=_at(a.last), org_name=a.org))
            part.hits.setdefault((rule.id, a.org), RuleHit()).absorb(hit)
            flagged.append((rule.id, row, a.org, a.last))
    if task.out_part:
        _write_out(task, flagged)
    return part


def _write_out(task: FileTask, flagged: list[tuple[str, int, str, dt.date]]) -> None:
    """`--out`: one row per organisation and rule broken, in the columns of a log's flagged rows."""
    import duckdb

    assert task.out_part is not None
    checks.write_empty_hits(task.out_part)
    if not flagged:
        return
    con = duckdb.connect()
    try:
        con.execute(f"CREATE TABLE hits AS SELECT * FROM read_parquet('{task.out_part}')")
        con.executemany(
            "INSERT INTO hits (rule_id, file, file_index, row, time, org_name) VALUES (?, ?, ?, ?, ?, ?)",
            [(rule, task.path, task.file_index, row, _at(last), org) for rule, row, org, last in flagged],
        )
        con.execute(f"COPY (SELECT * FROM hits ORDER BY row, rule_id) TO '{task.out_part}' (FORMAT parquet)")
    finally:
        con.close()
