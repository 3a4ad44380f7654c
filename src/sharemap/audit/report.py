"""A Markdown report of an audit: findings with rows and provisions, summaries, read issues."""

from __future__ import annotations

from sharemap.audit import hints
from sharemap.audit.schema import AuditResult


def render_markdown(result: AuditResult, evidence_rows: int = 20) -> str:
    s = result.summary
    out = ["# Data-access audit", ""]
    out.append(
        f"{s.searches:,} searches from {s.first} to {s.last} by {s.users:,} users"
        f"{' (user ids, names and plates pseudonymised)' if result.pseudonymised else ''}; "
        f"state searched: {result.state or 'not given'}; engine: {result.engine}."
    )
    out += [
        "",
        "## Files",
        "",
        "| file | format | rows read | unreadable | notes |",
        "|---|---|---:|---:|---|",
    ]
    for f in result.files:
        out.append(
            f"| {f.file} | {f.format} | {f.rows_read:,} | {f.rows_unreadable:,} | {'; '.join(f.notes)} |"
        )
    out += ["", f"## Findings ({len(result.findings)})", ""]
    if not result.findings:
        out.append("No findings.")
    for fd in result.findings:
        out += [
            f"### {fd.severity.value.upper()} · {fd.title} · "
            f"{fd.org_name or 'logging agency'} ({fd.count:,})",
            "",
            f"Rule `{fd.rule_id}`. {fd.explanation}",
            "",
        ]
        if fd.law and fd.law.provisions:
            out.append("Provisions (from the law engine, effect " + fd.law.effect + "):")
            out += [f"- {c.citation} — {c.title or ''} {c.url or ''}".rstrip() for c in fd.law.provisions]
            out.append("")
        elif fd.law:
            out += [f"Law engine: {fd.law.effect}.", ""]
        out += ["| file | row | time | user | reason |", "|---|---:|---|---|---|"]
        for e in fd.evidence[:evidence_rows]:
            reason = (e.reason or "").replace("|", "\\|")
            out.append(f"| {e.file} | {e.row} | {e.time or ''} | {e.user or ''} | {reason} |")
        if fd.evidence_total > evidence_rows:
            out.append(f"| … | | | | {fd.evidence_total - evidence_rows:,} more rows |")
        out.append("")
    out += ["## Summary", "", "| purpose category | searches |", "|---|---:|"]
    out += [f"| {k} | {v:,} |" for k, v in s.by_category.items()]
    out += ["", "| month | searches |", "|---|---:|"] + [f"| {k} | {v:,} |" for k, v in s.by_month.items()]
    out += ["", "| organisation | searches |", "|---|---:|"] + [
        f"| {k} | {v:,} |" for k, v in s.by_org.items()
    ]
    out += [
        "",
        f"Reach: networks {s.networks}; devices {s.devices}.",
        "",
        f"Look-back: {s.lookback_days}.",
        "",
        f"No stated purpose: {s.no_stated_purpose}.",
        "",
        f"Top matched terms: {s.top_terms or 'none'}.",
        "",
    ]
    listed = sorted({(i.file, i.row, i.line) for i in result.issues})
    out += [
        "## Read issues",
        "",
        f"{result.issues_total:,} problem row(s) in all could not be read or need checking; "
        f"{len(listed):,} listed"
        + (f" ({hints.MAX_ISSUES} to see the rest)." if len(listed) < result.issues_total else "."),
    ]
    for i in result.issues:
        where = f"row {i.row}" if i.row is not None else f"line {i.line}"
        out.append(f"- {i.file}: {where}: {i.kind}: {i.message}")
    out += [""] + [f"Note: {n}" for n in result.notices]
    return "\n".join(out) + "\n"
