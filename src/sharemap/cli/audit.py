"""`sharemap audit`: find data access that breaks the law in real search logs."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sharemap.audit.engine import AuditOptions, expand_inputs, run_audit
from sharemap.audit.report import render_markdown
from sharemap.cli.common import JsonOption, command, console, err_console, print_json, table
from sharemap.errors import InputError
from sharemap.runner import Engine

_CONSOLE_ISSUES = 10  # problems printed by default (the JSON and the report hold up to --max-issues)


def parse_max_issues(value: str) -> int | None:
    """`--max-issues`: a positive whole number, or 'all' (None)."""
    text = value.strip().lower()
    if text == "all":
        return None
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise InputError(
            f"--max-issues must be a positive whole number or 'all', not {value!r}",
            field="max-issues",
            expected="for example 200, 5000 or all",
        )
    return n


def register(app: typer.Typer) -> None:
    """Attach the audit command to the top-level app."""
    app.command(
        "audit", help="Audit data-access logs: findings with rows and the law, summaries, read issues."
    )(audit_command)


@command
def audit_command(
    files: list[Path] = typer.Argument(
        ..., help="Log files or directories (CSV, TSV, XLSX, Parquet, JSON lines; .gz ok)."
    ),
    state: str | None = typer.Option(None, "--state", help="Two-letter state whose data was searched."),
    fmt: str | None = typer.Option(
        None, "--format", help="Force a format: alpr-network-audit, alpr-org-audit, alpr-portal-search-log."
    ),
    mapping: Path | None = typer.Option(
        None, "--mapping", help="YAML column mapping for DMV, Nlets or jail logs."
    ),
    retention_days: float | None = typer.Option(
        None,
        "--retention-days",
        help="Flag look-backs longer than N days (default: the state's limit in force on each search date).",
    ),
    org: str | None = typer.Option(
        None, "--org", help="Name of the agency whose log this is (logs without an org column)."
    ),
    encoding: str | None = typer.Option(
        None, "--encoding", help="Text encoding of CSV files (default UTF-8)."
    ),
    sweep_networks: int = typer.Option(100, "--sweep-networks", help="Wide sweep: more networks than this."),
    sweep_devices: int = typer.Option(10_000, "--sweep-devices", help="Wide sweep: more devices than this."),
    evidence_limit: int = typer.Option(
        100, "--evidence", help="Evidence rows shown per finding (all go to --out)."
    ),
    terms: Path | None = typer.Option(
        None, "--terms", help="Replace the classifier's term lists (YAML, see terms.yaml)."
    ),
    out: Path | None = typer.Option(None, "--out", help="Write every flagged row to this Parquet file."),
    report: Path | None = typer.Option(None, "--report", help="Write a Markdown report to this file."),
    reveal: bool = typer.Option(
        False, "--reveal", help="Show plates, user ids and names instead of pseudonyms."
    ),
    engine: str = typer.Option("local", "--engine", help="local, serial or ray."),
    address: str | None = typer.Option(None, "--address", help="Ray cluster address (with --engine ray)."),
    workers: int | None = typer.Option(None, "--workers", help="Processes or Ray CPUs."),
    max_issues: str | None = typer.Option(
        None,
        "--max-issues",
        help="Problem rows listed per file, here and in --json/--report (a number, or 'all'; default: "
        "200 kept, 10 printed); the total is always counted.",
    ),
    sheet: str | None = typer.Option(
        None, "--sheet", help="XLSX: the worksheet to read (default: the first visible one)."
    ),
    hidden_sheets: bool = typer.Option(
        False, "--hidden-sheets", help="XLSX: hidden sheets may be read too (skipped by default)."
    ),
    as_json: bool = JsonOption,
) -> None:
    options = AuditOptions(
        state=state.upper() if state else None, format=fmt, mapping=str(mapping) if mapping else None,
        encoding=encoding, org=org, retention_days=retention_days, sweep_networks=sweep_networks,
        sweep_devices=sweep_devices, evidence_limit=evidence_limit, reveal=reveal,
        terms=str(terms) if terms else None, sheet=sheet, hidden_sheets=hidden_sheets,
        issue_limit=parse_max_issues(max_issues) if max_issues else 200,
    )  # fmt: skip
    n_files = len(expand_inputs(files))
    if engine not in ("local", "serial", "ray"):
        raise InputError(f"unknown engine {engine!r}", field="engine", expected="local, serial or ray")
    engine_name = cast(Engine, engine)
    with Progress(
        TextColumn("auditing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=as_json,
    ) as progress:
        bar = progress.add_task("tasks", total=n_files)
        result = run_audit(
            files,
            options,
            engine=engine_name,
            address=address,
            workers=workers,
            out=out,
            on_done=lambda n: progress.advance(bar, n),
            on_plan=lambda n: progress.update(bar, total=n),
        )
    if report:
        report.write_text(render_markdown(result), encoding="utf-8")
    if as_json:
        print_json(result)
        return
    s = result.summary
    for f in result.files:
        console.print(
            f"[bold]{f.file}[/]: {f.format} ({'detected' if f.format_detected else 'given'}), "
            f"{f.rows_read:,} rows read, {f.rows_unreadable:,} unreadable"
            + (f"; {'; '.join(f.notes)}" if f.notes else ""),
            highlight=False,
        )
    console.print(
        f"{s.searches:,} searches, {s.first} to {s.last}, {s.users:,} users"
        + ("" if not result.pseudonymised else " (pseudonymised)"),
        highlight=False,
    )
    console.print(
        table("Purpose categories", ["category", "searches"], [[k, v] for k, v in s.by_category.items()])
    )
    reach = [["networks", *s.networks.values()], ["devices", *s.devices.values()]]
    console.print(table("Reach per search", ["", "searches", "median", "p90", "max"], reach))
    rows = [
        [
            f.severity.value,
            f.rule_id,
            f.org_name or "-",
            f.count,
            ", ".join(c.citation for c in f.law.provisions) if f.law and f.law.provisions else "-",
        ]
        for f in result.findings
    ]
    console.print(
        table(
            f"Findings ({len(result.findings)})",
            ["severity", "rule", "organisation", "searches", "law"],
            rows,
        )
    )
    for fd in result.findings:
        ev = ", ".join(f"row {e.row}" for e in fd.evidence[:5])
        more = (
            f" … ({fd.evidence_total:,} rows{'; all in --out' if out else ''})"
            if fd.evidence_total > 5
            else ""
        )
        console.print(f"- [bold]{fd.rule_id}[/] {fd.explanation} Evidence: {ev}{more}", highlight=False)
    if result.issues_total:
        shown = result.issues if max_issues else result.issues[:_CONSOLE_ISSUES]
        console.print(
            f"[yellow]{result.issues_total:,} problem row(s) in all (rows that could not be read or need "
            f"checking); {len(shown):,} listed"
            + (" (--max-issues N or all to list more)" if len(shown) < result.issues_total else "")
            + ":[/]",
            highlight=False,
        )
        for i in shown:
            where = f"row {i.row}" if i.row is not None else f"line {i.line}"
            console.print(f"  {i.file}: {where}: {i.kind}: {i.message}", highlight=False)
    for n in result.notices:
        console.print(f"[dim]note: {n}[/]", highlight=False)
