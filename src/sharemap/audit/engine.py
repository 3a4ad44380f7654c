"""Run an audit: one task per file or piece of a file (the same DuckDB queries on every engine).

Each task reads its file in one streaming pass with bounded memory: one aggregate query (GROUPING
SETS, see `_scan_sql`) over the finest key the summaries and checks need (organisation, reason,
month, read problems, look-back hit, sweep hit), plus the reach, look-back and user histograms, into a
small table. Second-stage queries on that table give every summary count, the distinct reasons and
organisations, the unreadable rows, and, per (organisation, reason, look-back hit, sweep hit), the
count, the largest reach and the numbers of the first `evidence_limit` rows. Reasons and
organisations are then classified once per distinct value (the classifier's rules, in Python), and
each rule's hits are put together from the groups it covers. The full list of flagged rows is written
(one more pass) only when `--out` asks for it.

Large Parquet files are split by row groups and large CSV files into pieces (`sharemap.audit.pieces`)
on the local and Ray engines. Once every task is back, each rule's first rows over all tasks are
chosen and read by number in a second round (`pick_rows`). Partial results are merged in file and row
order, so every engine, and every way of cutting a file, gives identical results.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb

from sharemap.audit import checks
from sharemap.audit.classify import Classifier, default_classifier
from sharemap.audit.formats.spec import FormatSpec, load_mapping
from sharemap.audit.lawlink import RetentionPeriod, retention_periods
from sharemap.audit.orgs import classify_org
from sharemap.audit.pieces import PIECE_BYTES, CsvPiece, cut_points, may_cut
from sharemap.audit.pseudo import Pseudonymiser
from sharemap.audit.schema import (
    AuditResult,
    Evidence,
    FileRead,
    Histogram,
    ReadIssue,
    Summary,
    ranked,
)
from sharemap.audit.source import (
    BAD_NUMBER,
    BAD_TIME,
    BAD_WINDOW,
    Opened,
    count_rejects,
    one_line,
    open_log,
    read_rejects,
)
from sharemap.errors import InputError
from sharemap.runner import Engine, run_tasks

MIXED_DATES = 8  # bit in `bad`: time parsed, but not in the file's main date form


@dataclass(frozen=True)
class AuditOptions:
    """Settings of one run; every task gets the same copy."""

    state: str | None = None
    format: str | None = None
    mapping: str | None = None
    encoding: str | None = None
    org: str | None = None
    retention_days: float | None = None  # given: one limit for every search
    retention_periods: tuple[RetentionPeriod, ...] = ()  # else the state's limits, by search date
    sweep_networks: int = 100
    sweep_devices: int = 10_000
    evidence_limit: int = 100
    issue_limit: int | None = 200  # problem rows listed per file (None: all); the total is always counted
    sheet: str | None = None  # XLSX: the worksheet to read (default: the first visible one)
    hidden_sheets: bool = False  # XLSX: hidden sheets may be read too
    reveal: bool = False
    terms: str | None = None
    threads: int | None = None
    memory_limit: str = "1GB"


@dataclass
class FilePartial:
    """What one task returns (small; merged by `merge`)."""

    index: int
    read: FileRead
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    searches: int = 0
    org_reason_month: list[tuple[str | None, str, str | None, int]] = field(default_factory=list)
    networks: dict[int, int] = field(default_factory=dict)
    devices: dict[int, int] = field(default_factory=dict)
    lookback: dict[int, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)  # pseudonymised unless reveal
    classes: dict[str, tuple[str, str | None, tuple[str, ...]]] = field(default_factory=dict)
    orgs: dict[str, tuple[str | None, str]] = field(default_factory=dict)
    hits: dict[tuple[str, str | None], dict[str, Any]] = field(default_factory=dict)
    issues: list[ReadIssue] = field(default_factory=list)
    issues_total: int = 0
    system: str = "other"
    file_index: int = 0
    piece: bool = False  # a byte range of a CSV: rows numbered from the piece's start until merged
    records: int = 0  # records read or rejected (to number the rows of the next piece)
    rejected: int = 0  # records the CSV parser rejected
    mixed_dates: int = 0  # rows read in a date form other than the file's main one


@dataclass(frozen=True)
class FileTask:
    index: int  # position of the task; tasks are in file order, then row order
    path: str
    options: AuditOptions
    key: bytes
    out_part: str | None = None
    file_index: int = 0
    rows: tuple[int, int] | None = None  # Parquet: records [start, end) of the file
    piece: CsvPiece | None = None  # CSV: a byte range of the file
    pick: tuple[int, ...] = ()  # pick_rows: the evidence rows wanted (numbered as audit_file did)


def _connect(options: AuditOptions, tmp: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{options.memory_limit}'")
    con.execute(f"SET temp_directory = '{tmp}'")
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = false")
    if options.threads:
        con.execute(f"SET threads = {int(options.threads)}")
    return con


@contextlib.contextmanager
def _opened(task: FileTask) -> Iterator[tuple[duckdb.DuckDBPyConnection, Opened]]:
    """The task's file (or piece of it) opened in a fresh DuckDB connection with its own temp dir."""
    opts = task.options
    mapping: FormatSpec | None = load_mapping(opts.mapping) if opts.mapping else None
    tmp = tempfile.mkdtemp(prefix="sharemap-audit-")
    try:
        con = _connect(opts, tmp)
        piece = task.piece
        source = piece.write(task.path, Path(tmp) / f"piece{Path(task.path).suffix}") if piece else task.path
        opened = open_log(
            con,
            source,
            forced_format=opts.format,
            mapping=mapping,
            encoding=piece.encoding if piece else opts.encoding,
            org_name=opts.org,
            tag=str(task.index),
            row_range=task.rows,
            name=task.path,
            time_formats=piece.time_formats if piece else None,
            sheet=opts.sheet,
            hidden_sheets=opts.hidden_sheets,
        )
        try:
            yield con, opened
        except duckdb.Error as exc:  # a malformed file the readers could not route around
            raise InputError(f"cannot read as {opened.spec.name}: {one_line(exc)}", file=task.path) from exc
        finally:
            con.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def audit_file(task: FileTask) -> FilePartial:
    """The per-file task: read, aggregate, classify, find the rule hits. Picklable for Ray."""
    opts = task.options
    classifier = Classifier.from_file(opts.terms) if opts.terms else default_classifier()
    pseudo = Pseudonymiser(key=task.key, reveal=opts.reveal)
    with _opened(task) as (con, opened):
        return _aggregate(con, opened, task, classifier, pseudo)


EVIDENCE_COLUMNS = (
    "event_id", "time", "org_name", "user", "subject", "reason", "networks", "devices", "lookback_days",
)  # fmt: skip


def pick_rows(task: FileTask) -> dict[int, tuple[Any, ...]]:
    """The second task: the evidence rows `task.pick` (row numbers as the first task counted them),
    read by number, converting nothing else and stopping after the last one. Picklable for Ray."""
    wanted = sorted(set(task.pick))
    if not wanted:
        return {}
    import pyarrow as pa

    with _opened(task) as (con, opened):
        con.register("want_rn", pa.table({"rn": pa.array(wanted, pa.int64())}))
        rows = con.execute(
            f"SELECT rn, {', '.join(EVIDENCE_COLUMNS)} FROM ({opened.pick('want_rn', wanted[-1], wanted)})"
        ).fetchall()
    return {int(r[0]): tuple(r[1:]) for r in rows}


def _aggregate(
    con: duckdb.DuckDBPyConnection,
    opened: Opened,
    task: FileTask,
    classifier: Classifier,
    pseudo: Pseudonymiser,
) -> FilePartial:
    opts = task.options
    file = opened.file
    # the one pass, into a small table; the second stage (below) reads the summaries from it without
    # the row-number lists, and merges the lists of the fine groups into the evidence groups in SQL
    con.execute(f"CREATE OR REPLACE TEMP TABLE agg AS {_scan_sql(opts)}")
    k = max(1, int(opts.evidence_limit))
    i = _scan_issue_limit(opts)
    rows = con.execute(
        "SELECT g_fine, g_n, g_d, g_lb, g_u, org_name, reason, m, bad, networks, devices, lb, user, "
        "n, n_all, t0, t1 FROM agg"
    ).fetchall()
    ev_groups = con.execute(f"""
        SELECT org_name, reason, lbh, swh, sum(n), max(max_n), max(max_d), max(max_lb),
               list_sort(flatten(list(ev_rns)))[1:{k}]
        FROM agg WHERE g_fine = 0 AND n > 0 GROUP BY org_name, reason, lbh, swh
    """).fetchall()  # fmt: skip
    odd_row = con.execute(
        f"SELECT list_sort(flatten(list(odd_rns)))[1:{i}] FROM agg WHERE g_fine = 0 AND bad <> 0"
    ).fetchone()
    odd_rows: list[int] = [int(x) for x in (odd_row[0] if odd_row and odd_row[0] else [])]
    if opts.issue_limit is None or opts.issue_limit > i:  # more than the scan keeps: one more pass
        lim = "" if opts.issue_limit is None else f" LIMIT {int(opts.issue_limit)}"
        odd_rows = [
            int(r[0])
            for r in con.execute(
                "SELECT rn FROM (SELECT rn, bad, main_form FROM ev_rn) "
                f"WHERE bad <> 0 OR (NOT main_form AND bad & {BAD_TIME} = 0) ORDER BY rn{lim}"
            ).fetchall()
        ]
    con.execute("DROP TABLE agg")
    part = FilePartial(
        index=task.index,
        read=FileRead(
            file=file,
            format=opened.spec.name,
            format_detected=opened.detected,
            container=opened.container,
            rows_read=0,
            rows_unreadable=0,
            time_formats=[],
            notes=list(opened.notes),
        ),
    )
    part.system = opened.spec.system.value
    part.file_index = task.file_index
    part.piece = task.piece is not None
    bad_counts: Counter[int] = Counter()
    orm: Counter[tuple[str | None, str, str | None]] = Counter()
    for (g_fine, g_n, g_d, g_lb, g_u, org, reason, m, bad, n, d, lb, user,
         cnt, cnt_all, t0, t1) in rows:  # fmt: skip
        if not g_fine:
            if cnt:
                month = f"{int(m) // 100:04d}-{int(m) % 100:02d}" if m is not None else None
                orm[(org, reason or "", month)] += int(cnt)
            part.searches += int(cnt)
            if t0 is not None and (part.first is None or t0 < part.first):
                part.first = t0
            if t1 is not None and (part.last is None or t1 > part.last):
                part.last = t1
            bad_counts[int(bad)] += int(cnt_all)
        elif not g_n and n is not None and cnt:
            part.networks[int(n)] = int(cnt)
        elif not g_d and d is not None and cnt:
            part.devices[int(d)] = int(cnt)
        elif not g_lb and lb is not None and cnt:
            part.lookback[int(lb)] = int(cnt)
        elif not g_u and user is not None and cnt:
            pu = pseudo("user", user) or ""
            part.users[pu] = part.users.get(pu, 0) + int(cnt)
    # evidence groups (organisation, reason, look-back hit, sweep hit): the first rows of a group are
    # among the first rows of its fine groups
    groups = [
        _Group(org, reason, bool(lbh), bool(swh), int(cnt), max_n, max_d, max_lb, [int(x) for x in rns or []])
        for org, reason, lbh, swh, cnt, max_n, max_d, max_lb, rns in ev_groups
    ]
    # a fixed order, whatever order the groups came out of the hash tables in
    part.org_reason_month = [(o, r, m, n) for (o, r, m), n in sorted(orm.items(), key=_orm_key)]

    # classify distinct reasons and organisations once
    for r in sorted({r for _, r, _, _ in part.org_reason_month} | {g.reason or "" for g in groups}):
        c = classifier.classify(r)
        part.classes[r] = (c.category, c.level, c.terms)
    fixed_kind = opened.spec.org_kind
    for org in {o for o, _, _, _ in part.org_reason_month}:
        info = classify_org(org, opts.state, fixed_kind)
        part.orgs[org or ""] = (info.state, info.kind.value)

    # what can be flagged
    flag_reasons = {r: c for r, c in part.classes.items() if c[0] in checks.REASON_RULES}
    restricted = checks.restricted_org_kinds(opts.state, part.system, part.last)
    flag_orgs = {o: k for o, (_, k) in part.orgs.items() if k in restricted}
    any_lb = any(g.lb_hit for g in groups)
    any_sweep = any(k > opts.sweep_networks for k in part.networks) or any(
        k > opts.sweep_devices for k in part.devices
    )
    rejected = count_rejects(con, opened)
    unreadable = sum(v for k, v in bad_counts.items() if k & BAD_TIME)
    part.read.rows_read = part.searches
    part.read.rows_unreadable = unreadable + rejected
    part.rejected = rejected
    part.records = sum(bad_counts.values()) + rejected
    part.mixed_dates = sum(v for k, v in bad_counts.items() if k & MIXED_DATES)
    part.read.time_formats = opened.time_formats[: 1 + (1 if part.mixed_dates else 0)]

    # rejected rows (parser level), listed by line
    rej = read_rejects(con, opened, limit=opts.issue_limit)
    reject_lines = sorted({x["line"] for x in read_rejects(con, opened)}) if rejected else []
    enc_bad = [x for x in rej if "encoding" in x["kind"] or "unicode" in x["kind"]]
    if enc_bad:
        part.read.notes.append(
            f"not UTF-8: rows with undecodable bytes (first at line {enc_bad[0]['line']}); re-run with "
            "--encoding latin-1 (or cp1252) to read them"
        )
    for x in rej:
        # never the row's text: it holds plates and names, which every output pseudonymises
        part.issues.append(
            ReadIssue(
                file=file,
                row=x["line"] if opened.container == "xlsx" else None,  # a sheet row, exactly
                line=None if opened.container == "xlsx" else x["line"],
                field=_column_label(opened, x["column"]),
                kind=x["kind"],
                message=reject_message(x["kind"], x["message"]),
            )
        )
    part.issues_total = rejected + sum(v for k, v in bad_counts.items() if k)
    if rejected and part.searches == 0 and unreadable == 0:
        first: dict[str, Any] = rej[0] if rej else {"line": 2, "message": "rejected"}
        hint = ""
        if opened.delimiter and first.get("text"):
            for cand in (";", "\t", "|", ","):
                if cand != opened.delimiter and cand in str(first["text"]):
                    hint = f" (rows look {cand!r}-separated but the header is {opened.delimiter!r}-separated)"
                    break
        raise InputError(
            f"no readable rows: {rejected:,} row(s) rejected; first: "
            f"{reject_message(str(first.get('kind', '')), str(first['message']))}{hint}",
            file=file,
            row=int(first["line"]),
        )

    shift = _row_shifter(reject_lines)
    _odd_issues(part, con, opened, sorted(odd_rows)[: opts.issue_limit], shift)
    _rule_hits(part, opts, groups, flag_reasons, flag_orgs, any_lb, any_sweep, shift)
    if task.out_part:
        if flag_reasons or flag_orgs or any_lb or any_sweep:
            _write_out(con, opts, flag_reasons, flag_orgs, any_lb, any_sweep, pseudo, task, reject_lines)
        else:
            checks.write_empty_hits(task.out_part)
    return part


@dataclass
class _Group:
    """Readable rows of one organisation with one reason, look-back hit and sweep hit (from the scan)."""

    org: str | None
    reason: str | None
    lb_hit: bool
    sweep_hit: bool
    count: int
    max_networks: Any
    max_devices: Any
    max_lookback: Any
    rows: list[int]  # the first `evidence_limit` row numbers


def _orm_key(item: tuple[tuple[str | None, str, str | None], int]) -> tuple[str, str, str]:
    (o, r, m), _ = item
    return (o or "", r, m or "")


def _scan_sql(opts: AuditOptions) -> str:
    """The one pass over the file: every summary, the read problems and the evidence groups.

    Grouping sets: the fine key (organisation, reason, month, bad, look-back hit, sweep hit), with the
    counts, times, largest reach and the first row numbers (readable rows, and rows with a read
    problem) of each fine group; and one each for the reach, look-back and user histograms. Everything
    else is derived from the fine groups afterwards (see `_aggregate`): the counts by organisation,
    reason and month, and the evidence groups (organisation, reason, look-back hit, sweep hit), whose
    first rows are among the first rows of their fine groups. Only row numbers are kept in the scan:
    keeping whole rows costs a copy per row and grouping set, far more than picking the few evidence
    rows by number afterwards. Measured alternatives (docs/audit.md, Performance): a histogram()
    aggregate per fine group, or reach values folded into the fine key, were slower.
    """
    k = max(1, int(opts.evidence_limit))
    i = _scan_issue_limit(opts)
    lbh = _lookback_hit_sql(opts)
    swh = (
        f"(coalesce(networks, 0) > {int(opts.sweep_networks)} "
        f"OR coalesce(devices, 0) > {int(opts.sweep_devices)})"
    )
    return f"""
        SELECT GROUPING(org_name, reason, m, bad, lbh, swh) AS g_fine, GROUPING(networks) AS g_n,
               GROUPING(devices) AS g_d, GROUPING(lb) AS g_lb, GROUPING(user) AS g_u,
               org_name, reason, m, bad, lbh, swh, networks, devices, lb, user,
               count(*) FILTER (WHERE ok) AS n, count(*) AS n_all, min(time) AS t0, max(time) AS t1,
               max(networks) FILTER (WHERE ok) AS max_n, max(devices) FILTER (WHERE ok) AS max_d,
               max(lookback_days) FILTER (WHERE ok) AS max_lb,
               min_by(rn, rn, {k}) FILTER (WHERE ok) AS ev_rns,
               min_by(rn, rn, {i}) FILTER (WHERE bad <> 0) AS odd_rns
        FROM (
          SELECT rn, org_name, reason,
                 datepart('year', time) * 100 + datepart('month', time) AS m, networks, devices,
                 CAST(floor(lookback_days) AS BIGINT) AS lb, lookback_days, user, time,
                 bad & {BAD_TIME} = 0 AS ok,
                 bad + CASE WHEN bad & {BAD_TIME} = 0 AND NOT main_form THEN {MIXED_DATES} ELSE 0 END AS bad,
                 coalesce({lbh}, false) AS lbh, {swh} AS swh
          FROM ev_rn
        )
        GROUP BY GROUPING SETS ((org_name, reason, m, bad, lbh, swh), (networks), (devices), (lb), (user))
    """  # fmt: skip


def _lookback_hit_sql(opts: AuditOptions) -> str:
    """SQL: does the row's look-back exceed the retention limit for its search date?"""
    if opts.retention_days is not None:
        return f"lookback_days > {float(opts.retention_days)}"
    if not opts.retention_periods:
        return "false"
    whens = " ".join(
        f"WHEN time >= TIMESTAMP '{p.start}'" + (f" AND time < TIMESTAMP '{p.end}'" if p.end else "")
        + f" THEN lookback_days > {float(p.days)}"
        for p in opts.retention_periods
    )  # fmt: skip
    return f"(CASE {whens} ELSE false END)"


_SCAN_ISSUES_MAX = 999_999  # DuckDB's min_by(arg, val, n) takes n < 1,000,000


def _scan_issue_limit(opts: AuditOptions) -> int:
    """Problem rows the one scan keeps per group (more, or all, are read in one more pass)."""
    if opts.issue_limit is None:
        return _SCAN_ISSUES_MAX
    return max(1, min(int(opts.issue_limit), _SCAN_ISSUES_MAX))


def _column_label(opened: Opened, column: str | None) -> str | None:
    """The header name of a source column `c<i>` (as the CSV and XLSX readers name them)."""
    if column and column.startswith("c") and column[1:].isdigit():
        i = int(column[1:])
        if i < len(opened.header):
            return opened.header[i] or column
    return column


_REJECT_TEXT = {
    "too_many_columns": "more fields than the header",
    "missing_columns": "fewer fields than the header",
    "unquoted_value": "unterminated quote (a field opened with a quote never closes)",
    "invalid_encoding": "bytes that are not valid text in the file's encoding",
    "invalid_unicode": "bytes that are not valid text in the file's encoding",
    "line_size_over_maximum": "a line longer than the parser's maximum",
    "cast_error": "a value that cannot be converted",
}
_COUNTS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


def reject_message(kind: str, message: str | None) -> str:
    """What was wrong with a rejected row, in our own words: never the parser's text, which may quote
    the row (plates, names). Field counts are kept (they hold no data)."""
    text = _REJECT_TEXT.get(kind)
    if text is None:
        if kind == "formula_without_value" and message:
            return message  # written by our XLSX reader, quotes no cell
        text = f"row rejected by the parser ({kind.replace('_', ' ') or 'unknown problem'})"
    counts = _COUNTS.search(message or "")
    if counts:
        text += f": {counts.group(2)} field(s), {counts.group(1)} expected"
    return text + "; row not audited"


def _odd_issues(
    part: FilePartial,
    con: duckdb.DuckDBPyConnection,
    opened: Any,
    odd: list[int],
    shift: Callable[[int], int],
) -> None:
    """List the rows with an unreadable time, a bad count or window, or a second date form."""
    if not odd:
        return
    import pyarrow as pa

    con.register("odd_rn", pa.table({"rn": pa.array(odd, pa.int64())}))
    got = con.execute(
        f"SELECT rn, bad, main_form FROM ({opened.pick('odd_rn', max(odd), odd)}) ORDER BY rn"
    ).fetchall()
    con.unregister("odd_rn")
    for rn, bad, main_form in got:
        row = shift(int(rn))
        for flag, field_name, kind, message in _ROW_ISSUES:
            if bad & flag:
                part.issues.append(
                    ReadIssue(file=part.read.file, row=row, field=field_name, kind=kind, message=message)
                )
        if not main_form and not bad & BAD_TIME:
            part.issues.append(
                ReadIssue(
                    file=part.read.file,
                    row=row,
                    field="time",
                    kind="mixed_date_form",
                    message="search time in a different date form from the rest of the file "
                    "(read, but check the export)",
                )
            )


_ROW_ISSUES = (
    (BAD_TIME, "time", "unreadable_time", "search time missing or in no known date form; row not audited"),
    (BAD_NUMBER, "networks/devices", "bad_number", "count is not a whole number; read as missing"),
    (
        BAD_WINDOW,
        "window_start",
        "bad_window",
        "time-window start in no known date form; look-back not checked",
    ),
)
"""Per-row read problems, by the bit the scan sets in `bad`: (bit, field, kind, message)."""


def _rule_hits(
    part: FilePartial,
    opts: AuditOptions,
    groups: list[_Group],
    flag_reasons: dict[str, tuple[str, str | None, tuple[str, ...]]],
    flag_orgs: dict[str, str],
    any_lb: bool,
    any_sweep: bool,
    shift: Callable[[int], int],
) -> None:
    """Rule hits per organisation from the evidence groups, with the numbers of their first rows.

    The rows themselves are read afterwards (`pick_rows`), once the first rows of each rule over
    every task are known: a piece of a file read side by side with others cannot know them alone.
    """
    limit = int(opts.evidence_limit)
    rules = checks.rule_matchers(any_lb, any_sweep)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for g in groups:
        o = g.org or ""
        cls = flag_reasons.get(g.reason or "")
        flags = {
            "category": cls[0] if cls else None,
            "org_flag": flag_orgs.get(o),
            "lb_hit": g.lb_hit,
            "sweep_hit": g.sweep_hit,
        }
        for rule, match in rules.items():
            if not match(flags):
                continue
            f = found.setdefault(
                (rule, o),
                {"count": 0, "max_networks": None, "max_devices": None, "max_lookback": None, "rows": []},
            )
            f["count"] += g.count
            for key, val in (
                ("max_networks", g.max_networks),
                ("max_devices", g.max_devices),
                ("max_lookback", g.max_lookback),
            ):
                if val is not None and (f[key] is None or val > f[key]):
                    f[key] = val
            f["rows"].extend(g.rows)
    # matched terms and levels per (rule, organisation) from the classified reason groups
    terms: dict[tuple[str, str], Counter[str]] = {}
    levels: dict[tuple[str, str], Counter[str]] = {}
    rule_of = {"immigration": "immigration_purpose", "immigration_ambiguous": "immigration_review"}
    for org, reason, _, cnt in part.org_reason_month:
        cat, level, ts = part.classes[reason]
        rule_id = rule_of.get(cat)
        if rule_id:
            k = (rule_id, org or "")
            terms.setdefault(k, Counter()).update({t: cnt for t in ts})
            if level:
                levels.setdefault(k, Counter())[level] += cnt
    for (rule, o), f in found.items():
        part.hits[(rule, o or None)] = {
            "count": f["count"],
            "levels": dict(levels.get((rule, o), {})),
            "terms": dict(terms.get((rule, o), {})),
            "max_networks": f["max_networks"],
            "max_devices": f["max_devices"],
            "max_lookback": f["max_lookback"],
            "rows": [(rn, shift(rn)) for rn in sorted(f["rows"])[:limit]],  # (number read, file row)
            "evidence": [],
        }


def _attach_evidence(
    tasks: Sequence[FileTask],
    parts: Sequence[FilePartial],
    options: AuditOptions,
    pseudo: Pseudonymiser,
    run: Callable[[Callable[[FileTask], Any], list[FileTask]], list[Any]],
    offsets: dict[int, int],
) -> None:
    """Choose each rule's first `evidence_limit` rows over all tasks, read them (`pick_rows`, one
    task per file or piece that holds some) and attach them, pseudonymised, to the hits."""
    chosen: dict[tuple[str, str | None], list[tuple[FilePartial, int, int]]] = {}
    for p in sorted(parts, key=lambda p: p.index):  # file order, then row order
        for key, hit in p.hits.items():
            rows = chosen.setdefault(key, [])
            for rn, row in hit["rows"][: max(0, options.evidence_limit - len(rows))]:
                rows.append((p, rn, row + offsets.get(p.index, 0)))
    wanted: dict[int, set[int]] = {}
    for rows in chosen.values():
        for p, rn, _ in rows:
            wanted.setdefault(p.index, set()).add(rn)
    by_index = {t.index: t for t in tasks}
    pick = [replace(by_index[i], pick=tuple(sorted(rns))) for i, rns in sorted(wanted.items())]
    picked = dict(zip((t.index for t in pick), run(pick_rows, pick), strict=True))
    for key, rows in chosen.items():
        for p, rn, row in rows:
            values = dict(zip(EVIDENCE_COLUMNS, picked[p.index][rn], strict=True))
            cat, _, terms = p.classes.get(values["reason"] or "", ("", None, ()))
            lookback = values["lookback_days"]
            p.hits[key]["evidence"].append(
                Evidence(
                    file=p.read.file,
                    row=row,
                    event_id=values["event_id"],
                    time=values["time"],
                    org_name=values["org_name"],
                    user=pseudo("user", values["user"]),
                    subject=pseudo("plate", values["subject"]),
                    reason=pseudo.text(values["reason"]),
                    networks=values["networks"],
                    devices=values["devices"],
                    lookback_days=None if lookback is None else round(float(lookback), 2),
                    matched_terms=list(terms) if cat in checks.REASON_RULES else [],
                )
            )


def _write_out(
    con: duckdb.DuckDBPyConnection,
    opts: AuditOptions,
    flag_reasons: dict[str, tuple[str, str | None, tuple[str, ...]]],
    flag_orgs: dict[str, str],
    any_lb: bool,
    any_sweep: bool,
    pseudo: Pseudonymiser,
    task: FileTask,
    reject_lines: list[int],
) -> None:
    """`--out` only: every flagged row, one per rule broken, to Parquet (one more pass over the file)."""
    import pyarrow as pa

    con.register(
        "flag_reasons",
        pa.table(
            {
                "r": list(flag_reasons),
                "category": [c[0] for c in flag_reasons.values()],
                "level": [c[1] for c in flag_reasons.values()],
                "terms": [list(c[2]) for c in flag_reasons.values()],
            },
            schema=pa.schema(
                [("r", pa.string()), ("category", pa.string()), ("level", pa.string()),
                 ("terms", pa.list_(pa.string()))]
            ),
        ),
    )  # fmt: skip
    con.register(
        "flag_orgs",
        pa.table(
            {"o": list(flag_orgs), "kind": list(flag_orgs.values())},
            schema=pa.schema([("o", pa.string()), ("kind", pa.string())]),
        ),
    )
    lb = _lookback_hit_sql(opts) if any_lb else "false"
    sw = (
        f"(coalesce(networks, 0) > {int(opts.sweep_networks)} "
        f"OR coalesce(devices, 0) > {int(opts.sweep_devices)})"
        if any_sweep
        else "false"
    )
    con.execute(f"""
        CREATE TEMP VIEW hits AS
        SELECT ev_rn.*, fr.category, fr.level, fr.terms, fo.kind AS org_flag, {lb} AS lb_hit,
               {sw} AS sweep_hit
        FROM ev_rn
        LEFT JOIN flag_reasons fr ON coalesce(ev_rn.reason, '') = fr.r
        LEFT JOIN flag_orgs fo ON coalesce(ev_rn.org_name, '') = fo.o
        WHERE (fr.r IS NOT NULL OR fo.o IS NOT NULL OR {lb} OR {sw}) AND bad & {BAD_TIME} = 0
    """)  # fmt: skip
    assert task.out_part is not None
    checks.write_hits(con, task.out_part, pseudo, any_lb, any_sweep, reject_lines, task.file_index)


def _row_shifter(reject_lines: list[int]) -> Callable[[int], int]:
    """Row numbers of readable records, counting the records the parser rejected before them.

    `rn` numbers readable records only (first = 2). With rejected records at rows r_1 < r_2 < ...,
    the k-th readable record is at row k + #{j: r_j - j <= k}. Rejected records are located by their
    line (exact unless a field spans lines before them).
    """
    if not reject_lines:
        return lambda rn: rn
    adj = [r - j for j, r in enumerate(reject_lines)]  # r_j - j (0-based j)

    def shift(rn: int) -> int:
        import bisect

        return rn + bisect.bisect_right(adj, rn)

    return shift


def merge(
    parts: Sequence[FilePartial],
    options: AuditOptions,
    engine: str,
    pseudo: Pseudonymiser,
    notices: list[str],
    offsets: dict[int, int],
) -> AuditResult:
    """Merge per-file partials (in file order) into one result with findings, summary and issues;
    `offsets` (`piece_offsets`) renumbers the read issues of CSV pieces as rows of the whole file."""
    parts = sorted(parts, key=lambda p: p.index)
    for p in parts:
        _renumber(p, offsets.get(p.index, 0))
    summary = _summary(parts, pseudo)
    findings = checks.build_findings(parts, options, summary)
    issues: list[ReadIssue] = []
    total = 0
    for file_parts in _by_file(parts):
        issues.extend(_first_rows(file_parts, options.issue_limit))
        total += sum(p.issues_total for p in file_parts)
    return AuditResult(
        files=[_merge_read(file_parts) for file_parts in _by_file(parts)],
        state=options.state,
        engine=engine,
        pseudonymised=not options.reveal,
        settings={
            "retention_days": options.retention_days,
            "retention_periods": [
                {"from": str(p.start), "to": str(p.end) if p.end else None, "days": p.days, "law": p.citation}
                for p in options.retention_periods
            ],
            "sweep_networks": options.sweep_networks,
            "sweep_devices": options.sweep_devices,
            "evidence_limit": options.evidence_limit,
            "terms": options.terms or "shipped (sharemap/audit/terms.yaml)",
        },
        summary=summary,
        findings=findings,
        issues=issues,
        issues_total=total,
        notices=notices,
    )


def piece_offsets(parts: Sequence[FilePartial]) -> dict[int, int]:
    """Task index -> records before it in its file, for the pieces of CSV files (in task order)."""
    offsets: dict[int, int] = {}
    before: Counter[int] = Counter()
    for p in sorted(parts, key=lambda p: p.index):
        if p.piece:
            offsets[p.index] = before[p.file_index]
            before[p.file_index] += p.records
    return offsets


def _renumber(part: FilePartial, offset: int) -> None:
    """Row numbers of a piece's read issues as rows of the whole file (evidence rows are numbered
    when they are attached)."""
    if not offset:
        return
    for issue in part.issues:
        if issue.row is not None:
            issue.row += offset


def _by_file(parts: Sequence[FilePartial]) -> list[list[FilePartial]]:
    """Tasks grouped by file (tasks are in file order)."""
    groups: list[list[FilePartial]] = []
    for p in parts:
        if groups and groups[-1][0].file_index == p.file_index:
            groups[-1].append(p)
        else:
            groups.append([p])
    return groups


def _first_rows(parts: list[FilePartial], limit: int | None) -> list[ReadIssue]:
    """The issues of one file's tasks, up to `limit` rows (as one task over the whole file lists)."""
    if len(parts) == 1 or limit is None:
        return list(parts[0].issues)
    out: list[ReadIssue] = []
    rows: set[int] = set()
    for issue in (i for p in parts for i in p.issues):
        if issue.row is not None and issue.row not in rows:
            if len(rows) >= limit:
                continue
            rows.add(issue.row)
        out.append(issue)
    return out


def _merge_read(parts: list[FilePartial]) -> FileRead:
    """One FileRead per file, adding up the tasks (row groups or pieces) of the file."""
    read = parts[0].read.model_copy(deep=True)
    for r in (p.read for p in parts[1:]):
        read.rows_read += r.rows_read
        read.rows_unreadable += r.rows_unreadable
        read.notes = list(dict.fromkeys(read.notes + r.notes))
        read.time_formats = list(dict.fromkeys(read.time_formats + r.time_formats))
    mixed = sum(p.mixed_dates for p in parts)
    if mixed:
        read.notes.append(
            f"mixed date forms: {mixed:,} row(s) not in the main form {read.time_formats[0]!r}; "
            "read with the other forms listed"
        )
    return read


Plan = list[tuple[int, Path, tuple[int, int] | None, CsvPiece | None]]


def _plan(files: Sequence[Path], options: AuditOptions, split: bool, chunks: int) -> Plan:
    """(file index, file, Parquet record range, CSV piece) per task.

    When `split`, Parquet files with several row groups are split into up to `chunks` contiguous
    ranges of row groups, and plain CSV files of at least PIECE_MIN_BYTES into pieces of at most
    about PIECE_BYTES, and into at least `chunks` pieces over all files (sharemap.audit.pieces).
    """
    plan: Plan = []
    for fi, f in enumerate(files):
        if split and f.suffix.lower() == ".parquet":
            ranges = _row_group_ranges(f, chunks)
            if len(ranges) > 1:
                plan.extend((fi, f, r, None) for r in ranges)
                continue
        elif split and f.is_file() and may_cut(f):
            # enough pieces to keep every worker busy, counting the other files, and none over PIECE_BYTES
            per_file = max(-(-chunks // len(files)), -(-f.stat().st_size // PIECE_BYTES))
            pieces = _csv_pieces(f, options, per_file) if per_file > 1 else []
            if len(pieces) > 1:
                plan.extend((fi, f, None, piece) for piece in pieces)
                continue
        plan.append((fi, f, None, None))
    return plan


def _row_group_ranges(f: Path, chunks: int) -> list[tuple[int, int]]:
    try:
        rows = (
            duckdb.connect()
            .execute(
                "SELECT row_group_id, any_value(row_group_num_rows) FROM parquet_metadata(?) "
                "GROUP BY 1 ORDER BY 1",
                [str(f)],
            )
            .fetchall()
        )
    except duckdb.Error:
        return []
    groups = [int(n) for _, n in rows]
    if len(groups) < 2:
        return []
    k = min(len(groups), max(2, chunks))
    total = sum(groups)
    start, acc = 0, 0
    bounds: list[int] = []
    for n in groups:
        acc += n
        if len(bounds) < k - 1 and (acc + n / 2) * k >= total * (len(bounds) + 1):
            bounds.append(acc)
    ranges = []
    for end in [*bounds, total]:
        if end > start:
            ranges.append((start, end))
        start = end
    return ranges


def _csv_pieces(f: Path, options: AuditOptions, pieces: int) -> list[CsvPiece]:
    """Pieces of a plain (not compressed) CSV file, sharing the date forms found in the whole file."""
    tmp = tempfile.mkdtemp(prefix="sharemap-plan-")
    try:
        con = _connect(options, tmp)
        opened = open_log(
            con,
            f,
            forced_format=options.format,
            mapping=load_mapping(options.mapping) if options.mapping else None,
            encoding=options.encoding,
            org_name=options.org,
        )
        con.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if opened.container != "csv" or not opened.delimiter:
        return []
    points = cut_points(f, pieces, opened.delimiter, len(opened.header), opened.encoding)
    return [
        CsvPiece(start, end, points[0], opened.encoding, tuple(opened.time_formats))
        for start, end in itertools.pairwise(points)
    ]


def _read_whole_if_rejected(
    tasks: list[FileTask],
    parts: list[FilePartial],
    run: Callable[[Callable[[FileTask], Any], list[FileTask]], list[Any]],
) -> tuple[list[FileTask], list[FilePartial]]:
    """Audit again, in one piece, every CSV file of which a piece had rows the parser rejected.

    A rejected record may be a cut inside a quoted field, and rejected rows are located by line,
    which only the whole file gives; so such files are read whole, as a small file would be.
    """
    redo = {p.file_index for p in parts if p.piece and p.rejected}
    if not redo:
        return tasks, parts
    again: list[FileTask] = []
    for t in tasks:
        if t.file_index in redo and t.piece is not None:
            if t.out_part and os.path.exists(t.out_part):
                os.remove(t.out_part)
            if not again or again[-1].file_index != t.file_index:
                again.append(replace(t, piece=None))
    kept = [t for t in tasks if t.file_index not in redo] + again
    return kept, [p for p in parts if p.file_index not in redo] + run(audit_file, again)


def _summary(parts: Sequence[FilePartial], pseudo: Pseudonymiser) -> Summary:
    s = Summary()
    by_org: Counter[str] = Counter()
    by_cat: Counter[str] = Counter()
    by_month: Counter[str] = Counter()
    ocm: Counter[tuple[str, str, str]] = Counter()
    levels: Counter[str] = Counter()
    no_purpose: Counter[str] = Counter()
    placeholder: Counter[str] = Counter()
    terms: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    users: Counter[str] = Counter()
    nets, devs, lbs = Histogram(), Histogram(), Histogram()
    kinds: Counter[str] = Counter()
    for p in parts:
        s.searches += p.searches
        if p.first and (s.first is None or p.first < s.first):
            s.first = p.first
        if p.last and (s.last is None or p.last > s.last):
            s.last = p.last
        for org, r, m, n in p.org_reason_month:
            cat, level, ts = p.classes[r]
            org_label = org or "(not in log)"
            by_org[org_label] += n
            kinds[p.orgs.get(org or "", (None, "unknown"))[1]] += n
            by_cat[cat] += n
            by_month[m or "unknown"] += n
            ocm[(org_label, cat, m or "unknown")] += n
            if level:
                levels[level] += n
            if cat == "no_stated_purpose":
                no_purpose[r if r.strip() else "(blank)"] += n
            if cat == "placeholder":
                placeholder[r] += n
            for t in ts:
                if cat in ("immigration", "immigration_ambiguous") or (cat == "stated" and t == "ICE"):
                    terms[t] += n
            reasons[r] += n
        users.update(p.users)
        nets.add(Histogram(counts=p.networks))
        devs.add(Histogram(counts=p.devices))
        lbs.add(Histogram(counts=p.lookback))
    s.users = len(users)
    s.by_org = dict(ranked(by_org))
    s.by_org_kind = dict(ranked(kinds))
    s.by_category = dict(ranked(by_cat))
    s.by_month = dict(sorted(by_month.items()))
    s.by_org_category_month = [
        {"org": o, "category": c, "month": m, "searches": n} for (o, c, m), n in sorted(ocm.items())
    ]
    s.immigration_levels = dict(levels)
    s.networks = _reach(nets)
    s.devices = _reach(devs)
    lb_buckets: Counter[str] = Counter()
    for k, v in lbs.counts.items():
        lb_buckets[_lb_bucket(k)] += v
    order = [
        "<1 day",
        "1-6 days",
        "7-29 days",
        "30-89 days",
        "90-364 days",
        "365+ days",
        "negative (window after search)",
    ]
    s.lookback_days = {
        "searches_with_window": lbs.total,
        "median": lbs.median(),
        "max": lbs.maximum(),
        "distribution": {b: lb_buckets[b] for b in order if lb_buckets.get(b)},
    }
    s.no_stated_purpose = dict(ranked(no_purpose))
    s.placeholder_reasons = dict(ranked(placeholder, 25))
    s.top_terms = dict(ranked(terms, 20))
    s.top_reasons = {pseudo.text(r) or "": n for r, n in ranked(reasons, 15)}
    s.top_users = dict(ranked(users, 10))
    return s


def _reach(h: Histogram) -> dict[str, float | int | None]:
    return {"searches": h.total, "median": h.median(), "p90": h.quantile(0.9), "max": h.maximum()}


def _lb_bucket(days: int) -> str:
    if days < 0:
        return "negative (window after search)"
    for limit, label in (
        (1, "<1 day"),
        (7, "1-6 days"),
        (30, "7-29 days"),
        (90, "30-89 days"),
        (365, "90-364 days"),
    ):
        if days < limit:
            return label
    return "365+ days"


def expand_inputs(paths: Sequence[str | Path]) -> list[Path]:
    """Files given, with directories expanded to the log files inside them (sorted)."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(x for x in p.iterdir() if x.is_file() and not x.name.startswith("."))
            if not found:
                raise InputError("directory holds no files", file=p)
            out.extend(found)
        else:
            out.append(p)
    return out


def run_audit(
    paths: Sequence[str | Path],
    options: AuditOptions | None = None,
    *,
    engine: Engine = "local",
    address: str | None = None,
    workers: int | None = None,
    out: str | Path | None = None,
    key: bytes | None = None,
    on_done: Callable[[int], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
) -> AuditResult:
    """Audit the logs at `paths` and return findings, summary and read issues.

    engine "local" runs files in a process pool, "serial" in this process, "ray" on Ray (see
    sharemap.runner); the local and Ray engines split large CSV and Parquet files into pieces run
    side by side. `out` writes every flagged row (one row per rule hit) to Parquet. `on_plan(n)`
    is told the number of tasks, `on_done(k)` each time k of them finish (progress bars).
    """
    options = options or AuditOptions()
    notices: list[str] = []
    if options.retention_days is None and options.state:
        periods, why = retention_periods(options.state)
        notices.append(why)
        options = replace(options, retention_periods=tuple(periods))
    files = expand_inputs(paths)
    if not files:
        raise InputError("no input files given", expected="one or more log files")
    pseudo = Pseudonymiser(key=key, reveal=options.reveal)
    parts_dir = tempfile.mkdtemp(prefix="sharemap-audit-out-") if out else None
    cpus = os.cpu_count() or 1
    plan = _plan(files, options, split=engine != "serial", chunks=workers or cpus)
    tasks = [
        FileTask(
            index=i,
            path=str(f),
            options=options,
            key=pseudo.key,
            out_part=os.path.join(parts_dir, f"part-{i:05d}.parquet") if parts_dir else None,
            file_index=fi,
            rows=rows,
            piece=piece,
        )
        for i, (fi, f, rows, piece) in enumerate(plan)
    ]
    if on_plan:
        on_plan(len(tasks))
    if options.retention_days is None and not options.retention_periods:
        notices.append(
            "look-back check not run: no retention limit known for the state; give --retention-days N"
        )
    try:
        if engine in ("local", "ray") and len(tasks) > 1 and options.threads is None and not address:
            # several tasks at once: share the CPUs between the processes instead of oversubscribing
            workers = workers or min(len(tasks), cpus)
            per_task = replace(options, threads=max(1, cpus // workers))
            tasks = [replace(t, options=per_task) for t in tasks]

        def run(fn: Callable[[FileTask], Any], todo: list[FileTask]) -> list[Any]:
            return run_tasks(fn, todo, engine=engine, address=address, workers=workers)

        parts = run_tasks(audit_file, tasks, engine=engine, address=address, workers=workers, on_done=on_done)
        tasks, parts = _read_whole_if_rejected(tasks, parts, run)
        offsets = piece_offsets(parts)
        _attach_evidence(tasks, parts, options, pseudo, run, offsets)
        result = merge(parts, options, engine, pseudo, notices, offsets)
        if out and parts_dir:
            checks.combine_hits(parts_dir, Path(out), offsets)
        return result
    finally:
        if parts_dir:
            shutil.rmtree(parts_dir, ignore_errors=True)
