"""Scanning: one task's file (or piece of it) read in one streaming pass into a `FilePartial`.

One aggregate query (GROUPING SETS, see `scan_sql`) over the finest key the summaries and checks need
(organisation, reason, month, read problems, look-back hit, sweep hit), plus the reach, look-back and
user histograms, into a small table. Second-stage queries on that table give every summary count, the
distinct reasons and organisations, the unreadable rows, and, per (organisation, reason, look-back
hit, sweep hit), the count, the largest reach and the numbers of the first `evidence_limit` rows.
Reasons and organisations are then classified once per distinct value (in Python), and each rule's
hits are put together from the groups it covers (`sharemap.audit.evidence`). The full list of
flagged rows is written (one more pass) only when `--out` asks for it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb

from sharemap.audit import checks, hints, rules
from sharemap.audit.classify import Classifier
from sharemap.audit.evidence import row_shifter, rule_hits
from sharemap.audit.model import (
    AuditOptions,
    FilePartial,
    FileTask,
    Group,
    OrgClass,
    ReasonClass,
)
from sharemap.audit.orgs import classify_org
from sharemap.audit.pseudo import Pseudonymiser
from sharemap.audit.schema import FileRead, ReadIssue
from sharemap.audit.source import (
    BAD_NUMBER,
    BAD_TIME,
    BAD_WINDOW,
    Opened,
    Reject,
    count_rejects,
    read_rejects,
)
from sharemap.errors import InputError

MIXED_DATES = 8  # bit in `bad`: time parsed, but not in the file's main date form


# ------------------------------------------------------------------------------ the one pass


@dataclass
class _Scanned:
    """What the scan's second stage reads back: every grouping-set row, the evidence groups and the
    row numbers of the first rows with a read problem."""

    rows: list[tuple[Any, ...]]
    groups: list[Group]
    odd_rows: list[int]


def scan_file(
    con: duckdb.DuckDBPyConnection,
    log: Opened,
    task: FileTask,
    classifier: Classifier,
    pseudo: Pseudonymiser,
) -> FilePartial:
    """The per-file task's work, step by step: scan, fold the counts, classify, count the read
    problems, list them, find the rule hits, and write the flagged rows when asked."""
    opts = task.options
    scanned = _run_scan(con, opts)
    part = _new_partial(task, log)
    bad_counts = _fold(part, scanned.rows, pseudo)
    _classify(part, scanned.groups, classifier, log, opts)
    flag_reasons = {r: c for r, c in part.classes.items() if c.category in rules.REASON_RULES}
    org_rules = rules.restricted_org_rules(opts.state, part.system, part.last)
    restricted = rules.flagged_kinds(org_rules)
    flag_orgs = {o: c.flag for o, c in part.orgs.items() if c.flag in restricted}
    any_lb = any(g.lb_hit for g in scanned.groups)
    any_sweep = any(k > opts.sweep_networks for k in part.networks) or any(
        k > opts.sweep_devices for k in part.devices
    )
    _count_reads(part, con, log, bad_counts)
    reject_lines = _list_rejects(part, con, log, opts, bad_counts)
    shift = row_shifter(reject_lines)
    _odd_issues(part, con, log, sorted(scanned.odd_rows)[: opts.issue_limit], shift)
    active = rules.active(any_lb, any_sweep, org_rules)
    rule_hits(part, opts, scanned.groups, flag_reasons, flag_orgs, active, shift)
    if task.out_part:
        if flag_reasons or flag_orgs or any_lb or any_sweep:
            _write_out(con, opts, flag_reasons, flag_orgs, active, pseudo, task, reject_lines)
        else:
            checks.write_empty_hits(task.out_part)
    return part


def _run_scan(con: duckdb.DuckDBPyConnection, opts: AuditOptions) -> _Scanned:
    """The one pass, into a small table; the second stage reads the summaries from it without the
    row-number lists, and merges the lists of the fine groups into the evidence groups in SQL."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE agg AS {scan_sql(opts)}")
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
    # evidence groups (organisation, reason, look-back hit, sweep hit): the first rows of a group are
    # among the first rows of its fine groups
    groups = [
        Group(org, reason, bool(lbh), bool(swh), int(cnt), max_n, max_d, max_lb, [int(x) for x in rns or []])
        for org, reason, lbh, swh, cnt, max_n, max_d, max_lb, rns in ev_groups
    ]
    return _Scanned(rows, groups, odd_rows)


def _new_partial(task: FileTask, log: Opened) -> FilePartial:
    read = FileRead(
        file=log.file,
        format=log.spec.name,
        format_detected=log.detected,
        container=log.container,
        rows_read=0,
        rows_unreadable=0,
        time_formats=[],
        notes=list(log.notes),
    )
    return FilePartial(
        index=task.index,
        read=read,
        system=log.spec.system.value,
        file_index=task.file_index,
        piece=task.piece is not None,
    )


def _fold(part: FilePartial, rows: list[tuple[Any, ...]], pseudo: Pseudonymiser) -> Counter[int]:
    """Add the grouping-set rows into the partial's counts and histograms; returns rows by `bad`."""
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
    # a fixed order, whatever order the groups came out of the hash tables in
    part.org_reason_month = [(o, r, m, n) for (o, r, m), n in sorted(orm.items(), key=_orm_key)]
    return bad_counts


def _orm_key(item: tuple[tuple[str | None, str, str | None], int]) -> tuple[str, str, str]:
    (o, r, m), _ = item
    return (o or "", r, m or "")


def _classify(
    part: FilePartial, groups: list[Group], classifier: Classifier, log: Opened, opts: AuditOptions
) -> None:
    """Classify the distinct reasons and organisations once each."""
    for r in sorted({r for _, r, _, _ in part.org_reason_month} | {g.reason or "" for g in groups}):
        c = classifier.classify(r)
        part.classes[r] = ReasonClass(c.category, c.level, c.terms)
    for org in {o for o, _, _, _ in part.org_reason_month}:
        info = classify_org(org, opts.state, log.spec.org_kind)
        part.orgs[org or ""] = OrgClass(info.state, info.kind.value, info.org_type, info.basis)


def _count_reads(
    part: FilePartial, con: duckdb.DuckDBPyConnection, log: Opened, bad_counts: Counter[int]
) -> None:
    """Rows read, unreadable and rejected, and whether a second date form was met."""
    rejected = count_rejects(con, log)
    unreadable = sum(v for k, v in bad_counts.items() if k & BAD_TIME)
    part.read.rows_read = part.searches
    part.read.rows_unreadable = unreadable + rejected
    part.rejected = rejected
    part.records = sum(bad_counts.values()) + rejected
    part.mixed_dates = sum(v for k, v in bad_counts.items() if k & MIXED_DATES)
    part.read.time_formats = log.time_formats[: 1 + (1 if part.mixed_dates else 0)]
    part.issues_total = rejected + sum(v for k, v in bad_counts.items() if k)


def _list_rejects(
    part: FilePartial,
    con: duckdb.DuckDBPyConnection,
    log: Opened,
    opts: AuditOptions,
    bad_counts: Counter[int],
) -> list[int]:
    """List the rows the parser rejected (by line; never their text, which holds plates and names)
    and return the lines that shift the numbers of the readable rows after them."""
    rejected = part.rejected
    rej = read_rejects(con, log, limit=opts.issue_limit)
    enc_bad = [x for x in rej if "encoding" in x.kind or "unicode" in x.kind]
    if enc_bad:
        part.read.notes.append(
            f"not UTF-8: rows with undecodable bytes (first at line {enc_bad[0].line}); {hints.ENCODING} "
            "to read them"
        )
    sheet = log.container == "xlsx"
    for x in rej:
        part.issues.append(
            ReadIssue(
                file=log.file,
                row=x.line if sheet else None,  # a sheet row, exactly
                line=None if sheet else x.line,
                field=_column_label(log, x.column),
                kind=x.kind,
                message=reject_message(x.kind, x.message),
            )
        )
    unreadable = sum(v for k, v in bad_counts.items() if k & BAD_TIME)
    if rejected and part.searches == 0 and unreadable == 0:
        _no_readable_rows(log, rejected, rej[0] if rej else Reject(2, None, "", None, "rejected"))
    if not rejected or log.rows_exact:  # sheet rows are numbered as they are: nothing to shift
        return []
    return sorted({x.line for x in read_rejects(con, log)})


def _no_readable_rows(log: Opened, rejected: int, first: Reject) -> None:
    hint = ""
    if log.delimiter and first.text:
        for cand in (";", "\t", "|", ","):
            if cand != log.delimiter and cand in str(first.text):
                hint = f" (rows look {cand!r}-separated but the header is {log.delimiter!r}-separated)"
                break
    raise InputError(
        f"no readable rows: {rejected:,} row(s) rejected; "
        f"first: {reject_message(first.kind, first.message)}{hint}",
        file=log.file,
        row=first.line,
    )


def scan_sql(opts: AuditOptions) -> str:
    """The one pass over the file: every summary, the read problems and the evidence groups.

    Grouping sets: the fine key (organisation, reason, month, bad, look-back hit, sweep hit), with the
    counts, times, largest reach and the first row numbers (readable rows, and rows with a read
    problem) of each fine group; and one each for the reach, look-back and user histograms. Everything
    else is derived from the fine groups afterwards (see `scan_file`): the counts by organisation,
    reason and month, and the evidence groups (organisation, reason, look-back hit, sweep hit), whose
    first rows are among the first rows of their fine groups. Only row numbers are kept in the scan:
    keeping whole rows costs a copy per row and grouping set, far more than picking the few evidence
    rows by number afterwards. Measured alternatives (docs/audit.md, Performance): a histogram()
    aggregate per fine group, or reach values folded into the fine key, were slower.
    """
    k = max(1, int(opts.evidence_limit))
    i = _scan_issue_limit(opts)
    lbh = lookback_hit_sql(opts)
    swh = sweep_hit_sql(opts)
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


def sweep_hit_sql(opts: AuditOptions) -> str:
    """SQL: does the row reach more networks or devices than the thresholds?"""
    return (
        f"(coalesce(networks, 0) > {int(opts.sweep_networks)} "
        f"OR coalesce(devices, 0) > {int(opts.sweep_devices)})"
    )


def lookback_hit_sql(opts: AuditOptions) -> str:
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


# ------------------------------------------------------------------------------ read problems


def _column_label(log: Opened, column: str | None) -> str | None:
    """The header name of a source column `c<i>` (as the CSV and XLSX readers name them)."""
    if column and column.startswith("c") and column[1:].isdigit():
        i = int(column[1:])
        if i < len(log.header):
            return log.header[i] or column
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

_MIXED = "search time in a different date form from the rest of the file (read, but check the export)"


def _odd_issues(
    part: FilePartial,
    con: duckdb.DuckDBPyConnection,
    log: Opened,
    odd: list[int],
    shift: Callable[[int], int],
) -> None:
    """List the rows with an unreadable time, a bad count or window, or a second date form."""
    if not odd:
        return
    import pyarrow as pa

    con.register("odd_rn", pa.table({"rn": pa.array(odd, pa.int64())}))
    got = con.execute(
        f"SELECT rn, bad, main_form FROM ({log.pick('odd_rn', max(odd), odd)}) ORDER BY rn"
    ).fetchall()
    con.unregister("odd_rn")
    file = part.read.file
    for rn, bad, main_form in got:
        row = shift(int(rn))
        for flag, field_name, kind, message in _ROW_ISSUES:
            if bad & flag:
                part.issues.append(
                    ReadIssue(file=file, row=row, field=field_name, kind=kind, message=message)
                )
        if not main_form and not bad & BAD_TIME:
            part.issues.append(
                ReadIssue(file=file, row=row, field="time", kind="mixed_date_form", message=_MIXED)
            )


# ------------------------------------------------------------------------------ --out


def _write_out(
    con: duckdb.DuckDBPyConnection,
    opts: AuditOptions,
    flag_reasons: dict[str, ReasonClass],
    flag_orgs: dict[str, str],
    active: list[rules.Rule],
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
                "category": [c.category for c in flag_reasons.values()],
                "level": [c.level for c in flag_reasons.values()],
                "terms": [list(c.terms) for c in flag_reasons.values()],
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
    needs = {r.needs for r in active}
    lb = lookback_hit_sql(opts) if "lookback" in needs else "false"
    sw = sweep_hit_sql(opts) if "sweep" in needs else "false"
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
    checks.write_hits(con, task.out_part, pseudo, active, reject_lines, task.file_index)
