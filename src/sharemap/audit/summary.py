"""Summary: the tasks' partial results merged, in file and row order, into one `AuditResult`.

Counts add up; histograms merge; the read issues of CSV pieces are renumbered as rows of the whole
file; findings are built from the merged rule hits (`sharemap.audit.checks`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sharemap.audit import checks
from sharemap.audit.model import UNKNOWN_ORG, AuditOptions, FilePartial
from sharemap.audit.pseudo import Pseudonymiser
from sharemap.audit.schema import AuditResult, FileRead, Histogram, ReadIssue, Summary, ranked


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
            c = p.classes[r]
            cat, level, ts = c.category, c.level, c.terms
            org_label = org or "(not in log)"
            by_org[org_label] += n
            kinds[p.orgs.get(org or "", UNKNOWN_ORG).kind] += n
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
