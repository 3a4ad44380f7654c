from __future__ import annotations

import os
import stat
from pathlib import Path

import duckdb
import pytest
from audit_paths import AUDIT

from sharemap.audit.engine import AuditOptions, run_audit
from sharemap.audit.pseudo import KEY_ENV, Pseudonymiser, key_file, load_key


def test_sql_matches_python() -> None:
    p = Pseudonymiser(key=b"k" * 80)  # longer than a block: hashed first, as HMAC says
    con = duckdb.connect()
    con.execute(p.sql_macro())
    got = con.execute(
        "SELECT pseudo('plate', ' ab-12 3'), pseudo('user', 'Officer A'), pseudo('user', NULL)"
    ).fetchone()
    assert got == (p("plate", "AB123"), p("user", "Officer A"), None)


def test_key_file_is_created_private() -> None:
    key = load_key()
    path = key_file()
    assert path.exists() and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_key() == key


def test_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "shared-secret")
    assert Pseudonymiser()("user", "x") == Pseudonymiser(key=b"shared-secret")("user", "x")
    assert Pseudonymiser()("user", "x") != Pseudonymiser(key=b"other")("user", "x")


def test_plates_in_free_text() -> None:
    p = Pseudonymiser(key=b"k")
    text = p.text("stolen vehicle ZKB670 case 2510494")
    assert text is not None and "ZKB670" not in text and "2510494" in text and "plate:" in text
    assert Pseudonymiser(reveal=True).text("ZKB670") == "ZKB670"
    # written with a dash: the same pseudonym as without
    assert p.text("plate ZKB-670 seen") == f"plate {p('plate', 'ZKB670')} seen"
    # an ISO time in an alert text is not a plate (it was read as one before 2026-11-25)
    alert = "Alert: Stolen Vehicle 41HP587 - 2025-08-22T18:07:15.907Z"
    assert p.text(alert) == f"Alert: Stolen Vehicle {p('plate', '41HP587')} - 2025-08-22T18:07:15.907Z"


def test_officers_named_in_free_text() -> None:
    p = Pseudonymiser(key=b"k")
    for text, name in [
        ("assist Ofc. Smith with stolen vehicle", "Smith"),
        ("ASSIST DEP JONES", "JONES"),
        ("per Trooper John Smith", "John Smith"),
        ("requested by Officer #4521", "4521"),
        ("HSI SA Garcia case", "Garcia"),
    ]:
        out = p.text(text)
        assert out is not None and name not in out and p("officer", name) in out, (text, out)
    # a title keeps its place; words that only look like one are left alone
    assert p.text("assist Ofc. Smith") == f"assist Ofc. {p('officer', 'Smith')}"
    for text in ("inv Burglary", "officer safety", "off Main St", "daytime search for best result"):
        assert p.text(text) == text


def test_top_reasons_are_pseudonymised(tmp_path: Path) -> None:
    """Reasons are free text: plates and officer names in them never reach the summary."""
    lines = (AUDIT / "network_audit_small.csv").read_text().splitlines()
    lines[1] = lines[1].replace('"burglary 25-1"', '"stolen vehicle ZKB670 for Ofc. Smith"')
    log = tmp_path / "log.csv"
    log.write_text("\n".join(lines) + "\n")
    r = run_audit([log], AuditOptions(state="OR"), engine="serial", key=b"k")
    assert not any("ZKB670" in t or "Smith" in t for t in r.summary.top_reasons)
    shown = run_audit([log], AuditOptions(state="OR", reveal=True), engine="serial", key=b"k")
    assert "stolen vehicle ZKB670 for Ofc. Smith" in shown.summary.top_reasons
