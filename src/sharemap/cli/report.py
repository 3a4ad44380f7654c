"""`sharemap report`: the cited answer for a county, state, agency or the nation, as Markdown, HTML or PDF."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path

import typer

from sharemap.cli.common import JsonOption, command, console, parse_date, print_json
from sharemap.errors import InputError, StoreError


class ReportFormat(StrEnum):
    MD = "md"
    HTML = "html"
    PDF = "pdf"


def register(app: typer.Typer) -> None:
    app.command("report")(report_cmd)


@command
def report_cmd(
    county: str | None = typer.Option(None, "--county", help='A county: "Harris County, TX" or a FIPS code.'),
    state: str | None = typer.Option(None, "--state", help="A state (alone, or to pick an agency)."),
    agency: str | None = typer.Option(None, "--agency", help="An agency on ICE's 287(g) lists."),
    nation: bool = typer.Option(False, "--nation", help="The whole country."),
    fmt: ReportFormat = typer.Option(ReportFormat.MD, "--format", help="md, html or pdf."),
    date: str | None = typer.Option(None, "--date", help="YYYY-MM-DD (default: today)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write to this file (default: print md/html)."),
    db: Path | None = typer.Option(None, "--db", help="Ledger DuckDB file."),
    sim: list[Path] | None = typer.Option(
        None,
        "--sim",
        help="A SYNTHETIC run folder written by `sharemap sim run ... --out DIR` for the same county, "
        "state or nation; its outputs are added, cited (repeat for several runs).",
    ),
    json: bool = JsonOption,
) -> None:
    """Write the cited report: every factual sentence carries numbered references.

    Examples: sharemap report --county "Harris County, TX";
    sharemap report --state FL --format html -o fl.html; sharemap report --nation --date 2025-06-30;
    sharemap report --county 12021 --sim results/collier (a run of `sharemap sim run --county 12021 --out`).
    """
    from sharemap.ledger import store
    from sharemap.report import build_report, load_run, resolve, to_html, to_markdown

    if sum(x is not None for x in (county, agency)) + nation + (state is not None and agency is None) != 1:
        raise InputError(
            "say where, once", field="--county/--state/--agency/--nation", expected="exactly one"
        )
    day = parse_date(date, "--date") if date else dt.date.today()
    runs = [load_run(p) for p in sim or []]
    try:
        with store.connect(db) as con:
            target = resolve(con, county=county, state=state, agency=agency, nation=nation)
            rep = build_report(con, target, day, sims=runs)
    except StoreError as exc:
        raise StoreError(exc.message, file=exc.file, expected="run `sharemap build` first") from exc
    if json:
        print_json(rep.to_dict())
        return
    if fmt is ReportFormat.PDF:
        from sharemap.report.pdf import to_pdf

        data = to_pdf(rep)
        path = out or Path(f"sharemap-{target.kind}-{target.key}-{day.isoformat()}.pdf")
        path.write_bytes(data)
        console.print(f"wrote {path} ({len(data):,} bytes)", highlight=False)
        return
    text = to_markdown(rep) if fmt is ReportFormat.MD else to_html(rep)
    if out:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out} ({len(rep.references)} references)", highlight=False)
    else:
        typer.echo(text, nl=False)
