"""`sharemap audit`: find data access that breaks the law in real search logs."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sharemap.audit import hints
from sharemap.audit.engine import AuditOptions, expand_inputs, run_audit
from sharemap.audit.report import render_markdown
from sharemap.audit.schema import AuditResult
from sharemap.cli.common import JsonOption, command, console, err_console, print_json, table
from sharemap.errors import InputError, SharemapError
from sharemap.runner import Engine

_CONSOLE_ISSUES = 10  # problems printed by default (the JSON and the report hold up to --max-issues)

FLAGS = {
    "encoding": "--encoding ENC",
    "retention_days": "--retention-days N",
    "state": "--state ST",
    "sheet": "--sheet NAME",
    "hidden_sheets": "--hidden-sheets",
    "max_issues": "--max-issues N or all",
    "mapping": "--mapping FILE",
}
"""The flag of each option the audit's messages may suggest (`sharemap.audit.hints`)."""

CLI_WORDS = {option: f"{phrase} with {FLAGS[option]}" for option, phrase in hints.PHRASES.items()}


def cli_words(text: str | None) -> str | None:
    """An audit message with the flag that sets each option it suggests."""
    return hints.reword(text, CLI_WORDS)


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


_FILES = typer.Argument(..., help="Log files or directories (CSV, TSV, XLSX, Parquet, JSON lines; .gz ok).")
_STATE = typer.Option(None, "--state", help="Two-letter state whose data was searched.")
_FORMAT = typer.Option(
    None, "--format", help="Force a format: alpr-network-audit, alpr-org-audit, alpr-portal-search-log."
)
_MAPPING = typer.Option(None, "--mapping", help="YAML column mapping for DMV, Nlets or jail logs.")
_RETENTION = typer.Option(
    None,
    "--retention-days",
    help="Flag look-backs longer than N days (default: the state's limit in force on each search date).",
)
_ORG = typer.Option(None, "--org", help="Name of the agency whose log this is (logs without an org column).")
_ENCODING = typer.Option(None, "--encoding", help="Text encoding of CSV files (default UTF-8).")
_SWEEP_NETWORKS = typer.Option(100, "--sweep-networks", help="Wide sweep: more networks than this.")
_SWEEP_DEVICES = typer.Option(10_000, "--sweep-devices", help="Wide sweep: more devices than this.")
_EVIDENCE = typer.Option(100, "--evidence", help="Evidence rows shown per finding (all go to --out).")
_TERMS = typer.Option(None, "--terms", help="Replace the classifier's term lists (YAML, see terms.yaml).")
_OUT = typer.Option(None, "--out", help="Write every flagged row to this Parquet file.")
_REPORT = typer.Option(None, "--report", help="Write a Markdown report to this file.")
_REVEAL = typer.Option(False, "--reveal", help="Show plates, user ids and names instead of pseudonyms.")
_ENGINE = typer.Option("local", "--engine", help="local, serial or ray.")
_ADDRESS = typer.Option(None, "--address", help="Ray cluster address (with --engine ray).")
_WORKERS = typer.Option(None, "--workers", help="Processes or Ray CPUs.")
_MAX_ISSUES = typer.Option(
    None,
    "--max-issues",
    help="Problem rows listed per file, here and in --json/--report (a number, or 'all'; default: "
    "200 kept, 10 printed); the total is always counted.",
)
_SHEET = typer.Option(None, "--sheet", help="XLSX: the worksheet to read (default: the first visible one).")
_HIDDEN = typer.Option(
    False, "--hidden-sheets", help="XLSX: hidden sheets may be read too (skipped by default)."
)


@command
def audit_command(
    files: list[Path] = _FILES,
    state: str | None = _STATE,
    fmt: str | None = _FORMAT,
    mapping: Path | None = _MAPPING,
    retention_days: float | None = _RETENTION,
    org: str | None = _ORG,
    encoding: str | None = _ENCODING,
    sweep_networks: int = _SWEEP_NETWORKS,
    sweep_devices: int = _SWEEP_DEVICES,
    evidence_limit: int = _EVIDENCE,
    terms: Path | None = _TERMS,
    out: Path | None = _OUT,
    report: Path | None = _REPORT,
    reveal: bool = _REVEAL,
    engine: str = _ENGINE,
    address: str | None = _ADDRESS,
    workers: int | None = _WORKERS,
    max_issues: str | None = _MAX_ISSUES,
    sheet: str | None = _SHEET,
    hidden_sheets: bool = _HIDDEN,
    as_json: bool = JsonOption,
) -> None:
    options = AuditOptions(
        state=state.upper() if state else None, format=fmt, mapping=str(mapping) if mapping else None,
        encoding=encoding, org=org, retention_days=retention_days, sweep_networks=sweep_networks,
        sweep_devices=sweep_devices, evidence_limit=evidence_limit, reveal=reveal,
        terms=str(terms) if terms else None, sheet=sheet, hidden_sheets=hidden_sheets,
        issue_limit=parse_max_issues(max_issues) if max_issues else 200,
    )  # fmt: skip
    if engine not in ("local", "serial", "ray"):
        raise InputError(f"unknown engine {engine!r}", field="engine", expected="local, serial or ray")
    try:
        result = _run(files, options, cast(Engine, engine), address, workers, out, as_json)
    except SharemapError as exc:  # the audit's words, with the flags that set the options it names
        raise type(exc)(
            cli_words(exc.message) or "",
            file=exc.file,
            row=exc.row,
            field=exc.field,
            expected=cli_words(exc.expected),
        ) from exc
    if report:  # the report's own words reworded with the rest, once
        report.write_text(cli_words(render_markdown(result)) or "", encoding="utf-8")
    result = hints.reword_result(result, CLI_WORDS)
    if as_json:
        print_json(result)
        return
    _print_result(result, out, listed_all=bool(max_issues))


def _run(
    files: list[Path],
    options: AuditOptions,
    engine: Engine,
    address: str | None,
    workers: int | None,
    out: Path | None,
    quiet: bool,
) -> AuditResult:
    """The audit, with a progress bar on stderr (none with --json)."""
    n_files = len(expand_inputs(files))
    with Progress(
        TextColumn("auditing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=quiet,
    ) as progress:
        bar = progress.add_task("tasks", total=n_files)
        return run_audit(
            files,
            options,
            engine=engine,
            address=address,
            workers=workers,
            out=out,
            on_done=lambda n: progress.advance(bar, n),
            on_plan=lambda n: progress.update(bar, total=n),
        )


def _print_result(result: AuditResult, out: Path | None, listed_all: bool) -> None:
    """Human output: what was read, the summary tables, the findings, the read problems, notes."""
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
    _print_findings(result, out)
    if result.issues_total:
        _print_issues(result, listed_all)
    for n in result.notices:
        console.print(f"[dim]note: {n}[/]", highlight=False)


def _print_findings(result: AuditResult, out: Path | None) -> None:
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


def _print_issues(result: AuditResult, listed_all: bool) -> None:
    shown = result.issues if listed_all else result.issues[:_CONSOLE_ISSUES]
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
