"""`sharemap answer PLACE` over the ledger built from the shipped ICE lists (tests/conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from sharemap.cli.app import app

runner = CliRunner()


def _answer(db: Path, *args: str) -> str:
    r = runner.invoke(app, ["answer", *args, "--db", str(db)], env={"COLUMNS": "80"})
    assert r.exit_code == 0, r.output
    return r.stdout


def test_county_answer_in_english_and_spanish(ledger_db: Path) -> None:
    en = _answer(ledger_db, "cook county il", "--date", "2026-05-20")
    assert en.startswith("What reaches ICE from Cook County, IL on 2026-05-20\n")
    assert "Booking after arrest: 4 of 9 known routes can carry data to ICE here." in en
    assert "\nSources:\n[1] " in en
    es = _answer(ledger_db, "Cook County, IL", "--date", "2026-05-20", "--lang", "es")
    assert es.startswith("Qué llega a ICE desde Cook County, IL el 2026-05-20\n")
    assert "Fichaje tras una detención: 4 de 9 vías conocidas" in es and "\nFuentes:\n[1] " in es


def test_agency_and_state_answers_read_the_ledger(ledger_db: Path) -> None:
    yuma = _answer(ledger_db, "Yuma County Sheriff's Office", "--date", "2026-05-20")
    assert "One 287(g) agreement is in force here on 2026-05-20: Yuma County Sheriff's Office" in yuma
    assert "participating agencies list as captured) (2026-05-18)" in yuma
    md = json.loads(_answer(ledger_db, "MD", "--date", "2026-03-01", "--json"))
    assert md["label"] == "Maryland" and md["preamble"][0]["text"].startswith(
        "This is the picture for the whole state"
    )
    booking = next(e for e in md["encounters"] if e["encounter"] == "booking")
    closed = [s for s in booking["sentences"] if s["text"].startswith("State or federal law closes")]
    assert closed and "(WSO)" in closed[0]["text"] and closed[0]["sources"][0]["url"]


def test_unknown_and_ambiguous_places_are_refused_in_one_line(ledger_db: Path) -> None:
    r = runner.invoke(app, ["answer", "jefferson", "--db", str(ledger_db)])
    assert r.exit_code != 0 and "may mean" in r.output and "Jefferson County, KY" in r.output
    r = runner.invoke(app, ["answer", "Cook County, IL", "--lang", "fr", "--no-ledger"])
    assert r.exit_code != 0 and "en or es" in r.output
