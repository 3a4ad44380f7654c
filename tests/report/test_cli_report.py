"""`sharemap report` and `sharemap serve --help`, run as a user would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sharemap.cli.app import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_report_markdown(ledger_db: Path) -> None:
    code, out = run("report", "--county", "Harris County, TX", "--date", "2026-11-24", "--db", str(ledger_db))
    assert code == 0, out
    assert out.startswith("# How local law enforcement and ICE share identity information: Harris County, TX")
    assert "## References" in out


def test_report_html_to_file(ledger_db: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "md.html"
    code, out = run(
        "report", "--state", "MD", "--format", "html", "-o", str(out_file), "--db", str(ledger_db)
    )
    assert code == 0, out
    assert out_file.read_text(encoding="utf-8").startswith("<!doctype html>")


def test_report_json(ledger_db: Path) -> None:
    code, out = run("report", "--nation", "--json", "--db", str(ledger_db))
    assert code == 0, out
    data = json.loads(out)
    assert data["kind"] == "nation" and data["references"]


def test_report_errors(ledger_db: Path, tmp_path: Path) -> None:
    code, out = run("report", "--db", str(ledger_db))
    assert code != 0 and "say where" in out
    code, out = run("report", "--county", "Nowhere County, TX", "--db", str(ledger_db))
    assert code != 0 and "error" in out
    code, out = run("report", "--nation", "--db", str(tmp_path / "missing.duckdb"))
    assert code != 0 and "sharemap build" in out


def test_report_pdf(ledger_db: Path, tmp_path: Path) -> None:
    from sharemap.report.pdf import pdf_available

    ok, why = pdf_available()
    if not ok:
        pytest.skip(why)
    out_file = tmp_path / "r.pdf"
    code, out = run(
        "report", "--agency", "Canadian County Sheriff's Office", "--state", "OK", "--format", "pdf",
        "-o", str(out_file), "--db", str(ledger_db),
    )  # fmt: skip
    assert code == 0, out
    assert out_file.read_bytes()[:5] == b"%PDF-"


def test_serve_help() -> None:
    code, out = run("serve", "--help")
    assert code == 0 and "127.0.0.1" in out
